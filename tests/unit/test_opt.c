/*
 * test_opt.c - common/opt: the table-driven option parser.
 *
 * Precedence default < environment < argv, both long forms, short options, every error message
 * byte for byte, positional arguments and "--", bounded number parsing, env names and --help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

struct cfg {
	int verbose;
	int quiet;
	const char *name;
	unsigned long port;
	unsigned long rooms;
	const char *web;
	const char *label;
};

#define FIELD(f) offsetof(struct cfg, f)

static const struct opt_def defs[] = {
	{"verbose", 'v', OPT_FLAG, NULL, NULL, 0, 0, FIELD(verbose), "more logs"},
	{"quiet", 'q', OPT_FLAG, NULL, NULL, 0, 0, FIELD(quiet), "fewer logs"},
	{"name", 'n', OPT_STRING, "NAME", "anon", 0, 0, FIELD(name), "a name"},
	{"port", 'p', OPT_UINT, "PORT", "8080", 1, 65535, FIELD(port), "listen port"},
	{"max-rooms", 0, OPT_UINT, "N", "100", 0, 1000000, FIELD(rooms), "room limit"},
	{"web-root", 0, OPT_STRING, "DIR", "", 0, 0, FIELD(web), "web root"},
	{"label", 0, OPT_STRING, NULL, NULL, 0, 0, FIELD(label), "a label"},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))
#define PREFIX "TOPTX"

static const char *const env_vars[] = {"TOPTX_VERBOSE", "TOPTX_QUIET", "TOPTX_NAME",
				       "TOPTX_PORT", "TOPTX_MAX_ROOMS", "TOPTX_WEB_ROOT",
				       "TOPTX_LABEL"};

static int clean_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

struct run {
	struct cfg cfg;
	const char *pos[4];
	size_t npos;
	int rc;
	char err[OPT_ERR_LEN];
};

/* Runs opt_parse over a NULL-terminated argument list (argv[0] is added). */
static void run_args(struct run *r, const char *prefix, size_t max_pos, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)(uintptr_t)"prog";
	va_start(ap, max_pos);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		assert_true(argc < 31);
		argv[argc++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	memset(r, 0, sizeof(*r));
	r->npos = 99;
	r->rc = opt_parse(defs, NDEFS, &r->cfg, prefix, argc, argv, r->pos, max_pos, &r->npos,
			  r->err);
}

#define RUN(r, ...) run_args(r, PREFIX, 4, __VA_ARGS__, (const char *)NULL)

static void expect_fail(struct run *r, const char *msg)
{
	assert_int_equal(r->rc, -1);
	assert_string_equal(r->err, msg);
}

static void t_defaults(void **state)
{
	(void)state;
	struct run r;
	run_args(&r, PREFIX, 4, (const char *)NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.verbose, 0);
	assert_int_equal(r.cfg.quiet, 0);
	assert_string_equal(r.cfg.name, "anon");
	assert_int_equal(r.cfg.port, 8080);
	assert_int_equal(r.cfg.rooms, 100);
	assert_string_equal(r.cfg.web, "");
	assert_null(r.cfg.label); /* no default: the field is left alone */
	assert_int_equal(r.npos, 0);
}

static void t_fields_without_default_untouched(void **state)
{
	(void)state;
	struct cfg cfg;
	char *argv[] = {(char *)(uintptr_t)"prog", NULL};
	const char *pos[1];
	size_t npos;
	char err[OPT_ERR_LEN];
	memset(&cfg, 0, sizeof(cfg));
	cfg.label = "preset";
	assert_int_equal(opt_parse(defs, NDEFS, &cfg, PREFIX, 1, argv, pos, 1, &npos, err), 0);
	assert_string_equal(cfg.label, "preset");
	assert_string_equal(cfg.name, "anon");
}

static void t_env_overrides_default(void **state)
{
	(void)state;
	struct run r;
	setenv("TOPTX_PORT", "9000", 1);
	setenv("TOPTX_MAX_ROOMS", "5", 1);
	setenv("TOPTX_NAME", "from-env", 1);
	setenv("TOPTX_LABEL", "", 1);
	run_args(&r, PREFIX, 4, (const char *)NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 9000);
	assert_int_equal(r.cfg.rooms, 5);
	assert_string_equal(r.cfg.name, "from-env");
	assert_string_equal(r.cfg.label, "");
	/* Without a prefix the environment is not consulted. */
	run_args(&r, NULL, 4, (const char *)NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 8080);
	assert_string_equal(r.cfg.name, "anon");
	/* Another prefix, other variables. */
	run_args(&r, "OTHERX", 4, (const char *)NULL);
	assert_int_equal(r.cfg.port, 8080);
}

