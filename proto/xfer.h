/*
 * xfer.h - rtc-xfer.v1 (files) and rtc-pipe.v1 (stdin/stdout) over one WebRTC data channel
 * (see proto/TRANSFER.md).
 *
 * Control messages are JSON objects in data channel *text* messages (PPID 51); file and pipe
 * bytes are *binary* messages (PPID 53) of 1..XFER_CHUNK_MAX bytes. One file on rtc-xfer.v1
 * (TRANSFER.md §5):
 *
 *     sender                                              receiver
 *       | -- {"type":"auth","mac":"<64 hex>"} -------------> |   both sides, first message,
 *       | <------------- {"type":"auth","mac":"<64 hex>"} -- |   each verified before going on
 *       | -- {"type":"file","id":1,"name":"a.txt","size":5}> |
 *       | <---------------------- {"type":"accept","id":1} -- |   or reject (skip the file)
 *       | == binary chunk(s), exactly `size` bytes =========> |
 *       | -- {"type":"end","id":1,"sha256":"<64 hex>"} -----> |
 *       | <------------ {"type":"verdict","id":1,"ok":true} - |
 *       |    ... next file (id 2) or:                         |
 *       | -- {"type":"done"} --------------------------------> |
 *       | <------------------------------------ {"type":"bye"} |
 *
 * Either side may send {"type":"abort","reason":"..."} at any time; it ends the session.
 *
 * Pure functions, no I/O: parse + validate (xfer_parse), build (xfer_build_*), check a peer's
 * file name (xfer_name_check / xfer_name_sanitize) and check message order (struct xfer_seq).
 *
 * Ownership: a parsed struct xfer_msg owns one reference to its JSON tree (`root`); its
 * `const char *` members borrow from that tree and die with xfer_msg_clear(). Builders return
 * a new json_t reference that the caller must json_decref().
 */
#ifndef PROTO_XFER_H
#define PROTO_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Data channel labels; the version is part of the label so v2 can live beside v1. */
#define XFER_LABEL      "rtc-xfer.v1"
#define XFER_PIPE_LABEL "rtc-pipe.v1"

/* Protocol limits (TRANSFER.md §7). */
#define XFER_CHUNK_MAX     65536  /* binary message: RFC 8841 §6.1 default max-message-size */
#define XFER_CHUNK_DEFAULT 16384  /* low end of the recommended 16..64 KiB per message */
#define XFER_CONTROL_MAX   4096   /* text message; the largest valid one is ~1.6 KB escaped */
#define XFER_NAME_MAX      255    /* bytes of UTF-8: NAME_MAX on Linux, most file systems */
#define XFER_REASON_MAX    256    /* bytes of an abort reason */
#define XFER_INT_MAX       9007199254740991ULL /* 2^53-1: exact in every JSON parser (RFC 7493) */
#define XFER_DIGEST_LEN    32     /* SHA-256 and HMAC-SHA256 */
#define XFER_HEX_LEN       (2 * XFER_DIGEST_LEN)

/* X-macro: parse and order errors. The wire names appear in logs and abort reasons only;
 * rtc-xfer.v1 has no error message of its own (an error ends the session with `abort`). */
#define XFER_ERRORS(X)                                                              \
	X(XFER_OK,             "ok",           "no error")                          \
	X(XFER_E_TOO_LARGE,    "too-large",    "control message too large")         \
	X(XFER_E_BAD_JSON,     "bad-json",     "message is not a JSON object")      \
	X(XFER_E_UNKNOWN_TYPE, "unknown-type", "unknown message type")              \
	X(XFER_E_BAD_FIELD,    "bad-field",    "missing or malformed member")       \
	X(XFER_E_ORDER,        "out-of-order", "message not allowed at this point")

enum xfer_error_code {
#define XFER_X_ENUM(sym, wire, human) sym,
	XFER_ERRORS(XFER_X_ENUM)
#undef XFER_X_ENUM
	XFER_ERROR_COUNT
};

/* Why a file name is refused (xfer_name_check). Checks run in this order; the first that
 * fails decides the code. Every failure maps to the reject reason "bad-name". */
#define XFER_NAME_ERRORS(X)                                                                 \
	X(XFER_NAME_OK,          0, "ok")                                                   \
	X(XFER_NAME_E_EMPTY,    -1, "empty name")                                           \
	X(XFER_NAME_E_TOO_LONG, -2, "name longer than 255 bytes")                           \
	X(XFER_NAME_E_UTF8,     -3, "name is not valid UTF-8")                              \
	X(XFER_NAME_E_CONTROL,  -4, "name contains a control character")                    \
	X(XFER_NAME_E_SLASH,    -5, "name contains '/': only a base name is allowed")       \
	X(XFER_NAME_E_BACKSLASH,-6, "name contains '\\': only a base name is allowed")      \
	X(XFER_NAME_E_DOT,      -7, "name is \".\" or \"..\"")                              \
	X(XFER_NAME_E_SPACE,    -8, "output buffer too small for the name")

