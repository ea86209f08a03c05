/*
 * test_signal_msg.c - proto/signal_msg against proto/PROTOCOL.md.
 *
 * Every message type of §4 and §5 is parsed with every member checked, every error path of the
 * parser is driven (with the exact code of §6 and the member named in the message), the
 * validation order of §8 is pinned, and every builder is compared byte for byte with the wire
 * text it must produce and parsed back. The §8 transcript is replayed line by line.
 *
 * Nothing here may leak: the suite also runs under ASan/LeakSanitizer. Helpers release what
 * they own before they report a failure, so a failing check does not also show up as a leak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal_msg.h"

#define PEER_A "mfrggzdfmztwq2lknnwg23tpoa"
#define PEER_B "nbswy3dpeb3w64tmmqqgc3dfmm"
#define ROOM   "k3Jd9xQ2mZ"

enum dir { CLIENT, SERVER };

/* --- Helpers ------------------------------------------------------------------------------ */

static int parse(enum dir d, const char *text, size_t len, struct sig_msg *m, struct sig_error *e)
{
	return d == SERVER ? sig_parse_server(text, len, m, e) : sig_parse_client(text, len, m, e);
}

/* Parses text that must be accepted. The caller owns *m and clears it. */
static void parse_ok_len(enum dir d, const char *text, size_t len, struct sig_msg *m)
{
	struct sig_error e;
	char why[512];
	if (parse(d, text, len, m, &e) == 0) {
		sig_error_clear(&e);
		return;
	}
	snprintf(why, sizeof(why), "%s rejected %.*s: %s (%s)",
		 d == SERVER ? "sig_parse_server" : "sig_parse_client", (int)len, text,
		 sig_error_wire(e.code), e.message);
	sig_error_clear(&e);
	fail_msg("%s", why);
}

static void parse_ok(enum dir d, const char *text, struct sig_msg *m)
{
	parse_ok_len(d, text, strlen(text), m);
}

/* The compact JSON text of any value (NULL -> "(null)"); malloc'd. */
static char *dump_any(const json_t *v)
{
	if (!v)
		return strdup("(null)");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : strdup("(dump failed)");
}

/* Asserts that a JSON value serialises to exactly `want`. Does not take ownership. */
static void assert_json_text(const json_t *v, const char *want)
{
	char *got = dump_any(v);
	char why[2048];
	if (strcmp(got, want) == 0) {
		free(got);
		return;
	}
	snprintf(why, sizeof(why), "JSON mismatch:\n  got  %s\n  want %s", got, want);
	free(got);
	fail_msg("%s", why);
}

/* Asserts that a builder's result (a new reference, consumed here) goes on the wire as exactly
 * `want`, with sig_dump reporting the right length. */
static void expect_wire(json_t *built, const char *want)
{
	size_t len = 0;
	char why[2048];
	if (!built)
		fail_msg("builder returned NULL, expected %s", want);
	char *got = sig_dump(built, &len);
	json_decref(built);
	if (!got)
		fail_msg("sig_dump returned NULL, expected %s", want);
	if (strcmp(got, want) == 0 && len == strlen(want)) {
		free(got);
		return;
	}
	snprintf(why, sizeof(why), "wire mismatch:\n  got  %s (len %zu)\n  want %s", got, len, want);
	free(got);
	fail_msg("%s", why);
}

/* Serialises a builder's result (consumed) and parses it back in direction d into *m. */
static void round_trip(enum dir d, json_t *built, struct sig_msg *m)
{
	assert_non_null(built);
	size_t len = 0;
	char *text = sig_dump(built, &len);
	json_decref(built);
	assert_non_null(text);
	struct sig_error e;
	char why[2048];
	int rc = parse(d, text, len, m, &e);
	if (rc == 0) {
		sig_error_clear(&e);
		free(text);
		return;
	}
	snprintf(why, sizeof(why), "round trip of %s failed: %s (%s)", text, sig_error_wire(e.code),
		 e.message);
	sig_error_clear(&e);
	free(text);
	fail_msg("%s", why);
}

/*
 * Parses text that must be refused with `code`. When member is set, the message must name it
 * ("member: ..."). When id is set, err.req_id must serialise to it; else it must be NULL.
 * After a failure the message struct must be cleared.
 */
static void expect_err(enum dir d, const char *text, size_t len, enum sig_error_code code,
		       const char *member, const char *id)
{
	struct sig_msg m;
	struct sig_error e;
	char why[1024];
	int rc = parse(d, text, len, &m, &e);

	if (rc == 0) {
		sig_msg_clear(&m);
		sig_error_clear(&e);
		fail_msg("%s accepted %.*s, expected %s", d == SERVER ? "server" : "client", (int)len,
			 text, sig_error_wire(code));
	}
	assert_int_equal(rc, -1);
	why[0] = '\0';
	if (e.code != code) {
		snprintf(why, sizeof(why), "%.*s: got %s (%s), expected %s", (int)len, text,
			 sig_error_wire(e.code), e.message, sig_error_wire(code));
	} else if (e.message[0] == '\0') {
		snprintf(why, sizeof(why), "%.*s: empty error message", (int)len, text);
	} else if (member && (strncmp(e.message, member, strlen(member)) != 0 ||
			      e.message[strlen(member)] != ':')) {
		snprintf(why, sizeof(why), "%.*s: message \"%s\" does not name member \"%s\"",
			 (int)len, text, e.message, member);
	} else {
		char *got_id = e.req_id ? dump_any(e.req_id) : NULL;
		if (!id && got_id)
			snprintf(why, sizeof(why), "%.*s: req_id %s echoed, expected none", (int)len,
				 text, got_id);
		else if (id && (!got_id || strcmp(got_id, id) != 0))
			snprintf(why, sizeof(why), "%.*s: req_id %s, expected %s", (int)len, text,
				 got_id ? got_id : "(none)", id);
		free(got_id);
	}
	if (!why[0] && (m.root || m.type != SIG_T_INVALID || m.mline != -1 || m.room || m.to ||
			m.sdp || m.req_id || m.data || m.meta))
		snprintf(why, sizeof(why), "%.*s: message struct not cleared after failure", (int)len,
			 text);
	sig_error_clear(&e);
	if (why[0])
		fail_msg("%s", why);
}

/* String literals carry their own length, so they may contain NUL bytes. */
#define C_ERR(lit, code, member)         expect_err(CLIENT, lit, sizeof(lit) - 1, code, member, NULL)
#define C_ERR_ID(lit, code, member, id)  expect_err(CLIENT, lit, sizeof(lit) - 1, code, member, id)
#define S_ERR(lit, code, member)         expect_err(SERVER, lit, sizeof(lit) - 1, code, member, NULL)
#define S_ERR_ID(lit, code, member, id)  expect_err(SERVER, lit, sizeof(lit) - 1, code, member, id)

/* Which members of a parsed message are expected to be set; all others must be unset. */
enum {
	F_REQ_ID = 1u << 0,
	F_ROOM = 1u << 1,
	F_TO = 1u << 2,
	F_FROM = 1u << 3,
	F_PEER = 1u << 4,
	F_SDP = 1u << 5,
	F_CANDIDATE = 1u << 6,
	F_MID = 1u << 7,
	F_MLINE = 1u << 8,
	F_TOKEN = 1u << 9,
	F_CODE = 1u << 10,
	F_MESSAGE = 1u << 11,
	F_META = 1u << 12,
	F_DATA = 1u << 13,
	F_PEERS = 1u << 14,
	F_ICE = 1u << 15,
	F_MAXP = 1u << 16,
};

static void check_set(const void *p, unsigned set, unsigned flag, const char *name)
{
	if ((set & flag) && !p)
		fail_msg("member %s expected set, is NULL", name);
	if (!(set & flag) && p)
		fail_msg("member %s expected unset, is set", name);
}

