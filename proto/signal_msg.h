/*
 * signal_msg.h - the rtc-signal.v1 signaling protocol (see proto/PROTOCOL.md).
 *
 * Pure functions over JSON text: parse + validate what a client sends, build what a server
 * sends. No I/O, no global state, so the same code serves signald, rtcpeer and the fuzzer.
 *
 * Ownership: a parsed struct sig_msg owns one reference to its JSON tree (`root`); every
 * `const char *` and `json_t *` inside it borrows from that tree and dies with
 * sig_msg_clear(). Builders return a new json_t reference that the caller must json_decref().
 */
#ifndef PROTO_SIGNAL_MSG_H
#define PROTO_SIGNAL_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* WebSocket subprotocol name; the version is part of it so v2 can live beside v1. */
#define SIG_SUBPROTOCOL "rtc-signal.v1"

/* Wire limits that are properties of the protocol itself (the server's configurable limits,
 * such as the frame size, live in signald's configuration). */
#define SIG_ROOM_MAX_LEN      64   /* room ids: [A-Za-z0-9_-]{1,64} */
#define SIG_PEER_ID_LEN       26   /* 128 random bits in RFC 4648 base32, no padding */
#define SIG_PEER_ID_MAX_LEN   64   /* what a `to` field may hold before we call it malformed */
#define SIG_TOKEN_MAX_LEN     512
#define SIG_MID_MAX_LEN       32   /* RFC 8843 §7: a mid is a short token */
#define SIG_META_MAX_BYTES    1024 /* serialised size of a join's metadata object */
#define SIG_REQ_ID_MAX_LEN    64   /* a string request id */
#define SIG_MAX_PEERS_LIMIT   65535

/* X-macro: one table makes the enum, the wire strings and the human defaults. */
#define SIG_ERRORS(X)                                                                     \
	X(SIG_OK,               "ok",                   "no error")                           \
	X(SIG_E_BAD_JSON,       "bad-json",             "message is not a JSON object")       \
	X(SIG_E_UNKNOWN_TYPE,   "unknown-type",         "unknown message type")               \
	X(SIG_E_BAD_FIELD,      "bad-field",            "missing or mistyped field")          \
	X(SIG_E_NOT_JOINED,     "not-joined",           "join a room first")                  \
	X(SIG_E_ALREADY_JOINED, "already-joined",       "already in a room; leave it first")  \
	X(SIG_E_ROOM_FULL,      "room-full",            "the room is full")                   \
	X(SIG_E_PEER_NOT_FOUND, "peer-not-found",       "no such peer in this room")          \
	X(SIG_E_TOO_LARGE,      "too-large",            "message too large")                  \
	X(SIG_E_RATE_LIMITED,   "rate-limited",         "too many messages; slow down")       \
	X(SIG_E_PEER_BUSY,      "peer-busy",            "the recipient is not keeping up; message not delivered") \
	X(SIG_E_UNAUTHORIZED,   "unauthorized",         "missing or wrong token")             \
	X(SIG_E_SERVER_FULL,    "server-full",          "server at capacity; try again later") \
	X(SIG_E_TOO_MANY_CONNS, "too-many-connections", "too many connections from your address") \
	X(SIG_E_INTERNAL,       "internal",             "internal server error")

enum sig_error_code {
#define SIG_X_ENUM(sym, wire, human) sym,
	SIG_ERRORS(SIG_X_ENUM)
#undef SIG_X_ENUM
	SIG_ERROR_COUNT
};

enum sig_type {
	SIG_T_INVALID = 0,
	/* client -> server */
	SIG_T_JOIN,
	SIG_T_LEAVE,
	SIG_T_OFFER,
	SIG_T_ANSWER,
	SIG_T_CANDIDATE,
	SIG_T_PUBLISH,
	SIG_T_PING,
	/* server -> client */
	SIG_T_JOINED,
	SIG_T_LEFT,
	SIG_T_PEER_JOINED,
	SIG_T_PEER_LEFT,
	SIG_T_PONG,
	SIG_T_ERROR,
	SIG_T_COUNT
};