static void t_argv_overrides_env(void **state)
{
	(void)state;
	struct run r;
	setenv("TOPTX_PORT", "9000", 1);
	setenv("TOPTX_NAME", "from-env", 1);
	RUN(&r, "--port", "7000", "-n", "from-argv");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 7000);
	assert_string_equal(r.cfg.name, "from-argv");
	assert_int_equal(r.cfg.rooms, 100);
	/* The last occurrence on the command line wins. */
	RUN(&r, "--port=1", "--port", "2", "-p", "3");
	assert_int_equal(r.cfg.port, 3);
}

static void t_flags_not_from_env(void **state)
{
	(void)state;
	struct run r;
	/* Flags have no environment variable (--help shows none for them). */
	setenv("TOPTX_VERBOSE", "1", 1);
	run_args(&r, PREFIX, 4, (const char *)NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.verbose, 0);
}

static void t_long_forms(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "--name=alice", "--port", "443", "--max-rooms=0", "--web-root", "/srv/www");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.name, "alice");
	assert_int_equal(r.cfg.port, 443);
	assert_int_equal(r.cfg.rooms, 0);
	assert_string_equal(r.cfg.web, "/srv/www");

	/* Only the first '=' splits; an empty value is a value; the next argument is taken as the
	 * value even when it starts with '-'. */
	RUN(&r, "--name=a=b", "--web-root=", "--label", "-x");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.name, "a=b");
	assert_string_equal(r.cfg.web, "");
	assert_string_equal(r.cfg.label, "-x");

	RUN(&r, "--verbose");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.verbose, 1);
	assert_int_equal(r.cfg.quiet, 0);
}

static void t_short_forms(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "-v", "-q", "-n", "bob", "-p", "1");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.verbose, 1);
	assert_int_equal(r.cfg.quiet, 1);
	assert_string_equal(r.cfg.name, "bob");
	assert_int_equal(r.cfg.port, 1);
}

static void t_unknown_option(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "--nope");
	expect_fail(&r, "unknown option '--nope' (see --help)");
	RUN(&r, "--nope=1");
	expect_fail(&r, "unknown option '--nope=1' (see --help)");
	RUN(&r, "-x");
	expect_fail(&r, "unknown option '-x' (see --help)");
	/* No abbreviations, no bundling, no attached short values. */
	RUN(&r, "--verb");
	expect_fail(&r, "unknown option '--verb' (see --help)");
	RUN(&r, "--verbose-x");
	expect_fail(&r, "unknown option '--verbose-x' (see --help)");
	RUN(&r, "-vq");
	expect_fail(&r, "unknown option '-vq' (see --help)");
	RUN(&r, "-p80");
	expect_fail(&r, "unknown option '-p80' (see --help)");
	RUN(&r, "--=x");
	expect_fail(&r, "unknown option '--=x' (see --help)");
	RUN(&r, "--PORT", "1");
	expect_fail(&r, "unknown option '--PORT' (see --help)");
	/* Long names are not short names. */
	RUN(&r, "-port", "1");
	expect_fail(&r, "unknown option '-port' (see --help)");
	/* The error stops parsing: later arguments are not applied. */
	RUN(&r, "--port", "5", "--nope", "--name", "late");
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.cfg.name, "anon");
}

static void t_missing_value(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "--port");
	expect_fail(&r, "option --port needs a value (PORT)");
	RUN(&r, "-n");
	expect_fail(&r, "option --name needs a value (NAME)");
	RUN(&r, "-v", "--label");
	expect_fail(&r, "option --label needs a value (VALUE)");
}

static void t_flag_with_value(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "--verbose=1");
	expect_fail(&r, "option --verbose takes no value");
	RUN(&r, "--quiet=");
	expect_fail(&r, "option --quiet takes no value");
	/* A flag does not consume the next argument: it is positional. */
	RUN(&r, "-v", "1");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.npos, 1);
	assert_string_equal(r.pos[0], "1");
}

static void t_bad_numbers(void **state)
{
	(void)state;
	struct run r;
	static const char *const bad[] = {
		"0", "65536", "", "x", "80x", "8 0", " 80", "80 ", "+80", "-1", "-0", "0x50", "1e3",
		"80.0", "99999999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[OPT_ERR_LEN];
		snprintf(want, sizeof(want), "option port: '%s' is not a number in 1..65535", bad[i]);
		RUN(&r, "--port", bad[i]);
		expect_fail(&r, want);
		RUN(&r, "-p", bad[i]);
		expect_fail(&r, want);
	}
	RUN(&r, "--max-rooms=1000001");
	expect_fail(&r, "option max-rooms: '1000001' is not a number in 0..1000000");
	/* Bounds are inclusive; leading zeros are decimal, not octal. */
	RUN(&r, "-p", "65535", "--max-rooms", "1000000");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 65535);
	assert_int_equal(r.cfg.rooms, 1000000);
	RUN(&r, "-p", "010");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.port, 10);
}