static void check_only(const struct sig_msg *m, enum sig_type type, unsigned set)
{
	assert_int_equal(m->type, type);
	assert_non_null(m->root);
	check_set(m->req_id, set, F_REQ_ID, "req_id");
	check_set(m->room, set, F_ROOM, "room");
	check_set(m->to, set, F_TO, "to");
	check_set(m->from, set, F_FROM, "from");
	check_set(m->peer, set, F_PEER, "peer");
	check_set(m->sdp, set, F_SDP, "sdp");
	check_set(m->candidate, set, F_CANDIDATE, "candidate");
	check_set(m->mid, set, F_MID, "mid");
	check_set(m->token, set, F_TOKEN, "token");
	check_set(m->code, set, F_CODE, "code");
	check_set(m->message, set, F_MESSAGE, "message");
	check_set(m->meta, set, F_META, "meta");
	check_set(m->data, set, F_DATA, "data");
	check_set(m->peers, set, F_PEERS, "peers");
	check_set(m->ice_servers, set, F_ICE, "ice_servers");
	if (set & F_MLINE)
		assert_true(m->mline >= 0);
	else
		assert_int_equal(m->mline, -1);
	if (!(set & F_MAXP))
		assert_int_equal(m->max_peers, 0);
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

/* --- Small pure functions ----------------------------------------------------------------- */

static void t_error_wire_every_code(void **state)
{
	(void)state;
	static const char *const want[SIG_ERROR_COUNT] = {
		[SIG_OK] = "ok",
		[SIG_E_BAD_JSON] = "bad-json",
		[SIG_E_UNKNOWN_TYPE] = "unknown-type",
		[SIG_E_BAD_FIELD] = "bad-field",
		[SIG_E_NOT_JOINED] = "not-joined",
		[SIG_E_ALREADY_JOINED] = "already-joined",
		[SIG_E_ROOM_FULL] = "room-full",
		[SIG_E_PEER_NOT_FOUND] = "peer-not-found",
		[SIG_E_TOO_LARGE] = "too-large",
		[SIG_E_RATE_LIMITED] = "rate-limited",
		[SIG_E_PEER_BUSY] = "peer-busy",
		[SIG_E_UNAUTHORIZED] = "unauthorized",
		[SIG_E_SERVER_FULL] = "server-full",
		[SIG_E_TOO_MANY_CONNS] = "too-many-connections",
		[SIG_E_INTERNAL] = "internal",
	};
	for (int c = 0; c < SIG_ERROR_COUNT; c++) {
		assert_non_null(want[c]);
		assert_string_equal(sig_error_wire((enum sig_error_code)c), want[c]);
		const char *human = sig_error_human((enum sig_error_code)c);
		assert_non_null(human);
		assert_true(human[0] != '\0');
	}
	assert_string_equal(sig_error_human(SIG_E_ROOM_FULL), "the room is full");
	/* Out of range maps to "internal", never to an out-of-bounds read. */
	assert_string_equal(sig_error_wire(SIG_ERROR_COUNT), "internal");
	assert_string_equal(sig_error_wire((enum sig_error_code)1000), "internal");
	assert_string_equal(sig_error_human(SIG_ERROR_COUNT), sig_error_human(SIG_E_INTERNAL));
}

static void t_type_names(void **state)
{
	(void)state;
	static const char *const want[SIG_T_COUNT] = {
		[SIG_T_INVALID] = "invalid",   [SIG_T_JOIN] = "join",
		[SIG_T_LEAVE] = "leave",       [SIG_T_OFFER] = "offer",
		[SIG_T_ANSWER] = "answer",     [SIG_T_CANDIDATE] = "candidate",
		[SIG_T_PUBLISH] = "publish",   [SIG_T_PING] = "ping",
		[SIG_T_JOINED] = "joined",     [SIG_T_LEFT] = "left",
		[SIG_T_PEER_JOINED] = "peer-joined", [SIG_T_PEER_LEFT] = "peer-left",
		[SIG_T_PONG] = "pong",         [SIG_T_ERROR] = "error",
	};
	for (int t = 0; t < SIG_T_COUNT; t++)
		assert_string_equal(sig_type_name((enum sig_type)t), want[t]);
	for (int t = 1; t < SIG_T_COUNT; t++)
		assert_int_equal(sig_type_from_name(want[t]), t);
	assert_string_equal(sig_type_name(SIG_T_COUNT), "invalid");
	assert_int_equal(sig_type_from_name("invalid"), SIG_T_INVALID);
	assert_int_equal(sig_type_from_name(""), SIG_T_INVALID);
	assert_int_equal(sig_type_from_name("JOIN"), SIG_T_INVALID);
	assert_int_equal(sig_type_from_name("joi"), SIG_T_INVALID);
	assert_int_equal(sig_type_from_name("joined "), SIG_T_INVALID);
	assert_string_equal(SIG_SUBPROTOCOL, "rtc-signal.v1");
}

static void t_room_valid(void **state)
{
	(void)state;
	char buf[128];
	assert_true(sig_room_valid("a", 1));
	assert_true(sig_room_valid("AZaz09_-", 8));
	mk(buf, sizeof(buf), "", 'x', 64, "");
	assert_true(sig_room_valid(buf, 64));
	mk(buf, sizeof(buf), "", 'x', 65, "");
	assert_false(sig_room_valid(buf, 65));
	assert_false(sig_room_valid("", 0));
	assert_false(sig_room_valid("a b", 3));
	assert_false(sig_room_valid("a.b", 3));
	assert_false(sig_room_valid("a/b", 3));
	assert_false(sig_room_valid("\xc3\xa9", 2));
	/* Only len bytes are examined. */
	assert_true(sig_room_valid("ab cd", 2));
	assert_false(sig_room_valid("a\0b", 3));
}

/* --- Client -> server: every type, every member ------------------------------------------- */

static void t_client_join_full(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT,
		 "{\"type\":\"join\",\"room\":\"" ROOM "\",\"meta\":{\"name\":\"laptop\"},"
		 "\"token\":\"s3cret\",\"max_peers\":2,\"id\":1}",
		 &m);
	check_only(&m, SIG_T_JOIN, F_ROOM | F_META | F_TOKEN | F_MAXP | F_REQ_ID);
	assert_string_equal(m.room, ROOM);
	assert_json_text(m.meta, "{\"name\":\"laptop\"}");
	assert_string_equal(m.token, "s3cret");
	assert_int_equal(m.max_peers, 2);
	assert_json_text(m.req_id, "1");
	sig_msg_clear(&m);
	/* sig_msg_clear leaves a clean struct (mline -1) and may be called twice. */
	assert_null(m.root);
	assert_int_equal(m.type, SIG_T_INVALID);
	assert_int_equal(m.mline, -1);
	sig_msg_clear(&m);
}

static void t_client_join_minimal(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"a\"}", &m);
	check_only(&m, SIG_T_JOIN, F_ROOM);
	assert_string_equal(m.room, "a");
	sig_msg_clear(&m);
}

static void t_client_join_limits_accepted(void **state)
{
	(void)state;
	char buf[4096], room[80];
	struct sig_msg m;

	/* Room of exactly 64 characters over the whole charset. */
	mk(room, sizeof(room), "AZaz09_-", 'q', 56, "");
	snprintf(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"%s\"}", room);
	parse_ok(CLIENT, buf, &m);
	assert_string_equal(m.room, room);
	assert_int_equal(strlen(m.room), 64);
	sig_msg_clear(&m);

	/* max_peers at both ends of 2..65535. */
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"max_peers\":2}", &m);
	assert_int_equal(m.max_peers, 2);
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"max_peers\":65535}", &m);
	assert_int_equal(m.max_peers, 65535);
	sig_msg_clear(&m);

	/* Token: empty and exactly 512 bytes. */
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"token\":\"\"}", &m);
	check_only(&m, SIG_T_JOIN, F_ROOM | F_TOKEN);
	assert_string_equal(m.token, "");
	sig_msg_clear(&m);
	mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"token\":\"", 't', 512, "\"}");
	parse_ok(CLIENT, buf, &m);
	assert_int_equal(strlen(m.token), 512);
	sig_msg_clear(&m);

	/* Meta: empty object, and exactly 1024 bytes serialised ({"k":"..."} is n + 8 bytes). */
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"meta\":{}}", &m);
	assert_json_text(m.meta, "{}");
	sig_msg_clear(&m);
	mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"meta\":{\"k\":\"", 'm', 1016, "\"}}");
	parse_ok(CLIENT, buf, &m);
	char *meta = sig_dump(m.meta, NULL);
	assert_non_null(meta);
	assert_int_equal(strlen(meta), 1024);
	free(meta);
	sig_msg_clear(&m);
	/* The size is that of the compact serialisation, not of the input text. */
	mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"meta\":{ \"k\" :   \"", 'm', 1016,
	   "\"   }}");
	parse_ok(CLIENT, buf, &m);
	sig_msg_clear(&m);

	/* Request ids: a string of exactly 64 bytes, zero, negative, large integers. */
	mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"id\":\"", 'i', 64, "\"}");
	parse_ok(CLIENT, buf, &m);
	assert_int_equal(json_string_length(m.req_id), 64);
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"id\":-9007199254740993}", &m);
	assert_json_text(m.req_id, "-9007199254740993");
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"join\",\"room\":\"r\",\"id\":\"\"}", &m);
	assert_json_text(m.req_id, "\"\"");
	sig_msg_clear(&m);
}

static void t_client_leave(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"leave\"}", &m);
	check_only(&m, SIG_T_LEAVE, 0);
	sig_msg_clear(&m);
	/* Unknown members are ignored; leave has no members, so a room is not even read. */
	parse_ok(CLIENT, "{\"type\":\"leave\",\"id\":\"l1\",\"room\":\"x y\",\"v\":2}", &m);
	check_only(&m, SIG_T_LEAVE, F_REQ_ID);
	assert_json_text(m.req_id, "\"l1\"");
	sig_msg_clear(&m);
}

static void t_client_offer_answer(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT,
		 "{\"type\":\"offer\",\"to\":\"" PEER_A "\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
		 "127.0.0.1\\r\\n\"}",
		 &m);
	check_only(&m, SIG_T_OFFER, F_TO | F_SDP);
	assert_string_equal(m.to, PEER_A);
	assert_string_equal(m.sdp, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n");
	sig_msg_clear(&m);

	parse_ok(CLIENT, "{\"id\":\"a1\",\"sdp\":\"v=0\",\"to\":\"" PEER_B "\",\"type\":\"answer\"}",
		 &m);
	check_only(&m, SIG_T_ANSWER, F_TO | F_SDP | F_REQ_ID);
	assert_string_equal(m.to, PEER_B);
	assert_string_equal(m.sdp, "v=0");
	assert_json_text(m.req_id, "\"a1\"");
	sig_msg_clear(&m);

	/* A client's "from" is not read in the client direction: it is the server's to set. */
	parse_ok(CLIENT, "{\"type\":\"offer\",\"to\":\"p\",\"sdp\":\"v=0\",\"from\":\"evil\",\"x\":[1]}",
		 &m);
	check_only(&m, SIG_T_OFFER, F_TO | F_SDP);
	sig_msg_clear(&m);

	/* `to` of 64 bytes is the longest that is accepted. */
	char buf[256];
	mk(buf, sizeof(buf), "{\"type\":\"offer\",\"sdp\":\"v=0\",\"to\":\"", 'p', 64, "\"}");
	parse_ok(CLIENT, buf, &m);
	assert_int_equal(strlen(m.to), 64);
	sig_msg_clear(&m);
}

