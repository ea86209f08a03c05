/*
 * opt.h - table-driven options: one table per program gives the command line, the environment
 * variables, the defaults, the bounds and the --help text, so they cannot drift apart.
 *
 * Precedence: built-in default < environment (PREFIX_NAME) < command line.
 */
#ifndef COMMON_OPT_H
#define COMMON_OPT_H

#include <stddef.h>
#include <stdio.h>

enum opt_kind {
	OPT_FLAG,   /* int, set to 1; takes no argument */
	OPT_STRING, /* const char *, borrowed from argv/environ/the table */
	OPT_UINT,   /* unsigned long, checked against [min, max] */
};

struct opt_def {
	const char *name;   /* long name without dashes, e.g. "max-rooms" */
	char short_name;    /* 0 if none */
	enum opt_kind kind;
	const char *metavar; /* shown in --help, e.g. "N" */
	const char *def;    /* default as text (NULL: none) */
	unsigned long min, max;
	size_t offset;      /* of the field in the program's config struct */
	const char *help;
};

#define OPT_ERR_LEN 256

/* Fills cfg from defaults, then the environment, then argv. Positional arguments are
 * collected into pos[0..*npos) (at most max_pos). Returns 0, or -1 with a one-line message. */
int opt_parse(const struct opt_def *defs, size_t ndefs, void *cfg, const char *env_prefix,
	      int argc, char **argv, const char **pos, size_t max_pos, size_t *npos,
	      char err[OPT_ERR_LEN]);

/* Bounded unsigned parsing: decimal only, no sign, no trailing junk, no overflow. */
int opt_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* "HOST:PORT" or "[IPv6]:PORT" (or, with port_optional, also "HOST" and "[IPv6]", leaving
 * *port alone) from s[0..len). host gets the host without brackets, "" when empty. The port is
 * 0..65535. Returns 0, or -1 when malformed or host does not fit in hostcap. */
int opt_parse_hostport(const char *s, size_t len, char *host, size_t hostcap,
		       unsigned long *port, int port_optional);

void opt_print_help(FILE *out, const struct opt_def *defs, size_t ndefs, const char *env_prefix);

/* The environment variable name of an option, e.g. SIGNALD_MAX_ROOMS. */
void opt_env_name(char *out, size_t cap, const char *prefix, const char *name);

#endif
