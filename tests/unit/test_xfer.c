/*
 * test_xfer.c - proto/xfer against proto/TRANSFER.md.
 *
 * Every message type is parsed with every member checked; every error path of the parser is
 * driven with its exact code and the member named; the validation order of §6 is pinned; every
 * builder is compared byte for byte with its wire text and parsed back; hostile and friendly
 * file names go through xfer_name_check/xfer_name_sanitize (§8); the order rules of §5.3 and
 * §9 are driven from both ends; and the §10 transcripts are replayed line by line.
 *
 * Nothing here may leak: the suite also runs under ASan/LeakSanitizer. Helpers release what
 * they own before they report a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer.h"

/* TRANSFER.md §4.5 / §10. */
#define MAC_OFFERER  "7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54"
#define MAC_ANSWERER "8b73aee835ce4c4e9ffff632f659b9b8a424e02a9901df0ad32a9c6602f58c50"
#define SHA_HELLO    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define SHA_EMPTY    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_DATA     "9dc177c2fde29dea8e7c29f7ddf147b7c449c99d049c62f3aac0a5933ecf76a3"
#define HEX_ZERO     "0000000000000000000000000000000000000000000000000000000000000000"
#define EMOJI_NAME   "Urlaub 2024 \xf0\x9f\x8f\x96.jpg" /* U+1F3D6 BEACH WITH UMBRELLA */
#define MAX_INT      "9007199254740991"
#define OVER_INT     "9007199254740992"

/* --- Helpers ------------------------------------------------------------------------------ */

static void unhex(const char *hex, uint8_t out[XFER_DIGEST_LEN])
{
	assert_int_equal(strlen(hex), XFER_HEX_LEN);
	for (size_t i = 0; i < XFER_DIGEST_LEN; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void parse_ok_len(const char *text, size_t len, struct xfer_msg *m)
{
	struct xfer_error e;
	char why[512];
	if (xfer_parse(text, len, m, &e) == 0) {
		assert_int_equal(e.code, XFER_OK);
		assert_string_equal(e.message, "");
		return;
	}
	snprintf(why, sizeof(why), "xfer_parse rejected %.*s: %s (%s)", (int)len, text,
		 xfer_error_wire(e.code), e.message);
	fail_msg("%s", why);
}

static void parse_ok(const char *text, struct xfer_msg *m)
{
	parse_ok_len(text, strlen(text), m);
}

/* A parsed message must have exactly these members set; all others zero. */
enum {
	F_ID = 1u << 0,
	F_NAME = 1u << 1,
	F_SIZE = 1u << 2,
	F_MAC = 1u << 3,
	F_SHA = 1u << 4,
	F_REJECT = 1u << 5,
	F_VERDICT = 1u << 6,
	F_REASON = 1u << 7,
};

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void check_only(const struct xfer_msg *m, enum xfer_type type, unsigned set)
{
	assert_int_equal(m->type, type);
	assert_non_null(m->root);
	if (!(set & F_ID))
		assert_int_equal(m->id, 0);
	if (!(set & F_NAME))
		assert_null(m->name);
	if (!(set & F_SIZE))
		assert_int_equal(m->size, 0);
	if (!(set & F_MAC))
		assert_true(all_zero(m->mac, sizeof(m->mac)));
	if (!(set & F_SHA))
		assert_true(all_zero(m->sha256, sizeof(m->sha256)));
	if (!(set & F_REJECT))
		assert_int_equal(m->reject, 0);
	if (!(set & F_VERDICT))
		assert_int_equal(m->verdict, XFER_VERDICT_OK);
	if (!(set & F_REASON))
		assert_null(m->reason);
}

/*
 * Parses text that must be refused with `code`. When member is set, the message must name it
 * ("member: ..."). The message struct must be cleared, and the error message must be
 * printable ASCII.
 */
static void expect_err(const char *text, size_t len, enum xfer_error_code code,
		       const char *member)
{
	struct xfer_msg m;
	struct xfer_error e;
	char why[1024];
	int rc = xfer_parse(text, len, &m, &e);

	if (rc == 0) {
		xfer_msg_clear(&m);
		fail_msg("accepted %.*s, expected %s", (int)len, text, xfer_error_wire(code));
	}
	assert_int_equal(rc, -1);
	why[0] = '\0';
	if (e.code != code)
		snprintf(why, sizeof(why), "%.*s: got %s (%s), expected %s", (int)len, text,
			 xfer_error_wire(e.code), e.message, xfer_error_wire(code));
	else if (e.message[0] == '\0')
		snprintf(why, sizeof(why), "%.*s: empty error message", (int)len, text);
	else if (member && (strncmp(e.message, member, strlen(member)) != 0 ||
			    e.message[strlen(member)] != ':'))
		snprintf(why, sizeof(why), "%.*s: message \"%s\" does not name member \"%s\"",
			 (int)len, text, e.message, member);
	for (const char *c = e.message; !why[0] && *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			snprintf(why, sizeof(why), "%.*s: message has non-printable byte", (int)len,
				 text);
	if (!why[0] && (m.root || m.type != XFER_T_INVALID || m.id || m.name || m.size ||
			m.reason || !all_zero(m.mac, sizeof(m.mac))))
		snprintf(why, sizeof(why), "%.*s: message struct not cleared", (int)len, text);
	if (why[0])
		fail_msg("%s", why);
}

/* Literals carry their own length, so they may contain NUL bytes. */
#define ERR(lit, code, member) expect_err(lit, sizeof(lit) - 1, code, member)

/* Same, also checking the exact message text. */
static void expect_err_text(const char *text, enum xfer_error_code code, const char *want)
{
	struct xfer_msg m;
	struct xfer_error e;
	assert_int_equal(xfer_parse(text, strlen(text), &m, &e), -1);
	assert_null(m.root);
	assert_string_equal(xfer_error_wire(e.code), xfer_error_wire(code));
	assert_string_equal(e.message, want);
}

/* Asserts that a builder's result (consumed) goes on the wire as exactly `want`. */
static void expect_wire(json_t *built, const char *want)
{
	size_t len = 0;
	char why[2048];
	if (!built)
		fail_msg("builder returned NULL, expected %s", want);
	char *got = xfer_dump(built, &len);
	json_decref(built);
	if (!got)
		fail_msg("xfer_dump returned NULL, expected %s", want);
	if (strcmp(got, want) == 0 && len == strlen(want)) {
		free(got);
		return;
	}
	snprintf(why, sizeof(why), "wire mismatch:\n  got  %s (len %zu)\n  want %s", got, len, want);
	free(got);
	fail_msg("%s", why);
}

/* Serialises a builder's result (consumed) and parses it back into *m. */
static void round_trip(json_t *built, struct xfer_msg *m)
{
	assert_non_null(built);
	size_t len = 0;
	char *text = xfer_dump(built, &len);
	json_decref(built);
	assert_non_null(text);
	struct xfer_error e;
	char why[2048];
	if (xfer_parse(text, len, m, &e) == 0) {
		free(text);
		return;
	}
	snprintf(why, sizeof(why), "round trip of %s failed: %s (%s)", text,
		 xfer_error_wire(e.code), e.message);
	free(text);
	fail_msg("%s", why);
}

/* out = prefix + n copies of c + suffix (NUL-terminated); returns the length. */
static size_t mk(char *out, size_t cap, const char *prefix, char c, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	assert_true(pl + n + sl < cap);
	memcpy(out, prefix, pl);
	memset(out + pl, c, n);
	memcpy(out + pl + n, suffix, sl + 1);
	return pl + n + sl;
}

/* --- Tables ------------------------------------------------------------------------------- */

static void t_tables(void **state)
{
	(void)state;
	static const char *const types[XFER_T_COUNT] = {
		[XFER_T_INVALID] = "invalid", [XFER_T_AUTH] = "auth",     [XFER_T_FILE] = "file",
		[XFER_T_ACCEPT] = "accept",   [XFER_T_REJECT] = "reject", [XFER_T_END] = "end",
		[XFER_T_VERDICT] = "verdict", [XFER_T_DONE] = "done",     [XFER_T_BYE] = "bye",
		[XFER_T_ABORT] = "abort",     [XFER_T_EOF] = "eof",
	};
	for (int t = 0; t < XFER_T_COUNT; t++)
		assert_string_equal(xfer_type_name((enum xfer_type)t), types[t]);
	for (int t = 1; t < XFER_T_COUNT; t++)
		assert_int_equal(xfer_type_from_name(types[t]), t);
	assert_string_equal(xfer_type_name(XFER_T_COUNT), "invalid");
	assert_string_equal(xfer_type_name((enum xfer_type)-1), "invalid");
	assert_int_equal(xfer_type_from_name("invalid"), XFER_T_INVALID);
	assert_int_equal(xfer_type_from_name("File"), XFER_T_INVALID);
	assert_int_equal(xfer_type_from_name(""), XFER_T_INVALID);

	static const char *const errs[XFER_ERROR_COUNT] = {
		[XFER_OK] = "ok",
		[XFER_E_TOO_LARGE] = "too-large",
		[XFER_E_BAD_JSON] = "bad-json",
		[XFER_E_UNKNOWN_TYPE] = "unknown-type",
		[XFER_E_BAD_FIELD] = "bad-field",
		[XFER_E_ORDER] = "out-of-order",
	};
	for (int c = 0; c < XFER_ERROR_COUNT; c++) {
		assert_string_equal(xfer_error_wire((enum xfer_error_code)c), errs[c]);
		assert_true(xfer_error_human((enum xfer_error_code)c)[0] != '\0');
	}
	assert_string_equal(xfer_error_wire(XFER_ERROR_COUNT), "invalid");
	assert_string_equal(xfer_error_human(XFER_ERROR_COUNT), "invalid error code");

	assert_string_equal(xfer_reject_wire(XFER_REJECT_EXISTS), "exists");
	assert_string_equal(xfer_reject_wire(XFER_REJECT_BAD_NAME), "bad-name");
	assert_string_equal(xfer_reject_wire(XFER_REJECT_IO_ERROR), "io-error");
	assert_string_equal(xfer_reject_wire(XFER_REJECT_REFUSED), "refused");
	assert_null(xfer_reject_wire(XFER_REJECT_COUNT));
	assert_string_equal(xfer_reject_human(XFER_REJECT_EXISTS),
			    "a file of that name already exists");
	assert_string_equal(xfer_reject_human(XFER_REJECT_COUNT), "invalid reason");

	assert_string_equal(xfer_verdict_wire(XFER_VERDICT_OK), "");
	assert_string_equal(xfer_verdict_wire(XFER_VERDICT_CHECKSUM), "checksum");
	assert_string_equal(xfer_verdict_wire(XFER_VERDICT_SIZE), "size");
	assert_string_equal(xfer_verdict_wire(XFER_VERDICT_IO_ERROR), "io-error");
	assert_null(xfer_verdict_wire(XFER_VERDICT_COUNT));
	assert_string_equal(xfer_verdict_human(XFER_VERDICT_OK), "received intact");
	assert_string_equal(xfer_verdict_human(XFER_VERDICT_COUNT), "invalid verdict");

	assert_string_equal(xfer_name_strerror(XFER_NAME_OK), "ok");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_EMPTY), "empty name");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_TOO_LONG), "name longer than 255 bytes");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_UTF8), "name is not valid UTF-8");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_CONTROL),
			    "name contains a control character");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_SLASH),
			    "name contains '/': only a base name is allowed");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_BACKSLASH),
			    "name contains '\\': only a base name is allowed");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_DOT), "name is \".\" or \"..\"");
	assert_string_equal(xfer_name_strerror(XFER_NAME_E_SPACE),
			    "output buffer too small for the name");
	assert_string_equal(xfer_name_strerror(-99), "invalid name result");
	assert_string_equal(xfer_name_strerror(1), "invalid name result");

	assert_string_equal(xfer_state_name(XFER_S_IDLE), "idle");
	assert_string_equal(xfer_state_name(XFER_S_OFFERED), "offered");
	assert_string_equal(xfer_state_name(XFER_S_DATA), "data");
	assert_string_equal(xfer_state_name(XFER_S_ENDED), "ended");
	assert_string_equal(xfer_state_name(XFER_S_DONE), "done");
	assert_string_equal(xfer_state_name(XFER_S_CLOSED), "closed");
	assert_string_equal(xfer_state_name(XFER_S_ABORTED), "aborted");
	assert_string_equal(xfer_state_name((enum xfer_state)99), "invalid");

	assert_string_equal(XFER_LABEL, "rtc-xfer.v1");
	assert_string_equal(XFER_PIPE_LABEL, "rtc-pipe.v1");
	assert_int_equal(XFER_CHUNK_MAX, 65536);
	assert_int_equal(XFER_INT_MAX, (1ULL << 53) - 1);
}

