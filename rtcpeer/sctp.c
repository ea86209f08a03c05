#include "sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <usrsctp.h>

#include "log.h"

#define SCOPE "sctp"

/* usrsctp's own timer thread ticks every 10 ms; we tick from the GLib loop instead. */
#define SCTP_TICK_MS      10
/* usrsctp allocates per-stream state: 1024 is what libdatachannel negotiates (usrsctp #121). */
#define SCTP_STREAMS      1024
/* Send and receive space (libdatachannel; the 256/128 KiB defaults cap throughput on any
 * real RTT, Mozilla bug 1051685). Also bounds what usrsctp buffers for us. */
#define SCTP_BUFFER_SPACE (1024 * 1024)
#define SCTP_RECV_CHUNK   (64 * 1024)
#define SCTP_LANE_STREAMS 2

struct sctp {
	struct socket *sock;
	/* The AF_CONN address: the primary association itself, which lanes share (sctp.h). */
	struct sctp *primary;
	struct sctp_callbacks cb;
	enum sctp_state state;
	uint16_t local_port, remote_port;
	uint16_t streams;
	uint16_t want_streams;  /* what we ask for in INIT */
	size_t mtu;
	int buffer;             /* SO_SNDBUF and SO_RCVBUF */
	guint drain_idle;     /* pending usrsctp_recvv drain */
	int paused;           /* the application asked us to stop reading */
	int want_writable;    /* pending writable notification */
	uint8_t *rx;          /* reassembly of one partially delivered message */
	size_t rx_len, rx_cap;
	int rx_drop;          /* the message being reassembled is over the limit */
	uint32_t rx_ppid;
	uint16_t rx_sid;
	struct sctp *next_live;
};

/* ---------------------------------------------------------------- process-wide usrsctp */

/* Callbacks may name an association that was just freed (usrsctp issue #405): check the live
 * list before touching it, as libdatachannel does. */
static struct sctp *live;
static unsigned live_count;
static int usrsctp_ready;
static guint tick_source;
static gint64 tick_last;

static int is_live(const struct sctp *s)
{
	for (const struct sctp *p = live; p; p = p->next_live)
		if (p == s)
			return 1;
	return 0;
}

static gboolean on_tick(gpointer unused)
{
	(void)unused;
	gint64 now = g_get_monotonic_time();
	usrsctp_handle_timers((uint32_t)((now - tick_last) / 1000));
	tick_last = now;
	return G_SOURCE_CONTINUE;
}

/* addr is the registered address: the primary association, whichever association (primary or
 * lane) the packet belongs to. All of them go out through the primary's DTLS. */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	struct sctp *s = addr;
	(void)tos;
	(void)set_df;
	if (!is_live(s) || !s->cb.send)
		return -1;
	/* CRC32c offload is on (global_acquire): usrsctp neither computes nor checks the
	 * checksum, so we compute it for every outgoing packet. Browsers' SCTP verifies it and
	 * drops packets without one (RFC 9260 §6.8; the header's checksum is bytes 8..11). */
	if (len >= 12) {
		uint32_t *crc = (uint32_t *)buf + 2;
		*crc = 0;
		*crc = usrsctp_crc32c(buf, len);
	}
	/* Dropping is fine (SCTP retransmits); an error tells usrsctp the path is gone. */
	return s->cb.send(s->cb.arg, buf, len) < 0 ? -1 : 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void usrsctp_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("usrsctp", "%s", line);
}

