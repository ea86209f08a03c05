/*
 * sigload - load generator for signald (rtc-signal.v1 over WebSocket, proto/PROTOCOL.md).
 *
 *   sigload idle   --conns N [--procs P] [--hold S]        hold N joined connections
 *   sigload relay  --rooms R [--msg-size B] [--rate M]     2 peers per room trade candidates
 *   sigload fanout --peers N                               1 publisher, N-1 receivers
 *   sigload joins  --conns N                               connect all, then time the joins
 *
 * Process model: the parent forks --procs workers and never touches a socket. Each worker owns
 * a disjoint share of the connections (a room never spans two workers, so a sender can see its
 * partner's receive counter in memory), runs one lws client context on the default poll loop,
 * and writes a fixed-size `struct report` (counters + latency histogram) into its pipe twice:
 * READY when its setup is done, RESULT at the end. The parent waits for every READY before it
 * tells all workers to GO, so the measured windows of all workers line up.
 *
 * Why fork rather than threads: the fd limit is per process (20,000 hard here) and an lws
 * context's poll loop is single-threaded; P processes give P loops and P fd tables for free.
 *
 * Latency: the sender writes CLOCK_MONOTONIC ns into the payload just before lws_write(); the
 * receiver subtracts. All processes are on one machine, so the clocks are the same clock.
 *
 * Hot path: relayed bench messages are recognised with memmem() instead of a JSON parse (the
 * tool must do less work per message than signald, or it measures itself). Everything else
 * (joined, errors, peer-joined, ...) goes through sig_parse_server().
 */
/* memmem(3) and sched_getaffinity(2) are GNU extensions; declare them before any header. */
#define _GNU_SOURCE

#include "lathist.h"
#include "opt.h"
#include "signal_msg.h"
#include "util.h"

#include <libwebsockets.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- Limits and tuning (each with the reason it has this value). ----------------------------- */

#define SIGLOAD_MAX_PROCS     64
#define FD_HEADROOM           64        /* lws cancel pipe, stdio, our pipes, a few spare */
#define FD_PER_PROC           4         /* pipe fds a worker may inherit per sibling, worst case */
#define RX_CHUNK              4096      /* lws rx buffer per connection; bigger messages fragment */
#define RX_MAX                (1u << 20) /* > signald's largest allowed message (64 KiB default) */
#define STAMP_MARK            "sl1t="   /* precedes the 20-digit send time in every bench payload */
#define STAMP_DIGITS          20        /* UINT64_MAX has 20 decimal digits */
#define DRAIN_NS              2000000000ull /* after the window: wait this long for in-flight */
#define KILL_GRACE_S          5         /* parent: after --timeout, SIGTERM; this much later, KILL */
#define CREDIT_MAX            64        /* paced: sends owed to one connection before we skip */
/* lws 4.1's default for timeout_secs is 5 s, which also bounds a client's wait for the 101:
 * under a burst an overloaded server then looks like it refuses connections. Be patient and
 * report slowness as slowness. */
#define HANDSHAKE_TIMEOUT_S   20
#define STUCK_NS              30000000000ull /* older than this, lws has lost the handshake
						* without telling us: write it off */
#define SATURATED             0.90      /* a CPU share above this means "was the bottleneck" */

#define TICK_CONNECT_US  20000  /* opening connections: each tick polls every fd, keep it rare */
#define TICK_PACED_US    1000   /* paced sending: 1 ms, so a 10k/s schedule is not bursty */
#define TICK_RUN_US      10000
#define TICK_HOLD_US     100000 /* idle hold: nothing to do but notice a signal */

/* --- Configuration. -------------------------------------------------------------------------- */

enum mode { MODE_IDLE, MODE_RELAY, MODE_FANOUT, MODE_JOINS, MODE_COUNT };

static const char *const mode_names[MODE_COUNT] = {"idle", "relay", "fanout", "joins"};

#define M_IDLE   (1u << MODE_IDLE)
#define M_RELAY  (1u << MODE_RELAY)
#define M_FANOUT (1u << MODE_FANOUT)
#define M_JOINS  (1u << MODE_JOINS)
#define M_ALL    (M_IDLE | M_RELAY | M_FANOUT | M_JOINS)

#define UNSET ULONG_MAX

struct config {
	unsigned long conns, procs, connect_rate, max_pending, hold, room_size, rooms, msg_size,
		duration, rate, window, peers, timeout, server_pid, source_ips;
	int verbose, help;
	const char *prefix;
	/* derived */
	enum mode mode;
	char host[256];
	int port;
	char path[512];
	char url[800];
	unsigned long total_conns;
	bool loopback;          /* the target is 127.x.x.x: --source-ips applies */
	char room_prefix[40];
};

#define FIELD(f) offsetof(struct config, f)

/* The one option table: command line, SIGLOAD_* environment, defaults, bounds and --help. */
static const struct opt_def opt_defs[] = {
	{"conns", 'n', OPT_UINT, "N", "1000", 1, 1000000, FIELD(conns),
	 "idle, joins: connections to open (spread over --procs)"},
	{"procs", 'P', OPT_UINT, "P", "1", 1, SIGLOAD_MAX_PROCS, FIELD(procs),
	 "worker processes (one lws loop and one fd table each)"},
	{"connect-rate", 0, OPT_UINT, "N", NULL, 0, 1000000, FIELD(connect_rate),
	 "new connections per second, all workers together; 0 = only --max-pending bounds it "
	 "[default: 2000; joins: 0]"},
	{"max-pending", 0, OPT_UINT, "N", "512", 1, 100000, FIELD(max_pending),
	 "handshakes in flight, all workers together (too many, and a busy server answers some "
	 "upgrades only after the 20 s handshake timeout)"},
	{"hold", 0, OPT_UINT, "SECS", "0", 0, 86400, FIELD(hold),
	 "idle: hold this long after setup; 0 = until SIGINT/SIGTERM or --timeout"},
	{"room-size", 0, OPT_UINT, "K", "2", 1, 65535, FIELD(room_size),
	 "idle, joins: members per room (1 = every connection its own room, 2 = pairs)"},
	{"rooms", 'r', OPT_UINT, "R", "100", 1, 500000, FIELD(rooms), "relay: rooms of 2 peers"},
	{"msg-size", 's', OPT_UINT, "BYTES", "600", 64, 1048576, FIELD(msg_size),
	 "relay, fanout: size of each sent JSON frame (padded)"},
	{"duration", 'd', OPT_UINT, "SECS", "10", 1, 86400, FIELD(duration),
	 "relay, fanout: length of the measured window"},
	{"rate", 0, OPT_UINT, "M", "0", 0, 10000000, FIELD(rate),
	 "relay, fanout: total messages per second; 0 = as fast as the window allows"},
	{"window", 'w', OPT_UINT, "W", "8", 1, 4096, FIELD(window),
	 "relay, fanout: messages in flight per sender (per receiver for fanout)"},
	{"peers", 0, OPT_UINT, "N", "50", 2, 65535, FIELD(peers), "fanout: members of the one room"},
	{"timeout", 't', OPT_UINT, "SECS", "120", 1, 86400, FIELD(timeout),
	 "give up (and report what was measured) after this long"},
	{"source-ips", 0, OPT_UINT, "N", "16", 0, 250, FIELD(source_ips),
	 "loopback targets: spread each worker's connections over N source addresses "
	 "127.0.W.1..N (0 = let the kernel pick 127.0.0.1)"},
	{"server-pid", 0, OPT_UINT, "PID", "0", 0, 4194304, FIELD(server_pid),
	 "report this process's CPU use over the measured phase (e.g. signald's pid)"},
	{"room-prefix", 0, OPT_STRING, "STR", NULL, 0, 0, FIELD(prefix),
	 "room id prefix (default: random per run, so runs never share rooms)"},
	{"verbose", 'v', OPT_FLAG, NULL, NULL, 0, 0, FIELD(verbose),
	 "let libwebsockets log warnings and notices"},
	{"help", 'h', OPT_FLAG, NULL, NULL, 0, 0, FIELD(help), "this help"},
};

#define NDEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Which modes an option means something to; setting it for another mode is a mistake. */
static const struct {
	const char *name;
	unsigned modes;
} opt_modes[] = {
	{"conns", M_IDLE | M_JOINS},    {"hold", M_IDLE},         {"room-size", M_IDLE | M_JOINS},
	{"rooms", M_RELAY},             {"msg-size", M_RELAY | M_FANOUT},
	{"duration", M_RELAY | M_FANOUT}, {"rate", M_RELAY | M_FANOUT},
	{"window", M_RELAY | M_FANOUT}, {"peers", M_FANOUT},
};

/* --- What a worker reports. ------------------------------------------------------------------ */

enum rep_kind { REP_READY = 1, REP_RESULT = 2 };

enum stop_reason { STOP_NONE, STOP_DONE, STOP_SIGNAL, STOP_TIMEOUT, STOP_PARENT, STOP_FAILED };

static const char *const stop_names[] = {"none", "done", "signal", "timeout", "parent-gone",
					 "failed"};

enum close_kind { CK_NONE, CK_1000, CK_1001, CK_1008, CK_1009, CK_1013, CK_OTHER, CK_COUNT };

static const char *const close_names[CK_COUNT] = {"no-close-frame", "1000", "1001", "1008",
						  "1009", "1013", "other"};

/* How busy the CPUs that sigload and the server may run on were. On a shared machine a process
 * can be CPU-bound at 50 % of a core because something else has the other half: its own CPU
 * share alone would call that "not saturated". Measured as wall time minus idle time from
 * /proc/stat: idle is accounted exactly (nohz), while user/system there are tick samples that
 * miss short bursts (a 1 ms-paced sender showed 22 % CPU on a "2 % busy" core). */
struct core_use {
	uint64_t wall_ns;
	uint64_t tool_idle, srv_idle; /* USER_HZ jiffies, idle + iowait */
	uint32_t tool_ncpu, srv_ncpu;
};

/* Fixed size, no pointers: it crosses a pipe from worker to parent. Times are CLOCK_MONOTONIC
 * ns, which every process on the machine shares, so the parent can compare them. */
