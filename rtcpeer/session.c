#include "session.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>

#include "auth.h"
#include "lanes.h"
#include "log.h"
#include "peer.h"
#include "sigclient.h"
#include "reorder.h"
#include "util.h"
#include "xfer.h"

/* usrsctp refuses a message larger than the send buffer: every lane must take the largest we
 * send, and a few of them to keep its window busy. */
_Static_assert(PEER_LANE_BUFFER >= 2 * LANES_SEND_MAX, "a lane's buffer holds two frames");

#define SCOPE "session"
#define SESSION_LINGER_MS 1000 /* at most, for the last message to be acknowledged */

/* Signals that end a session cleanly: the peer is told and temporary files go. SIGHUP is the
 * terminal or the ssh connection going away; its default action would kill us without either
 * (a .rtcpeer-*.part file stays where there is no O_TMPFILE). */
static const int STOP_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP};

struct session {
	const struct cli *cli;
	const struct session_app *app;
	GMainLoop *loop;
	struct sigclient *sig;
	struct peer *peer;
	struct dc *dc;
	struct lanes *lanes;                    /* file transfer over several associations */
	struct dc *lane_dc[REORDER_MAX_LANES];  /* lane i's channel, lane 0 being dc */
	char room[SIG_ROOM_MAX_LEN + 1];
	uint8_t secret[SESSION_SECRET_LEN];
	char remote[SIG_PEER_ID_MAX_LEN + 1]; /* the other peer's signaling id */
	int offerer;
	int sent_auth, authenticated;
	int expect_close, close_code;
	int joined;
	uint64_t t_start, t_signaling, t_joined, t_auth, t_first_byte;
	char path[160];
	struct ice_config ice;   /* --stun/--turn, then what signald suggested */
	int finished, exit_code;
	guint linger;
	unsigned linger_ticks;
	guint signal_src[G_N_ELEMENTS(STOP_SIGNALS)];
};

/* ---------------------------------------------------------------- ending */

static void report_timing(struct session *s);

/* Quits once what we queued for the peer (an abort, a bye) has been acknowledged, or after
 * SESSION_LINGER_MS: a last word that an immediate SCTP abort would throw away. */
static gboolean linger_tick(gpointer arg)
{
	struct session *s = arg;
	if (s->linger_ticks++ < SESSION_LINGER_MS / 10 && s->peer && s->dc &&
	    !peer_drained(s->peer))
		return G_SOURCE_CONTINUE;
	s->linger = 0;
	g_main_loop_quit(s->loop);
	return G_SOURCE_REMOVE;
}

void session_finish(struct session *s, int exit_code, const char *fmt, ...)
{
	char msg[512] = "";
	if (s->finished)
		return;
	s->finished = 1;
	s->exit_code = exit_code;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (exit_code != EXIT_OK_ || !s->cli->quiet)
			fprintf(stderr, "rtcpeer: %s\n", msg);
	}
	report_timing(s);
	session_event(s, exit_code == EXIT_OK_ ? "done" : "error",
		      json_pack("{s:i, s:s}", "code", exit_code,
				"message", msg[0] ? msg : rtc_exit_text(exit_code)));
	if (s->app->cleanup)
		s->app->cleanup(s->app->arg, exit_code);
	s->linger = g_timeout_add(10, linger_tick, s);
}

void session_event(struct session *s, const char *event, json_t *fields)
{
	if (!s->cli->json) {
		json_decref(fields);
		return;
	}
	json_t *o = json_pack("{s:s}", "event", event);
	if (o && fields)
		json_object_update(o, fields);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (line)
		fprintf(stderr, "%s\n", line);
	free(line);
	json_decref(o);
	json_decref(fields);
}

const struct cli *session_cli(const struct session *s)
{
	return s->cli;
}

void session_pause_reading(struct session *s, int paused)
{
	if (s->peer)
		peer_pause_reading(s->peer, paused);
}

int session_drained(struct session *s)
{
	return s->peer ? peer_drained(s->peer) : 1;
}

