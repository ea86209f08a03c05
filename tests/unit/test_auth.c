/*
 * test_auth.c - rtcpeer/auth against proto/TRANSFER.md §3 (transfer codes) and §4 (the MAC).
 *
 * The expected MACs were computed independently of this code, with the OpenSSL command line
 * (OpenSSL 3.0), from a message file built byte by byte:
 *
 *   { printf 'rtcpeer-auth-v1\0offerer\0'
 *     printf '%s' a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
 * c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf | xxd -r -p; } > msg
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102030405060708090a0b0c0d0e0f msg
 *   HMAC-SHA2-256(msg)= 7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54
 *
 * and the same with 'answerer' (89 bytes instead of 88):
 *   HMAC-SHA2-256(msg)= 8b73aee835ce4c4e9ffff632f659b9b8a424e02a9901df0ad32a9c6602f58c50
 *
 * The code secret for key 00 01 ... 0f is Python's
 * base64.b32encode(bytes(range(16))).lower().rstrip('=') = aaaqeayeaudaocajbifqydiob4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "util.h"

#define ROOM        "k2fzq7wd3xha"
#define SECRET      "aaaqeayeaudaocajbifqydiob4"
#define CODE        ROOM "-" SECRET
#define MAC_OFFERER  "7758ea6404d74063d7b8f7aeb91d7e4970be67278e02e5eaf1d00dd447dadf54"
#define MAC_ANSWERER "8b73aee835ce4c4e9ffff632f659b9b8a424e02a9901df0ad32a9c6602f58c50"

static uint8_t key[AUTH_SECRET_LEN];
static uint8_t ofp[AUTH_FP_LEN]; /* offerer: a0..bf */
static uint8_t afp[AUTH_FP_LEN]; /* answerer: c0..df */

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < AUTH_SECRET_LEN; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < AUTH_FP_LEN; i++) {
		ofp[i] = (uint8_t)(0xa0 + i);
		afp[i] = (uint8_t)(0xc0 + i);
	}
	return 0;
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(auth_hex_decode(hex, strlen(hex), out, len), AUTH_OK);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* --- Codes -------------------------------------------------------------------------------- */

static int b32char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

static void t_strerror(void **state)
{
	(void)state;
	assert_string_equal(auth_strerror(AUTH_OK), "ok");
	assert_string_equal(auth_strerror(AUTH_E_ARG), "invalid argument");
	assert_string_equal(auth_strerror(AUTH_E_RANDOM), "the kernel random number generator failed");
	assert_string_equal(auth_strerror(AUTH_E_SPACE), "output buffer too small");
	assert_string_equal(auth_strerror(AUTH_E_CODE), "not a valid transfer code");
	assert_string_equal(auth_strerror(AUTH_E_CRYPTO), "HMAC-SHA256 failed");
	assert_string_equal(auth_strerror(AUTH_E_MISMATCH),
			    "authentication failed: the peer does not know the code, or the "
			    "connection was tampered with");
	assert_string_equal(auth_strerror(-100), "unknown error");
	assert_string_equal(auth_strerror(1), "unknown error");
	assert_int_equal(AUTH_CODE_LEN, 39);
}