/* RFC-backed and libdatachannel-proven settings; see WEBRTC-NOTES §4.4. */
static void global_settings(void)
{
	usrsctp_sysctl_set_sctp_sendspace(SCTP_BUFFER_SPACE);
	usrsctp_sysctl_set_sctp_recvspace(SCTP_BUFFER_SPACE);
	usrsctp_sysctl_set_sctp_max_chunks_on_queue(10240);   /* many small messages */
	usrsctp_sysctl_set_sctp_initial_cwnd(10);             /* RFC 6928 */
	usrsctp_sysctl_set_sctp_max_burst_default(10);
	usrsctp_sysctl_set_sctp_default_cc_module(0);         /* H-TCP crashed: usrsctp #297 */
	usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
	usrsctp_sysctl_set_sctp_rto_min_default(200);
	/* 2 s, not libdatachannel's 10: a peer that died is noticed in about 7 s of sending
	 * (0.2+0.4+0.8+1.6+2+2 s of retransmissions) instead of half a minute. */
	usrsctp_sysctl_set_sctp_rto_max_default(2000);
	usrsctp_sysctl_set_sctp_rto_initial_default(1000);
	usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
	usrsctp_sysctl_set_sctp_init_rtx_max_default(5);
	usrsctp_sysctl_set_sctp_assoc_rtx_max_default(5);
	usrsctp_sysctl_set_sctp_path_rtx_max_default(5);
	usrsctp_sysctl_set_sctp_heartbeat_interval_default(2500); /* consent.h */
	usrsctp_sysctl_set_sctp_ecn_enable(0);                 /* no ECN through DTLS */
	usrsctp_sysctl_set_sctp_pr_enable(1);                  /* RFC 3758 for unreliable channels */
}

static void global_acquire(void)
{
	if (!usrsctp_ready) {
		usrsctp_init_nothreads(0, conn_output,
				       log_max_level >= LOG_DEBUG ? usrsctp_log : NULL);
		/* DTLS authenticates every packet, so checking the CRC of incoming ones is wasted
		 * work; outgoing ones still get it, in conn_output (peers check it). */
		usrsctp_enable_crc32c_offload();
		global_settings();
		usrsctp_ready = 1;
	}
	if (live_count++ == 0) {
		tick_last = g_get_monotonic_time();
		tick_source = g_timeout_add(SCTP_TICK_MS, on_tick, NULL);
	}
}

static void global_release(void)
{
	if (--live_count > 0)
		return;
	g_source_remove(tick_source);
	tick_source = 0;
	/* usrsctp_finish() frees the stack once no association is left. Closed associations go
	 * away on timers in threadless mode, but running those timers here, after the sockets are
	 * closed, deadlocked inside usrsctp 0.9.5 (sctp_timeout_handler, with lanes on one
	 * address). So one try: what it cannot free yet stays for the next user, or for exit (it
	 * stays reachable from usrsctp's globals, so LeakSanitizer does not count it). */
	if (usrsctp_finish() == 0)
		usrsctp_ready = 0;
}

const char *sctp_state_name(enum sctp_state state)
{
	static const char *const names[] = {"new", "connecting", "connected", "closed", "failed"};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static void set_state(struct sctp *s, enum sctp_state state)
{
	if (s->state == state)
		return;
	s->state = state;
	log_debug(SCOPE, "state %s", sctp_state_name(state));
	if (s->cb.state)
		s->cb.state(s->cb.arg, state);
}

/* ---------------------------------------------------------------- receiving */

static void on_assoc_change(struct sctp *s, const struct sctp_assoc_change *ac)
{
	if (ac->sac_state == SCTP_COMM_UP) {
		s->streams = ac->sac_inbound_streams < ac->sac_outbound_streams
				     ? ac->sac_inbound_streams
				     : ac->sac_outbound_streams;
		log_debug(SCOPE, "association up, %u streams", s->streams);
		set_state(s, SCTP_CONNECTED);
	} else if (ac->sac_state == SCTP_COMM_LOST || ac->sac_state == SCTP_CANT_STR_ASSOC) {
		set_state(s, SCTP_FAILED);
	} else if (ac->sac_state == SCTP_SHUTDOWN_COMP) {
		set_state(s, SCTP_CLOSED);
	}
}

static void on_stream_reset(struct sctp *s, const struct sctp_stream_reset_event *ev)
{
	if (!(ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN))
		return;
	size_t n = (ev->strreset_length - sizeof(*ev)) / sizeof(uint16_t);
	for (size_t i = 0; i < n && s->cb.stream_reset; i++)
		s->cb.stream_reset(s->cb.arg, ev->strreset_stream_list[i]);
}

static void on_notification(struct sctp *s, const union sctp_notification *n, size_t len)
{
	if (len < sizeof(n->sn_header) || len != n->sn_header.sn_length)
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len >= sizeof(n->sn_assoc_change))
			on_assoc_change(s, &n->sn_assoc_change);
		break;
	case SCTP_STREAM_RESET_EVENT:
		if (len >= sizeof(n->sn_strreset_event))
			on_stream_reset(s, &n->sn_strreset_event);
		break;
	case SCTP_SENDER_DRY_EVENT: /* safety net for a missed SCTP_EVENT_WRITE */
		if (s->cb.writable)
			s->cb.writable(s->cb.arg);
		break;
	default:
		break;
	}
}