static void t_client_candidate(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT,
		 "{\"type\":\"candidate\",\"to\":\"" PEER_B "\",\"candidate\":\"candidate:1 1 udp "
		 "2122260223 192.0.2.1 50000 typ host\",\"mid\":\"0\",\"mline\":0}",
		 &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE | F_MID | F_MLINE);
	assert_string_equal(m.to, PEER_B);
	assert_string_equal(m.candidate, "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host");
	assert_string_equal(m.mid, "0");
	assert_int_equal(m.mline, 0);
	sig_msg_clear(&m);

	/* End of candidates (RFC 8838 §8.2): an empty candidate string, mid only. */
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"" PEER_B "\",\"candidate\":\"\",\"mid\":\"0\"}",
		 &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE | F_MID);
	assert_string_equal(m.candidate, "");
	assert_string_equal(m.mid, "0");
	sig_msg_clear(&m);

	/* Neither mid nor mline. */
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\"}", &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE);
	sig_msg_clear(&m);

	/* mline only, at the top of its range; mid of 32 bytes; empty mid. */
	char buf[256];
	mk(buf, sizeof(buf), "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":65535,"
	   "\"mid\":\"", 'm', 32, "\"}");
	parse_ok(CLIENT, buf, &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE | F_MID | F_MLINE);
	assert_int_equal(m.mline, 65535);
	assert_int_equal(strlen(m.mid), 32);
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":\"\"}", &m);
	assert_string_equal(m.mid, "");
	sig_msg_clear(&m);
}

static void t_client_publish(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"publish\",\"data\":{\"hello\":\"room\"}}", &m);
	check_only(&m, SIG_T_PUBLISH, F_DATA);
	assert_json_text(m.data, "{\"hello\":\"room\"}");
	sig_msg_clear(&m);

	parse_ok(CLIENT, "{\"type\":\"publish\",\"to\":\"" PEER_A "\",\"data\":[1,\"two\",null]}", &m);
	check_only(&m, SIG_T_PUBLISH, F_DATA | F_TO);
	assert_string_equal(m.to, PEER_A);
	assert_json_text(m.data, "[1,\"two\",null]");
	sig_msg_clear(&m);

	/* Any JSON value, null included, is data. */
	static const char *const values[] = {"null", "true", "false", "0", "-1.5", "\"s\"", "[]", "{}"};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "{\"type\":\"publish\",\"data\":%s}", values[i]);
		parse_ok(CLIENT, buf, &m);
		check_only(&m, SIG_T_PUBLISH, F_DATA);
		assert_json_text(m.data, values[i]);
		sig_msg_clear(&m);
	}
}

static void t_client_ping(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"ping\",\"ts\":1723456789,\"id\":\"p1\"}", &m);
	check_only(&m, SIG_T_PING, F_DATA | F_REQ_ID);
	assert_json_text(m.data, "1723456789");
	assert_json_text(m.req_id, "\"p1\"");
	sig_msg_clear(&m);

	parse_ok(CLIENT, "{\"type\":\"ping\"}", &m);
	check_only(&m, SIG_T_PING, 0);
	sig_msg_clear(&m);

	parse_ok(CLIENT, "{\"type\":\"ping\",\"ts\":{\"t\":[1,2]},\"id\":3}", &m);
	check_only(&m, SIG_T_PING, F_DATA | F_REQ_ID);
	assert_json_text(m.data, "{\"t\":[1,2]}");
	assert_json_text(m.req_id, "3");
	sig_msg_clear(&m);
}

/* The parser reads exactly len bytes: not one past (ASan checks the unterminated copy), and a
 * shorter len parses only the prefix. Trailing whitespace is not garbage. */
static void t_client_buffer_bounds(void **state)
{
	(void)state;
	static const char text[] = "{\"type\":\"join\",\"room\":\"r\"}";
	char *exact = malloc(sizeof(text) - 1);
	assert_non_null(exact);
	memcpy(exact, text, sizeof(text) - 1);
	struct sig_msg m;
	parse_ok_len(CLIENT, exact, sizeof(text) - 1, &m);
	assert_string_equal(m.room, "r");
	sig_msg_clear(&m);
	free(exact);

	parse_ok_len(CLIENT, "{\"type\":\"leave\"}GARBAGE", 16, &m);
	check_only(&m, SIG_T_LEAVE, 0);
	sig_msg_clear(&m);

	parse_ok(CLIENT, " \t\r\n{\"type\":\"leave\"} \n", &m);
	check_only(&m, SIG_T_LEAVE, 0);
	sig_msg_clear(&m);

	/* Non-ASCII UTF-8 strings are fine where the charset allows them. */
	parse_ok(CLIENT, "{\"type\":\"offer\",\"to\":\"p\",\"sdp\":\"s=\xc3\xa9\\u00e9\"}", &m);
	assert_string_equal(m.sdp, "s=\xc3\xa9\xc3\xa9");
	sig_msg_clear(&m);
}

/* --- Client -> server: error paths ------------------------------------------------------- */

static void t_err_bad_json(void **state)
{
	(void)state;
	C_ERR("", SIG_E_BAD_JSON, NULL);
	C_ERR(" ", SIG_E_BAD_JSON, NULL);
	C_ERR("{", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",\"room\":\"r\"", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",}", SIG_E_BAD_JSON, NULL);
	C_ERR("{type:\"leave\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{'type':'leave'}", SIG_E_BAD_JSON, NULL);
	C_ERR("nul", SIG_E_BAD_JSON, NULL);
	/* Trailing garbage, a second object, a NUL byte after the object. */
	C_ERR("{\"type\":\"leave\"} x", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\"}{\"type\":\"leave\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\"}\0", SIG_E_BAD_JSON, NULL);
	/* A raw NUL byte, a raw control character and invalid UTF-8 inside a string. */
	C_ERR("{\"type\":\"leave\",\"x\":\"a\0b\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\",\"x\":\"a\nb\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",\"room\":\"\xff\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",\"room\":\"\xc3\"}", SIG_E_BAD_JSON, NULL);
	/* Integers that do not fit are a syntax-level error in jansson. */
	C_ERR("{\"type\":\"ping\",\"id\":99999999999999999999999}", SIG_E_BAD_JSON, NULL);
	/* A request id inside invalid JSON cannot be echoed. */
	C_ERR("{\"type\":\"join\",\"id\":7,", SIG_E_BAD_JSON, NULL);
}

static void t_err_not_object(void **state)
{
	(void)state;
	C_ERR("[]", SIG_E_BAD_JSON, NULL);
	C_ERR("[{\"type\":\"leave\"}]", SIG_E_BAD_JSON, NULL);
	C_ERR("\"join\"", SIG_E_BAD_JSON, NULL);
	C_ERR("42", SIG_E_BAD_JSON, NULL);
	C_ERR("-0.5", SIG_E_BAD_JSON, NULL);
	C_ERR("null", SIG_E_BAD_JSON, NULL);
	C_ERR("true", SIG_E_BAD_JSON, NULL);
}

static void t_err_duplicate_keys(void **state)
{
	(void)state;
	/* Two parsers along the path could pick different values: refused outright. */
	C_ERR("{\"type\":\"offer\",\"to\":\"a\",\"to\":\"b\",\"sdp\":\"v=0\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",\"type\":\"leave\",\"room\":\"r\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"publish\",\"data\":{\"k\":1,\"k\":2}}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\",\"id\":1,\"id\":2}", SIG_E_BAD_JSON, NULL);
	S_ERR("{\"type\":\"pong\",\"ts\":1,\"ts\":1}", SIG_E_BAD_JSON, NULL);
}

static void t_err_type(void **state)
{
	(void)state;
	C_ERR("{}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"room\":\"r\"}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":1}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":null}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":[\"join\"]}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":{\"join\":1}}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":true}", SIG_E_UNKNOWN_TYPE, "type");
	C_ERR("{\"type\":\"hello\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"JOIN\",\"room\":\"r\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"join \",\"room\":\"r\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"invalid\"}", SIG_E_UNKNOWN_TYPE, NULL);
	/* Server-only types are unknown when a client sends them. */
	C_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"peers\":[]}", SIG_E_UNKNOWN_TYPE,
	      NULL);
	C_ERR("{\"type\":\"left\",\"room\":\"r\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"peer-joined\",\"peer\":\"p\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"peer-left\",\"peer\":\"p\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"pong\"}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("{\"type\":\"error\",\"code\":\"internal\"}", SIG_E_UNKNOWN_TYPE, NULL);
}

static void t_err_request_id(void **state)
{
	(void)state;
	char buf[256];
	/* Invalid ids are bad-field naming "id", and are never echoed. */
	C_ERR("{\"type\":\"leave\",\"id\":[1]}", SIG_E_BAD_FIELD, "id");
	C_ERR("{\"type\":\"leave\",\"id\":{\"a\":1}}", SIG_E_BAD_FIELD, "id");
	C_ERR("{\"type\":\"leave\",\"id\":1.5}", SIG_E_BAD_FIELD, "id");
	C_ERR("{\"type\":\"leave\",\"id\":true}", SIG_E_BAD_FIELD, "id");
	C_ERR("{\"type\":\"leave\",\"id\":null}", SIG_E_BAD_FIELD, "id");
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"ping\",\"id\":\"", 'i', 65, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "id", NULL);

	/* §8: the id is checked before the members, so a bad id wins over a bad member. */
	C_ERR("{\"type\":\"join\",\"id\":[],\"room\":\"bad room\"}", SIG_E_BAD_FIELD, "id");
	n = mk(buf, sizeof(buf), "{\"type\":\"offer\",\"id\":\"", 'i', 65, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "id", NULL);

	/* A valid id is echoed in the error of a later member, string or integer. */
	C_ERR_ID("{\"type\":\"join\",\"id\":\"r1\"}", SIG_E_BAD_FIELD, "room", "\"r1\"");
	C_ERR_ID("{\"type\":\"offer\",\"to\":\"x\",\"id\":7}", SIG_E_BAD_FIELD, "sdp", "7");
	C_ERR_ID("{\"id\":-3,\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"c\",\"mline\":-1}",
		 SIG_E_BAD_FIELD, "mline", "-3");
	C_ERR_ID("{\"type\":\"publish\",\"id\":\"\"}", SIG_E_BAD_FIELD, "data", "\"\"");
	n = mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"a b\",\"id\":\"", 'i', 64, "\"}");
	char want_id[80];
	mk(want_id, sizeof(want_id), "\"", 'i', 64, "\"");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "room", want_id);
}