/* --- Parsing: every type, every member ----------------------------------------------------- */

static void t_parse_auth(void **state)
{
	(void)state;
	struct xfer_msg m;
	uint8_t want[XFER_DIGEST_LEN];
	parse_ok("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\"}", &m);
	check_only(&m, XFER_T_AUTH, F_MAC);
	unhex(MAC_OFFERER, want);
	assert_memory_equal(m.mac, want, sizeof(want));
	xfer_msg_clear(&m);
	/* Cleared twice is fine. */
	assert_null(m.root);
	xfer_msg_clear(&m);
}

static void t_parse_file(void **state)
{
	(void)state;
	struct xfer_msg m;
	parse_ok("{\"type\":\"file\",\"id\":1,\"name\":\"hello.txt\",\"size\":5}", &m);
	check_only(&m, XFER_T_FILE, F_ID | F_NAME | F_SIZE);
	assert_int_equal(m.id, 1);
	assert_string_equal(m.name, "hello.txt");
	assert_int_equal(m.size, 5);
	xfer_msg_clear(&m);

	/* UTF-8 with spaces and an emoji, both raw and escaped (as a browser may send it). */
	parse_ok("{\"type\":\"file\",\"id\":2,\"name\":\"" EMOJI_NAME "\",\"size\":2500000}", &m);
	assert_string_equal(m.name, EMOJI_NAME);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"file\",\"id\":2,\"name\":\"Urlaub 2024 \\ud83c\\udfd6.jpg\","
		 "\"size\":1}",
		 &m);
	assert_string_equal(m.name, EMOJI_NAME);
	xfer_msg_clear(&m);

	/* Limits: size 0 and 2^53-1, id 2^53-1, member order and unknown members irrelevant. */
	parse_ok("{\"size\":0,\"name\":\"e\",\"id\":" MAX_INT ",\"x\":[1,{}],\"type\":\"file\"}",
		 &m);
	check_only(&m, XFER_T_FILE, F_ID | F_NAME | F_SIZE);
	assert_int_equal(m.id, XFER_INT_MAX);
	assert_int_equal(m.size, 0);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"file\",\"id\":1,\"name\":\"e\",\"size\":" MAX_INT "}", &m);
	assert_int_equal(m.size, XFER_INT_MAX);
	xfer_msg_clear(&m);

	/* A name of exactly 255 bytes. */
	char buf[512];
	mk(buf, sizeof(buf), "{\"type\":\"file\",\"id\":1,\"name\":\"", 'n', 255, "\",\"size\":1}");
	parse_ok(buf, &m);
	assert_int_equal(strlen(m.name), 255);
	xfer_msg_clear(&m);

	/* The parser checks the wire form only; name safety is xfer_name_sanitize's job, so a
	 * receiver can answer reject/bad-name instead of aborting. */
	parse_ok("{\"type\":\"file\",\"id\":1,\"name\":\"../x\",\"size\":1}", &m);
	assert_string_equal(m.name, "../x");
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"file\",\"id\":1,\"name\":\"a\\u001bb\",\"size\":1}", &m);
	assert_string_equal(m.name, "a\x1b" "b");
	xfer_msg_clear(&m);
}

static void t_parse_accept_reject(void **state)
{
	(void)state;
	struct xfer_msg m;
	parse_ok("{\"type\":\"accept\",\"id\":7}", &m);
	check_only(&m, XFER_T_ACCEPT, F_ID);
	assert_int_equal(m.id, 7);
	xfer_msg_clear(&m);

	static const struct {
		const char *wire;
		enum xfer_reject want;
	} reasons[] = {
		{"exists", XFER_REJECT_EXISTS},
		{"bad-name", XFER_REJECT_BAD_NAME},
		{"io-error", XFER_REJECT_IO_ERROR},
		{"refused", XFER_REJECT_REFUSED},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "{\"type\":\"reject\",\"id\":2,\"reason\":\"%s\"}",
			 reasons[i].wire);
		parse_ok(buf, &m);
		check_only(&m, XFER_T_REJECT, F_ID | F_REJECT);
		assert_int_equal(m.id, 2);
		assert_int_equal(m.reject, reasons[i].want);
		xfer_msg_clear(&m);
	}
}

static void t_parse_end_verdict(void **state)
{
	(void)state;
	struct xfer_msg m;
	uint8_t want[XFER_DIGEST_LEN];
	parse_ok("{\"type\":\"end\",\"id\":1,\"sha256\":\"" SHA_HELLO "\"}", &m);
	check_only(&m, XFER_T_END, F_ID | F_SHA);
	unhex(SHA_HELLO, want);
	assert_memory_equal(m.sha256, want, sizeof(want));
	xfer_msg_clear(&m);

	parse_ok("{\"type\":\"verdict\",\"id\":1,\"ok\":true}", &m);
	check_only(&m, XFER_T_VERDICT, F_ID);
	assert_int_equal(m.verdict, XFER_VERDICT_OK);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"verdict\",\"id\":3,\"ok\":false,\"reason\":\"checksum\"}", &m);
	check_only(&m, XFER_T_VERDICT, F_ID | F_VERDICT);
	assert_int_equal(m.id, 3);
	assert_int_equal(m.verdict, XFER_VERDICT_CHECKSUM);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"verdict\",\"id\":3,\"ok\":false,\"reason\":\"size\"}", &m);
	assert_int_equal(m.verdict, XFER_VERDICT_SIZE);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"verdict\",\"reason\":\"io-error\",\"ok\":false,\"id\":3}", &m);
	assert_int_equal(m.verdict, XFER_VERDICT_IO_ERROR);
	xfer_msg_clear(&m);
}

static void t_parse_memberless_and_abort(void **state)
{
	(void)state;
	struct xfer_msg m;
	parse_ok("{\"type\":\"done\"}", &m);
	check_only(&m, XFER_T_DONE, 0);
	xfer_msg_clear(&m);
	parse_ok("{\"type\":\"bye\",\"id\":\"ignored\"}", &m);
	check_only(&m, XFER_T_BYE, 0);
	xfer_msg_clear(&m);
	parse_ok(" {\"type\" : \"eof\"}\n", &m);
	check_only(&m, XFER_T_EOF, 0);
	xfer_msg_clear(&m);

	parse_ok("{\"type\":\"abort\",\"reason\":\"disk full\"}", &m);
	check_only(&m, XFER_T_ABORT, F_REASON);
	assert_string_equal(m.reason, "disk full");
	xfer_msg_clear(&m);
	/* Non-ASCII text (not C1) is fine; exactly 256 bytes is fine. */
	parse_ok("{\"type\":\"abort\",\"reason\":\"Platte voll \xc2\xa0\xe2\x9c\x97\"}", &m);
	assert_string_equal(m.reason, "Platte voll \xc2\xa0\xe2\x9c\x97");
	xfer_msg_clear(&m);
	char buf[512];
	mk(buf, sizeof(buf), "{\"type\":\"abort\",\"reason\":\"", 'r', 256, "\"}");
	parse_ok(buf, &m);
	assert_int_equal(strlen(m.reason), 256);
	xfer_msg_clear(&m);
}

static void t_parse_bounds(void **state)
{
	(void)state;
	char buf[XFER_CONTROL_MAX + 64];
	struct xfer_msg m;
	/* {"type":"done","p":"<n>"} is n + 22 bytes: exactly the limit passes, one more fails. */
	size_t len = mk(buf, sizeof(buf), "{\"type\":\"done\",\"p\":\"", 'p', XFER_CONTROL_MAX - 22,
			"\"}");
	assert_int_equal(len, XFER_CONTROL_MAX);
	parse_ok_len(buf, len, &m);
	xfer_msg_clear(&m);
	len = mk(buf, sizeof(buf), "{\"type\":\"done\",\"p\":\"", 'p', XFER_CONTROL_MAX - 21, "\"}");
	expect_err(buf, len, XFER_E_TOO_LARGE, NULL);
	expect_err_text(buf, XFER_E_TOO_LARGE, "message is 4097 bytes, more than 4096");

	/* Only len bytes are read: a valid prefix followed by garbage outside len. */
	const char *t = "{\"type\":\"done\"}GARBAGE";
	parse_ok_len(t, 15, &m);
	xfer_msg_clear(&m);
	expect_err(t, 14, XFER_E_BAD_JSON, NULL);
	expect_err("", 0, XFER_E_BAD_JSON, NULL);
}

