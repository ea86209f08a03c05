/*
 * auth.h - transfer codes and end-to-end authentication of the DTLS fingerprints
 * (proto/TRANSFER.md §3 and §4).
 *
 * A transfer code is <room>-<secret>:
 *
 *   abcdefghijkl-aaaqeayeaudaocajbifqydiob4
 *   \__________/ \________________________/
 *    room id:     secret: 26 base32 characters, 128 bits from the kernel CSPRNG,
 *    12 base32    never sent to the signaling server; the key of the HMAC below
 *    characters,
 *    60 random bits; the signaling room
 *
 * or the browser link http(s)://HOST/r/<room>#<secret> (the fragment never leaves the browser
 * on its own; see TRANSFER.md §11 for what that does and does not protect).
 *
 * Once the data channel is open each side sends {"type":"auth","mac":"<64 hex>"} with
 *
 *   mac = HMAC-SHA256(secret, "rtcpeer-auth-v1" 0x00 role 0x00 offerer_fp answerer_fp)
 *
 * role = "offerer" / "answerer" naming the *sender* of the mac, fingerprints = the raw 32-byte
 * SHA-256 DTLS certificate fingerprints. A signaling server that swapped fingerprints makes the
 * two sides MAC different fingerprint pairs, so neither mac verifies.
 *
 * Error convention: 0 or a negative enum auth_result; auth_strerror() names it.
 */
#ifndef RTCPEER_AUTH_H
#define RTCPEER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_ROOM_LEN      12 /* base32 characters: 60 random bits */
#define AUTH_ROOM_BYTES    8  /* random bytes drawn for it (the last 4 bits are dropped) */
#define AUTH_SECRET_LEN    16 /* bytes: 128 bits */
#define AUTH_SECRET_CHARS  26 /* base32 characters for 16 bytes, no padding */
#define AUTH_CODE_LEN      (AUTH_ROOM_LEN + 1 + AUTH_SECRET_CHARS) /* 39, without the NUL */
#define AUTH_FP_LEN        32 /* SHA-256 fingerprint */
#define AUTH_MAC_LEN       32 /* HMAC-SHA256 */
#define AUTH_MAC_HEX_LEN   (2 * AUTH_MAC_LEN)
#define AUTH_CONTEXT       "rtcpeer-auth-v1"
#define AUTH_ROLE_OFFERER  "offerer"
#define AUTH_ROLE_ANSWERER "answerer"
#define AUTH_LINK_PATH     "/r/"
/* Longest link auth_code_parse accepts (the host part is bounded by this). */
#define AUTH_LINK_MAX      512

#define AUTH_ERRORS(X)                                                                       \
	X(AUTH_OK,         0, "ok")                                                          \
	X(AUTH_E_ARG,     -1, "invalid argument")                                            \
	X(AUTH_E_RANDOM,  -2, "the kernel random number generator failed")                   \
	X(AUTH_E_SPACE,   -3, "output buffer too small")                                     \
	X(AUTH_E_CODE,    -4, "not a valid transfer code")                                   \
	X(AUTH_E_CRYPTO,  -5, "HMAC-SHA256 failed")                                          \
	X(AUTH_E_MISMATCH,-6, "authentication failed: the peer does not know the code, or "  \
			      "the connection was tampered with")

enum auth_result {
#define AUTH_X_ENUM(sym, val, human) sym = val,
	AUTH_ERRORS(AUTH_X_ENUM)
#undef AUTH_X_ENUM
};

const char *auth_strerror(int rc);

/*
 * A fresh code "<room>-<secret>" into out (cap >= AUTH_CODE_LEN + 1). room (may be NULL)
 * receives the room id, secret (may be NULL) the 16 key bytes. Returns 0, AUTH_E_SPACE or
 * AUTH_E_RANDOM (nothing written but "" then).
 */
int auth_code_generate(char *out, size_t cap, char room[AUTH_ROOM_LEN + 1],
		       uint8_t secret[AUTH_SECRET_LEN]);

/*
 * Parse a code or a link (TRANSFER.md §3.2): surrounding whitespace is ignored, letters may
 * be in either case, anything else is refused with a message in err that says what is wrong
 * and where, and never repeats the secret. room gets the room id in lower case. Returns 0 or
 * AUTH_E_CODE (room "" and secret zeroed then).
 */
int auth_code_parse(const char *text, char room[AUTH_ROOM_LEN + 1],
		    uint8_t secret[AUTH_SECRET_LEN], char *err, size_t errlen);

/* The mac that the side `role` (AUTH_ROLE_OFFERER / AUTH_ROLE_ANSWERER) sends. Returns 0,
 * AUTH_E_ARG (unknown role, NULL pointer) or AUTH_E_CRYPTO. */
int auth_mac(const uint8_t secret[AUTH_SECRET_LEN], const char *role,
	     const uint8_t offerer_fp[AUTH_FP_LEN], const uint8_t answerer_fp[AUTH_FP_LEN],
	     uint8_t out[AUTH_MAC_LEN]);

/* Whether `mac` is what the side `role` must send; compared in constant time. Returns 0,
 * AUTH_E_MISMATCH, AUTH_E_ARG or AUTH_E_CRYPTO. */
int auth_verify(const uint8_t secret[AUTH_SECRET_LEN], const char *role,
		const uint8_t offerer_fp[AUTH_FP_LEN], const uint8_t answerer_fp[AUTH_FP_LEN],
		const uint8_t mac[AUTH_MAC_LEN]);

/* The same from one side's point of view, so callers cannot mix up roles or the order of the
 * fingerprints: we_offered says whether this side made the SDP offer; local_fp is the SHA-256
 * of our certificate, remote_fp the one from the peer's SDP (checked by DTLS). */
int auth_local_mac(const uint8_t secret[AUTH_SECRET_LEN], int we_offered,
		   const uint8_t local_fp[AUTH_FP_LEN], const uint8_t remote_fp[AUTH_FP_LEN],
		   uint8_t out[AUTH_MAC_LEN]);
int auth_verify_peer(const uint8_t secret[AUTH_SECRET_LEN], int we_offered,
		     const uint8_t local_fp[AUTH_FP_LEN], const uint8_t remote_fp[AUTH_FP_LEN],
		     const uint8_t peer_mac[AUTH_MAC_LEN]);

/* Lower-case hex: out gets 2 * len characters and a NUL. */
void auth_hex_encode(const uint8_t *in, size_t len, char *out);
/* Exactly 2 * outlen hex digits (either case) from hex[0..hexlen) into out. Returns 0, or
 * AUTH_E_ARG for a wrong length or a non-hex character (out is zeroed then). */
int auth_hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outlen);

#endif