static void t_generate_shape(void **state)
{
	(void)state;
	enum { N = 200 };
	static char codes[N][AUTH_CODE_LEN + 1];
	for (int n = 0; n < N; n++) {
		char code[64], room[AUTH_ROOM_LEN + 1], proom[AUTH_ROOM_LEN + 1];
		char b32[AUTH_SECRET_CHARS + 1], err[256];
		uint8_t secret[AUTH_SECRET_LEN], psecret[AUTH_SECRET_LEN];
		memset(code, '#', sizeof(code));
		assert_int_equal(auth_code_generate(code, sizeof(code), room, secret), AUTH_OK);
		assert_int_equal(strlen(code), AUTH_CODE_LEN);
		assert_int_equal(code[AUTH_ROOM_LEN], '-');
		for (int i = 0; i < AUTH_CODE_LEN; i++)
			if (i != AUTH_ROOM_LEN)
				assert_true(b32char(code[i]));
		assert_non_null(strchr("aeimquy4", code[AUTH_CODE_LEN - 1]));
		/* room and secret outputs match the text. */
		assert_memory_equal(code, room, AUTH_ROOM_LEN);
		assert_int_equal(room[AUTH_ROOM_LEN], '\0');
		util_base32(b32, secret, AUTH_SECRET_LEN);
		assert_string_equal(code + AUTH_ROOM_LEN + 1, b32);
		/* And the parser gives them back. */
		assert_int_equal(auth_code_parse(code, proom, psecret, err, sizeof(err)), AUTH_OK);
		assert_string_equal(proom, room);
		assert_memory_equal(psecret, secret, AUTH_SECRET_LEN);
		memcpy(codes[n], code, AUTH_CODE_LEN + 1);
	}
	/* Random: no two alike, in either part (a repeat would mean a broken generator). */
	for (int a = 0; a < N; a++)
		for (int b = a + 1; b < N; b++) {
			assert_memory_not_equal(codes[a], codes[b], AUTH_ROOM_LEN);
			assert_string_not_equal(codes[a] + AUTH_ROOM_LEN + 1,
						codes[b] + AUTH_ROOM_LEN + 1);
		}
}

static void t_generate_space(void **state)
{
	(void)state;
	char code[64];
	memset(code, '#', sizeof(code));
	assert_int_equal(auth_code_generate(code, AUTH_CODE_LEN, NULL, NULL), AUTH_E_SPACE);
	assert_string_equal(code, "");
	assert_int_equal(auth_code_generate(NULL, 100, NULL, NULL), AUTH_E_SPACE);
	code[0] = '#';
	assert_int_equal(auth_code_generate(code, 0, NULL, NULL), AUTH_E_SPACE);
	assert_int_equal(code[0], '#');
	/* Exactly enough; room and secret may be NULL. */
	memset(code, '#', sizeof(code));
	assert_int_equal(auth_code_generate(code, AUTH_CODE_LEN + 1, NULL, NULL), AUTH_OK);
	assert_int_equal(strlen(code), AUTH_CODE_LEN);
	assert_int_equal(code[AUTH_CODE_LEN + 1], '#');
}

static void expect_code(const char *text, const char *want_room)
{
	char room[AUTH_ROOM_LEN + 1], err[256];
	uint8_t secret[AUTH_SECRET_LEN];
	int rc = auth_code_parse(text, room, secret, err, sizeof(err));
	if (rc != AUTH_OK)
		fail_msg("refused \"%s\": %s", text, err);
	assert_string_equal(err, "");
	assert_string_equal(room, want_room);
	assert_memory_equal(secret, key, AUTH_SECRET_LEN);
}

static void t_parse_code(void **state)
{
	(void)state;
	expect_code(CODE, ROOM);
	expect_code("K2FZQ7WD3XHA-AAAQEAYEAUDAOCAJBIFQYDIOB4", ROOM);
	expect_code("K2fZq7Wd3XhA-aAaQeAyEaUdAoCaJbIfQyDiOb4", ROOM);
	expect_code("  " CODE "\n", ROOM);
	expect_code("\t\r\n\v\f " CODE " \f\v\n\r\t", ROOM);
}

static void t_parse_link(void **state)
{
	(void)state;
	expect_code("https://rtc.example.org/r/" ROOM "#" SECRET, ROOM);
	expect_code("http://rtc.example.org/r/" ROOM "#" SECRET, ROOM);
	expect_code("HTTPS://RTC.EXAMPLE.ORG/r/" ROOM "#" SECRET, ROOM);
	expect_code("Http://localhost:8080/r/" ROOM "#" SECRET, ROOM);
	expect_code("https://rtc.example.org:8443/r/K2FZQ7WD3XHA#AAAQEAYEAUDAOCAJBIFQYDIOB4", ROOM);
	expect_code("https://[2001:db8::1]:8443/r/" ROOM "#" SECRET, ROOM);
	expect_code("https://192.0.2.7/r/" ROOM "#" SECRET, ROOM);
	expect_code("https://my_host-1.example/r/" ROOM "#" SECRET, ROOM);
	expect_code("\n https://rtc.example.org/r/" ROOM "#" SECRET " \n", ROOM);
}