/* "direct (udp host -> host)" / "relayed (udp relay -> srflx)": what a user asks first. */
const char *session_path(struct session *s)
{
	const char *pair = s->peer ? peer_selected_pair(s->peer) : NULL;
	const char *how = s->peer && peer_relayed(s->peer) ? "relayed" : "direct";
	if (!pair)
		return how;
	snprintf(s->path, sizeof(s->path), "%s (%.3s %s -> %s)", how, pair,
		 peer_pair_type(s->peer, 0), peer_pair_type(s->peer, 1));
	return s->path;
}

const char *session_route(const struct session *s)
{
	return s->peer && peer_relayed(s->peer) ? "relayed" : "direct";
}

void session_summary(struct session *s, const char *head, unsigned files, uint64_t bytes,
		     uint64_t start_ns)
{
	double secs = (double)(util_now_ns() - start_ns) / 1e9;
	char lanes[32] = "";
	if (session_lanes(s) > 1)
		snprintf(lanes, sizeof(lanes), ", %u lanes", session_lanes(s));
	if (!s->cli->quiet)
		fprintf(stderr, "%s, %llu bytes in %.2f s (%.1f MB/s), %s%s\n", head,
			(unsigned long long)bytes, secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0,
			session_path(s), lanes);
	session_event(s, "summary",
		      json_pack("{s:i, s:I, s:f, s:s, s:i, s:I}", "files", files, "bytes",
				(json_int_t)bytes, "seconds", secs, "path", session_route(s), "lanes",
				(int)session_lanes(s), "sctp_packet",
				(json_int_t)(s->peer ? peer_sctp_packet(s->peer) : 0)));
}

void session_mark_data(struct session *s)
{
	if (!s->t_first_byte)
		s->t_first_byte = util_now_ns();
}

static double ms_since(const struct session *s, uint64_t t)
{
	return t ? (double)(t - s->t_start) / 1e6 : -1;
}

/* --timing and the timing event: when each step completed, in ms from the start. */
static void report_timing(struct session *s)
{
	struct peer_timing pt = {0};
	if (s->peer)
		peer_get_timing(s->peer, &pt);
	double v[] = {ms_since(s, s->t_signaling), ms_since(s, s->t_joined),
		      ms_since(s, pt.created),     ms_since(s, pt.gathered),
		      ms_since(s, pt.ice),         ms_since(s, pt.dtls),
		      ms_since(s, pt.probed),      ms_since(s, pt.sctp),
		      ms_since(s, s->t_auth),      ms_since(s, s->t_first_byte)};
	static const char *const names[] = {"signaling", "joined",    "peer",
					    "gathered",  "ice",       "dtls",
					    "mtu_probe", "sctp",      "authenticated",
					    "first_byte"};
	json_t *o = json_object();
	for (size_t i = 0; o && i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] >= 0)
			json_object_set_new(o, names[i], json_real(v[i]));
	if (s->cli->timing) {
		fprintf(stderr, "timing (ms from start):");
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			if (v[i] >= 0)
				fprintf(stderr, " %s %.1f", names[i], v[i]);
		fputc('\n', stderr);
	}
	session_event(s, "timing", o);
}