struct report {
	uint32_t kind;
	uint32_t worker;
	uint32_t stop;
	uint32_t ready_ok;            /* setup finished (not cut short by timeout/signal) */
	uint64_t conns;               /* connections this worker owns */
	uint64_t established, connect_failed;
	uint64_t joined, join_failed;
	uint64_t units_ready;         /* relay: rooms with both peers joined; fanout: receivers */
	uint64_t closed_by_server;    /* closed after the handshake, not by us */
	uint64_t closed_by_us;        /* we gave up on it (write failed, message too big) */
	uint64_t dropped_in_run;      /* of closed_by_server: during the measured phase */
	uint64_t open_at_end;         /* open and joined when the run ended */
	uint64_t peer_joined, peer_left;
	uint64_t sent, received, received_in_window;
	uint64_t refused;             /* bench messages the server answered with an error */
	uint64_t misrouted;           /* bench message whose "from" is not the expected sender */
	uint64_t unexpected;          /* well-formed but not what this mode expects */
	uint64_t bad_messages;        /* unparsable, binary, oversize */
	uint64_t paced_missed;        /* paced sends skipped because a connection was still owed */
	uint64_t stuck;               /* handshakes lws never finished nor failed (STUCK_NS) */
	uint64_t orphan_errors;       /* CONNECTION_ERROR for a connection lws could not name */
	uint64_t errors[SIG_ERROR_COUNT];
	uint64_t errors_other;
	uint64_t closes[CK_COUNT];
	uint64_t t_start, t_last_open, t_setup_end, t_run_start, t_run_end, t_last_join;
	uint64_t cpu_setup, cpu_run;  /* this worker's CPU ns in those phases */
	uint64_t srv_cpu_setup, srv_cpu_run; /* --server-pid's CPU ns (worker 0 only) */
	uint32_t srv_cpu_valid;
	uint32_t frame_bytes;         /* size of the bench frames actually sent */
	struct core_use core_setup, core_run; /* worker 0 only */
	char first_error[160];
	struct lathist lat;
};

/* --- Worker state. --------------------------------------------------------------------------- */

enum conn_state { C_IDLE, C_CONNECTING, C_OPEN, C_FAILED, C_CLOSED };

struct worker;

struct conn {
	struct worker *w;
	struct lws *wsi;
	enum conn_state state;
	unsigned index;             /* in this worker */
	unsigned room;              /* this worker's room number */
	bool settled;               /* counted towards setup completion */
	bool join_sent, joined, join_failed, join_settled;
	bool write_requested;       /* lws_callback_on_writable() pending */
	bool closing_by_us;
	uint16_t close_code;        /* from the server's close frame, 0 if none */
	uint64_t sent, rx;          /* bench messages */
	uint64_t refused;           /* of sent: answered with an error (e.g. rate-limited) */
	uint64_t credits;           /* paced: sends granted, not yet made */
	uint64_t t_join_sent;
	uint64_t t_open;            /* connect started */
	char peer_id[SIG_PEER_ID_MAX_LEN + 1];
	char *tx;                   /* frame template (senders only); copied out for each send */
	size_t tx_len, stamp_off;   /* frame length; offset of the timestamp digits in it */
	char from_needle[SIG_PEER_ID_MAX_LEN + 16]; /* "from":"<expected sender>" */
	size_t from_needle_len;
	char src[24];               /* source address to bind, "" = any */
	char *rxbuf;                /* only while a fragmented message is being assembled */
	size_t rxlen, rxcap;
	bool rx_overflow;
};

enum phase { PH_CONNECT, PH_WAIT_GO, PH_RUN, PH_DRAIN, PH_DONE };

struct worker {
	const struct config *cfg;
	unsigned index;
	struct lws_context *ctx;
	int tick_fd;                 /* timerfd driving tick(); adopted into the lws loop */
	unsigned tick_us;            /* its current period */
	struct conn *conns;
	unsigned nconns, nrooms;
	unsigned room_size;
	unsigned next_open, pending, settled, join_target, join_settled;
	double open_tokens, send_tokens, connect_rate, send_rate;
	unsigned max_pending;        /* this worker's share of --max-pending */
	uint64_t last_tick;
	unsigned rr;                 /* paced: round-robin position */
	enum phase phase;
	bool finished;
	uint64_t deadline, run_end, drain_end, next_stuck_check;
	uint64_t cpu_mark, srv_mark;
	struct core_use core_mark;   /* absolute /proc/stat readings at the last mark */
	cpu_set_t tool_cpus, srv_cpus;
	bool have_srv_cpus;
	int ctl_fd, res_fd;
	unsigned char *txbuf;        /* LWS_PRE + a frame: lws masks client frames in place */
	size_t txcap;
	struct report rep;
};

static volatile sig_atomic_t g_stop;

static void tick(struct worker *w);

static void on_stop_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* --- Small helpers. -------------------------------------------------------------------------- */

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* utime + stime of another process, from /proc/PID/stat fields 14 and 15. */
static int proc_cpu_ns(unsigned long pid, uint64_t *out)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	/* The command name (field 2) may contain spaces and parentheses: skip to the last ')'. */
	const char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		goto out;
	long hz = sysconf(_SC_CLK_TCK);
	*out = (ut + st) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
	rc = 0;
out:
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void note_error(struct worker *w, const char *fmt, ...)
{
	if (w->rep.first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->rep.first_error, sizeof(w->rep.first_error), fmt, ap);
	va_end(ap);
}

/* Share i of `total` split over n as evenly as possible. */
static unsigned long share_of(unsigned long total, unsigned long n, unsigned long i)
{
	return total / n + (i < total % n ? 1 : 0);
}

static bool joins_at_connect(const struct worker *w)
{
	return w->cfg->mode != MODE_JOINS;
}

static void request_write(struct conn *c)
{
	if (c->write_requested || c->state != C_OPEN)
		return;
	c->write_requested = true;
	lws_callback_on_writable(c->wsi);
}

static void settle(struct conn *c)
{
	if (c->settled)
		return;
	c->settled = true;
	c->w->settled++;
}

static void join_settle(struct conn *c, uint64_t now)
{
	struct worker *w = c->w;
	if (c->join_settled || w->phase != PH_RUN || w->cfg->mode != MODE_JOINS)
		return;
	c->join_settled = true;
	w->join_settled++;
	w->rep.t_last_join = now;
}

static void room_id(const struct worker *w, unsigned room, char *out, size_t cap)
{
	snprintf(out, cap, "%s-%u-%u", w->cfg->room_prefix, w->index, room);
}

/* --- Sending. -------------------------------------------------------------------------------- */

/* The peer whose receive counter limits c's window: relay partner; fanout: all receivers. */
static uint64_t in_flight(const struct conn *c)
{
	const struct worker *w = c->w;
	/* A message the server refused will never arrive: it no longer occupies the window. */
	uint64_t sent = c->sent - c->refused;
	if (w->cfg->mode == MODE_RELAY)
		return sent - w->conns[c->index ^ 1u].rx;
	/* fanout: bounded by the slowest receiver that is still connected. */
	uint64_t min_rx = sent;
	for (unsigned i = 1; i < w->nconns; i++)
		if (w->conns[i].state == C_OPEN && w->conns[i].joined && w->conns[i].rx < min_rx)
			min_rx = w->conns[i].rx;
	return sent - min_rx;
}

static bool wants_to_send(const struct conn *c)
{
	const struct worker *w = c->w;
	if (w->phase != PH_RUN || c->state != C_OPEN || !c->tx)
		return false;
	if (w->cfg->rate && c->credits == 0)
		return false;
	return in_flight(c) < w->cfg->window;
}

static void put_stamp(unsigned char *at, uint64_t v)
{
	for (int i = STAMP_DIGITS - 1; i >= 0; i--) {
		at[i] = (unsigned char)('0' + v % 10);
		v /= 10;
	}
}

/* A client must mask its frames (RFC 6455 §5.3) and lws XORs the mask into the payload in
 * place, so every send starts from a fresh copy in the worker's tx buffer. lws also copies
 * whatever the kernel does not take at once, so the buffer is free again after lws_write(). */
static int send_bench(struct conn *c)
{
	struct worker *w = c->w;
	unsigned char *frame = w->txbuf + LWS_PRE;

	memcpy(frame, c->tx, c->tx_len);
	put_stamp(frame + c->stamp_off, util_now_ns());
	if (lws_write(c->wsi, frame, c->tx_len, LWS_WRITE_TEXT) < (int)c->tx_len) {
		note_error(w, "lws_write failed on a bench message");
		c->closing_by_us = true;
		return -1;
	}
	c->sent++;
	w->rep.sent++;
	if (c->credits)
		c->credits--;
	if (wants_to_send(c))
		request_write(c);
	return 0;
}

