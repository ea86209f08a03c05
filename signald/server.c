/*
 * server.c - signald's connection layer: the libwebsockets context, the HTTP side (/healthz and
 * static files), and per-connection reassembly, rate limiting, bounded queues and closing.
 * What messages mean is handlers.c's business.
 */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "stun.h"
#include "util.h"

#define SCOPE "ws"
/* The protocol of the raw descriptors on the loop (STUN socket, stop signalfd); never a
 * WebSocket subprotocol (raw_callback refuses it). */
#define RAW_PROTOCOL "signald-raw"

/* WebSocket close codes (RFC 6455 §7.4.1) we send. */
#define CLOSE_GOING_AWAY   1001
#define CLOSE_POLICY       1008
#define CLOSE_TOO_BIG      1009
#define CLOSE_TRY_LATER    1013

/* Frames lws hands us before we see the end of a message; big enough for a typical SDP in one
 * piece, small because lws keeps one per connection (memory per idle connection). */
#define RX_CHUNK 2048
/* Messages written per WRITEABLE callback before yielding to other connections. */
#define WRITE_BATCH 64
/* Buckets of the per-address table (fixed; chains stay short at our connection counts). */
#define IP_BUCKETS 4096
/* Messages dropped in a row, in bursts, before a rate-limited client is closed as abusive. */
#define RATE_ABUSE_BURSTS 10
/* close_when_quiet(): a pause this long means the client stopped sending; never wait longer
 * than DRAIN_MAX_MS for one. */
#define QUIET_US     (100 * 1000)
#define DRAIN_MAX_MS 2000
/* See client_relay_msg(). 5 s: far beyond any live reader's pause between two reads, and short
 * enough that a dead one does not pin its queue for long. */
#define SLOW_READER_STALL_MS 5000
/* Room beyond --max-queue-bytes for the server's own messages: errors and pongs, plus the
 * presence of a full room (a peer-joined with the largest meta per member; a joined listing
 * them all). Leaves taken back (handlers.c) keep join/leave churn from adding more. */
#define CONTROL_HEADROOM     65536
#define PRESENCE_PER_MEMBER  (SIG_META_MAX_BYTES + 128 + OUTQ_ENTRY_OVERHEAD)

enum rx_state { RX_NORMAL, RX_DISCARD_TOO_LARGE };

/* ---------------------------------------------------------------- sending */

struct outmsg *server_encode(struct server *s, json_t *json)
{
	if (!json)
		return NULL;
	size_t n = json_dumpb(json, s->scratch, s->scratch_cap, JSON_COMPACT);
	if (n > s->scratch_cap) {
		char *bigger = realloc(s->scratch, n);
		if (!bigger) {
			json_decref(json);
			return NULL;
		}
		s->scratch = bigger;
		s->scratch_cap = n;
		n = json_dumpb(json, s->scratch, s->scratch_cap, JSON_COMPACT);
	}
	json_decref(json);
	if (n == 0)
		return NULL;
	return outmsg_new(LWS_PRE, s->scratch, n);
}

/* Drops a client that is not reading. Not synchronous: the caller may be iterating a room
 * that holds c; lws closes it from the event loop and client_gone() unlinks it. */