/* Refused with exactly `want`; room "" and secret zeroed afterwards; never echoes SECRET. */
static void expect_refused(const char *text, const char *want)
{
	char room[AUTH_ROOM_LEN + 1], err[256];
	uint8_t secret[AUTH_SECRET_LEN];
	memset(room, 'x', sizeof(room));
	memset(secret, 0xee, sizeof(secret));
	memset(err, 0, sizeof(err));
	int rc = auth_code_parse(text, room, secret, err, sizeof(err));
	if (rc != AUTH_E_CODE)
		fail_msg("\"%s\": got %d (%s), expected AUTH_E_CODE", text ? text : "(null)", rc,
			 err);
	assert_string_equal(err, want);
	assert_string_equal(room, "");
	assert_true(all_zero(secret, sizeof(secret)));
	assert_null(strstr(err, "aaaqeayeaudaocajbifqydiob"));
	assert_null(strstr(err, "AAAQEAYEAUDAOCAJBIFQYDIOB"));
}

static void t_parse_code_errors(void **state)
{
	(void)state;
	expect_refused(NULL, "no transfer code given");
	expect_refused("", "the transfer code is empty");
	expect_refused(" \t\n", "the transfer code is empty");
	expect_refused(ROOM,
		       "a transfer code is 12 characters, '-', 26 characters (a-z, 2-7); this is "
		       "12 characters without a '-'");
	expect_refused(ROOM SECRET, "the '-' between room and secret is missing");
	/* Room part. */
	expect_refused("k2fzq7wd3xh-" SECRET, "room (before '-') is 11 characters long; expected 12");
	expect_refused("k2fzq7wd3xhaa-" SECRET,
		       "room (before '-') is 13 characters long; expected 12");
	expect_refused("-" SECRET, "room (before '-') is 0 characters long; expected 12");
	expect_refused("k2fzq7wd3xh0-" SECRET,
		       "room (before '-'): character 12 ('0') is not one of a-z, 2-7 (codes have no "
		       "0: did you mean 'o'?)");
	expect_refused("12fzq7wd3xha-" SECRET,
		       "room (before '-'): character 1 ('1') is not one of a-z, 2-7 (codes have no "
		       "1: did you mean 'l' or 'i'?)");
	expect_refused("k2fzq7wd3x8a-" SECRET,
		       "room (before '-'): character 11 ('8') is not one of a-z, 2-7 (codes have no "
		       "8: did you mean 'b'?)");
	expect_refused("k2fzq7wd3x9a-" SECRET,
		       "room (before '-'): character 11 ('9') is not one of a-z, 2-7 (codes have no "
		       "9: did you mean 'g'?)");
	expect_refused("k2fzq7wd3x_a-" SECRET,
		       "room (before '-'): character 11 ('_') is not one of a-z, 2-7");
	expect_refused("k2fzq7wd3\xc3\xa9" "a-" SECRET,
		       "room (before '-'): character 10 (byte 0xc3) is not one of a-z, 2-7");
	/* Secret part. */
	expect_refused(ROOM "-", "secret (after '-') is 0 characters long; expected 26");
	expect_refused(ROOM "-aaaqeayeaudaocajbifqydiob",
		       "secret (after '-') is 25 characters long; expected 26");
	expect_refused(ROOM "-" SECRET "a", "secret (after '-') is 27 characters long; expected 26");
	expect_refused(ROOM "-" SECRET "-x", "secret (after '-') is 28 characters long; expected 26");
	expect_refused(ROOM "-aaaqeayeaudaocajbifqydio04",
		       "secret (after '-'): character 25 ('0') is not one of a-z, 2-7 (codes have "
		       "no 0: did you mean 'o'?)");
	expect_refused(ROOM "-aaaqeayeaudaocajbifqydiob\x01",
		       "secret (after '-'): character 26 (byte 0x01) is not one of a-z, 2-7");
	expect_refused(ROOM "-aaaqeayeaudaocajbifqydio\x7f" "4",
		       "secret (after '-'): character 25 (byte 0x7f) is not one of a-z, 2-7");
	/* Inner whitespace, the whole command line, things that look like other URLs. */
	expect_refused(ROOM " -" SECRET,
		       "space at character 13: give only the code, 12 characters, '-', 26 "
		       "characters");
	expect_refused("rtcpeer recv " CODE,
		       "space at character 8: give only the code, 12 characters, '-', 26 "
		       "characters");
	expect_refused("ftp://rtc.example.org/r/" ROOM "#" SECRET,
		       "not a transfer code, and links must start with http:// or https://");
	expect_refused(ROOM ":" SECRET,
		       "not a transfer code, and links must start with http:// or https://");
	expect_refused("rtc.example.org/r/" ROOM "#" SECRET,
		       "not a transfer code, and links must start with http:// or https://");
	/* Too long to be anything. */
	char big[700];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_refused(big, "too long for a transfer code or link");
	/* Whitespace counts: the limit is on the text as given. */
	memset(big, ' ', 520);
	memcpy(big + 520, CODE, sizeof(CODE));
	expect_refused(big, "too long for a transfer code or link");
	memset(big, ' ', 512 - AUTH_CODE_LEN);
	memcpy(big + 512 - AUTH_CODE_LEN, CODE, sizeof(CODE));
	assert_int_equal(strlen(big), 512);
	expect_code(big, ROOM);
	/* err may be NULL. */
	char room[AUTH_ROOM_LEN + 1];
	uint8_t secret[AUTH_SECRET_LEN];
	assert_int_equal(auth_code_parse("x", room, secret, NULL, 0), AUTH_E_CODE);
	assert_int_equal(auth_code_parse(CODE, NULL, secret, NULL, 0), AUTH_E_CODE);
	assert_int_equal(auth_code_parse(CODE, room, NULL, NULL, 0), AUTH_E_CODE);
}