/* --- Parse errors ----------------------------------------------------------------------- */

static void t_err_bad_json(void **state)
{
	(void)state;
	ERR("{", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\"", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\"} x", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\"}{}", XFER_E_BAD_JSON, NULL);
	ERR("[{\"type\":\"done\"}]", XFER_E_BAD_JSON, NULL);
	ERR("\"done\"", XFER_E_BAD_JSON, NULL);
	ERR("42", XFER_E_BAD_JSON, NULL);
	ERR("null", XFER_E_BAD_JSON, NULL);
	ERR("{'type':'done'}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\",}", XFER_E_BAD_JSON, NULL);
	/* Duplicates are refused even when both values agree. */
	ERR("{\"type\":\"accept\",\"id\":1,\"id\":2}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\",\"type\":\"done\"}", XFER_E_BAD_JSON, NULL);
	/* NUL: escaped or raw. */
	ERR("{\"type\":\"abort\",\"reason\":\"a\\u0000b\"}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\"}\0", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"ab\0rt\",\"reason\":\"x\"}", XFER_E_BAD_JSON, NULL);
	expect_err_text("{\"type\":\"abort\",\"reason\":\"\\u0000\"}", XFER_E_BAD_JSON,
			"strings must not contain \\u0000 (offset 33)");
	/* Invalid UTF-8 in the text, and lone surrogates in escapes. */
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"\xc0\xaf\",\"size\":1}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"\xed\xa0\x80\",\"size\":1}", XFER_E_BAD_JSON,
	    NULL);
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"\\ud800\",\"size\":1}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"\\udc00x\",\"size\":1}", XFER_E_BAD_JSON, NULL);
	/* Integers beyond what jansson holds. */
	ERR("{\"type\":\"accept\",\"id\":99999999999999999999999}", XFER_E_BAD_JSON, NULL);
}

static void t_err_message_is_printable(void **state)
{
	(void)state;
	/* jansson quotes input in its messages ("near '...'"); none of it may reach ours raw. */
	ERR("{\"type\":\x1b[2J}", XFER_E_BAD_JSON, NULL);
	ERR("{\"type\":\"done\"\x07\xff}", XFER_E_BAD_JSON, NULL);
	ERR("{\"t\xc3\xa9\":1 \x9b}", XFER_E_BAD_JSON, NULL);
	struct xfer_msg m;
	struct xfer_error e;
	const char lit[] = "{\"type\":\x1b[2J}";
	assert_int_equal(xfer_parse(lit, sizeof(lit) - 1, &m, &e), -1);
	assert_null(strchr(e.message, 0x1b));
}

static void t_err_type(void **state)
{
	(void)state;
	ERR("{}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"id\":1}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":1}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":null}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":[\"file\"]}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":\"\"}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":\"File\"}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":\"invalid\"}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":\"join\"}", XFER_E_UNKNOWN_TYPE, "type");
	ERR("{\"type\":\"done \"}", XFER_E_UNKNOWN_TYPE, "type");
	expect_err_text("{\"type\":\"ping\"}", XFER_E_UNKNOWN_TYPE, "type: unknown message type");
	expect_err_text("{\"type\":2}", XFER_E_UNKNOWN_TYPE, "type: required string");
	/* type is checked before the members. */
	ERR("{\"type\":\"nope\",\"id\":\"x\"}", XFER_E_UNKNOWN_TYPE, "type");
}

static void t_err_auth(void **state)
{
	(void)state;
	/* lanes (§12.1): optional, an integer 2..64. */
	ERR("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\",\"lanes\":1}", XFER_E_BAD_FIELD, "lanes");
	ERR("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\",\"lanes\":65}", XFER_E_BAD_FIELD, "lanes");
	ERR("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\",\"lanes\":\"8\"}", XFER_E_BAD_FIELD, "lanes");
	ERR("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\",\"lanes\":8.0}", XFER_E_BAD_FIELD, "lanes");
	ERR("{\"type\":\"auth\"}", XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":null}", XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":42}", XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":\"\"}", XFER_E_BAD_FIELD, "mac");
	/* 63 and 65 digits, upper case, a non-hex digit, a space. */
	ERR("{\"type\":\"auth\",\"mac\":\"7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf5\"}",
	    XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "0\"}", XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":\"7758EA6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54\"}",
	    XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":\"g758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54\"}",
	    XFER_E_BAD_FIELD, "mac");
	ERR("{\"type\":\"auth\",\"mac\":\"7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf5 \"}",
	    XFER_E_BAD_FIELD, "mac");
	expect_err_text("{\"type\":\"auth\",\"mac\":\"ABC\"}", XFER_E_BAD_FIELD,
			"mac: must be 64 lower-case hex digits");
	expect_err_text("{\"type\":\"auth\"}", XFER_E_BAD_FIELD, "mac: required string");
	expect_err_text("{\"type\":\"auth\",\"mac\":1}", XFER_E_BAD_FIELD, "mac: must be a string");
}

static void t_err_file(void **state)
{
	(void)state;
	char buf[512];
	/* id */
	ERR("{\"type\":\"file\",\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":\"1\",\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":0,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":-1,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":1.0,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":1e0,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"id\":" OVER_INT ",\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD,
	    "id");
	ERR("{\"type\":\"file\",\"id\":true,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD, "id");
	expect_err_text("{\"type\":\"file\",\"id\":0,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD,
			"id: must be 1..9007199254740991");
	expect_err_text("{\"type\":\"file\",\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD,
			"id: required integer");
	expect_err_text("{\"type\":\"file\",\"id\":1.5,\"name\":\"a\",\"size\":1}", XFER_E_BAD_FIELD,
			"id: must be an integer");
	/* name */
	ERR("{\"type\":\"file\",\"id\":1,\"size\":1}", XFER_E_BAD_FIELD, "name");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":null,\"size\":1}", XFER_E_BAD_FIELD, "name");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":[\"a\"],\"size\":1}", XFER_E_BAD_FIELD, "name");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"\",\"size\":1}", XFER_E_BAD_FIELD, "name");
	mk(buf, sizeof(buf), "{\"type\":\"file\",\"id\":1,\"name\":\"", 'n', 256, "\",\"size\":1}");
	expect_err(buf, strlen(buf), XFER_E_BAD_FIELD, "name");
	expect_err_text(buf, XFER_E_BAD_FIELD, "name: length must be 1..255 bytes");
	/* size */
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"a\"}", XFER_E_BAD_FIELD, "size");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":-1}", XFER_E_BAD_FIELD, "size");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":\"5\"}", XFER_E_BAD_FIELD, "size");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":1e3}", XFER_E_BAD_FIELD, "size");
	ERR("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":" OVER_INT "}", XFER_E_BAD_FIELD,
	    "size");
	expect_err_text("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":-1}", XFER_E_BAD_FIELD,
			"size: must be 0..9007199254740991");
	/* Members in table order: id, name, size. */
	ERR("{\"type\":\"file\"}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"size\":-1,\"name\":\"\",\"id\":0}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"file\",\"size\":-1,\"name\":\"\",\"id\":1}", XFER_E_BAD_FIELD, "name");
	ERR("{\"type\":\"file\",\"size\":-1,\"name\":\"a\",\"id\":1}", XFER_E_BAD_FIELD, "size");
}

static void t_err_accept_reject(void **state)
{
	(void)state;
	ERR("{\"type\":\"accept\"}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"accept\",\"id\":0}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"accept\",\"id\":\"1\"}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"reject\",\"reason\":\"exists\"}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"reject\",\"id\":1}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"reject\",\"id\":1,\"reason\":1}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"reject\",\"id\":1,\"reason\":\"\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"reject\",\"id\":1,\"reason\":\"Exists\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"reject\",\"id\":1,\"reason\":\"checksum\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"reject\",\"id\":1,\"reason\":\"disk full\"}", XFER_E_BAD_FIELD, "reason");
	expect_err_text("{\"type\":\"reject\",\"id\":1,\"reason\":\"nope\"}", XFER_E_BAD_FIELD,
			"reason: must be one of exists, bad-name, io-error, refused");
	/* id before reason. */
	ERR("{\"type\":\"reject\",\"reason\":\"nope\",\"id\":0}", XFER_E_BAD_FIELD, "id");
}

static void t_err_end(void **state)
{
	(void)state;
	ERR("{\"type\":\"end\",\"sha256\":\"" SHA_HELLO "\"}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"end\",\"id\":1}", XFER_E_BAD_FIELD, "sha256");
	ERR("{\"type\":\"end\",\"id\":1,\"sha256\":\"\"}", XFER_E_BAD_FIELD, "sha256");
	ERR("{\"type\":\"end\",\"id\":1,\"sha256\":\"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\"}",
	    XFER_E_BAD_FIELD, "sha256");
	ERR("{\"type\":\"end\",\"id\":1,\"sha256\":\"" SHA_HELLO "00\"}", XFER_E_BAD_FIELD,
	    "sha256");
	ERR("{\"type\":\"end\",\"id\":1,\"sha256\":true}", XFER_E_BAD_FIELD, "sha256");
	ERR("{\"type\":\"end\",\"id\":0,\"sha256\":\"x\"}", XFER_E_BAD_FIELD, "id");
}

static void t_err_verdict(void **state)
{
	(void)state;
	ERR("{\"type\":\"verdict\",\"ok\":true}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"verdict\",\"id\":1}", XFER_E_BAD_FIELD, "ok");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":\"true\"}", XFER_E_BAD_FIELD, "ok");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":1}", XFER_E_BAD_FIELD, "ok");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":null}", XFER_E_BAD_FIELD, "ok");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":true,\"reason\":\"checksum\"}", XFER_E_BAD_FIELD,
	    "reason");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":true,\"reason\":null}", XFER_E_BAD_FIELD,
	    "reason");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":false}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":\"\"}", XFER_E_BAD_FIELD,
	    "reason");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":\"exists\"}", XFER_E_BAD_FIELD,
	    "reason");
	ERR("{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":7}", XFER_E_BAD_FIELD,
	    "reason");
	expect_err_text("{\"type\":\"verdict\",\"id\":1,\"ok\":true,\"reason\":\"size\"}",
			XFER_E_BAD_FIELD, "reason: must be absent when ok is true");
	expect_err_text("{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":\"x\"}",
			XFER_E_BAD_FIELD, "reason: must be one of checksum, size, io-error");
	expect_err_text("{\"type\":\"verdict\",\"id\":1,\"ok\":0}", XFER_E_BAD_FIELD,
			"ok: must be true or false");
	/* Order: id, ok, reason. */
	ERR("{\"type\":\"verdict\",\"reason\":\"x\",\"ok\":0,\"id\":0}", XFER_E_BAD_FIELD, "id");
	ERR("{\"type\":\"verdict\",\"reason\":\"x\",\"ok\":0,\"id\":1}", XFER_E_BAD_FIELD, "ok");
}

