/*
 * xfer.c - parse, validate and build rtc-xfer.v1 / rtc-pipe.v1 control messages, check peer
 * file names, and check message order (proto/TRANSFER.md).
 *
 * Validation order is part of the protocol (TRANSFER.md §6): size, syntax, type, then members
 * in table order. Each check fails fast with the member's name in the message. Nothing a peer
 * sent is ever copied into an error message: messages are printable ASCII, so a caller may
 * print them or send them in an abort without a terminal escape slipping through.
 */
#include "xfer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[XFER_T_COUNT] = {
	[XFER_T_INVALID] = "invalid",
	[XFER_T_AUTH] = "auth",
	[XFER_T_FILE] = "file",
	[XFER_T_ACCEPT] = "accept",
	[XFER_T_REJECT] = "reject",
	[XFER_T_END] = "end",
	[XFER_T_VERDICT] = "verdict",
	[XFER_T_DONE] = "done",
	[XFER_T_BYE] = "bye",
	[XFER_T_ABORT] = "abort",
	[XFER_T_EOF] = "eof",
};

static const char *const error_wire[XFER_ERROR_COUNT] = {
#define XFER_X_WIRE(sym, wire, human) [sym] = wire,
	XFER_ERRORS(XFER_X_WIRE)
#undef XFER_X_WIRE
};

static const char *const error_human[XFER_ERROR_COUNT] = {
#define XFER_X_HUMAN(sym, wire, human) [sym] = human,
	XFER_ERRORS(XFER_X_HUMAN)
#undef XFER_X_HUMAN
};

static const char *const reject_wire[XFER_REJECT_COUNT] = {
#define XFER_X_WIRE(sym, wire, human) [sym] = wire,
	XFER_REJECTS(XFER_X_WIRE)
#undef XFER_X_WIRE
};

static const char *const reject_human[XFER_REJECT_COUNT] = {
#define XFER_X_HUMAN(sym, wire, human) [sym] = human,
	XFER_REJECTS(XFER_X_HUMAN)
#undef XFER_X_HUMAN
};

static const char *const verdict_wire[XFER_VERDICT_COUNT] = {
#define XFER_X_WIRE(sym, wire, human) [sym] = wire,
	XFER_VERDICTS(XFER_X_WIRE)
#undef XFER_X_WIRE
};

static const char *const verdict_human[XFER_VERDICT_COUNT] = {
#define XFER_X_HUMAN(sym, wire, human) [sym] = human,
	XFER_VERDICTS(XFER_X_HUMAN)
#undef XFER_X_HUMAN
};

const char *xfer_type_name(enum xfer_type type)
{
	if ((unsigned)type >= XFER_T_COUNT)
		return "invalid";
	return type_names[type];
}

enum xfer_type xfer_type_from_name(const char *name)
{
	for (int t = XFER_T_INVALID + 1; t < XFER_T_COUNT; t++)
		if (strcmp(type_names[t], name) == 0)
			return (enum xfer_type)t;
	return XFER_T_INVALID;
}

const char *xfer_error_wire(enum xfer_error_code code)
{
	return (unsigned)code < XFER_ERROR_COUNT ? error_wire[code] : "invalid";
}

const char *xfer_error_human(enum xfer_error_code code)
{
	return (unsigned)code < XFER_ERROR_COUNT ? error_human[code] : "invalid error code";
}

const char *xfer_reject_wire(enum xfer_reject reason)
{
	return (unsigned)reason < XFER_REJECT_COUNT ? reject_wire[reason] : NULL;
}

const char *xfer_reject_human(enum xfer_reject reason)
{
	return (unsigned)reason < XFER_REJECT_COUNT ? reject_human[reason] : "invalid reason";
}

const char *xfer_verdict_wire(enum xfer_verdict verdict)
{
	return (unsigned)verdict < XFER_VERDICT_COUNT ? verdict_wire[verdict] : NULL;
}

const char *xfer_verdict_human(enum xfer_verdict verdict)
{
	return (unsigned)verdict < XFER_VERDICT_COUNT ? verdict_human[verdict] : "invalid verdict";
}

