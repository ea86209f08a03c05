/*
 * handlers.c - what each rtc-signal.v1 message does (proto/PROTOCOL.md §4). The connection
 * layer (server.c) hands over one complete message; parsing and validation are proto/'s.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "server.h"
#include "turncred.h"
#include "util.h"

#define SCOPE "room"

static struct client *find_member(struct room *r, const char *peer_id)
{
	for (unsigned i = 0; i < r->count; i++)
		if (strcmp(r->members[i]->peer_id, peer_id) == 0)
			return r->members[i];
	return NULL;
}

/* A newcomer's peer-joined, for every other member, serialised once. The newcomer keeps a
 * reference (joined_news) so that leaving can take it back from queues still holding it. */
static void announce_arrival(struct server *s, struct room *r, struct client *c)
{
	struct outmsg *m = server_encode(s, sig_build_peer_joined(c->peer_id, c->meta));
	if (!m)
		return;
	m->origin = c->membership;
	for (unsigned i = 0; i < r->count; i++)
		if (r->members[i] != c)
			client_send_msg(r->members[i], m);
	c->joined_news = m;
}

/* A member whose queue still holds c's peer-joined never heard c arrive: take that back,
 * with whatever c relayed in this stay after it, instead of sending peer-left behind it.
 * Churn of joins and leaves then costs a member that is behind nothing, and the presence in
 * any queue stays bounded by the room's size (see CONTROL_HEADROOM). Only a member that
 * joined before c was sent that peer-joined in its present stay; one that came later (even
 * with the old one still queued from an earlier stay) learnt of c from its `joined` and
 * must hear it leave. refs > 1 while some queue holds it. */
static void announce_departure(struct server *s, struct room *r, struct client *c)
{
	struct outmsg *news = c->joined_news;
	struct outmsg *left = server_encode(s, sig_build_peer_left(c->peer_id));
	for (unsigned i = 0; i < r->count; i++) {
		struct client *m = r->members[i];
		if (news && news->refs > 1 && m->membership < c->membership &&
		    outq_take_back(&m->q, news))
			continue;
		if (left)
			client_send_msg(m, left);
	}
	outmsg_unref(left);
}

/* A relay from c to one member (to) or to every other member. Returns how many recipients
 * were too busy to take it, or -1 when it could not be built. */
static int relay(struct server *s, struct client *c, struct client *to, json_t *json)
{
	struct outmsg *m = server_encode(s, json);
	int busy = 0;
	if (!m)
		return -1;
	m->origin = c->membership;
	for (unsigned i = 0; i < c->room->count; i++) {
		struct client *member = c->room->members[i];
		if (member != c && (!to || member == to) && client_relay_msg(member, m) < 0)
			busy++;
	}
	outmsg_unref(m);
	return busy;
}

static json_t *members_json(const struct room *r)
{
	json_t *peers = json_array();
	for (unsigned i = 0; peers && i < r->count; i++) {
		const struct client *m = r->members[i];
		json_t *p = m->meta ? json_pack("{s:s, s:O}", "peer", m->peer_id, "meta", m->meta)
				    : json_pack("{s:s, s:{}}", "peer", m->peer_id, "meta");
		if (!p || json_array_append_new(peers, p) < 0) {
			json_decref(peers);
			return NULL;
		}
	}
	return peers;
}

static int new_peer_id(struct client *c)
{
	uint8_t raw[16]; /* 128 bits: unguessable and, in practice, unique */
	if (util_random(raw, sizeof(raw)) < 0)
		return -1;
	util_base32(c->peer_id, raw, sizeof(raw));
	return 0;
}

/* Finds or creates the room, enforcing the server's room limit and the room's cap. */
static struct room *room_for_join(struct client *c, const struct sig_msg *m,
				  enum sig_error_code *why)
{
	struct server *s = c->srv;
	const struct signald_config *cfg = s->cfg;
	struct room *r = room_find(&s->rooms, m->room);

	if (r) {
		*why = SIG_E_ROOM_FULL;
		return r->count >= r->cap ? NULL : r;
	}
	if (s->rooms.count >= cfg->max_rooms) {
		*why = SIG_E_SERVER_FULL;
		return NULL;
	}
	unsigned cap = (unsigned)cfg->max_peers_per_room;
	if (m->max_peers && m->max_peers < cap)
		cap = m->max_peers;
	*why = SIG_E_INTERNAL;
	return room_create(&s->rooms, m->room, cap);
}