static void t_err_join_room(void **state)
{
	(void)state;
	char buf[256];
	C_ERR("{\"type\":\"join\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"a b\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\" \"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"a.b\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"a/b\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"caf\xc3\xa9\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"r\\n\"}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":7}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":null}", SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":[\"r\"]}", SIG_E_BAD_FIELD, "room");
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"", 'r', 65, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "room", NULL);
}

static void t_err_join_meta(void **state)
{
	(void)state;
	char buf[4096];
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"meta\":[]}", SIG_E_BAD_FIELD, "meta");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"meta\":\"laptop\"}", SIG_E_BAD_FIELD, "meta");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"meta\":1}", SIG_E_BAD_FIELD, "meta");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"meta\":true}", SIG_E_BAD_FIELD, "meta");
	/* 1025 bytes serialised: one too many. */
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"meta\":{\"k\":\"", 'm',
		      1017, "\"}}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "meta", NULL);
	/* Escapes count as serialised: 509 newlines are 1018 bytes as "\n". */
	n = mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"meta\":{\"k\":\"", '\0', 0, "");
	for (int i = 0; i < 509; i++) {
		memcpy(buf + n, "\\n", 2);
		n += 2;
	}
	memcpy(buf + n, "\"}}", 4);
	n += 3;
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "meta", NULL);
}

static void t_err_join_token_max_peers(void **state)
{
	(void)state;
	char buf[1024];
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"token\":1}", SIG_E_BAD_FIELD, "token");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"token\":null}", SIG_E_BAD_FIELD, "token");
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"join\",\"room\":\"r\",\"token\":\"", 't', 513, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "token", NULL);

	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":1}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":0}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":-2}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":65536}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":4294967298}", SIG_E_BAD_FIELD,
	      "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":\"8\"}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":8.0}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":true}", SIG_E_BAD_FIELD, "max_peers");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":null}", SIG_E_BAD_FIELD, "max_peers");
}

/* §8: members are checked in the order of the §4 table, so the first bad one is reported. */
static void t_err_member_order(void **state)
{
	(void)state;
	C_ERR("{\"max_peers\":1,\"token\":1,\"meta\":[],\"room\":\"a b\",\"type\":\"join\"}",
	      SIG_E_BAD_FIELD, "room");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":1,\"token\":1,\"meta\":[]}",
	      SIG_E_BAD_FIELD, "meta");
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"max_peers\":1,\"token\":1}", SIG_E_BAD_FIELD,
	      "token");
	C_ERR("{\"type\":\"offer\",\"sdp\":1}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"candidate\",\"mline\":-1,\"mid\":1,\"candidate\":1,\"to\":\"\"}",
	      SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"candidate\",\"mline\":-1,\"mid\":1,\"candidate\":1,\"to\":\"p\"}",
	      SIG_E_BAD_FIELD, "candidate");
	C_ERR("{\"type\":\"candidate\",\"mline\":-1,\"mid\":1,\"candidate\":\"\",\"to\":\"p\"}",
	      SIG_E_BAD_FIELD, "mid");
	C_ERR("{\"type\":\"publish\",\"to\":\"\"}", SIG_E_BAD_FIELD, "data");
	/* Syntax before type, type before id. */
	C_ERR("{\"type\":\"nope\",\"id\":[]}", SIG_E_UNKNOWN_TYPE, NULL);
	C_ERR("[{\"type\":\"nope\"}]", SIG_E_BAD_JSON, NULL);
}

static void t_err_offer_answer(void **state)
{
	(void)state;
	char buf[256];
	static const char *const types[] = {"offer", "answer"};
	for (size_t i = 0; i < 2; i++) {
		const char *t = types[i];
		size_t n;
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"sdp\":\"v=0\"}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":\"\",\"sdp\":\"v=0\"}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":5,\"sdp\":\"v=0\"}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":null,\"sdp\":\"v=0\"}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":\"p\"}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "sdp", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":\"p\",\"sdp\":{}}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "sdp", NULL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"to\":\"p\",\"sdp\":null}", t);
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "sdp", NULL);
		char pre[64];
		snprintf(pre, sizeof(pre), "{\"type\":\"%s\",\"sdp\":\"v=0\",\"to\":\"", t);
		n = mk(buf, sizeof(buf), pre, 'p', 65, "\"}");
		expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
	}
}

static void t_err_candidate(void **state)
{
	(void)state;
	char buf[256];
	C_ERR("{\"type\":\"candidate\",\"candidate\":\"c\"}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"candidate\",\"to\":\"\",\"candidate\":\"c\"}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"candidate\",\"to\":[],\"candidate\":\"c\"}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\"}", SIG_E_BAD_FIELD, "candidate");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":null}", SIG_E_BAD_FIELD,
	      "candidate");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":{}}", SIG_E_BAD_FIELD, "candidate");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":0}", SIG_E_BAD_FIELD,
	      "mid");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":null}",
	      SIG_E_BAD_FIELD, "mid");
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":\"",
		      'm', 33, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "mid", NULL);
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":-1}", SIG_E_BAD_FIELD,
	      "mline");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":65536}",
	      SIG_E_BAD_FIELD, "mline");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":\"0\"}",
	      SIG_E_BAD_FIELD, "mline");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":0.5}",
	      SIG_E_BAD_FIELD, "mline");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":null}",
	      SIG_E_BAD_FIELD, "mline");
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mline\":[0]}",
	      SIG_E_BAD_FIELD, "mline");
}

static void t_err_publish(void **state)
{
	(void)state;
	char buf[256];
	C_ERR("{\"type\":\"publish\"}", SIG_E_BAD_FIELD, "data");
	C_ERR("{\"type\":\"publish\",\"to\":\"p\"}", SIG_E_BAD_FIELD, "data");
	C_ERR("{\"type\":\"publish\",\"data\":1,\"to\":\"\"}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"publish\",\"data\":1,\"to\":1}", SIG_E_BAD_FIELD, "to");
	C_ERR("{\"type\":\"publish\",\"data\":1,\"to\":null}", SIG_E_BAD_FIELD, "to");
	size_t n = mk(buf, sizeof(buf), "{\"type\":\"publish\",\"data\":1,\"to\":\"", 'p', 65, "\"}");
	expect_err(CLIENT, buf, n, SIG_E_BAD_FIELD, "to", NULL);
}

/*
 * PROTOCOL.md §2: strings MUST NOT contain U+0000; such a message is bad-json (a C consumer
 * would see a different string than the JSON says). That holds for every string: members,
 * type, id, object keys and opaque values alike.
 */
static void t_nul_is_bad_json(void **state)
{
	(void)state;
	C_ERR("{\"type\":\"join\",\"room\":\"a\\u0000b\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"join\",\"room\":\"r\",\"token\":\"t\\u0000\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"offer\",\"to\":\"p\\u0000q\",\"sdp\":\"v=0\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"offer\",\"to\":\"p\",\"sdp\":\"v=0\\u0000\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"\\u0000\"}", SIG_E_BAD_JSON,
	      NULL);
	C_ERR("{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":\"\\u0000\"}",
	      SIG_E_BAD_JSON, NULL);
	/* "join\u0000x" must not pass for "join". */
	C_ERR("{\"type\":\"join\\u0000x\",\"room\":\"r\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\\u0000\"}", SIG_E_BAD_JSON, NULL);
	/* Opaque values, ids and keys too; and the id cannot be echoed. */
	C_ERR("{\"type\":\"publish\",\"data\":\"a\\u0000b\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"publish\",\"data\":{\"k\":[\"\\u0000\"]},\"id\":1}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"ping\",\"ts\":\"\\u0000\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"ping\",\"id\":\"\\u0000\"}", SIG_E_BAD_JSON, NULL);
	C_ERR("{\"type\":\"leave\",\"x\\u0000\":1}", SIG_E_BAD_JSON, NULL);
	S_ERR("{\"type\":\"error\",\"code\":\"internal\",\"message\":\"\\u0000\"}", SIG_E_BAD_JSON,
	      NULL);
	/* Other escapes below U+0020 are ordinary characters. */
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"publish\",\"data\":\"\\u0001\\u001f\"}", &m);
	assert_json_text(m.data, "\"\\u0001\\u001F\"");
	sig_msg_clear(&m);
}

/* signal_msg.h: "Returns 0 and fills *msg, or -1 and fills *err": after a success the error
 * holds nothing, so a caller that only clears err on failure does not leak the id. */
static void t_success_leaves_err_empty(void **state)
{
	(void)state;
	struct sig_msg m;
	struct sig_error e;
	static const char text[] = "{\"type\":\"ping\",\"id\":\"p1\"}";
	assert_int_equal(sig_parse_client(text, sizeof(text) - 1, &m, &e), 0);
	int clean = e.req_id == NULL && e.code == SIG_OK;
	sig_error_clear(&e); /* harmless either way; keeps LeakSanitizer quiet if it fails */
	sig_msg_clear(&m);
	assert_true(clean);
}

/* Whatever the parser says, the server must be able to put it on the wire: the error built from
 * every parse failure serialises and parses back with the same code and message. */