const char *xfer_name_strerror(int result)
{
	switch (result) {
#define XFER_X_NAME_STR(sym, val, human) \
	case sym:                        \
		return human;
		XFER_NAME_ERRORS(XFER_X_NAME_STR)
#undef XFER_X_NAME_STR
	}
	return "invalid name result";
}

/* --- UTF-8 (RFC 3629 §4 table, which excludes overlong forms, surrogates and > U+10FFFF). */

/* Length of the well-formed sequence at p (1..4) with its code point in *cp, or 0. */
static size_t utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		*cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		*cp = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0; /* overlong */
		else if (b == 0xed)
			hi = 0x9f; /* U+D800..U+DFFF: surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		*cp = b & 0x07;
		if (b == 0xf0)
			lo = 0x90; /* overlong */
		else if (b == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 (overlong), F5..FF */
	}
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	*cp = (*cp << 6) | (p[1] & 0x3f);
	for (size_t i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (p[i] & 0x3f);
	}
	return n;
}

/* C0, DEL and C1: what a terminal may act on. */
static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* --- File names ------------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int name_fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int xfer_name_check(const char *name, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)name;
	uint32_t cp;
	size_t i, n;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!name || len == 0)
		return name_fail(XFER_NAME_E_EMPTY, err, errlen, "name is empty");
	if (len > XFER_NAME_MAX)
		return name_fail(XFER_NAME_E_TOO_LONG, err, errlen, "name is longer than %d bytes",
				 XFER_NAME_MAX);
	for (i = 0; i < len; i += n)
		if ((n = utf8_next(p + i, len - i, &cp)) == 0)
			return name_fail(XFER_NAME_E_UTF8, err, errlen,
					 "name is not valid UTF-8 (byte %zu)", i);
	for (i = 0; i < len; i += n) {
		n = utf8_next(p + i, len - i, &cp);
		if (is_control(cp))
			return name_fail(XFER_NAME_E_CONTROL, err, errlen,
					 "name contains control character U+%04X (byte %zu)",
					 (unsigned)cp, i);
	}
	if (memchr(name, '/', len))
		return name_fail(XFER_NAME_E_SLASH, err, errlen,
				 "name contains '/' (byte %zu): only a base name is allowed",
				 (size_t)((const char *)memchr(name, '/', len) - name));
	if (memchr(name, '\\', len))
		return name_fail(XFER_NAME_E_BACKSLASH, err, errlen,
				 "name contains '\\' (byte %zu): only a base name is allowed",
				 (size_t)((const char *)memchr(name, '\\', len) - name));
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return name_fail(XFER_NAME_E_DOT, err, errlen, "name \"%.*s\" is not a file name",
				 (int)len, name);
	return XFER_NAME_OK;
}

int xfer_name_sanitize(const char *in, char *out, size_t cap, char *err, size_t errlen)
{
	if (out && cap > 0)
		out[0] = '\0';
	if (!in)
		return xfer_name_check(NULL, 0, err, errlen);
	/* Bounded: a name longer than the limit is refused without scanning all of it. */
	size_t len = strnlen(in, XFER_NAME_MAX + 1);
	int rc = xfer_name_check(in, len, err, errlen);
	if (rc != XFER_NAME_OK)
		return rc;
	if (!out || cap < len + 1)
		return name_fail(XFER_NAME_E_SPACE, err, errlen,
				 "name needs %zu bytes, buffer has %zu", len + 1, out ? cap : 0);
	memcpy(out, in, len + 1);
	return XFER_NAME_OK;
}

/* --- Parsing ----------------------------------------------------------------------------- */

void xfer_msg_clear(struct xfer_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct xfer_error *err, enum xfer_error_code code, const char *fmt, ...)
{
	err->code = code;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	} else {
		snprintf(err->message, sizeof(err->message), "%s", xfer_error_human(code));
	}
	/* jansson's error text quotes the input ("near '...'"): keep it printable ASCII. */
	for (char *c = err->message; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	return -1;
}

enum presence { OPTIONAL, REQUIRED };

