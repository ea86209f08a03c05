/*
 * signal_msg.c - parse, validate and build rtc-signal.v1 messages (proto/PROTOCOL.md).
 *
 * Validation order is part of the protocol (PROTOCOL.md §8): syntax, type, id, then members in
 * table order. Each check fails fast with the member's name in the message, so a client author
 * sees exactly which member is wrong.
 */
#include "signal_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[SIG_T_COUNT] = {
	[SIG_T_INVALID] = "invalid",
	[SIG_T_JOIN] = "join",
	[SIG_T_LEAVE] = "leave",
	[SIG_T_OFFER] = "offer",
	[SIG_T_ANSWER] = "answer",
	[SIG_T_CANDIDATE] = "candidate",
	[SIG_T_PUBLISH] = "publish",
	[SIG_T_PING] = "ping",
	[SIG_T_JOINED] = "joined",
	[SIG_T_LEFT] = "left",
	[SIG_T_PEER_JOINED] = "peer-joined",
	[SIG_T_PEER_LEFT] = "peer-left",
	[SIG_T_PONG] = "pong",
	[SIG_T_ERROR] = "error",
};

static const char *const error_wire[SIG_ERROR_COUNT] = {
#define SIG_X_WIRE(sym, wire, human) [sym] = wire,
	SIG_ERRORS(SIG_X_WIRE)
#undef SIG_X_WIRE
};

static const char *const error_human[SIG_ERROR_COUNT] = {
#define SIG_X_HUMAN(sym, wire, human) [sym] = human,
	SIG_ERRORS(SIG_X_HUMAN)
#undef SIG_X_HUMAN
};

const char *sig_type_name(enum sig_type type)
{
	if ((unsigned)type >= SIG_T_COUNT)
		return "invalid";
	return type_names[type];
}

enum sig_type sig_type_from_name(const char *name)
{
	for (int t = SIG_T_INVALID + 1; t < SIG_T_COUNT; t++)
		if (strcmp(type_names[t], name) == 0)
			return (enum sig_type)t;
	return SIG_T_INVALID;
}

const char *sig_error_wire(enum sig_error_code code)
{
	if ((unsigned)code >= SIG_ERROR_COUNT)
		return error_wire[SIG_E_INTERNAL];
	return error_wire[code];
}

const char *sig_error_human(enum sig_error_code code)
{
	if ((unsigned)code >= SIG_ERROR_COUNT)
		return error_human[SIG_E_INTERNAL];
	return error_human[code];
}

