/*
 * auth.c - transfer codes and the end-to-end fingerprint MAC (proto/TRANSFER.md §3, §4).
 *
 * The only cryptography here is GnuTLS's HMAC-SHA256 (gnutls_hmac_fast) and the kernel CSPRNG
 * (util_random); this file only lays out bytes. Key material on the stack is wiped with
 * gnutls_memset, which the compiler may not elide.
 */
#include "auth.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "util.h"

const char *auth_strerror(int rc)
{
	switch (rc) {
#define AUTH_X_STR(sym, val, human) \
	case sym:                   \
		return human;
		AUTH_ERRORS(AUTH_X_STR)
#undef AUTH_X_STR
	}
	return "unknown error";
}

/* --- Codes ----------------------------------------------------------------------------- */

int auth_code_generate(char *out, size_t cap, char room[AUTH_ROOM_LEN + 1],
		       uint8_t secret[AUTH_SECRET_LEN])
{
	uint8_t rnd[AUTH_ROOM_BYTES + AUTH_SECRET_LEN];
	char room_b32[AUTH_ROOM_BYTES * 8 / 5 + 2];  /* 13 characters + NUL */
	char secret_b32[AUTH_SECRET_CHARS + 1];

	if (!out || cap < AUTH_CODE_LEN + 1) {
		if (out && cap > 0)
			out[0] = '\0';
		return AUTH_E_SPACE;
	}
	out[0] = '\0';
	if (util_random(rnd, sizeof(rnd)) < 0)
		return AUTH_E_RANDOM;

	/* 8 bytes give 13 base32 characters; the first 12 carry 60 uniformly random bits. */
	util_base32(room_b32, rnd, AUTH_ROOM_BYTES);
	room_b32[AUTH_ROOM_LEN] = '\0';
	util_base32(secret_b32, rnd + AUTH_ROOM_BYTES, AUTH_SECRET_LEN);
	snprintf(out, cap, "%s-%s", room_b32, secret_b32);
	if (room)
		memcpy(room, room_b32, AUTH_ROOM_LEN + 1);
	if (secret)
		memcpy(secret, rnd + AUTH_ROOM_BYTES, AUTH_SECRET_LEN);

	gnutls_memset(rnd, 0, sizeof(rnd));
	gnutls_memset(secret_b32, 0, sizeof(secret_b32));
	return AUTH_OK;
}

/* RFC 4648 §6 alphabet, either case: the 5-bit value, or -1. */
static int b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int code_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return AUTH_E_CODE;
}

/* The digits base32 leaves out look like letters it has. */
static const char *typo_hint(unsigned char c)
{
	switch (c) {
	case '0':
		return " (codes have no 0: did you mean 'o'?)";
	case '1':
		return " (codes have no 1: did you mean 'l' or 'i'?)";
	case '8':
		return " (codes have no 8: did you mean 'b'?)";
	case '9':
		return " (codes have no 9: did you mean 'g'?)";
	default:
		return "";
	}
}

/* Checks that s[0..len) is `want` base32 characters; `what` names the part in messages. A bad
 * character is shown only when it is printable ASCII (it is then not part of any secret). */
static int check_b32(const char *s, size_t len, size_t want, const char *what, char *err,
		     size_t errlen)
{
	if (len != want)
		return code_fail(err, errlen, "%s is %zu characters long; expected %zu", what, len,
				 want);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (b32_value(c) >= 0)
			continue;
		if (c > 0x20 && c < 0x7f)
			return code_fail(err, errlen,
					 "%s: character %zu ('%c') is not one of a-z, 2-7%s", what,
					 i + 1, c, typo_hint(c));
		return code_fail(err, errlen, "%s: character %zu (byte 0x%02x) is not one of a-z, 2-7",
				 what, i + 1, c);
	}
	return 0;
}

/* Room: 12 checked characters, stored in lower case (the server's room ids are
 * case-sensitive, and the sender joined with the lower-case form). */