static int get_string(json_t *root, const char *key, size_t min_len, size_t max_len,
		      const char **out, struct xfer_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return fail(err, XFER_E_BAD_FIELD, "%s: required string", key);
	if (!json_is_string(v))
		return fail(err, XFER_E_BAD_FIELD, "%s: must be a string", key);
	size_t len = json_string_length(v);
	if (len < min_len || len > max_len)
		return fail(err, XFER_E_BAD_FIELD, "%s: length must be %zu..%zu bytes", key,
			    min_len, max_len);
	/* jansson refuses \u0000 without JSON_ALLOW_NUL; keep the guard in case flags change. */
	if (strlen(json_string_value(v)) != len)
		return fail(err, XFER_E_BAD_FIELD, "%s: must not contain NUL", key);
	*out = json_string_value(v);
	return 0;
}

static int get_uint(json_t *root, const char *key, uint64_t min, uint64_t *out,
		    struct xfer_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return fail(err, XFER_E_BAD_FIELD, "%s: required integer", key);
	if (!json_is_integer(v))
		return fail(err, XFER_E_BAD_FIELD, "%s: must be an integer", key);
	json_int_t n = json_integer_value(v);
	if (n < (json_int_t)min || (uint64_t)n > XFER_INT_MAX)
		return fail(err, XFER_E_BAD_FIELD, "%s: must be %llu..%llu", key,
			    (unsigned long long)min, (unsigned long long)XFER_INT_MAX);
	*out = (uint64_t)n;
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case too: one spelling per digest, so logs and tests compare */
}