/* Grows the reassembly buffer as a message needs it, up to SCTP_MAX_MESSAGE: with many lanes,
 * a fixed 256 KiB per association would cost megabytes for messages that are mostly 64 KiB. */
static int grow_rx(struct sctp *s, size_t need)
{
	if (need <= s->rx_cap)
		return 0;
	size_t cap = s->rx_cap ? s->rx_cap : SCTP_RECV_CHUNK;
	while (cap < need)
		cap *= 2;
	if (cap > SCTP_MAX_MESSAGE)
		cap = SCTP_MAX_MESSAGE;
	uint8_t *p = realloc(s->rx, cap);
	if (!p)
		return -1;
	s->rx = p;
	s->rx_cap = cap;
	return 0;
}

/* Appends one partial delivery; returns 1 when a whole message is in s->rx. Messages over
 * SCTP_MAX_MESSAGE (what we advertised) are dropped whole, never buffered. */
static int reassemble(struct sctp *s, const uint8_t *buf, size_t n, int eor)
{
	if (!s->rx_drop && s->rx_len + n <= SCTP_MAX_MESSAGE) {
		if (grow_rx(s, s->rx_len + n) == 0) {
			memcpy(s->rx + s->rx_len, buf, n);
			s->rx_len += n;
		} else {
			s->rx_drop = 1;
		}
	} else if (!s->rx_drop) {
		log_warn(SCOPE, "dropping a message larger than %d bytes on stream %u",
			 SCTP_MAX_MESSAGE, s->rx_sid);
		s->rx_drop = 1;
	}
	if (!eor)
		return 0;
	int whole = !s->rx_drop;
	if (!whole)
		s->rx_len = 0;
	s->rx_drop = 0;
	return whole;
}

static void deliver(struct sctp *s, const uint8_t *buf, size_t n, int flags,
		    const struct sctp_rcvinfo *info)
{
	if (flags & MSG_NOTIFICATION) {
		on_notification(s, (const union sctp_notification *)(const void *)buf, n);
		return;
	}
	uint16_t sid = info->rcv_sid;
	uint32_t ppid = ntohl(info->rcv_ppid);
	if ((flags & MSG_EOR) && s->rx_len == 0 && !s->rx_drop) {
		s->cb.message(s->cb.arg, sid, ppid, buf, n); /* whole message, no copy */
		return;
	}
	s->rx_sid = sid;
	s->rx_ppid = ppid;
	if (reassemble(s, buf, n, flags & MSG_EOR)) {
		size_t len = s->rx_len;
		s->rx_len = 0;
		s->cb.message(s->cb.arg, s->rx_sid, s->rx_ppid, s->rx, len);
	}
}

