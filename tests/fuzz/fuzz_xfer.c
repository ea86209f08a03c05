/*
 * fuzz_xfer.c - libFuzzer target for proto/xfer (proto/TRANSFER.md).
 *
 * Every input goes through three checks. Beyond "no crash, no leak, no UB" (the sanitizers),
 * each asserts the properties the peers rely on:
 *   - xfer_parse: a message that parses is rebuilt by the builder for its type, serialised
 *     and parsed again with the same fields. A message that fails yields a code, and a
 *     printable-ASCII message that goes out unchanged as an abort reason. The struct is
 *     cleared.
 *   - xfer_name_check / xfer_name_sanitize over the raw bytes: the verdict equals an
 *     independent oracle (length, jansson's UTF-8 check, byte scans), and an accepted name
 *     travels in a `file` message unchanged.
 *   - struct xfer_seq: the input, split into lines, drives one side's order checks (first
 *     byte: channel and role; each line "L..." or "P..." is a local or peer event, "#<n>" a
 *     binary message of n bytes, anything else a text message). A refused event never
 *     changes the state, and the byte count never passes the announced size.
 * A broken property aborts, so libFuzzer saves the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xfer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_xfer: %s: %s\n", what, detail ? detail : "");
	abort();
}

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* The builder for m's type, from m's fields. */
static json_t *rebuild(const struct xfer_msg *m)
{
	switch (m->type) {
	case XFER_T_AUTH:
		return xfer_build_auth(m->mac, (unsigned)m->lanes);
	case XFER_T_FILE:
		return xfer_build_file(m->id, m->name, m->size);
	case XFER_T_ACCEPT:
		return xfer_build_accept(m->id);
	case XFER_T_REJECT:
		return xfer_build_reject(m->id, m->reject);
	case XFER_T_END:
		return xfer_build_end(m->id, m->sha256);
	case XFER_T_VERDICT:
		return xfer_build_verdict(m->id, m->verdict);
	case XFER_T_DONE:
		return xfer_build_done();
	case XFER_T_BYE:
		return xfer_build_bye();
	case XFER_T_EOF:
		return xfer_build_eof();
	case XFER_T_ABORT:
		return xfer_build_abort(m->reason);
	default:
		die("xfer_parse", "returned an invalid type");
		return NULL;
	}
}

/* Serialises `built` (consumed) and parses it into *out; it must parse. */
static void reparse(json_t *built, const char *what, struct xfer_msg *out)
{
	struct xfer_error err;
	size_t len = 0;
	if (!built)
		die(what, "builder returned NULL");
	char *text = xfer_dump(built, &len);
	json_decref(built);
	if (!text)
		die(what, "xfer_dump returned NULL");
	if (xfer_parse(text, len, out, &err) != 0) {
		fprintf(stderr, "fuzz_xfer: %s: %s does not parse back: %s (%s)\n", what, text,
			xfer_error_wire(err.code), err.message);
		abort();
	}
	free(text);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_parse(const char *buf, size_t size)
{
	struct xfer_msg m, again;
	struct xfer_error err;

	if (xfer_parse(buf, size, &m, &err) == 0) {
		if (err.code != XFER_OK || err.message[0])
			die("xfer_parse", "success with an error set");
		if (m.name && (strlen(m.name) == 0 || strlen(m.name) > XFER_NAME_MAX))
			die("xfer_parse", "name length out of range");
		if (m.reason) {
			size_t rl = strlen(m.reason);
			if (rl == 0 || rl > XFER_REASON_MAX)
				die("xfer_parse", "abort reason length out of range");
			for (size_t i = 0; i < rl; i++) {
				unsigned char c = (unsigned char)m.reason[i];
				if (c < 0x20 || c == 0x7f ||
				    (c == 0xc2 && (unsigned char)m.reason[i + 1] <= 0x9f))
					die("xfer_parse", "abort reason with a control character");
			}
		}
		reparse(rebuild(&m), "rebuild", &again);
		if (again.type != m.type || again.id != m.id || again.size != m.size ||
		    !same_str(again.name, m.name) || !same_str(again.reason, m.reason) ||
		    again.reject != m.reject || again.verdict != m.verdict ||
		    memcmp(again.mac, m.mac, sizeof(m.mac)) != 0 ||
		    memcmp(again.sha256, m.sha256, sizeof(m.sha256)) != 0)
			die("rebuild", "fields changed on the way through");
		xfer_msg_clear(&again);
		xfer_msg_clear(&m);
		return;
	}
	if (m.root || m.type != XFER_T_INVALID || m.name || m.reason || m.id || m.size)
		die("xfer_parse", "message not cleared after failure");
	if (err.code == XFER_OK || err.code >= XFER_ERROR_COUNT || err.code == XFER_E_ORDER ||
	    err.message[0] == '\0')
		die("xfer_parse", "failed without a proper code or message");
	if (!printable_ascii(err.message))
		die("xfer_parse", "error message is not printable ASCII");
	/* Every error can be reported to the peer word for word. */
	reparse(xfer_build_abort(err.message), "abort", &again);
	if (again.type != XFER_T_ABORT || !same_str(again.reason, err.message))
		die("abort", "reason changed");
	xfer_msg_clear(&again);
}

/* Independent of xfer.c: what §8 says, with jansson as the UTF-8 judge. */
static int oracle_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > XFER_NAME_MAX)
		return 0;
	json_t *j = json_stringn(s, len); /* NULL for invalid UTF-8 (overlong, surrogates, ...) */
	if (!j)
		return 0;
	json_decref(j);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return 0;
		/* In valid UTF-8, U+0080..U+009F is exactly C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f)
			return 0;
	}
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return 1;
}

static void check_names(const char *buf, size_t size)
{
	char err[256], out[XFER_NAME_MAX + 1];
	int rc = xfer_name_check(buf, size, err, sizeof(err));
	int want = oracle_name_ok(buf, size);
	if ((rc == XFER_NAME_OK) != want) {
		fprintf(stderr, "fuzz_xfer: xfer_name_check says %d (%s), oracle says %s\n", rc, err,
			want ? "ok" : "refuse");
		abort();
	}
	if (rc != XFER_NAME_OK && (rc < XFER_NAME_E_SPACE || err[0] == '\0'))
		die("xfer_name_check", "failure without a proper code or message");

	if (rc == XFER_NAME_OK) {
		/* Accepted names travel unchanged in a file message. */
		char *name = malloc(size + 1);
		struct xfer_msg m;
		if (!name)
			return;
		memcpy(name, buf, size);
		name[size] = '\0';
		if (xfer_name_sanitize(name, out, sizeof(out), NULL, 0) != XFER_NAME_OK ||
		    strcmp(out, name) != 0)
			die("xfer_name_sanitize", "disagrees with xfer_name_check");
		reparse(xfer_build_file(1, name, 0), "file with accepted name", &m);
		if (!same_str(m.name, name))
			die("file", "name changed on the way through");
		xfer_msg_clear(&m);
		free(name);
	}

	/* The C-string API on the same bytes (cut at the first NUL). */
	char *cstr = malloc(size + 1);
	if (!cstr)
		return;
	memcpy(cstr, buf, size);
	cstr[size] = '\0';
	size_t clen = strlen(cstr);
	rc = xfer_name_sanitize(cstr, out, sizeof(out), err, sizeof(err));
	int crc = xfer_name_check(cstr, clen, NULL, 0);
	if (rc != crc)
		die("xfer_name_sanitize", "differs from xfer_name_check on the same string");
	if (rc == XFER_NAME_OK ? strcmp(out, cstr) != 0 : out[0] != '\0')
		die("xfer_name_sanitize", "output wrong");
	free(cstr);
}