static void handle_join(struct client *c, struct sig_msg *m)
{
	struct server *s = c->srv;
	const char *want = s->cfg->token;
	enum sig_error_code why;

	if (c->room) {
		client_error(c, SIG_E_ALREADY_JOINED, NULL, m->req_id);
		return;
	}
	if (want && (!m->token || !util_ct_equal(m->token, strlen(m->token), want, strlen(want)))) {
		client_error(c, SIG_E_UNAUTHORIZED, NULL, m->req_id);
		return;
	}

	struct room *r = room_for_join(c, m, &why);
	if (!r) {
		client_error(c, why, NULL, m->req_id);
		return;
	}
	json_t *peers = members_json(r);
	if (!peers || new_peer_id(c) < 0 || room_add(r, c) < 0) {
		json_decref(peers);
		if (r->count == 0)
			room_remove(&s->rooms, r, c);
		client_error(c, SIG_E_INTERNAL, NULL, m->req_id);
		return;
	}
	c->room = r;
	c->membership = ++s->memberships;
	c->meta = m->meta ? json_incref(m->meta) : NULL;
	s->st.joins++;
	log_debug(SCOPE, "%s joined a room of %u (cap %u)", c->peer_id, r->count, r->cap);

	json_t *ice = turncred_ice_servers(s->cfg, c->peer_id, time(NULL));
	client_send(c, sig_build_joined(r->id, c->peer_id, peers, ice ? ice : s->cfg->ice_servers,
					r->cap, m->req_id));
	json_decref(ice);
	json_decref(peers);
	announce_arrival(s, r, c);
}

static void leave_room(struct client *c, int tell_others)
{
	struct server *s = c->srv;
	struct room *r = c->room;

	if (!r)
		return;
	c->room = NULL;
	if (room_remove(&s->rooms, r, c) == 0 && tell_others)
		announce_departure(s, r, c);
	outmsg_unref(c->joined_news);
	c->joined_news = NULL;
	c->membership = 0;
	json_decref(c->meta);
	c->meta = NULL;
}

static void handle_leave(struct client *c, struct sig_msg *m)
{
	char room[SIG_ROOM_MAX_LEN + 1];
	if (!c->room) {
		client_error(c, SIG_E_NOT_JOINED, NULL, m->req_id);
		return;
	}
	memcpy(room, c->room->id, sizeof(room));
	leave_room(c, 1);
	client_send(c, sig_build_left(room, m->req_id));
}

/* offer, answer, candidate, and publish: relayed with `from` set by the server. */
static void handle_relay(struct client *c, struct sig_msg *m)
{
	struct server *s = c->srv;
	struct client *to = NULL;

	if (!c->room) {
		client_error(c, SIG_E_NOT_JOINED, NULL, m->req_id);
		return;
	}
	if (m->to) {
		to = find_member(c->room, m->to);
		if (!to || to == c) {
			client_error(c, SIG_E_PEER_NOT_FOUND, NULL, m->req_id);
			return;
		}
	}
	json_t *out = sig_build_relay(m, c->peer_id);
	int busy = out ? relay(s, c, to, out) : -1;
	if (busy < 0) {
		client_error(c, SIG_E_INTERNAL, NULL, m->req_id);
	} else if (busy > 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%d recipient%s not keeping up: not delivered to %s", busy,
			 busy == 1 ? "" : "s", busy == 1 ? "it" : "them");
		client_error(c, SIG_E_PEER_BUSY, msg, m->req_id);
	}
}

void handle_message(struct client *c, const char *buf, size_t len)
{
	struct sig_msg m;
	struct sig_error err;

	if (sig_parse_client(buf, len, &m, &err) < 0) {
		client_error(c, err.code, err.message, err.req_id);
		sig_error_clear(&err);
		return;
	}
	switch (m.type) {
	case SIG_T_JOIN:
		handle_join(c, &m);
		break;
	case SIG_T_LEAVE:
		handle_leave(c, &m);
		break;
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
	case SIG_T_CANDIDATE:
	case SIG_T_PUBLISH:
		handle_relay(c, &m);
		break;
	case SIG_T_PING:
		client_send(c, sig_build_pong(m.req_id, m.data));
		break;
	default: /* sig_parse_client admits client types only */
		client_error(c, SIG_E_UNKNOWN_TYPE, NULL, m.req_id);
		break;
	}
	sig_error_clear(&err);
	sig_msg_clear(&m);
}

void handle_departure(struct client *c)
{
	/* On shutdown everybody is leaving; telling each about the others is noise. */
	leave_room(c, !c->srv->shutting_down);
}