static void t_bad_env_number(void **state)
{
	(void)state;
	struct run r;
	setenv("TOPTX_PORT", "eighty", 1);
	run_args(&r, PREFIX, 4, (const char *)NULL);
	expect_fail(&r, "TOPTX_PORT port: 'eighty' is not a number in 1..65535");
	/* Even when argv would override it: a broken environment is reported, not hidden. */
	RUN(&r, "--port", "80");
	assert_int_equal(r.rc, -1);
	setenv("TOPTX_PORT", "", 1);
	run_args(&r, PREFIX, 4, (const char *)NULL);
	expect_fail(&r, "TOPTX_PORT port: '' is not a number in 1..65535");
}

static void t_positional(void **state)
{
	(void)state;
	struct run r;
	RUN(&r, "a", "-v", "-", "--port", "9", "b");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.npos, 3);
	assert_string_equal(r.pos[0], "a");
	assert_string_equal(r.pos[1], "-");
	assert_string_equal(r.pos[2], "b");
	assert_int_equal(r.cfg.port, 9);
	assert_int_equal(r.cfg.verbose, 1);

	/* After "--" everything is positional, options included. */
	RUN(&r, "-q", "--", "--port", "-v", "--");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.npos, 3);
	assert_string_equal(r.pos[0], "--port");
	assert_string_equal(r.pos[1], "-v");
	assert_string_equal(r.pos[2], "--");
	assert_int_equal(r.cfg.verbose, 0);
	assert_int_equal(r.cfg.quiet, 1);
	assert_int_equal(r.cfg.port, 8080);

	RUN(&r, "--");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.npos, 0);
}

static void t_too_many_positional(void **state)
{
	(void)state;
	struct run r;
	run_args(&r, PREFIX, 2, "a", "b", (const char *)NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.npos, 2);
	run_args(&r, PREFIX, 2, "a", "b", "c", (const char *)NULL);
	expect_fail(&r, "too many arguments (see --help)");
	run_args(&r, PREFIX, 2, "a", "--", "b", "c", (const char *)NULL);
	expect_fail(&r, "too many arguments (see --help)");
	run_args(&r, PREFIX, 0, "a", (const char *)NULL);
	expect_fail(&r, "too many arguments (see --help)");
	run_args(&r, PREFIX, 0, "--", "a", (const char *)NULL);
	expect_fail(&r, "too many arguments (see --help)");
}