static int send_join(struct conn *c)
{
	struct worker *w = c->w;
	char room[SIG_ROOM_MAX_LEN + 1];
	size_t len;
	int rc = -1;

	room_id(w, c->room, room, sizeof(room));
	/* max_peers = the room size we intend: the server caps it anyway; 1 is not a valid cap. */
	json_t *msg = sig_build_join(room, NULL, NULL, w->room_size >= 2 ? w->room_size : 0);
	char *text = msg ? sig_dump(msg, &len) : NULL;
	if (!text || len > w->txcap) {
		note_error(w, "cannot build a join message");
		goto out;
	}
	memcpy(w->txbuf + LWS_PRE, text, len);
	c->join_sent = true;
	c->t_join_sent = util_now_ns();
	if (lws_write(c->wsi, w->txbuf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len) {
		note_error(w, "lws_write failed on a join");
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(msg);
	if (rc < 0)
		c->closing_by_us = true;
	return rc;
}

static int on_writeable(struct conn *c)
{
	struct worker *w = c->w;
	c->write_requested = false;
	if (c->state != C_OPEN || w->phase == PH_DONE)
		return 0;
	if (!c->join_sent) {
		if (joins_at_connect(w) || w->phase == PH_RUN)
			return send_join(c);
		return 0;
	}
	if (wants_to_send(c))
		return send_bench(c);
	return 0;
}

/* Build c's frame once; only the timestamp digits change per send. `to` is NULL for publish. */
static int build_template(struct conn *c, const char *to)
{
	struct worker *w = c->w;
	const char *head = to ? "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host " : "";
	char stamp[sizeof(STAMP_MARK) + STAMP_DIGITS + 2];
	char *cand = NULL, *text = NULL;
	size_t len = 0, pad = 0;
	int rc = -1;

	snprintf(stamp, sizeof(stamp), "%s%0*d ", STAMP_MARK, STAMP_DIGITS, 0);
	/* Two passes: measure the frame without padding, then pad it up to --msg-size. */
	for (int pass = 0; pass < 2; pass++) {
		size_t hlen = strlen(head), slen = strlen(stamp);
		free(cand);
		free(text);
		text = NULL;
		cand = malloc(hlen + slen + pad + 1);
		if (!cand)
			goto out;
		memcpy(cand, head, hlen);
		memcpy(cand + hlen, stamp, slen);
		for (size_t i = 0; i < pad; i++)
			cand[hlen + slen + i] = (char)('a' + i % 26); /* nothing JSON would escape */
		cand[hlen + slen + pad] = '\0';

		json_t *msg;
		if (to) {
			msg = sig_build_candidate(to, cand, "0", 0);
		} else {
			json_t *data = json_string(cand);
			msg = data ? sig_build_publish(NULL, data) : NULL;
			json_decref(data);
		}
		text = msg ? sig_dump(msg, &len) : NULL;
		json_decref(msg);
		if (!text)
			goto out;
		if (len >= w->cfg->msg_size)
			break;
		pad = w->cfg->msg_size - len;
	}
	const char *mark = strstr(text, STAMP_MARK);
	if (!mark)
		goto out;
	c->stamp_off = (size_t)(mark - text) + strlen(STAMP_MARK);
	if (len > w->txcap)
		goto out;
	c->tx = text;
	text = NULL;
	c->tx_len = len;
	rc = 0;
out:
	if (rc < 0)
		note_error(w, "cannot build the bench message template");
	free(cand);
	free(text);
	return rc;
}

static void set_from_needle(struct conn *c, const char *sender_id)
{
	int n = snprintf(c->from_needle, sizeof(c->from_needle), "\"from\":\"%s\"", sender_id);
	c->from_needle_len = n > 0 ? (size_t)n : 0;
}

/* --- Receiving. ------------------------------------------------------------------------------ */

static int parse_stamp(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	if (end - p < STAMP_DIGITS)
		return -1;
	for (int i = 0; i < STAMP_DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* A bench message: count it, take its latency, and let its sender refill its window. */
static void on_bench_message(struct conn *c, const char *buf, size_t len, const char *mark,
			     uint64_t now)
{
	struct worker *w = c->w;
	const char *want_type = w->cfg->mode == MODE_RELAY ? "\"type\":\"candidate\""
							   : "\"type\":\"publish\"";
	uint64_t ts;

	if (parse_stamp(mark + strlen(STAMP_MARK), buf + len, &ts) < 0 || ts > now ||
	    !memmem(buf, len, want_type, strlen(want_type))) {
		w->rep.bad_messages++;
		note_error(w, "malformed bench message: %.80s", buf);
		return;
	}
	/* The server writes "from" itself (PROTOCOL.md §4): it must name the real sender. */
	if (!c->from_needle_len || !memmem(buf, len, c->from_needle, c->from_needle_len)) {
		w->rep.misrouted++;
		note_error(w, "bench message with unexpected sender: %.100s", buf);
	}
	c->rx++;
	w->rep.received++;
	if (w->phase == PH_RUN)
		w->rep.received_in_window++;
	lathist_add(&w->rep.lat, now - ts);

	struct conn *sender = w->cfg->mode == MODE_RELAY ? &w->conns[c->index ^ 1u] : &w->conns[0];
	/* Cheap test first: for fanout wants_to_send() scans every receiver. */
	if (!sender->write_requested && wants_to_send(sender))
		request_write(sender);
}

static void count_error(struct worker *w, const char *code, const char *message)
{
	for (int i = 0; i < SIG_ERROR_COUNT; i++) {
		if (strcmp(code, sig_error_wire((enum sig_error_code)i)) == 0) {
			w->rep.errors[i]++;
			goto noted;
		}
	}
	w->rep.errors_other++;
noted:
	note_error(w, "server error %s: %s", code, message ? message : "");
}

static void on_joined(struct conn *c, const struct sig_msg *m, uint64_t now)
{
	struct worker *w = c->w;
	if (c->joined || !c->join_sent) {
		w->rep.unexpected++;
		return;
	}
	c->joined = true;
	snprintf(c->peer_id, sizeof(c->peer_id), "%s", m->peer);
	w->rep.joined++;
	if (w->cfg->mode == MODE_JOINS)
		lathist_add(&w->rep.lat, now - c->t_join_sent);
	if (joins_at_connect(w))
		settle(c);
	join_settle(c, now);
}

static void on_control_message(struct conn *c, const char *buf, size_t len, uint64_t now)
{
	struct worker *w = c->w;
	struct sig_msg m;
	struct sig_error e;

	if (sig_parse_server(buf, len, &m, &e) < 0) {
		w->rep.bad_messages++;
		note_error(w, "unparsable message from the server (%s): %.80s", e.message, buf);
		sig_error_clear(&e);
		return;
	}
	switch (m.type) {
	case SIG_T_JOINED:
		on_joined(c, &m, now);
		break;
	case SIG_T_PEER_JOINED:
		w->rep.peer_joined++;
		break;
	case SIG_T_PEER_LEFT:
		w->rep.peer_left++;
		break;
	case SIG_T_ERROR:
		count_error(w, m.code, m.message);
		/* Errors carry no id here (we send none); one before `joined` answers the join,
		 * one after it answers a bench message, which then never arrives. */
		if (c->joined && c->sent > c->refused) {
			c->refused++;
			w->rep.refused++;
			if (!c->write_requested && wants_to_send(c))
				request_write(c);
		} else if (c->join_sent && !c->joined && !c->join_failed) {
			c->join_failed = true;
			w->rep.join_failed++;
			if (joins_at_connect(w))
				settle(c);
			join_settle(c, now);
		}
		break;
	default:
		w->rep.unexpected++;
		break;
	}
	sig_msg_clear(&m);
	sig_error_clear(&e);
}

static void on_message(struct conn *c, const char *buf, size_t len)
{
	uint64_t now = util_now_ns();
	const char *mark = memmem(buf, len, STAMP_MARK, strlen(STAMP_MARK));
	if (mark)
		on_bench_message(c, buf, len, mark, now);
	else
		on_control_message(c, buf, len, now);
}

/* Appends a fragment to c's assembly buffer; -1 when the message would exceed RX_MAX. */
static int rx_append(struct conn *c, const char *in, size_t len)
{
	if (c->rxlen + len > RX_MAX)
		return -1;
	if (c->rxlen + len > c->rxcap) {
		size_t cap = c->rxcap ? c->rxcap : RX_CHUNK;
		while (cap < c->rxlen + len)
			cap *= 2;
		char *nb = realloc(c->rxbuf, cap);
		if (!nb)
			return -1;
		c->rxbuf = nb;
		c->rxcap = cap;
	}
	memcpy(c->rxbuf + c->rxlen, in, len);
	c->rxlen += len;
	return 0;
}

/* RECEIVE may hand us a message in pieces; assemble until lws says it is the final one. */
static void on_receive(struct conn *c, struct lws *wsi, const char *in, size_t len)
{
	struct worker *w = c->w;
	bool final = lws_is_final_fragment(wsi);

	if (lws_frame_is_binary(wsi)) {
		if (final)
			w->rep.bad_messages++;
		return;
	}
	if (final && c->rxlen == 0 && !c->rx_overflow) {
		on_message(c, in, len); /* the common case: no copy */
		return;
	}
	if (!c->rx_overflow && rx_append(c, in, len) < 0)
		c->rx_overflow = true;
	if (!final)
		return;
	if (c->rx_overflow) {
		w->rep.bad_messages++;
		note_error(w, "message from the server larger than %u bytes", RX_MAX);
	} else {
		on_message(c, c->rxbuf, c->rxlen);
	}
	c->rxlen = 0;
	c->rx_overflow = false;
}

/* --- Connection lifecycle. ------------------------------------------------------------------- */

static void on_established(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t now = util_now_ns();
	if (c->state != C_CONNECTING)
		return;
	c->state = C_OPEN;
	w->pending--;
	w->rep.established++;
	w->rep.t_last_open = now;
	if (joins_at_connect(w))
		request_write(c); /* to send the join */
	else
		settle(c);
}

static void on_connect_error(struct conn *c, const char *why, size_t len)
{
	struct worker *w = c->w;
	if (c->state != C_CONNECTING)
		return;
	c->state = C_FAILED;
	c->wsi = NULL;
	w->pending--;
	w->rep.connect_failed++;
	note_error(w, "connect failed: %.*s", (int)len, why ? why : "?");
	settle(c);
}

static enum close_kind close_kind_of(uint16_t code)
{
	switch (code) {
	case 0: return CK_NONE;
	case 1000: return CK_1000;
	case 1001: return CK_1001;
	case 1008: return CK_1008;
	case 1009: return CK_1009;
	case 1013: return CK_1013;
	default: return CK_OTHER;
	}
}

static void on_closed(struct conn *c)
{
	struct worker *w = c->w;
	uint64_t now = util_now_ns();

	if (c->state == C_CONNECTING) {
		on_connect_error(c, "closed during the handshake", 27);
		return;
	}
	if (c->state != C_OPEN)
		return;
	c->state = C_CLOSED;
	c->wsi = NULL;
	if (w->phase == PH_DONE)
		return; /* our own teardown */
	if (c->closing_by_us) {
		w->rep.closed_by_us++;
	} else {
		w->rep.closed_by_server++;
		w->rep.closes[close_kind_of(c->close_code)]++;
		if (w->phase == PH_RUN)
			w->rep.dropped_in_run++;
		note_error(w, "server closed a connection (close code %u)", (unsigned)c->close_code);
	}
	if (joins_at_connect(w))
		settle(c);
	join_settle(c, now);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct conn *c = user;

	if (!c && wsi && (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR ||
			  reason == LWS_CALLBACK_CLIENT_CLOSED || reason == LWS_CALLBACK_WSI_DESTROY))
		c = lws_get_opaque_user_data(wsi);
	if (reason == LWS_CALLBACK_RAW_RX_FILE) {
		struct worker *w = lws_context_user(lws_get_context(wsi));
		uint64_t expirations;
		if (read(w->tick_fd, &expirations, sizeof(expirations)) > 0 && !w->finished)
			tick(w);
		return 0;
	}
	/* Context-level callbacks (protocol init and so on) have no connection. */
	if (!c) {
		if (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR) {
			struct worker *w = lws_context_user(lws_get_context(wsi));
			w->rep.orphan_errors++;
			note_error(w, "connect error for an unknown connection: %.*s",
				   in ? (int)strnlen(in, len ? len : 128) : 1, in ? (char *)in : "?");
		}
		return 0;
	}
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		on_connect_error(c, in, in ? strnlen(in, len ? len : 128) : 0);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		on_established(c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(c);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (in && len >= 2)
			c->close_code = (uint16_t)(((const unsigned char *)in)[0] << 8 |
						   ((const unsigned char *)in)[1]);
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		on_closed(c);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		/* lws 4.1 drops a client whose handshake times out (no 101 within its 20 s)
		 * without CONNECTION_ERROR or CLIENT_CLOSED; this is the only sign of it. */
		if (c->state == C_CONNECTING)
			on_connect_error(c, "handshake timed out (no 101 within 20 s)", 40);
		else if (c->state == C_OPEN)
			on_closed(c);
		break;
	default:
		break;
	}
	return 0;
}

/* lws 4.1: the 7-field form {name, callback, per_session_data_size, rx_buffer_size, id, user,
 * tx_packet_size}, ended by a zeroed entry (4.1 has no LWS_PROTOCOL_LIST_TERM). Per-session
 * data size 0: each connection's user pointer is our own struct conn (connect_info.userdata). */
static const struct lws_protocols protocols[] = {
	{SIG_SUBPROTOCOL, callback, 0, RX_CHUNK, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void open_one(struct worker *w)
{
	struct conn *c = &w->conns[w->next_open++];
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = w->ctx;
	ci.address = w->cfg->host;
	ci.port = w->cfg->port;
	ci.path = w->cfg->path;
	ci.host = w->cfg->host;
	ci.origin = w->cfg->host;
	ci.protocol = SIG_SUBPROTOCOL;            /* Sec-WebSocket-Protocol we offer */
	ci.local_protocol_name = SIG_SUBPROTOCOL; /* our protocols[] entry */
	ci.ietf_version_or_minus_one = -1;
	ci.userdata = c;
	ci.opaque_user_data = c; /* set before anything can fail, unlike the user pointer */
	ci.pwsi = &c->wsi;
	/*
	 * Why several source addresses: all connections go to one destination, and Linux picks an
	 * ephemeral port for connect() by probing the port range for a free 4-tuple. Once one
	 * source address holds more connections than half the range (~14,000 here; connect() uses
	 * one port parity first), every connect() scans the whole half: perf showed 78 % of
	 * sigload's CPU in __inet_hash_connect/__inet_check_established at 19,500 connections.
	 * Binding each connection to one of N loopback addresses (all of 127/8 is local) keeps
	 * every address's port space sparse. It also looks like N clients to signald, which is why
	 * its --max-connections-per-ip must be 0 or large for these runs.
	 */
	if (w->cfg->loopback && w->cfg->source_ips) {
		snprintf(c->src, sizeof(c->src), "127.0.%u.%u", (w->index + 1) & 255u,
			 1 + c->index % (unsigned)w->cfg->source_ips);
		ci.iface = c->src;
	}

	c->state = C_CONNECTING;
	c->t_open = util_now_ns();
	w->pending++;
	if (!w->rep.t_start)
		w->rep.t_start = util_now_ns();
	/* On failure lws may already have called CONNECTION_ERROR; the state check counts once. */
	if (!lws_client_connect_via_info(&ci))
		on_connect_error(c, "lws_client_connect_via_info failed", 34);
}

static void open_more(struct worker *w, double dt)
{
	if (w->connect_rate > 0) {
		w->open_tokens += w->connect_rate * dt;
		/* No bursts after a stall: at most 20 ms worth of connections at once. */
		double cap = w->connect_rate * 0.02 + 1;
		if (w->open_tokens > cap)
			w->open_tokens = cap;
	}
	while (w->next_open < w->nconns && w->pending < w->max_pending) {
		if (w->connect_rate > 0) {
			if (w->open_tokens < 1)
				break;
			w->open_tokens -= 1;
		}
		open_one(w);
	}
}

/* --- Phases. --------------------------------------------------------------------------------- */

static void send_report(struct worker *w, enum rep_kind kind)
{
	w->rep.kind = kind;
	w->rep.worker = w->index;
	if (write_all(w->res_fd, &w->rep, sizeof(w->rep)) < 0)
		w->rep.stop = STOP_PARENT;
}

/* Idle + iowait jiffies summed over the CPUs in `set` (per-cpu lines of /proc/stat). */
static int cores_idle(const cpu_set_t *set, uint64_t *idle, uint32_t *ncpu)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	*idle = 0;
	*ncpu = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned cpu;
		unsigned long long v[5];
		/* cpuN user nice system idle iowait ... */
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3],
			   &v[4]) != 6 ||
		    cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, set))
			continue;
		*idle += v[3] + v[4];
		(*ncpu)++;
	}
	fclose(f);
	return 0;
}