static void drop_slow(struct client *c)
{
	c->dead = 1;
	c->srv->st.dropped_slow++;
	log_info(SCOPE, "dropping %s (%s): %zu bytes queued and not reading", c->ip,
		 c->peer_id[0] ? c->peer_id : "-", c->q.bytes);
	outq_clear(&c->q);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static int queue_msg(struct client *c, struct outmsg *m, size_t limit)
{
	if (outq_push(&c->q, m, limit) < 0)
		return -1;
	if (c->q.count == 1)
		c->last_drain_ms = util_now_ms();
	c->srv->st.deliveries++;
	lws_callback_on_writable(c->wsi);
	return 0;
}

void client_send_msg(struct client *c, struct outmsg *m)
{
	if (c->dead || !c->established)
		return;
	if (queue_msg(c, m, c->srv->cfg->max_queue_bytes + c->srv->control_headroom) < 0)
		drop_slow(c);
}

int client_relay_msg(struct client *c, struct outmsg *m)
{
	if (c->dead || !c->established)
		return 0;
	if (queue_msg(c, m, c->srv->cfg->max_queue_bytes) == 0)
		return 0;
	/* An empty queue that cannot take the message (it alone is over the limit) says nothing
	 * about the reader. */
	if (c->q.count && util_now_ms() - c->last_drain_ms >= SLOW_READER_STALL_MS) {
		drop_slow(c);
		return 0;
	}
	c->srv->st.busy++;
	return -1;
}

void client_send(struct client *c, json_t *json)
{
	struct outmsg *m = server_encode(c->srv, json);
	if (!m) {
		log_error(SCOPE, "out of memory building a message for %s", c->ip);
		return;
	}
	client_send_msg(c, m);
	outmsg_unref(m);
}

void client_error(struct client *c, enum sig_error_code code, const char *message,
		  json_t *req_id)
{
	c->srv->st.errors++;
	/* A bad-json message quotes the client's input near the error, which may be its token:
	 * the client gets it back, the log never does. */
	log_debug(SCOPE, "error %s to %s: %s", sig_error_wire(code), c->ip,
		  message && code != SIG_E_BAD_JSON ? message : sig_error_human(code));
	client_send(c, sig_build_error(code, message, req_id));
}

void client_close_after_flush(struct client *c, uint16_t code)
{
	if (!c->close_code)
		c->close_code = code;
	lws_callback_on_writable(c->wsi);
}

static int write_queue(struct client *c)
{
	int popped = 0;
	while (popped < WRITE_BATCH) {
		struct outmsg *m = outq_peek(&c->q);
		if (!m)
			break;
		if (lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
			return -1;
		outq_pop(&c->q);
		popped++;
		if (c->q.count && lws_send_pipe_choked(c->wsi))
			break;
	}
	if (popped) /* the queue shrank: the reader is reading (client_relay_msg) */
		c->last_drain_ms = util_now_ms();
	if (c->q.count) {
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_code) {
		static const char *const why[] = {"server shutting down", "policy violation",
						  "message too large", "try again later"};
		const char *reason = c->close_code == CLOSE_GOING_AWAY ? why[0]
				     : c->close_code == CLOSE_POLICY   ? why[1]
				     : c->close_code == CLOSE_TOO_BIG  ? why[2]
								       : why[3];
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)(uintptr_t)reason, strlen(reason));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- receiving */

/* Two buckets: messages (rate_limit a second, rate_burst deep) and bytes (byte_rate_limit a
 * second, byte_burst deep), since a room fans each message out to every member and 50
 * messages of 64 KiB a second would make one client a 200 MB/s source. A message passes when
 * both have room for it, and only then takes from both. */
static int rate_allow(struct client *c, size_t len)
{
	const struct signald_config *cfg = c->srv->cfg;
	uint64_t now = util_now_ms(), elapsed = now - c->refill_ms;
	c->refill_ms = now;
	c->tokens = util_bucket_refill(c->tokens, elapsed, cfg->rate_limit,
				       (uint64_t)cfg->rate_burst * 1000);
	c->byte_tokens = util_bucket_refill(c->byte_tokens, elapsed, cfg->byte_rate_limit,
					    c->srv->byte_burst * 1000);
	if ((cfg->rate_limit && c->tokens < 1000) ||
	    (cfg->byte_rate_limit && c->byte_tokens < (uint64_t)len * 1000))
		return 0;
	if (cfg->rate_limit)
		c->tokens -= 1000;
	if (cfg->byte_rate_limit)
		c->byte_tokens -= (uint64_t)len * 1000;
	return 1;
}

/* Closing while the client is still sending leaves unread bytes in our socket, and the kernel
 * answers them with a reset that destroys the close frame on its way. So a client we drop for
 * flooding is read and ignored until it pauses (QUIET_US), at most DRAIN_MAX_MS, then closed. */
static void close_when_quiet(struct client *c, uint16_t code)
{
	c->dead = 1;
	c->quiet_close = code; /* becomes close_code when the timer fires */
	c->drain_deadline_ms = util_now_ms() + DRAIN_MAX_MS;
	lws_set_timer_usecs(c->wsi, QUIET_US);
}

/* Every complete message, text or binary, passes the rate limit before any work or answer. */
static int rate_gate(struct client *c, size_t len)
{
	struct server *s = c->srv;
	s->st.messages_in++;
	if (rate_allow(c, len)) {
		c->strikes = 0;
		return 1;
	}
	s->st.rate_limited++;
	/* Each dropped message is answered; a client that ignores ten bursts' worth of answers in
	 * a row is not a confused client but a flood. */
	if (++c->strikes > RATE_ABUSE_BURSTS * s->cfg->rate_burst) {
		s->st.closed_abuse++;
		log_info(SCOPE, "closing %s: kept sending while rate-limited", c->ip);
		close_when_quiet(c, CLOSE_POLICY);
		return 0;
	}
	client_error(c, SIG_E_RATE_LIMITED, NULL, NULL);
	return 0;
}

static void on_message(struct client *c, const char *buf, size_t len)
{
	if (rate_gate(c, len))
		handle_message(c, buf, len);
}

static void on_binary(struct client *c, size_t len)
{
	if (rate_gate(c, len))
		client_error(c, SIG_E_BAD_JSON, "binary messages are not part of the protocol", NULL);
}

static void rx_reset(struct client *c)
{
	buf_free(&c->rx);
	c->rx_seen = 0;
	c->rx_state = RX_NORMAL;
}

/* What an oversized message may still make us read before we close anyway: closing with the
 * rest of the message unread makes the kernel answer with a reset, and the client would lose
 * the error and the close frame; reading forever would let it stream at us. */
static size_t discard_budget(const struct signald_config *cfg)
{
	return 4 * cfg->max_message_size + 65536;
}

static void close_too_large(struct client *c)
{
	c->srv->st.closed_too_large++;
	log_info(SCOPE, "closing %s: message larger than %lu bytes", c->ip,
		 c->srv->cfg->max_message_size);
	client_error(c, SIG_E_TOO_LARGE, NULL, NULL);
	client_close_after_flush(c, CLOSE_TOO_BIG);
	c->dead = 1; /* nothing more from or to it but the error and the close */
}

/* Messages are bounded when reassembled, not per frame. Past the bound, the rest of the
 * message is counted (rx_seen) and dropped until its end. */
static int rx_accept(struct client *c, const char *in, size_t len, int binary)
{
	size_t max = c->srv->cfg->max_message_size;
	c->rx_seen += len;
	if (c->rx_state == RX_NORMAL && c->rx_seen > max) {
		buf_free(&c->rx);
		c->rx_state = RX_DISCARD_TOO_LARGE;
	}
	if (c->rx_state != RX_NORMAL || binary)
		return c->rx_seen > discard_budget(c->srv->cfg) ? -1 : 0;
	return buf_append(&c->rx, in, len) < 0 ? -2 : 0;
}

/* One fragment of a WebSocket message (lws splits frames at RX_CHUNK, clients split messages
 * into frames: both arrive here). */
static void on_receive(struct client *c, struct lws *wsi, const char *in, size_t len)
{
	int last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
	int binary = lws_frame_is_binary(wsi);

	if (c->dead) {
		if (c->drain_deadline_ms && util_now_ms() < c->drain_deadline_ms)
			lws_set_timer_usecs(wsi, QUIET_US); /* still talking: wait for a pause */
		return;
	}
	if (last && c->rx_seen == 0 && !binary && len <= c->srv->cfg->max_message_size) {
		on_message(c, in, len); /* the common case: whole message in one piece, no copy */
		return;
	}
	int rc = rx_accept(c, in, len, binary);
	if (rc == -2) {
		rx_reset(c);
		client_error(c, SIG_E_INTERNAL, "out of memory", NULL);
		return;
	}
	if (rc == -1 || (last && c->rx_state == RX_DISCARD_TOO_LARGE)) {
		rx_reset(c);
		close_too_large(c);
		return;
	}
	if (!last)
		return;
	if (c->rx_seen > c->srv->cfg->max_message_size) {
		rx_reset(c);
		close_too_large(c);
	} else if (binary) {
		size_t n = c->rx_seen;
		rx_reset(c);
		on_binary(c, n);
	} else {
		on_message(c, c->rx.data, c->rx.len);
		rx_reset(c);
	}
}

/* ---------------------------------------------------------------- connection lifecycle */

static void client_arrived(struct server *s, struct client *c, struct lws *wsi)
{
	memset(c, 0, sizeof(*c));
	c->wsi = wsi;
	c->srv = s;
	c->established = 1;
	c->refill_ms = util_now_ms();
	buf_init(&c->rx, s->cfg->max_message_size);
	c->tokens = (uint64_t)s->cfg->rate_burst * 1000;
	c->byte_tokens = s->byte_burst * 1000;
	lws_get_peer_simple(wsi, c->ip, sizeof(c->ip));
	iptable_key(c->ip, (unsigned)s->cfg->ipv6_prefix, c->ip_key, sizeof(c->ip_key));
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	s->st.connections++;

	if (s->shutting_down) {
		client_close_after_flush(c, CLOSE_GOING_AWAY);
		return;
	}
	long n = iptable_acquire(&s->ips, c->ip_key, s->cfg->max_connections_per_ip);
	if (n > 0)
		c->ip_counted = 1;
	if (n <= 0 || s->nclients > s->cfg->max_connections) {
		s->st.refused++;
		log_info(SCOPE, "refusing %s: %s", c->ip,
			 n <= 0 ? (strchr(c->ip_key, '/') ? "per-address limit (IPv6 prefix)"
							  : "per-address limit")
				: "connection limit");
		client_error(c, SIG_E_TOO_MANY_CONNS, n <= 0 ? NULL : "server connection limit",
			     NULL);
		client_close_after_flush(c, CLOSE_TRY_LATER);
		c->dead = 1;
	}
	log_debug(SCOPE, "connection from %s (%lu open)", c->ip, s->nclients);
}

static void client_gone(struct server *s, struct client *c)
{
	if (!c->established)
		return;
	handle_departure(c);
	outq_clear(&c->q);
	buf_free(&c->rx);
	json_decref(c->meta);
	c->meta = NULL;
	if (c->ip_counted)
		iptable_release(&s->ips, c->ip_key);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nclients--;
	c->established = 0;
	log_debug(SCOPE, "closed %s (%lu open)", c->ip, s->nclients);
}

/* ---------------------------------------------------------------- HTTP */

static json_t *health_json(const struct server *s)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "status",
			 s->shutting_down ? "shutting-down" : "ok", "version", SIGNALD_VERSION,
			 "protocol", SIG_SUBPROTOCOL, "connections", (json_int_t)s->nclients,
			 "rooms", (json_int_t)s->rooms.count, "messages_in",
			 (json_int_t)s->st.messages_in, "deliveries", (json_int_t)s->st.deliveries,
			 "errors", (json_int_t)s->st.errors, "rate_limited",
			 (json_int_t)s->st.rate_limited, "dropped_slow",
			 (json_int_t)s->st.dropped_slow, "peer_busy", (json_int_t)s->st.busy, "refused",
			 (json_int_t)s->st.refused);
}