static void t_parse_secret_padding(void **state)
{
	(void)state;
	/* 26 characters carry 130 bits; the last character's low 2 bits must be zero. */
	const char *alphabet = "abcdefghijklmnopqrstuvwxyz234567";
	for (int v = 0; v < 32; v++) {
		char code[64], room[AUTH_ROOM_LEN + 1], err[256];
		uint8_t secret[AUTH_SECRET_LEN];
		snprintf(code, sizeof(code), ROOM "-aaaqeayeaudaocajbifqydiob%c", alphabet[v]);
		int rc = auth_code_parse(code, room, secret, err, sizeof(err));
		if (v % 4 == 0) {
			assert_int_equal(rc, AUTH_OK);
			assert_int_equal(secret[15], 0x08 | (v >> 2)); /* "b?": 00001 xxx(00) */
		} else {
			assert_int_equal(rc, AUTH_E_CODE);
			assert_string_equal(err, "secret (after '-'): the last character cannot end a "
						 "code (typo?)");
		}
	}
}

static void t_parse_link_errors(void **state)
{
	(void)state;
	expect_refused("https://", "link: the host name is missing");
	expect_refused("https:///r/" ROOM "#" SECRET, "link: the host name is missing");
	expect_refused("https://user@rtc.example.org/r/" ROOM "#" SECRET,
		       "link: character 13 of the link is not allowed in a host name");
	expect_refused("https://rtc.example.org", "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org/", "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org#" SECRET, "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org?r=" ROOM, "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org/x/" ROOM "#" SECRET,
		       "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org/R/" ROOM "#" SECRET,
		       "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org/app/r/" ROOM "#" SECRET,
		       "link: the path must be /r/<room>");
	expect_refused("https://rtc.example.org/r/" ROOM,
		       "link: the secret after '#' is missing (copy the whole link)");
	expect_refused("https://rtc.example.org/r/" ROOM "/#" SECRET,
		       "link: room is 13 characters long; expected 12");
	expect_refused("https://rtc.example.org/r/" ROOM "?x=1#" SECRET,
		       "link: room is 16 characters long; expected 12");
	expect_refused("https://rtc.example.org/r/#" SECRET,
		       "link: room is 0 characters long; expected 12");
	expect_refused("https://rtc.example.org/r/" ROOM "#",
		       "link: secret is 0 characters long; expected 26");
	expect_refused("https://rtc.example.org/r/" ROOM "#" SECRET "&x",
		       "link: secret is 28 characters long; expected 26");
	expect_refused("https://rtc.example.org/r/" ROOM "#" SECRET "#",
		       "link: secret is 27 characters long; expected 26");
	expect_refused("https://rtc.example.org/r/" ROOM "#aaaqeayeaudaocajbifqydiob5",
		       "link: secret: the last character cannot end a code (typo?)");
	expect_refused("https://rtc.example.org/r/k2fzq7wd3xh1#" SECRET,
		       "link: room: character 12 ('1') is not one of a-z, 2-7 (codes have no 1: "
		       "did you mean 'l' or 'i'?)");
	expect_refused("https://rtc.example.org/r/" ROOM "-" SECRET,
		       "link: room is 39 characters long; expected 12");
	expect_refused("https://rtc example.org/r/" ROOM "#" SECRET,
		       "link: character 12 of the link is not allowed in a host name");
}