static void t_every_parse_error_is_sendable(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"",
		"{",
		"\xff",
		"{\"a\":\xc3\xa9\xc3\xa9}",
		"{\"type\":\"join\",\"room\":\"\xe2\x82\xac\xe2\x82\xac\"}",
		"{\"type\":\"join\",\"room\":\"\xe2\x82\"}",
		"{\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\":}",
		"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		"{\"type\":\"\xe2\x82\xac\"}",
		"{\"type\":\"offer\",\"id\":\"\xe2\x82\xac\",\"to\":\"p\"}",
		"[1,2,3]",
		"{\"type\":\"publish\",\"id\":99}",
		/* jansson's "near '...'" context ends inside a multi-byte character here. */
		"{\"a\\u00\xc3\xa9\"}",
		"{\"type\":\"join\",\"room\":\"\\u12\xe2\x82\xac\"}",
		"{\"t\\u800\xc7\x86pe\":\"l#ave\"}",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct sig_msg m, back;
		struct sig_error e, e2;
		assert_int_equal(sig_parse_client(inputs[i], strlen(inputs[i]), &m, &e), -1);
		json_t *j = sig_build_error(e.code, e.message, e.req_id);
		if (!j) {
			char why[256];
			snprintf(why, sizeof(why), "input %zu: sig_build_error(\"%s\") failed", i,
				 e.message);
			sig_error_clear(&e);
			fail_msg("%s", why);
		}
		char *text = sig_dump(j, NULL);
		json_decref(j);
		assert_non_null(text);
		int rc = sig_parse_server(text, strlen(text), &back, &e2);
		free(text);
		sig_error_clear(&e2);
		if (rc == 0) {
			assert_int_equal(back.type, SIG_T_ERROR);
			assert_string_equal(back.code, sig_error_wire(e.code));
			assert_string_equal(back.message, e.message);
			sig_msg_clear(&back);
		}
		sig_error_clear(&e);
		assert_int_equal(rc, 0);
	}
}

/* --- Server -> client: every type, every member ------------------------------------------- */

static void t_server_joined(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(SERVER,
		 "{\"type\":\"joined\",\"room\":\"" ROOM "\",\"peer\":\"" PEER_B "\",\"peers\":[{\"peer\":\"" PEER_A
		 "\",\"meta\":{\"name\":\"laptop\"}}],\"ice_servers\":[{\"urls\":[\"stun:stun.example.org\"]}],"
		 "\"max_peers\":64,\"id\":1}",
		 &m);
	check_only(&m, SIG_T_JOINED, F_ROOM | F_PEER | F_PEERS | F_ICE | F_MAXP | F_REQ_ID);
	assert_string_equal(m.room, ROOM);
	assert_string_equal(m.peer, PEER_B);
	assert_int_equal(json_array_size(m.peers), 1);
	assert_json_text(m.peers, "[{\"peer\":\"" PEER_A "\",\"meta\":{\"name\":\"laptop\"}}]");
	assert_json_text(m.ice_servers, "[{\"urls\":[\"stun:stun.example.org\"]}]");
	assert_int_equal(m.max_peers, 64);
	assert_json_text(m.req_id, "1");
	sig_msg_clear(&m);

	/* Without id, empty lists; max_peers 0 is accepted in this direction. */
	parse_ok(SERVER,
		 "{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"" PEER_A "\",\"peers\":[],"
		 "\"ice_servers\":[],\"max_peers\":0}",
		 &m);
	check_only(&m, SIG_T_JOINED, F_ROOM | F_PEER | F_PEERS | F_ICE);
	assert_int_equal(json_array_size(m.peers), 0);
	sig_msg_clear(&m);
}

static void t_server_left_peer_joined_peer_left(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(SERVER, "{\"type\":\"left\",\"room\":\"" ROOM "\"}", &m);
	check_only(&m, SIG_T_LEFT, F_ROOM);
	assert_string_equal(m.room, ROOM);
	sig_msg_clear(&m);
	parse_ok(SERVER, "{\"type\":\"left\",\"room\":\"r\",\"id\":\"x\"}", &m);
	check_only(&m, SIG_T_LEFT, F_ROOM | F_REQ_ID);
	assert_json_text(m.req_id, "\"x\"");
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"peer-joined\",\"peer\":\"" PEER_B "\",\"meta\":{}}", &m);
	check_only(&m, SIG_T_PEER_JOINED, F_PEER | F_META);
	assert_string_equal(m.peer, PEER_B);
	assert_json_text(m.meta, "{}");
	sig_msg_clear(&m);
	parse_ok(SERVER, "{\"type\":\"peer-joined\",\"peer\":\"" PEER_B "\",\"meta\":{\"n\":[1]}}", &m);
	assert_json_text(m.meta, "{\"n\":[1]}");
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"peer-left\",\"peer\":\"" PEER_B "\"}", &m);
	check_only(&m, SIG_T_PEER_LEFT, F_PEER);
	assert_string_equal(m.peer, PEER_B);
	sig_msg_clear(&m);
}

static void t_server_relayed(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(SERVER, "{\"type\":\"offer\",\"from\":\"" PEER_B "\",\"sdp\":\"v=0\\r\\n\"}", &m);
	check_only(&m, SIG_T_OFFER, F_FROM | F_SDP);
	assert_string_equal(m.from, PEER_B);
	assert_string_equal(m.sdp, "v=0\r\n");
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"answer\",\"from\":\"" PEER_A "\",\"sdp\":\"v=0\"}", &m);
	check_only(&m, SIG_T_ANSWER, F_FROM | F_SDP);
	assert_string_equal(m.from, PEER_A);
	sig_msg_clear(&m);

	parse_ok(SERVER,
		 "{\"type\":\"candidate\",\"from\":\"" PEER_A "\",\"candidate\":\"candidate:1\","
		 "\"mid\":\"0\",\"mline\":3}",
		 &m);
	check_only(&m, SIG_T_CANDIDATE, F_FROM | F_CANDIDATE | F_MID | F_MLINE);
	assert_string_equal(m.candidate, "candidate:1");
	assert_string_equal(m.mid, "0");
	assert_int_equal(m.mline, 3);
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"candidate\",\"from\":\"" PEER_A "\",\"candidate\":\"\"}", &m);
	check_only(&m, SIG_T_CANDIDATE, F_FROM | F_CANDIDATE);
	assert_string_equal(m.candidate, "");
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"publish\",\"from\":\"" PEER_B "\",\"data\":{\"hello\":\"room\"}}",
		 &m);
	check_only(&m, SIG_T_PUBLISH, F_FROM | F_DATA);
	assert_json_text(m.data, "{\"hello\":\"room\"}");
	sig_msg_clear(&m);

	parse_ok(SERVER, "{\"type\":\"publish\",\"from\":\"" PEER_B "\",\"data\":null}", &m);
	check_only(&m, SIG_T_PUBLISH, F_FROM | F_DATA);
	assert_json_text(m.data, "null");
	sig_msg_clear(&m);
}

static void t_server_pong_error(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(SERVER, "{\"type\":\"pong\",\"ts\":1723456789,\"id\":\"p1\"}", &m);
	check_only(&m, SIG_T_PONG, F_DATA | F_REQ_ID);
	assert_json_text(m.data, "1723456789");
	assert_json_text(m.req_id, "\"p1\"");
	sig_msg_clear(&m);
	parse_ok(SERVER, "{\"type\":\"pong\"}", &m);
	check_only(&m, SIG_T_PONG, 0);
	sig_msg_clear(&m);

	parse_ok(SERVER,
		 "{\"type\":\"error\",\"code\":\"bad-field\",\"message\":\"sdp: required string\","
		 "\"id\":4}",
		 &m);
	check_only(&m, SIG_T_ERROR, F_CODE | F_MESSAGE | F_REQ_ID);
	assert_string_equal(m.code, "bad-field");
	assert_string_equal(m.message, "sdp: required string");
	assert_json_text(m.req_id, "4");
	sig_msg_clear(&m);
	parse_ok(SERVER, "{\"type\":\"error\",\"code\":\"room-full\"}", &m);
	check_only(&m, SIG_T_ERROR, F_CODE);
	assert_string_equal(m.code, "room-full");
	sig_msg_clear(&m);
}

static void t_server_errors(void **state)
{
	(void)state;
	/* Syntax and shape are checked the same way in both directions. */
	S_ERR("", SIG_E_BAD_JSON, NULL);
	S_ERR("{\"type\":\"pong\"} x", SIG_E_BAD_JSON, NULL);
	S_ERR("[]", SIG_E_BAD_JSON, NULL);
	S_ERR("{}", SIG_E_UNKNOWN_TYPE, "type");
	S_ERR("{\"type\":2}", SIG_E_UNKNOWN_TYPE, "type");
	S_ERR("{\"type\":\"welcome\"}", SIG_E_UNKNOWN_TYPE, NULL);
	/* Client-only types are unknown from a server. */
	S_ERR("{\"type\":\"join\",\"room\":\"r\"}", SIG_E_UNKNOWN_TYPE, NULL);
	S_ERR("{\"type\":\"leave\"}", SIG_E_UNKNOWN_TYPE, NULL);
	S_ERR("{\"type\":\"ping\"}", SIG_E_UNKNOWN_TYPE, NULL);
	S_ERR("{\"type\":\"pong\",\"id\":[]}", SIG_E_BAD_FIELD, "id");

	S_ERR("{\"type\":\"joined\",\"peer\":\"p\",\"peers\":[]}", SIG_E_BAD_FIELD, "room");
	S_ERR("{\"type\":\"joined\",\"room\":\"a b\",\"peer\":\"p\",\"peers\":[]}", SIG_E_BAD_FIELD,
	      "room");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peers\":[]}", SIG_E_BAD_FIELD, "peer");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"\",\"peers\":[]}", SIG_E_BAD_FIELD,
	      "peer");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"peers\":[],\"max_peers\":-1}",
	      SIG_E_BAD_FIELD, "max_peers");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"peers\":[],\"max_peers\":65536}",
	      SIG_E_BAD_FIELD, "max_peers");
	S_ERR_ID("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"id\":9}", SIG_E_BAD_FIELD,
		 "peers", "9");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"peers\":{}}", SIG_E_BAD_FIELD,
	      "peers");
	S_ERR("{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"p\",\"peers\":[],\"ice_servers\":{}}",
	      SIG_E_BAD_FIELD, "ice_servers");
	S_ERR("{\"type\":\"left\"}", SIG_E_BAD_FIELD, "room");
	S_ERR("{\"type\":\"left\",\"room\":\"\"}", SIG_E_BAD_FIELD, "room");
	S_ERR("{\"type\":\"peer-joined\"}", SIG_E_BAD_FIELD, "peer");
	S_ERR("{\"type\":\"peer-joined\",\"peer\":1}", SIG_E_BAD_FIELD, "peer");
	S_ERR("{\"type\":\"peer-left\"}", SIG_E_BAD_FIELD, "peer");
	S_ERR("{\"type\":\"peer-left\",\"peer\":\"\"}", SIG_E_BAD_FIELD, "peer");

	S_ERR("{\"type\":\"offer\",\"sdp\":\"v=0\"}", SIG_E_BAD_FIELD, "from");
	S_ERR("{\"type\":\"offer\",\"from\":\"\",\"sdp\":\"v=0\"}", SIG_E_BAD_FIELD, "from");
	S_ERR("{\"type\":\"answer\",\"from\":\"p\"}", SIG_E_BAD_FIELD, "sdp");
	S_ERR("{\"type\":\"candidate\",\"from\":\"p\"}", SIG_E_BAD_FIELD, "candidate");
	S_ERR("{\"type\":\"candidate\",\"from\":\"p\",\"candidate\":\"\",\"mid\":2}", SIG_E_BAD_FIELD,
	      "mid");
	S_ERR("{\"type\":\"candidate\",\"from\":\"p\",\"candidate\":\"\",\"mline\":-1}",
	      SIG_E_BAD_FIELD, "mline");
	S_ERR("{\"type\":\"publish\",\"from\":\"p\"}", SIG_E_BAD_FIELD, "data");
	S_ERR("{\"type\":\"publish\",\"data\":1}", SIG_E_BAD_FIELD, "from");

	S_ERR("{\"type\":\"error\"}", SIG_E_BAD_FIELD, "code");
	S_ERR("{\"type\":\"error\",\"code\":\"\"}", SIG_E_BAD_FIELD, "code");
	S_ERR("{\"type\":\"error\",\"code\":7}", SIG_E_BAD_FIELD, "code");
	S_ERR("{\"type\":\"error\",\"code\":\"internal\",\"message\":1}", SIG_E_BAD_FIELD,
	      "message");
}