/* Not called from the upcall: usrsctp may hold locks there (WEBRTC-NOTES §4.2). */
static gboolean drain(gpointer arg)
{
	struct sctp *s = arg;
	static uint8_t buf[SCTP_RECV_CHUNK];
	s->drain_idle = 0;

	while (!s->paused) {
		struct sctp_rcvinfo info;
		socklen_t fromlen = 0, infolen = sizeof(info);
		unsigned infotype = 0;
		int flags = 0;
		memset(&info, 0, sizeof(info));
		ssize_t n = usrsctp_recvv(s->sock, buf, sizeof(buf), NULL, &fromlen, &info, &infolen,
					  &infotype, &flags);
		if (n < 0)
			break; /* EWOULDBLOCK: drained */
		if (n == 0) {
			set_state(s, SCTP_CLOSED);
			break;
		}
		deliver(s, buf, (size_t)n, flags, &info);
		if (!is_live(s) || s->state == SCTP_CLOSED || s->state == SCTP_FAILED)
			return G_SOURCE_REMOVE; /* a callback closed us */
	}
	if (s->want_writable) {
		s->want_writable = 0;
		if (s->cb.writable)
			s->cb.writable(s->cb.arg);
	}
	return G_SOURCE_REMOVE;
}

void sctp_deliver_pending(struct sctp *s)
{
	if (!s->drain_idle)
		return; /* nothing arrived since the last drain */
	g_source_remove(s->drain_idle);
	drain(s);
}

static void upcall(struct socket *sock, void *arg, int unused)
{
	struct sctp *s = arg;
	(void)unused;
	if (!is_live(s))
		return;
	int ev = usrsctp_get_events(sock);
	if (ev & SCTP_EVENT_WRITE)
		s->want_writable = 1;
	if ((ev & (SCTP_EVENT_READ | SCTP_EVENT_WRITE)) && !s->drain_idle)
		s->drain_idle = g_idle_add(drain, s);
}

/* usrsctp finds the association by the packet's ports: the primary's and every lane's. */
void sctp_input(struct sctp *s, const uint8_t *buf, size_t len)
{
	if (s->primary || s->state == SCTP_NEW || s->state == SCTP_CLOSED ||
	    s->state == SCTP_FAILED)
		return;
	usrsctp_conninput(s, buf, len, 0);
}

/* ---------------------------------------------------------------- setup */

static int set_opt(struct sctp *s, int level, int name, const void *val, socklen_t len,
		   const char *what)
{
	if (usrsctp_setsockopt(s->sock, level, name, val, len) == 0)
		return 0;
	log_error(SCOPE, "setsockopt %s: %s", what, strerror(errno));
	return -1;
}

#define COMMON_HEADER 12 /* RFC 9260 §3.1 */
#define DATA_HEADER   16 /* RFC 9260 §3.3.1 */

/* For an AF_CONN address usrsctp adds the common header to the path MTU it is given
 * (measured: 1172 gave packets of 1184 bytes), so ask for that much less. */
static uint32_t path_mtu(size_t packet)
{
	return (uint32_t)(packet - COMMON_HEADER);
}

static int socket_options(struct sctp *s)
{
	const struct linger lg = {1, 0}; /* abort on close: no callbacks after it */
	const struct sctp_assoc_value reset = {SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
	const struct sctp_initmsg init = {.sinit_num_ostreams = s->want_streams,
					  .sinit_max_instreams = s->want_streams};
	const int on = 1, level0 = 0, space = s->buffer;
	static const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT,
					  SCTP_SENDER_DRY_EVENT};
	struct sctp_paddrparams pp;

	memset(&pp, 0, sizeof(pp));
	/* usrsctp has no PLPMTUD (usrsctp #205): fix the path MTU to what DTLS can carry. */
	pp.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_ENABLE;
	pp.spp_pathmtu = path_mtu(s->mtu);
	if (usrsctp_set_non_blocking(s->sock, 1) < 0 ||
	    set_opt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg), "SO_LINGER") < 0 ||
	    set_opt(s, SOL_SOCKET, SO_SNDBUF, &space, sizeof(space), "SO_SNDBUF") < 0 ||
	    set_opt(s, SOL_SOCKET, SO_RCVBUF, &space, sizeof(space), "SO_RCVBUF") < 0 ||
	    set_opt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset), "RESET") < 0 ||
	    set_opt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on), "RECVRCVINFO") < 0 ||
	    /* RFC 8831 §6.6: SHOULD disable Nagle. */
	    set_opt(s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on), "NODELAY") < 0 ||
	    set_opt(s, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &level0, sizeof(level0),
		    "FRAGMENT_INTERLEAVE") < 0 ||
	    set_opt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init), "INITMSG") < 0 ||
	    set_opt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp), "PADDRPARAMS") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct sctp_event ev = {SCTP_ALL_ASSOC, events[i], 1};
		if (set_opt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev), "EVENT") < 0)
			return -1;
	}
	return 0;
}

