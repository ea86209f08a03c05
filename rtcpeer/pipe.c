/*
 * pipe.c - `rtcpeer pipe`: stdin of each side to stdout of the other, both directions at once,
 * over the `rtc-pipe.v1` channel (proto/TRANSFER.md). Binary-safe; half-close (EOF on our stdin
 * ends our direction only); backpressure both ways:
 *  - we stop reading stdin while the channel holds more than PIPE_HIGH_WATER unsent bytes;
 *  - when stdout cannot keep up we stop taking messages from SCTP, whose window then closes
 *    and stalls the other side's sender, whose channel fills, which stops its stdin.
 * Memory stays bounded by those water marks and SCTP's buffers, whatever the speeds.
 */
#include "pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "log.h"
#include "peer.h"
#include "progress.h"
#include "util.h"
#include "xfer.h"

#define PIPE_CHUNK       (64 * 1024)
#define PIPE_HIGH_WATER  (1024 * 1024)
#define PIPE_OUT_MAX     (1024 * 1024) /* stdout backlog before we pause SCTP */

struct pipe_state {
	struct session *s;
	struct dc *dc;
	guint in_watch, out_watch;
	const char *code; /* we made it (and show it), or NULL */
	struct xfer_seq seq;
	size_t chunk;     /* bytes per message (the peer's max-message-size may be lower) */
	int done;         /* cleaned up: nothing may re-arm a watch */
	int in_eof_sent;  /* our direction is over */
	int out_eof;      /* the peer's direction is over (stdout closed) */
	int sent_bye, got_bye;
	uint8_t *out;     /* stdout backlog */
	size_t out_len, out_off;
	uint64_t bytes_in, bytes_out;
	uint64_t start_ns;
};

/* Our stdin or stdout failed: say why to the peer before going, which would otherwise see only
 * a closed connection. */
static void local_io_failed(struct pipe_state *p, const char *reason, const char *what, int err)
{
	session_send(p->s, xfer_build_abort(reason));
	session_finish(p->s, EXIT_IO, "%s: %s", what, strerror(err));
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer arg);
static gboolean on_stdout(gint fd, GIOCondition cond, gpointer arg);

/* A send that fails ends the session: the channel is gone. */
static int send_ctl(struct pipe_state *p, json_t *msg)
{
	int rc = session_send_ordered(p->s, &p->seq, msg);
	if (rc < 0)
		session_finish(p->s, EXIT_PEER, "the connection to the peer is gone");
	return rc;
}

/* Our bye: both directions ended and every byte the peer sent is on stdout. Closing before both
 * byes could abort SCTP while the peer still holds our data (TRANSFER.md §9). */
static void maybe_done(struct pipe_state *p)
{
	if (!p->in_eof_sent || !p->out_eof || p->out_len > p->out_off || p->sent_bye)
		return;
	p->sent_bye = 1;
	if (send_ctl(p, xfer_build_bye()) < 0)
		return;
	session_expect_close(p->s, EXIT_OK_); /* from now on the peer may close first */
	if (p->got_bye)
		session_finish(p->s, EXIT_OK_, NULL);
}

static void watch_stdin(struct pipe_state *p, int on)
{
	if (on && !p->in_watch && !p->in_eof_sent)
		p->in_watch = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, p);
	else if (!on && p->in_watch) {
		g_source_remove(p->in_watch);
		p->in_watch = 0;
	}
}