/* --- Builders ----------------------------------------------------------------------------- */

static void t_build_relay_offer_answer(void **state)
{
	(void)state;
	struct sig_msg m;
	/* Client-sent from, id, to and extra members are not forwarded. */
	parse_ok(CLIENT,
		 "{\"type\":\"offer\",\"to\":\"x\",\"sdp\":\"v=0\",\"from\":\"evil\",\"id\":7,"
		 "\"extra\":{\"a\":1}}",
		 &m);
	expect_wire(sig_build_relay(&m, "abc"), "{\"type\":\"offer\",\"from\":\"abc\",\"sdp\":\"v=0\"}");
	sig_msg_clear(&m);

	parse_ok(CLIENT, "{\"id\":\"q\",\"sdp\":\"v=0\\r\\na=x\\\"y\",\"to\":\"x\",\"type\":\"answer\"}",
		 &m);
	expect_wire(sig_build_relay(&m, PEER_A),
		    "{\"type\":\"answer\",\"from\":\"" PEER_A "\",\"sdp\":\"v=0\\r\\na=x\\\"y\"}");
	sig_msg_clear(&m);
}

static void t_build_relay_candidate(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT,
		 "{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 "
		 "5 typ host\",\"mid\":\"0\",\"mline\":0,\"from\":\"evil\",\"id\":1,\"usernameFragment\":\"u\"}",
		 &m);
	expect_wire(sig_build_relay(&m, "abc"),
		    "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"candidate:1 1 udp 1 "
		    "192.0.2.1 5 typ host\",\"mid\":\"0\",\"mline\":0}");
	sig_msg_clear(&m);

	/* End of candidates, with mid only, with mline only, with neither. */
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"\",\"mid\":\"a1\"}", &m);
	expect_wire(sig_build_relay(&m, "abc"),
		    "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"\",\"mid\":\"a1\"}");
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"\",\"mline\":2}", &m);
	expect_wire(sig_build_relay(&m, "abc"),
		    "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"\",\"mline\":2}");
	sig_msg_clear(&m);
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"\"}", &m);
	expect_wire(sig_build_relay(&m, "abc"),
		    "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"\"}");
	sig_msg_clear(&m);
}

/* The relay shares the parsed values: it must outlive the message it came from. Without a
 * parse tree (a message made by hand), the fields' text is used. */
static void t_build_relay_owns_its_values(void **state)
{
	(void)state;
	struct sig_msg m;
	parse_ok(CLIENT, "{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"c\u00e9\",\"mid\":\"0\"}",
		 &m);
	json_t *relay = sig_build_relay(&m, "abc");
	sig_msg_clear(&m);
	expect_wire(relay, "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"c\u00e9\","
			   "\"mid\":\"0\"}");

	memset(&m, 0, sizeof(m));
	m.type = SIG_T_CANDIDATE;
	m.candidate = "candidate:1 1 udp 1 192.0.2.1 5 typ host";
	m.mline = 1;
	expect_wire(sig_build_relay(&m, "abc"),
		    "{\"type\":\"candidate\",\"from\":\"abc\",\"candidate\":\"candidate:1 1 udp 1 "
		    "192.0.2.1 5 typ host\",\"mline\":1}");
}

static void t_build_relay_publish(void **state)
{
	(void)state;
	static const char *const values[] = {
		"null", "[]", "[1,{\"a\":[true,false,null]}]", "{}", "{\"hello\":\"room\"}",
		"\"text\"", "0", "-12", "1.5", "true",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char in[256], want[256];
		struct sig_msg m;
		snprintf(in, sizeof(in), "{\"type\":\"publish\",\"to\":\"x\",\"id\":1,\"from\":\"e\",\"data\":%s}",
			 values[i]);
		snprintf(want, sizeof(want), "{\"type\":\"publish\",\"from\":\"abc\",\"data\":%s}",
			 values[i]);
		parse_ok(CLIENT, in, &m);
		expect_wire(sig_build_relay(&m, "abc"), want);
		sig_msg_clear(&m);
	}
}

static void t_build_relay_refuses_other_types(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"{\"type\":\"join\",\"room\":\"r\"}",
		"{\"type\":\"leave\"}",
		"{\"type\":\"ping\",\"ts\":1}",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct sig_msg m;
		parse_ok(CLIENT, inputs[i], &m);
		json_t *j = sig_build_relay(&m, "abc");
		json_decref(j);
		sig_msg_clear(&m);
		assert_null(j);
	}
}

static void t_build_joined(void **state)
{
	(void)state;
	json_t *none = json_array();
	json_t *ice = json_array();
	json_t *peers = json_pack("[{s:s, s:{s:s}}]", "peer", PEER_A, "meta", "name", "laptop");
	json_t *id = json_integer(1);
	json_t *sid = json_string("j-1");
	assert_non_null(none);
	assert_non_null(peers);

	expect_wire(sig_build_joined(ROOM, PEER_A, none, none, 64, id),
		    "{\"type\":\"joined\",\"room\":\"" ROOM "\",\"peer\":\"" PEER_A
		    "\",\"peers\":[],\"ice_servers\":[],\"max_peers\":64,\"id\":1}");
	expect_wire(sig_build_joined(ROOM, PEER_B, peers, none, 2, NULL),
		    "{\"type\":\"joined\",\"room\":\"" ROOM "\",\"peer\":\"" PEER_B "\",\"peers\":[{\"peer\":\"" PEER_A
		    "\",\"meta\":{\"name\":\"laptop\"}}],\"ice_servers\":[],\"max_peers\":2}");
	json_array_append_new(ice, json_pack("{s:[s]}", "urls", "stun:stun.example.org:3478"));
	json_array_append_new(ice, json_pack("{s:[s,s], s:s, s:s}", "urls", "turn:t.example.org",
					     "turns:t.example.org:5349", "username", "u",
					     "credential", "c"));
	expect_wire(sig_build_joined("r", PEER_A, none, ice, 65535, sid),
		    "{\"type\":\"joined\",\"room\":\"r\",\"peer\":\"" PEER_A "\",\"peers\":[],"
		    "\"ice_servers\":[{\"urls\":[\"stun:stun.example.org:3478\"]},{\"urls\":["
		    "\"turn:t.example.org\",\"turns:t.example.org:5349\"],\"username\":\"u\","
		    "\"credential\":\"c\"}],\"max_peers\":65535,\"id\":\"j-1\"}");

	/* The builder took its own references: ours are still valid and still ours. */
	assert_int_equal(json_array_size(peers), 1);
	struct sig_msg m;
	round_trip(SERVER, sig_build_joined(ROOM, PEER_B, peers, ice, 64, id), &m);
	check_only(&m, SIG_T_JOINED, F_ROOM | F_PEER | F_PEERS | F_ICE | F_MAXP | F_REQ_ID);
	assert_string_equal(m.room, ROOM);
	assert_string_equal(m.peer, PEER_B);
	assert_true(json_equal(m.peers, peers));
	assert_true(json_equal(m.ice_servers, ice));
	assert_int_equal(m.max_peers, 64);
	assert_true(json_equal(m.req_id, id));
	sig_msg_clear(&m);

	json_decref(none);
	json_decref(ice);
	json_decref(peers);
	json_decref(id);
	json_decref(sid);
}

