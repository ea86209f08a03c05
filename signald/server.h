/*
 * server.h - signald's connection layer (libwebsockets, one thread, one event loop) and the
 * per-connection state that the protocol handlers (handlers.c) act on.
 *
 * Ownership: lws allocates each struct client as the connection's per-session data and frees
 * it after LWS_CALLBACK_CLOSED. Everything a client owns (queue, meta, reassembly buffer, room
 * membership) is released in exactly one place, client_gone(), called from that callback. A
 * client that must go while others are being iterated (a slow reader found during a fan-out)
 * is only marked `dead` and killed asynchronously; its room membership ends in client_gone().
 */
#ifndef SIGNALD_SERVER_H
#define SIGNALD_SERVER_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "buf.h"
#include "config.h"
#include "iptable.h"
#include "outq.h"
#include "room.h"
#include "signal_msg.h"
#include "stun.h"

struct server;

struct client {
	struct lws *wsi;
	struct server *srv;
	struct client *prev, *next; /* all WebSocket clients, for shutdown */
	struct room *room;          /* NULL when in no room */
	json_t *meta;               /* owned; the join's metadata */
	struct outmsg *joined_news; /* owned ref; the peer-joined sent for it, while in a room */
	uint64_t membership;        /* this stay in a room (1, 2, ... server-wide; 0: in none): the
				     * origin of what it sends there, and its order of arrival */
	struct buf rx;              /* reassembly of a fragmented message (bounded) */
	size_t rx_seen;             /* bytes of the current message, kept or discarded */
	char *http_body;            /* owned; an HTTP answer waiting for WRITEABLE, LWS_PRE first */
	size_t http_len;
	struct outq q;
	uint64_t tokens;            /* rate limit bucket, in thousandths of a message */
	uint64_t byte_tokens;       /* byte rate limit bucket, in thousandths of a byte */
	uint64_t refill_ms;
	unsigned strikes;           /* messages sent while rate-limited, in a row */
	uint64_t drain_deadline_ms; /* close_when_quiet(): close by then at the latest */
	uint64_t last_drain_ms;     /* the queue last shrank, or last went from empty to not */
	uint16_t close_code;        /* close with this once the queue is written */
	uint16_t quiet_close;       /* close with this once the client pauses */
	uint8_t established;
	uint8_t dead;               /* being dropped: queue nothing more */
	uint8_t rx_state;           /* enum rx_state in server.c */
	uint8_t ip_counted;
	char peer_id[SIG_PEER_ID_LEN + 1];
	char ip[48];
	char ip_key[IPTABLE_KEY_LEN]; /* what the per-address limit counts: ip, or its IPv6 prefix */
};

struct server_stats {
	uint64_t connections;     /* accepted WebSocket connections, total */
	uint64_t messages_in;
	uint64_t deliveries;      /* messages queued to clients */
	uint64_t joins;
	uint64_t errors;          /* error messages sent */
	uint64_t rate_limited;
	uint64_t dropped_slow;    /* clients dropped for not reading */
	uint64_t busy;            /* relays not queued: the recipient's queue was full */
	uint64_t closed_too_large;
	uint64_t closed_abuse;
	uint64_t refused;         /* connections refused by a connection limit */
};

struct server {
	const struct signald_config *cfg;
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	lws_retry_bo_t idle_policy;
	struct room_table rooms;
	struct iptable ips;            /* WebSockets per address */
	struct iptable sockets_per_ip; /* every accepted socket, HTTP included */
	struct client *clients;
	unsigned long nclients;
	uint64_t memberships;     /* joins so far: the last membership number given */
	struct server_stats st;
	int port;
	size_t control_headroom;  /* see CONTROL_HEADROOM in server.c */
	uint64_t byte_burst;      /* depth of each client's byte bucket */
	int stun_fd;              /* built-in STUN responder, or -1 */
	int stun_port;
	struct stun_stats stun;
	int stop_fd;              /* signalfd for SIGINT/SIGTERM (main.c), or -1 */
	int stop_requested;
	int shutting_down;
	int shutdown_overdue;     /* the grace period is over: exit with clients left */
	lws_sorted_usec_list_t shutdown_timer;
	char *scratch;            /* serialisation buffer, grown on demand */
	size_t scratch_cap;
};

int server_init(struct server *s, const struct signald_config *cfg);
/* Runs until stop_fd (a signalfd, or a pipe in tests) turns readable, then shuts down
 * gracefully: close frames to everyone, and an exit once they are gone or after
 * SIGNALD_DEFAULT_SHUTDOWN_MS, whatever the clients do. Takes stop_fd: it is closed with the
 * event loop (server_free), or at once if it cannot be watched. Returns 0 or -1. */
int server_run(struct server *s, int stop_fd);
void server_free(struct server *s);

/* --- Used by handlers.c --- */

/* Queues one of the server's own messages (json, consumed) to c: presence, errors, pong. These
 * may go CONTROL_HEADROOM beyond the queue limit, so a queue full of relays never costs c a
 * peer-left; beyond that c is dropped as not reading. */
void client_send(struct client *c, json_t *json);
/* Serialises once for a fan-out; NULL on allocation failure. Consumes json. */
struct outmsg *server_encode(struct server *s, json_t *json);
void client_send_msg(struct client *c, struct outmsg *m);
/* Queues a message relayed from another member. When c's queue is full: if c has taken nothing
 * from it for SLOW_READER_STALL_MS it is dropped as not reading (returns 0); otherwise c is
 * reading, only slower than it is sent to, and the message is not queued (returns -1, and the
 * sender gets peer-busy), so no member can get another one disconnected by flooding it. */
int client_relay_msg(struct client *c, struct outmsg *m);
void client_error(struct client *c, enum sig_error_code code, const char *message,
		  json_t *req_id);
/* Arranges for c to be closed with `code` once what is queued has been written. */
void client_close_after_flush(struct client *c, uint16_t code);

/* handlers.c: one complete text message from c. */
void handle_message(struct client *c, const char *buf, size_t len);
/* handlers.c: c is going away (closed, or shutting down): leave its room, tell the others. */
void handle_departure(struct client *c);

#endif