static int take_room(const char *s, size_t len, char room[AUTH_ROOM_LEN + 1], const char *what,
		     char *err, size_t errlen)
{
	if (check_b32(s, len, AUTH_ROOM_LEN, what, err, errlen) < 0)
		return AUTH_E_CODE;
	for (size_t i = 0; i < AUTH_ROOM_LEN; i++) {
		char c = s[i];
		room[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	room[AUTH_ROOM_LEN] = '\0';
	return 0;
}

/* Secret: 26 checked characters = 130 bits; the last 2 must be zero (the canonical encoding
 * of 16 bytes), else two spellings would give one key and a typo could go unnoticed. */
static int take_secret(const char *s, size_t len, uint8_t secret[AUTH_SECRET_LEN],
		       const char *what, char *err, size_t errlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (check_b32(s, len, AUTH_SECRET_CHARS, what, err, errlen) < 0)
		return AUTH_E_CODE;
	for (size_t i = 0; i < AUTH_SECRET_CHARS; i++) {
		acc = (acc << 5) | (uint32_t)b32_value((unsigned char)s[i]);
		bits += 5;
		if (bits >= 8) {
			secret[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {
		gnutls_memset(secret, 0, AUTH_SECRET_LEN);
		return code_fail(err, errlen,
				 "%s: the last character cannot end a code (typo?)", what);
	}
	return 0;
}

static int has_prefix_ci(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return 0;
	}
	return 1;
}

static int host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
}

/* http(s)://HOST/r/<room>#<secret>, nothing before or after. */
static int parse_link(const char *s, size_t len, char room[AUTH_ROOM_LEN + 1],
		      uint8_t secret[AUTH_SECRET_LEN], char *err, size_t errlen)
{
	size_t i = has_prefix_ci(s, len, "https://") ? 8 : 7;
	size_t host = i;

	while (i < len && host_char((unsigned char)s[i]))
		i++;
	if (i == host)
		return code_fail(err, errlen, "link: the host name is missing");
	if (i < len && (s[i] == '#' || s[i] == '?'))
		return code_fail(err, errlen, "link: the path must be /r/<room>");
	if (i < len && s[i] != '/')
		return code_fail(err, errlen,
				 "link: character %zu of the link is not allowed in a host name",
				 i + 1);
	if (len - i < strlen(AUTH_LINK_PATH) || memcmp(s + i, AUTH_LINK_PATH, 3) != 0)
		return code_fail(err, errlen, "link: the path must be /r/<room>");
	i += strlen(AUTH_LINK_PATH);

	const char *hash = memchr(s + i, '#', len - i);
	size_t room_end = hash ? (size_t)(hash - s) : len;
	if (take_room(s + i, room_end - i, room, "link: room", err, errlen) < 0)
		return AUTH_E_CODE;
	if (!hash)
		return code_fail(err, errlen,
				 "link: the secret after '#' is missing (copy the whole link)");
	return take_secret(hash + 1, len - room_end - 1, secret, "link: secret", err, errlen);
}

static int parse_code(const char *s, size_t len, char room[AUTH_ROOM_LEN + 1],
		      uint8_t secret[AUTH_SECRET_LEN], char *err, size_t errlen)
{
	for (size_t i = 0; i < len; i++)
		if (is_space((unsigned char)s[i]))
			return code_fail(err, errlen,
					 "space at character %zu: give only the code, "
					 "12 characters, '-', 26 characters",
					 i + 1);
	const char *dash = memchr(s, '-', len);
	if (!dash) {
		if (len == AUTH_CODE_LEN - 1)
			return code_fail(err, errlen,
					 "the '-' between room and secret is missing");
		return code_fail(err, errlen,
				 "a transfer code is 12 characters, '-', 26 characters "
				 "(a-z, 2-7); this is %zu characters without a '-'",
				 len);
	}
	size_t room_len = (size_t)(dash - s);
	if (take_room(s, room_len, room, "room (before '-')", err, errlen) < 0)
		return AUTH_E_CODE;
	return take_secret(dash + 1, len - room_len - 1, secret, "secret (after '-')", err,
			   errlen);
}

int auth_code_parse(const char *text, char room[AUTH_ROOM_LEN + 1],
		    uint8_t secret[AUTH_SECRET_LEN], char *err, size_t errlen)
{
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!room || !secret)
		return code_fail(err, errlen, "internal: no room or secret buffer");
	room[0] = '\0';
	memset(secret, 0, AUTH_SECRET_LEN);
	if (!text)
		return code_fail(err, errlen, "no transfer code given");

	size_t len = strnlen(text, AUTH_LINK_MAX + 1);
	if (len > AUTH_LINK_MAX) {
		code_fail(err, errlen, "too long for a transfer code or link");
		return AUTH_E_CODE;
	}
	while (len > 0 && is_space((unsigned char)text[0])) {
		text++;
		len--;
	}
	while (len > 0 && is_space((unsigned char)text[len - 1]))
		len--;
	if (len == 0)
		rc = code_fail(err, errlen, "the transfer code is empty");
	else if (has_prefix_ci(text, len, "http://") || has_prefix_ci(text, len, "https://"))
		rc = parse_link(text, len, room, secret, err, errlen);
	else if (memchr(text, ':', len) || memchr(text, '/', len))
		rc = code_fail(err, errlen,
			       "not a transfer code, and links must start with http:// or https://");
	else
		rc = parse_code(text, len, room, secret, err, errlen);

	if (rc != AUTH_OK) {
		room[0] = '\0';
		gnutls_memset(secret, 0, AUTH_SECRET_LEN);
	}
	return rc;
}

/* --- MAC --------------------------------------------------------------------------------- */

int auth_mac(const uint8_t secret[AUTH_SECRET_LEN], const char *role,
	     const uint8_t offerer_fp[AUTH_FP_LEN], const uint8_t answerer_fp[AUTH_FP_LEN],
	     uint8_t out[AUTH_MAC_LEN])
{
	/* "rtcpeer-auth-v1" 0x00 role 0x00 offerer_fp answerer_fp. Both roles are fixed strings
	 * without NUL, so the encoding is unambiguous. */
	uint8_t msg[sizeof(AUTH_CONTEXT) + sizeof(AUTH_ROLE_ANSWERER) + 2 * AUTH_FP_LEN];
	size_t n = 0;

	if (!secret || !role || !offerer_fp || !answerer_fp || !out)
		return AUTH_E_ARG;
	if (strcmp(role, AUTH_ROLE_OFFERER) != 0 && strcmp(role, AUTH_ROLE_ANSWERER) != 0)
		return AUTH_E_ARG;

	memcpy(msg, AUTH_CONTEXT, sizeof(AUTH_CONTEXT)); /* with its NUL */
	n = sizeof(AUTH_CONTEXT);
	memcpy(msg + n, role, strlen(role) + 1);
	n += strlen(role) + 1;
	memcpy(msg + n, offerer_fp, AUTH_FP_LEN);
	n += AUTH_FP_LEN;
	memcpy(msg + n, answerer_fp, AUTH_FP_LEN);
	n += AUTH_FP_LEN;

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, AUTH_SECRET_LEN, msg, n, out) < 0) {
		gnutls_memset(out, 0, AUTH_MAC_LEN);
		return AUTH_E_CRYPTO;
	}
	return AUTH_OK;
}