int sig_room_valid(const char *room, size_t len)
{
	if (len == 0 || len > SIG_ROOM_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = room[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

void sig_msg_clear(struct sig_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
	msg->mline = -1;
}

void sig_error_clear(struct sig_error *err)
{
	json_decref(err->req_id);
	memset(err, 0, sizeof(*err));
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct sig_error *err, enum sig_error_code code, const char *fmt, ...)
{
	err->code = code;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	} else {
		snprintf(err->message, sizeof(err->message), "%s", sig_error_human(code));
	}
	return -1;
}

/* --- Member accessors. Each returns 0 when the member is valid (or absent and optional). --- */

enum presence { OPTIONAL, REQUIRED };

static int get_string(json_t *root, const char *key, enum presence p, size_t min_len,
		      size_t max_len, const char **out, struct sig_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v) {
		if (p == REQUIRED)
			return fail(err, SIG_E_BAD_FIELD, "%s: required string", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, SIG_E_BAD_FIELD, "%s: must be a string", key);
	/* No NUL inside: the parser runs without JSON_ALLOW_NUL (PROTOCOL.md §2). */
	size_t len = json_string_length(v);
	if (len < min_len || len > max_len)
		return fail(err, SIG_E_BAD_FIELD, "%s: length must be %zu..%zu", key, min_len,
			    max_len);
	*out = json_string_value(v);
	return 0;
}

static int get_room(json_t *root, const char **out, struct sig_error *err)
{
	if (get_string(root, "room", REQUIRED, 1, SIG_ROOM_MAX_LEN, out, err) < 0)
		return -1;
	if (!sig_room_valid(*out, strlen(*out)))
		return fail(err, SIG_E_BAD_FIELD, "room: only A-Z a-z 0-9 _ - allowed");
	return 0;
}

static int get_uint(json_t *root, const char *key, enum presence p, long min, long max, long *out,
		    struct sig_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v) {
		if (p == REQUIRED)
			return fail(err, SIG_E_BAD_FIELD, "%s: required integer", key);
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, SIG_E_BAD_FIELD, "%s: must be an integer", key);
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return fail(err, SIG_E_BAD_FIELD, "%s: must be %ld..%ld", key, min, max);
	*out = (long)n;
	return 0;
}

static int get_object(json_t *root, const char *key, size_t max_bytes, json_t **out,
		      struct sig_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return fail(err, SIG_E_BAD_FIELD, "%s: must be an object", key);
	/* json_dumpb with a NULL buffer only measures. */
	if (json_dumpb(v, NULL, 0, JSON_COMPACT) > max_bytes)
		return fail(err, SIG_E_BAD_FIELD, "%s: larger than %zu bytes", key, max_bytes);
	*out = v;
	return 0;
}

static int get_req_id(json_t *root, json_t **out, struct sig_error *err)
{
	json_t *v = json_object_get(root, "id");
	if (!v)
		return 0;
	if (json_is_integer(v) ||
	    (json_is_string(v) && json_string_length(v) <= SIG_REQ_ID_MAX_LEN)) {
		*out = v;
		return 0;
	}
	return fail(err, SIG_E_BAD_FIELD, "id: must be an integer or a string of at most %d bytes",
		    SIG_REQ_ID_MAX_LEN);
}

/* --- Per-type member validation (client -> server). --- */

static int parse_join(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	long max_peers = 0;
	if (get_room(r, &m->room, err) < 0 ||
	    get_object(r, "meta", SIG_META_MAX_BYTES, &m->meta, err) < 0 ||
	    get_string(r, "token", OPTIONAL, 0, SIG_TOKEN_MAX_LEN, &m->token, err) < 0 ||
	    get_uint(r, "max_peers", OPTIONAL, 2, SIG_MAX_PEERS_LIMIT, &max_peers, err) < 0)
		return -1;
	m->max_peers = (unsigned)max_peers;
	return 0;
}

static int parse_sdp(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	/* The frame-size limit bounds the SDP; the protocol itself does not. */
	return (get_string(r, "to", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->to, err) < 0 ||
		get_string(r, "sdp", REQUIRED, 1, SIZE_MAX, &m->sdp, err) < 0)
		       ? -1
		       : 0;
}

static int parse_candidate(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	return (get_string(r, "to", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->to, err) < 0 ||
		get_string(r, "candidate", REQUIRED, 0, SIZE_MAX, &m->candidate, err) < 0 ||
		get_string(r, "mid", OPTIONAL, 0, SIG_MID_MAX_LEN, &m->mid, err) < 0 ||
		get_uint(r, "mline", OPTIONAL, 0, 65535, &m->mline, err) < 0)
		       ? -1
		       : 0;
}

static int parse_publish(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	m->data = json_object_get(r, "data");
	if (!m->data)
		return fail(err, SIG_E_BAD_FIELD, "data: required");
	return get_string(r, "to", OPTIONAL, 1, SIG_PEER_ID_MAX_LEN, &m->to, err);
}

static int parse_ping(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	(void)err;
	m->data = json_object_get(r, "ts"); /* any JSON value, echoed as-is */
	return 0;
}

/* --- Per-type member validation (server -> client). --- */

static int parse_joined(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	long max_peers = 0;
	if (get_room(r, &m->room, err) < 0 ||
	    get_string(r, "peer", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->peer, err) < 0 ||
	    get_uint(r, "max_peers", OPTIONAL, 0, SIG_MAX_PEERS_LIMIT, &max_peers, err) < 0)
		return -1;
	m->max_peers = (unsigned)max_peers;
	m->peers = json_object_get(r, "peers");
	if (!json_is_array(m->peers))
		return fail(err, SIG_E_BAD_FIELD, "peers: must be an array");
	m->ice_servers = json_object_get(r, "ice_servers");
	if (m->ice_servers && !json_is_array(m->ice_servers))
		return fail(err, SIG_E_BAD_FIELD, "ice_servers: must be an array");
	return 0;
}

static int parse_relayed(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	if (get_string(r, "from", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->from, err) < 0)
		return -1;
	switch (m->type) {
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
		return get_string(r, "sdp", REQUIRED, 1, SIZE_MAX, &m->sdp, err);
	case SIG_T_CANDIDATE:
		return (get_string(r, "candidate", REQUIRED, 0, SIZE_MAX, &m->candidate, err) < 0 ||
			get_string(r, "mid", OPTIONAL, 0, SIG_MID_MAX_LEN, &m->mid, err) < 0 ||
			get_uint(r, "mline", OPTIONAL, 0, 65535, &m->mline, err) < 0)
			       ? -1
			       : 0;
	default: /* SIG_T_PUBLISH */
		m->data = json_object_get(r, "data");
		return m->data ? 0 : fail(err, SIG_E_BAD_FIELD, "data: required");
	}
}

static int parse_server_members(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	switch (m->type) {
	case SIG_T_JOINED:
		return parse_joined(r, m, err);
	case SIG_T_LEFT:
		return get_room(r, &m->room, err);
	case SIG_T_PEER_JOINED:
		if (get_string(r, "peer", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->peer, err) < 0)
			return -1;
		m->meta = json_object_get(r, "meta");
		return 0;
	case SIG_T_PEER_LEFT:
		return get_string(r, "peer", REQUIRED, 1, SIG_PEER_ID_MAX_LEN, &m->peer, err);
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
	case SIG_T_CANDIDATE:
	case SIG_T_PUBLISH:
		return parse_relayed(r, m, err);
	case SIG_T_PONG:
		m->data = json_object_get(r, "ts");
		return 0;
	case SIG_T_ERROR:
		return (get_string(r, "code", REQUIRED, 1, 64, &m->code, err) < 0 ||
			get_string(r, "message", OPTIONAL, 0, SIZE_MAX, &m->message, err) < 0)
			       ? -1
			       : 0;
	default:
		return fail(err, SIG_E_UNKNOWN_TYPE, NULL);
	}
}

static int parse_client_members(json_t *r, struct sig_msg *m, struct sig_error *err)
{
	switch (m->type) {
	case SIG_T_JOIN:
		return parse_join(r, m, err);
	case SIG_T_LEAVE:
		return 0;
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
		return parse_sdp(r, m, err);
	case SIG_T_CANDIDATE:
		return parse_candidate(r, m, err);
	case SIG_T_PUBLISH:
		return parse_publish(r, m, err);
	case SIG_T_PING:
		return parse_ping(r, m, err);
	default:
		return fail(err, SIG_E_UNKNOWN_TYPE, NULL);
	}
}

enum direction { FROM_CLIENT, FROM_SERVER };

static int parse_common(const char *buf, size_t len, enum direction dir, struct sig_msg *m,
			struct sig_error *err)
{
	json_error_t jerr;
	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));
	m->mline = -1;

	/* JSON_REJECT_DUPLICATES: a duplicated "to" could be read differently by different parsers
	 * along the path; refuse the ambiguity. JSON_DISABLE_EOF_CHECK is not set: trailing
	 * garbage after the object is an error. */
	m->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!m->root && json_error_code(&jerr) == json_error_null_character)
		return fail(err, SIG_E_BAD_JSON, "strings must not contain \\u0000 (offset %d)",
			    jerr.position);
	if (!m->root) {
		/* jansson quotes the input near the error: it may cut a UTF-8 sequence in two,
		 * and an error that is not valid UTF-8 cannot be sent back. Keep ASCII only. */
		for (char *p = jerr.text; *p; p++)
			if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
				*p = '?';
		return fail(err, SIG_E_BAD_JSON, "invalid JSON at offset %d: %s", jerr.position,
			    jerr.text);
	}
	if (!json_is_object(m->root)) {
		fail(err, SIG_E_BAD_JSON, "message must be a JSON object");
		goto fail;
	}

	json_t *type = json_object_get(m->root, "type");
	if (!json_is_string(type)) {
		fail(err, SIG_E_UNKNOWN_TYPE, "type: required string");
		goto fail;
	}
	m->type = sig_type_from_name(json_string_value(type));
	int client_type = m->type >= SIG_T_JOIN && m->type <= SIG_T_PING;
	int server_type = m->type >= SIG_T_OFFER && m->type <= SIG_T_ERROR &&
			  m->type != SIG_T_PING;
	if (dir == FROM_CLIENT ? !client_type : !server_type) {
		fail(err, SIG_E_UNKNOWN_TYPE, "unknown type");
		goto fail;
	}

	if (get_req_id(m->root, &m->req_id, err) < 0)
		goto fail;
	/* From here on errors can answer the request by its id. */
	if (m->req_id)
		err->req_id = json_incref(m->req_id);

	int rc = dir == FROM_CLIENT ? parse_client_members(m->root, m, err)
				    : parse_server_members(m->root, m, err);
	if (rc < 0)
		goto fail;
	sig_error_clear(err); /* success leaves nothing in err to release */
	return 0;