/* --- MAC ---------------------------------------------------------------------------------- */

static void t_mac_vectors(void **state)
{
	(void)state;
	uint8_t mac[AUTH_MAC_LEN], want[AUTH_MAC_LEN];
	char hex[AUTH_MAC_HEX_LEN + 1];

	assert_int_equal(auth_mac(key, AUTH_ROLE_OFFERER, ofp, afp, mac), AUTH_OK);
	auth_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, MAC_OFFERER);

	assert_int_equal(auth_mac(key, AUTH_ROLE_ANSWERER, ofp, afp, mac), AUTH_OK);
	auth_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, MAC_ANSWERER);

	/* The key from the transfer code is the test vector's key. */
	char room[AUTH_ROOM_LEN + 1];
	uint8_t secret[AUTH_SECRET_LEN];
	assert_int_equal(auth_code_parse(CODE, room, secret, NULL, 0), AUTH_OK);
	assert_int_equal(auth_mac(secret, "offerer", ofp, afp, mac), AUTH_OK);
	unhex(MAC_OFFERER, want, sizeof(want));
	assert_memory_equal(mac, want, sizeof(mac));
}

static void t_mac_binds_every_input(void **state)
{
	(void)state;
	uint8_t base[AUTH_MAC_LEN], mac[AUTH_MAC_LEN], k[AUTH_SECRET_LEN];
	uint8_t o[AUTH_FP_LEN], a[AUTH_FP_LEN];
	assert_int_equal(auth_mac(key, AUTH_ROLE_OFFERER, ofp, afp, base), AUTH_OK);

	/* Role, fingerprint order. */
	assert_int_equal(auth_mac(key, AUTH_ROLE_ANSWERER, ofp, afp, mac), AUTH_OK);
	assert_memory_not_equal(mac, base, sizeof(mac));
	assert_int_equal(auth_mac(key, AUTH_ROLE_OFFERER, afp, ofp, mac), AUTH_OK);
	assert_memory_not_equal(mac, base, sizeof(mac));
	/* Any single bit of key or either fingerprint. */
	for (int i = 0; i < AUTH_SECRET_LEN * 8; i++) {
		memcpy(k, key, sizeof(k));
		k[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(auth_mac(k, AUTH_ROLE_OFFERER, ofp, afp, mac), AUTH_OK);
		assert_memory_not_equal(mac, base, sizeof(mac));
	}
	for (int i = 0; i < AUTH_FP_LEN * 8; i++) {
		memcpy(o, ofp, sizeof(o));
		memcpy(a, afp, sizeof(a));
		o[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(auth_mac(key, AUTH_ROLE_OFFERER, o, afp, mac), AUTH_OK);
		assert_memory_not_equal(mac, base, sizeof(mac));
		a[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(auth_mac(key, AUTH_ROLE_OFFERER, ofp, a, mac), AUTH_OK);
		assert_memory_not_equal(mac, base, sizeof(mac));
	}
}

static void t_mac_arguments(void **state)
{
	(void)state;
	uint8_t mac[AUTH_MAC_LEN];
	assert_int_equal(auth_mac(key, "Offerer", ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "offerer ", ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "", ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "sender", ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, NULL, ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(NULL, "offerer", ofp, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "offerer", NULL, afp, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "offerer", ofp, NULL, mac), AUTH_E_ARG);
	assert_int_equal(auth_mac(key, "offerer", ofp, afp, NULL), AUTH_E_ARG);
	assert_int_equal(auth_verify(key, "offerer", ofp, afp, NULL), AUTH_E_ARG);
	assert_int_equal(auth_verify(key, "nobody", ofp, afp, mac), AUTH_E_ARG);
}

static void t_verify(void **state)
{
	(void)state;
	uint8_t mac[AUTH_MAC_LEN];
	unhex(MAC_OFFERER, mac, sizeof(mac));
	assert_int_equal(auth_verify(key, AUTH_ROLE_OFFERER, ofp, afp, mac), AUTH_OK);
	/* Reflected: the offerer's mac is not the answerer's. */
	assert_int_equal(auth_verify(key, AUTH_ROLE_ANSWERER, ofp, afp, mac), AUTH_E_MISMATCH);
	/* Every single-bit change is caught, at every position (first and last bytes too). */
	for (int i = 0; i < AUTH_MAC_LEN * 8; i++) {
		mac[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(auth_verify(key, AUTH_ROLE_OFFERER, ofp, afp, mac),
				 AUTH_E_MISMATCH);
		mac[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(auth_verify(key, AUTH_ROLE_OFFERER, ofp, afp, mac), AUTH_OK);
	uint8_t zero[AUTH_MAC_LEN] = {0};
	assert_int_equal(auth_verify(key, AUTH_ROLE_OFFERER, ofp, afp, zero), AUTH_E_MISMATCH);
}

/* Both ends of a session with the one-sided helpers, then a man in the middle. */
static void t_session(void **state)
{
	(void)state;
	uint8_t off_mac[AUTH_MAC_LEN], ans_mac[AUTH_MAC_LEN], want[AUTH_MAC_LEN];

	/* The offerer's certificate is ofp, the answerer's afp; each sees the other's. */
	assert_int_equal(auth_local_mac(key, 1, ofp, afp, off_mac), AUTH_OK);
	assert_int_equal(auth_local_mac(key, 0, afp, ofp, ans_mac), AUTH_OK);
	unhex(MAC_OFFERER, want, sizeof(want));
	assert_memory_equal(off_mac, want, sizeof(want));
	unhex(MAC_ANSWERER, want, sizeof(want));
	assert_memory_equal(ans_mac, want, sizeof(want));
	assert_int_equal(auth_verify_peer(key, 1, ofp, afp, ans_mac), AUTH_OK);
	assert_int_equal(auth_verify_peer(key, 0, afp, ofp, off_mac), AUTH_OK);

	/* Reflection: a side's own mac sent back to it does not verify. */
	assert_int_equal(auth_verify_peer(key, 1, ofp, afp, off_mac), AUTH_E_MISMATCH);
	assert_int_equal(auth_verify_peer(key, 0, afp, ofp, ans_mac), AUTH_E_MISMATCH);

	/* The signaling server swaps fingerprints: the offerer sees m1 as the remote, the
	 * answerer sees m2. Relaying either mac fails, in both directions. */
	uint8_t m1[AUTH_FP_LEN], m2[AUTH_FP_LEN], o_mac[AUTH_MAC_LEN], a_mac[AUTH_MAC_LEN];
	memset(m1, 0x11, sizeof(m1));
	memset(m2, 0x22, sizeof(m2));
	assert_int_equal(auth_local_mac(key, 1, ofp, m1, o_mac), AUTH_OK);
	assert_int_equal(auth_local_mac(key, 0, afp, m2, a_mac), AUTH_OK);
	assert_int_equal(auth_verify_peer(key, 0, afp, m2, o_mac), AUTH_E_MISMATCH);
	assert_int_equal(auth_verify_peer(key, 1, ofp, m1, a_mac), AUTH_E_MISMATCH);
	/* Making both sides offerers (the server answers each) fails as well. */
	assert_int_equal(auth_local_mac(key, 1, afp, m2, a_mac), AUTH_OK);
	assert_int_equal(auth_verify_peer(key, 1, ofp, m1, a_mac), AUTH_E_MISMATCH);
	/* Without the secret, no mac verifies. */
	uint8_t other[AUTH_SECRET_LEN];
	memset(other, 0x5a, sizeof(other));
	assert_int_equal(auth_local_mac(other, 0, afp, ofp, a_mac), AUTH_OK);
	assert_int_equal(auth_verify_peer(key, 1, ofp, afp, a_mac), AUTH_E_MISMATCH);
}

/* --- Hex ---------------------------------------------------------------------------------- */

static void t_hex(void **state)
{
	(void)state;
	uint8_t bytes[4] = {0x00, 0x7f, 0xa5, 0xff}, out[4];
	char hex[9];
	memset(hex, '#', sizeof(hex));
	auth_hex_encode(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "007fa5ff");
	auth_hex_encode(bytes, 0, hex);
	assert_string_equal(hex, "");

	assert_int_equal(auth_hex_decode("007fa5ff", 8, out, 4), AUTH_OK);
	assert_memory_equal(out, bytes, 4);
	assert_int_equal(auth_hex_decode("007FA5FF", 8, out, 4), AUTH_OK);
	assert_memory_equal(out, bytes, 4);
	/* Wrong length, odd length, bad digits: AUTH_E_ARG and out zeroed. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(auth_hex_decode("007fa5", 6, out, 4), AUTH_E_ARG);
	assert_true(all_zero(out, 4));
	memset(out, 0xee, sizeof(out));
	assert_int_equal(auth_hex_decode("007fa5ff0", 9, out, 4), AUTH_E_ARG);
	assert_true(all_zero(out, 4));
	memset(out, 0xee, sizeof(out));
	assert_int_equal(auth_hex_decode("007fa5fg", 8, out, 4), AUTH_E_ARG);
	assert_true(all_zero(out, 4));
	assert_int_equal(auth_hex_decode("007f a5f", 8, out, 4), AUTH_E_ARG);
	assert_int_equal(auth_hex_decode("0x7fa5ff", 8, out, 4), AUTH_E_ARG);
	assert_int_equal(auth_hex_decode(NULL, 8, out, 4), AUTH_E_ARG);
	assert_int_equal(auth_hex_decode("007fa5ff", 8, NULL, 4), AUTH_E_ARG);
	/* Only hexlen characters are read. */
	assert_int_equal(auth_hex_decode("007fa5ffZZ", 8, out, 4), AUTH_OK);
	assert_memory_equal(out, bytes, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_strerror),
		cmocka_unit_test(t_generate_shape),
		cmocka_unit_test(t_generate_space),
		cmocka_unit_test(t_parse_code),
		cmocka_unit_test(t_parse_link),
		cmocka_unit_test(t_parse_code_errors),
		cmocka_unit_test(t_parse_secret_padding),
		cmocka_unit_test(t_parse_link_errors),
		cmocka_unit_test(t_mac_vectors),
		cmocka_unit_test(t_mac_binds_every_input),
		cmocka_unit_test(t_mac_arguments),
		cmocka_unit_test(t_verify),
		cmocka_unit_test(t_session),
		cmocka_unit_test(t_hex),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