static void mark_cores(struct worker *w, struct core_use *acc)
{
	struct core_use now = {0};
	now.wall_ns = util_now_ns();
	if (cores_idle(&w->tool_cpus, &now.tool_idle, &now.tool_ncpu) < 0)
		return;
	if (w->have_srv_cpus)
		cores_idle(&w->srv_cpus, &now.srv_idle, &now.srv_ncpu);
	if (w->core_mark.wall_ns) {
		acc->wall_ns += now.wall_ns - w->core_mark.wall_ns;
		acc->tool_idle += now.tool_idle - w->core_mark.tool_idle;
		acc->srv_idle += now.srv_idle - w->core_mark.srv_idle;
		acc->tool_ncpu = now.tool_ncpu;
		acc->srv_ncpu = now.srv_ncpu;
	}
	w->core_mark = now;
}

/* Closes a phase: adds this worker's CPU (and for worker 0 the server's CPU and the busyness
 * of both sides' cores) since the previous mark to the given accumulators. */
static void mark_cpu(struct worker *w, uint64_t *own, uint64_t *srv, struct core_use *core)
{
	uint64_t now_cpu = cpu_ns(), s;
	*own += now_cpu - w->cpu_mark;
	w->cpu_mark = now_cpu;
	if (w->index != 0)
		return;
	if (w->cfg->server_pid && proc_cpu_ns(w->cfg->server_pid, &s) == 0) {
		if (w->rep.srv_cpu_valid)
			*srv += s - w->srv_mark;
		w->srv_mark = s;
		w->rep.srv_cpu_valid = 1;
	}
	mark_cores(w, core);
}

static void count_units_ready(struct worker *w)
{
	uint64_t n = 0;
	if (w->cfg->mode == MODE_RELAY) {
		for (unsigned i = 0; i + 1 < w->nconns; i += 2)
			if (w->conns[i].joined && w->conns[i + 1].joined)
				n++;
	} else if (w->cfg->mode == MODE_FANOUT && w->conns[0].joined) {
		for (unsigned i = 1; i < w->nconns; i++)
			if (w->conns[i].joined)
				n++;
	}
	w->rep.units_ready = n;
}

static void enter_wait_go(struct worker *w, uint64_t now)
{
	w->phase = PH_WAIT_GO;
	w->rep.t_setup_end = now;
	w->rep.ready_ok = 1;
	mark_cpu(w, &w->rep.cpu_setup, &w->rep.srv_cpu_setup, &w->rep.core_setup);
	count_units_ready(w);
	send_report(w, REP_READY);
}

static int prepare_senders(struct worker *w)
{
	if (w->cfg->mode == MODE_RELAY) {
		for (unsigned i = 0; i + 1 < w->nconns; i += 2) {
			struct conn *a = &w->conns[i], *b = &w->conns[i + 1];
			if (!a->joined || !b->joined)
				continue;
			if (build_template(a, b->peer_id) < 0 || build_template(b, a->peer_id) < 0)
				return -1;
			w->rep.frame_bytes = (uint32_t)a->tx_len;
			set_from_needle(a, b->peer_id);
			set_from_needle(b, a->peer_id);
		}
	} else if (w->cfg->mode == MODE_FANOUT && w->conns[0].joined) {
		if (build_template(&w->conns[0], NULL) < 0)
			return -1;
		w->rep.frame_bytes = (uint32_t)w->conns[0].tx_len;
		for (unsigned i = 1; i < w->nconns; i++)
			set_from_needle(&w->conns[i], w->conns[0].peer_id);
	}
	return 0;
}

static void enter_run(struct worker *w, uint64_t now)
{
	const struct config *cfg = w->cfg;
	w->phase = PH_RUN;
	w->rep.t_run_start = now;
	w->last_tick = now;
	uint64_t waited = 0, srv_waited = 0; /* the wait for GO belongs to no phase */
	struct core_use core_waited = {0};
	mark_cpu(w, &waited, &srv_waited, &core_waited);
	switch (cfg->mode) {
	case MODE_IDLE:
		w->run_end = cfg->hold ? now + cfg->hold * 1000000000ull : UINT64_MAX;
		break;
	case MODE_JOINS:
		w->run_end = UINT64_MAX;
		w->join_target = 0;
		for (unsigned i = 0; i < w->nconns; i++) {
			if (w->conns[i].state != C_OPEN)
				continue;
			w->join_target++;
			request_write(&w->conns[i]);
		}
		break;
	case MODE_RELAY:
	case MODE_FANOUT:
		w->run_end = now + cfg->duration * 1000000000ull;
		if (prepare_senders(w) < 0) {
			w->run_end = now;
			break;
		}
		for (unsigned i = 0; i < w->nconns; i++)
			if (wants_to_send(&w->conns[i]))
				request_write(&w->conns[i]);
		break;
	default:
		break;
	}
}

static void finish(struct worker *w, uint64_t now, enum stop_reason why)
{
	if (w->phase == PH_DONE)
		return;
	if (w->phase == PH_RUN || w->phase == PH_DRAIN) {
		if (!w->rep.t_run_end)
			w->rep.t_run_end = now;
		mark_cpu(w, &w->rep.cpu_run, &w->rep.srv_cpu_run, &w->rep.core_run);
	} else if (w->phase == PH_CONNECT) {
		w->rep.t_setup_end = now;
		mark_cpu(w, &w->rep.cpu_setup, &w->rep.srv_cpu_setup, &w->rep.core_setup);
	}
	for (unsigned i = 0; i < w->nconns; i++)
		if (w->conns[i].state == C_OPEN && (w->conns[i].joined || !joins_at_connect(w)))
			w->rep.open_at_end++;
	count_units_ready(w);
	w->rep.stop = why;
	w->phase = PH_DONE;
	w->finished = true;
	/* Make the current lws_service() return promptly instead of polling once more. */
	lws_cancel_service(w->ctx);
}

static void end_window(struct worker *w, uint64_t now)
{
	w->rep.t_run_end = now;
	mark_cpu(w, &w->rep.cpu_run, &w->rep.srv_cpu_run, &w->rep.core_run);
	w->phase = PH_DRAIN;
	w->drain_end = now + DRAIN_NS;
}

static bool drained(const struct worker *w)
{
	if (w->cfg->mode == MODE_RELAY)
		return w->rep.received + w->rep.refused >= w->rep.sent;
	uint64_t receivers = 0;
	for (unsigned i = 1; i < w->nconns; i++)
		if (w->conns[i].state == C_OPEN && w->conns[i].joined)
			receivers++;
	return w->rep.received >= (w->rep.sent - w->rep.refused) * receivers;
}

/* Paced mode: hand out send credits round-robin at the configured rate. */
static void pace(struct worker *w, double dt)
{
	w->send_tokens += w->send_rate * dt;
	double cap = w->send_rate * 0.01 + 1; /* never more than 10 ms of backlog at once */
	if (w->send_tokens > cap) {
		w->rep.paced_missed += (uint64_t)(w->send_tokens - cap);
		w->send_tokens = cap;
	}
	while (w->send_tokens >= 1) {
		struct conn *c = NULL;
		for (unsigned tries = 0; tries < w->nconns; tries++) {
			struct conn *cand = &w->conns[w->rr];
			w->rr = (w->rr + 1) % w->nconns;
			if (cand->tx && cand->state == C_OPEN) {
				c = cand;
				break;
			}
		}
		if (!c)
			return;
		w->send_tokens -= 1;
		if (c->credits >= CREDIT_MAX) {
			w->rep.paced_missed++;
			continue;
		}
		c->credits++;
		if (wants_to_send(c))
			request_write(c);
	}
}

/* Handshakes that lws neither completed nor failed within STUCK_NS are written off, so one
 * lost connection cannot hold the whole run until --timeout. Once a second. */