static void t_build_left_peer_joined_peer_left(void **state)
{
	(void)state;
	json_t *id = json_string("l1");
	json_t *meta = json_pack("{s:s}", "name", "laptop");
	struct sig_msg m;

	expect_wire(sig_build_left(ROOM, NULL), "{\"type\":\"left\",\"room\":\"" ROOM "\"}");
	expect_wire(sig_build_left(ROOM, id), "{\"type\":\"left\",\"room\":\"" ROOM "\",\"id\":\"l1\"}");
	round_trip(SERVER, sig_build_left(ROOM, id), &m);
	check_only(&m, SIG_T_LEFT, F_ROOM | F_REQ_ID);
	assert_string_equal(m.room, ROOM);
	assert_json_text(m.req_id, "\"l1\"");
	sig_msg_clear(&m);

	expect_wire(sig_build_peer_joined(PEER_B, NULL),
		    "{\"type\":\"peer-joined\",\"peer\":\"" PEER_B "\",\"meta\":{}}");
	expect_wire(sig_build_peer_joined(PEER_B, meta),
		    "{\"type\":\"peer-joined\",\"peer\":\"" PEER_B "\",\"meta\":{\"name\":\"laptop\"}}");
	round_trip(SERVER, sig_build_peer_joined(PEER_B, meta), &m);
	check_only(&m, SIG_T_PEER_JOINED, F_PEER | F_META);
	assert_string_equal(m.peer, PEER_B);
	assert_true(json_equal(m.meta, meta));
	sig_msg_clear(&m);
	round_trip(SERVER, sig_build_peer_joined(PEER_B, NULL), &m);
	assert_json_text(m.meta, "{}");
	sig_msg_clear(&m);

	expect_wire(sig_build_peer_left(PEER_B), "{\"type\":\"peer-left\",\"peer\":\"" PEER_B "\"}");
	round_trip(SERVER, sig_build_peer_left(PEER_B), &m);
	check_only(&m, SIG_T_PEER_LEFT, F_PEER);
	assert_string_equal(m.peer, PEER_B);
	sig_msg_clear(&m);

	json_decref(id);
	json_decref(meta);
}

static void t_build_pong(void **state)
{
	(void)state;
	json_t *id = json_string("p1");
	json_t *ts = json_integer(1723456789);
	json_t *obj_ts = json_pack("{s:[i,i]}", "t", 1, 2);
	struct sig_msg m;

	expect_wire(sig_build_pong(NULL, NULL), "{\"type\":\"pong\"}");
	expect_wire(sig_build_pong(NULL, ts), "{\"type\":\"pong\",\"ts\":1723456789}");
	expect_wire(sig_build_pong(id, NULL), "{\"type\":\"pong\",\"id\":\"p1\"}");
	expect_wire(sig_build_pong(id, ts), "{\"type\":\"pong\",\"ts\":1723456789,\"id\":\"p1\"}");
	expect_wire(sig_build_pong(NULL, obj_ts), "{\"type\":\"pong\",\"ts\":{\"t\":[1,2]}}");

	round_trip(SERVER, sig_build_pong(id, ts), &m);
	check_only(&m, SIG_T_PONG, F_DATA | F_REQ_ID);
	assert_json_text(m.data, "1723456789");
	assert_json_text(m.req_id, "\"p1\"");
	sig_msg_clear(&m);
	round_trip(SERVER, sig_build_pong(NULL, NULL), &m);
	check_only(&m, SIG_T_PONG, 0);
	sig_msg_clear(&m);

	json_decref(id);
	json_decref(ts);
	json_decref(obj_ts);
}

static void t_build_error(void **state)
{
	(void)state;
	json_t *id = json_integer(42);
	struct sig_msg m;

	expect_wire(sig_build_error(SIG_E_ROOM_FULL, NULL, NULL),
		    "{\"type\":\"error\",\"code\":\"room-full\",\"message\":\"the room is full\"}");
	expect_wire(sig_build_error(SIG_E_BAD_FIELD, "sdp: required string", NULL),
		    "{\"type\":\"error\",\"code\":\"bad-field\",\"message\":\"sdp: required string\"}");
	expect_wire(sig_build_error(SIG_E_BAD_FIELD, "room: x", id),
		    "{\"type\":\"error\",\"code\":\"bad-field\",\"message\":\"room: x\",\"id\":42}");
	expect_wire(sig_build_error(SIG_E_NOT_JOINED, NULL, id),
		    "{\"type\":\"error\",\"code\":\"not-joined\",\"message\":\"join a room first\","
		    "\"id\":42}");

	/* Every code goes on the wire as its stable string and parses back. */
	for (int c = SIG_E_BAD_JSON; c < SIG_ERROR_COUNT; c++) {
		enum sig_error_code code = (enum sig_error_code)c;
		char want[256];
		snprintf(want, sizeof(want), "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
			 sig_error_wire(code), sig_error_human(code));
		expect_wire(sig_build_error(code, NULL, NULL), want);
		round_trip(SERVER, sig_build_error(code, NULL, id), &m);
		check_only(&m, SIG_T_ERROR, F_CODE | F_MESSAGE | F_REQ_ID);
		assert_string_equal(m.code, sig_error_wire(code));
		assert_string_equal(m.message, sig_error_human(code));
		assert_json_text(m.req_id, "42");
		sig_msg_clear(&m);
	}
	json_decref(id);
}

static void t_build_client_messages(void **state)
{
	(void)state;
	json_t *meta = json_pack("{s:s}", "name", "x");
	json_t *data = json_pack("{s:i}", "a", 1);
	struct sig_msg m;

	expect_wire(sig_build_join("r", NULL, NULL, 0), "{\"type\":\"join\",\"room\":\"r\"}");
	expect_wire(sig_build_join("r", meta, "t", 8),
		    "{\"type\":\"join\",\"room\":\"r\",\"meta\":{\"name\":\"x\"},\"token\":\"t\","
		    "\"max_peers\":8}");
	round_trip(CLIENT, sig_build_join(ROOM, meta, "tok", 2), &m);
	check_only(&m, SIG_T_JOIN, F_ROOM | F_META | F_TOKEN | F_MAXP);
	assert_string_equal(m.room, ROOM);
	assert_true(json_equal(m.meta, meta));
	assert_string_equal(m.token, "tok");
	assert_int_equal(m.max_peers, 2);
	sig_msg_clear(&m);
	round_trip(CLIENT, sig_build_join("r", NULL, NULL, 0), &m);
	check_only(&m, SIG_T_JOIN, F_ROOM);
	sig_msg_clear(&m);

	expect_wire(sig_build_sdp(SIG_T_OFFER, "p", "v=0"),
		    "{\"type\":\"offer\",\"to\":\"p\",\"sdp\":\"v=0\"}");
	expect_wire(sig_build_sdp(SIG_T_ANSWER, "p", "v=0\r\n"),
		    "{\"type\":\"answer\",\"to\":\"p\",\"sdp\":\"v=0\\r\\n\"}");
	assert_null(sig_build_sdp(SIG_T_CANDIDATE, "p", "v=0"));
	assert_null(sig_build_sdp(SIG_T_JOIN, "p", "v=0"));
	round_trip(CLIENT, sig_build_sdp(SIG_T_ANSWER, PEER_A, "v=0\r\n"), &m);
	check_only(&m, SIG_T_ANSWER, F_TO | F_SDP);
	assert_string_equal(m.to, PEER_A);
	assert_string_equal(m.sdp, "v=0\r\n");
	sig_msg_clear(&m);

	expect_wire(sig_build_candidate("p", "c", "0", 0),
		    "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"c\",\"mid\":\"0\",\"mline\":0}");
	expect_wire(sig_build_candidate("p", "", NULL, -1),
		    "{\"type\":\"candidate\",\"to\":\"p\",\"candidate\":\"\"}");
	round_trip(CLIENT, sig_build_candidate(PEER_B, "candidate:9", "m", 7), &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE | F_MID | F_MLINE);
	assert_string_equal(m.to, PEER_B);
	assert_string_equal(m.candidate, "candidate:9");
	assert_string_equal(m.mid, "m");
	assert_int_equal(m.mline, 7);
	sig_msg_clear(&m);
	round_trip(CLIENT, sig_build_candidate(PEER_B, "", NULL, -1), &m);
	check_only(&m, SIG_T_CANDIDATE, F_TO | F_CANDIDATE);
	sig_msg_clear(&m);

	expect_wire(sig_build_publish(NULL, data), "{\"type\":\"publish\",\"data\":{\"a\":1}}");
	expect_wire(sig_build_publish("p", NULL), "{\"type\":\"publish\",\"to\":\"p\",\"data\":null}");
	round_trip(CLIENT, sig_build_publish(PEER_A, data), &m);
	check_only(&m, SIG_T_PUBLISH, F_TO | F_DATA);
	assert_string_equal(m.to, PEER_A);
	assert_true(json_equal(m.data, data));
	sig_msg_clear(&m);
	round_trip(CLIENT, sig_build_publish(NULL, NULL), &m);
	check_only(&m, SIG_T_PUBLISH, F_DATA);
	assert_true(json_is_null(m.data));
	sig_msg_clear(&m);

	/* The builders took their own references. */
	assert_int_equal(json_object_size(meta), 1);
	json_decref(meta);
	json_decref(data);
}

/* Every relay, parsed back by the receiving client, carries the sender's fields unchanged. */
static void t_relay_round_trip(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"{\"type\":\"offer\",\"to\":\"x\",\"sdp\":\"v=0\\r\\n\"}",
		"{\"type\":\"answer\",\"to\":\"x\",\"sdp\":\"\xc3\xa9\"}",
		"{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"c\",\"mid\":\"0\",\"mline\":1}",
		"{\"type\":\"candidate\",\"to\":\"x\",\"candidate\":\"\"}",
		"{\"type\":\"publish\",\"data\":{\"k\":[1.25,null,\"\\u00ff\"]}}",
		"{\"type\":\"publish\",\"to\":\"x\",\"data\":null}",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct sig_msg in, out;
		parse_ok(CLIENT, inputs[i], &in);
		round_trip(SERVER, sig_build_relay(&in, PEER_A), &out);
		assert_int_equal(out.type, in.type);
		assert_string_equal(out.from, PEER_A);
		assert_null(out.to);
		assert_null(out.req_id);
		if (in.sdp)
			assert_string_equal(out.sdp, in.sdp);
		else
			assert_null(out.sdp);
		if (in.candidate)
			assert_string_equal(out.candidate, in.candidate);
		else
			assert_null(out.candidate);
		if (in.mid)
			assert_string_equal(out.mid, in.mid);
		else
			assert_null(out.mid);
		assert_int_equal(out.mline, in.mline);
		if (in.data)
			assert_true(json_equal(out.data, in.data));
		else
			assert_null(out.data);
		sig_msg_clear(&out);
		sig_msg_clear(&in);
	}
}