/* Why parsing failed: a stable code for the wire, a short human message naming the field, and
 * the request id (borrowed from the tree, or NULL) so the error can answer the right request. */
struct sig_error {
	enum sig_error_code code;
	char message[128];
	json_t *req_id; /* owned reference (may be NULL): survives sig_msg_clear() */
};

/* One parsed message. Which fields are set depends on `type`; unset pointers are NULL. */
struct sig_msg {
	enum sig_type type;
	json_t *root;        /* owned */
	json_t *req_id;      /* "id": string or integer, echoed in answers */
	const char *room;    /* join; joined */
	const char *to;      /* offer, answer, candidate; optional for publish */
	const char *from;    /* relayed messages (server -> client) */
	const char *peer;    /* joined (your id), peer-joined, peer-left */
	const char *sdp;     /* offer, answer */
	const char *candidate; /* candidate; "" means end-of-candidates */
	const char *mid;     /* candidate: sdpMid, optional */
	long mline;          /* candidate: sdpMLineIndex, -1 when absent */
	const char *token;   /* join, optional */
	const char *code;    /* error */
	const char *message; /* error */
	json_t *meta;        /* join (object, optional); peer-joined */
	json_t *data;        /* publish: any JSON value */
	json_t *peers;       /* joined: array of {peer, meta} */
	json_t *ice_servers; /* joined: array */
	unsigned max_peers;  /* join: requested room cap, 0 = server default; joined: the cap */
};

const char *sig_type_name(enum sig_type type);
enum sig_type sig_type_from_name(const char *name);
const char *sig_error_wire(enum sig_error_code code);   /* "room-full" */
const char *sig_error_human(enum sig_error_code code);  /* "the room is full" */

/* A room id is 1..SIG_ROOM_MAX_LEN characters of [A-Za-z0-9_-]. */
int sig_room_valid(const char *room, size_t len);

/*
 * Parse and validate one client->server message (SIG_T_JOIN..SIG_T_PING).
 * Returns 0 and fills *msg, or -1 and fills *err (msg is then cleared). Never reads past len.
 */
int sig_parse_client(const char *buf, size_t len, struct sig_msg *msg, struct sig_error *err);

/* Same for server->client messages (used by clients such as rtcpeer and the load tool). */
int sig_parse_server(const char *buf, size_t len, struct sig_msg *msg, struct sig_error *err);

void sig_msg_clear(struct sig_msg *msg);
void sig_error_clear(struct sig_error *err);

/* --- Builders (server -> client). Each returns a new reference, NULL on allocation failure. */

/* A relayed offer/answer/candidate/publish: only the defined fields, with `from` set by the
 * server. `in` is the parsed client message; its `to` and `id` are not forwarded. */
json_t *sig_build_relay(const struct sig_msg *in, const char *from);
json_t *sig_build_joined(const char *room, const char *peer, json_t *peers, json_t *ice_servers,
			 unsigned max_peers, json_t *req_id);
json_t *sig_build_left(const char *room, json_t *req_id);
json_t *sig_build_peer_joined(const char *peer, json_t *meta);
json_t *sig_build_peer_left(const char *peer);
json_t *sig_build_pong(json_t *req_id, json_t *ts);
json_t *sig_build_error(enum sig_error_code code, const char *message, json_t *req_id);

/* --- Builders (client -> server), for rtcpeer and the load tool. */
json_t *sig_build_join(const char *room, json_t *meta, const char *token, unsigned max_peers);
json_t *sig_build_sdp(enum sig_type type, const char *to, const char *sdp);
json_t *sig_build_candidate(const char *to, const char *candidate, const char *mid, long mline);
json_t *sig_build_publish(const char *to, json_t *data);

/* Serialise compactly (the wire form). Returns a malloc'd NUL-terminated string, or NULL. */
char *sig_dump(const json_t *msg, size_t *len);

#endif