static void check_stuck(struct worker *w, uint64_t now)
{
	if (now < w->next_stuck_check)
		return;
	w->next_stuck_check = now + 1000000000ull;
	for (unsigned i = 0; i < w->next_open; i++) {
		struct conn *c = &w->conns[i];
		if (c->state != C_CONNECTING || now - c->t_open < STUCK_NS)
			continue;
		c->state = C_FAILED;
		w->pending--;
		w->rep.stuck++;
		w->rep.connect_failed++;
		note_error(w, "handshake not finished after %llu s (no lws callback)",
			   (unsigned long long)(STUCK_NS / 1000000000ull));
		settle(c);
	}
}

/* Parent -> worker: 'g' = go; EOF (parent gone) = stop. */
static void poll_control(struct worker *w, uint64_t now)
{
	char b;
	ssize_t n = read(w->ctl_fd, &b, 1);
	if (n == 1 && b == 'g' && w->phase == PH_WAIT_GO)
		enter_run(w, now);
	else if (n == 0)
		finish(w, now, STOP_PARENT);
}

static unsigned tick_interval(const struct worker *w)
{
	switch (w->phase) {
	case PH_CONNECT:
	case PH_WAIT_GO:
	case PH_DRAIN:
		return TICK_CONNECT_US;
	case PH_RUN:
		if (w->cfg->mode == MODE_IDLE)
			return TICK_HOLD_US;
		return w->cfg->rate ? TICK_PACED_US : TICK_RUN_US;
	default:
		return TICK_RUN_US;
	}
}

/* Sets the timerfd period (no-op when unchanged). */
static void set_tick(struct worker *w, unsigned us)
{
	struct itimerspec its;
	if (us == w->tick_us)
		return;
	w->tick_us = us;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = us / 1000000;
	its.it_interval.tv_nsec = (long)(us % 1000000) * 1000;
	its.it_value = its.it_interval;
	timerfd_settime(w->tick_fd, 0, &its, NULL);
}

/* Runs on every timerfd expiry: signals, control pipe, deadlines, connection pacing. */
static void tick(struct worker *w)
{
	uint64_t now = util_now_ns();
	double dt = (double)(now - w->last_tick) / 1e9;
	w->last_tick = now;

	if (g_stop)
		finish(w, now, STOP_SIGNAL);
	else if (now >= w->deadline)
		finish(w, now, STOP_TIMEOUT);
	else
		poll_control(w, now);

	switch (w->phase) {
	case PH_CONNECT:
		check_stuck(w, now);
		open_more(w, dt);
		if (w->settled == w->nconns)
			enter_wait_go(w, now);
		break;
	case PH_RUN:
		if (w->cfg->rate && (w->cfg->mode == MODE_RELAY || w->cfg->mode == MODE_FANOUT))
			pace(w, dt);
		if (w->cfg->mode == MODE_JOINS && w->join_settled >= w->join_target) {
			w->rep.t_run_end = w->rep.t_last_join ? w->rep.t_last_join : now;
			finish(w, now, STOP_DONE);
		} else if (now >= w->run_end) {
			if (w->cfg->mode == MODE_IDLE)
				finish(w, now, STOP_DONE);
			else
				end_window(w, now);
		}
		break;
	case PH_DRAIN:
		if (drained(w) || now >= w->drain_end)
			finish(w, now, STOP_DONE);
		break;
	default:
		break;
	}
	if (!w->finished)
		set_tick(w, tick_interval(w));
}

/* --- Worker process. ------------------------------------------------------------------------- */

/* lws sizes its fd lookup table from RLIMIT_NOFILE; if fd_limit_per_thread is *smaller* than
 * that, lws 4.1 switches to a linear scan per event (context.c, max_fds_unrelated_to_ulimit).
 * So set the soft limit to exactly what this worker needs and pass the same number to lws. */
static int size_fd_limit(struct worker *w, unsigned *out)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rlim_t want = (rlim_t)w->nconns + FD_HEADROOM + FD_PER_PROC * (rlim_t)w->cfg->procs;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) {
		note_error(w, "worker needs %lu fds, hard limit is %lu: use more --procs",
			   (unsigned long)want, (unsigned long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	*out = (unsigned)want;
	return 0;
}

/*
 * The tick is a timerfd in the lws poll set, not an lws_sul: lws 4.1 computes its poll timeout
 * as (microseconds until the next sul) / 1000, so for the last millisecond before every sul it
 * calls poll(..., 0) in a loop. With a 1 ms tick that burned a whole core (strace: 15,713
 * poll(,0) against 409 poll(,1) per second) and made the tool's CPU numbers meaningless.
 */
static int adopt_tick(struct worker *w)
{
	lws_sock_file_fd_type fd;
	struct lws_vhost *vh = lws_get_vhost_by_name(w->ctx, "default");

	w->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tick_fd < 0 || !vh) {
		note_error(w, "cannot create the tick timer");
		return -1;
	}
	fd.filefd = w->tick_fd;
	/* lws owns (and closes) the fd from here on. */
	if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, SIG_SUBPROTOCOL, NULL)) {
		note_error(w, "cannot adopt the tick timer into the lws loop");
		return -1;
	}
	set_tick(w, TICK_CONNECT_US);
	return 0;
}

static int worker_init(struct worker *w)
{
	const struct config *cfg = w->cfg;
	struct lws_context_creation_info info;
	unsigned fds;

	switch (cfg->mode) {
	case MODE_RELAY:
		w->nrooms = (unsigned)share_of(cfg->rooms, cfg->procs, w->index);
		w->nconns = 2 * w->nrooms;
		w->room_size = 2;
		break;
	case MODE_FANOUT:
		w->nconns = (unsigned)cfg->peers;
		w->room_size = (unsigned)cfg->peers;
		break;
	default:
		w->nconns = (unsigned)share_of(cfg->conns, cfg->procs, w->index);
		w->room_size = (unsigned)cfg->room_size;
		break;
	}
	w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(*w->conns));
	/* Joins are < 200 bytes; bench frames are --msg-size plus a little rounding. */
	w->txcap = cfg->msg_size + 1024;
	w->txbuf = malloc(LWS_PRE + w->txcap);
	if (!w->conns || !w->txbuf)
		return -1;
	for (unsigned i = 0; i < w->nconns; i++) {
		w->conns[i].w = w;
		w->conns[i].index = i;
		w->conns[i].room = i / w->room_size;
	}
	w->rep.conns = w->nconns;
	lathist_init(&w->rep.lat);
	w->connect_rate = (double)cfg->connect_rate / (double)cfg->procs;
	w->max_pending = (unsigned)share_of(cfg->max_pending, cfg->procs, w->index);
	if (w->max_pending == 0)
		w->max_pending = 1;
	w->send_rate = (double)cfg->rate / (double)(cfg->mode == MODE_RELAY ? cfg->procs : 1);

	if (size_fd_limit(w, &fds) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = fds;
	info.timeout_secs = HANDSHAKE_TIMEOUT_S;
	info.user = w;
	w->ctx = lws_create_context(&info);
	if (!w->ctx) {
		note_error(w, "lws_create_context failed");
		return -1;
	}
	return adopt_tick(w);
}

static void worker_cleanup(struct worker *w)
{
	if (w->ctx) {
		w->phase = PH_DONE;
		lws_context_destroy(w->ctx); /* closes what is open; callbacks still see w->conns */
	}
	for (unsigned i = 0; w->conns && i < w->nconns; i++) {
		free(w->conns[i].tx);
		free(w->conns[i].rxbuf);
	}
	free(w->conns);
	free(w->txbuf);
}

static int worker_main(const struct config *cfg, unsigned index, int ctl_fd, int res_fd)
{
	static struct worker w; /* big (histogram); static keeps it off the stack */
	int rc = 1;

	/* SIGINT/SIGTERM handlers are inherited from the parent (on_stop_signal, no SA_RESTART). */
	lws_set_log_level(cfg->verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, NULL);
	w.cfg = cfg;
	w.index = index;
	w.ctl_fd = ctl_fd;
	w.res_fd = res_fd;
	fcntl(ctl_fd, F_SETFL, fcntl(ctl_fd, F_GETFL) | O_NONBLOCK);
	uint64_t start = util_now_ns();
	w.deadline = start + cfg->timeout * 1000000000ull;
	w.last_tick = start;
	w.cpu_mark = cpu_ns();

	if (worker_init(&w) < 0) {
		w.rep.kind = REP_READY;
		w.rep.stop = STOP_FAILED;
		send_report(&w, REP_READY);
		send_report(&w, REP_RESULT);
		goto out;
	}
	w.rep.t_start = start;
	/* Baselines for every counter mark_cpu() follows. */
	if (sched_getaffinity(0, sizeof(w.tool_cpus), &w.tool_cpus) < 0)
		CPU_ZERO(&w.tool_cpus);
	w.have_srv_cpus = cfg->server_pid &&
			  sched_getaffinity((pid_t)cfg->server_pid, sizeof(w.srv_cpus), &w.srv_cpus) == 0;
	if (w.have_srv_cpus) {
		/* Only meaningful when pinned apart: shared cores are busy with sigload too. */
		cpu_set_t both;
		CPU_AND(&both, &w.srv_cpus, &w.tool_cpus);
		w.have_srv_cpus = CPU_COUNT(&both) == 0;
	}
	mark_cpu(&w, &w.rep.cpu_setup, &w.rep.srv_cpu_setup, &w.rep.core_setup);
	w.rep.cpu_setup = 0;
	/* Bounded: tick() ends the run at --timeout at the latest, and a signal ends poll(). */
	while (!w.finished) {
		if (lws_service(w.ctx, 0) < 0)
			break;
	}
	if (!w.finished)
		finish(&w, util_now_ns(), STOP_FAILED);
	send_report(&w, REP_RESULT);
	rc = 0;
out:
	worker_cleanup(&w);
	return rc;
}

/* --- Parent: spawn, barrier, merge. ---------------------------------------------------------- */

struct child {
	pid_t pid;
	int ctl_fd, res_fd;
	struct report rep;     /* the message being read */
	size_t have;
	bool ready, done, eof;
	struct report ready_rep, result;
};

struct totals {
	struct report sum;      /* counters added up, histogram merged */
	uint64_t t_start, t_last_open, t_setup_end, t_run_start, t_run_end, t_last_join;
	double setup_wall, run_wall;           /* seconds, global span */
	double cpu_setup_share, cpu_run_share; /* of all available cores */
	double worker_max_setup, worker_max_run; /* busiest worker's share of one core */
	double rate_in_window;                 /* sum over workers of received_in_window / wall */
	double sent_rate;
	double srv_setup, srv_run;             /* server's share of one core, -1 if unknown */
	double busy_setup, busy_run;           /* how busy sigload's cores were (all processes) */
	double srv_busy_setup, srv_busy_run;   /* how busy the server's cores were, -1 if unknown */
	unsigned cores, workers_ok, workers_total;
	uint32_t stop;                         /* the first worker's, or the first unusual one */
	bool setup_ok, timed_out, crashed;
};