static void t_err_abort(void **state)
{
	(void)state;
	char buf[512];
	ERR("{\"type\":\"abort\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":{}}", XFER_E_BAD_FIELD, "reason");
	mk(buf, sizeof(buf), "{\"type\":\"abort\",\"reason\":\"", 'r', 257, "\"}");
	expect_err(buf, strlen(buf), XFER_E_BAD_FIELD, "reason");
	/* Terminal controls: C0, ESC, DEL, C1 (escaped and raw). */
	ERR("{\"type\":\"abort\",\"reason\":\"a\\u0001\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"\\u001b[2J\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"a\\nb\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"\x7f\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"\\u0085\"}", XFER_E_BAD_FIELD, "reason");
	ERR("{\"type\":\"abort\",\"reason\":\"x\xc2\x9b" "31m\"}", XFER_E_BAD_FIELD, "reason");
	expect_err_text("{\"type\":\"abort\",\"reason\":\"ab\\u009b\"}", XFER_E_BAD_FIELD,
			"reason: must not contain control characters (byte 2)");
}

/* --- Builders ----------------------------------------------------------------------------- */

static void t_build_exact(void **state)
{
	(void)state;
	uint8_t mac[XFER_DIGEST_LEN], sha[XFER_DIGEST_LEN];
	unhex(MAC_ANSWERER, mac);
	unhex(SHA_HELLO, sha);

	expect_wire(xfer_build_auth(mac, 0), "{\"type\":\"auth\",\"mac\":\"" MAC_ANSWERER "\"}");
	expect_wire(xfer_build_auth(mac, 1), "{\"type\":\"auth\",\"mac\":\"" MAC_ANSWERER "\"}");
	expect_wire(xfer_build_auth(mac, 32),
		    "{\"type\":\"auth\",\"mac\":\"" MAC_ANSWERER "\",\"lanes\":32}");
	expect_wire(xfer_build_file(1, "hello.txt", 5),
		    "{\"type\":\"file\",\"id\":1,\"name\":\"hello.txt\",\"size\":5}");
	expect_wire(xfer_build_file(XFER_INT_MAX, EMOJI_NAME, XFER_INT_MAX),
		    "{\"type\":\"file\",\"id\":" MAX_INT ",\"name\":\"" EMOJI_NAME
		    "\",\"size\":" MAX_INT "}");
	expect_wire(xfer_build_file(2, "e", 0), "{\"type\":\"file\",\"id\":2,\"name\":\"e\",\"size\":0}");
	/* Quotes, backslashes and controls are escaped; '/' is not (it is just a byte here). */
	expect_wire(xfer_build_file(3, "a\"b\\c\x01/", 1),
		    "{\"type\":\"file\",\"id\":3,\"name\":\"a\\\"b\\\\c\\u0001/\",\"size\":1}");
	expect_wire(xfer_build_accept(7), "{\"type\":\"accept\",\"id\":7}");
	expect_wire(xfer_build_reject(2, XFER_REJECT_EXISTS),
		    "{\"type\":\"reject\",\"id\":2,\"reason\":\"exists\"}");
	expect_wire(xfer_build_reject(2, XFER_REJECT_BAD_NAME),
		    "{\"type\":\"reject\",\"id\":2,\"reason\":\"bad-name\"}");
	expect_wire(xfer_build_reject(2, XFER_REJECT_IO_ERROR),
		    "{\"type\":\"reject\",\"id\":2,\"reason\":\"io-error\"}");
	expect_wire(xfer_build_reject(2, XFER_REJECT_REFUSED),
		    "{\"type\":\"reject\",\"id\":2,\"reason\":\"refused\"}");
	expect_wire(xfer_build_end(1, sha), "{\"type\":\"end\",\"id\":1,\"sha256\":\"" SHA_HELLO "\"}");
	expect_wire(xfer_build_verdict(1, XFER_VERDICT_OK), "{\"type\":\"verdict\",\"id\":1,\"ok\":true}");
	expect_wire(xfer_build_verdict(1, XFER_VERDICT_CHECKSUM),
		    "{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":\"checksum\"}");
	expect_wire(xfer_build_verdict(4, XFER_VERDICT_SIZE),
		    "{\"type\":\"verdict\",\"id\":4,\"ok\":false,\"reason\":\"size\"}");
	expect_wire(xfer_build_verdict(4, XFER_VERDICT_IO_ERROR),
		    "{\"type\":\"verdict\",\"id\":4,\"ok\":false,\"reason\":\"io-error\"}");
	expect_wire(xfer_build_done(), "{\"type\":\"done\"}");
	expect_wire(xfer_build_bye(), "{\"type\":\"bye\"}");
	expect_wire(xfer_build_eof(), "{\"type\":\"eof\"}");
	expect_wire(xfer_build_abort("authentication failed"),
		    "{\"type\":\"abort\",\"reason\":\"authentication failed\"}");
}

static void t_build_refuses_bad_arguments(void **state)
{
	(void)state;
	uint8_t d[XFER_DIGEST_LEN] = {0};
	char name[300];

	assert_null(xfer_build_auth(NULL, 0));
	assert_null(xfer_build_auth(d, XFER_LANES_MAX + 1));
	assert_null(xfer_build_file(0, "a", 1));
	assert_null(xfer_build_file(XFER_INT_MAX + 1, "a", 1));
	assert_null(xfer_build_file(1, "a", XFER_INT_MAX + 1));
	assert_null(xfer_build_file(1, "a", UINT64_MAX));
	assert_null(xfer_build_file(1, NULL, 1));
	assert_null(xfer_build_file(1, "", 1));
	mk(name, sizeof(name), "", 'n', 256, "");
	assert_null(xfer_build_file(1, name, 1));
	assert_null(xfer_build_file(1, "\xc0\xaf", 1));      /* invalid UTF-8 */
	assert_null(xfer_build_file(1, "\xed\xa0\x80", 1));  /* surrogate */
	assert_null(xfer_build_accept(0));
	assert_null(xfer_build_accept(XFER_INT_MAX + 1));
	assert_null(xfer_build_reject(0, XFER_REJECT_EXISTS));
	assert_null(xfer_build_reject(1, XFER_REJECT_COUNT));
	assert_null(xfer_build_reject(1, (enum xfer_reject)-1));
	assert_null(xfer_build_end(0, d));
	assert_null(xfer_build_end(1, NULL));
	assert_null(xfer_build_verdict(0, XFER_VERDICT_OK));
	assert_null(xfer_build_verdict(1, XFER_VERDICT_COUNT));
}

static void t_build_abort_sanitises(void **state)
{
	(void)state;
	char in[600], want[600];
	/* Empty and NULL reasons still give a valid abort. */
	expect_wire(xfer_build_abort(NULL), "{\"type\":\"abort\",\"reason\":\"aborted\"}");
	expect_wire(xfer_build_abort(""), "{\"type\":\"abort\",\"reason\":\"aborted\"}");
	/* Controls (C0, DEL, C1) and invalid UTF-8 become '?', one per bad byte / character. */
	expect_wire(xfer_build_abort("a\nb\x1b[2J\x7f"),
		    "{\"type\":\"abort\",\"reason\":\"a?b?[2J?\"}");
	expect_wire(xfer_build_abort("x\xc2\x85y"), "{\"type\":\"abort\",\"reason\":\"x?y\"}");
	expect_wire(xfer_build_abort("\xff\xfe ok \xc0\xaf \xed\xa0\x80"),
		    "{\"type\":\"abort\",\"reason\":\"?? ok ?? ???\"}");
	expect_wire(xfer_build_abort("caf\xc3\xa9 \xe2\x9c\x97"),
		    "{\"type\":\"abort\",\"reason\":\"caf\xc3\xa9 \xe2\x9c\x97\"}");
	/* Cut at 256 bytes, on a character boundary. */
	mk(in, sizeof(in), "", 'r', 300, "");
	mk(want, sizeof(want), "{\"type\":\"abort\",\"reason\":\"", 'r', 256, "\"}");
	expect_wire(xfer_build_abort(in), want);
	mk(in, sizeof(in), "", 'r', 253, "\xf0\x9f\x8f\x96tail");
	mk(want, sizeof(want), "{\"type\":\"abort\",\"reason\":\"", 'r', 253, "\"}");
	expect_wire(xfer_build_abort(in), want);
	mk(in, sizeof(in), "", 'r', 256, "\x01");
	mk(want, sizeof(want), "{\"type\":\"abort\",\"reason\":\"", 'r', 256, "\"}");
	expect_wire(xfer_build_abort(in), want);
	mk(in, sizeof(in), "", 'r', 255, "\x01\x01");
	mk(want, sizeof(want), "{\"type\":\"abort\",\"reason\":\"", 'r', 255, "?\"}");
	expect_wire(xfer_build_abort(in), want);
	mk(in, sizeof(in), "", 'r', 252, "\xf0\x9f\x8f\x96tail");
	mk(want, sizeof(want), "{\"type\":\"abort\",\"reason\":\"", 'r', 252, "\xf0\x9f\x8f\x96\"}");
	expect_wire(xfer_build_abort(in), want);
	/* Every parse error message is a valid abort reason, unchanged. */
	struct xfer_msg m;
	struct xfer_error e;
	assert_int_equal(xfer_parse("{\"type\":\x1b}", 10, &m, &e), -1);
	round_trip(xfer_build_abort(e.message), &m);
	assert_string_equal(m.reason, e.message);
	xfer_msg_clear(&m);
}

static void t_build_round_trip(void **state)
{
	(void)state;
	struct xfer_msg m;
	uint8_t mac[XFER_DIGEST_LEN], sha[XFER_DIGEST_LEN];
	unhex(MAC_OFFERER, mac);
	unhex(SHA_EMPTY, sha);

	round_trip(xfer_build_auth(mac, 0), &m);
	check_only(&m, XFER_T_AUTH, F_MAC);
	assert_memory_equal(m.mac, mac, sizeof(mac));
	assert_int_equal(m.lanes, 0);
	xfer_msg_clear(&m);

	round_trip(xfer_build_auth(mac, XFER_LANES_MAX), &m);
	check_only(&m, XFER_T_AUTH, F_MAC);
	assert_int_equal(m.lanes, XFER_LANES_MAX);
	xfer_msg_clear(&m);

	round_trip(xfer_build_file(9, EMOJI_NAME, 123456789), &m);
	check_only(&m, XFER_T_FILE, F_ID | F_NAME | F_SIZE);
	assert_int_equal(m.id, 9);
	assert_string_equal(m.name, EMOJI_NAME);
	assert_int_equal(m.size, 123456789);
	xfer_msg_clear(&m);

	round_trip(xfer_build_accept(9), &m);
	check_only(&m, XFER_T_ACCEPT, F_ID);
	xfer_msg_clear(&m);

	for (int r = 0; r < XFER_REJECT_COUNT; r++) {
		round_trip(xfer_build_reject(5, (enum xfer_reject)r), &m);
		check_only(&m, XFER_T_REJECT, F_ID | F_REJECT);
		assert_int_equal(m.reject, r);
		xfer_msg_clear(&m);
	}
	round_trip(xfer_build_end(9, sha), &m);
	check_only(&m, XFER_T_END, F_ID | F_SHA);
	assert_memory_equal(m.sha256, sha, sizeof(sha));
	xfer_msg_clear(&m);
	for (int v = 0; v < XFER_VERDICT_COUNT; v++) {
		round_trip(xfer_build_verdict(5, (enum xfer_verdict)v), &m);
		check_only(&m, XFER_T_VERDICT, F_ID | F_VERDICT);
		assert_int_equal(m.verdict, v);
		xfer_msg_clear(&m);
	}
	round_trip(xfer_build_done(), &m);
	check_only(&m, XFER_T_DONE, 0);
	xfer_msg_clear(&m);
	round_trip(xfer_build_bye(), &m);
	check_only(&m, XFER_T_BYE, 0);
	xfer_msg_clear(&m);
	round_trip(xfer_build_eof(), &m);
	check_only(&m, XFER_T_EOF, 0);
	xfer_msg_clear(&m);
	round_trip(xfer_build_abort("x"), &m);
	check_only(&m, XFER_T_ABORT, F_REASON);
	xfer_msg_clear(&m);
}

static void t_dump(void **state)
{
	(void)state;
	json_t *j = xfer_build_done();
	char *s = xfer_dump(j, NULL);
	assert_string_equal(s, "{\"type\":\"done\"}");
	free(s);
	json_decref(j);
}

/* --- File names --------------------------------------------------------------------------- */

static void expect_name(const char *name, size_t len, int want)
{
	char err[256];
	int rc = xfer_name_check(name, len, err, sizeof(err));
	if (rc != want)
		fail_msg("name \"%.*s\" (%zu bytes): got %d (%s), expected %d (%s)", (int)len,
			 name ? name : "", len, rc, err, want, xfer_name_strerror(want));
	if (want == XFER_NAME_OK)
		assert_string_equal(err, "");
	else
		assert_true(err[0] != '\0');
}

#define NAME(lit, want) expect_name(lit, sizeof(lit) - 1, want)

static void t_name_hostile(void **state)
{
	(void)state;
	char buf[300];
	NAME("../x", XFER_NAME_E_SLASH);
	NAME("/etc/passwd", XFER_NAME_E_SLASH);
	NAME("a/b", XFER_NAME_E_SLASH);
	NAME("x/", XFER_NAME_E_SLASH);
	NAME("/", XFER_NAME_E_SLASH);
	NAME("..", XFER_NAME_E_DOT);
	NAME(".", XFER_NAME_E_DOT);
	NAME("x\\y", XFER_NAME_E_BACKSLASH);
	NAME("..\\x", XFER_NAME_E_BACKSLASH);
	NAME("C:\\Windows", XFER_NAME_E_BACKSLASH);
	NAME("\x01", XFER_NAME_E_CONTROL);
	NAME("a\nb", XFER_NAME_E_CONTROL);
	NAME("a\rb", XFER_NAME_E_CONTROL);
	NAME("tab\there", XFER_NAME_E_CONTROL);
	NAME("\x1b[2Jx", XFER_NAME_E_CONTROL);
	NAME("del\x7f", XFER_NAME_E_CONTROL);
	NAME("c1\xc2\x80", XFER_NAME_E_CONTROL);  /* U+0080 */
	NAME("c1\xc2\x85", XFER_NAME_E_CONTROL);  /* U+0085 NEL */
	NAME("c1\xc2\x9b", XFER_NAME_E_CONTROL);  /* U+009B CSI */
	NAME("c1\xc2\x9f", XFER_NAME_E_CONTROL);  /* U+009F */
	NAME("nul\0x", XFER_NAME_E_CONTROL);      /* only through the length-taking API */
	NAME("\0", XFER_NAME_E_CONTROL);
	NAME("", XFER_NAME_E_EMPTY);
	expect_name(NULL, 0, XFER_NAME_E_EMPTY);
	expect_name(NULL, 5, XFER_NAME_E_EMPTY);
	mk(buf, sizeof(buf), "", 'a', 256, "");
	expect_name(buf, 256, XFER_NAME_E_TOO_LONG);
	/* 256 bytes made of 2-byte characters (128 x U+00E9). */
	for (int i = 0; i < 128; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	expect_name(buf, 256, XFER_NAME_E_TOO_LONG);
}

static void t_name_invalid_utf8(void **state)
{
	(void)state;
	NAME("\xc0\xaf", XFER_NAME_E_UTF8);             /* overlong '/' */
	NAME("\xc1\xbf", XFER_NAME_E_UTF8);             /* overlong U+007F */
	NAME("\xe0\x80\xaf", XFER_NAME_E_UTF8);         /* overlong '/' in 3 bytes */
	NAME("\xe0\x9f\xbf", XFER_NAME_E_UTF8);         /* overlong U+07FF */
	NAME("\xf0\x80\x80\xaf", XFER_NAME_E_UTF8);     /* overlong '/' in 4 bytes */
	NAME("\xf0\x8f\xbf\xbf", XFER_NAME_E_UTF8);     /* overlong U+FFFF */
	NAME("\xed\xa0\x80", XFER_NAME_E_UTF8);         /* U+D800 */
	NAME("\xed\xbf\xbf", XFER_NAME_E_UTF8);         /* U+DFFF */
	NAME("\xed\xa0\xbd\xed\xb8\x80", XFER_NAME_E_UTF8); /* CESU-8 surrogate pair */
	NAME("\xf4\x90\x80\x80", XFER_NAME_E_UTF8);     /* U+110000 */
	NAME("\xf5\x80\x80\x80", XFER_NAME_E_UTF8);
	NAME("\xf8\x88\x80\x80\x80", XFER_NAME_E_UTF8); /* 5-byte form */
	NAME("\x80", XFER_NAME_E_UTF8);                 /* stray continuation */
	NAME("a\xbf", XFER_NAME_E_UTF8);
	NAME("\xc3", XFER_NAME_E_UTF8);                 /* truncated */
	NAME("\xe2\x82", XFER_NAME_E_UTF8);
	NAME("\xf0\x9f\x8f", XFER_NAME_E_UTF8);
	NAME("\xc3(", XFER_NAME_E_UTF8);                /* bad continuation */
	NAME("\xe2\x28\xa1", XFER_NAME_E_UTF8);
	NAME("\xe2\x82\x28", XFER_NAME_E_UTF8);
	NAME("\xf0\x9f\x8f(", XFER_NAME_E_UTF8);
	NAME("\xfe", XFER_NAME_E_UTF8);
	NAME("\xff", XFER_NAME_E_UTF8);
	/* The truncated sequence at the very end of len must not be read past len. */
	expect_name("ab\xe2\x82\xac", 4, XFER_NAME_E_UTF8);
}

static void t_name_accepted(void **state)
{
	(void)state;
	char buf[300];
	NAME("hello.txt", XFER_NAME_OK);
	NAME(EMOJI_NAME, XFER_NAME_OK);
	NAME("with spaces and (brackets) [1].tar.gz", XFER_NAME_OK);
	NAME("-rf", XFER_NAME_OK);
	NAME("--", XFER_NAME_OK);
	NAME("notes.", XFER_NAME_OK);
	NAME("a ", XFER_NAME_OK);
	NAME(" ", XFER_NAME_OK);
	NAME("...", XFER_NAME_OK);
	NAME(".hidden", XFER_NAME_OK);
	NAME("..x", XFER_NAME_OK);
	NAME("CON", XFER_NAME_OK);
	NAME("a:b", XFER_NAME_OK);
	NAME("\xc2\xa0", XFER_NAME_OK);                /* U+00A0, first after C1 */
	NAME("\xc2\x7f" "x", XFER_NAME_E_UTF8);        /* sanity: not a 2-byte form */
	NAME("\xe2\x80\xae" "gpj.exe", XFER_NAME_OK);  /* U+202E: allowed, see TRANSFER.md §11 */
	NAME("\xef\xbb\xbf" "bom", XFER_NAME_OK);      /* U+FEFF */
	NAME("\xef\xbf\xbf", XFER_NAME_OK);            /* U+FFFF noncharacter */
	NAME("\xf4\x8f\xbf\xbf", XFER_NAME_OK);        /* U+10FFFF */
	NAME("\xed\x9f\xbf", XFER_NAME_OK);            /* U+D7FF */
	NAME("\xee\x80\x80", XFER_NAME_OK);            /* U+E000 */
	NAME("\xe0\xa0\x80", XFER_NAME_OK);            /* U+0800 */
	NAME("\xf0\x90\x80\x80", XFER_NAME_OK);        /* U+10000 */
	NAME("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt", XFER_NAME_OK);
	mk(buf, sizeof(buf), "", 'a', 255, "");
	expect_name(buf, 255, XFER_NAME_OK);
	/* 255 bytes as 85 x U+65E5 (3 bytes each). */
	for (int i = 0; i < 85; i++)
		memcpy(buf + 3 * i, "\xe6\x97\xa5", 3);
	expect_name(buf, 255, XFER_NAME_OK);
	/* Only len bytes are examined. */
	expect_name("ab/cd", 2, XFER_NAME_OK);
}

static void t_name_check_order(void **state)
{
	(void)state;
	char buf[300], err[128];
	/* Length before everything. */
	mk(buf, sizeof(buf), "/", '\x01', 255, "");
	expect_name(buf, 256, XFER_NAME_E_TOO_LONG);
	/* UTF-8 before controls, controls before '/', '/' before '\\', all before "..". */
	NAME("\x01\xff", XFER_NAME_E_UTF8);
	NAME("/\xff", XFER_NAME_E_UTF8);
	NAME("/\x01", XFER_NAME_E_CONTROL);
	NAME("\\/", XFER_NAME_E_SLASH);
	NAME("\\.", XFER_NAME_E_BACKSLASH);
	/* The messages say where. */
	assert_int_equal(xfer_name_check("ab/c", 4, err, sizeof(err)), XFER_NAME_E_SLASH);
	assert_string_equal(err, "name contains '/' (byte 2): only a base name is allowed");
	assert_int_equal(xfer_name_check("a\\b", 3, err, sizeof(err)), XFER_NAME_E_BACKSLASH);
	assert_string_equal(err, "name contains '\\' (byte 1): only a base name is allowed");
	assert_int_equal(xfer_name_check("ok\xc2\x9b", 4, err, sizeof(err)), XFER_NAME_E_CONTROL);
	assert_string_equal(err, "name contains control character U+009B (byte 2)");
	assert_int_equal(xfer_name_check("ok\xc0\xaf", 4, err, sizeof(err)), XFER_NAME_E_UTF8);
	assert_string_equal(err, "name is not valid UTF-8 (byte 2)");
	assert_int_equal(xfer_name_check("..", 2, err, sizeof(err)), XFER_NAME_E_DOT);
	assert_string_equal(err, "name \"..\" is not a file name");
	assert_int_equal(xfer_name_check("", 0, err, sizeof(err)), XFER_NAME_E_EMPTY);
	assert_string_equal(err, "name is empty");
	mk(buf, sizeof(buf), "", 'a', 256, "");
	assert_int_equal(xfer_name_check(buf, 256, err, sizeof(err)), XFER_NAME_E_TOO_LONG);
	assert_string_equal(err, "name is longer than 255 bytes");
	/* err may be NULL or tiny. */
	assert_int_equal(xfer_name_check("a/b", 3, NULL, 0), XFER_NAME_E_SLASH);
	assert_int_equal(xfer_name_check("a/b", 3, err, 1), XFER_NAME_E_SLASH);
	assert_string_equal(err, "");
}

static void t_name_sanitize(void **state)
{
	(void)state;
	char out[XFER_NAME_MAX + 1], err[128], big[600];

	memset(out, '#', sizeof(out));
	assert_int_equal(xfer_name_sanitize(EMOJI_NAME, out, sizeof(out), err, sizeof(err)),
			 XFER_NAME_OK);
	assert_string_equal(out, EMOJI_NAME);
	assert_string_equal(err, "");

	/* Refused names leave out = "" and are not "fixed". */
	static const struct {
		const char *in;
		int want;
	} bad[] = {
		{"../x", XFER_NAME_E_SLASH},   {"/etc/passwd", XFER_NAME_E_SLASH},
		{"a/b", XFER_NAME_E_SLASH},    {"..", XFER_NAME_E_DOT},
		{".", XFER_NAME_E_DOT},        {"x\\y", XFER_NAME_E_BACKSLASH},
		{"\x01", XFER_NAME_E_CONTROL}, {"\xc0\xaf", XFER_NAME_E_UTF8},
		{"", XFER_NAME_E_EMPTY},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(xfer_name_sanitize(bad[i].in, out, sizeof(out), err, sizeof(err)),
				 bad[i].want);
		assert_string_equal(out, "");
		assert_true(err[0] != '\0');
	}
	assert_int_equal(xfer_name_sanitize(NULL, out, sizeof(out), err, sizeof(err)),
			 XFER_NAME_E_EMPTY);

	/* Very long input: refused as too long, reading at most 256 bytes of it. */
	mk(big, sizeof(big), "", 'a', 500, "");
	assert_int_equal(xfer_name_sanitize(big, out, sizeof(out), err, sizeof(err)),
			 XFER_NAME_E_TOO_LONG);
	assert_string_equal(err, "name is longer than 255 bytes");
	mk(big, sizeof(big), "", 'a', 255, "");
	assert_int_equal(xfer_name_sanitize(big, out, sizeof(out), NULL, 0), XFER_NAME_OK);
	assert_string_equal(out, big);

	/* Output buffer: exactly len + 1 works, len does not. */
	assert_int_equal(xfer_name_sanitize("abc", out, 4, err, sizeof(err)), XFER_NAME_OK);
	assert_string_equal(out, "abc");
	memset(out, '#', sizeof(out));
	assert_int_equal(xfer_name_sanitize("abc", out, 3, err, sizeof(err)), XFER_NAME_E_SPACE);
	assert_string_equal(out, "");
	assert_string_equal(err, "name needs 4 bytes, buffer has 3");
	assert_int_equal(xfer_name_sanitize("abc", NULL, 0, err, sizeof(err)), XFER_NAME_E_SPACE);
	out[0] = '#';
	assert_int_equal(xfer_name_sanitize("abc", out, 0, NULL, 0), XFER_NAME_E_SPACE);
	assert_int_equal(out[0], '#'); /* cap 0: nothing written */
}

/* --- Message order ------------------------------------------------------------------------- */

/* Two ends of one conversation: what one side sends (LOCAL) the other receives (PEER). */
struct pair {
	struct xfer_seq snd, rcv;
};

static void pair_init(struct pair *p, enum xfer_channel ch)
{
	xfer_seq_init(&p->snd, ch, XFER_ROLE_SENDER);
	xfer_seq_init(&p->rcv, ch, XFER_ROLE_RECEIVER);
}

static void text_ok(struct xfer_seq *from, struct xfer_seq *to, const struct xfer_msg *m)
{
	struct xfer_error e;
	if (xfer_seq_text(from, XFER_LOCAL, m, &e) != 0)
		fail_msg("local %s refused: %s", xfer_type_name(m->type), e.message);
	assert_int_equal(e.code, XFER_OK);
	if (xfer_seq_text(to, XFER_PEER, m, &e) != 0)
		fail_msg("peer %s refused: %s", xfer_type_name(m->type), e.message);
}

static void bin_ok(struct xfer_seq *from, struct xfer_seq *to, size_t len)
{
	struct xfer_error e;
	if (xfer_seq_binary(from, XFER_LOCAL, len, &e) != 0)
		fail_msg("local binary %zu refused: %s", len, e.message);
	if (xfer_seq_binary(to, XFER_PEER, len, &e) != 0)
		fail_msg("peer binary %zu refused: %s", len, e.message);
}

static void assert_seq_same(const struct xfer_seq *a, const struct xfer_seq *b)
{
	assert_int_equal(a->channel, b->channel);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->auth[0], b->auth[0]);
	assert_int_equal(a->auth[1], b->auth[1]);
	assert_int_equal(a->eof[0], b->eof[0]);
	assert_int_equal(a->eof[1], b->eof[1]);
	assert_int_equal(a->bye[0], b->bye[0]);
	assert_int_equal(a->bye[1], b->bye[1]);
	assert_int_equal(a->next_id, b->next_id);
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->bytes, b->bytes);
}

