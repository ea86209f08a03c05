/*
 * sdp.c - parse, check, build and write the SDP rtcpeer needs (see sdp.h for the contract).
 *
 * Layout: text helpers (spans, character classes, bounded numbers), fingerprints, candidates,
 * the line parser (one handler per attribute, then a resolve pass once all sections are read),
 * validation, the writer, and the builders for our offer and answer.
 *
 * Every buffer is a fixed-size member of the caller's struct; every copy into one is preceded by
 * a length check against that member's size, so no input can write past it.
 */
#include "sdp.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define SDP_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#else
#define SDP_PRINTF(fmt_idx, args_idx)
#endif

/* Tokens in one candidate: 8 fixed fields plus extension pairs; SDP_CAND_MAX bytes fit at most
 * 256 one-byte tokens, real ones have about 20. */
#define CAND_MAX_TOKENS 64

/* --- Errors ------------------------------------------------------------------------------ */

const char *sdp_strerror(int code)
{
	switch (code) {
#define SDP_X_TEXT(sym, val, text) \
	case (val):                \
		return (text);
		SDP_ERRORS(SDP_X_TEXT)
#undef SDP_X_TEXT
	default:
		return "unknown SDP error";
	}
}

SDP_PRINTF(4, 0)
static int vfail(char *err, size_t errlen, int code, const char *fmt, va_list ap)
{
	if (err && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	return code;
}

SDP_PRINTF(4, 5)
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, errlen, code, fmt, ap);
	va_end(ap);
	return code;
}

/* --- Names ------------------------------------------------------------------------------- */

const char *sdp_type_name(enum sdp_type type)
{
	switch (type) {
	case SDP_OFFER:
		return "offer";
	case SDP_ANSWER:
		return "answer";
	default:
		return "none";
	}
}

enum sdp_type sdp_type_from_name(const char *name)
{
	if (name && strcmp(name, "offer") == 0)
		return SDP_OFFER;
	if (name && strcmp(name, "answer") == 0)
		return SDP_ANSWER;
	return SDP_TYPE_NONE;
}

const char *sdp_setup_name(enum sdp_setup setup)
{
	switch (setup) {
	case SDP_SETUP_ACTPASS:
		return "actpass";
	case SDP_SETUP_ACTIVE:
		return "active";
	case SDP_SETUP_PASSIVE:
		return "passive";
	case SDP_SETUP_HOLDCONN:
		return "holdconn";
	default:
		return "";
	}
}

/* --- Spans: (pointer, length) views into the input; nothing here reads past n. ----------- */

struct span {
	const char *p;
	size_t n;
};

static struct span span_of(const char *p, size_t n)
{
	struct span s = {p, n};
	return s;
}

static struct span span_str(const char *s)
{
	return span_of(s, strlen(s));
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* ABNF string literals are case-insensitive (RFC 5234 §2.3), so keywords compare this way. */
static bool span_ieq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(s.p[i]) != ascii_lower(lit[i]))
			return false;
	return true;
}

static bool span_istarts(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && span_ieq(span_of(s.p, n), lit);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static struct span span_trim(struct span s)
{
	while (s.n > 0 && (is_ws(s.p[0]) || s.p[0] == '\r' || s.p[0] == '\n')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (is_ws(s.p[s.n - 1]) || s.p[s.n - 1] == '\r' || s.p[s.n - 1] == '\n'))
		s.n--;
	return s;
}

/* Next whitespace-separated token of *rest; false when none is left. */
static bool span_next(struct span *rest, struct span *tok)
{
	while (rest->n > 0 && is_ws(rest->p[0])) {
		rest->p++;
		rest->n--;
	}
	if (rest->n == 0)
		return false;
	size_t i = 0;
	while (i < rest->n && !is_ws(rest->p[i]))
		i++;
	*tok = span_of(rest->p, i);
	rest->p += i;
	rest->n -= i;
	return true;
}

/* Copies s into dst[cap]; the caller has checked s.n < cap. */
static void span_copy(char *dst, size_t cap, struct span s)
{
	size_t n = s.n < cap ? s.n : cap - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

/* --- Character classes. ------------------------------------------------------------------ */

/* RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/" */
static bool is_ice_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* RFC 4566 §9 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E */
static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2a || u == 0x2b || u == 0x2d ||
	       u == 0x2e || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) ||
	       (u >= 0x5e && u <= 0x7e);
}

/* RFC 4566 §9: proto = token *("/" token) */
static bool is_proto_char(char c)
{
	return is_token_char(c) || c == '/';
}