static void t_parse_ulong(void **state)
{
	(void)state;
	unsigned long v = 7;
	assert_int_equal(opt_parse_ulong("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(opt_parse_ulong("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(opt_parse_ulong("5", 5, 5, &v), 0);
	assert_int_equal(v, 5);
	char max[32];
	snprintf(max, sizeof(max), "%lu", ULONG_MAX);
	assert_int_equal(opt_parse_ulong(max, 0, ULONG_MAX, &v), 0);
	assert_true(v == ULONG_MAX);

	v = 7;
	assert_int_equal(opt_parse_ulong("11", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("4", 5, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong(NULL, 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("-1", 0, ULONG_MAX, &v), -1);
	assert_int_equal(opt_parse_ulong("+1", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong(" 1", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("1 ", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("1a", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("0x1", 0, 10, &v), -1);
	assert_int_equal(opt_parse_ulong("18446744073709551616", 0, ULONG_MAX, &v), -1);
	assert_int_equal(opt_parse_ulong("99999999999999999999999999999", 0, ULONG_MAX, &v), -1);
	assert_int_equal(v, 7); /* untouched on every failure */
}

static void t_env_name(void **state)
{
	(void)state;
	char out[96];
	opt_env_name(out, sizeof(out), "SIGNALD", "max-rooms");
	assert_string_equal(out, "SIGNALD_MAX_ROOMS");
	opt_env_name(out, sizeof(out), "SIGNALD", "port");
	assert_string_equal(out, "SIGNALD_PORT");
	opt_env_name(out, sizeof(out), "RTCPEER", "ice-server-2");
	assert_string_equal(out, "RTCPEER_ICE_SERVER_2");
	/* The prefix is used as given. */
	opt_env_name(out, sizeof(out), "x", "a-b");
	assert_string_equal(out, "x_A_B");
	opt_env_name(out, sizeof(out), "", "a");
	assert_string_equal(out, "_A");
	/* Truncated to the buffer, always terminated, never written past cap. */
	memset(out, '#', sizeof(out));
	opt_env_name(out, 10, "SIGNALD", "max-rooms");
	assert_string_equal(out, "SIGNALD_M");
	assert_int_equal(out[10], '#');
	opt_env_name(out, 8, "SIGNALD", "port");
	assert_string_equal(out, "SIGNALD");
	memset(out, '#', sizeof(out));
	opt_env_name(out, 1, "SIGNALD", "port");
	assert_string_equal(out, "");
	assert_int_equal(out[1], '#');
}

/* --help is generated from the table: every option shows its forms, metavar, help text, default
 * and environment variable (flags have none). The layout itself is free to change. */
static char *help_text(size_t ndefs, const char *prefix)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	opt_print_help(f, defs, ndefs, prefix);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	return text;
}

static void expect_in(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("--help lacks \"%s\":\n%s", needle, text);
}

static void t_print_help(void **state)
{
	(void)state;
	char *text = help_text(NDEFS, "SIGNALD");
	expect_in(text, "-v, --verbose");
	expect_in(text, "more logs");
	expect_in(text, "-q, --quiet");
	expect_in(text, "-n, --name NAME");
	expect_in(text, "anon");
	expect_in(text, "SIGNALD_NAME");
	expect_in(text, "-p, --port PORT");
	expect_in(text, "listen port");
	expect_in(text, "8080");
	expect_in(text, "1..65535"); /* the bounds of a number */
	expect_in(text, "SIGNALD_PORT");
	expect_in(text, "--max-rooms N");
	expect_in(text, "room limit");
	expect_in(text, "SIGNALD_MAX_ROOMS");
	expect_in(text, "--web-root DIR");
	expect_in(text, "none"); /* an empty default is shown as "none" */
	expect_in(text, "SIGNALD_WEB_ROOT");
	expect_in(text, "--label");
	expect_in(text, "SIGNALD_LABEL");
	assert_null(strstr(text, "SIGNALD_VERBOSE"));
	assert_null(strstr(text, "SIGNALD_QUIET"));
	assert_null(strstr(text, "-, --")); /* no short form printed for options without one */
	/* Options appear in table order, and the text ends with a newline. */
	assert_true(strstr(text, "--verbose") < strstr(text, "--quiet"));
	assert_true(strstr(text, "--quiet") < strstr(text, "--name"));
	assert_true(strstr(text, "--port") < strstr(text, "--max-rooms"));
	assert_true(strstr(text, "--web-root") < strstr(text, "--label"));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);

	/* Without a prefix no environment variable is shown. */
	text = help_text(NDEFS, NULL);
	assert_null(strstr(text, "SIGNALD_"));
	assert_null(strstr(text, "env"));
	expect_in(text, "8080");
	free(text);
}

static void t_hostport(void **state)
{
	char host[16];
	unsigned long port = 77;
	(void)state;
#define HP(text, opt) opt_parse_hostport(text, strlen(text), host, sizeof(host), &port, opt)
	assert_int_equal(HP("127.0.0.1:8080", 0), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(HP("[::1]:9", 0), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9);
	assert_int_equal(HP(":0", 0), 0); /* all interfaces, any port */
	assert_string_equal(host, "");
	assert_int_equal(port, 0);
	port = 77;
	assert_int_equal(HP("stun.example", 1), 0); /* port optional: left alone */
	assert_string_equal(host, "stun.example");
	assert_int_equal(port, 77);
	assert_int_equal(HP("[fe80::1]", 1), 0);
	assert_string_equal(host, "fe80::1");
	assert_int_equal(HP("host", 0), -1); /* port required */
	assert_int_equal(HP("[::1", 0), -1);
	assert_int_equal(HP("[::1]x", 1), -1);
	assert_int_equal(HP("h:", 1), -1);
	assert_int_equal(HP("h:65536", 1), -1);
	assert_int_equal(HP("h:-1", 1), -1);
	assert_int_equal(HP("h:8x", 1), -1);
	assert_int_equal(HP("a-much-too-long-host:1", 1), -1); /* does not fit host[16] */
#undef HP
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(t_defaults, clean_env),
		cmocka_unit_test_setup(t_fields_without_default_untouched, clean_env),
		cmocka_unit_test_setup(t_env_overrides_default, clean_env),
		cmocka_unit_test_setup(t_argv_overrides_env, clean_env),
		cmocka_unit_test_setup(t_flags_not_from_env, clean_env),
		cmocka_unit_test_setup(t_long_forms, clean_env),
		cmocka_unit_test_setup(t_short_forms, clean_env),
		cmocka_unit_test_setup(t_unknown_option, clean_env),
		cmocka_unit_test_setup(t_missing_value, clean_env),
		cmocka_unit_test_setup(t_flag_with_value, clean_env),
		cmocka_unit_test_setup(t_bad_numbers, clean_env),
		cmocka_unit_test_setup(t_bad_env_number, clean_env),
		cmocka_unit_test_setup(t_positional, clean_env),
		cmocka_unit_test_setup(t_too_many_positional, clean_env),
		cmocka_unit_test(t_hostport),
		cmocka_unit_test(t_parse_ulong),
		cmocka_unit_test(t_env_name),
		cmocka_unit_test(t_print_help),
	};
	return cmocka_run_group_tests(tests, NULL, clean_env);
}