static int get_hex32(json_t *root, const char *key, uint8_t out[XFER_DIGEST_LEN],
		     struct xfer_error *err)
{
	const char *s;
	if (get_string(root, key, 0, SIZE_MAX, &s, err) < 0)
		return -1;
	if (strlen(s) != XFER_HEX_LEN)
		return fail(err, XFER_E_BAD_FIELD, "%s: must be %d lower-case hex digits", key,
			    XFER_HEX_LEN);
	for (size_t i = 0; i < XFER_DIGEST_LEN; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(err, XFER_E_BAD_FIELD, "%s: must be %d lower-case hex digits",
				    key, XFER_HEX_LEN);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* `reason` as one of the wire names in table[first..count). */
static int get_enum(json_t *root, const char *key, const char *const *table, int first,
		    int count, const char *choices, int *out, struct xfer_error *err)
{
	const char *s;
	if (get_string(root, key, 0, SIZE_MAX, &s, err) < 0)
		return -1;
	for (int i = first; i < count; i++) {
		if (strcmp(s, table[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(err, XFER_E_BAD_FIELD, "%s: must be one of %s", key, choices);
}

static int parse_reject(json_t *r, struct xfer_msg *m, struct xfer_error *err)
{
	int reason = 0;
	if (get_uint(r, "id", 1, &m->id, err) < 0 ||
	    get_enum(r, "reason", reject_wire, 0, XFER_REJECT_COUNT,
		     "exists, bad-name, io-error, refused", &reason, err) < 0)
		return -1;
	m->reject = (enum xfer_reject)reason;
	return 0;
}

static int parse_verdict(json_t *r, struct xfer_msg *m, struct xfer_error *err)
{
	if (get_uint(r, "id", 1, &m->id, err) < 0)
		return -1;
	json_t *ok = json_object_get(r, "ok");
	if (!ok)
		return fail(err, XFER_E_BAD_FIELD, "ok: required boolean");
	if (!json_is_boolean(ok))
		return fail(err, XFER_E_BAD_FIELD, "ok: must be true or false");
	if (json_is_true(ok)) {
		if (json_object_get(r, "reason"))
			return fail(err, XFER_E_BAD_FIELD, "reason: must be absent when ok is true");
		m->verdict = XFER_VERDICT_OK;
		return 0;
	}
	int reason = 0;
	if (get_enum(r, "reason", verdict_wire, XFER_VERDICT_OK + 1, XFER_VERDICT_COUNT,
		     "checksum, size, io-error", &reason, err) < 0)
		return -1;
	m->verdict = (enum xfer_verdict)reason;
	return 0;
}

static int parse_abort(json_t *r, struct xfer_msg *m, struct xfer_error *err)
{
	if (get_string(r, "reason", 1, XFER_REASON_MAX, &m->reason, err) < 0)
		return -1;
	/* The receiving side prints the reason: no terminal controls. jansson has already
	 * checked that the string is valid UTF-8. */
	const unsigned char *p = (const unsigned char *)m->reason;
	size_t len = strlen(m->reason), n;
	uint32_t cp;
	for (size_t i = 0; i < len; i += n) {
		n = utf8_next(p + i, len - i, &cp);
		if (n == 0 || is_control(cp)) {
			m->reason = NULL;
			return fail(err, XFER_E_BAD_FIELD,
				    "reason: must not contain control characters (byte %zu)", i);
		}
	}
	return 0;
}

/* Optional: an auth without it is from a peer that does not stripe. */
static int parse_lanes(json_t *r, struct xfer_msg *m, struct xfer_error *err)
{
	if (!json_object_get(r, "lanes"))
		return 0;
	if (get_uint(r, "lanes", 2, &m->lanes, err) < 0)
		return -1;
	if (m->lanes > XFER_LANES_MAX) {
		m->lanes = 0;
		return fail(err, XFER_E_BAD_FIELD, "lanes: must be 2..%d", XFER_LANES_MAX);
	}
	return 0;
}

static int parse_members(json_t *r, struct xfer_msg *m, struct xfer_error *err)
{
	switch (m->type) {
	case XFER_T_AUTH:
		return get_hex32(r, "mac", m->mac, err) < 0 ? -1 : parse_lanes(r, m, err);
	case XFER_T_FILE:
		return (get_uint(r, "id", 1, &m->id, err) < 0 ||
			get_string(r, "name", 1, XFER_NAME_MAX, &m->name, err) < 0 ||
			get_uint(r, "size", 0, &m->size, err) < 0)
			       ? -1
			       : 0;
	case XFER_T_ACCEPT:
		return get_uint(r, "id", 1, &m->id, err);
	case XFER_T_REJECT:
		return parse_reject(r, m, err);
	case XFER_T_END:
		return (get_uint(r, "id", 1, &m->id, err) < 0 ||
			get_hex32(r, "sha256", m->sha256, err) < 0)
			       ? -1
			       : 0;
	case XFER_T_VERDICT:
		return parse_verdict(r, m, err);
	case XFER_T_ABORT:
		return parse_abort(r, m, err);
	case XFER_T_DONE:
	case XFER_T_BYE:
	case XFER_T_EOF:
		return 0;
	default:
		return fail(err, XFER_E_UNKNOWN_TYPE, NULL);
	}
}

int xfer_parse(const char *buf, size_t len, struct xfer_msg *m, struct xfer_error *err)
{
	json_error_t jerr;
	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));

	if (len > XFER_CONTROL_MAX)
		return fail(err, XFER_E_TOO_LARGE, "message is %zu bytes, more than %d", len,
			    XFER_CONTROL_MAX);
	/* JSON_REJECT_DUPLICATES: {"id":1,"id":2} must not mean different things to different
	 * parsers. Trailing bytes after the object are an error (no JSON_DISABLE_EOF_CHECK). */
	m->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!m->root && json_error_code(&jerr) == json_error_null_character)
		return fail(err, XFER_E_BAD_JSON, "strings must not contain \\u0000 (offset %d)",
			    jerr.position);
	if (!m->root)
		return fail(err, XFER_E_BAD_JSON, "invalid JSON at offset %d: %s", jerr.position,
			    jerr.text);
	if (!json_is_object(m->root)) {
		fail(err, XFER_E_BAD_JSON, "message must be a JSON object");
		goto fail;
	}

	json_t *type = json_object_get(m->root, "type");
	if (!json_is_string(type)) {
		fail(err, XFER_E_UNKNOWN_TYPE, "type: required string");
		goto fail;
	}
	m->type = xfer_type_from_name(json_string_value(type));
	if (m->type == XFER_T_INVALID) {
		fail(err, XFER_E_UNKNOWN_TYPE, "type: unknown message type");
		goto fail;
	}
	if (parse_members(m->root, m, err) < 0)
		goto fail;
	return 0;
fail:
	xfer_msg_clear(m);
	return -1;
}

/* --- Builders ---------------------------------------------------------------------------- */

static void hex_encode(const uint8_t in[XFER_DIGEST_LEN], char out[XFER_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < XFER_DIGEST_LEN; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[XFER_HEX_LEN] = '\0';
}

static int id_ok(uint64_t id)
{
	return id >= 1 && id <= XFER_INT_MAX;
}

/* {"type":T,"id":N} */
static json_t *with_id(const char *type, uint64_t id)
{
	if (!id_ok(id))
		return NULL;
	return json_pack("{s:s, s:I}", "type", type, "id", (json_int_t)id);
}

json_t *xfer_build_auth(const uint8_t mac[XFER_DIGEST_LEN], unsigned lanes)
{
	char hex[XFER_HEX_LEN + 1];
	if (!mac || lanes > XFER_LANES_MAX)
		return NULL;
	hex_encode(mac, hex);
	if (lanes < 2)
		return json_pack("{s:s, s:s}", "type", "auth", "mac", hex);
	return json_pack("{s:s, s:s, s:i}", "type", "auth", "mac", hex, "lanes", (int)lanes);
}

json_t *xfer_build_file(uint64_t id, const char *name, uint64_t size)
{
	if (!id_ok(id) || size > XFER_INT_MAX || !name)
		return NULL;
	size_t len = strnlen(name, XFER_NAME_MAX + 1);
	if (len == 0 || len > XFER_NAME_MAX)
		return NULL;
	/* json_pack refuses invalid UTF-8, so the builder cannot emit what the parser refuses. */
	return json_pack("{s:s, s:I, s:s, s:I}", "type", "file", "id", (json_int_t)id, "name",
			 name, "size", (json_int_t)size);
}

json_t *xfer_build_accept(uint64_t id)
{
	return with_id("accept", id);
}

json_t *xfer_build_reject(uint64_t id, enum xfer_reject reason)
{
	if (!id_ok(id) || (unsigned)reason >= XFER_REJECT_COUNT)
		return NULL;
	return json_pack("{s:s, s:I, s:s}", "type", "reject", "id", (json_int_t)id, "reason",
			 reject_wire[reason]);
}

json_t *xfer_build_end(uint64_t id, const uint8_t sha256[XFER_DIGEST_LEN])
{
	char hex[XFER_HEX_LEN + 1];
	if (!id_ok(id) || !sha256)
		return NULL;
	hex_encode(sha256, hex);
	return json_pack("{s:s, s:I, s:s}", "type", "end", "id", (json_int_t)id, "sha256", hex);
}

json_t *xfer_build_verdict(uint64_t id, enum xfer_verdict verdict)
{
	if (!id_ok(id) || (unsigned)verdict >= XFER_VERDICT_COUNT)
		return NULL;
	if (verdict == XFER_VERDICT_OK)
		return json_pack("{s:s, s:I, s:b}", "type", "verdict", "id", (json_int_t)id,
				 "ok", 1);
	return json_pack("{s:s, s:I, s:b, s:s}", "type", "verdict", "id", (json_int_t)id, "ok", 0,
			 "reason", verdict_wire[verdict]);
}

json_t *xfer_build_done(void)
{
	return json_pack("{s:s}", "type", "done");
}

json_t *xfer_build_bye(void)
{
	return json_pack("{s:s}", "type", "bye");
}

json_t *xfer_build_eof(void)
{
	return json_pack("{s:s}", "type", "eof");
}

json_t *xfer_build_abort(const char *reason)
{
	char text[XFER_REASON_MAX + 1];
	size_t o = 0;

	if (reason) {
		const unsigned char *p = (const unsigned char *)reason;
		size_t len = strlen(reason), n;
		uint32_t cp;
		for (size_t i = 0; i < len; i += n) {
			n = utf8_next(p + i, len - i, &cp);
			if (n == 0 || is_control(cp)) {
				n = n ? n : 1;
				if (o + 1 > XFER_REASON_MAX)
					break;
				text[o++] = '?';
				continue;
			}
			if (o + n > XFER_REASON_MAX)
				break;
			memcpy(text + o, reason + i, n);
			o += n;
		}
	}
	if (o == 0) {
		memcpy(text, "aborted", sizeof("aborted"));
		o = sizeof("aborted") - 1;
	}
	text[o] = '\0';
	return json_pack("{s:s, s:s}", "type", "abort", "reason", text);
}

char *xfer_dump(const json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (s && len)
		*len = strlen(s);
	return s;
}

/* --- Message order ------------------------------------------------------------------------ */

static const char *const state_names[] = {
	[XFER_S_IDLE] = "idle",
	[XFER_S_OFFERED] = "offered",
	[XFER_S_DATA] = "data",
	[XFER_S_ENDED] = "ended",
	[XFER_S_DONE] = "done",
	[XFER_S_CLOSED] = "closed",
	[XFER_S_ABORTED] = "aborted",
};

const char *xfer_state_name(enum xfer_state state)
{
	if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "invalid";
	return state_names[state];
}

void xfer_seq_init(struct xfer_seq *s, enum xfer_channel channel, enum xfer_role role)
{
	memset(s, 0, sizeof(*s));
	s->channel = channel;
	s->role = role;
	s->state = XFER_S_IDLE;
	s->next_id = 1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int order_fail(struct xfer_error *err, const char *fmt, ...)
{
	va_list ap;
	err->code = XFER_E_ORDER;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether this message comes from the side that sends the files. */
static int by_sender(const struct xfer_seq *s, enum xfer_origin from)
{
	return (from == XFER_LOCAL) == (s->role == XFER_ROLE_SENDER);
}

/* What every message but auth and abort needs: an open session, and both sides' auth first
 * (the sender's own, and the other side's, which the sender must have verified). */
static int gate(const struct xfer_seq *s, enum xfer_origin from, const char *what,
		struct xfer_error *err)
{
	if (s->state == XFER_S_CLOSED || s->state == XFER_S_ABORTED)
		return order_fail(err, "%s: the session is %s", what, xfer_state_name(s->state));
	if (!s->auth[from])
		return order_fail(err, "%s: before auth (auth must be the first message)", what);
	if (!s->auth[!from])
		return from == XFER_LOCAL
			       ? order_fail(err, "%s: before the peer's auth was verified", what)
			       : order_fail(err, "%s: before we sent our auth", what);
	return 0;
}

static int expect(const struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *m,
		  int sender_sends, enum xfer_state want, struct xfer_error *err)
{
	const char *t = xfer_type_name(m->type);
	if (by_sender(s, from) != sender_sends)
		return order_fail(err, "%s: only the %s sends it", t,
				  sender_sends ? "sender" : "receiver");
	if (s->state != want)
		return order_fail(err, "%s: not allowed in state %s (file %llu)", t,
				  xfer_state_name(s->state), (unsigned long long)s->id);
	if (m->type != XFER_T_FILE && m->type != XFER_T_DONE && m->type != XFER_T_BYE &&
	    m->id != s->id)
		return order_fail(err, "%s: id %llu, but file %llu is in flight", t,
				  (unsigned long long)m->id, (unsigned long long)s->id);
	return 0;
}

static int files_text(struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *m,
		      struct xfer_error *err)
{
	switch (m->type) {
	case XFER_T_FILE:
		if (expect(s, from, m, 1, XFER_S_IDLE, err) < 0)
			return -1;
		if (m->id != s->next_id)
			return order_fail(err, "file: id %llu, expected %llu",
					  (unsigned long long)m->id,
					  (unsigned long long)s->next_id);
		s->id = m->id;
		s->size = m->size;
		s->bytes = 0;
		s->next_id++;
		s->state = XFER_S_OFFERED;
		return 0;
	case XFER_T_ACCEPT:
		if (expect(s, from, m, 0, XFER_S_OFFERED, err) < 0)
			return -1;
		s->state = XFER_S_DATA;
		return 0;
	case XFER_T_REJECT:
		if (expect(s, from, m, 0, XFER_S_OFFERED, err) < 0)
			return -1;
		s->state = XFER_S_IDLE;
		return 0;
	case XFER_T_END:
		if (expect(s, from, m, 1, XFER_S_DATA, err) < 0)
			return -1;
		s->state = XFER_S_ENDED; /* fewer bytes than size: the verdict says "size" */
		return 0;
	case XFER_T_VERDICT:
		if (expect(s, from, m, 0, XFER_S_ENDED, err) < 0)
			return -1;
		s->state = XFER_S_IDLE;
		return 0;
	case XFER_T_DONE:
		if (expect(s, from, m, 1, XFER_S_IDLE, err) < 0)
			return -1;
		s->state = XFER_S_DONE;
		return 0;
	case XFER_T_BYE:
		if (expect(s, from, m, 0, XFER_S_DONE, err) < 0)
			return -1;
		s->state = XFER_S_CLOSED;
		return 0;
	default:
		return order_fail(err, "%s: not used on %s", xfer_type_name(m->type), XFER_LABEL);
	}
}

/* eof ends one direction; bye says "both directions ended and I wrote all you sent", so a side
 * may close only once it has sent and received bye (TRANSFER.md §9). */
static int pipe_text(struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *m,
		     struct xfer_error *err)
{
	if (m->type == XFER_T_BYE) {
		if (!s->eof[XFER_LOCAL] || !s->eof[XFER_PEER])
			return order_fail(err, "bye: before both eofs");
		if (s->bye[from])
			return order_fail(err, "bye: sent twice");
		s->bye[from] = true;
		if (s->bye[XFER_LOCAL] && s->bye[XFER_PEER])
			s->state = XFER_S_CLOSED;
		return 0;
	}
	if (m->type != XFER_T_EOF)
		return order_fail(err, "%s: not used on %s", xfer_type_name(m->type),
				  XFER_PIPE_LABEL);
	if (s->eof[from])
		return order_fail(err, "eof: sent twice");
	s->eof[from] = true;
	return 0;
}

int xfer_seq_text(struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *m,
		  struct xfer_error *err)
{
	struct xfer_error scratch;
	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	from = from == XFER_LOCAL ? XFER_LOCAL : XFER_PEER;

	if (!m || m->type <= XFER_T_INVALID || m->type >= XFER_T_COUNT)
		return order_fail(err, "invalid message");
	if (m->type == XFER_T_ABORT) {
		if (s->state == XFER_S_CLOSED || s->state == XFER_S_ABORTED)
			return order_fail(err, "abort: the session is %s",
					  xfer_state_name(s->state));
		s->state = XFER_S_ABORTED;
		return 0;
	}
	if (m->type == XFER_T_AUTH) {
		if (s->state == XFER_S_CLOSED || s->state == XFER_S_ABORTED)
			return order_fail(err, "auth: the session is %s",
					  xfer_state_name(s->state));
		if (s->auth[from])
			return order_fail(err, "auth: sent twice");
		s->auth[from] = true;
		return 0;
	}
	if (gate(s, from, xfer_type_name(m->type), err) < 0)
		return -1;
	return s->channel == XFER_CHANNEL_PIPE ? pipe_text(s, from, m, err)
					       : files_text(s, from, m, err);
}

int xfer_seq_binary(struct xfer_seq *s, enum xfer_origin from, size_t len,
		    struct xfer_error *err)
{
	struct xfer_error scratch;
	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	from = from == XFER_LOCAL ? XFER_LOCAL : XFER_PEER;

	if (gate(s, from, "binary", err) < 0)
		return -1;
	if (len == 0 || len > XFER_CHUNK_MAX)
		return order_fail(err, "binary: %zu bytes; must be 1..%d", len, XFER_CHUNK_MAX);
	if (s->channel == XFER_CHANNEL_PIPE) {
		if (s->eof[from])
			return order_fail(err, "binary: after eof");
		return 0;
	}
	if (!by_sender(s, from))
		return order_fail(err, "binary: only the sender sends file data");
	if (s->state != XFER_S_DATA)
		return order_fail(err, "binary: not allowed in state %s (file %llu)",
				  xfer_state_name(s->state), (unsigned long long)s->id);
	if (len > s->size - s->bytes)
		return order_fail(err, "binary: %llu bytes in total, more than the size %llu",
				  (unsigned long long)(s->bytes + len), (unsigned long long)s->size);
	s->bytes += len;
	return 0;
}