static void send_eof(struct pipe_state *p)
{
	watch_stdin(p, 0);
	p->in_eof_sent = 1;
	if (send_ctl(p, xfer_build_eof()) < 0)
		return;
	log_debug("pipe", "stdin done after %llu bytes", (unsigned long long)p->bytes_in);
	maybe_done(p);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer arg)
{
	struct pipe_state *p = arg;
	static uint8_t buf[PIPE_CHUNK];
	(void)cond;
	ssize_t n = read(fd, buf, p->chunk);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n < 0) {
		local_io_failed(p, "the other side cannot read its input", "reading stdin", errno);
		return G_SOURCE_CONTINUE;
	}
	if (n == 0) {
		p->in_watch = 0;
		send_eof(p);
		return G_SOURCE_REMOVE;
	}
	if (dc_send(p->dc, 1, buf, (size_t)n) < 0) {
		session_finish(p->s, EXIT_PEER, "the connection to the peer is gone");
		return G_SOURCE_CONTINUE;
	}
	p->bytes_in += (uint64_t)n;
	session_mark_data(p->s);
	if (dc_buffered(p->dc) > PIPE_HIGH_WATER) {
		p->in_watch = 0; /* resumed by the buffered-low callback */
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void on_buffered_low(void *arg)
{
	struct pipe_state *p = arg;
	if (!p->done)
		watch_stdin(p, 1);
}

/* The reader sees EOF; fd 1 stays taken (by /dev/null), so no socket opened later can land
 * on it and receive what was meant for stdout. A socket that is stdin too (socat EXEC:, inetd,
 * systemd Accept=yes) stays open through fd 0, so replacing fd 1 sends no FIN: shut down its
 * sending side first, as netcat -N does. */
static void end_stdout(void)
{
	if (shutdown(STDOUT_FILENO, SHUT_WR) < 0 && errno != ENOTSOCK)
		log_debug("pipe", "shutting down stdout: %s", strerror(errno));
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
}

/* ---------------------------------------------------------------- stdout */

/* The peer's data has nowhere to go (a reader like `head -c5` is gone, or a disk is full). */
static void stdout_failed(struct pipe_state *p, int err)
{
	local_io_failed(p, err == EPIPE ? "the other side's output was closed"
					: "the other side cannot write its output",
			"writing stdout", err);
}

static int flush_out(struct pipe_state *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = write(STDOUT_FILENO, p->out + p->out_off, p->out_len - p->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n < 0) {
			stdout_failed(p, errno);
			return -1;
		}
		p->out_off += (size_t)n;
	}
	p->out_len = p->out_off = 0;
	return 0;
}

static gboolean on_stdout(gint fd, GIOCondition cond, gpointer arg)
{
	struct pipe_state *p = arg;
	(void)fd;
	(void)cond;
	if (flush_out(p) != 0)
		return G_SOURCE_CONTINUE;
	p->out_watch = 0;
	session_pause_reading(p->s, 0);
	if (p->out_eof)
		end_stdout();
	maybe_done(p);
	return G_SOURCE_REMOVE;
}

static void queue_out(struct pipe_state *p, const uint8_t *buf, size_t len)
{
	if (p->out_off > 0) { /* compact before appending */
		memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
		p->out_len -= p->out_off;
		p->out_off = 0;
	}
	/* The pause below keeps us under PIPE_OUT_MAX plus one message (SCTP's max). */
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
	if (!p->out_watch)
		p->out_watch = g_unix_fd_add(STDOUT_FILENO, G_IO_OUT | G_IO_ERR, on_stdout, p);
	if (p->out_len >= PIPE_OUT_MAX)
		session_pause_reading(p->s, 1);
}

static void on_data(struct pipe_state *p, const uint8_t *buf, size_t len)
{
	p->bytes_out += len;
	if (p->out_len == 0) { /* fast path: straight to stdout */
		ssize_t n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			stdout_failed(p, errno);
			return;
		}
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
	}
	if (len > 0)
		queue_out(p, buf, len);
}

static void on_control(struct pipe_state *p, const struct xfer_msg *m)
{
	switch (m->type) {
	case XFER_T_EOF:
		p->out_eof = 1;
		if (p->out_len == p->out_off)
			end_stdout(); /* the reader sees EOF now */
		maybe_done(p);
		break;
	case XFER_T_BYE:
		p->got_bye = 1;
		if (p->sent_bye)
			session_finish(p->s, EXIT_OK_, NULL);
		break;
	case XFER_T_ABORT:
		session_finish(p->s, EXIT_PEER, "the peer aborted: %s", m->reason);
		break;
	default:
		break;
	}
}