static unsigned available_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int spawn_workers(const struct config *cfg, struct child *kids)
{
	for (unsigned i = 0; i < cfg->procs; i++) {
		int ctl[2], res[2];
		if (pipe(ctl) < 0)
			return -1;
		if (pipe(res) < 0) {
			close(ctl[0]);
			close(ctl[1]);
			return -1;
		}
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			close(ctl[1]);
			close(res[0]);
			for (unsigned j = 0; j < i; j++) { /* siblings' pipes are not ours */
				close(kids[j].ctl_fd);
				close(kids[j].res_fd);
			}
			_exit(worker_main(cfg, i, ctl[0], res[1]));
		}
		close(ctl[0]);
		close(res[1]);
		kids[i].pid = pid;
		kids[i].ctl_fd = ctl[1];
		kids[i].res_fd = res[0];
	}
	return 0;
}

static void read_child(struct child *k)
{
	char *dst = (char *)&k->rep + k->have;
	ssize_t n = read(k->res_fd, dst, sizeof(k->rep) - k->have);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		k->eof = true;
		return;
	}
	k->have += (size_t)n;
	if (k->have < sizeof(k->rep))
		return;
	k->have = 0;
	if (k->rep.kind == REP_READY) {
		k->ready = true;
		k->ready_rep = k->rep;
	} else if (k->rep.kind == REP_RESULT) {
		k->done = true;
		k->result = k->rep;
	}
}

static void signal_children(struct child *kids, unsigned n, int sig)
{
	for (unsigned i = 0; i < n; i++)
		if (kids[i].pid > 0 && !kids[i].eof)
			kill(kids[i].pid, sig);
}

static void print_ready(const struct config *cfg, const struct child *kids, uint64_t t0);

/* Waits for READY from every live worker, says GO, then collects every RESULT. Bounded by
 * --timeout plus a grace period, after which the workers are killed. */
static void supervise(const struct config *cfg, struct child *kids, uint64_t t0)
{
	uint64_t deadline = t0 + cfg->timeout * 1000000000ull;
	bool go_sent = false, termed = false, killed = false, forwarded = false;
	unsigned n = (unsigned)cfg->procs;

	for (;;) {
		struct pollfd pfd[SIGLOAD_MAX_PROCS];
		unsigned live = 0, ready = 0, map[SIGLOAD_MAX_PROCS];
		for (unsigned i = 0; i < n; i++) {
			if (kids[i].eof)
				continue;
			ready += kids[i].ready || kids[i].done;
			pfd[live].fd = kids[i].res_fd;
			pfd[live].events = POLLIN;
			map[live++] = i;
		}
		if (live == 0)
			break;
		if (!go_sent && ready == live) {
			bool all_ready = true; /* not merely finished early (timeout, failure) */
			for (unsigned i = 0; i < n; i++)
				all_ready &= kids[i].ready;
			if (all_ready)
				print_ready(cfg, kids, t0);
			for (unsigned i = 0; i < n; i++)
				if (!kids[i].eof && write(kids[i].ctl_fd, "g", 1) < 0)
					kids[i].eof = true;
			go_sent = true;
		}
		uint64_t now = util_now_ns();
		if (g_stop && !forwarded) {
			signal_children(kids, n, SIGTERM);
			forwarded = true;
		}
		if (now >= deadline + 1000000000ull && !termed) {
			/* Workers stop at --timeout on their own; this is for one that is stuck. */
			signal_children(kids, n, SIGTERM);
			termed = true;
		}
		if (now >= deadline + KILL_GRACE_S * 1000000000ull && !killed) {
			signal_children(kids, n, SIGKILL);
			killed = true;
		}
		if (poll(pfd, live, 100) > 0) {
			for (unsigned j = 0; j < live; j++)
				if (pfd[j].revents & (POLLIN | POLLHUP | POLLERR))
					read_child(&kids[map[j]]);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		int st;
		while (waitpid(kids[i].pid, &st, 0) < 0 && errno == EINTR)
			;
		close(kids[i].ctl_fd);
		close(kids[i].res_fd);
	}
}

static double secs(uint64_t a, uint64_t b)
{
	return b > a ? (double)(b - a) / 1e9 : 0.0;
}

static void add_counters(struct report *s, const struct report *r)
{
	s->conns += r->conns;
	s->established += r->established;
	s->connect_failed += r->connect_failed;
	s->joined += r->joined;
	s->join_failed += r->join_failed;
	s->units_ready += r->units_ready;
	s->closed_by_server += r->closed_by_server;
	s->closed_by_us += r->closed_by_us;
	s->dropped_in_run += r->dropped_in_run;
	s->open_at_end += r->open_at_end;
	s->peer_joined += r->peer_joined;
	s->peer_left += r->peer_left;
	s->sent += r->sent;
	s->received += r->received;
	s->received_in_window += r->received_in_window;
	s->refused += r->refused;
	s->misrouted += r->misrouted;
	s->unexpected += r->unexpected;
	s->bad_messages += r->bad_messages;
	s->paced_missed += r->paced_missed;
	s->stuck += r->stuck;
	s->orphan_errors += r->orphan_errors;
	for (int i = 0; i < SIG_ERROR_COUNT; i++)
		s->errors[i] += r->errors[i];
	s->errors_other += r->errors_other;
	for (int i = 0; i < CK_COUNT; i++)
		s->closes[i] += r->closes[i];
	lathist_merge(&s->lat, &r->lat);
	if (r->frame_bytes > s->frame_bytes)
		s->frame_bytes = r->frame_bytes;
	if (!s->first_error[0] && r->first_error[0])
		memcpy(s->first_error, r->first_error, sizeof(s->first_error));
}

static void min_time(uint64_t *dst, uint64_t v)
{
	if (v && (!*dst || v < *dst))
		*dst = v;
}

static void max_time(uint64_t *dst, uint64_t v)
{
	if (v > *dst)
		*dst = v;
}

/* 1 - idle/available over a phase; -1 when not measured. */
static double busy_share(const struct core_use *u, bool server)
{
	uint32_t n = server ? u->srv_ncpu : u->tool_ncpu;
	uint64_t idle = server ? u->srv_idle : u->tool_idle;
	long hz = sysconf(_SC_CLK_TCK);
	double avail = (double)u->wall_ns / 1e9 * (double)(hz > 0 ? hz : 100) * n;
	if (n == 0 || avail <= 0)
		return -1;
	double b = 1.0 - (double)idle / avail;
	return b < 0 ? 0 : b > 1 ? 1 : b;
}

static void merge(const struct config *cfg, const struct child *kids, struct totals *t)
{
	double cpu_setup = 0, cpu_run = 0;

	memset(t, 0, sizeof(*t));
	lathist_init(&t->sum.lat);
	t->cores = available_cores();
	t->workers_total = (unsigned)cfg->procs;
	t->setup_ok = true;
	t->srv_setup = t->srv_run = -1;
	t->srv_busy_setup = t->srv_busy_run = -1;
	for (unsigned i = 0; i < cfg->procs; i++) {
		const struct report *r = &kids[i].result;
		if (!kids[i].done) {
			t->crashed = true;
			t->setup_ok = false;
			continue;
		}
		t->workers_ok++;
		add_counters(&t->sum, r);
		t->setup_ok &= r->ready_ok != 0;
		t->timed_out |= r->stop == STOP_TIMEOUT;
		if (!t->stop || (t->stop == STOP_DONE && r->stop != STOP_DONE))
			t->stop = r->stop;
		min_time(&t->t_start, r->t_start);
		max_time(&t->t_last_open, r->t_last_open);
		max_time(&t->t_setup_end, r->t_setup_end);
		min_time(&t->t_run_start, r->t_run_start);
		max_time(&t->t_run_end, r->t_run_end);
		max_time(&t->t_last_join, r->t_last_join);
		cpu_setup += (double)r->cpu_setup / 1e9;
		cpu_run += (double)r->cpu_run / 1e9;
		double ws = secs(r->t_start, r->t_setup_end), wr = secs(r->t_run_start, r->t_run_end);
		if (ws > 0 && (double)r->cpu_setup / 1e9 / ws > t->worker_max_setup)
			t->worker_max_setup = (double)r->cpu_setup / 1e9 / ws;
		if (wr > 0) {
			if ((double)r->cpu_run / 1e9 / wr > t->worker_max_run)
				t->worker_max_run = (double)r->cpu_run / 1e9 / wr;
			t->rate_in_window += (double)r->received_in_window / wr;
			t->sent_rate += (double)r->sent / wr;
		}
		if (i == 0) {
			t->busy_setup = busy_share(&r->core_setup, false);
			t->busy_run = busy_share(&r->core_run, false);
			t->srv_busy_setup = busy_share(&r->core_setup, true);
			t->srv_busy_run = busy_share(&r->core_run, true);
		}
		if (i == 0 && r->srv_cpu_valid) {
			if (ws > 0)
				t->srv_setup = (double)r->srv_cpu_setup / 1e9 / ws;
			if (wr > 0)
				t->srv_run = (double)r->srv_cpu_run / 1e9 / wr;
		}
	}
	t->setup_wall = secs(t->t_start, t->t_setup_end);
	t->run_wall = secs(t->t_run_start, t->t_run_end);
	if (t->setup_wall > 0)
		t->cpu_setup_share = cpu_setup / t->setup_wall / t->cores;
	if (t->run_wall > 0)
		t->cpu_run_share = cpu_run / t->run_wall / t->cores;
}

/* --- Output. --------------------------------------------------------------------------------- */

static uint64_t total_errors(const struct report *r)
{
	uint64_t n = r->errors_other;
	for (int i = 0; i < SIG_ERROR_COUNT; i++)
		n += r->errors[i];
	return n;
}

static void print_ready(const struct config *cfg, const struct child *kids, uint64_t t0)
{
	uint64_t est = 0, joined = 0, failed = 0, units = 0, conns = 0, t_end = 0, t_last = 0;
	for (unsigned i = 0; i < cfg->procs; i++) {
		const struct report *r = &kids[i].ready_rep;
		conns += r->conns;
		est += r->established;
		joined += r->joined;
		failed += r->connect_failed;
		units += r->units_ready;
		max_time(&t_end, r->t_setup_end);
		max_time(&t_last, r->t_last_open);
	}
	double s = secs(t0, t_end);
	switch (cfg->mode) {
	case MODE_IDLE:
		printf("idle: holding %llu/%llu connections (%llu joined, %llu failed), set up in "
		       "%.2f s (%.0f conn/s)\n",
		       (unsigned long long)est, (unsigned long long)conns,
		       (unsigned long long)joined, (unsigned long long)failed, s,
		       s > 0 ? (double)est / s : 0.0);
		break;
	case MODE_RELAY:
		printf("relay: %llu/%lu rooms ready (%llu connections, %llu failed) in %.2f s; "
		       "running %lu s\n",
		       (unsigned long long)units, cfg->rooms, (unsigned long long)est,
		       (unsigned long long)failed, s, cfg->duration);
		break;
	case MODE_FANOUT:
		printf("fanout: publisher + %llu/%lu receivers joined in %.2f s; running %lu s\n",
		       (unsigned long long)units, cfg->peers - 1, s, cfg->duration);
		break;
	case MODE_JOINS:
		printf("joins: %llu/%llu connections established (%llu failed) in %.2f s; joining\n",
		       (unsigned long long)est, (unsigned long long)conns,
		       (unsigned long long)failed, s);
		break;
	default:
		break;
	}
	fflush(stdout);
}

static void print_latency(const char *what, const struct lathist *h)
{
	if (!h->count) {
		printf("%s: no samples\n", what);
		return;
	}
	printf("%s: p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us  mean %.1f us  (n=%llu)\n",
	       what, (double)lathist_quantile(h, 0.50) / 1e3, (double)lathist_quantile(h, 0.90) / 1e3,
	       (double)lathist_quantile(h, 0.99) / 1e3, (double)h->max / 1e3,
	       (double)h->sum / (double)h->count / 1e3, (unsigned long long)h->count);
}

static void print_problems(const struct totals *t)
{
	const struct report *s = &t->sum;
	uint64_t nerr = total_errors(s);
	if (nerr) {
		printf("server errors: %llu (", (unsigned long long)nerr);
		const char *sep = "";
		for (int i = 0; i < SIG_ERROR_COUNT; i++) {
			if (!s->errors[i])
				continue;
			printf("%s%s %llu", sep, sig_error_wire((enum sig_error_code)i),
			       (unsigned long long)s->errors[i]);
			sep = ", ";
		}
		if (s->errors_other)
			printf("%sother %llu", sep, (unsigned long long)s->errors_other);
		printf(")\n");
	}
	if (s->closed_by_server) {
		printf("connections closed by the server: %llu (", (unsigned long long)s->closed_by_server);
		const char *sep = "";
		for (int i = 0; i < CK_COUNT; i++) {
			if (!s->closes[i])
				continue;
			printf("%s%s %llu", sep, close_names[i], (unsigned long long)s->closes[i]);
			sep = ", ";
		}
		printf(")\n");
	}
	if (s->stuck || s->orphan_errors)
		printf("lws trouble: %llu handshakes never finished (written off after %llu s), "
		       "%llu connect errors for unknown connections\n",
		       (unsigned long long)s->stuck, (unsigned long long)(STUCK_NS / 1000000000ull),
		       (unsigned long long)s->orphan_errors);
	if (s->misrouted || s->unexpected || s->bad_messages || s->closed_by_us)
		printf("suspicious: %llu misrouted, %llu unexpected, %llu malformed messages; "
		       "%llu connections given up by sigload\n",
		       (unsigned long long)s->misrouted, (unsigned long long)s->unexpected,
		       (unsigned long long)s->bad_messages, (unsigned long long)s->closed_by_us);
	if (s->first_error[0])
		printf("first problem seen: %s\n", s->first_error);
	if (t->crashed)
		printf("WARNING: %u of %u workers did not report (crashed or killed)\n",
		       t->workers_total - t->workers_ok, t->workers_total);
	if (!t->setup_ok)
		printf("WARNING: setup did not complete (timeout, signal or failures)\n");
}

/* "the load tool must not be the bottleneck; say so when it is". Saturated means sigload used
 * (nearly) all of its CPU, or its CPUs were (nearly) full with other processes making up the
 * rest: either way it could not have sent faster. */
static bool print_cpu(const char *phase, double share, double worker_max, unsigned cores,
		      double busy, double srv, double srv_busy)
{
	bool sat = share >= SATURATED || worker_max >= SATURATED || busy >= SATURATED + 0.05;
	printf("load tool CPU during %s: %.0f%% of %u core%s (busiest worker %.0f%% of one); "
	       "%s %.0f%% busy in all -> %s\n",
	       phase, share * 100, cores, cores == 1 ? "" : "s", worker_max * 100,
	       cores == 1 ? "that core was" : "those cores were", busy * 100,
	       !sat ? "not saturated"
	       : share >= SATURATED || worker_max >= SATURATED
		       ? "SATURATED: sigload may be the bottleneck, numbers are a lower bound"
		       : "CPU-STARVED (the rest went to other processes or kernel softirq): "
			 "sigload may be the bottleneck");
	if (srv >= 0) {
		printf("server CPU during %s: %.0f%% of one core", phase, srv * 100);
		if (srv_busy >= 0)
			printf("; its core(s) %.0f%% busy in all", srv_busy * 100);
		printf("%s\n", srv >= SATURATED ? " (server-bound)"
			      : srv_busy >= SATURATED + 0.05
				      ? " (its core was full: the rest went to other processes or softirq)"
				      : "");
	}
	return sat;
}

static void json_num(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, json_real(v));
}