enum xfer_name_result {
#define XFER_X_NAME_ENUM(sym, val, human) sym = val,
	XFER_NAME_ERRORS(XFER_X_NAME_ENUM)
#undef XFER_X_NAME_ENUM
};

enum xfer_type {
	XFER_T_INVALID = 0,
	XFER_T_AUTH,    /* both, first message on either channel */
	XFER_T_FILE,    /* sender */
	XFER_T_ACCEPT,  /* receiver */
	XFER_T_REJECT,  /* receiver */
	XFER_T_END,     /* sender */
	XFER_T_VERDICT, /* receiver */
	XFER_T_DONE,    /* sender */
	XFER_T_BYE,     /* receiver */
	XFER_T_ABORT,   /* both, any time */
	XFER_T_EOF,     /* both, rtc-pipe.v1 only */
	XFER_T_COUNT
};

/* Why the receiver refuses a file (`reject`). */
#define XFER_REJECTS(X)                                                          \
	X(XFER_REJECT_EXISTS,   "exists",   "a file of that name already exists") \
	X(XFER_REJECT_BAD_NAME, "bad-name", "the name is not a safe base name")   \
	X(XFER_REJECT_IO_ERROR, "io-error", "the receiver cannot create the file") \
	X(XFER_REJECT_REFUSED,  "refused",  "the receiver refused the file")

enum xfer_reject {
#define XFER_X_REJ_ENUM(sym, wire, human) sym,
	XFER_REJECTS(XFER_X_REJ_ENUM)
#undef XFER_X_REJ_ENUM
	XFER_REJECT_COUNT
};

/* The receiver's verdict on one file: XFER_VERDICT_OK is "ok":true, the rest "ok":false with
 * the reason. */
#define XFER_VERDICTS(X)                                                                \
	X(XFER_VERDICT_OK,       "",         "received intact")                         \
	X(XFER_VERDICT_CHECKSUM, "checksum", "SHA-256 of the received bytes differs")   \
	X(XFER_VERDICT_SIZE,     "size",     "fewer bytes than announced")              \
	X(XFER_VERDICT_IO_ERROR, "io-error", "the receiver could not write the file")

enum xfer_verdict {
#define XFER_X_VER_ENUM(sym, wire, human) sym,
	XFER_VERDICTS(XFER_X_VER_ENUM)
#undef XFER_X_VER_ENUM
	XFER_VERDICT_COUNT
};

struct xfer_error {
	enum xfer_error_code code;
	char message[128]; /* "member: what is wrong"; printable ASCII only, never peer bytes */
};

/* One parsed control message. Which members are set depends on `type`; the rest are zero. */
#define XFER_LANES_MAX 64 /* TRANSFER.md §12.1 */

struct xfer_msg {
	enum xfer_type type;
	json_t *root;                  /* owned */
	uint64_t id;                   /* file, accept, reject, end, verdict: 1..XFER_INT_MAX */
	const char *name;              /* file: 1..255 bytes of UTF-8 as sent. NOT checked for
					* safety: run xfer_name_sanitize() before any use. */
	uint64_t size;                 /* file: 0..XFER_INT_MAX */
	uint8_t mac[XFER_DIGEST_LEN];  /* auth: decoded from hex */
	uint64_t lanes;                /* auth: lanes its sender stripes over (TRANSFER.md §12.1);
					* 2..XFER_LANES_MAX, 0 when absent */
	uint8_t sha256[XFER_DIGEST_LEN]; /* end: decoded from hex */
	enum xfer_reject reject;       /* reject */
	enum xfer_verdict verdict;     /* verdict */
	const char *reason;            /* abort: 1..XFER_REASON_MAX bytes, no control characters */
};

const char *xfer_type_name(enum xfer_type type);
enum xfer_type xfer_type_from_name(const char *name);
const char *xfer_error_wire(enum xfer_error_code code);  /* "bad-field" */
const char *xfer_error_human(enum xfer_error_code code);
const char *xfer_reject_wire(enum xfer_reject reason);   /* "exists"; NULL if out of range */
const char *xfer_reject_human(enum xfer_reject reason);
const char *xfer_verdict_wire(enum xfer_verdict verdict); /* "checksum"; "" for OK */
const char *xfer_verdict_human(enum xfer_verdict verdict);
const char *xfer_name_strerror(int result);               /* an enum xfer_name_result */

/*
 * Parse and validate one text message, in this order (TRANSFER.md §6): length
 * (XFER_E_TOO_LARGE), JSON syntax, NUL, duplicate keys and object-ness (XFER_E_BAD_JSON),
 * `type` (XFER_E_UNKNOWN_TYPE), then the members of that type in table order
 * (XFER_E_BAD_FIELD, the message starting "member:"). Unknown members are ignored.
 * Returns 0 and fills *msg, or -1 and fills *err (msg is then cleared). Never reads past len.
 */