/* A message must be refused with exactly `want`, and must not change the state. */
static void text_bad(struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *m,
		     const char *want)
{
	struct xfer_error e;
	struct xfer_seq before = *s;
	assert_int_equal(xfer_seq_text(s, from, m, &e), -1);
	assert_int_equal(e.code, XFER_E_ORDER);
	assert_string_equal(e.message, want);
	assert_seq_same(&before, s);
}

static void bin_bad(struct xfer_seq *s, enum xfer_origin from, size_t len, const char *want)
{
	struct xfer_error e;
	struct xfer_seq before = *s;
	assert_int_equal(xfer_seq_binary(s, from, len, &e), -1);
	assert_int_equal(e.code, XFER_E_ORDER);
	assert_string_equal(e.message, want);
	assert_seq_same(&before, s);
}

static struct xfer_msg msg(enum xfer_type type, uint64_t id, uint64_t size)
{
	struct xfer_msg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	m.size = size;
	return m;
}

static void authed(struct pair *p)
{
	struct xfer_msg a = msg(XFER_T_AUTH, 0, 0);
	/* The two auths cross: each side sends before it receives. */
	assert_int_equal(xfer_seq_text(&p->snd, XFER_LOCAL, &a, NULL), 0);
	assert_int_equal(xfer_seq_text(&p->rcv, XFER_LOCAL, &a, NULL), 0);
	assert_int_equal(xfer_seq_text(&p->snd, XFER_PEER, &a, NULL), 0);
	assert_int_equal(xfer_seq_text(&p->rcv, XFER_PEER, &a, NULL), 0);
}

