/*
 * xfer_recv.c - `rtcpeer recv CODE`: the receiving side of rtc-xfer.v1 (proto/TRANSFER.md).
 *
 * Nothing from the peer is trusted: names must pass xfer_name_sanitize() (a base name, no
 * control characters, valid UTF-8), sizes and order are checked by xfer_seq, and a file only
 * appears under its final name after its SHA-256 matched. Bytes land in an unnamed O_TMPFILE
 * inode (a killed receiver leaves nothing behind), linked into place with linkat(), which
 * never replaces an existing file; --force renames over it instead. Where the file system has
 * no O_TMPFILE, a hidden ".rtcpeer-*.part" file is used and removed on every failure path.
 */
#define _GNU_SOURCE /* O_TMPFILE (Linux 3.11) */
#include "xfer_recv.h"

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

struct receiver {
	struct session *s;
	const struct cli *cli;
	int dirfd;
	struct xfer_seq seq;
	int fd;                      /* the file being received, or -1 */
	uint64_t sync_off;           /* where the next writeback chunk starts */
	char tmpname[40];            /* named temporary file, or "" with O_TMPFILE */
	char name[XFER_NAME_MAX + 1];
	gnutls_hash_hd_t hash;
	struct progress prog;
	uint64_t total, start_ns;
	unsigned ok, refused, corrupted, unstored; /* unstored: io-error verdicts */
	guint bye_timer;
	int final;                   /* exit code once the sender is done */
};

#define RECV_BYE_WAIT_MS 3000
/* Writeback in step with the network: each chunk is handed to the disk as it fills, and the
 * one before it is waited for. Dirty pages stay under two chunks, so the fsync before the
 * verdict is short whatever the file and the disk: a slow disk slows the transfer (the SCTP
 * window closes while we wait) instead of blocking the main loop for tens of seconds at the
 * end, long enough for the peer to take us for dead (consent.h, SCTP heartbeats). */
#define RECV_SYNC_CHUNK (8u * 1024 * 1024)

static void send_msg(struct receiver *r, json_t *msg)
{
	session_send_ordered(r->s, &r->seq, msg);
}

/* ---------------------------------------------------------------- the temporary file */

static void drop_temp(struct receiver *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->tmpname[0])
		unlinkat(r->dirfd, r->tmpname, 0);
	r->tmpname[0] = '\0';
	if (r->hash)
		gnutls_hash_deinit(r->hash, NULL);
	r->hash = NULL;
	progress_finish(&r->prog);
}

/* ".rtcpeer-<80 random bits>.part": unpredictable, so a peer cannot aim a file name at it. */
static void temp_name(char *out, size_t cap)
{
	uint8_t rnd[10];
	char b32[20];
	util_random(rnd, sizeof(rnd));
	util_base32(b32, rnd, sizeof(rnd));
	snprintf(out, cap, ".rtcpeer-%s.part", b32);
}

