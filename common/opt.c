#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int opt_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int opt_parse_hostport(const char *s, size_t len, char *host, size_t hostcap,
		       unsigned long *port, int port_optional)
{
	char portbuf[8];
	const char *h = s, *colon;
	size_t hlen;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close || (close + 1 < s + len && close[1] != ':'))
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1 < s + len ? close + 1 : NULL;
	} else {
		colon = NULL;
		for (size_t i = len; i > 0; i--)
			if (s[i - 1] == ':') {
				colon = s + i - 1;
				break;
			}
		hlen = colon ? (size_t)(colon - s) : len;
	}
	if (!colon && !port_optional)
		return -1;
	if (colon) {
		size_t plen = len - (size_t)(colon + 1 - s);
		if (plen == 0 || plen >= sizeof(portbuf))
			return -1;
		memcpy(portbuf, colon + 1, plen);
		portbuf[plen] = '\0';
		if (opt_parse_ulong(portbuf, 0, 65535, port) < 0)
			return -1;
	}
	if (hlen >= hostcap)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

void opt_env_name(char *out, size_t cap, const char *prefix, const char *name)
{
	size_t o = 0;
	for (const char *p = prefix; *p && o + 1 < cap; p++)
		out[o++] = *p;
	if (o + 1 < cap)
		out[o++] = '_';
	for (const char *p = name; *p && o + 1 < cap; p++)
		out[o++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	out[o] = '\0';
}

static int set_value(const struct opt_def *d, void *cfg, const char *val, const char *origin,
		     char err[OPT_ERR_LEN])
{
	char *field = (char *)cfg + d->offset;
	unsigned long v;

	switch (d->kind) {
	case OPT_FLAG:
		*(int *)(void *)field = 1;
		return 0;
	case OPT_STRING:
		*(const char **)(void *)field = val;
		return 0;
	case OPT_UINT:
		if (opt_parse_ulong(val, d->min, d->max, &v) < 0) {
			snprintf(err, OPT_ERR_LEN, "%s %s: '%s' is not a number in %lu..%lu", origin,
				 d->name, val, d->min, d->max);
			return -1;
		}
		*(unsigned long *)(void *)field = v;
		return 0;
	}
	return -1;
}

static const struct opt_def *find_long(const struct opt_def *defs, size_t n, const char *name,
				       size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(defs[i].name) == len && strncmp(defs[i].name, name, len) == 0)
			return &defs[i];
	return NULL;
}

static const struct opt_def *find_short(const struct opt_def *defs, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (defs[i].short_name && defs[i].short_name == c)
			return &defs[i];
	return NULL;
}

static int apply_defaults_and_env(const struct opt_def *defs, size_t n, void *cfg,
				  const char *env_prefix, char err[OPT_ERR_LEN])
{
	char env[96];
	for (size_t i = 0; i < n; i++) {
		if (defs[i].def && set_value(&defs[i], cfg, defs[i].def, "default", err) < 0)
			return -1;
		if (!env_prefix || defs[i].kind == OPT_FLAG)
			continue;
		opt_env_name(env, sizeof(env), env_prefix, defs[i].name);
		const char *val = getenv(env);
		if (val && set_value(&defs[i], cfg, val, env, err) < 0)
			return -1;
	}
	return 0;
}

int opt_parse(const struct opt_def *defs, size_t n, void *cfg, const char *env_prefix, int argc,
	      char **argv, const char **pos, size_t max_pos, size_t *npos, char err[OPT_ERR_LEN])
{
	*npos = 0;
	if (apply_defaults_and_env(defs, n, cfg, env_prefix, err) < 0)
		return -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const struct opt_def *d;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++) {
				if (*npos >= max_pos)
					goto too_many;
				pos[(*npos)++] = argv[i];
			}
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (*npos >= max_pos)
				goto too_many;
			pos[(*npos)++] = a;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			d = find_long(defs, n, a + 2, len);
			if (eq)
				val = eq + 1;
		} else {
			d = a[2] == '\0' ? find_short(defs, n, a[1]) : NULL;
		}
		if (!d) {
			snprintf(err, OPT_ERR_LEN, "unknown option '%s' (see --help)", a);
			return -1;
		}
		if (d->kind == OPT_FLAG) {
			if (val) {
				snprintf(err, OPT_ERR_LEN, "option --%s takes no value", d->name);
				return -1;
			}
		} else if (!val) {
			if (i + 1 >= argc) {
				snprintf(err, OPT_ERR_LEN, "option --%s needs a value (%s)", d->name,
					 d->metavar ? d->metavar : "VALUE");
				return -1;
			}
			val = argv[++i];
		}
		if (set_value(d, cfg, val, "option", err) < 0)
			return -1;
	}
	return 0;
too_many:
	snprintf(err, OPT_ERR_LEN, "too many arguments (see --help)");
	return -1;
}

void opt_print_help(FILE *out, const struct opt_def *defs, size_t n, const char *env_prefix)
{
	char left[64], env[96];
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *d = &defs[i];
		if (d->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->short_name, d->name,
				 d->metavar ? " " : "", d->metavar ? d->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->metavar ? " " : "",
				 d->metavar ? d->metavar : "");
		fprintf(out, "  %-30s %s\n", left, d->help);
		if (d->kind == OPT_FLAG)
			continue;
		fprintf(out, "  %-30s ", "");
		if (d->kind == OPT_UINT)
			fprintf(out, "%lu..%lu; ", d->min, d->max);
		if (d->def)
			fprintf(out, "default: %s", d->def[0] ? d->def : "none");
		if (env_prefix) {
			opt_env_name(env, sizeof(env), env_prefix, d->name);
			fprintf(out, "%senv: %s", d->def ? "; " : "", env);
		}
		fputc('\n', out);
	}
}