static void t_seq_files_happy_path(void **state)
{
	(void)state;
	struct pair p;
	struct xfer_msg m;
	pair_init(&p, XFER_CHANNEL_FILES);
	assert_int_equal(p.snd.state, XFER_S_IDLE);
	assert_int_equal(p.snd.next_id, 1);
	authed(&p);

	/* File 1: 70000 bytes in two chunks, verdict ok. */
	m = msg(XFER_T_FILE, 1, 70000);
	text_ok(&p.snd, &p.rcv, &m);
	assert_int_equal(p.rcv.state, XFER_S_OFFERED);
	assert_int_equal(p.rcv.size, 70000);
	m = msg(XFER_T_ACCEPT, 1, 0);
	text_ok(&p.rcv, &p.snd, &m);
	assert_int_equal(p.snd.state, XFER_S_DATA);
	bin_ok(&p.snd, &p.rcv, 65536);
	bin_ok(&p.snd, &p.rcv, 4464);
	assert_int_equal(p.rcv.bytes, 70000);
	m = msg(XFER_T_END, 1, 0);
	text_ok(&p.snd, &p.rcv, &m);
	assert_int_equal(p.rcv.state, XFER_S_ENDED);
	m = msg(XFER_T_VERDICT, 1, 0);
	text_ok(&p.rcv, &p.snd, &m);
	assert_int_equal(p.snd.state, XFER_S_IDLE);

	/* File 2 rejected. */
	m = msg(XFER_T_FILE, 2, 10);
	text_ok(&p.snd, &p.rcv, &m);
	m = msg(XFER_T_REJECT, 2, 0);
	text_ok(&p.rcv, &p.snd, &m);
	assert_int_equal(p.snd.state, XFER_S_IDLE);

	/* File 3: empty, no binary at all. */
	m = msg(XFER_T_FILE, 3, 0);
	text_ok(&p.snd, &p.rcv, &m);
	m = msg(XFER_T_ACCEPT, 3, 0);
	text_ok(&p.rcv, &p.snd, &m);
	m = msg(XFER_T_END, 3, 0);
	text_ok(&p.snd, &p.rcv, &m);
	m = msg(XFER_T_VERDICT, 3, 0);
	text_ok(&p.rcv, &p.snd, &m);

	/* File 4: the sender ends early (file shrank); the order allows it, the verdict is
	 * "size", and the counters tell the receiver so. */
	m = msg(XFER_T_FILE, 4, 100);
	text_ok(&p.snd, &p.rcv, &m);
	m = msg(XFER_T_ACCEPT, 4, 0);
	text_ok(&p.rcv, &p.snd, &m);
	bin_ok(&p.snd, &p.rcv, 60);
	m = msg(XFER_T_END, 4, 0);
	text_ok(&p.snd, &p.rcv, &m);
	assert_int_equal(p.rcv.bytes, 60);
	assert_int_equal(p.rcv.size, 100);
	m = msg(XFER_T_VERDICT, 4, 0);
	text_ok(&p.rcv, &p.snd, &m);

	m = msg(XFER_T_DONE, 0, 0);
	text_ok(&p.snd, &p.rcv, &m);
	assert_int_equal(p.snd.state, XFER_S_DONE);
	m = msg(XFER_T_BYE, 0, 0);
	text_ok(&p.rcv, &p.snd, &m);
	assert_int_equal(p.snd.state, XFER_S_CLOSED);
	assert_int_equal(p.rcv.state, XFER_S_CLOSED);
	assert_int_equal(p.snd.next_id, 5);
}