int auth_verify(const uint8_t secret[AUTH_SECRET_LEN], const char *role,
		const uint8_t offerer_fp[AUTH_FP_LEN], const uint8_t answerer_fp[AUTH_FP_LEN],
		const uint8_t mac[AUTH_MAC_LEN])
{
	uint8_t want[AUTH_MAC_LEN];
	if (!mac)
		return AUTH_E_ARG;
	int rc = auth_mac(secret, role, offerer_fp, answerer_fp, want);
	if (rc == AUTH_OK && !util_ct_equal((const char *)want, sizeof(want), (const char *)mac,
					    AUTH_MAC_LEN))
		rc = AUTH_E_MISMATCH;
	gnutls_memset(want, 0, sizeof(want));
	return rc;
}

int auth_local_mac(const uint8_t secret[AUTH_SECRET_LEN], int we_offered,
		   const uint8_t local_fp[AUTH_FP_LEN], const uint8_t remote_fp[AUTH_FP_LEN],
		   uint8_t out[AUTH_MAC_LEN])
{
	if (we_offered)
		return auth_mac(secret, AUTH_ROLE_OFFERER, local_fp, remote_fp, out);
	return auth_mac(secret, AUTH_ROLE_ANSWERER, remote_fp, local_fp, out);
}

int auth_verify_peer(const uint8_t secret[AUTH_SECRET_LEN], int we_offered,
		     const uint8_t local_fp[AUTH_FP_LEN], const uint8_t remote_fp[AUTH_FP_LEN],
		     const uint8_t peer_mac[AUTH_MAC_LEN])
{
	/* The peer holds the other role. */
	if (we_offered)
		return auth_verify(secret, AUTH_ROLE_ANSWERER, local_fp, remote_fp, peer_mac);
	return auth_verify(secret, AUTH_ROLE_OFFERER, remote_fp, local_fp, peer_mac);
}

/* --- Hex --------------------------------------------------------------------------------- */

void auth_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	if (!hex || !out || hexlen != 2 * outlen) {
		if (out)
			memset(out, 0, outlen);
		return AUTH_E_ARG;
	}
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(out, 0, outlen);
			return AUTH_E_ARG;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return AUTH_OK;
}