static int open_temp(struct receiver *r)
{
	r->sync_off = 0;
	r->fd = openat(r->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (r->fd >= 0)
		return 0;
	for (int tries = 0; tries < 16 && r->fd < 0; tries++) { /* no O_TMPFILE here */
		temp_name(r->tmpname, sizeof(r->tmpname));
		r->fd = openat(r->dirfd, r->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (r->fd < 0 && errno != EEXIST)
			break;
	}
	if (r->fd < 0)
		r->tmpname[0] = '\0';
	return r->fd >= 0 ? 0 : -1;
}

/* Gives the verified file its name. Without --force an existing name is never replaced, even
 * one that appeared while we were receiving. */
static int publish(struct receiver *r)
{
	char proc[64];
	if (r->tmpname[0]) {
		if (r->cli->force) {
			int rc = renameat(r->dirfd, r->tmpname, r->dirfd, r->name);
			if (rc == 0)
				r->tmpname[0] = '\0';
			return rc;
		}
		if (linkat(r->dirfd, r->tmpname, r->dirfd, r->name, 0) < 0)
			return -1;
		unlinkat(r->dirfd, r->tmpname, 0);
		r->tmpname[0] = '\0';
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
	if (!r->cli->force)
		return linkat(AT_FDCWD, proc, r->dirfd, r->name, AT_SYMLINK_FOLLOW);
	/* --force: link under a fresh random hidden name (never one the peer could have chosen
	 * and never an existing one: linkat fails on EEXIST), then rename over atomically. */
	for (int tries = 0; tries < 16; tries++) {
		temp_name(r->tmpname, sizeof(r->tmpname));
		if (linkat(AT_FDCWD, proc, r->dirfd, r->tmpname, AT_SYMLINK_FOLLOW) == 0)
			break;
		r->tmpname[0] = '\0';
		if (errno != EEXIST)
			return -1;
	}
	if (!r->tmpname[0])
		return -1;
	int rc = renameat(r->dirfd, r->tmpname, r->dirfd, r->name);
	if (rc == 0)
		r->tmpname[0] = '\0'; /* the name is the file's now: drop_temp must not unlink it */
	return rc;
}

/* ---------------------------------------------------------------- protocol */

static void refuse(struct receiver *r, uint64_t id, enum xfer_reject reason)
{
	r->refused++;
	send_msg(r, xfer_build_reject(id, reason));
}

/* Without --force the name must be free: 0, or -1 with the reject reason. A name we cannot
 * even look up is refused now too; accepted, it would fail at linkat after the whole
 * transfer. */
static int check_name_free(struct receiver *r, enum xfer_reject *reason)
{
	char shown[XFER_NAME_MAX * 4 + 1];
	struct stat st;
	if (r->cli->force)
		return 0;
	int err = fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? errno : 0;
	if (err == ENOENT)
		return 0;
	util_quote(shown, sizeof(shown), r->name);
	if (err == 0) {
		fprintf(stderr, "rtcpeer: %s exists; not overwriting it (use --force)\n", shown);
		*reason = XFER_REJECT_EXISTS;
	} else {
		fprintf(stderr, "rtcpeer: refusing %s: cannot check whether it exists: %s\n", shown,
			strerror(err));
		*reason = XFER_REJECT_IO_ERROR;
	}
	return -1;
}

static void on_file(struct receiver *r, const struct xfer_msg *m)
{
	char err[128];
	enum xfer_reject reason;
	if (xfer_name_sanitize(m->name, r->name, sizeof(r->name), err, sizeof(err)) != XFER_NAME_OK) {
		fprintf(stderr, "rtcpeer: refusing a file with an unsafe name: %s\n", err);
		refuse(r, m->id, XFER_REJECT_BAD_NAME);
		return;
	}
	if (check_name_free(r, &reason) < 0) {
		refuse(r, m->id, reason);
		return;
	}
	if (open_temp(r) < 0 || gnutls_hash_init(&r->hash, GNUTLS_DIG_SHA256) < 0) {
		fprintf(stderr, "rtcpeer: cannot create %s: %s\n", r->name, strerror(errno));
		drop_temp(r);
		refuse(r, m->id, XFER_REJECT_IO_ERROR);
		return;
	}
	progress_start(&r->prog, r->name, m->size,
		       isatty(STDERR_FILENO) && !r->cli->quiet && !r->cli->json);
	send_msg(r, xfer_build_accept(m->id));
}

/* Hands each full RECV_SYNC_CHUNK to the disk and waits for the one before it. Waiting on a
 * range returns the file's writeback error and, on Linux, consumes it
 * (file_check_and_advance_wb_err): the fsync before the verdict would then return 0 for data
 * the disk lost. So a failure here is a write failure. Returns 0, or -1 with errno set. */
static int writeback(struct receiver *r)
{
	while (r->seq.bytes - r->sync_off >= RECV_SYNC_CHUNK) {
		if (sync_file_range(r->fd, (off_t)r->sync_off, RECV_SYNC_CHUNK,
				    SYNC_FILE_RANGE_WRITE) < 0)
			return -1;
		if (r->sync_off >= RECV_SYNC_CHUNK &&
		    sync_file_range(r->fd, (off_t)(r->sync_off - RECV_SYNC_CHUNK), RECV_SYNC_CHUNK,
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					    SYNC_FILE_RANGE_WAIT_AFTER) < 0)
			return -1;
		r->sync_off += RECV_SYNC_CHUNK;
	}
	return 0;
}

/* The file cannot be stored. No verdict can be given before the sender's `end`, and taking the
 * rest of a file we cannot keep would only waste the link: the session ends now (exit 8), and
 * cleanup drops the temporary file. */
static void write_failed(struct receiver *r, const char *what, int err)
{
	session_send(r->s, xfer_build_abort("the receiver cannot write"));
	session_finish(r->s, EXIT_IO, "%s %s: %s", what, r->name, strerror(err));
}

static void on_data(struct receiver *r, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(r->fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			write_failed(r, "writing", errno);
			return;
		}
		off += (size_t)n;
	}
	gnutls_hash(r->hash, buf, len);
	r->total += len;
	if (writeback(r) < 0) {
		write_failed(r, "writing back", errno);
		return;
	}
	progress_update(&r->prog, r->seq.bytes);
}

/* Once the name is linked, the directory entry must reach the disk too, or a crash after an
 * `ok` verdict can lose the name of a file whose data is synced. Only a warning: the data is
 * safe and the verdict stands. */
static void sync_dir(struct receiver *r)
{
	if (fsync(r->dirfd) < 0)
		log_warn("recv", "syncing the output directory after %s: %s", r->name,
			 strerror(errno));
}

/* Counts and reports the verdict on one file. err: errno of a failed sync or link. */
static void report_verdict(struct receiver *r, enum xfer_verdict v, int err)
{
	if (v == XFER_VERDICT_OK) {
		r->ok++;
		if (!r->cli->quiet)
			fprintf(stderr, "received %s (%llu bytes)\n", r->name,
				(unsigned long long)r->seq.size);
		session_event(r->s, "file", json_pack("{s:s, s:I}", "name", r->name, "bytes",
						      (json_int_t)r->seq.size));
	} else if (v == XFER_VERDICT_IO_ERROR) {
		r->unstored++; /* our own disk failed us: a local I/O error, not the sender's doing */
		fprintf(stderr, "rtcpeer: %s not kept: syncing or naming it failed: %s\n", r->name,
			strerror(err));
	} else {
		r->corrupted++;
		fprintf(stderr, "rtcpeer: %s not kept: %s\n", r->name, xfer_verdict_human(v));
	}
}

static void on_end(struct receiver *r, const struct xfer_msg *m)
{
	uint8_t digest[XFER_DIGEST_LEN];
	enum xfer_verdict v = XFER_VERDICT_OK;
	int err = 0;
	gnutls_hash_deinit(r->hash, digest);
	r->hash = NULL;
	progress_finish(&r->prog);
	if (r->seq.bytes != r->seq.size)
		v = XFER_VERDICT_SIZE;
	else if (memcmp(digest, m->sha256, sizeof(digest)) != 0)
		v = XFER_VERDICT_CHECKSUM;
	if (v == XFER_VERDICT_OK && (fsync(r->fd) < 0 || publish(r) < 0)) {
		v = XFER_VERDICT_IO_ERROR;
		err = errno;
	}
	if (v == XFER_VERDICT_OK)
		sync_dir(r);
	report_verdict(r, v, err);
	drop_temp(r); /* closes; unlinks whatever temporary name is left */
	send_msg(r, xfer_build_verdict(m->id, v));
}

static gboolean bye_timeout(gpointer arg)
{
	struct receiver *r = arg;
	r->bye_timer = 0;
	session_finish(r->s, r->final, NULL);
	return G_SOURCE_REMOVE;
}

static void print_summary(struct receiver *r)
{
	char head[64];
	snprintf(head, sizeof(head), "received %u file%s", r->ok, r->ok == 1 ? "" : "s");
	session_summary(r->s, head, r->ok, r->total, r->start_ns);
}

static void on_message(void *arg, int binary, const uint8_t *buf, size_t len)
{
	struct receiver *r = arg;
	struct xfer_msg m;
	struct xfer_error e;
	memset(&m, 0, sizeof(m));
	if (binary ? xfer_seq_binary(&r->seq, XFER_PEER, len, &e) < 0
		   : (xfer_parse((const char *)buf, len, &m, &e) < 0 ||
		      xfer_seq_text(&r->seq, XFER_PEER, &m, &e) < 0)) {
		xfer_msg_clear(&m);
		session_send(r->s, xfer_build_abort("protocol error"));
		session_finish(r->s, EXIT_PEER, "the sender broke the protocol: %s", e.message);
		return;
	}
	if (binary) {
		on_data(r, buf, len);
		return;
	}
	switch (m.type) {
	case XFER_T_FILE:
		on_file(r, &m);
		break;
	case XFER_T_END:
		on_end(r, &m);
		break;
	case XFER_T_DONE:
		print_summary(r);
		send_msg(r, xfer_build_bye());
		/* The sender closes when it reads our bye; that is the end. Should it not, we
		 * still stop after a while: we have everything. */
		/* rtcpeer.1, EXIT STATUS: the lowest code that applies. */
		r->final = r->corrupted ? EXIT_INTEGRITY
			   : r->unstored ? EXIT_IO
			   : r->refused  ? EXIT_REFUSED
					 : EXIT_OK_;
		session_expect_close(r->s, r->final);
		r->bye_timer = g_timeout_add(RECV_BYE_WAIT_MS, bye_timeout, r);
		break;
	case XFER_T_ABORT:
		session_finish(r->s, EXIT_PEER, "the sender aborted: %s", m.reason);
		break;
	default:
		break;
	}
	xfer_msg_clear(&m);
}

static void on_ready(void *arg, struct session *s, struct dc *dc)
{
	struct receiver *r = arg;
	(void)dc;
	r->s = s;
	r->start_ns = util_now_ns();
	xfer_seq_init(&r->seq, XFER_CHANNEL_FILES, XFER_ROLE_RECEIVER);
	r->seq.auth[XFER_LOCAL] = r->seq.auth[XFER_PEER] = true; /* session.c did that part */
}

static void on_cleanup(void *arg, int code)
{
	struct receiver *r = arg;
	(void)code;
	if (r->bye_timer)
		g_source_remove(r->bye_timer);
	r->bye_timer = 0;
	drop_temp(r); /* an unfinished file never appears under its name */
}

int xfer_recv_run(const struct cli *cli, const char *room, const uint8_t *secret)
{
	struct receiver r;
	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.fd = -1;
	r.dirfd = open(cli->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0) {
		fprintf(stderr, "rtcpeer: %s: %s\n", cli->output_dir, strerror(errno));
		return EXIT_IO;
	}
	struct session_app app = {XFER_LABEL, 0, 0, NULL, on_ready, on_message, NULL, on_cleanup,
				  &r, 1};
	int rc = session_run(cli, room, secret, &app);
	close(r.dirfd);
	return rc;
}