static struct sctp *create(struct sctp *primary, uint16_t local_port, uint16_t remote_port,
			   size_t mtu, const struct sctp_callbacks *cb, uint16_t streams, size_t buffer)
{
	if (mtu < SCTP_MIN_MTU)
		return NULL;
	struct sctp *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cb = *cb;
	s->primary = primary;
	s->local_port = local_port;
	s->remote_port = remote_port;
	s->mtu = mtu;
	s->want_streams = streams;
	s->buffer = (int)buffer;
	global_acquire();
	s->next_live = live;
	live = s;
	if (!primary)
		usrsctp_register_address(s);
	s->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (!s->sock || socket_options(s) < 0) {
		sctp_free(s);
		return NULL;
	}
	usrsctp_set_upcall(s->sock, upcall, s);
	return s;
}

struct sctp *sctp_new(uint16_t local_port, uint16_t remote_port, size_t mtu,
		      const struct sctp_callbacks *cb)
{
	return create(NULL, local_port, remote_port, mtu, cb, SCTP_STREAMS, SCTP_BUFFER_SPACE);
}

struct sctp *sctp_new_lane(struct sctp *primary, uint16_t port, size_t buffer,
			   const struct sctp_callbacks *cb)
{
	if (primary->primary || port == primary->local_port || port == primary->remote_port)
		return NULL;
	/* A lane carries one data channel: two streams are plenty, and usrsctp's per-stream
	 * state stays small however many lanes there are. */
	return create(primary, port, port, primary->mtu, cb, SCTP_LANE_STREAMS, buffer);
}

int sctp_set_send_buffer(struct sctp *s, size_t bytes)
{
	const int space = (int)bytes;
	return set_opt(s, SOL_SOCKET, SO_SNDBUF, &space, sizeof(space), "SO_SNDBUF");
}