/* RFC 5234 VCHAR: visible ASCII. */
static bool is_vchar(char c)
{
	return (unsigned char)c >= 0x21 && (unsigned char)c <= 0x7e;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool span_all(struct span s, bool (*cls)(char))
{
	for (size_t i = 0; i < s.n; i++)
		if (!cls(s.p[i]))
			return false;
	return true;
}

static bool span_is_token(struct span s, size_t max)
{
	return s.n >= 1 && s.n <= max && span_all(s, is_token_char);
}

static bool str_is_token(const char *s, size_t cap, size_t min)
{
	size_t n = strnlen(s, cap);
	return n < cap && n >= min && span_all(span_of(s, n), is_token_char);
}

/* Decimal digits only (no sign, no spaces), value <= max. Leading zeros are fine. */
static bool span_uint(struct span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return false;
		unsigned d = (unsigned)(s.p[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool span_port(struct span s, uint16_t *out)
{
	uint64_t v;
	if (!span_uint(s, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* --- Fingerprints (RFC 8122 §5). --------------------------------------------------------- */

static const struct {
	const char *name;
	size_t len;
} hash_lengths[] = {
	{"md2", 16},     {"md5", 16},     {"sha-1", 20},   {"sha-224", 28},
	{"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64},
};

/* Digest length of a known hash, 0 for a hash we do not know (RFC 8122 allows any token). */
static size_t hash_length(const char *alg)
{
	for (size_t i = 0; i < sizeof(hash_lengths) / sizeof(hash_lengths[0]); i++)
		if (strcmp(hash_lengths[i].name, alg) == 0)
			return hash_lengths[i].len;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sdp_fingerprint_format(const uint8_t *bytes, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!bytes || !out || len == 0 || len > SDP_FP_MAX_BYTES || outlen < 3 * len)
		return SDP_E_LIMIT;
	for (size_t i = 0; i < len; i++) {
		out[3 * i] = hex[bytes[i] >> 4];
		out[3 * i + 1] = hex[bytes[i] & 0x0f];
		out[3 * i + 2] = (i + 1 < len) ? ':' : '\0';
	}
	return SDP_OK;
}

int sdp_fingerprint_parse(const char *text, size_t len, uint8_t *out, size_t cap,
			  size_t *out_len)
{
	/* "AB" then ":CD" per further byte: 3n - 1 characters for n bytes. */
	if (!text || !out || !out_len || len < 2 || (len + 1) % 3 != 0)
		return SDP_E_SYNTAX;
	size_t n = (len + 1) / 3;
	if (n > cap)
		return SDP_E_LIMIT;
	for (size_t i = 0; i < n; i++) {
		const char *h = text + 3 * i;
		int hi = hex_value(h[0]), lo = hex_value(h[1]);
		if (hi < 0 || lo < 0 || (i + 1 < n && h[2] != ':'))
			return SDP_E_SYNTAX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*out_len = n;
	return SDP_OK;
}

const struct sdp_fingerprint *sdp_fingerprint_find(const struct sdp_transport *t,
						   const char *alg)
{
	if (!t || !alg)
		return NULL;
	for (size_t i = 0; i < t->fingerprint_count && i < SDP_MAX_FINGERPRINTS; i++)
		if (span_ieq(span_str(alg), t->fingerprints[i].alg))
			return &t->fingerprints[i];
	return NULL;
}

/* "sha-256 AB:CD:..." -> fp. Hash names are case-insensitive (RFC 8122 §5; WEBRTC-NOTES 1.6). */
static int fingerprint_from_value(struct span value, struct sdp_fingerprint *fp, char *why,
				  size_t whylen)
{
	struct span alg, hex, extra;
	if (!span_next(&value, &alg) || !span_next(&value, &hex))
		return fail(why, whylen, SDP_E_SYNTAX, "a=fingerprint needs '<hash> <hex>'");
	if (span_next(&value, &extra))
		return fail(why, whylen, SDP_E_SYNTAX, "a=fingerprint has extra text after the hex");
	if (!span_is_token(alg, SDP_FP_ALG_MAX))
		return fail(why, whylen, SDP_E_SYNTAX, "a=fingerprint: bad hash name");
	memset(fp, 0, sizeof(*fp));
	for (size_t i = 0; i < alg.n; i++)
		fp->alg[i] = ascii_lower(alg.p[i]);
	int rc = sdp_fingerprint_parse(hex.p, hex.n, fp->bytes, SDP_FP_MAX_BYTES, &fp->len);
	if (rc != SDP_OK)
		return fail(why, whylen, SDP_E_SYNTAX,
			    "a=fingerprint: %s is not hex pairs joined by ':' (at most %d bytes)",
			    fp->alg, SDP_FP_MAX_BYTES);
	size_t want = hash_length(fp->alg);
	if (want && fp->len != want)
		return fail(why, whylen, SDP_E_INVALID,
			    "a=fingerprint: %s digest must be %zu bytes, not %zu", fp->alg, want,
			    fp->len);
	return SDP_OK;
}

static bool fingerprint_ok(const struct sdp_fingerprint *fp)
{
	size_t n = strnlen(fp->alg, sizeof(fp->alg));
	if (n == 0 || n >= sizeof(fp->alg) || !span_is_token(span_of(fp->alg, n), SDP_FP_ALG_MAX))
		return false;
	for (size_t i = 0; i < n; i++)
		if (fp->alg[i] != ascii_lower(fp->alg[i]))
			return false;
	size_t want = hash_length(fp->alg);
	return fp->len >= 1 && fp->len <= SDP_FP_MAX_BYTES && (!want || fp->len == want);
}

/* --- ICE credentials (RFC 8839 §5.4). ---------------------------------------------------- */

static bool ice_string_ok(struct span s, size_t min, size_t max)
{
	return s.n >= min && s.n <= max && span_all(s, is_ice_char);
}

static bool ice_cstr_ok(const char *s, size_t cap, size_t min, size_t max)
{
	size_t n = strnlen(s, cap);
	return n < cap && ice_string_ok(span_of(s, n), min, max);
}

/* --- Candidates (RFC 8839 §5.1, RFC 6544 §4.5). ------------------------------------------ */

struct cand {
	struct sdp_candidate_info info;
	enum sdp_addr_kind raddr_kind;
	struct span transport;             /* as written: libnice reads UDP/TCP in any case */
	struct span ext[CAND_MAX_TOKENS];  /* unknown extension pairs, flattened name, value */
	size_t ext_count;
};

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 1-63 bytes,
 * the last label not all digits (so "1.2.3" is not mistaken for a name). */
static bool hostname_ok(struct span s)
{
	size_t start = 0;
	bool all_digits = true;
	for (size_t i = 0; i <= s.n; i++) {
		if (i < s.n && s.p[i] != '.') {
			char c = s.p[i];
			if (!is_digit(c) && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) &&
			    c != '-')
				return false;
			all_digits = all_digits && is_digit(c);
			continue;
		}
		size_t label = i - start;
		if (label == 0 || label > 63 || s.p[start] == '-' || s.p[i - 1] == '-')
			return false;
		if (i == s.n && all_digits)
			return false;
		start = i + 1;
		all_digits = true;
	}
	return true;
}

static bool ends_with_local(struct span s)
{
	return s.n > 6 && span_ieq(span_of(s.p + s.n - 6, 6), ".local");
}

static bool address_classify(struct span s, enum sdp_addr_kind *kind)
{
	char buf[SDP_CAND_ADDR_MAX + 1];
	unsigned char bin[16];
	if (s.n == 0 || s.n > SDP_CAND_ADDR_MAX)
		return false;
	span_copy(buf, sizeof(buf), s);
	if (memchr(s.p, ':', s.n)) {
		*kind = SDP_ADDR_IPV6;
		return inet_pton(AF_INET6, buf, bin) == 1;
	}
	if (inet_pton(AF_INET, buf, bin) == 1) {
		*kind = SDP_ADDR_IPV4;
		return true;
	}
	if (!hostname_ok(s))
		return false;
	*kind = ends_with_local(s) ? SDP_ADDR_MDNS : SDP_ADDR_FQDN;
	return true;
}

/* Splits "candidate:..." (already without "a=") into at most CAND_MAX_TOKENS tokens. */
static int cand_tokens(struct span rest, struct span *tok, size_t *count, char *why,
		       size_t whylen)
{
	size_t n = 0;
	struct span t;
	while (span_next(&rest, &t)) {
		if (n == CAND_MAX_TOKENS)
			return fail(why, whylen, SDP_E_LIMIT, "candidate has more than %d fields",
				    CAND_MAX_TOKENS);
		tok[n++] = t;
	}
	*count = n;
	return SDP_OK;
}

/* The 8 fixed fields: foundation component transport priority address port "typ" type. */
static int cand_fixed(const struct span *tok, struct cand *c, char *why, size_t whylen)
{
	struct sdp_candidate_info *ci = &c->info;
	uint64_t v;
	if (!ice_string_ok(tok[0], 1, SDP_CAND_FOUNDATION_MAX))
		return fail(why, whylen, SDP_E_SYNTAX, "foundation must be 1-32 ice-chars");
	span_copy(ci->foundation, sizeof(ci->foundation), tok[0]);
	if (tok[1].n > 3 || !span_uint(tok[1], 256, &v) || v == 0)
		return fail(why, whylen, SDP_E_SYNTAX, "component must be 1-256");
	ci->component = (unsigned)v;
	if (!span_is_token(tok[2], SDP_TOKEN_MAX))
		return fail(why, whylen, SDP_E_SYNTAX, "bad transport");
	c->transport = tok[2];
	/* libnice stores the priority in 32 bits and silently wraps larger values. */
	if (tok[3].n > 10 || !span_uint(tok[3], UINT32_MAX, &v))
		return fail(why, whylen, SDP_E_SYNTAX, "priority must be 0-4294967295");
	ci->priority = (uint32_t)v;
	if (!address_classify(tok[4], &ci->addr_kind))
		return fail(why, whylen, SDP_E_SYNTAX, "bad connection address");
	span_copy(ci->address, sizeof(ci->address), tok[4]);
	ci->mdns = ci->addr_kind == SDP_ADDR_MDNS;
	if (!span_port(tok[5], &ci->port) || ci->port == 0)
		return fail(why, whylen, SDP_E_SYNTAX, "port must be 1-65535");
	if (!span_ieq(tok[6], "typ"))
		return fail(why, whylen, SDP_E_SYNTAX, "expected 'typ' after the port");
	if (!span_is_token(tok[7], SDP_TOKEN_MAX))
		return fail(why, whylen, SDP_E_SYNTAX, "bad candidate type");
	return SDP_OK;
}

static int cand_ext_known(struct span name, struct span value, struct cand *c, char *why,
			  size_t whylen)
{
	struct sdp_candidate_info *ci = &c->info;
	enum sdp_addr_kind kind;
	if (span_ieq(name, "raddr")) {
		if (ci->has_raddr || !address_classify(value, &kind))
			return fail(why, whylen, SDP_E_SYNTAX, "bad or repeated raddr");
		span_copy(ci->raddr, sizeof(ci->raddr), value);
		ci->has_raddr = true;
		c->raddr_kind = kind;
	} else if (span_ieq(name, "rport")) {
		if (ci->has_rport || !span_port(value, &ci->rport))
			return fail(why, whylen, SDP_E_SYNTAX, "bad or repeated rport");
		ci->has_rport = true;
	} else if (span_ieq(name, "tcptype")) {
		if (ci->tcptype != SDP_TCPTYPE_NONE)
			return fail(why, whylen, SDP_E_SYNTAX, "repeated tcptype");
		if (span_ieq(value, "active"))
			ci->tcptype = SDP_TCPTYPE_ACTIVE;
		else if (span_ieq(value, "passive"))
			ci->tcptype = SDP_TCPTYPE_PASSIVE;
		else if (span_ieq(value, "so"))
			ci->tcptype = SDP_TCPTYPE_SO;
		else
			return fail(why, whylen, SDP_E_SYNTAX, "tcptype must be active, passive or so");
	}
	return SDP_OK;
}

/* Extension pairs after the type: raddr/rport/tcptype are parsed, others kept verbatim. */
static int cand_extensions(const struct span *tok, size_t n, struct cand *c, char *why,
			   size_t whylen)
{
	for (size_t i = 8; i < n; i += 2) {
		if (i + 1 == n) {
			/* libnice rejects a name without a value; we accept and drop it. */
			if (!span_is_token(tok[i], SDP_CAND_MAX))
				return fail(why, whylen, SDP_E_SYNTAX, "bad trailing token");
			c->info.dangling = true;
			break;
		}
		struct span name = tok[i], value = tok[i + 1];
		if (!span_is_token(name, SDP_CAND_MAX) || !span_all(value, is_vchar))
			return fail(why, whylen, SDP_E_SYNTAX, "bad extension '%.*s'",
				    (int)(name.n > 32 ? 32 : name.n), name.p);
		/* libnice 0.1.21 lets a later "typ" pair override the type silently. */
		if (span_ieq(name, "typ"))
			return fail(why, whylen, SDP_E_SYNTAX, "repeated typ");
		if (span_ieq(name, "raddr") || span_ieq(name, "rport") || span_ieq(name, "tcptype")) {
			int rc = cand_ext_known(name, value, c, why, whylen);
			if (rc != SDP_OK)
				return rc;
			continue;
		}
		if (span_ieq(name, "ufrag")) {
			if (!ice_string_ok(value, 1, SDP_UFRAG_MAX))
				return fail(why, whylen, SDP_E_SYNTAX, "ufrag extension: bad ice-chars");
			span_copy(c->info.ufrag, sizeof(c->info.ufrag), value);
		}
		c->ext[c->ext_count++] = name;
		c->ext[c->ext_count++] = value;
	}
	return SDP_OK;
}

/* Grammar is checked first, so a malformed candidate is SYNTAX even when it is also one we
 * could not use. */
static int cand_semantics(struct cand *c, struct span type, char *why, size_t whylen)
{
	struct sdp_candidate_info *ci = &c->info;
	bool udp = span_ieq(c->transport, "udp"), tcp = span_ieq(c->transport, "tcp");
	if (tcp && ci->tcptype == SDP_TCPTYPE_NONE)
		/* RFC 6544 §4.5 requires it; libnice would guess "so" and pair wrongly. */
		return fail(why, whylen, SDP_E_SYNTAX, "TCP candidate without tcptype");
	if (udp && ci->tcptype != SDP_TCPTYPE_NONE)
		return fail(why, whylen, SDP_E_SYNTAX, "tcptype on a UDP candidate");
	if (!udp && !tcp)
		return fail(why, whylen, SDP_E_UNSUPPORTED, "transport '%.*s' is not UDP or TCP",
			    (int)c->transport.n, c->transport.p);
	ci->proto = udp ? SDP_CAND_UDP : SDP_CAND_TCP;
	if (span_ieq(type, "host"))
		ci->type = SDP_CAND_HOST;
	else if (span_ieq(type, "srflx"))
		ci->type = SDP_CAND_SRFLX;
	else if (span_ieq(type, "prflx"))
		ci->type = SDP_CAND_PRFLX;
	else if (span_ieq(type, "relay"))
		ci->type = SDP_CAND_RELAY;
	else
		return fail(why, whylen, SDP_E_UNSUPPORTED, "unknown candidate type '%.*s'",
			    (int)type.n, type.p);
	/* RFC 8834 §4.5: RTP and RTCP share one flow, so WebRTC only has component 1; data
	 * channels never had a second one. */
	if (ci->component != 1)
		return fail(why, whylen, SDP_E_UNSUPPORTED, "component %u (only 1 is used)",
			    ci->component);
	return SDP_OK;
}

/* `rest` is what follows "candidate:". */
static int cand_parse_rest(struct span rest, struct cand *c, char *why, size_t whylen)
{
	struct span tok[CAND_MAX_TOKENS];
	size_t n = 0;
	memset(c, 0, sizeof(*c));
	if (rest.n + strlen("candidate:") > SDP_CAND_MAX)
		return fail(why, whylen, SDP_E_LIMIT, "candidate longer than %d bytes",
			    SDP_CAND_MAX);
	int rc = cand_tokens(rest, tok, &n, why, whylen);
	if (rc != SDP_OK)
		return rc;
	if (n < 8)
		return fail(why, whylen, SDP_E_SYNTAX,
			    "needs: foundation component transport priority address port typ "
			    "type");
	if ((rc = cand_fixed(tok, c, why, whylen)) != SDP_OK ||
	    (rc = cand_extensions(tok, n, c, why, whylen)) != SDP_OK)
		return rc;
	return cand_semantics(c, tok[7], why, whylen);
}

/* "candidate:..." or "a=candidate:...", surrounding whitespace allowed. */
static int cand_parse(const char *text, size_t len, struct cand *c, char *why, size_t whylen)
{
	memset(c, 0, sizeof(*c));
	if (!text)
		return fail(why, whylen, SDP_E_SYNTAX, "no candidate");
	struct span s = span_trim(span_of(text, len));
	if (span_istarts(s, "a="))
		s = span_of(s.p + 2, s.n - 2);
	if (s.n == 0)
		return fail(why, whylen, SDP_E_SYNTAX, "empty candidate");
	if (!span_istarts(s, "candidate:"))
		return fail(why, whylen, SDP_E_SYNTAX, "does not start with 'candidate:'");
	size_t skip = strlen("candidate:");
	return cand_parse_rest(span_of(s.p + skip, s.n - skip), c, why, whylen);
}

static const char *const cand_type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

SDP_PRINTF(4, 5)
static bool buf_addf(char *out, size_t outlen, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	if (*pos >= outlen)
		return false;
	va_start(ap, fmt);
	int n = vsnprintf(out + *pos, outlen - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen - *pos)
		return false;
	*pos += (size_t)n;
	return true;
}

/* Writes the canonical form; "a=" prefix if asked. False if it does not fit. */
static bool cand_format(const struct cand *c, const char *address, bool prefix, char *out,
			size_t outlen)
{
	const struct sdp_candidate_info *ci = &c->info;
	size_t pos = 0;
	bool ok = buf_addf(out, outlen, &pos, "%scandidate:%s %u %.*s %lu %s %u typ %s",
			   prefix ? "a=" : "", ci->foundation, ci->component, (int)c->transport.n,
			   c->transport.p, (unsigned long)ci->priority,
			   address ? address : ci->address, (unsigned)ci->port,
			   cand_type_names[ci->type]);
	/* A host-name raddr (a browser hiding the base behind mDNS) makes libnice 0.1.21 reject the
	 * whole candidate when rport is set. ICE never uses the related address (RFC 8839 §5.1:
	 * it is for diagnostics), so such a pair is left out. */
	bool related = c->raddr_kind == SDP_ADDR_IPV4 || c->raddr_kind == SDP_ADDR_IPV6;
	if (ok && ci->has_raddr && related)
		ok = buf_addf(out, outlen, &pos, " raddr %s", ci->raddr);
	if (ok && ci->has_rport && (related || !ci->has_raddr))
		ok = buf_addf(out, outlen, &pos, " rport %u", (unsigned)ci->rport);
	if (ok && ci->tcptype != SDP_TCPTYPE_NONE)
		ok = buf_addf(out, outlen, &pos, " tcptype %s", tcptype_names[ci->tcptype]);
	for (size_t i = 0; ok && i + 1 < c->ext_count; i += 2)
		ok = buf_addf(out, outlen, &pos, " %.*s %.*s", (int)c->ext[i].n, c->ext[i].p,
			      (int)c->ext[i + 1].n, c->ext[i + 1].p);
	return ok;
}

int sdp_candidate_check(const char *cand, size_t len, struct sdp_candidate_info *info,
			char *err, size_t errlen)
{
	struct cand c;
	char why[160];
	int rc = cand_parse(cand, len, &c, why, sizeof(why));
	if (rc != SDP_OK) {
		if (info)
			memset(info, 0, sizeof(*info));
		return fail(err, errlen, rc, "candidate: %s", why);
	}
	if (info)
		*info = c.info;
	return SDP_OK;
}

int sdp_candidate_normalize(const char *cand, size_t len, const char *address, char *out,
			    size_t outlen, char *err, size_t errlen)
{
	struct cand c;
	char why[160];
	enum sdp_addr_kind kind;
	if (out && outlen)
		out[0] = '\0';
	int rc = cand_parse(cand, len, &c, why, sizeof(why));
	if (rc != SDP_OK)
		return fail(err, errlen, rc, "candidate: %s", why);
	if (address && (!address_classify(span_str(address), &kind) || kind == SDP_ADDR_MDNS ||
			kind == SDP_ADDR_FQDN))
		return fail(err, errlen, SDP_E_INVALID,
			    "candidate: replacement address must be numeric IPv4 or IPv6");
	if (!address && c.info.addr_kind != SDP_ADDR_IPV4 && c.info.addr_kind != SDP_ADDR_IPV6)
		/* libnice 0.1.21 does no name resolution (WEBRTC-NOTES 2.3, 2.4). */
		return fail(err, errlen, SDP_E_UNSUPPORTED,
			    "candidate: %s is a host name; resolve it and pass the address",
			    c.info.address);
	if (!out || !cand_format(&c, address, true, out, outlen)) {
		if (out && outlen)
			out[0] = '\0';
		return fail(err, errlen, SDP_E_LIMIT, "candidate: output buffer too small");
	}
	return SDP_OK;
}

/* --- The parser. ------------------------------------------------------------------------- */

/* What we must remember about one level (0 = session, i + 1 = section i) beyond what goes into
 * the description: where each single-valued attribute was seen (0 = not seen). */
struct level {
	unsigned m_line;
	unsigned ufrag_line, pwd_line, setup_line, mid_line;
	unsigned sctp_port_line, mms_line, sctpmap_line, lanes_line;
	uint16_t sctp_port, sctpmap_port;
	uint64_t mms, lanes;
	bool sctpmap_dc; /* a=sctpmap names webrtc-datachannel */
};

struct parser {
	const char *text;
	size_t len, pos;
	unsigned lineno;
	enum sdp_type type;
	struct sdp_desc *d;
	char *err;
	size_t errlen;
	bool saw_v, saw_o, saw_bundle, eoc_session;
	int cur; /* current section, -1 while at session level */
	bool have_data;
	unsigned data_line;
	struct level lv[SDP_MAX_SECTIONS + 1];
};

SDP_PRINTF(4, 5)
static int pfail_at(struct parser *p, unsigned line, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		return fail(p->err, p->errlen, code, "line %u: %s", line, msg);
	return fail(p->err, p->errlen, code, "%s", msg);
}

#define pfail(p, code, ...) pfail_at((p), (p)->lineno, (code), __VA_ARGS__)

static struct level *cur_level(struct parser *p)
{
	return &p->lv[p->cur + 1];
}

static struct sdp_transport *cur_transport(struct parser *p)
{
	return p->cur < 0 ? &p->d->session : &p->d->sections[p->cur].transport;
}

static struct sdp_section *cur_section(struct parser *p)
{
	return p->cur < 0 ? NULL : &p->d->sections[p->cur];
}

/* A single-valued attribute may appear once per level. */
static int once(struct parser *p, unsigned *seen, const char *name)
{
	if (*seen)
		return pfail(p, SDP_E_INVALID, "duplicate a=%s (first at line %u)", name, *seen);
	*seen = p->lineno;
	return SDP_OK;
}

static int attr_ufrag(struct parser *p, struct span v)
{
	int rc = once(p, &cur_level(p)->ufrag_line, "ice-ufrag");
	if (rc != SDP_OK)
		return rc;
	if (!ice_string_ok(v, SDP_UFRAG_MIN, SDP_UFRAG_MAX))
		return pfail(p, SDP_E_INVALID, "a=ice-ufrag must be %d-%d ice-chars (RFC 8839 §5.4)",
			     SDP_UFRAG_MIN, SDP_UFRAG_MAX);
	span_copy(cur_transport(p)->ufrag, sizeof(cur_transport(p)->ufrag), v);
	return SDP_OK;
}

static int attr_pwd(struct parser *p, struct span v)
{
	int rc = once(p, &cur_level(p)->pwd_line, "ice-pwd");
	if (rc != SDP_OK)
		return rc;
	if (!ice_string_ok(v, SDP_PWD_MIN, SDP_PWD_MAX))
		return pfail(p, SDP_E_INVALID, "a=ice-pwd must be %d-%d ice-chars (RFC 8839 §5.4)",
			     SDP_PWD_MIN, SDP_PWD_MAX);
	span_copy(cur_transport(p)->pwd, sizeof(cur_transport(p)->pwd), v);
	return SDP_OK;
}

static int attr_ice_options(struct parser *p, struct span v)
{
	struct span tok;
	/* Several lines add up; "ice2" and other options are ignored. */
	while (span_next(&v, &tok))
		if (span_ieq(tok, "trickle"))
			cur_transport(p)->trickle = true;
	return SDP_OK;
}

static int attr_ice_lite(struct parser *p, struct span v)
{
	(void)v;
	p->d->ice_lite = true; /* RFC 8839 §5.3 puts it at session level; accepted anywhere */
	return SDP_OK;
}

static int attr_fingerprint(struct parser *p, struct span v)
{
	struct sdp_transport *t = cur_transport(p);
	char why[160];
	if (t->fingerprint_count == SDP_MAX_FINGERPRINTS)
		return pfail(p, SDP_E_LIMIT, "more than %d a=fingerprint lines", SDP_MAX_FINGERPRINTS);
	int rc = fingerprint_from_value(v, &t->fingerprints[t->fingerprint_count], why,
					sizeof(why));
	if (rc != SDP_OK) {
		memset(&t->fingerprints[t->fingerprint_count], 0, sizeof(t->fingerprints[0]));
		return pfail(p, rc, "%s", why);
	}
	t->fingerprint_count++;
	return SDP_OK;
}

static int attr_setup(struct parser *p, struct span v)
{
	enum sdp_setup role = SDP_SETUP_NONE;
	int rc = once(p, &cur_level(p)->setup_line, "setup");
	if (rc != SDP_OK)
		return rc;
	if (span_ieq(v, "actpass"))
		role = SDP_SETUP_ACTPASS;
	else if (span_ieq(v, "active"))
		role = SDP_SETUP_ACTIVE;
	else if (span_ieq(v, "passive"))
		role = SDP_SETUP_PASSIVE;
	else if (span_ieq(v, "holdconn"))
		role = SDP_SETUP_HOLDCONN;
	else
		return pfail(p, SDP_E_SYNTAX, "a=setup must be actpass, active, passive or holdconn");
	if (role == SDP_SETUP_ACTPASS && p->type == SDP_ANSWER)
		/* Both sides would wait for the other's ClientHello (WEBRTC-NOTES 8 #3). */
		return pfail(p, SDP_E_INVALID,
			     "a=setup:actpass is illegal in an answer (RFC 5763 §5)");
	if (role == SDP_SETUP_HOLDCONN)
		return pfail(p, SDP_E_UNSUPPORTED,
			     "a=setup:holdconn: the peer does not want a DTLS connection");
	cur_transport(p)->setup = role;
	return SDP_OK;
}

static int attr_mid(struct parser *p, struct span v)
{
	struct sdp_section *s = cur_section(p);
	if (!s)
		return SDP_OK; /* a=mid is media-level only (RFC 5888 §4); ignore it elsewhere */
	int rc = once(p, &cur_level(p)->mid_line, "mid");
	if (rc != SDP_OK)
		return rc;
	if (!span_is_token(v, SDP_MID_MAX))
		return pfail(p, SDP_E_INVALID, "a=mid must be a token of 1-%d characters",
			     SDP_MID_MAX);
	for (int i = 0; i < p->cur; i++)
		if (span_eq(v, p->d->sections[i].mid))
			return pfail(p, SDP_E_INVALID, "mid '%s' already used by the m= line at line %u",
				     p->d->sections[i].mid, p->lv[i + 1].m_line);
	span_copy(s->mid, sizeof(s->mid), v);
	return SDP_OK;
}

/* a=group:BUNDLE <mid>... (RFC 9143 §5). Only the first BUNDLE group is kept: rtcpeer runs one
 * transport, and browsers send one group. */
static int attr_group(struct parser *p, struct span v)
{
	struct span sem, mid;
	struct sdp_desc *d = p->d;
	if (p->cur >= 0 || p->saw_bundle || !span_next(&v, &sem) || !span_ieq(sem, "BUNDLE"))
		return SDP_OK;
	p->saw_bundle = true;
	while (span_next(&v, &mid)) {
		if (d->bundle_count == SDP_MAX_SECTIONS)
			return pfail(p, SDP_E_LIMIT, "a=group:BUNDLE lists more than %d mids",
				     SDP_MAX_SECTIONS);
		if (!span_is_token(mid, SDP_MID_MAX))
			return pfail(p, SDP_E_INVALID, "a=group:BUNDLE: mids are tokens of 1-%d "
				     "characters", SDP_MID_MAX);
		span_copy(d->bundle[d->bundle_count], sizeof(d->bundle[0]), mid);
		d->bundle_count++;
	}
	return SDP_OK;
}

static int attr_sctp_port(struct parser *p, struct span v)
{
	struct level *l = cur_level(p);
	int rc = once(p, &l->sctp_port_line, "sctp-port");
	if (rc != SDP_OK)
		return rc;
	if (!span_port(v, &l->sctp_port) || l->sctp_port == 0)
		return pfail(p, SDP_E_INVALID, "a=sctp-port must be 1-65535 (RFC 8841 §5)");
	return SDP_OK;
}

static int attr_max_message_size(struct parser *p, struct span v)
{
	struct level *l = cur_level(p);
	int rc = once(p, &l->mms_line, "max-message-size");
	if (rc != SDP_OK)
		return rc;
	if (!span_uint(v, UINT64_MAX, &l->mms))
		return pfail(p, SDP_E_INVALID,
			     "a=max-message-size must be a decimal number (RFC 8841 §6)");
	return SDP_OK;
}

/* a=x-rtcpeer-lanes:<n> (proto/TRANSFER.md §12): rtcpeer's own, media level only. Nothing
 * depends on it being well formed: a bad value, a second line or one at session level means
 * no lanes, never a refused description. */
static int attr_lanes(struct parser *p, struct span v)
{
	struct level *l = cur_level(p);
	uint64_t n;
	if (p->cur < 0 || l->lanes_line)
		return SDP_OK;
	l->lanes_line = p->lineno;
	l->lanes = span_uint(v, SDP_MAX_LANES, &n) && n > 0 ? n : 1;
	return SDP_OK;
}

/* Legacy draft form: a=sctpmap:<port> webrtc-datachannel [<streams>]; kept when the number
 * matches the m= line's format (the SCTP port). */
static int attr_sctpmap(struct parser *p, struct span v)
{
	struct sdp_section *s = cur_section(p);
	struct level *l = cur_level(p);
	struct span num, proto;
	uint16_t port;
	if (!s || !span_next(&v, &num) || !span_eq(num, s->fmt))
		return SDP_OK;
	int rc = once(p, &l->sctpmap_line, "sctpmap");
	if (rc != SDP_OK)
		return rc;
	if (!span_port(num, &port) || port == 0 || !span_next(&v, &proto))
		return pfail(p, SDP_E_INVALID, "a=sctpmap needs '<port> <protocol>'");
	l->sctpmap_port = port;
	l->sctpmap_dc = span_ieq(proto, "webrtc-datachannel");
	return SDP_OK;
}

static bool candidate_known(const struct sdp_desc *d, const char *line)
{
	for (size_t i = 0; i < d->candidate_count; i++)
		if (strcmp(d->candidates[i].line, line) == 0)
			return true;
	return false;
}

/* Keeps a normalised copy; unusable but well-formed candidates are counted and skipped. */
static int add_candidate(struct sdp_desc *d, const struct cand *c, size_t section,
			 char *why, size_t whylen)
{
	char line[SDP_CAND_MAX + 1];
	if (!cand_format(c, NULL, false, line, sizeof(line)))
		return fail(why, whylen, SDP_E_LIMIT, "candidate longer than %d bytes",
			    SDP_CAND_MAX);
	if (candidate_known(d, line))
		return SDP_OK;
	if (d->candidate_count == SDP_MAX_CANDIDATES)
		return fail(why, whylen, SDP_E_LIMIT, "more than %d candidates",
			    SDP_MAX_CANDIDATES);
	struct sdp_candidate *dst = &d->candidates[d->candidate_count++];
	memcpy(dst->line, line, sizeof(line));
	dst->section = section;
	dst->addr_kind = c->info.addr_kind;
	return SDP_OK;
}

static int attr_candidate(struct parser *p, struct span v)
{
	struct cand c;
	char why[160];
	if (p->cur < 0)
		return SDP_OK; /* media-level attribute (RFC 8839 §5.1) */
	int rc = cand_parse_rest(v, &c, why, sizeof(why));
	if (rc == SDP_E_UNSUPPORTED) {
		p->d->candidates_skipped++;
		return SDP_OK;
	}
	if (rc == SDP_OK)
		rc = add_candidate(p->d, &c, (size_t)p->cur, why, sizeof(why));
	return rc == SDP_OK ? SDP_OK : pfail(p, rc, "a=candidate: %s", why);
}

static int attr_end_of_candidates(struct parser *p, struct span v)
{
	(void)v;
	if (p->cur < 0)
		p->eoc_session = true;
	else
		cur_section(p)->end_of_candidates = true;
	return SDP_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct parser *p, struct span value);
} attr_table[] = {
	{"ice-ufrag", attr_ufrag},
	{"ice-pwd", attr_pwd},
	{"ice-options", attr_ice_options},
	{"ice-lite", attr_ice_lite},
	{"fingerprint", attr_fingerprint},
	{"setup", attr_setup},
	{"mid", attr_mid},
	{"group", attr_group},
	{"sctp-port", attr_sctp_port},
	{"max-message-size", attr_max_message_size},
	{"sctpmap", attr_sctpmap},
	{"x-rtcpeer-lanes", attr_lanes},
	{"candidate", attr_candidate},
	{"end-of-candidates", attr_end_of_candidates},
};

/* a=<name>[:<value>]; unknown attributes are ignored (RFC 8866 §5.13; WEBRTC-NOTES 8 #26). */
static int on_attribute(struct parser *p, struct span v)
{
	const char *colon = memchr(v.p, ':', v.n);
	struct span name = span_of(v.p, colon ? (size_t)(colon - v.p) : v.n);
	struct span value = colon ? span_of(colon + 1, v.n - name.n - 1) : span_of(v.p + v.n, 0);
	for (size_t i = 0; i < sizeof(attr_table) / sizeof(attr_table[0]); i++)
		if (span_ieq(name, attr_table[i].name))
			return attr_table[i].fn(p, value);
	return SDP_OK;
}

static int on_version(struct parser *p, struct span v)
{
	if (p->saw_v)
		return pfail(p, SDP_E_SYNTAX, "second v= line (two descriptions run together?)");
	p->saw_v = true;
	if (!span_eq(v, "0"))
		return pfail(p, SDP_E_SYNTAX, "v= must be 0 (RFC 8866 §5.1)");
	return SDP_OK;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static int on_origin(struct parser *p, struct span v)
{
	struct span tok[6], extra;
	if (p->cur >= 0)
		return pfail(p, SDP_E_SYNTAX, "o= inside an m= section");
	if (p->saw_o)
		return pfail(p, SDP_E_SYNTAX, "second o= line");
	p->saw_o = true;
	for (int i = 0; i < 6; i++)
		if (!span_next(&v, &tok[i]))
			return pfail(p, SDP_E_SYNTAX, "o= needs 6 fields (RFC 8866 §5.2)");
	if (span_next(&v, &extra))
		return pfail(p, SDP_E_SYNTAX, "o= has more than 6 fields");
	if (!span_uint(tok[1], UINT64_MAX, &p->d->session_id) ||
	    !span_uint(tok[2], UINT64_MAX, &p->d->session_version))
		return pfail(p, SDP_E_INVALID, "o= session id and version must be 64-bit numbers");
	return SDP_OK;
}

static enum sdp_media media_of(const char *kind)
{
	if (strcmp(kind, "audio") == 0)
		return SDP_MEDIA_AUDIO;
	if (strcmp(kind, "video") == 0)
		return SDP_MEDIA_VIDEO;
	if (strcmp(kind, "application") == 0)
		return SDP_MEDIA_APPLICATION;
	return SDP_MEDIA_OTHER;
}

/* "<port>" or "<port>/<count>" (RFC 8866 §5.14). */
static bool media_port(struct span s, uint16_t *port)
{
	const char *slash = memchr(s.p, '/', s.n);
	uint64_t count;
	if (!slash)
		return span_port(s, port);
	size_t head = (size_t)(slash - s.p);
	return span_port(span_of(s.p, head), port) &&
	       span_uint(span_of(slash + 1, s.n - head - 1), 65535, &count);
}

static bool proto_is(struct span s, const char *name)
{
	return span_ieq(s, name);
}

/* Decides whether the section just finished is the data channel (RFC 8841 §4, or the legacy
 * draft form), and fills its SCTP parameters. */
static int close_section(struct parser *p)
{
	struct sdp_section *s = cur_section(p);
	struct level *l = cur_level(p), *sess = &p->lv[0];
	struct span proto = span_str(s->proto);
	if (s->media != SDP_MEDIA_APPLICATION || s->port == 0)
		return SDP_OK;
	bool modern = (proto_is(proto, "UDP/DTLS/SCTP") || proto_is(proto, "TCP/DTLS/SCTP")) &&
		      strcmp(s->fmt, "webrtc-datachannel") == 0;
	bool legacy = proto_is(proto, "DTLS/SCTP") && l->sctpmap_line && l->sctpmap_dc;
	if (!modern && !legacy)
		return SDP_OK;
	if (p->have_data)
		return pfail_at(p, l->m_line, SDP_E_UNSUPPORTED,
				"second data-channel section (the first is at line %u); rtcpeer "
				"runs one SCTP association",
				p->data_line);
	p->have_data = true;
	p->data_line = l->m_line;
	p->d->data_index = (size_t)p->cur;
	s->is_data = true;
	s->legacy_sctpmap = legacy;
	if (legacy)
		s->sctp_port = l->sctpmap_port;
	else
		s->sctp_port = l->sctp_port_line ? l->sctp_port
			       : sess->sctp_port_line ? sess->sctp_port
						      : SDP_DEFAULT_SCTP_PORT;
	s->max_message_size = l->mms_line ? l->mms
			      : sess->mms_line ? sess->mms
					       : SDP_DEFAULT_MAX_MESSAGE_SIZE;
	s->lanes = l->lanes_line ? (uint8_t)l->lanes : 1;
	return SDP_OK;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static int on_media(struct parser *p, struct span v)
{
	struct span kind, port, proto, fmt;
	int rc;
	if (p->cur >= 0 && (rc = close_section(p)) != SDP_OK)
		return rc;
	if (p->d->section_count == SDP_MAX_SECTIONS)
		return pfail(p, SDP_E_LIMIT, "more than %d m= sections", SDP_MAX_SECTIONS);
	p->cur = (int)p->d->section_count++;
	struct sdp_section *s = cur_section(p);
	cur_level(p)->m_line = p->lineno;
	if (!span_next(&v, &kind) || !span_next(&v, &port) || !span_next(&v, &proto) ||
	    !span_next(&v, &fmt))
		return pfail(p, SDP_E_SYNTAX, "m= needs '<media> <port> <proto> <fmt>...'");
	if (!span_is_token(kind, SDP_TOKEN_MAX) || !media_port(port, &s->port) ||
	    proto.n > SDP_TOKEN_MAX || !span_all(proto, is_proto_char) ||
	    !span_is_token(fmt, SDP_TOKEN_MAX))
		return pfail(p, SDP_E_SYNTAX,
			     "bad m= line (tokens of at most %d characters, port 0-65535)",
			     SDP_TOKEN_MAX);
	span_copy(s->kind, sizeof(s->kind), kind);
	span_copy(s->proto, sizeof(s->proto), proto);
	span_copy(s->fmt, sizeof(s->fmt), fmt);
	s->media = media_of(s->kind);
	return SDP_OK;
}

/* Printable text only: control bytes would reach logs and libnice. */
static int check_line_bytes(struct parser *p, struct span line)
{
	for (size_t i = 0; i < line.n; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if (c == '\r')
			return pfail(p, SDP_E_SYNTAX, "CR inside a line (lines end in LF or CRLF)");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return pfail(p, SDP_E_SYNTAX, "control byte 0x%02x", c);
	}
	return SDP_OK;
}

static int on_line(struct parser *p, struct span line)
{
	if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
		return pfail(p, SDP_E_SYNTAX, "expected '<letter>=<value>'");
	struct span v = span_of(line.p + 2, line.n - 2);
	if (!p->saw_v && line.p[0] != 'v')
		return pfail(p, SDP_E_SYNTAX, "a description starts with v=0");
	switch (line.p[0]) {
	case 'v':
		return on_version(p, v);
	case 'o':
		return on_origin(p, v);
	case 'm':
		return on_media(p, v);
	case 'a':
		return on_attribute(p, v);
	default:
		return SDP_OK; /* s= t= c= b= i= ... carry nothing rtcpeer uses */
	}
}

/* Splits on LF (an optional CR before it is part of the line end), enforcing the limits. */
static int parse_lines(struct parser *p)
{
	while (p->pos < p->len) {
		const char *start = p->text + p->pos;
		size_t left = p->len - p->pos;
		const char *nl = memchr(start, '\n', left);
		size_t n = nl ? (size_t)(nl - start) : left;
		p->pos += nl ? n + 1 : n;
		if (++p->lineno > SDP_MAX_LINES)
			return pfail(p, SDP_E_LIMIT, "more than %d lines", SDP_MAX_LINES);
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n > SDP_MAX_LINE)
			return pfail(p, SDP_E_LIMIT, "longer than %d bytes", SDP_MAX_LINE);
		struct span line = span_of(start, n);
		int rc = check_line_bytes(p, line);
		if (rc != SDP_OK)
			return rc;
		while (line.n > 0 && is_ws(line.p[line.n - 1]))
			line.n--;
		if (line.n == 0)
			continue; /* blank lines: tolerated */
		if ((rc = on_line(p, line)) != SDP_OK)
			return rc;
	}
	return SDP_OK;
}

/* --- Resolve: BUNDLE inheritance, defaults, required values, candidate filtering. -------- */

static int section_by_mid(const struct sdp_desc *d, const char *mid)
{
	for (size_t i = 0; i < d->section_count; i++)
		if (mid[0] && strcmp(d->sections[i].mid, mid) == 0)
			return (int)i;
	return -1;
}

static bool in_bundle(const struct sdp_desc *d, size_t section)
{
	const char *mid = d->sections[section].mid;
	for (size_t i = 0; mid[0] && i < d->bundle_count; i++)
		if (strcmp(d->bundle[i], mid) == 0)
			return true;
	return false;
}

/* RFC 9143 §7.3.1/§7.4: the tagged section is the first mid of the group that is in use. */
static int bundle_tag(const struct sdp_desc *d)
{
	for (size_t i = 0; i < d->bundle_count; i++) {
		int s = section_by_mid(d, d->bundle[i]);
		if (s >= 0 && d->sections[s].port != 0)
			return s;
	}
	return -1;
}

/* Fills what the section does not say from the BUNDLE tag's own values, then the session's.
 * Trickle is a capability, not a setting: said at any of those levels, it holds (RFC 8838 §3
 * only asks that it be advertised). */
static void inherit(struct sdp_transport *t, const struct sdp_transport *tag,
		    const struct sdp_transport *session)
{
	const struct sdp_transport *from[2] = {tag, session};
	for (size_t i = 0; i < 2; i++) {
		const struct sdp_transport *src = from[i];
		if (!src)
			continue;
		if (!t->ufrag[0])
			memcpy(t->ufrag, src->ufrag, sizeof(t->ufrag));
		if (!t->pwd[0])
			memcpy(t->pwd, src->pwd, sizeof(t->pwd));
		if (t->fingerprint_count == 0) {
			memcpy(t->fingerprints, src->fingerprints, sizeof(t->fingerprints));
			t->fingerprint_count = src->fingerprint_count;
		}
		if (t->setup == SDP_SETUP_NONE)
			t->setup = src->setup;
		t->trickle = t->trickle || src->trickle;
	}
}

static void resolve_transports(struct parser *p)
{
	struct sdp_desc *d = p->d;
	int tag = bundle_tag(d);
	struct sdp_transport tag_own;
	memset(&tag_own, 0, sizeof(tag_own));
	if (tag >= 0)
		tag_own = d->sections[tag].transport; /* copied before it inherits anything */
	for (size_t i = 0; i < d->section_count; i++) {
		struct sdp_transport *t = &d->sections[i].transport;
		bool via_tag = tag >= 0 && (size_t)tag != i && in_bundle(d, i);
		inherit(t, via_tag ? &tag_own : NULL, &d->session);
		if (t->setup == SDP_SETUP_NONE) {
			/* See sdp.h: offers are actpass (RFC 5763 §5), a silent answerer is taken to
			 * be the DTLS client as Chrome does. */
			t->setup = p->type == SDP_OFFER ? SDP_SETUP_ACTPASS : SDP_SETUP_ACTIVE;
			t->setup_implied = true;
		}
	}
}

static int require_data_transport(struct parser *p)
{
	const struct sdp_section *s = &p->d->sections[p->d->data_index];
	const char *what = NULL;
	if (!s->transport.ufrag[0])
		what = "a=ice-ufrag";
	else if (!s->transport.pwd[0])
		what = "a=ice-pwd";
	else if (s->transport.fingerprint_count == 0)
		what = "a=fingerprint";
	if (!what)
		return SDP_OK;
	return pfail_at(p, 0, SDP_E_MISSING,
			"the data-channel section (m= at line %u, mid '%s') has no %s at media "
			"or session level",
			p->data_line, s->mid, what);
}

/* Keeps the candidates of the data channel's transport: its own section, or any section of the
 * BUNDLE group it is in (browsers may list them only in the tagged section). */
static void filter_candidates(struct sdp_desc *d, bool eoc_session)
{
	bool bundled = in_bundle(d, d->data_index);
	size_t kept = 0;
	d->end_of_candidates = eoc_session;
	for (size_t i = 0; i < d->section_count; i++)
		if ((i == d->data_index || (bundled && in_bundle(d, i))) &&
		    d->sections[i].end_of_candidates)
			d->end_of_candidates = true;
	for (size_t i = 0; i < d->candidate_count; i++) {
		size_t s = d->candidates[i].section;
		if (s == d->data_index || (bundled && in_bundle(d, s)))
			d->candidates[kept++] = d->candidates[i];
	}
	for (size_t i = kept; i < d->candidate_count; i++)
		memset(&d->candidates[i], 0, sizeof(d->candidates[i]));
	d->candidate_count = kept;
}

static int resolve(struct parser *p)
{
	int rc;
	if (p->cur >= 0 && (rc = close_section(p)) != SDP_OK)
		return rc;
	if (!p->saw_o)
		return pfail_at(p, 0, SDP_E_MISSING, "no o= line");
	if (!p->have_data)
		return pfail_at(p, 0, SDP_E_MISSING,
				"no usable data-channel section (m=application <port> UDP/DTLS/SCTP "
				"webrtc-datachannel, or DTLS/SCTP <port> with a=sctpmap)");
	resolve_transports(p);
	if ((rc = require_data_transport(p)) != SDP_OK)
		return rc;
	filter_candidates(p->d, p->eoc_session);
	p->d->type = p->type;
	return SDP_OK;
}

int sdp_parse(const char *text, size_t len, enum sdp_type type, struct sdp_desc *out,
	      char *err, size_t errlen)
{
	struct parser p;
	int rc;
	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return fail(err, errlen, SDP_E_INVALID, "no output description");
	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.text = text;
	p.len = len;
	p.type = type;
	p.d = out;
	p.err = err;
	p.errlen = errlen;
	p.cur = -1;
	if (type != SDP_OFFER && type != SDP_ANSWER)
		rc = fail(err, errlen, SDP_E_INVALID, "type must be offer or answer");
	else if (!text || len == 0)
		rc = fail(err, errlen, SDP_E_SYNTAX, "empty description");
	else if (len > SDP_MAX_TEXT)
		rc = fail(err, errlen, SDP_E_LIMIT, "description is %zu bytes; the limit is %d",
			  len, SDP_MAX_TEXT);
	else if ((rc = parse_lines(&p)) == SDP_OK)
		rc = resolve(&p);
	if (rc != SDP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* --- Validation (what the writer relies on). --------------------------------------------- */

const struct sdp_section *sdp_data_section(const struct sdp_desc *d)
{
	if (!d || d->data_index >= d->section_count || d->section_count > SDP_MAX_SECTIONS ||
	    !d->sections[d->data_index].is_data)
		return NULL;
	return &d->sections[d->data_index];
}

static int validate_section(const struct sdp_desc *d, size_t i, char *err, size_t errlen)
{
	const struct sdp_section *s = &d->sections[i];
	size_t proto_n = strnlen(s->proto, sizeof(s->proto));
	if (!str_is_token(s->kind, sizeof(s->kind), 1) || !str_is_token(s->fmt, sizeof(s->fmt), 1) ||
	    proto_n == 0 || proto_n >= sizeof(s->proto) ||
	    !span_all(span_of(s->proto, proto_n), is_proto_char))
		return fail(err, errlen, SDP_E_INVALID, "section %zu: bad kind, proto or format", i);
	if (!str_is_token(s->mid, sizeof(s->mid), 0))
		return fail(err, errlen, SDP_E_INVALID, "section %zu: bad mid", i);
	for (size_t j = 0; j < i; j++)
		if (s->mid[0] && strcmp(s->mid, d->sections[j].mid) == 0)
			return fail(err, errlen, SDP_E_INVALID, "sections %zu and %zu share mid '%s'",
				    j, i, s->mid);
	if (s->is_data != (i == d->data_index))
		return fail(err, errlen, SDP_E_INVALID, "section %zu: data flag disagrees with "
			    "data_index", i);
	return SDP_OK;
}

static int validate_transport(const struct sdp_transport *t, enum sdp_type type, char *err,
			      size_t errlen)
{
	if (!ice_cstr_ok(t->ufrag, sizeof(t->ufrag), SDP_UFRAG_MIN, SDP_UFRAG_MAX) ||
	    !ice_cstr_ok(t->pwd, sizeof(t->pwd), SDP_PWD_MIN, SDP_PWD_MAX))
		return fail(err, errlen, SDP_E_INVALID, "ICE ufrag/pwd are not %d-%d / %d-%d "
			    "ice-chars (RFC 8839 §5.4)", SDP_UFRAG_MIN, SDP_UFRAG_MAX,
			    SDP_PWD_MIN, SDP_PWD_MAX);
	if (t->fingerprint_count == 0 || t->fingerprint_count > SDP_MAX_FINGERPRINTS)
		return fail(err, errlen, SDP_E_INVALID, "needs 1-%d fingerprints",
			    SDP_MAX_FINGERPRINTS);
	for (size_t i = 0; i < t->fingerprint_count; i++)
		if (!fingerprint_ok(&t->fingerprints[i]))
			return fail(err, errlen, SDP_E_INVALID, "fingerprint %zu is malformed", i);
	bool ok = t->setup == SDP_SETUP_ACTIVE || t->setup == SDP_SETUP_PASSIVE ||
		  (t->setup == SDP_SETUP_ACTPASS && type == SDP_OFFER);
	if (!ok)
		return fail(err, errlen, SDP_E_INVALID, "setup '%s' is not allowed in an %s",
			    sdp_setup_name(t->setup), sdp_type_name(type));
	return SDP_OK;
}

static int validate_candidates(const struct sdp_desc *d, char *err, size_t errlen)
{
	struct cand c;
	char why[160];
	if (d->candidate_count > SDP_MAX_CANDIDATES)
		return fail(err, errlen, SDP_E_LIMIT, "more than %d candidates", SDP_MAX_CANDIDATES);
	for (size_t i = 0; i < d->candidate_count; i++) {
		const struct sdp_candidate *sc = &d->candidates[i];
		size_t n = strnlen(sc->line, sizeof(sc->line));
		if (n == sizeof(sc->line) || sc->section >= d->section_count ||
		    cand_parse(sc->line, n, &c, why, sizeof(why)) != SDP_OK)
			return fail(err, errlen, SDP_E_INVALID, "candidate %zu is malformed", i);
	}
	return SDP_OK;
}

int sdp_validate(const struct sdp_desc *d, char *err, size_t errlen)
{
	int rc;
	if (!d || (d->type != SDP_OFFER && d->type != SDP_ANSWER))
		return fail(err, errlen, SDP_E_INVALID, "type must be offer or answer");
	if (d->section_count == 0 || d->section_count > SDP_MAX_SECTIONS ||
	    d->bundle_count > SDP_MAX_SECTIONS)
		return fail(err, errlen, SDP_E_INVALID, "needs 1-%d sections", SDP_MAX_SECTIONS);
	const struct sdp_section *data = sdp_data_section(d);
	if (!data || data->media != SDP_MEDIA_APPLICATION || data->port == 0 ||
	    data->sctp_port == 0)
		return fail(err, errlen, SDP_E_INVALID, "no usable data-channel section");
	if (data->lanes > SDP_MAX_LANES)
		return fail(err, errlen, SDP_E_INVALID, "lanes must be 0-%d", SDP_MAX_LANES);
	for (size_t i = 0; i < d->section_count; i++)
		if ((rc = validate_section(d, i, err, errlen)) != SDP_OK)
			return rc;
	for (size_t i = 0; i < d->bundle_count; i++)
		if (!str_is_token(d->bundle[i], sizeof(d->bundle[i]), 1))
			return fail(err, errlen, SDP_E_INVALID, "bad mid in the BUNDLE group");
	if ((rc = validate_transport(&data->transport, d->type, err, errlen)) != SDP_OK)
		return rc;
	return validate_candidates(d, err, errlen);
}

/* --- The writer. ------------------------------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

SDP_PRINTF(2, 3)
static void sb_line(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		if (b->failed)
			return;
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = b->buf ? vsnprintf(b->buf + b->len, room, fmt, ap) : -1;
		va_end(ap);
		if (n >= 0 && (size_t)n + 2 < room) {
			b->len += (size_t)n;
			memcpy(b->buf + b->len, "\r\n", 3);
			b->len += 2;
			return;
		}
		/* Our output always fits the parser's limit (worst case is about 42 KiB); a bigger
		 * one would not parse back, so it is refused. */
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *nb = cap <= SDP_MAX_TEXT + 1 ? realloc(b->buf, cap) : NULL;
		if (!nb) {
			b->failed = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
}

static void write_session(struct sbuf *b, const struct sdp_desc *d)
{
	const char *data_mid = d->sections[d->data_index].mid;
	sb_line(b, "v=0");
	sb_line(b, "o=- %llu %llu IN IP4 0.0.0.0", (unsigned long long)d->session_id,
		(unsigned long long)d->session_version);
	sb_line(b, "s=-");
	sb_line(b, "t=0 0");
	/* Only the data section is ever accepted, so only its mid can be bundled (RFC 9143 §7.3.3:
	 * rejected sections leave the group). */
	if (in_bundle(d, d->data_index))
		sb_line(b, "a=group:BUNDLE %s", data_mid);
	if (d->ice_lite)
		sb_line(b, "a=ice-lite");
	if (d->session.trickle)
		sb_line(b, "a=ice-options:trickle");
	sb_line(b, "a=msid-semantic:WMS *");
}

static void write_rejected(struct sbuf *b, const struct sdp_section *s)
{
	/* RFC 3264 §6: port 0 rejects; the format list must still hold one format. */
	sb_line(b, "m=%s 0 %s %s", s->kind, s->proto, s->fmt);
	sb_line(b, "c=IN IP4 0.0.0.0");
	if (s->mid[0])
		sb_line(b, "a=mid:%s", s->mid);
}

static void write_data(struct sbuf *b, const struct sdp_desc *d, const struct sdp_section *s)
{
	const struct sdp_transport *t = &s->transport;
	char hex[SDP_FP_TEXT_MAX];
	sb_line(b, "m=application %u UDP/DTLS/SCTP webrtc-datachannel", (unsigned)s->port);
	sb_line(b, "c=IN IP4 0.0.0.0");
	if (s->mid[0])
		sb_line(b, "a=mid:%s", s->mid);
	sb_line(b, "a=ice-ufrag:%s", t->ufrag);
	sb_line(b, "a=ice-pwd:%s", t->pwd);
	if (t->trickle)
		sb_line(b, "a=ice-options:trickle");
	for (size_t i = 0; i < t->fingerprint_count; i++) {
		const struct sdp_fingerprint *fp = &t->fingerprints[i];
		if (sdp_fingerprint_format(fp->bytes, fp->len, hex, sizeof(hex)) != SDP_OK) {
			b->failed = true;
			return;
		}
		sb_line(b, "a=fingerprint:%s %s", fp->alg, hex);
	}
	sb_line(b, "a=setup:%s", sdp_setup_name(t->setup));
	sb_line(b, "a=sctp-port:%u", (unsigned)s->sctp_port);
	sb_line(b, "a=max-message-size:%llu", (unsigned long long)s->max_message_size);
	if (s->lanes > 1)
		sb_line(b, "a=x-rtcpeer-lanes:%u", (unsigned)s->lanes);
	for (size_t i = 0; i < d->candidate_count; i++)
		sb_line(b, "a=%s", d->candidates[i].line);
	if (d->end_of_candidates)
		sb_line(b, "a=end-of-candidates");
}

char *sdp_write(const struct sdp_desc *d)
{
	struct sbuf b = {NULL, 0, 0, false};
	if (sdp_validate(d, NULL, 0) != SDP_OK)
		return NULL;
	write_session(&b, d);
	for (size_t i = 0; i < d->section_count; i++) {
		if (i == d->data_index)
			write_data(&b, d, &d->sections[i]);
		else
			write_rejected(&b, &d->sections[i]);
	}
	if (b.failed) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

/* --- Building our descriptions. ---------------------------------------------------------- */

void sdp_local_init(struct sdp_local *local)
{
	memset(local, 0, sizeof(*local));
	local->session_version = 1;
	local->answer_setup = SDP_SETUP_ACTIVE;
	local->mid = "0";
	local->sctp_port = SDP_DEFAULT_SCTP_PORT;
	local->max_message_size = SDP_LOCAL_MAX_MESSAGE_SIZE;
}

static int check_local(const struct sdp_local *l, char *err, size_t errlen)
{
	if (!l || !l->ufrag || !l->pwd)
		return fail(err, errlen, SDP_E_MISSING, "local ICE credentials missing");
	if (!ice_string_ok(span_str(l->ufrag), SDP_UFRAG_MIN, SDP_UFRAG_MAX) ||
	    !ice_string_ok(span_str(l->pwd), SDP_PWD_MIN, SDP_PWD_MAX))
		return fail(err, errlen, SDP_E_INVALID, "local ufrag/pwd must be %d-%d / %d-%d "
			    "ice-chars (RFC 8839 §5.4)", SDP_UFRAG_MIN, SDP_UFRAG_MAX,
			    SDP_PWD_MIN, SDP_PWD_MAX);
	if (!fingerprint_ok(&l->fingerprint))
		return fail(err, errlen, SDP_E_INVALID, "local fingerprint is malformed");
	/* RFC 9429 §5.2.1: the session id fits a signed 64-bit integer. */
	if (l->session_id > INT64_MAX)
		return fail(err, errlen, SDP_E_INVALID, "session id must be below 2^63");
	if (l->sctp_port == 0)
		return fail(err, errlen, SDP_E_INVALID, "local SCTP port must be 1-65535");
	if (l->lanes > SDP_MAX_LANES)
		return fail(err, errlen, SDP_E_INVALID, "local lanes must be 0-%d", SDP_MAX_LANES);
	return SDP_OK;
}

/* Our data section: port 9 and c=0.0.0.0 because candidates are trickled (RFC 9429 §5.2.1). */
static void local_data_section(struct sdp_section *s, const struct sdp_local *l,
			       enum sdp_setup setup)
{
	s->media = SDP_MEDIA_APPLICATION;
	span_copy(s->kind, sizeof(s->kind), span_str("application"));
	s->port = SDP_TRICKLE_PORT;
	span_copy(s->proto, sizeof(s->proto), span_str("UDP/DTLS/SCTP"));
	span_copy(s->fmt, sizeof(s->fmt), span_str("webrtc-datachannel"));
	s->is_data = true;
	s->sctp_port = l->sctp_port;
	s->max_message_size = l->max_message_size;
	s->lanes = l->lanes > 1 ? (uint8_t)l->lanes : 1;
	span_copy(s->transport.ufrag, sizeof(s->transport.ufrag), span_str(l->ufrag));
	span_copy(s->transport.pwd, sizeof(s->transport.pwd), span_str(l->pwd));
	s->transport.fingerprints[0] = l->fingerprint;
	s->transport.fingerprint_count = 1;
	s->transport.setup = setup;
	s->transport.trickle = true; /* RFC 8838 §3: we trickle */
}

static int finish_local(struct sdp_desc *out, char *err, size_t errlen)
{
	int rc = sdp_validate(out, err, errlen);
	if (rc != SDP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

int sdp_offer_create(const struct sdp_local *local, struct sdp_desc *offer, char *err,
		     size_t errlen)
{
	if (!offer)
		return fail(err, errlen, SDP_E_INVALID, "no output description");
	memset(offer, 0, sizeof(*offer));
	int rc = check_local(local, err, errlen);
	if (rc != SDP_OK)
		return rc;
	if (!local->mid || !span_is_token(span_str(local->mid), SDP_MID_MAX))
		return fail(err, errlen, SDP_E_INVALID, "local mid must be a token of 1-%d "
			    "characters", SDP_MID_MAX);
	offer->type = SDP_OFFER;
	offer->session_id = local->session_id;
	offer->session_version = local->session_version;
	offer->session.trickle = true; /* WEBRTC-NOTES 1.5 A repeats it at session level */
	offer->section_count = 1;
	offer->data_index = 0;
	local_data_section(&offer->sections[0], local, SDP_SETUP_ACTPASS);
	span_copy(offer->sections[0].mid, sizeof(offer->sections[0].mid), span_str(local->mid));
	/* RFC 9143: always bundle; Chrome's max-bundle refuses a description without a group. */
	memcpy(offer->bundle[0], offer->sections[0].mid, sizeof(offer->bundle[0]));
	offer->bundle_count = 1;
	return finish_local(offer, err, errlen);
}

/* RFC 5763 §5 / RFC 8842 §5.3: the answerer takes the role the offer leaves it. */
static int answer_role(enum sdp_setup offered, enum sdp_setup preferred, enum sdp_setup *out,
		       char *err, size_t errlen)
{
	switch (offered) {
	case SDP_SETUP_ACTPASS:
		if (preferred != SDP_SETUP_ACTIVE && preferred != SDP_SETUP_PASSIVE)
			return fail(err, errlen, SDP_E_INVALID, "answer_setup must be active or "
				    "passive");
		*out = preferred;
		return SDP_OK;
	case SDP_SETUP_ACTIVE:
		*out = SDP_SETUP_PASSIVE;
		return SDP_OK;
	case SDP_SETUP_PASSIVE:
		*out = SDP_SETUP_ACTIVE;
		return SDP_OK;
	default:
		return fail(err, errlen, SDP_E_UNSUPPORTED, "offer has setup '%s'",
			    sdp_setup_name(offered));
	}
}

int sdp_answer_create(const struct sdp_desc *offer, const struct sdp_local *local,
		      struct sdp_desc *answer, char *err, size_t errlen)
{
	enum sdp_setup role = SDP_SETUP_NONE;
	int rc;
	if (!answer)
		return fail(err, errlen, SDP_E_INVALID, "no output description");
	memset(answer, 0, sizeof(*answer));
	if (!offer || offer->type != SDP_OFFER)
		return fail(err, errlen, SDP_E_INVALID, "not an offer");
	if ((rc = sdp_validate(offer, err, errlen)) != SDP_OK ||
	    (rc = check_local(local, err, errlen)) != SDP_OK)
		return rc;
	const struct sdp_section *odata = &offer->sections[offer->data_index];
	if ((rc = answer_role(odata->transport.setup, local->answer_setup, &role, err, errlen)) !=
	    SDP_OK)
		return rc;
	answer->type = SDP_ANSWER;
	answer->session_id = local->session_id;
	answer->session_version = local->session_version;
	answer->section_count = offer->section_count;
	answer->data_index = offer->data_index;
	for (size_t i = 0; i < offer->section_count; i++) {
		const struct sdp_section *o = &offer->sections[i];
		struct sdp_section *a = &answer->sections[i];
		if (i == offer->data_index) {
			local_data_section(a, local, role);
			/* Lanes only toward a peer that asked (a browser never sees the attribute),
			 * and never more than it asked for. */
			if (o->lanes < a->lanes)
				a->lanes = o->lanes > 1 ? o->lanes : 1;
		} else {
			/* Rejected (RFC 3264 §6): same kind, proto and first format. */
			a->media = o->media;
			memcpy(a->kind, o->kind, sizeof(a->kind));
			memcpy(a->proto, o->proto, sizeof(a->proto));
			memcpy(a->fmt, o->fmt, sizeof(a->fmt));
		}
		memcpy(a->mid, o->mid, sizeof(a->mid)); /* JSEP: the answer copies every mid */
	}
	/* RFC 9143 §7.3: a group only if the offer bundled the data section. */
	if (in_bundle(offer, offer->data_index)) {
		memcpy(answer->bundle[0], odata->mid, sizeof(answer->bundle[0]));
		answer->bundle_count = 1;
	}
	return finish_local(answer, err, errlen);
}

static bool bundle_has(const struct sdp_desc *d, const char *mid)
{
	for (size_t i = 0; i < d->bundle_count; i++)
		if (strcmp(d->bundle[i], mid) == 0)
			return true;
	return false;
}

int sdp_answer_check(const struct sdp_desc *offer, const struct sdp_desc *answer, char *err,
		     size_t errlen)
{
	if (!offer || !answer || offer->type != SDP_OFFER || answer->type != SDP_ANSWER)
		return fail(err, errlen, SDP_E_INVALID, "need an offer and an answer");
	/* RFC 3264 §6: as many m= lines as the offer, in the same order. */
	if (answer->section_count != offer->section_count)
		return fail(err, errlen, SDP_E_INVALID, "answer has %zu m= sections, offer had %zu",
			    answer->section_count, offer->section_count);
	for (size_t i = 0; i < offer->section_count; i++) {
		const struct sdp_section *o = &offer->sections[i], *a = &answer->sections[i];
		if (strcmp(o->kind, a->kind) != 0 || strcmp(o->mid, a->mid) != 0)
			return fail(err, errlen, SDP_E_INVALID,
				    "answer section %zu is %s/'%s', offer had %s/'%s'", i, a->kind,
				    a->mid, o->kind, o->mid);
	}
	if (answer->data_index != offer->data_index)
		return fail(err, errlen, SDP_E_INVALID, "answer's data channel is in section %zu, "
			    "the offer's in %zu", answer->data_index, offer->data_index);
	/* RFC 9143 §7.4: only mids the offer bundled may be bundled in the answer. */
	for (size_t i = 0; i < answer->bundle_count; i++)
		if (!bundle_has(offer, answer->bundle[i]))
			return fail(err, errlen, SDP_E_INVALID,
				    "answer bundles mid '%s', which the offer did not",
				    answer->bundle[i]);
	return SDP_OK;
}

int sdp_add_candidate(struct sdp_desc *d, const char *cand, size_t len, char *err,
		      size_t errlen)
{
	struct cand c;
	char why[160];
	if (!sdp_data_section(d))
		return fail(err, errlen, SDP_E_INVALID, "description has no data section");
	int rc = cand_parse(cand, len, &c, why, sizeof(why));
	if (rc == SDP_OK)
		rc = add_candidate(d, &c, d->data_index, why, sizeof(why));
	return rc == SDP_OK ? SDP_OK : fail(err, errlen, rc, "candidate: %s", why);
}
