/*
 * xfer_send.c - `rtcpeer send FILE...`: the sending side of rtc-xfer.v1 (proto/TRANSFER.md).
 *
 * One file at a time: announce, wait for accept, stream 64 KiB binary messages while hashing,
 * then `end` with the SHA-256 and wait for the verdict. Reading is paced by the channel: we stop
 * while more than SEND_HIGH_WATER bytes wait above SCTP and resume on the low-water callback,
 * so memory stays flat whatever the file size.
 */
#include "xfer_send.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <gnutls/crypto.h>

#include "log.h"
#include "progress.h"
#include "util.h"
#include "xfer.h"

#define SEND_CHUNK      XFER_CHUNK_MAX
/* What waits above SCTP. SCTP's own send buffer (1 MiB, sctp.c) holds what is in flight and
 * what goes next, and is what keeps the path full; this queue only has to have the next
 * messages ready when SCTP says it has room, and the pump refills it within a main-loop turn.
 * At 1 MiB it was 1 MiB of peak RSS for no throughput (bench/rtcpeer.sh: the same MB/s at
 * 1 MiB, 256 KiB and 128 KiB). */
#define SEND_HIGH_WATER (256 * 1024)
#define SEND_LOW_WATER  (64 * 1024)

struct sender {
	struct session *s;
	const struct cli *cli;
	const char *code;
	struct xfer_seq seq;
	size_t cur;              /* index into cli->args of the file in flight */
	int fd;
	uint64_t size, sent;
	gnutls_hash_hd_t hash;
	guint pump;
	size_t chunk;            /* bytes per message: 64 KiB, or less if the peer says so */
	struct progress prog;
	uint64_t total, start_ns;
	unsigned ok, refused, corrupted;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The file at path, opened for reading, if it is a regular file (its stat in *st); else -1 with
 * the reason in *why. The one test for a file we send, before the code is printed and again
 * when its turn comes, since it may have changed in between. */
static int open_regular(const char *path, struct stat *st, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0) {
		*why = strerror(errno);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		goto fail;
	}
	/* We send st_size bytes. Files in /proc and /sys say 0 and have content anyway: sent as
	 * they are, they would arrive empty and verify. One byte tells them from an empty file. */
	uint8_t probe;
	ssize_t n = st->st_size == 0 ? read(fd, &probe, 1) : 0;
	if (n != 0) {
		*why = n < 0 ? strerror(errno)
			     : "its size reads as 0 but it has content (not a file with a known "
			       "size); copy it to a regular file first";
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Everything that can be checked before anyone waits for us is checked before the code is
 * printed: files exist, are regular, readable, and have names a receiver can accept. */
static int check_files(const struct cli *cli)
{
	char err[128];
	for (size_t i = 0; i < cli->nargs; i++) {
		struct stat st;
		const char *path = cli->args[i], *name = base_name(path), *why;
		char shown[1024];
		util_quote(shown, sizeof(shown), path);
		int fd = open_regular(path, &st, &why);
		if (fd < 0) {
			fprintf(stderr, "rtcpeer: %s: %s\n", shown, why);
			return -1;
		}
		close(fd);
		if (xfer_name_check(name, strlen(name), err, sizeof(err)) != XFER_NAME_OK) {
			fprintf(stderr, "rtcpeer: %s: the name cannot be sent: %s\n", shown, err);
			return -1;
		}
	}
	return 0;
}

static void send_msg(struct sender *x, json_t *msg)
{
	session_send_ordered(x->s, &x->seq, msg);
}

static void next_file(struct sender *x);

/* ---------------------------------------------------------------- streaming */

/* The file in flight is done with: its data is sent, or the receiver refused it. */
static void close_file(struct sender *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

static void finish_file_data(struct sender *x)
{
	uint8_t digest[XFER_DIGEST_LEN];
	gnutls_hash_deinit(x->hash, digest);
	x->hash = NULL;
	close_file(x);
	progress_finish(&x->prog);
	send_msg(x, xfer_build_end(x->seq.id, digest));
}

/* One pass: read and send until the channel is full or the file is done. */
static gboolean pump(gpointer arg)
{
	struct sender *x = arg;
	static uint8_t buf[SEND_CHUNK];
	while (session_writable(x->s, SEND_HIGH_WATER)) {
		size_t want = x->size - x->sent < x->chunk ? (size_t)(x->size - x->sent) : x->chunk;
		if (want == 0) {
			x->pump = 0;
			finish_file_data(x);
			return G_SOURCE_REMOVE;
		}
		ssize_t n = read(x->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) { /* shrank under us: end early, the verdict will say "size" */
			x->pump = 0;
			finish_file_data(x);
			return G_SOURCE_REMOVE;
		}
		if (n < 0) {
			char shown[1024];
			util_quote(shown, sizeof(shown), x->cli->args[x->cur]);
			session_send(x->s, xfer_build_abort("the sender could not read the file"));
			session_finish(x->s, EXIT_IO, "%s: %s", shown, strerror(errno));
			x->pump = 0;
			return G_SOURCE_REMOVE;
		}
		gnutls_hash(x->hash, buf, (size_t)n);
		if (session_send_data(x->s, buf, (size_t)n) < 0) {
			session_finish(x->s, EXIT_PEER, "the connection to the peer is gone");
			x->pump = 0;
			return G_SOURCE_REMOVE;
		}
		x->sent += (uint64_t)n;
		x->total += (uint64_t)n;
		session_mark_data(x->s);
		progress_update(&x->prog, x->sent);
	}
	x->pump = 0; /* the buffered-low callback resumes */
	return G_SOURCE_REMOVE;
}

/* Resumes the pump only in the data phase, between accept and end: that is when the hash
 * exists. An open file alone is not enough: next_file() opens it before the receiver has
 * accepted, and data then would be a protocol error (and hash with no handle). */
static void on_buffered_low(void *arg)
{
	struct sender *x = arg;
	if (x->hash && x->fd >= 0 && !x->pump)
		x->pump = g_idle_add(pump, x);
}

static void start_data(struct sender *x)
{
	if (gnutls_hash_init(&x->hash, GNUTLS_DIG_SHA256) < 0) {
		session_finish(x->s, EXIT_FAILURE_, "cannot start SHA-256");
		return;
	}
	progress_start(&x->prog, base_name(x->cli->args[x->cur]), x->size,
		       isatty(STDERR_FILENO) && !x->cli->quiet && !x->cli->json);
	x->pump = g_idle_add(pump, x);
}

/* ---------------------------------------------------------------- files */

static void next_file(struct sender *x)
{
	struct stat st;
	if (x->cur >= x->cli->nargs) {
		send_msg(x, xfer_build_done());
		return;
	}
	const char *path = x->cli->args[x->cur], *why;
	x->fd = open_regular(path, &st, &why);
	if (x->fd < 0) {
		/* It passed check_files, so it changed since (deleted, replaced): the receiver
		 * waits for a `file`, and must hear why none comes. */
		char shown[1024];
		util_quote(shown, sizeof(shown), path);
		session_send(x->s, xfer_build_abort("the sender could not open the next file"));
		session_finish(x->s, EXIT_IO, "%s: %s", shown, why);
		return;
	}
	x->size = (uint64_t)st.st_size;
	x->sent = 0;
	send_msg(x, xfer_build_file(x->seq.next_id, base_name(path), x->size));
}

static void print_summary(struct sender *x)
{
	char head[64];
	snprintf(head, sizeof(head), "sent %u of %zu file%s", x->ok, x->cli->nargs,
		 x->cli->nargs == 1 ? "" : "s");
	session_summary(x->s, head, x->ok, x->total, x->start_ns);
}

static void on_verdict(struct sender *x, const struct xfer_msg *m)
{
	char path[1024];
	util_quote(path, sizeof(path), x->cli->args[x->cur]);
	close_file(x); /* a reject comes before any data: the file is still open */
	if (m->type == XFER_T_REJECT) {
		x->refused++;
		fprintf(stderr, "rtcpeer: the receiver refused %s: %s\n", path,
			xfer_reject_human(m->reject));
	} else if (m->verdict == XFER_VERDICT_OK) {
		x->ok++;
	} else if (m->verdict == XFER_VERDICT_IO_ERROR) {
		/* It arrived intact and the receiver's disk failed: not a corrupt transfer (6), the
		 * receiver could not take the file, as with a reject (rtcpeer.1, exit 9). */
		x->refused++;
		fprintf(stderr, "rtcpeer: %s was not kept: %s\n", path,
			xfer_verdict_human(m->verdict));
	} else {
		x->corrupted++;
		fprintf(stderr, "rtcpeer: %s did not arrive intact: %s\n", path,
			xfer_verdict_human(m->verdict));
	}
	x->cur++;
	next_file(x);
}

static void on_message(void *arg, int binary, const uint8_t *buf, size_t len)
{
	struct sender *x = arg;
	struct xfer_msg m;
	struct xfer_error e;
	if (binary || xfer_parse((const char *)buf, len, &m, &e) < 0 ||
	    xfer_seq_text(&x->seq, XFER_PEER, &m, &e) < 0) {
		if (!binary)
			xfer_msg_clear(&m);
		session_send(x->s, xfer_build_abort("protocol error"));
		session_finish(x->s, EXIT_PEER, "the receiver broke the protocol: %s",
			       binary ? "unexpected data" : e.message);
		return;
	}
	switch (m.type) {
	case XFER_T_ACCEPT:
		start_data(x);
		break;
	case XFER_T_REJECT:
	case XFER_T_VERDICT:
		on_verdict(x, &m);
		break;
	case XFER_T_BYE:
		print_summary(x);
		session_finish(x->s, x->corrupted ? EXIT_INTEGRITY : x->refused ? EXIT_REFUSED : EXIT_OK_,
			       NULL);
		break;
	case XFER_T_ABORT:
		session_finish(x->s, EXIT_PEER, "the receiver aborted: %s", m.reason);
		break;
	default:
		break;
	}
	xfer_msg_clear(&m);
}

/* In the room: now the receiver can come, so now is the time to show the code. stdout gets
 * exactly the line to type on the other machine. */
static void on_joined(void *arg, struct session *s)
{
	struct sender *x = arg;
	char link[512];
	int have_link = cli_code_link(x->cli->server, x->code, link, sizeof(link)) == 0;
	session_event(s, "code", json_pack("{s:s, s:s}", "code", x->code, "link",
					   have_link ? link : ""));
	printf("rtcpeer recv %s\n", x->code);
	fflush(stdout);
	if (have_link && !x->cli->quiet)
		fprintf(stderr, "or open %s in a browser\n", link);
}

static void on_ready(void *arg, struct session *s, struct dc *dc)
{
	struct sender *x = arg;
	x->s = s;
	(void)dc; /* data goes through the session: on this channel, or striped over lanes */
	x->start_ns = util_now_ns();
	session_set_low_water(s, SEND_LOW_WATER);
	/* RFC 8841 §6: never more per message than the peer's a=max-message-size, and what the
	 * lanes' header leaves. */
	x->chunk = session_max_data(s, SEND_CHUNK);
	xfer_seq_init(&x->seq, XFER_CHANNEL_FILES, XFER_ROLE_SENDER);
	x->seq.auth[XFER_LOCAL] = x->seq.auth[XFER_PEER] = true; /* session.c did that part */
	next_file(x);
}

static void on_cleanup(void *arg, int code)
{
	struct sender *x = arg;
	(void)code;
	if (x->pump)
		g_source_remove(x->pump);
	x->pump = 0;
	if (x->hash) {
		gnutls_hash_deinit(x->hash, NULL);
		x->hash = NULL;
	}
	close_file(x);
	progress_finish(&x->prog);
}

int xfer_send_run(const struct cli *cli, const char *code, const char *room,
		  const uint8_t *secret)
{
	struct sender x;
	if (check_files(cli) < 0)
		return EXIT_IO;
	memset(&x, 0, sizeof(x));
	x.cli = cli;
	x.fd = -1;
	x.code = code;
	struct session_app app = {XFER_LABEL, 1, 1, on_joined, on_ready, on_message,
				  on_buffered_low, on_cleanup, &x, 1};
	return session_run(cli, room, secret, &app);
}