static void json_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static json_t *json_latency(const struct lathist *h)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_u(o, "n", h->count);
	if (h->count) {
		json_num(o, "p50", (double)lathist_quantile(h, 0.50) / 1e3);
		json_num(o, "p90", (double)lathist_quantile(h, 0.90) / 1e3);
		json_num(o, "p99", (double)lathist_quantile(h, 0.99) / 1e3);
		json_num(o, "max", (double)h->max / 1e3);
		json_num(o, "mean", (double)h->sum / (double)h->count / 1e3);
	}
	return o;
}

static json_t *json_errors(const struct report *s)
{
	json_t *o = json_object();
	for (int i = 0; o && i < SIG_ERROR_COUNT; i++)
		if (s->errors[i])
			json_u(o, sig_error_wire((enum sig_error_code)i), s->errors[i]);
	if (o && s->errors_other)
		json_u(o, "other", s->errors_other);
	return o;
}

static void json_common(json_t *o, const struct config *cfg, const struct totals *t)
{
	const struct report *s = &t->sum;
	json_object_set_new(o, "mode", json_string(mode_names[cfg->mode]));
	json_object_set_new(o, "url", json_string(cfg->url));
	json_u(o, "procs", cfg->procs);
	json_u(o, "conns", s->conns);
	json_u(o, "established", s->established);
	json_u(o, "connect_failed", s->connect_failed);
	json_u(o, "joined", s->joined);
	json_u(o, "join_failed", s->join_failed);
	json_u(o, "closed_by_server", s->closed_by_server);
	json_u(o, "errors", total_errors(s) + s->connect_failed + s->closed_by_server +
				    s->closed_by_us + s->misrouted + s->bad_messages);
	json_object_set_new(o, "server_errors", json_errors(s));
	json_u(o, "misrouted", s->misrouted);
	json_u(o, "malformed", s->bad_messages);
	json_u(o, "stuck_handshakes", s->stuck);
	json_num(o, "setup_s", t->setup_wall);
	json_u(o, "tool_cores", t->cores);
	json_object_set_new(o, "setup_ok", json_boolean(t->setup_ok));
	json_object_set_new(o, "timed_out", json_boolean(t->timed_out));
	json_object_set_new(o, "stop", json_string(t->stop < sizeof(stop_names) / sizeof(stop_names[0])
							  ? stop_names[t->stop] : "?"));
	if (s->first_error[0])
		json_object_set_new(o, "first_problem", json_string(s->first_error));
}

static void json_cpu(json_t *o, double share, double worker_max, double busy, double srv,
		     double srv_busy, bool sat)
{
	json_num(o, "tool_cpu", share);
	json_num(o, "tool_cpu_worker_max", worker_max);
	json_num(o, "tool_cores_busy", busy);
	json_object_set_new(o, "tool_saturated", json_boolean(sat));
	if (srv >= 0)
		json_num(o, "server_cpu", srv);
	if (srv_busy >= 0)
		json_num(o, "server_cores_busy", srv_busy);
}

static void report_idle(const struct config *cfg, const struct totals *t, json_t *o)
{
	const struct report *s = &t->sum;
	double cs = secs(t->t_start, t->t_last_open);
	printf("idle: %llu/%llu established, %llu joined, %llu failed; connect phase %.2f s "
	       "(%.0f conn/s)\n",
	       (unsigned long long)s->established, (unsigned long long)s->conns,
	       (unsigned long long)s->joined, (unsigned long long)s->connect_failed, cs,
	       cs > 0 ? (double)s->established / cs : 0.0);
	printf("idle: held %llu for %.1f s; %llu dropped by the server during the hold\n",
	       (unsigned long long)s->open_at_end, t->run_wall, (unsigned long long)s->dropped_in_run);
	bool sat = print_cpu("setup", t->cpu_setup_share, t->worker_max_setup, t->cores,
			     t->busy_setup, t->srv_setup, t->srv_busy_setup);
	json_u(o, "target", cfg->conns);
	json_u(o, "held", s->open_at_end);
	json_u(o, "dropped_during_hold", s->dropped_in_run);
	json_num(o, "hold_s", t->run_wall);
	json_num(o, "connect_per_s", cs > 0 ? (double)s->established / cs : 0.0);
	json_cpu(o, t->cpu_setup_share, t->worker_max_setup, t->busy_setup, t->srv_setup,
		 t->srv_busy_setup, sat);
}

static void report_flow(const struct config *cfg, const struct totals *t, json_t *o)
{
	const struct report *s = &t->sum;
	bool relay = cfg->mode == MODE_RELAY;
	uint64_t accepted = s->sent - s->refused;
	uint64_t expected = relay ? accepted : accepted * s->units_ready;
	uint64_t lost = expected > s->received ? expected - s->received : 0;

	printf("%s: %.2f s window: sent %llu (%.0f/s%s), received %llu in window = %.0f msgs/s; "
	       "lost after drain %llu\n",
	       mode_names[cfg->mode], t->run_wall, (unsigned long long)s->sent, t->sent_rate,
	       cfg->rate ? "" : ", unpaced", (unsigned long long)s->received_in_window,
	       t->rate_in_window, (unsigned long long)lost);
	if (cfg->rate && t->sent_rate < 0.95 * (double)cfg->rate)
		printf("%s: paced target %lu/s NOT reached (%.0f/s, %llu slots skipped)\n",
		       mode_names[cfg->mode], cfg->rate, t->sent_rate,
		       (unsigned long long)s->paced_missed);
	print_latency("latency (one-way, send->receive)", &s->lat);
	bool sat = print_cpu("the window", t->cpu_run_share, t->worker_max_run, t->cores,
			     t->busy_run, t->srv_run, t->srv_busy_run);
	if (relay)
		json_u(o, "rooms", cfg->rooms);
	else
		json_u(o, "peers", cfg->peers);
	json_u(o, "units_ready", s->units_ready);
	json_u(o, "msg_size", cfg->msg_size);
	json_u(o, "frame_bytes", s->frame_bytes);
	json_u(o, "window", cfg->window);
	json_u(o, "rate_target", cfg->rate);
	json_num(o, "duration_s", t->run_wall);
	json_u(o, "sent", s->sent);
	json_u(o, "received", s->received);
	json_u(o, "received_in_window", s->received_in_window);
	json_u(o, "refused", s->refused);
	json_num(o, "send_per_s", t->sent_rate);
	json_num(o, "msgs_per_s", t->rate_in_window);
	if (!relay)
		json_num(o, "deliveries_per_s", t->rate_in_window);
	json_u(o, "lost", lost);
	json_u(o, "dropped_during_run", s->dropped_in_run);
	json_object_set_new(o, "latency_us", json_latency(&s->lat));
	json_cpu(o, t->cpu_run_share, t->worker_max_run, t->busy_run, t->srv_run, t->srv_busy_run,
		 sat);
}