static gboolean on_signal(gpointer arg)
{
	struct session *s = arg;
	if (s->dc && !s->finished)
		session_send(s, xfer_build_abort("interrupted"));
	session_finish(s, EXIT_INTERRUPTED, "interrupted");
	return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- authentication */

/* After authentication, with lanes, every message goes through the striped channel. */
static int channel_send(struct session *s, int binary, const uint8_t *buf, size_t len)
{
	if (s->lanes && s->authenticated)
		return lanes_send(s->lanes, binary, buf, len);
	return s->dc ? dc_send(s->dc, binary, buf, len) : -1;
}

/* Sends json (consumed) on the channel as one text message. */
static int send_control(struct session *s, json_t *json)
{
	size_t len;
	char *text = json ? xfer_dump(json, &len) : NULL;
	json_decref(json);
	int rc = text ? channel_send(s, 0, (const uint8_t *)text, len) : -1;
	free(text);
	return rc;
}

/* The lanes we would stripe over: what both descriptions said (peer.c). A server can edit
 * the descriptions, not the DTLS channel, so auth carries the count and both sides stripe
 * only when both auths say the same (TRANSFER.md §12.1). */
static unsigned my_lanes(const struct session *s)
{
	return s->app->lanes ? peer_lanes(s->peer) : 1;
}

static int send_auth(struct session *s)
{
	uint8_t mac[AUTH_MAC_LEN];
	if (auth_local_mac(s->secret, s->offerer, peer_local_fingerprint(s->peer),
			   peer_remote_fingerprint(s->peer), mac) < 0)
		return -1;
	s->sent_auth = 1;
	return send_control(s, xfer_build_auth(mac, my_lanes(s)));
}

/* ---------------------------------------------------------------- lanes (TRANSFER.md §12) */

static void lanes_message_cb(void *arg, int binary, const uint8_t *buf, size_t len)
{
	struct session *s = arg;
	if (s->finished)
		return;
	if (binary)
		session_mark_data(s);
	if (s->app->message)
		s->app->message(s->app->arg, binary, buf, len);
}

static void lanes_writable_cb(void *arg)
{
	struct session *s = arg;
	if (!s->finished && s->app->buffered_low)
		s->app->buffered_low(s->app->arg);
}

static void lanes_pause_cb(void *arg, unsigned lane, int paused)
{
	struct session *s = arg;
	if (s->peer)
		peer_pause_lane(s->peer, lane, paused);
}

static void lanes_error_cb(void *arg, const char *why)
{
	struct session *s = arg;
	if (s->finished)
		return;
	session_send(s, xfer_build_abort("protocol error"));
	session_finish(s, EXIT_PEER, "the peer broke the lane framing: %s", why);
}

/* Lane 0 gives up its larger buffer only once another lane shares the work: if none ever comes
 * up, it carries the transfer alone, as without lanes. */
static void share_lane0(struct session *s)
{
	if (lanes_engaged(s->lanes) && lanes_attached(s->lanes) > 1)
		peer_engage_lanes(s->peer);
}

static void attach_lane(struct session *s, unsigned i)
{
	lanes_attach(s->lanes, i, s->lane_dc[i]);
	if (i > 0)
		peer_pause_lane(s->peer, i, 0);
	share_lane0(s);
}

static void engage_lanes(struct session *s)
{
	lanes_engage(s->lanes);
	share_lane0(s);
}


/* Authenticated: stripe over the lanes that are up, and attach the others as they come.
 * peer_said: the lanes in the peer's auth (0: none). */
static void start_lanes(struct session *s, unsigned peer_said)
{
	static const struct lanes_callbacks cb0 = {lanes_message_cb, lanes_writable_cb,
						   lanes_pause_cb, lanes_error_cb, NULL};
	struct lanes_callbacks cb = cb0;
	unsigned n = my_lanes(s);
	if (n >= 2 && peer_said != n)
		log_debug(SCOPE, "no lanes: we would use %u, the peer's auth says %u", n, peer_said);
	if (n < 2 || peer_said != n)
		return;
	cb.arg = s;
	s->lanes = lanes_new(n, &cb);
	if (!s->lanes)
		return; /* the peer may stripe, and we could not read it: it will fail visibly */
	s->lane_dc[0] = s->dc;
	for (unsigned i = 0; i < n; i++)
		if (s->lane_dc[i])
			attach_lane(s, i);
	/* Decided before the first byte, from the RTT of the handshakes, which queues have not
	 * inflated yet; lanes_on_loopback: tests prove the striping on any path. */
	int srtt = peer_srtt_ms(s->peer);
	int stripe = s->cli->lanes_on_loopback || lanes_should_engage(srtt);
	log_debug(SCOPE, "%u lanes negotiated, srtt %d ms: %s", n, srtt,
		  stripe ? "striping" : "lane 0 only");
	if (stripe)
		engage_lanes(s);
}

static unsigned lane_index(const struct session *s, const struct dc *dc)
{
	for (unsigned i = 1; i < REORDER_MAX_LANES; i++)
		if (s->lane_dc[i] == dc)
			return i;
	return 0;
}

static void lane_dc_message(void *arg, struct dc *dc, int binary, const uint8_t *buf,
			    size_t len)
{
	struct session *s = arg;
	unsigned i = lane_index(s, dc);
	if (s->finished || i == 0)
		return;
	if (!s->lanes) /* paused until authenticated, so only a lane we could not set up */
		lanes_error_cb(s, "data on a lane that is not in use");
	else
		lanes_input(s->lanes, i, binary, buf, len);
}

static void lane_dc_low(void *arg, struct dc *dc)
{
	struct session *s = arg;
	if (!s->finished && s->lanes)
		lanes_on_low(s->lanes, lane_index(s, dc));
}

/* The channel of lane i is gone: the peer reset its stream, and the datachannel layer has
 * freed it. Forget it everywhere before anything can send on it again. A lane is never closed
 * in a session that goes well, so this ends the session as losing the lane would. */
static void forget_lane(struct session *s, unsigned i)
{
	s->lane_dc[i] = NULL;
	if (s->lanes)
		lanes_detach(s->lanes, i);
}

static void lane_dc_closed(void *arg, struct dc *dc)
{
	struct session *s = arg;
	unsigned i = lane_index(s, dc);
	if (i == 0)
		return;
	forget_lane(s, i);
	if (s->expect_close)
		session_finish(s, s->close_code, NULL);
	else
		session_finish(s, EXIT_PEER, "the peer closed the channel of lane %u", i);
}

/* A lane came up: its channel exists before its first message is read. Until the peer has
 * proved the code, nothing is read from it (the first message must be auth, on lane 0). */
static void peer_lane_cb(void *arg, unsigned lane, int up)
{
	struct session *s = arg;
	static const struct dc_callbacks cb0 = {NULL, lane_dc_message, lane_dc_low, lane_dc_closed,
						NULL};
	struct dc_callbacks cb = cb0;
	if (lane == 0 || lane >= REORDER_MAX_LANES || s->finished)
		return;
	if (!up) {
		if (s->lane_dc[lane] && s->expect_close)
			session_finish(s, s->close_code, NULL);
		else if (s->lane_dc[lane])
			session_finish(s, EXIT_PEER, "lost the connection to the peer (lane %u)", lane);
		return;
	}
	cb.arg = s;
	s->lane_dc[lane] = peer_lane_channel(s->peer, lane, &cb);
	if (!s->lane_dc[lane])
		return;
	if (s->lanes)
		attach_lane(s, lane);
	else
		peer_pause_lane(s->peer, lane, 1);
}

int session_send_data(struct session *s, const uint8_t *buf, size_t len)
{
	return channel_send(s, 1, buf, len);
}

int session_writable(const struct session *s, size_t high_water)
{
	if (s->lanes)
		return lanes_writable(s->lanes);
	return s->dc && dc_buffered(s->dc) < high_water;
}

size_t session_max_data(const struct session *s, size_t want)
{
	size_t max = s->lanes ? lanes_max_payload(s->lanes) : s->dc ? dc_max_message(s->dc) : 0;
	size_t n = max && max < want ? max : want; /* 0: the peer set no limit */
	/* SCTP sends the rest of a message after its last full chunk in a packet of its own: a
	 * message of whole chunks fills every packet (0.5-1 % more data). */
	size_t header = s->lanes ? LANES_HEADER : 0, chunk = peer_chunk_payload(s->peer);
	if (chunk && n + header > chunk)
		n = (n + header) / chunk * chunk - header;
	return n;
}

void session_set_low_water(struct session *s, size_t bytes)
{
	if (s->dc && !s->lanes) /* lanes call back as soon as one lane has room */
		dc_set_low_water(s->dc, bytes);
}

unsigned session_lanes(const struct session *s)
{
	return s->lanes ? lanes_in_use(s->lanes) : 1;
}

/* The first message from the peer must prove it holds the secret for these fingerprints. */
static void check_auth(struct session *s, int binary, const uint8_t *buf, size_t len)
{
	struct xfer_msg m;
	struct xfer_error e;
	unsigned peer_lanes_said = 0;
	int ok = !binary && xfer_parse((const char *)buf, len, &m, &e) == 0;
	if (ok) {
		ok = m.type == XFER_T_AUTH &&
		     auth_verify_peer(s->secret, s->offerer, peer_local_fingerprint(s->peer),
				      peer_remote_fingerprint(s->peer), m.mac) == AUTH_OK;
		peer_lanes_said = (unsigned)m.lanes;
		xfer_msg_clear(&m);
	}
	if (!ok) {
		/* TRANSFER.md §4.2: say why before going, so the peer does not wait. */
		send_control(s, xfer_build_abort("authentication failed"));
		session_finish(s, EXIT_AUTH,
			       "authentication failed: the peer does not know the code, or the "
			       "signaling server altered the connection");
		return;
	}
	s->authenticated = 1;
	s->t_auth = util_now_ns();
	start_lanes(s, peer_lanes_said);
	session_event(s, "authenticated", NULL);
	log_debug(SCOPE, "peer authenticated");
	sigclient_close(s->sig); /* the rest is peer to peer */
	if (s->app->ready)
		s->app->ready(s->app->arg, s, s->dc);
}

int session_send_ordered(struct session *s, struct xfer_seq *seq, json_t *json)
{
	struct xfer_msg m;
	struct xfer_error e;
	size_t len;
	char *text = json ? xfer_dump(json, &len) : NULL;
	int rc = -1;

	json_decref(json);
	if (!text) {
		session_finish(s, EXIT_FAILURE_, "internal: no memory");
		return -1;
	}
	/* Our own messages pass the same order rules as the peer's, on the text it will get. */
	if (xfer_parse(text, len, &m, &e) < 0 || xfer_seq_text(seq, XFER_LOCAL, &m, &e) < 0)
		session_finish(s, EXIT_FAILURE_, "internal: %s", e.message);
	else
		rc = channel_send(s, 0, (const uint8_t *)text, len);
	xfer_msg_clear(&m);
	free(text);
	return rc;
}

int session_send(struct session *s, json_t *json)
{
	return s->dc ? send_control(s, json) : (json_decref(json), -1);
}

/* ---------------------------------------------------------------- the data channel */

static void dc_open_cb(void *arg, struct dc *dc)
{
	struct session *s = arg;
	if (s->dc && s->dc != dc)
		return;
	s->dc = dc;
	if (!s->sent_auth && send_auth(s) < 0)
		session_finish(s, EXIT_FAILURE_, "cannot send the authentication message");
}

static void dc_message_cb(void *arg, struct dc *dc, int binary, const uint8_t *buf, size_t len)
{
	struct session *s = arg;
	if (s->finished || dc != s->dc)
		return;
	if (!s->authenticated) {
		check_auth(s, binary, buf, len);
		return;
	}
	if (s->lanes) {
		lanes_input(s->lanes, 0, binary, buf, len);
		return;
	}
	if (binary)
		session_mark_data(s);
	if (s->app->message)
		s->app->message(s->app->arg, binary, buf, len);
}

static void dc_low_cb(void *arg, struct dc *dc)
{
	struct session *s = arg;
	if (s->finished || dc != s->dc)
		return;
	if (s->lanes)
		lanes_on_low(s->lanes, 0);
	else if (s->authenticated && s->app->buffered_low)
		s->app->buffered_low(s->app->arg);
}

/* The peer went away. Before it proved the code, that is most likely our proof failing on its
 * side (a wrong code, or a server in the middle), so say so. */
static void closed_early(struct session *s)
{
	if (s->expect_close)
		session_finish(s, s->close_code, NULL);
	else if (s->sent_auth && !s->authenticated)
		session_finish(s, EXIT_AUTH, "the peer hung up before proving the code: a wrong "
					     "code, or the signaling server altered the connection");
	else
		session_finish(s, EXIT_PEER, "the peer closed the connection");
}

static void dc_closed_cb(void *arg, struct dc *dc)
{
	struct session *s = arg;
	if (dc != s->dc)
		return;
	s->dc = NULL;
	forget_lane(s, 0); /* lane 0 is this channel once lanes have started */
	closed_early(s);
}

void session_expect_close(struct session *s, int exit_code)
{
	s->expect_close = 1;
	s->close_code = exit_code;
}

static const struct dc_callbacks *dc_cbs(struct session *s)
{
	static struct dc_callbacks cb;
	cb = (struct dc_callbacks){dc_open_cb, dc_message_cb, dc_low_cb, dc_closed_cb, s};
	return &cb;
}

/* TRANSFER.md §5.1: the one channel of a session is reliable and ordered, with our label and
 * no sub-protocol. Anything else is closed: an unordered or lossy channel would reorder or drop
 * file or pipe bytes. */
static void peer_channel_cb(void *arg, struct dc *dc)
{
	struct session *s = arg;
	if (s->dc || strcmp(dc_label(dc), s->app->label) != 0 || dc_protocol(dc)[0] != '\0' ||
	    !dc_reliable_ordered(dc)) {
		log_warn(SCOPE, "closing an unexpected data channel (label, options or a second one)");
		dc_close(dc);
		return;
	}
	dc_set_callbacks(dc, dc_cbs(s));
}

/* ---------------------------------------------------------------- the peer connection */

static void peer_description_cb(void *arg, enum sdp_type type, const char *sdp)
{
	struct session *s = arg;
	sigclient_send(s->sig, sig_build_sdp(type == SDP_OFFER ? SIG_T_OFFER : SIG_T_ANSWER,
					     s->remote, sdp));
}

static void peer_candidate_cb(void *arg, const char *cand, const char *mid)
{
	struct session *s = arg;
	if (!s->authenticated)
		sigclient_send(s->sig, sig_build_candidate(s->remote, cand, mid, 0));
}

static int exit_for_failure(enum peer_failure f)
{
	switch (f) {
	case PEER_FAIL_AUTH:
		return EXIT_AUTH;
	case PEER_FAIL_ICE:
	case PEER_FAIL_TIMEOUT:
		return EXIT_CONNECT;
	default:
		return EXIT_PEER;
	}
}

static void peer_state_cb(void *arg, enum peer_state st)
{
	struct session *s = arg;
	if (st == PEER_CONNECTED) {
		const char *pair = peer_selected_pair(s->peer);
		session_event(s, "connected",
			      json_pack("{s:s, s:s, s:s, s:s, s:b}", "path", session_route(s), "pair",
					pair ? pair : "", "local", peer_pair_type(s->peer, 0), "remote",
					peer_pair_type(s->peer, 1), "relayed", peer_relayed(s->peer)));
		log_info(SCOPE, "connected (%s: %s)", session_path(s), pair ? pair : "?");
		int open = s->app->opens_channel < 0 ? s->offerer : s->app->opens_channel;
		if (open && !peer_create_channel(s->peer, s->app->label, NULL, dc_cbs(s)))
			session_finish(s, EXIT_FAILURE_, "cannot open the data channel");
	} else if ((st == PEER_FAILED || st == PEER_CLOSED) && s->expect_close) {
		session_finish(s, s->close_code, NULL);
	} else if (st == PEER_FAILED && s->authenticated) {
		/* It worked, then stopped answering: the peer died or its network went away. */
		session_finish(s, EXIT_PEER, "lost the connection to the peer: %s", peer_error(s->peer));
	} else if (st == PEER_FAILED) {
		enum peer_failure f = peer_get_failure(s->peer);
		session_finish(s, exit_for_failure(f), "%s%s", peer_error(s->peer),
			       f == PEER_FAIL_AUTH ? " (the signaling server may be tampering)" : "");
	} else if (st == PEER_CLOSED && !s->finished) {
		closed_early(s);
	}
}

static int create_peer(struct session *s)
{
	char err[256];
	struct peer_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ice = s->ice;
	cfg.timeout_ms = (unsigned)s->cli->timeout * 1000;
	cfg.sctp_mtu = s->cli->mtu;
	cfg.lanes = s->app->lanes ? (unsigned)s->cli->lanes : 1;
	cfg.lanes_on_loopback = s->cli->lanes_on_loopback;
	struct peer_callbacks cb = {peer_description_cb, peer_candidate_cb, peer_state_cb,
				    peer_channel_cb, s, peer_lane_cb};
	s->peer = peer_new(&cfg, &cb, err, sizeof(err));
	if (!s->peer) {
		session_finish(s, EXIT_FAILURE_, "%s", err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- signaling */

/* RTCIceServer objects from `joined` (PROTOCOL.md §5): {"urls": "..." or [...],
 * "username"?, "credential"?}. Ours from the command line come first; malformed entries and
 * schemes we cannot use (turns:, which libnice 0.1.21 cannot do) are skipped. */
static void add_server_urls(struct session *s, json_t *urls, const char *user, const char *cred)
{
	size_t i;
	json_t *u;
	json_t *list = json_is_string(urls) ? json_pack("[O]", urls) : json_incref(urls);
	json_array_foreach(list, i, u) {
		struct ice_server srv;
		if (s->ice.nservers >= ICE_MAX_SERVERS)
			break;
		if (!json_is_string(u) || cli_parse_ice_url(json_string_value(u), &srv) < 0) {
			log_debug(SCOPE, "ignoring ICE server %s", json_is_string(u) ? json_string_value(u)
										   : "(not a string)");
			continue;
		}
		snprintf(srv.username, sizeof(srv.username), "%s", user ? user : "");
		snprintf(srv.credential, sizeof(srv.credential), "%s", cred ? cred : "");
		s->ice.servers[s->ice.nservers++] = srv;
	}
	json_decref(list);
}

static void take_ice_servers(struct session *s, json_t *servers)
{
	size_t i;
	json_t *e;
	json_array_foreach(servers, i, e) {
		add_server_urls(s, json_object_get(e, "urls"),
				json_string_value(json_object_get(e, "username")),
				json_string_value(json_object_get(e, "credential")));
	}
}

static void on_joined(struct session *s, const struct sig_msg *m)
{
	size_t present = json_array_size(m->peers);
	if (s->joined)
		return; /* one join per session; a second joined is a confused (or hostile) server */
	s->joined = 1;
	s->t_joined = util_now_ns();
	log_debug(SCOPE, "joined the room as %s", m->peer);
	session_event(s, "joined", NULL);
	take_ice_servers(s, m->ice_servers);
	if (s->app->creates_room && present > 0) {
		session_finish(s, EXIT_SIGNALING, "the room of this code is taken; try again");
		return;
	}
	if (!s->app->creates_room && present == 0) {
		session_finish(s, EXIT_SIGNALING,
			       "nobody is waiting for this code (mistyped, or the other side has "
			       "stopped)");
		return;
	}
	if (s->app->joined)
		s->app->joined(s->app->arg, s);
	if (present == 0)
		return; /* we wait: the other peer offers when it joins */
	const char *other = json_string_value(json_object_get(json_array_get(m->peers, 0), "peer"));
	if (!other)
		return;
	char err[256];
	snprintf(s->remote, sizeof(s->remote), "%s", other);
	s->offerer = 1;
	if (create_peer(s) == 0 && peer_create_offer(s->peer, err, sizeof(err)) < 0)
		session_finish(s, EXIT_FAILURE_, "%s", err);
}

static void on_remote_description(struct session *s, const struct sig_msg *m)
{
	char err[256];
	if (strcmp(m->from, s->remote) != 0 && s->remote[0])
		return;
	if (m->type == SIG_T_OFFER && !s->peer) {
		if (!s->joined)
			return;
		snprintf(s->remote, sizeof(s->remote), "%s", m->from);
		if (create_peer(s) < 0)
			return;
	}
	if (!s->peer)
		return;
	if (peer_set_remote_description(s->peer, m->type == SIG_T_OFFER ? SDP_OFFER : SDP_ANSWER,
					m->sdp, err, sizeof(err)) < 0)
		session_finish(s, EXIT_PEER, "bad description from the peer: %s", err);
}

static void on_server_error(struct session *s, const struct sig_msg *m)
{
	if (strcmp(m->code, "room-full") == 0)
		session_finish(s, EXIT_SIGNALING,
			       "this code is in use by two peers already (a code works once)");
	else {
		/* The server's words reach the terminal: quoted, so no escape sequence does. */
		char code[4 * 64 + 1], text[512];
		util_quote(code, sizeof(code), m->code);
		util_quote(text, sizeof(text), m->message ? m->message : "");
		session_finish(s, EXIT_SIGNALING, "the signaling server refused: %s (%s)", code, text);
	}
}

static void sig_message_cb(void *arg, const struct sig_msg *m)
{
	struct session *s = arg;
	if (s->finished)
		return;
	switch (m->type) {
	case SIG_T_JOINED:
		on_joined(s, m);
		break;
	case SIG_T_PEER_JOINED:
		if (!s->remote[0])
			snprintf(s->remote, sizeof(s->remote), "%s", m->peer);
		break;
	case SIG_T_PEER_LEFT:
		/* A peer that verified us leaves signaling at once, possibly before its own auth
		 * message reaches us: once our channel is open, leaving signaling is not leaving. */
		if (strcmp(m->peer, s->remote) == 0 && !s->authenticated && !s->dc)
			session_finish(s, EXIT_PEER, "the peer left before the transfer began");
		break;
	case SIG_T_OFFER:
	case SIG_T_ANSWER:
		on_remote_description(s, m);
		break;
	case SIG_T_CANDIDATE:
		if (s->peer && strcmp(m->from, s->remote) == 0)
			peer_add_remote_candidate(s->peer, m->candidate);
		break;
	case SIG_T_ERROR:
		on_server_error(s, m);
		break;
	default:
		break;
	}
}

static void sig_connected_cb(void *arg)
{
	struct session *s = arg;
	s->t_signaling = util_now_ns();
	/* max_peers 2: a third party holding the room id cannot squeeze in (PROTOCOL.md §4). */
	sigclient_send(s->sig, sig_build_join(s->room, NULL, s->cli->token, 2));
}

static void sig_closed_cb(void *arg, const char *reason)
{
	struct session *s = arg;
	if (!s->authenticated)
		session_finish(s, EXIT_SIGNALING, "signaling server %s: %s", s->cli->server, reason);
}

/* ---------------------------------------------------------------- run */

int session_run(const struct cli *cli, const char *room, const uint8_t secret[SESSION_SECRET_LEN],
		const struct session_app *app)
{
	struct session s;
	char err[256];
	memset(&s, 0, sizeof(s));
	s.cli = cli;
	s.app = app;
	s.t_start = util_now_ns();
	snprintf(s.room, sizeof(s.room), "%s", room);
	memcpy(s.secret, secret, SESSION_SECRET_LEN);
	s.ice = cli->ice;
	s.loop = g_main_loop_new(NULL, FALSE);
	for (size_t i = 0; i < G_N_ELEMENTS(STOP_SIGNALS); i++)
		s.signal_src[i] = g_unix_signal_add(STOP_SIGNALS[i], on_signal, &s);

	struct sigclient_config scfg = {cli->server, cli->ca_file, cli->insecure};
	struct sigclient_callbacks scb = {sig_connected_cb, sig_message_cb, sig_closed_cb, &s};
	s.sig = sigclient_new(s.loop, &scfg, &scb, err, sizeof(err));
	if (!s.sig)
		session_finish(&s, EXIT_SIGNALING, "%s", err);
	else
		g_main_loop_run(s.loop);

	if (s.linger)
		g_source_remove(s.linger);
	if (s.peer) {
		peer_close(s.peer);
		/* Let the close flights (SCTP abort, close_notify, TURN release) leave. */
		for (int i = 0; i < 100 && g_main_context_iteration(NULL, FALSE); i++)
			;
	}
	peer_free(s.peer);
	lanes_free(s.lanes); /* after the peer: its last callbacks during close may reach it */
	sigclient_free(s.sig);
	for (size_t i = 0; i < G_N_ELEMENTS(STOP_SIGNALS); i++)
		g_source_remove(s.signal_src[i]);
	g_main_loop_unref(s.loop);
	memset(s.secret, 0, sizeof(s.secret));
	return s.exit_code;
}