static int healthz_begin(struct server *s, struct client *c, struct lws *wsi)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
					  *end = hdr + sizeof(hdr) - 1;
	json_t *h = health_json(s);
	char *body = h ? json_dumps(h, JSON_COMPACT) : NULL;
	json_decref(h);
	if (!body)
		return -1;
	size_t n = strlen(body);

	memset(c, 0, sizeof(*c));
	c->http_body = malloc(LWS_PRE + n + 1);
	if (!c->http_body) {
		free(body);
		return -1;
	}
	memcpy(c->http_body + LWS_PRE, body, n);
	c->http_body[LWS_PRE + n] = '\n';
	c->http_len = n + 1;
	free(body);
	if (lws_add_http_common_headers(wsi, s->shutting_down ? HTTP_STATUS_SERVICE_UNAVAILABLE
							      : HTTP_STATUS_OK,
					"application/json", (lws_filepos_t)c->http_len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int healthz_write(struct client *c, struct lws *wsi)
{
	if (!c->http_body)
		return 0;
	int n = lws_write(wsi, (unsigned char *)c->http_body + LWS_PRE, c->http_len,
			  LWS_WRITE_HTTP_FINAL);
	free(c->http_body);
	c->http_body = NULL;
	if (n < 0)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* /r/<room>: a room link (the secret rides in the fragment, which browsers never send). Every
 * room is the same page; it reads the room from its own URL. */
static int serve_room_page(struct server *s, struct lws *wsi)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/index.html", s->cfg->web_root) >= sizeof(path))
		return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 : 0;
	int n = lws_serve_http_file(wsi, path, "text/html; charset=utf-8", NULL, 0);
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

static int on_http(struct server *s, struct client *c, struct lws *wsi)
{
	char uri[256];
	if (!c)
		return -1;
	int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	if (n > 0 && strcmp(uri, "/healthz") == 0)
		return healthz_begin(s, c, wsi);
	if (n > 3 && strncmp(uri, "/r/", 3) == 0 && sig_room_valid(uri + 3, strlen(uri + 3)))
		return serve_room_page(s, wsi);
	return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 : 0;
}

/* ---------------------------------------------------------------- sockets per address */

/* The per-address limit on WebSockets is checked at ESTABLISHED, where a refusal can say why
 * (too-many-connections); an HTTP request that never finishes holds a descriptor as surely
 * and never gets there. So every socket counts from accept too, against a looser bound: room
 * for page loads beside a full set of WebSockets, none for a flood of half-open requests.
 * lws asks first (FILTER_NETWORK_CONNECTION, where a refusal closes at once), then makes the
 * connection (NEW_CLIENT_INSTANTIATED, where it is tagged and counted): nothing runs between
 * the two, so the check still holds when the count is taken. */
#define SOCKETS_PER_IP(ws_limit) ((ws_limit) * 2 + 16)

struct socket_tag {
	char key[IPTABLE_KEY_LEN];
};

static void sockaddr_key(const struct server *s, const struct sockaddr *sa, char *key,
			 size_t keylen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
	iptable_key(ip, (unsigned)s->cfg->ipv6_prefix, key, keylen);
}

static int socket_allowed(struct server *s, const struct lws_filter_network_conn_args *a)
{
	unsigned long ws_limit = s->cfg->max_connections_per_ip;
	char key[IPTABLE_KEY_LEN];
	if (!ws_limit || !a)
		return 1;
	sockaddr_key(s, (const struct sockaddr *)&a->cli_addr, key, sizeof(key));
	if (iptable_count(&s->sockets_per_ip, key) < SOCKETS_PER_IP(ws_limit))
		return 1;
	s->st.refused++;
	log_debug(SCOPE, "refusing a socket from %s: per-address socket limit", key);
	return 0;
}

static void socket_arrived(struct server *s, struct lws *wsi)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct socket_tag *t;
	if (!s->cfg->max_connections_per_ip ||
	    getpeername(lws_get_socket_fd(wsi), (struct sockaddr *)&ss, &sslen) < 0)
		return;
	t = malloc(sizeof(*t));
	if (!t)
		return;
	sockaddr_key(s, (const struct sockaddr *)&ss, t->key, sizeof(t->key));
	if (iptable_acquire(&s->sockets_per_ip, t->key, 0) <= 0) {
		free(t);
		return;
	}
	lws_set_opaque_user_data(wsi, t);
}

/* lws tells protocols[0] of every wsi's end, ours or not: only tagged ones were counted. */
static void socket_gone(struct server *s, struct lws *wsi)
{
	struct socket_tag *t = lws_get_opaque_user_data(wsi);
	if (!t)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	iptable_release(&s->sockets_per_ip, t->key);
	free(t);
}

/* ---------------------------------------------------------------- the lws callback */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct client *c = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return socket_allowed(s, user) ? 0 : -1;
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		socket_arrived(s, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		socket_gone(s, wsi);
		break;
	case LWS_CALLBACK_ESTABLISHED:
		client_arrived(s, c, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		on_receive(c, wsi, in, len);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return write_queue(c);
	case LWS_CALLBACK_TIMER: /* close_when_quiet(): the client paused, or took too long */
		if (c->quiet_close)
			client_close_after_flush(c, c->quiet_close);
		return 0;
	case LWS_CALLBACK_CLOSED:
		client_gone(s, c);
		return 0;
	case LWS_CALLBACK_HTTP:
		return on_http(s, c, wsi);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (c && c->http_body)
			return healthz_write(c, wsi);
		break;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (c && !c->established) {
			free(c->http_body);
			c->http_body = NULL;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---------------------------------------------------------------- setup and run */

/* Whatever SIGINT/SIGTERM arrived is read off the signalfd; one is enough to stop. */
static void read_stop_fd(struct server *s)
{
	struct signalfd_siginfo si;
	while (read(s->stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (!s->stop_requested)
			log_info("server", "%s received", strsignal((int)si.ssi_signo));
		s->stop_requested = 1;
	}
}

/* The STUN socket and the stop signalfd ride on the same loop as raw file descriptors. Being
 * in the vhost's protocol list also makes RAW_PROTOCOL a subprotocol a WebSocket client could
 * pick, and such a connection would never reach callback(): no limit would count it. Refuse
 * it at the handshake, and should one get through anyway, close it. */
static int raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (lws_get_socket_fd(wsi) == s->stop_fd)
			read_stop_fd(s);
		else
			stun_service(s->stun_fd, &s->stun);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
		return -1;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	/* Index 0 is also what lws uses for HTTP and for WebSocket clients that offer no
	 * subprotocol (served v1, PROTOCOL.md §2). */
	{SIG_SUBPROTOCOL, callback, sizeof(struct client), RX_CHUNK, 0, NULL, 0},
	{RAW_PROTOCOL, raw_callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Headers on every HTTP response: the page is ours alone, no sniffing, no framing. The page
 * has no inline script or style: the policy costs it nothing and would stop an injection we
 * have not found; connect-src keeps ws:/wss: open for a link's ?server= (web/README.md). */
static const struct lws_protocol_vhost_options hdr_csp = {
	NULL, NULL, "content-security-policy:",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
	"connect-src 'self' ws: wss: blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
	"frame-ancestors 'none'; form-action 'none'"};
static const struct lws_protocol_vhost_options hdr_nosniff = {
	&hdr_csp, NULL, "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options hdr_frame = {
	&hdr_nosniff, NULL, "x-frame-options:", "DENY"};
static const struct lws_protocol_vhost_options hdr_referrer = {
	&hdr_frame, NULL, "referrer-policy:", "no-referrer"};

static void lws_log_to_ours(int level, const char *line)
{
	log_line(level & LLL_ERR ? LOG_ERROR : level & LLL_WARN ? LOG_WARN : LOG_DEBUG, "lws", line);
}

/* lws needs an fd budget up front; ours is the connection limit within RLIMIT_NOFILE. */
static unsigned fd_budget(const struct signald_config *cfg)
{
	struct rlimit rl;
	unsigned long want = cfg->max_connections + 64; /* listeners, pipes, HTTP in flight */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    want > rl.rlim_cur) {
		log_info("server", "fd limit %llu caps connections below --max-connections %lu",
			 (unsigned long long)rl.rlim_cur, cfg->max_connections);
		want = rl.rlim_cur;
	}
	return (unsigned)want;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Types lws does not know by itself; everything else it maps, unknown ones it refuses (415). */
static const struct lws_protocol_vhost_options mime_mjs = {
	NULL, NULL, ".mjs", "text/javascript; charset=utf-8"};
static const struct lws_protocol_vhost_options mime_md = {
	&mime_mjs, NULL, ".md", "text/markdown; charset=utf-8"};

static int create_vhost(struct server *s, const struct signald_config *cfg)
{
	static struct lws_http_mount mount_health = {
		.mountpoint = "/healthz", .origin = SIG_SUBPROTOCOL,
		.origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 8};
	static struct lws_http_mount mount_rooms = {
		.mount_next = &mount_health, .mountpoint = "/r", .origin = SIG_SUBPROTOCOL,
		.origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 2};
	static struct lws_http_mount mount_root = {
		.mount_next = &mount_rooms, .mountpoint = "/", .def = "index.html",
		.extra_mimetypes = &mime_md,
		.origin_protocol = LWSMPRO_FILE, .mountpoint_len = 1};
	struct lws_context_creation_info vi;

	mount_root.origin = cfg->web_root;
	memset(&vi, 0, sizeof(vi));
	vi.port = cfg->listen_port;
	vi.iface = cfg->listen_host[0] ? cfg->listen_host : NULL;
	vi.protocols = protocols;
	vi.mounts = &mount_root;
	vi.headers = &hdr_referrer;
	vi.retry_and_idle_policy = &s->idle_policy;
	vi.ssl_cert_filepath = cfg->tls_cert;
	vi.ssl_private_key_filepath = cfg->tls_key;
	vi.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	/* lws binds an IPv6 socket by default and then ignores an IPv4 address in iface, which
	 * would expose a --listen 127.0.0.1 server on every interface. */
	if (cfg->listen_host[0] && !strchr(cfg->listen_host, ':'))
		vi.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	if (cfg->tls_cert) /* without it lws quietly serves plain text on the vhost */
		vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	s->vhost = lws_create_vhost(s->ctx, &vi);
	if (!s->vhost) {
		log_error("server", "cannot listen on %s (address in use, or bad TLS files?)",
			  cfg->listen);
		return -1;
	}
	s->port = lws_get_vhost_listen_port(s->vhost);
	return 0;
}

static int start_stun(struct server *s, const struct signald_config *cfg)
{
	char err[200];
	lws_sock_file_fd_type fd;
	s->stun_port = cfg->stun_port;
	s->stun.rate = cfg->stun_rate_limit;
	s->stun_fd = stun_open(cfg->stun_host, &s->stun_port, err, sizeof(err));
	if (s->stun_fd < 0) {
		log_error("stun", "%s", err);
		return -1;
	}
	fd.filefd = s->stun_fd;
	if (!lws_adopt_descriptor_vhost(s->vhost, LWS_ADOPT_RAW_FILE_DESC, fd, RAW_PROTOCOL, NULL)) {
		log_error("stun", "cannot add the STUN socket to the event loop");
		return -1;
	}
	log_emit(LOG_INFO, "stun", "STUN on udp %s (port %d)", cfg->stun_listen, s->stun_port);
	return 0;
}

int server_init(struct server *s, const struct signald_config *cfg)
{
	struct lws_context_creation_info ci;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->stun_fd = -1;
	s->stop_fd = -1;
	s->control_headroom = CONTROL_HEADROOM + cfg->max_peers_per_room * PRESENCE_PER_MEMBER;
	s->byte_burst = cfg->max_message_size > SIGNALD_BYTE_BURST_MIN ? cfg->max_message_size
								       : SIGNALD_BYTE_BURST_MIN;
	s->idle_policy.secs_since_valid_ping = (uint16_t)(cfg->idle_timeout / 2);
	s->idle_policy.secs_since_valid_hangup = (uint16_t)cfg->idle_timeout;
	s->scratch_cap = 4096;
	s->scratch = malloc(s->scratch_cap);
	if (!s->scratch || room_table_init(&s->rooms) < 0 || iptable_init(&s->ips, IP_BUCKETS) < 0 ||
	    iptable_init(&s->sockets_per_ip, IP_BUCKETS) < 0)
		goto fail;

	lws_set_log_level(log_max_level >= LOG_DEBUG ? (LLL_ERR | LLL_WARN | LLL_NOTICE)
						     : (LLL_ERR | LLL_WARN),
			  lws_log_to_ours);
	raise_fd_limit();
	if (access(cfg->web_root, R_OK | X_OK) != 0)
		log_warn("server", "web root %s: %s; only /healthz, /ws and room links to a missing "
				   "page will answer (see --web-root)", cfg->web_root, strerror(errno));
	memset(&ci, 0, sizeof(ci));
	ci.port = CONTEXT_PORT_NO_LISTEN; /* the vhost listens */
	ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	ci.user = s;
	ci.fd_limit_per_thread = fd_budget(cfg);
	ci.count_threads = 1;
	s->ctx = lws_create_context(&ci);
	if (!s->ctx) {
		log_error("server", "cannot create the libwebsockets context");
		goto fail;
	}
	if (create_vhost(s, cfg) < 0)
		goto fail;
	if (cfg->stun_listen && start_stun(s, cfg) < 0)
		goto fail;
	return 0;
fail:
	server_free(s);
	return -1;
}

static void on_shutdown_overdue(lws_sorted_usec_list_t *sul)
{
	struct server *s = lws_container_of(sul, struct server, shutdown_timer);
	s->shutdown_overdue = 1;
	/* lws runs timers at the start of a service call and then polls again: make that poll
	 * return now rather than at the next timer. */
	lws_cancel_service(s->ctx);
}

/* The timer both marks the grace period over and wakes lws_service(), which otherwise sleeps
 * until its next timer: a ping, up to half the idle timeout away. */
static void begin_shutdown(struct server *s)
{
	s->shutting_down = 1;
	log_info("server", "shutting down: closing %lu connections", s->nclients);
	for (struct client *c = s->clients; c; c = c->next)
		client_close_after_flush(c, CLOSE_GOING_AWAY);
	lws_sul_schedule(s->ctx, 0, &s->shutdown_timer, on_shutdown_overdue,
			 (lws_usec_t)SIGNALD_DEFAULT_SHUTDOWN_MS * LWS_US_PER_MS);
}

/* A signal that came before the loop stays readable on the signalfd: none is missed. */
static int watch_stop_fd(struct server *s, int stop_fd)
{
	lws_sock_file_fd_type fd;
	s->stop_fd = stop_fd;
	fd.filefd = stop_fd;
	if (!lws_adopt_descriptor_vhost(s->vhost, LWS_ADOPT_RAW_FILE_DESC, fd, RAW_PROTOCOL, NULL)) {
		log_error("server", "cannot add the signal descriptor to the event loop");
		close(stop_fd);
		s->stop_fd = -1;
		return -1;
	}
	return 0; /* lws owns it now, and closes it with the context */
}

int server_run(struct server *s, int stop_fd)
{
	const char *host = s->cfg->listen_host[0] ? s->cfg->listen_host : "*";
	const char *scheme = s->cfg->tls_cert ? "wss" : "ws";
	int v6 = strchr(host, ':') != NULL;

	if (watch_stop_fd(s, stop_fd) < 0)
		return -1;
	/* Printed at any log level: tests and scripts wait for this line to learn the port. */
	const char *web = s->cfg->tls_cert ? "https" : "http";
	const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";
	log_emit(LOG_INFO, "server", "listening on %s%s%s:%d (page %s://%s%s%s:%d/, WebSocket "
		 "%s://%s%s%s:%d/ws, web root %s)", lb, host, rb, s->port, web, lb, host, rb,
		 s->port, scheme, lb, host, rb, s->port, s->cfg->web_root);
	for (;;) {
		if (s->stop_requested && !s->shutting_down)
			begin_shutdown(s);
		if (s->shutting_down && (s->nclients == 0 || s->shutdown_overdue))
			break;
		if (lws_service(s->ctx, 0) < 0 && errno != EINTR) {
			log_error("server", "event loop failed: %s", strerror(errno));
			return -1;
		}
	}
	if (s->nclients)
		log_info("server", "%lu connections did not close within %d ms", s->nclients,
			 SIGNALD_DEFAULT_SHUTDOWN_MS);
	log_info("server", "stopped (%llu connections served, %llu messages)",
		 (unsigned long long)s->st.connections, (unsigned long long)s->st.messages_in);
	return 0;
}

void server_free(struct server *s)
{
	if (s->ctx)
		lws_context_destroy(s->ctx); /* closes what is left: client_gone() runs for each */
	s->ctx = NULL;
	room_table_free(&s->rooms);
	iptable_free(&s->ips);
	iptable_free(&s->sockets_per_ip);
	free(s->scratch);
	s->scratch = NULL;
}