static void report_joins(const struct config *cfg, const struct totals *t, json_t *o)
{
	const struct report *s = &t->sum;
	double cs = secs(t->t_start, t->t_last_open);
	double js = secs(t->t_run_start, t->t_last_join);
	(void)cfg;
	printf("joins: connection setup %llu in %.2f s = %.0f conn/s\n",
	       (unsigned long long)s->established, cs, cs > 0 ? (double)s->established / cs : 0.0);
	printf("joins: %llu joined (%llu failed) in %.3f s = %.0f joins/s\n",
	       (unsigned long long)s->joined, (unsigned long long)s->join_failed, js,
	       js > 0 ? (double)s->joined / js : 0.0);
	print_latency("join latency (join sent -> joined)", &s->lat);
	bool sat_setup = print_cpu("connection setup", t->cpu_setup_share, t->worker_max_setup,
				   t->cores, t->busy_setup, t->srv_setup, t->srv_busy_setup);
	bool sat = print_cpu("the join phase", t->cpu_run_share, t->worker_max_run, t->cores,
			     t->busy_run, t->srv_run, t->srv_busy_run);
	json_num(o, "connect_s", cs);
	json_num(o, "connect_per_s", cs > 0 ? (double)s->established / cs : 0.0);
	json_num(o, "join_s", js);
	json_num(o, "joins_per_s", js > 0 ? (double)s->joined / js : 0.0);
	json_object_set_new(o, "join_latency_us", json_latency(&s->lat));
	json_cpu(o, t->cpu_run_share, t->worker_max_run, t->busy_run, t->srv_run, t->srv_busy_run,
		 sat);
	json_num(o, "tool_cpu_setup", t->cpu_setup_share);
	json_object_set_new(o, "tool_saturated_setup", json_boolean(sat_setup));
}

static void report(const struct config *cfg, const struct totals *t)
{
	json_t *o = json_object();
	if (o)
		json_common(o, cfg, t);
	switch (cfg->mode) {
	case MODE_IDLE:
		report_idle(cfg, t, o);
		break;
	case MODE_RELAY:
	case MODE_FANOUT:
		report_flow(cfg, t, o);
		break;
	case MODE_JOINS:
		report_joins(cfg, t, o);
		break;
	default:
		break;
	}
	print_problems(t);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
	printf("%s\n", text ? text : "{\"mode\":null,\"error\":\"out of memory\"}");
	free(text);
	json_decref(o);
	fflush(stdout);
}

/* --- Command line. --------------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sigload MODE [options] ws://HOST:PORT/PATH\n"
		"modes:\n"
		"  idle    open --conns connections, join, hold them (--hold, or until a signal)\n"
		"  relay   --rooms rooms of 2; both peers send padded candidates to each other\n"
		"  fanout  one room of --peers; one peer publishes, the others count deliveries\n"
		"  joins   connect --conns first, then join them all and time the join phase\n"
		"options:\n");
	opt_print_help(out, opt_defs, NDEFS, "SIGLOAD");
	fprintf(out, "Prints human lines, then one JSON line. Exit: 0 ok, 1 usage, 2 incomplete "
		     "run (timeout, crashed worker, nothing measured), 3 internal error.\n");
}

static int parse_url(struct config *cfg, const char *url)
{
	const char *p;
	size_t hlen;
	unsigned long port;
	char portbuf[8];

	if (strncmp(url, "ws://", 5) != 0)
		return -1; /* wss:// would measure TLS, not signald; not supported */
	p = url + 5;
	hlen = strcspn(p, ":/");
	if (hlen == 0 || hlen >= sizeof(cfg->host) || p[hlen] != ':')
		return -1;
	memcpy(cfg->host, p, hlen);
	cfg->host[hlen] = '\0';
	p += hlen + 1;
	size_t plen = strcspn(p, "/");
	if (plen == 0 || plen >= sizeof(portbuf))
		return -1;
	memcpy(portbuf, p, plen);
	portbuf[plen] = '\0';
	if (opt_parse_ulong(portbuf, 1, 65535, &port) < 0)
		return -1;
	cfg->port = (int)port;
	p += plen;
	snprintf(cfg->path, sizeof(cfg->path), "%s", *p ? p : "/");
	cfg->loopback = strncmp(cfg->host, "127.", 4) == 0;
	snprintf(cfg->url, sizeof(cfg->url), "%s", url);
	return 0;
}

/* An option that does not apply to the mode must still have its default. */
static int check_mode_options(const struct config *cfg)
{
	for (size_t i = 0; i < sizeof(opt_modes) / sizeof(opt_modes[0]); i++) {
		if (opt_modes[i].modes & (1u << cfg->mode))
			continue;
		for (size_t j = 0; j < NDEFS; j++) {
			const struct opt_def *d = &opt_defs[j];
			unsigned long def;
			if (strcmp(d->name, opt_modes[i].name) != 0 || !d->def)
				continue;
			const unsigned long *v = (const unsigned long *)(const void *)
				((const char *)cfg + d->offset);
			if (opt_parse_ulong(d->def, 0, ULONG_MAX, &def) == 0 && *v != def) {
				fprintf(stderr, "sigload: --%s does not apply to %s\n", d->name,
					mode_names[cfg->mode]);
				return -1;
			}
		}
	}
	return 0;
}

static int check_config(struct config *cfg)
{
	if (cfg->connect_rate == UNSET)
		cfg->connect_rate = cfg->mode == MODE_JOINS ? 0 : 2000;
	switch (cfg->mode) {
	case MODE_RELAY:
		cfg->total_conns = 2 * cfg->rooms;
		if (cfg->procs > cfg->rooms) {
			fprintf(stderr, "sigload: --procs %lu > --rooms %lu\n", cfg->procs, cfg->rooms);
			return -1;
		}
		break;
	case MODE_FANOUT:
		cfg->total_conns = cfg->peers;
		if (cfg->procs != 1) {
			fprintf(stderr, "sigload: fanout is one room in one process; drop --procs\n");
			return -1;
		}
		break;
	default:
		cfg->total_conns = cfg->conns;
		if (cfg->procs > cfg->conns) {
			fprintf(stderr, "sigload: --procs %lu > --conns %lu\n", cfg->procs, cfg->conns);
			return -1;
		}
		break;
	}
	struct rlimit rl;
	unsigned long per_proc = (cfg->total_conns + cfg->procs - 1) / cfg->procs;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    per_proc + FD_HEADROOM > rl.rlim_max) {
		fprintf(stderr,
			"sigload: %lu connections per process exceed the fd hard limit %lu "
			"(minus %d spare): use --procs %lu or more\n",
			per_proc, (unsigned long)rl.rlim_max, FD_HEADROOM,
			(cfg->total_conns + rl.rlim_max - FD_HEADROOM - 1) /
				(rl.rlim_max - FD_HEADROOM));
		return -1;
	}
	return check_mode_options(cfg);
}

static int make_room_prefix(struct config *cfg)
{
	if (cfg->prefix) {
		/* room ids are [A-Za-z0-9_-]{1,64}; leave room for "-W-R" */
		if (strlen(cfg->prefix) > 30 || !sig_room_valid(cfg->prefix, strlen(cfg->prefix))) {
			fprintf(stderr, "sigload: --room-prefix: 1..30 of A-Z a-z 0-9 _ -\n");
			return -1;
		}
		snprintf(cfg->room_prefix, sizeof(cfg->room_prefix), "%s", cfg->prefix);
		return 0;
	}
	uint8_t rnd[10];
	char b32[20];
	if (util_random(rnd, sizeof(rnd)) < 0)
		return -1;
	util_base32(b32, rnd, sizeof(rnd));
	snprintf(cfg->room_prefix, sizeof(cfg->room_prefix), "sl%s", b32);
	return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	const char *pos[2];
	size_t npos;
	char err[OPT_ERR_LEN];

	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_rate = UNSET; /* its default depends on the mode */
	if (opt_parse(opt_defs, NDEFS, cfg, "SIGLOAD", argc, argv, pos, 2, &npos, err) < 0) {
		fprintf(stderr, "sigload: %s\n", err);
		return -1;
	}
	if (cfg->help) {
		usage(stdout);
		exit(0);
	}
	if (npos != 2) {
		usage(stderr);
		return -1;
	}
	for (cfg->mode = 0; cfg->mode < MODE_COUNT; cfg->mode++)
		if (strcmp(pos[0], mode_names[cfg->mode]) == 0)
			break;
	if (cfg->mode == MODE_COUNT) {
		fprintf(stderr, "sigload: unknown mode '%s' (idle, relay, fanout, joins)\n", pos[0]);
		return -1;
	}
	if (parse_url(cfg, pos[1]) < 0) {
		fprintf(stderr, "sigload: '%s': expected ws://HOST:PORT/PATH\n", pos[1]);
		return -1;
	}
	if (check_config(cfg) < 0 || make_room_prefix(cfg) < 0)
		return -1;
	return 0;
}

static void print_header(const struct config *cfg)
{
	printf("sigload %s %s: %lu connections over %lu process%s, connect rate %s, cores %u, "
	       "rooms %s-*\n",
	       mode_names[cfg->mode], cfg->url, cfg->total_conns, cfg->procs,
	       cfg->procs == 1 ? "" : "es", cfg->connect_rate ? "bounded" : "unbounded",
	       available_cores(), cfg->room_prefix);
	printf("  (--connect-rate %lu/s%s, --max-pending %lu in all)\n", cfg->connect_rate,
	       cfg->connect_rate ? "" : " = unbounded", cfg->max_pending);
	fflush(stdout);
}

static int exit_code(const struct config *cfg, const struct totals *t)
{
	if (t->crashed || !t->setup_ok || t->sum.established == 0)
		return 2;
	/* a connection lost while measuring makes the numbers suspect */
	if (t->sum.dropped_in_run)
		return 2;
	/* idle without --hold ends by signal or timeout: that is its normal end */
	if (t->timed_out && !(cfg->mode == MODE_IDLE && cfg->hold == 0))
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	static struct child kids[SIGLOAD_MAX_PROCS];
	static struct totals totals;
	struct config cfg;
	struct sigaction sa;

	if (parse_args(argc, argv, &cfg) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: poll() must return on a signal */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	print_header(&cfg);
	uint64_t t0 = util_now_ns();
	if (spawn_workers(&cfg, kids) < 0) {
		perror("sigload: fork/pipe");
		signal_children(kids, (unsigned)cfg.procs, SIGKILL);
		return 3;
	}
	supervise(&cfg, kids, t0);
	merge(&cfg, kids, &totals);
	report(&cfg, &totals);
	return exit_code(&cfg, &totals);
}