static void t_seq_files_errors(void **state)
{
	(void)state;
	struct pair p;
	struct xfer_msg m;
	struct xfer_seq *r = &p.rcv, *s = &p.snd;

	/* Before auth. */
	pair_init(&p, XFER_CHANNEL_FILES);
	m = msg(XFER_T_FILE, 1, 5);
	text_bad(r, XFER_PEER, &m, "file: before auth (auth must be the first message)");
	bin_bad(r, XFER_PEER, 5, "binary: before auth (auth must be the first message)");
	/* The sender sent its auth but has not verified ours yet. */
	m = msg(XFER_T_AUTH, 0, 0);
	assert_int_equal(xfer_seq_text(s, XFER_LOCAL, &m, NULL), 0);
	m = msg(XFER_T_FILE, 1, 5);
	text_bad(s, XFER_LOCAL, &m, "file: before the peer's auth was verified");
	/* The receiver got the sender's auth but has not sent its own: the sender cannot
	 * have verified it, so a file now is the sender's error. */
	m = msg(XFER_T_AUTH, 0, 0);
	assert_int_equal(xfer_seq_text(r, XFER_PEER, &m, NULL), 0);
	m = msg(XFER_T_FILE, 1, 5);
	text_bad(r, XFER_PEER, &m, "file: before we sent our auth");
	m = msg(XFER_T_AUTH, 0, 0);
	text_bad(r, XFER_PEER, &m, "auth: sent twice");
	assert_int_equal(xfer_seq_text(r, XFER_LOCAL, &m, NULL), 0);
	text_bad(r, XFER_LOCAL, &m, "auth: sent twice");
	assert_int_equal(xfer_seq_text(s, XFER_PEER, &m, NULL), 0);

	/* Idle: only file and done, only from the sender, ids from 1. */
	m = msg(XFER_T_FILE, 2, 5);
	text_bad(r, XFER_PEER, &m, "file: id 2, expected 1");
	m = msg(XFER_T_FILE, 1, 5);
	text_bad(r, XFER_LOCAL, &m, "file: only the sender sends it");
	text_bad(s, XFER_PEER, &m, "file: only the sender sends it");
	m = msg(XFER_T_ACCEPT, 1, 0);
	text_bad(r, XFER_LOCAL, &m, "accept: not allowed in state idle (file 0)");
	text_bad(s, XFER_LOCAL, &m, "accept: only the receiver sends it");
	m = msg(XFER_T_BYE, 0, 0);
	text_bad(r, XFER_LOCAL, &m, "bye: not allowed in state idle (file 0)");
	m = msg(XFER_T_EOF, 0, 0);
	text_bad(r, XFER_PEER, &m, "eof: not used on rtc-xfer.v1");
	bin_bad(r, XFER_PEER, 1, "binary: not allowed in state idle (file 0)");

	/* Offered: binary before accept, a second file, accept with another id. */
	m = msg(XFER_T_FILE, 1, 100);
	text_ok(s, r, &m);
	bin_bad(r, XFER_PEER, 10, "binary: not allowed in state offered (file 1)");
	bin_bad(s, XFER_LOCAL, 10, "binary: not allowed in state offered (file 1)");
	m = msg(XFER_T_FILE, 2, 5);
	text_bad(r, XFER_PEER, &m, "file: not allowed in state offered (file 1)");
	m = msg(XFER_T_ACCEPT, 2, 0);
	text_bad(s, XFER_PEER, &m, "accept: id 2, but file 1 is in flight");
	m = msg(XFER_T_REJECT, 7, 0);
	text_bad(s, XFER_PEER, &m, "reject: id 7, but file 1 is in flight");
	m = msg(XFER_T_DONE, 0, 0);
	text_bad(r, XFER_PEER, &m, "done: not allowed in state offered (file 1)");
	m = msg(XFER_T_END, 1, 0);
	text_bad(r, XFER_PEER, &m, "end: not allowed in state offered (file 1)");

	/* Data: chunk sizes, more bytes than size, binary from the receiver. */
	m = msg(XFER_T_ACCEPT, 1, 0);
	text_ok(r, s, &m);
	bin_bad(r, XFER_PEER, 0, "binary: 0 bytes; must be 1..65536");
	bin_bad(r, XFER_PEER, 65537, "binary: 65537 bytes; must be 1..65536");
	bin_bad(s, XFER_PEER, 10, "binary: only the sender sends file data");
	bin_bad(r, XFER_LOCAL, 10, "binary: only the sender sends file data");
	bin_ok(s, r, 99);
	bin_bad(r, XFER_PEER, 2, "binary: 101 bytes in total, more than the size 100");
	bin_ok(s, r, 1);
	bin_bad(r, XFER_PEER, 1, "binary: 101 bytes in total, more than the size 100");
	m = msg(XFER_T_VERDICT, 1, 0);
	text_bad(s, XFER_PEER, &m, "verdict: not allowed in state data (file 1)");
	m = msg(XFER_T_END, 2, 0);
	text_bad(r, XFER_PEER, &m, "end: id 2, but file 1 is in flight");

	/* Ended: nothing but the verdict (with the right id). */
	m = msg(XFER_T_END, 1, 0);
	text_ok(s, r, &m);
	bin_bad(r, XFER_PEER, 1, "binary: not allowed in state ended (file 1)");
	m = msg(XFER_T_FILE, 2, 1);
	text_bad(r, XFER_PEER, &m, "file: not allowed in state ended (file 1)");
	text_bad(s, XFER_LOCAL, &m, "file: not allowed in state ended (file 1)");
	m = msg(XFER_T_VERDICT, 3, 0);
	text_bad(s, XFER_PEER, &m, "verdict: id 3, but file 1 is in flight");
	m = msg(XFER_T_VERDICT, 1, 0);
	text_ok(r, s, &m);

	/* Ids do not repeat. */
	m = msg(XFER_T_FILE, 1, 1);
	text_bad(r, XFER_PEER, &m, "file: id 1, expected 2");

	/* Done: only bye; then the session is over. */
	m = msg(XFER_T_DONE, 0, 0);
	text_ok(s, r, &m);
	m = msg(XFER_T_FILE, 2, 1);
	text_bad(r, XFER_PEER, &m, "file: not allowed in state done (file 1)");
	m = msg(XFER_T_DONE, 0, 0);
	text_bad(r, XFER_PEER, &m, "done: not allowed in state done (file 1)");
	m = msg(XFER_T_BYE, 0, 0);
	text_ok(r, s, &m);
	text_bad(s, XFER_PEER, &m, "bye: the session is closed");
	m = msg(XFER_T_ABORT, 0, 0);
	text_bad(s, XFER_PEER, &m, "abort: the session is closed");
	m = msg(XFER_T_AUTH, 0, 0);
	text_bad(s, XFER_PEER, &m, "auth: the session is closed");
	bin_bad(r, XFER_PEER, 1, "binary: the session is closed");

	/* Invalid input. */
	m = msg(XFER_T_INVALID, 0, 0);
	text_bad(s, XFER_PEER, &m, "invalid message");
	m = msg(XFER_T_COUNT, 0, 0);
	text_bad(s, XFER_PEER, &m, "invalid message");
	struct xfer_error e;
	assert_int_equal(xfer_seq_text(s, XFER_PEER, NULL, &e), -1);
	assert_string_equal(e.message, "invalid message");
}

static void t_seq_abort(void **state)
{
	(void)state;
	struct pair p;
	struct xfer_msg m, a = msg(XFER_T_ABORT, 0, 0);

	/* Abort is allowed as the very first message (failed authentication). */
	pair_init(&p, XFER_CHANNEL_FILES);
	assert_int_equal(xfer_seq_text(&p.rcv, XFER_PEER, &a, NULL), 0);
	assert_int_equal(p.rcv.state, XFER_S_ABORTED);
	m = msg(XFER_T_AUTH, 0, 0);
	text_bad(&p.rcv, XFER_PEER, &m, "auth: the session is aborted");
	text_bad(&p.rcv, XFER_LOCAL, &a, "abort: the session is aborted");

	/* And in the middle of a file, from either side. */
	pair_init(&p, XFER_CHANNEL_FILES);
	authed(&p);
	m = msg(XFER_T_FILE, 1, 10);
	text_ok(&p.snd, &p.rcv, &m);
	m = msg(XFER_T_ACCEPT, 1, 0);
	text_ok(&p.rcv, &p.snd, &m);
	bin_ok(&p.snd, &p.rcv, 5);
	text_ok(&p.rcv, &p.snd, &a);
	assert_int_equal(p.snd.state, XFER_S_ABORTED);
	bin_bad(&p.snd, XFER_LOCAL, 5, "binary: the session is aborted");
	m = msg(XFER_T_END, 1, 0);
	text_bad(&p.snd, XFER_LOCAL, &m, "end: the session is aborted");

	/* A NULL err is allowed. */
	assert_int_equal(xfer_seq_binary(&p.snd, XFER_LOCAL, 5, NULL), -1);
}