static void on_message(void *arg, int binary, const uint8_t *buf, size_t len)
{
	struct pipe_state *p = arg;
	struct xfer_msg m;
	struct xfer_error e;
	memset(&m, 0, sizeof(m));
	if (binary ? xfer_seq_binary(&p->seq, XFER_PEER, len, &e) < 0
		   : (xfer_parse((const char *)buf, len, &m, &e) < 0 ||
		      xfer_seq_text(&p->seq, XFER_PEER, &m, &e) < 0)) {
		xfer_msg_clear(&m);
		session_send(p->s, xfer_build_abort(e.message));
		session_finish(p->s, EXIT_PEER, "the peer broke the protocol: %s", e.message);
		return;
	}
	if (binary)
		on_data(p, buf, len);
	else
		on_control(p, &m);
	xfer_msg_clear(&m);
}

static void on_ready(void *arg, struct session *s, struct dc *dc)
{
	struct pipe_state *p = arg;
	p->s = s;
	p->dc = dc;
	p->start_ns = util_now_ns();
	xfer_seq_init(&p->seq, XFER_CHANNEL_PIPE, XFER_ROLE_SENDER);
	p->chunk = PIPE_CHUNK;
	if (dc_max_message(dc) && dc_max_message(dc) < p->chunk)
		p->chunk = dc_max_message(dc);
	p->seq.auth[XFER_LOCAL] = p->seq.auth[XFER_PEER] = true; /* session.c did that part */
	dc_set_low_water(dc, PIPE_HIGH_WATER / 4);
	session_event(s, "ready", NULL);
	watch_stdin(p, 1);
}

static void on_cleanup(void *arg, int code)
{
	struct pipe_state *p = arg;
	(void)code;
	p->done = 1;
	watch_stdin(p, 0);
	if (p->out_watch)
		g_source_remove(p->out_watch);
	p->out_watch = 0;
}

/* The side that made the code shows it once it is in the room, so the other side cannot
 * arrive first. stdout carries the data: the code goes to stderr. */
static void on_joined(void *arg, struct session *s)
{
	struct pipe_state *p = arg;
	if (!p->code)
		return;
	char link[512];
	int have_link = cli_code_link(session_cli(s)->server, p->code, link, sizeof(link)) == 0;
	session_event(s, "code", json_pack("{s:s, s:s}", "code", p->code, "link",
					   have_link ? link : ""));
	fprintf(stderr, "On the other machine run:\n    rtcpeer pipe %s\n", p->code);
	if (have_link)
		fprintf(stderr, "or open %s in a browser\n", link);
}

int pipe_run(const struct cli *cli, const char *code, const char *room, const uint8_t *secret)
{
	struct pipe_state p;
	memset(&p, 0, sizeof(p));
	p.code = code;
	p.out = malloc(PIPE_OUT_MAX + SCTP_MAX_MESSAGE);
	if (!p.out)
		return EXIT_FAILURE_;
	/* Non-blocking ends so a slow reader or writer never stalls ICE, DTLS and SCTP. The flag
	 * lives in the open file description, which a terminal shares with the shell: restore. */
	int in_flags = fcntl(STDIN_FILENO, F_GETFL), out_flags = fcntl(STDOUT_FILENO, F_GETFL);
	fcntl(STDIN_FILENO, F_SETFL, in_flags | O_NONBLOCK);
	fcntl(STDOUT_FILENO, F_SETFL, out_flags | O_NONBLOCK);
	/* TRANSFER.md §9: the side that made the code opens the channel. */
	struct session_app app = {XFER_PIPE_LABEL, code != NULL, code != NULL, on_joined,
				  on_ready, on_message, on_buffered_low, on_cleanup, &p,
				  0 /* one association: a pipe is latency-bound, not loss-bound */};
	int rc = session_run(cli, room, secret, &app);
	fcntl(STDIN_FILENO, F_SETFL, in_flags);
	fcntl(STDOUT_FILENO, F_SETFL, out_flags);
	free(p.out);
	return rc;
}