int xfer_parse(const char *buf, size_t len, struct xfer_msg *msg, struct xfer_error *err);
void xfer_msg_clear(struct xfer_msg *msg);

/*
 * A file name from the peer (or from the local file system, before offering it), checked
 * against TRANSFER.md §8: 1..255 bytes, valid UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF), no control character (U+0000-U+001F, U+007F, U+0080-U+009F), no
 * '/' or '\\', not "." or "..". Names are refused, never repaired. Returns an
 * enum xfer_name_result; err (may be NULL) gets the reason with the byte offset.
 */
int xfer_name_check(const char *name, size_t len, char *err, size_t errlen);
/* The same for a NUL-terminated name, copied unchanged into out (cap >= strlen + 1) when it
 * passes. On failure out is set to "" (when cap > 0). */
int xfer_name_sanitize(const char *in, char *out, size_t cap, char *err, size_t errlen);

/* --- Builders. Each returns a new reference, or NULL on allocation failure or when an
 * argument is outside what the protocol allows (id 0 or > XFER_INT_MAX, size > XFER_INT_MAX,
 * a name of 0 or > XFER_NAME_MAX bytes or invalid UTF-8, a reason out of range). */
/* lanes: what the sender will stripe over; below 2 the member is left out. */
json_t *xfer_build_auth(const uint8_t mac[XFER_DIGEST_LEN], unsigned lanes);
json_t *xfer_build_file(uint64_t id, const char *name, uint64_t size);
json_t *xfer_build_accept(uint64_t id);
json_t *xfer_build_reject(uint64_t id, enum xfer_reject reason);
json_t *xfer_build_end(uint64_t id, const uint8_t sha256[XFER_DIGEST_LEN]);
json_t *xfer_build_verdict(uint64_t id, enum xfer_verdict verdict);
json_t *xfer_build_done(void);
json_t *xfer_build_bye(void);
json_t *xfer_build_eof(void);
/* Any text works: invalid UTF-8 and control characters become '?', the text is cut to
 * XFER_REASON_MAX bytes on a character boundary, and NULL or "" becomes "aborted", so an
 * abort can always be sent (e.g. with a struct xfer_error's message). */
json_t *xfer_build_abort(const char *reason);

/* Serialise compactly (the wire form). Returns a malloc'd NUL-terminated string, or NULL. */
char *xfer_dump(const json_t *msg, size_t *len);

/* --- Message order (TRANSFER.md §5.3). Each side runs one struct xfer_seq per channel and
 * feeds it every message it sends (XFER_LOCAL, before sending) and receives (XFER_PEER, after
 * parsing). A rejected XFER_PEER message is a protocol error: send an abort and end the
 * session. A rejected XFER_LOCAL message is a bug in the caller. An auth message counts as
 * received only once the caller has verified it: feed it after auth_verify() succeeds. */

enum xfer_channel { XFER_CHANNEL_FILES, XFER_CHANNEL_PIPE };
enum xfer_role { XFER_ROLE_SENDER, XFER_ROLE_RECEIVER }; /* ours; files channel only */
enum xfer_origin { XFER_LOCAL = 0, XFER_PEER = 1 };

enum xfer_state {
	XFER_S_IDLE,     /* files: no file in flight (also before auth); pipe: open */
	XFER_S_OFFERED,  /* files: `file` sent, waiting for accept/reject */
	XFER_S_DATA,     /* files: accepted, bytes flowing until `end` */
	XFER_S_ENDED,    /* files: `end` sent, waiting for the verdict */
	XFER_S_DONE,     /* files: `done` sent, waiting for `bye` */
	XFER_S_CLOSED,   /* files: `bye`; pipe: bye both ways. Success. */
	XFER_S_ABORTED,  /* `abort` either way */
};

struct xfer_seq {
	enum xfer_channel channel;
	enum xfer_role role;
	enum xfer_state state;
	bool auth[2];      /* indexed by enum xfer_origin */
	bool eof[2];       /* pipe */
	bool bye[2];       /* pipe: both directions ended and all received data written */
	uint64_t next_id;  /* files: the id the next `file` must carry */
	uint64_t id;       /* files: the file in flight */
	uint64_t size;     /* its announced size */
	uint64_t bytes;    /* binary bytes seen for it so far */
};

void xfer_seq_init(struct xfer_seq *s, enum xfer_channel channel, enum xfer_role role);
/* 0 if the message may come now (and the state moves on), else -1 with XFER_E_ORDER. */
int xfer_seq_text(struct xfer_seq *s, enum xfer_origin from, const struct xfer_msg *msg,
		  struct xfer_error *err);
int xfer_seq_binary(struct xfer_seq *s, enum xfer_origin from, size_t len,
		    struct xfer_error *err);
const char *xfer_state_name(enum xfer_state state);

#endif