static void t_seq_pipe(void **state)
{
	(void)state;
	struct pair p; /* on the pipe both ends are alike; the role is ignored */
	struct xfer_msg m, eof = msg(XFER_T_EOF, 0, 0);
	struct xfer_seq *a = &p.snd, *b = &p.rcv;

	pair_init(&p, XFER_CHANNEL_PIPE);
	bin_bad(b, XFER_PEER, 10, "binary: before auth (auth must be the first message)");
	text_bad(b, XFER_PEER, &eof, "eof: before auth (auth must be the first message)");
	authed(&p);

	/* Both directions at once, any sizes up to the limit. */
	bin_ok(a, b, 6);
	bin_ok(b, a, 3);
	bin_ok(a, b, 65536);
	bin_bad(b, XFER_PEER, 65537, "binary: 65537 bytes; must be 1..65536");
	bin_bad(b, XFER_PEER, 0, "binary: 0 bytes; must be 1..65536");
	/* File messages do not belong here. */
	m = msg(XFER_T_FILE, 1, 1);
	text_bad(b, XFER_PEER, &m, "file: not used on rtc-pipe.v1");
	m = msg(XFER_T_DONE, 0, 0);
	text_bad(b, XFER_PEER, &m, "done: not used on rtc-pipe.v1");
	struct xfer_msg bye = msg(XFER_T_BYE, 0, 0);
	text_bad(a, XFER_LOCAL, &bye, "bye: before both eofs");

	/* Half-close: A ends, B keeps sending. */
	text_ok(a, b, &eof);
	bin_bad(b, XFER_PEER, 1, "binary: after eof");
	bin_bad(a, XFER_LOCAL, 1, "binary: after eof");
	text_bad(b, XFER_PEER, &eof, "eof: sent twice");
	assert_int_equal(a->state, XFER_S_IDLE);
	bin_ok(b, a, 100);
	text_ok(b, a, &eof);
	/* Both eofs: still open until both sides said bye (the peer may hold unwritten data). */
	assert_int_equal(a->state, XFER_S_IDLE);
	text_ok(a, b, &bye);
	text_bad(b, XFER_PEER, &bye, "bye: sent twice");
	assert_int_equal(a->state, XFER_S_IDLE);
	text_ok(b, a, &bye);
	assert_int_equal(a->state, XFER_S_CLOSED);
	assert_int_equal(b->state, XFER_S_CLOSED);
	bin_bad(a, XFER_PEER, 1, "binary: the session is closed");

	/* Abort ends a pipe too. */
	pair_init(&p, XFER_CHANNEL_PIPE);
	authed(&p);
	m = msg(XFER_T_ABORT, 0, 0);
	text_ok(a, b, &m);
	assert_int_equal(b->state, XFER_S_ABORTED);
	bin_bad(b, XFER_LOCAL, 1, "binary: the session is aborted");
}

/* --- TRANSFER.md §10, replayed --------------------------------------------------------------- */

/* One line of a transcript: who sends, the wire text (NULL: binary of `bin` bytes). */
struct line {
	char from; /* 'S' sender, 'R' receiver */
	const char *text;
	size_t bin;
};

/* Parses every text line, rebuilds it with the builder for its type and compares the bytes,
 * and runs both ends' order checks. */
static void replay(const struct line *lines, size_t n, enum xfer_state final_state)
{
	struct pair p;
	pair_init(&p, XFER_CHANNEL_FILES);
	for (size_t i = 0; i < n; i++) {
		struct xfer_seq *from = lines[i].from == 'S' ? &p.snd : &p.rcv;
		struct xfer_seq *to = lines[i].from == 'S' ? &p.rcv : &p.snd;
		if (!lines[i].text) {
			bin_ok(from, to, lines[i].bin);
			continue;
		}
		struct xfer_msg m;
		json_t *rebuilt = NULL;
		parse_ok(lines[i].text, &m);
		switch (m.type) {
		case XFER_T_AUTH:
			rebuilt = xfer_build_auth(m.mac, (unsigned)m.lanes);
			break;
		case XFER_T_FILE:
			rebuilt = xfer_build_file(m.id, m.name, m.size);
			break;
		case XFER_T_ACCEPT:
			rebuilt = xfer_build_accept(m.id);
			break;
		case XFER_T_REJECT:
			rebuilt = xfer_build_reject(m.id, m.reject);
			break;
		case XFER_T_END:
			rebuilt = xfer_build_end(m.id, m.sha256);
			break;
		case XFER_T_VERDICT:
			rebuilt = xfer_build_verdict(m.id, m.verdict);
			break;
		case XFER_T_DONE:
			rebuilt = xfer_build_done();
			break;
		case XFER_T_BYE:
			rebuilt = xfer_build_bye();
			break;
		case XFER_T_ABORT:
			rebuilt = xfer_build_abort(m.reason);
			break;
		default:
			fail_msg("unexpected type in transcript");
		}
		expect_wire(rebuilt, lines[i].text);
		text_ok(from, to, &m);
		xfer_msg_clear(&m);
	}
	assert_int_equal(p.snd.state, final_state);
	assert_int_equal(p.rcv.state, final_state);
}

static void t_transcripts(void **state)
{
	(void)state;
	static const struct line two_files[] = {
		{'S', "{\"type\":\"auth\",\"mac\":\"" MAC_ANSWERER "\"}", 0},
		{'R', "{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\"}", 0},
		{'S', "{\"type\":\"file\",\"id\":1,\"name\":\"hello.txt\",\"size\":5}", 0},
		{'R', "{\"type\":\"accept\",\"id\":1}", 0},
		{'S', NULL, 5},
		{'S', "{\"type\":\"end\",\"id\":1,\"sha256\":\"" SHA_HELLO "\"}", 0},
		{'R', "{\"type\":\"verdict\",\"id\":1,\"ok\":true}", 0},
		{'S', "{\"type\":\"file\",\"id\":2,\"name\":\"" EMOJI_NAME "\",\"size\":2500000}", 0},
		{'R', "{\"type\":\"reject\",\"id\":2,\"reason\":\"exists\"}", 0},
		{'S', "{\"type\":\"file\",\"id\":3,\"name\":\"empty\",\"size\":0}", 0},
		{'R', "{\"type\":\"accept\",\"id\":3}", 0},
		{'S', "{\"type\":\"end\",\"id\":3,\"sha256\":\"" SHA_EMPTY "\"}", 0},
		{'R', "{\"type\":\"verdict\",\"id\":3,\"ok\":true}", 0},
		{'S', "{\"type\":\"done\"}", 0},
		{'R', "{\"type\":\"bye\"}", 0},
	};
	replay(two_files, sizeof(two_files) / sizeof(two_files[0]), XFER_S_CLOSED);

	static const struct line damaged[] = {
		{'S', "{\"type\":\"auth\",\"mac\":\"" MAC_ANSWERER "\"}", 0},
		{'R', "{\"type\":\"auth\",\"mac\":\"" MAC_OFFERER "\"}", 0},
		{'S', "{\"type\":\"file\",\"id\":1,\"name\":\"data.bin\",\"size\":70000}", 0},
		{'R', "{\"type\":\"accept\",\"id\":1}", 0},
		{'S', NULL, 65536},
		{'S', NULL, 4464},
		{'S', "{\"type\":\"end\",\"id\":1,\"sha256\":\"" SHA_DATA "\"}", 0},
		{'R', "{\"type\":\"verdict\",\"id\":1,\"ok\":false,\"reason\":\"checksum\"}", 0},
		{'S', "{\"type\":\"file\",\"id\":2,\"name\":\"..\",\"size\":1}", 0},
		{'R', "{\"type\":\"reject\",\"id\":2,\"reason\":\"bad-name\"}", 0},
		{'S', "{\"type\":\"done\"}", 0},
		{'R', "{\"type\":\"bye\"}", 0},
	};
	replay(damaged, sizeof(damaged) / sizeof(damaged[0]), XFER_S_CLOSED);

	/* §10 protocol error: the receiver's check produces exactly the abort reason shown. */
	struct pair p;
	struct xfer_msg m;
	struct xfer_error e;
	pair_init(&p, XFER_CHANNEL_FILES);
	authed(&p);
	parse_ok("{\"type\":\"file\",\"id\":1,\"name\":\"a\",\"size\":10}", &m);
	text_ok(&p.snd, &p.rcv, &m);
	xfer_msg_clear(&m);
	assert_int_equal(xfer_seq_binary(&p.rcv, XFER_PEER, 10, &e), -1);
	expect_wire(xfer_build_abort(e.message),
		    "{\"type\":\"abort\",\"reason\":\"binary: not allowed in state offered (file 1)\"}");

	/* §10 failed authentication: the abort text. */
	expect_wire(xfer_build_abort("authentication failed"),
		    "{\"type\":\"abort\",\"reason\":\"authentication failed\"}");
	parse_ok("{\"type\":\"auth\",\"mac\":\"" HEX_ZERO "\"}", &m);
	assert_true(all_zero(m.mac, sizeof(m.mac)));
	xfer_msg_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_tables),
		cmocka_unit_test(t_parse_auth),
		cmocka_unit_test(t_parse_file),
		cmocka_unit_test(t_parse_accept_reject),
		cmocka_unit_test(t_parse_end_verdict),
		cmocka_unit_test(t_parse_memberless_and_abort),
		cmocka_unit_test(t_parse_bounds),
		cmocka_unit_test(t_err_bad_json),
		cmocka_unit_test(t_err_message_is_printable),
		cmocka_unit_test(t_err_type),
		cmocka_unit_test(t_err_auth),
		cmocka_unit_test(t_err_file),
		cmocka_unit_test(t_err_accept_reject),
		cmocka_unit_test(t_err_end),
		cmocka_unit_test(t_err_verdict),
		cmocka_unit_test(t_err_abort),
		cmocka_unit_test(t_build_exact),
		cmocka_unit_test(t_build_refuses_bad_arguments),
		cmocka_unit_test(t_build_abort_sanitises),
		cmocka_unit_test(t_build_round_trip),
		cmocka_unit_test(t_dump),
		cmocka_unit_test(t_name_hostile),
		cmocka_unit_test(t_name_invalid_utf8),
		cmocka_unit_test(t_name_accepted),
		cmocka_unit_test(t_name_check_order),
		cmocka_unit_test(t_name_sanitize),
		cmocka_unit_test(t_seq_files_happy_path),
		cmocka_unit_test(t_seq_files_errors),
		cmocka_unit_test(t_seq_abort),
		cmocka_unit_test(t_seq_pipe),
		cmocka_unit_test(t_transcripts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