int sctp_srtt_ms(const struct sctp *s)
{
	struct sctp_status st;
	socklen_t len = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (!s->sock || usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
		return -1;
	return (int)st.sstat_primary.spinfo_srtt;
}

static struct sockaddr_conn conn_addr(struct sctp *s, uint16_t port)
{
	struct sockaddr_conn a;
	memset(&a, 0, sizeof(a));
	a.sconn_family = AF_CONN;
	a.sconn_port = htons(port);
	/* One pointer for both ends: our handle, not the peer's (WEBRTC-NOTES §4.1). Lanes use
	 * the primary's, so one usrsctp_conninput() reaches every association and usrsctp tells
	 * them apart by port. */
	a.sconn_addr = s->primary ? s->primary : s;
	return a;
}

int sctp_start(struct sctp *s)
{
	struct sockaddr_conn local = conn_addr(s, s->local_port);
	struct sockaddr_conn remote = conn_addr(s, s->remote_port);

	if (s->state != SCTP_NEW)
		return -1;
	if (usrsctp_bind(s->sock, (struct sockaddr *)&local, sizeof(local)) < 0) {
		log_error(SCOPE, "bind: %s", strerror(errno));
		return -1;
	}
	set_state(s, SCTP_CONNECTING);
	if (usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof(remote)) < 0 &&
	    errno != EINPROGRESS) {
		log_error(SCOPE, "connect: %s", strerror(errno));
		set_state(s, SCTP_FAILED);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- sending */

int sctp_send(struct sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len,
	      const struct sctp_msg_opts *opts)
{
	struct sctp_sendv_spa spa;

	if (s->state != SCTP_CONNECTED || len == 0)
		return -1;
	memset(&spa, 0, sizeof(spa));
	spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
	spa.sendv_sndinfo.snd_sid = sid;
	spa.sendv_sndinfo.snd_ppid = htonl(ppid);
	spa.sendv_sndinfo.snd_flags = SCTP_EOR | (opts && opts->unordered ? SCTP_UNORDERED : 0);
	if (opts && opts->pr != SCTP_RELIABLE) {
		spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
		spa.sendv_prinfo.pr_policy = opts->pr == SCTP_PR_RTX ? SCTP_PR_SCTP_RTX
								    : SCTP_PR_SCTP_TTL;
		spa.sendv_prinfo.pr_value = opts->pr_value;
	}
	if (usrsctp_sendv(s->sock, buf, len, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0) >= 0)
		return 0;
	if (errno == EWOULDBLOCK || errno == EAGAIN)
		return SCTP_WOULD_BLOCK;
	log_debug(SCOPE, "send on stream %u: %s", sid, strerror(errno));
	return -1;
}

int sctp_reset_stream(struct sctp *s, uint16_t sid)
{
	uint8_t raw[sizeof(struct sctp_reset_streams) + sizeof(uint16_t)];
	struct sctp_reset_streams *rs = (struct sctp_reset_streams *)(void *)raw;

	if (s->state != SCTP_CONNECTED)
		return -1;
	memset(raw, 0, sizeof(raw));
	rs->srs_assoc_id = SCTP_ALL_ASSOC;
	rs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
	rs->srs_number_streams = 1;
	rs->srs_stream_list[0] = sid;
	if (usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, rs, sizeof(raw)) == 0 ||
	    errno == EINVAL) /* EINVAL: already reset */
		return 0;
	log_debug(SCOPE, "reset of stream %u: %s", sid, strerror(errno));
	return -1;
}

void sctp_pause_reading(struct sctp *s, int paused)
{
	s->paused = paused;
	if (!paused && !s->drain_idle)
		s->drain_idle = g_idle_add(drain, s);
}

int sctp_drained(struct sctp *s)
{
	struct sctp_status st;
	socklen_t len = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (s->state != SCTP_CONNECTED ||
	    usrsctp_getsockopt(s->sock, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
		return 1; /* nothing more will be acknowledged anyway */
	return st.sstat_unackdata == 0 && st.sstat_penddata == 0;
}

size_t sctp_chunk_payload(const struct sctp *s)
{
	/* usrsctp's fragmentation point: the packet less the common and DATA chunk headers, down
	 * to a multiple of 4 (measured: 1363-byte packets carry 1332). */
	return (s->mtu - COMMON_HEADER - DATA_HEADER) & ~(size_t)3;
}

size_t sctp_packet_size(const struct sctp *s)
{
	return s->mtu;
}

uint16_t sctp_streams(const struct sctp *s)
{
	return s->streams;
}

void sctp_close(struct sctp *s)
{
	if (s->state == SCTP_CONNECTED || s->state == SCTP_CONNECTING)
		usrsctp_shutdown(s->sock, SHUT_RDWR);
	if (s->state != SCTP_FAILED)
		set_state(s, SCTP_CLOSED);
}

void sctp_free(struct sctp *s)
{
	if (!s)
		return;
	if (s->drain_idle)
		g_source_remove(s->drain_idle);
	if (s->sock) {
		usrsctp_set_upcall(s->sock, NULL, NULL);
		usrsctp_close(s->sock);
	}
	if (!s->primary)
		usrsctp_deregister_address(s);
	for (struct sctp **pp = &live; *pp; pp = &(*pp)->next_live) {
		if (*pp == s) {
			*pp = s->next_live;
			break;
		}
	}
	free(s->rx);
	free(s);
	global_release();
}