fail:
	sig_msg_clear(m);
	return -1;
}

int sig_parse_client(const char *buf, size_t len, struct sig_msg *msg, struct sig_error *err)
{
	return parse_common(buf, len, FROM_CLIENT, msg, err);
}

int sig_parse_server(const char *buf, size_t len, struct sig_msg *msg, struct sig_error *err)
{
	return parse_common(buf, len, FROM_SERVER, msg, err);
}

/* --- Builders. json_pack's "O" takes a new reference, "o" steals one; "s?"/"O?" skip NULLs
 * only as values, so optional members are added explicitly to keep them absent, not null. --- */

static json_t *with_req_id(json_t *obj, json_t *req_id)
{
	if (obj && req_id && json_object_set(obj, "id", req_id) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* A member of the parsed message, shared into the relay rather than copied: a candidate of
 * 600 bytes or an SDP of 10 KB is not copied and checked for UTF-8 again (the relay path is
 * signald's hottest). Without a parse tree (a message built by hand), the field's text. */
static int relay_member(json_t *o, const struct sig_msg *in, const char *key, const char *text)
{
	json_t *v = in->root ? json_object_get(in->root, key) : NULL;
	if (v)
		return json_object_set(o, key, v);
	return json_object_set_new(o, key, json_string(text));
}

json_t *sig_build_relay(const struct sig_msg *in, const char *from)
{
	json_t *o = json_object();
	if (!o || json_object_set_new(o, "type", json_string(sig_type_name(in->type))) < 0 ||
	    json_object_set_new(o, "from", json_string(from)) < 0) {
		json_decref(o);
		return NULL;
	}
	int rc = 0;
	switch (in->type) {
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
		rc = relay_member(o, in, "sdp", in->sdp);
		break;
	case SIG_T_CANDIDATE:
		rc = relay_member(o, in, "candidate", in->candidate);
		if (rc == 0 && in->mid)
			rc = relay_member(o, in, "mid", in->mid);
		if (rc == 0 && in->mline >= 0)
			rc = json_object_set_new(o, "mline", json_integer(in->mline));
		break;
	case SIG_T_PUBLISH:
		rc = json_object_set(o, "data", in->data);
		break;
	default:
		rc = -1;
	}
	if (rc < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sig_build_joined(const char *room, const char *peer, json_t *peers, json_t *ice_servers,
			 unsigned max_peers, json_t *req_id)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:O, s:O, s:I}", "type", "joined", "room", room,
			      "peer", peer, "peers", peers, "ice_servers", ice_servers, "max_peers",
			      (json_int_t)max_peers);
	return with_req_id(o, req_id);
}

json_t *sig_build_left(const char *room, json_t *req_id)
{
	return with_req_id(json_pack("{s:s, s:s}", "type", "left", "room", room), req_id);
}

json_t *sig_build_peer_joined(const char *peer, json_t *meta)
{
	if (meta)
		return json_pack("{s:s, s:s, s:O}", "type", "peer-joined", "peer", peer, "meta",
				 meta);
	return json_pack("{s:s, s:s, s:{}}", "type", "peer-joined", "peer", peer, "meta");
}

json_t *sig_build_peer_left(const char *peer)
{
	return json_pack("{s:s, s:s}", "type", "peer-left", "peer", peer);
}

json_t *sig_build_pong(json_t *req_id, json_t *ts)
{
	json_t *o = json_pack("{s:s}", "type", "pong");
	if (o && ts && json_object_set(o, "ts", ts) < 0) {
		json_decref(o);
		return NULL;
	}
	return with_req_id(o, req_id);
}

json_t *sig_build_error(enum sig_error_code code, const char *message, json_t *req_id)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "error", "code", sig_error_wire(code),
			      "message", message ? message : sig_error_human(code));
	return with_req_id(o, req_id);
}