static void t_dump(void **state)
{
	(void)state;
	size_t len = 99;
	json_t *j = json_pack("{s:s, s:s}", "type", "x", "s", "\xc3\xa9/\t");
	char *s = sig_dump(j, &len);
	/* Compact, UTF-8 kept as is, "/" not escaped, control characters escaped. */
	assert_string_equal(s, "{\"type\":\"x\",\"s\":\"\xc3\xa9/\\t\"}");
	assert_int_equal(len, strlen(s));
	free(s);
	s = sig_dump(j, NULL);
	assert_non_null(s);
	free(s);
	json_decref(j);
}

/* --- The §8 transcript, line by line ------------------------------------------------------ */

#define EX_SDP "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n..."
#define EX_CAND "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host"

static const char ex_a_join[] = "{\"type\":\"join\",\"room\":\"" ROOM "\",\"meta\":{\"name\":\"laptop\"},\"id\":1}";
static const char ex_joined_a[] = "{\"type\":\"joined\",\"room\":\"" ROOM "\",\"peer\":\"" PEER_A
				  "\",\"peers\":[],\"ice_servers\":[],\"max_peers\":64,\"id\":1}";
static const char ex_b_join[] = "{\"type\":\"join\",\"room\":\"" ROOM "\",\"max_peers\":2}";
static const char ex_joined_b[] = "{\"type\":\"joined\",\"room\":\"" ROOM "\",\"peer\":\"" PEER_B
				  "\",\"peers\":[{\"peer\":\"" PEER_A "\",\"meta\":{\"name\":\"laptop\"}}],"
				  "\"ice_servers\":[],\"max_peers\":64}";
static const char ex_peer_joined[] = "{\"type\":\"peer-joined\",\"peer\":\"" PEER_B "\",\"meta\":{}}";
static const char ex_b_offer[] = "{\"type\":\"offer\",\"to\":\"" PEER_A "\",\"sdp\":\"" EX_SDP "\"}";
static const char ex_offer_a[] = "{\"type\":\"offer\",\"from\":\"" PEER_B "\",\"sdp\":\"" EX_SDP "\"}";
static const char ex_a_cand[] = "{\"type\":\"candidate\",\"to\":\"" PEER_B "\",\"candidate\":\"" EX_CAND
				"\",\"mid\":\"0\",\"mline\":0}";
static const char ex_cand_b[] = "{\"type\":\"candidate\",\"from\":\"" PEER_A "\",\"candidate\":\"" EX_CAND
				"\",\"mid\":\"0\",\"mline\":0}";
static const char ex_a_eoc[] = "{\"type\":\"candidate\",\"to\":\"" PEER_B "\",\"candidate\":\"\",\"mid\":\"0\"}";
static const char ex_b_pub[] = "{\"type\":\"publish\",\"data\":{\"hello\":\"room\"}}";
static const char ex_pub_a[] = "{\"type\":\"publish\",\"from\":\"" PEER_B "\",\"data\":{\"hello\":\"room\"}}";
static const char ex_b_ping[] = "{\"type\":\"ping\",\"ts\":1723456789,\"id\":\"p1\"}";
static const char ex_pong_b[] = "{\"type\":\"pong\",\"ts\":1723456789,\"id\":\"p1\"}";
static const char ex_b_bad[] = "{\"type\":\"offer\",\"to\":\"nobody\"}";
static const char ex_err_b[] = "{\"type\":\"error\",\"code\":\"bad-field\",\"message\":\"sdp: required string\"}";
static const char ex_b_leave[] = "{\"type\":\"leave\"}";
static const char ex_left_b[] = "{\"type\":\"left\",\"room\":\"" ROOM "\"}";
static const char ex_peer_left[] = "{\"type\":\"peer-left\",\"peer\":\"" PEER_B "\"}";

static void t_protocol_examples_parse(void **state)
{
	(void)state;
	static const char *const from_clients[] = {ex_a_join, ex_b_join, ex_b_offer, ex_a_cand,
						   ex_a_eoc, ex_b_pub, ex_b_ping, ex_b_leave};
	static const char *const from_server[] = {ex_joined_a, ex_joined_b, ex_peer_joined,
						  ex_offer_a, ex_cand_b, ex_pub_a, ex_pong_b,
						  ex_err_b, ex_left_b, ex_peer_left};
	struct sig_msg m;
	for (size_t i = 0; i < sizeof(from_clients) / sizeof(from_clients[0]); i++) {
		parse_ok(CLIENT, from_clients[i], &m);
		sig_msg_clear(&m);
	}
	for (size_t i = 0; i < sizeof(from_server) / sizeof(from_server[0]); i++) {
		parse_ok(SERVER, from_server[i], &m);
		sig_msg_clear(&m);
	}
	C_ERR(ex_b_bad, SIG_E_BAD_FIELD, "sdp");
}

/* Rebuilding every server line of the transcript from the client lines gives the same bytes. */
static void t_protocol_examples_rebuilt(void **state)
{
	(void)state;
	struct sig_msg a_join, b_join, m;
	struct sig_error e;
	json_t *empty = json_array();

	parse_ok(CLIENT, ex_a_join, &a_join);
	parse_ok(CLIENT, ex_b_join, &b_join);
	assert_int_equal(b_join.max_peers, 2);
	json_t *peers = json_pack("[{s:s, s:O}]", "peer", PEER_A, "meta", a_join.meta);
	assert_non_null(peers);

	expect_wire(sig_build_joined(a_join.room, PEER_A, empty, empty, 64, a_join.req_id), ex_joined_a);
	expect_wire(sig_build_joined(b_join.room, PEER_B, peers, empty, 64, b_join.req_id), ex_joined_b);
	expect_wire(sig_build_peer_joined(PEER_B, b_join.meta), ex_peer_joined);

	parse_ok(CLIENT, ex_b_offer, &m);
	expect_wire(sig_build_relay(&m, PEER_B), ex_offer_a);
	sig_msg_clear(&m);
	parse_ok(CLIENT, ex_a_cand, &m);
	expect_wire(sig_build_relay(&m, PEER_A), ex_cand_b);
	sig_msg_clear(&m);
	parse_ok(CLIENT, ex_b_pub, &m);
	expect_wire(sig_build_relay(&m, PEER_B), ex_pub_a);
	sig_msg_clear(&m);
	parse_ok(CLIENT, ex_b_ping, &m);
	expect_wire(sig_build_pong(m.req_id, m.data), ex_pong_b);
	sig_msg_clear(&m);

	assert_int_equal(sig_parse_client(ex_b_bad, sizeof(ex_b_bad) - 1, &m, &e), -1);
	expect_wire(sig_build_error(e.code, e.message, e.req_id), ex_err_b);
	sig_error_clear(&e);

	parse_ok(CLIENT, ex_b_leave, &m);
	expect_wire(sig_build_left(b_join.room, m.req_id), ex_left_b);
	sig_msg_clear(&m);
	expect_wire(sig_build_peer_left(PEER_B), ex_peer_left);

	json_decref(peers);
	json_decref(empty);
	sig_msg_clear(&a_join);
	sig_msg_clear(&b_join);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_error_wire_every_code),
		cmocka_unit_test(t_type_names),
		cmocka_unit_test(t_room_valid),
		cmocka_unit_test(t_client_join_full),
		cmocka_unit_test(t_client_join_minimal),
		cmocka_unit_test(t_client_join_limits_accepted),
		cmocka_unit_test(t_client_leave),
		cmocka_unit_test(t_client_offer_answer),
		cmocka_unit_test(t_client_candidate),
		cmocka_unit_test(t_client_publish),
		cmocka_unit_test(t_client_ping),
		cmocka_unit_test(t_client_buffer_bounds),
		cmocka_unit_test(t_err_bad_json),
		cmocka_unit_test(t_err_not_object),
		cmocka_unit_test(t_err_duplicate_keys),
		cmocka_unit_test(t_err_type),
		cmocka_unit_test(t_err_request_id),
		cmocka_unit_test(t_err_join_room),
		cmocka_unit_test(t_err_join_meta),
		cmocka_unit_test(t_err_join_token_max_peers),
		cmocka_unit_test(t_err_member_order),
		cmocka_unit_test(t_err_offer_answer),
		cmocka_unit_test(t_err_candidate),
		cmocka_unit_test(t_err_publish),
		cmocka_unit_test(t_nul_is_bad_json),
		cmocka_unit_test(t_success_leaves_err_empty),
		cmocka_unit_test(t_every_parse_error_is_sendable),
		cmocka_unit_test(t_server_joined),
		cmocka_unit_test(t_server_left_peer_joined_peer_left),
		cmocka_unit_test(t_server_relayed),
		cmocka_unit_test(t_server_pong_error),
		cmocka_unit_test(t_server_errors),
		cmocka_unit_test(t_build_relay_offer_answer),
		cmocka_unit_test(t_build_relay_candidate),
		cmocka_unit_test(t_build_relay_owns_its_values),
		cmocka_unit_test(t_build_relay_publish),
		cmocka_unit_test(t_build_relay_refuses_other_types),
		cmocka_unit_test(t_build_joined),
		cmocka_unit_test(t_build_left_peer_joined_peer_left),
		cmocka_unit_test(t_build_pong),
		cmocka_unit_test(t_build_error),
		cmocka_unit_test(t_build_client_messages),
		cmocka_unit_test(t_relay_round_trip),
		cmocka_unit_test(t_dump),
		cmocka_unit_test(t_protocol_examples_parse),
		cmocka_unit_test(t_protocol_examples_rebuilt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