static int same_seq(const struct xfer_seq *a, const struct xfer_seq *b)
{
	return a->channel == b->channel && a->role == b->role && a->state == b->state &&
	       a->auth[0] == b->auth[0] && a->auth[1] == b->auth[1] && a->eof[0] == b->eof[0] &&
	       a->eof[1] == b->eof[1] && a->next_id == b->next_id && a->id == b->id &&
	       a->size == b->size && a->bytes == b->bytes;
}

static void seq_event(struct xfer_seq *s, const char *line, size_t len)
{
	struct xfer_seq before = *s;
	struct xfer_error err;
	enum xfer_origin from;
	int rc;

	if (len == 0 || (line[0] != 'L' && line[0] != 'P'))
		return;
	from = line[0] == 'L' ? XFER_LOCAL : XFER_PEER;
	line++;
	len--;
	if (len > 0 && line[0] == '#') {
		size_t n = 0;
		for (size_t i = 1; i < len && i < 8 && line[i] >= '0' && line[i] <= '9'; i++)
			n = n * 10 + (size_t)(line[i] - '0');
		rc = xfer_seq_binary(s, from, n, &err);
	} else {
		struct xfer_msg m;
		struct xfer_error perr;
		if (xfer_parse(line, len, &m, &perr) != 0)
			return;
		rc = xfer_seq_text(s, from, &m, &err);
		xfer_msg_clear(&m);
	}
	if (rc != 0) {
		if (err.code != XFER_E_ORDER || !err.message[0] || !printable_ascii(err.message))
			die("xfer_seq", "refusal without a proper code or message");
		if (!same_seq(&before, s))
			die("xfer_seq", "a refused event changed the state");
	} else if (err.code != XFER_OK) {
		die("xfer_seq", "success with an error set");
	}
	if (before.state == XFER_S_CLOSED || before.state == XFER_S_ABORTED) {
		if (rc == 0)
			die("xfer_seq", "accepted an event after the end");
	}
	if ((unsigned)s->state > XFER_S_ABORTED || s->bytes > s->size || s->next_id == 0)
		die("xfer_seq", "invariant broken");
}

static void check_seq(const char *buf, size_t size)
{
	struct xfer_seq s;
	if (size == 0)
		return;
	xfer_seq_init(&s, (buf[0] & 1) ? XFER_CHANNEL_PIPE : XFER_CHANNEL_FILES,
		      (buf[0] & 2) ? XFER_ROLE_RECEIVER : XFER_ROLE_SENDER);
	size_t start = 1;
	for (size_t i = 1; i <= size; i++) {
		if (i == size || buf[i] == '\n') {
			seq_event(&s, buf + start, i - start);
			start = i + 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes with no terminator: reading past len is caught by ASan. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	check_parse(buf, size);
	check_names(buf, size);
	check_seq(buf, size);
	free(buf);
	return 0;
}