json_t *sig_build_join(const char *room, json_t *meta, const char *token, unsigned max_peers)
{
	json_t *o = json_pack("{s:s, s:s}", "type", "join", "room", room);
	if (!o)
		return NULL;
	if ((meta && json_object_set(o, "meta", meta) < 0) ||
	    (token && json_object_set_new(o, "token", json_string(token)) < 0) ||
	    (max_peers && json_object_set_new(o, "max_peers", json_integer(max_peers)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sig_build_sdp(enum sig_type type, const char *to, const char *sdp)
{
	if (type != SIG_T_OFFER && type != SIG_T_ANSWER)
		return NULL;
	return json_pack("{s:s, s:s, s:s}", "type", sig_type_name(type), "to", to, "sdp", sdp);
}

json_t *sig_build_candidate(const char *to, const char *candidate, const char *mid, long mline)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "type", "candidate", "to", to, "candidate",
			      candidate);
	if (!o)
		return NULL;
	if ((mid && json_object_set_new(o, "mid", json_string(mid)) < 0) ||
	    (mline >= 0 && json_object_set_new(o, "mline", json_integer(mline)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sig_build_publish(const char *to, json_t *data)
{
	json_t *o = json_pack("{s:s}", "type", "publish");
	if (!o)
		return NULL;
	if ((to && json_object_set_new(o, "to", json_string(to)) < 0) ||
	    json_object_set(o, "data", data ? data : json_null()) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *sig_dump(const json_t *msg, size_t *len)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (s && len)
		*len = strlen(s);
	return s;
}
