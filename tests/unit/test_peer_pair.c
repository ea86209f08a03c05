/*
 * Two complete rtcpeer stacks in one process (ICE on 127.0.0.1 -> DTLS -> SCTP -> data
 * channels), their descriptions and trickled candidates handed across by the test instead of a
 * signaling server: data both ways, and a tampered fingerprint refused. Bounded waits only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "peer.h"

#define WAIT_MS 15000
#define MSGS    200

struct side {
	struct peer *peer;
	struct side *other;
	struct dc *dc;
	void (*second)(void *arg, struct dc *dc); /* takes incoming channels after the first */
	int tamper;             /* corrupt the fingerprint in descriptions we send */
	enum peer_state state;
	int open;
	size_t got_bytes;
	unsigned got_msgs;
	unsigned bad_content;
};

struct handoff {
	struct side *to;
	int is_description;
	enum sdp_type type;
	char *text;
	char *mid;
};

/* Deliver asynchronously, as a signaling server would. */
static gboolean deliver(gpointer arg)
{
	struct handoff *h = arg;
	char err[256];
	if (h->to->peer) {
		if (h->is_description) {
			int rc = peer_set_remote_description(h->to->peer, h->type, h->text, err,
							     sizeof(err));
			if (rc < 0)
				fail_msg("set_remote_description: %s", err);
		} else {
			peer_add_remote_candidate(h->to->peer, h->text);
		}
	}
	g_free(h->text);
	g_free(h->mid);
	g_free(h);
	return G_SOURCE_REMOVE;
}

static void post(struct side *to, int is_desc, enum sdp_type type, const char *text)
{
	struct handoff *h = g_new0(struct handoff, 1);
	h->to = to;
	h->is_description = is_desc;
	h->type = type;
	h->text = g_strdup(text);
	g_idle_add(deliver, h);
}

static void on_description(void *arg, enum sdp_type type, const char *sdp)
{
	struct side *s = arg;
	char *copy = g_strdup(sdp);
	if (s->tamper) {
		/* A signaling server swapping in its own certificate's fingerprint. */
		char *fp = strstr(copy, "a=fingerprint:sha-256 ");
		assert_non_null(fp);
		fp += strlen("a=fingerprint:sha-256 ");
		fp[0] = fp[0] == 'A' ? 'B' : 'A';
	}
	post(s->other, 1, type, copy);
	g_free(copy);
}

static void on_candidate(void *arg, const char *cand, const char *mid)
{
	struct side *s = arg;
	(void)mid;
	post(s->other, 0, SDP_TYPE_NONE, cand);
}

static void on_state(void *arg, enum peer_state st)
{
	((struct side *)arg)->state = st;
}

/* Message i is MSGS bytes of the value i: content and order are both checked. */
static void on_message(void *arg, struct dc *dc, int binary, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	(void)dc;
	unsigned i = s->got_msgs++;
	if (!binary || len != 1000 || buf[0] != (uint8_t)i || buf[len - 1] != (uint8_t)i)
		s->bad_content++;
	s->got_bytes += len;
}

static void on_open(void *arg, struct dc *dc)
{
	struct side *s = arg;
	s->dc = dc;
	s->open = 1;
}

static const struct dc_callbacks *callbacks_for(struct side *s)
{
	static struct dc_callbacks cb[2];
	static int n;
	struct dc_callbacks *c = &cb[n++ % 2];
	*c = (struct dc_callbacks){on_open, on_message, NULL, NULL, s};
	return c;
}

static void on_channel(void *arg, struct dc *dc)
{
	struct side *s = arg;
	if (s->second)
		s->second(s, dc);
	else
		dc_set_callbacks(dc, callbacks_for(s));
}

static void side_new(struct side *s, struct side *other)
{
	char err[256];
	struct peer_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ice.local_addrs[0] = "127.0.0.1";
	cfg.ice.nlocal_addrs = 1;
	cfg.timeout_ms = WAIT_MS;
	struct peer_callbacks cb = {on_description, on_candidate, on_state, on_channel, s, NULL};
	s->other = other;
	s->peer = peer_new(&cfg, &cb, err, sizeof(err));
	if (!s->peer)
		fail_msg("peer_new: %s", err);
}

typedef int (*cond_fn)(struct side *a, struct side *b);

static int wait_for(cond_fn done, struct side *a, struct side *b)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
	while (!done(a, b)) {
		if (g_get_monotonic_time() > deadline)
			return -1;
		g_main_context_iteration(NULL, TRUE);
	}
	return 0;
}

static int both_connected(struct side *a, struct side *b)
{
	return a->state == PEER_CONNECTED && b->state == PEER_CONNECTED;
}

static int both_open(struct side *a, struct side *b)
{
	return a->open && b->open;
}

static int all_received(struct side *a, struct side *b)
{
	return a->got_msgs == MSGS && b->got_msgs == MSGS;
}

static int both_failed(struct side *a, struct side *b)
{
	return a->state == PEER_FAILED && b->state == PEER_FAILED;
}

static void send_all(struct side *s)
{
	uint8_t msg[1000];
	for (unsigned i = 0; i < MSGS; i++) {
		memset(msg, (int)(uint8_t)i, sizeof(msg));
		assert_int_equal(dc_send(s->dc, 1, msg, sizeof(msg)), 0);
	}
}

static void second_channel(struct side *a, struct side *b);
static void refused_channel(struct side *a, struct side *b);

static void pair_over_ice(void **state)
{
	struct side a = {0}, b = {0};
	char err[256];
	(void)state;
	side_new(&a, &b);
	side_new(&b, &a);
	assert_int_equal(peer_create_offer(a.peer, err, sizeof(err)), 0);
	assert_int_equal(wait_for(both_connected, &a, &b), 0);
	assert_non_null(peer_selected_pair(a.peer));
	assert_false(peer_relayed(a.peer));
	/* The offerer's peer sees its answerer as DTLS client (a=setup:active). */
	assert_false(peer_is_dtls_client(a.peer));
	assert_true(peer_is_dtls_client(b.peer));
	assert_memory_equal(peer_remote_fingerprint(a.peer), peer_local_fingerprint(b.peer),
			    CERT_FP_LEN);

	assert_non_null(peer_create_channel(a.peer, "xfer", NULL, callbacks_for(&a)));
	assert_int_equal(wait_for(both_open, &a, &b), 0);
	assert_int_equal(dc_id(a.dc) % 2, 1); /* DTLS server: odd ids (RFC 8832 §6) */
	assert_string_equal(dc_label(b.dc), "xfer");
	send_all(&a);
	send_all(&b);
	assert_int_equal(wait_for(all_received, &a, &b), 0);
	assert_int_equal(a.bad_content, 0);
	assert_int_equal(b.bad_content, 0);
	assert_int_equal(a.got_bytes, MSGS * 1000);
	second_channel(&a, &b);
	refused_channel(&a, &b);

	peer_close(a.peer);
	peer_close(b.peer);
	peer_free(a.peer);
	peer_free(b.peer);
}

/* A second channel, unordered and without retransmissions, opened by the other side: the
 * opener's parity, label, protocol and options arrive intact; closing it resets the stream and
 * both ends see it closed (RFC 8831 §6.7). */
struct chan {
	struct dc *dc;
	int open, closed;
	unsigned got;
};

static void chan_open(void *arg, struct dc *dc)
{
	struct chan *c = arg;
	c->dc = dc;
	c->open = 1;
}

static void chan_message(void *arg, struct dc *dc, int binary, const uint8_t *buf, size_t len)
{
	(void)dc;
	(void)binary;
	(void)buf;
	(void)len;
	((struct chan *)arg)->got++;
}

static void chan_closed(void *arg, struct dc *dc)
{
	(void)dc;
	((struct chan *)arg)->closed = 1;
}

static struct chan opener, acceptor;

static void accept_second(void *arg, struct dc *dc)
{
	static const struct dc_callbacks cb = {chan_open, chan_message, NULL, chan_closed, &acceptor};
	(void)arg;
	dc_set_callbacks(dc, &cb);
}

static int chans_open(struct side *a, struct side *b)
{
	(void)a;
	(void)b;
	return opener.open && acceptor.open;
}

static int chans_got(struct side *a, struct side *b)
{
	(void)a;
	(void)b;
	return acceptor.got == 50;
}

static int chans_closed(struct side *a, struct side *b)
{
	(void)a;
	(void)b;
	return opener.closed && acceptor.closed;
}

static void second_channel(struct side *a, struct side *b)
{
	static const struct dc_callbacks cb = {chan_open, chan_message, NULL, chan_closed, &opener};
	struct dc_opts o = {.unordered = 1, .pr = SCTP_PR_RTX, .pr_value = 0, .protocol = "p1"};
	memset(&opener, 0, sizeof(opener));
	memset(&acceptor, 0, sizeof(acceptor));
	/* a's channel callback hands the new channel to `acceptor` from now on. */
	a->second = accept_second;
	assert_non_null(peer_create_channel(b->peer, "unreliable", &o, &cb));
	assert_int_equal(wait_for(chans_open, a, b), 0);
	assert_int_equal(dc_id(opener.dc) % 2, 0); /* DTLS client: even ids */
	assert_string_equal(dc_label(acceptor.dc), "unreliable");
	assert_string_equal(dc_protocol(acceptor.dc), "p1");
	for (int i = 0; i < 50; i++)
		assert_int_equal(dc_send(opener.dc, 0, (const uint8_t *)"x", 1), 0);
	assert_int_equal(wait_for(chans_got, a, b), 0); /* loopback loses nothing */
	dc_close(opener.dc);
	assert_int_equal(wait_for(chans_closed, a, b), 0);
}

/* A channel the app refuses from its channel callback (dc_close, as session.c does with one
 * it does not expect) stays refused: not marked open behind the app's back, and the opener
 * sees it closed. */
static struct dc *refused_dc;

static void refuse_channel(void *arg, struct dc *dc)
{
	(void)arg;
	refused_dc = dc;
	dc_close(dc);
}

static int opener_closed(struct side *a, struct side *b)
{
	(void)a;
	(void)b;
	return opener.closed;
}

static void refused_channel(struct side *a, struct side *b)
{
	static const struct dc_callbacks cb = {chan_open, chan_message, NULL, chan_closed, &opener};
	memset(&opener, 0, sizeof(opener));
	refused_dc = NULL;
	a->second = refuse_channel;
	assert_non_null(peer_create_channel(b->peer, "unwanted", NULL, &cb));
	assert_int_equal(wait_for(opener_closed, a, b), 0);
	assert_non_null(refused_dc);
	assert_int_not_equal(dc_get_state(refused_dc), DC_OPEN);
}

static void tampered_fingerprint_refused(void **state)
{
	struct side a = {0}, b = {0};
	char err[256];
	(void)state;
	side_new(&a, &b);
	side_new(&b, &a);
	a.tamper = 1; /* b receives a fingerprint that is not a's */
	assert_int_equal(peer_create_offer(a.peer, err, sizeof(err)), 0);
	assert_int_equal(wait_for(both_failed, &a, &b), 0);
	assert_int_equal(peer_get_failure(b.peer), PEER_FAIL_AUTH);
	assert_non_null(strstr(peer_error(b.peer), "fingerprint"));
	assert_null(peer_create_channel(b.peer, "x", NULL, callbacks_for(&b)));
	peer_free(a.peer);
	peer_free(b.peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pair_over_ice),
		cmocka_unit_test(tampered_fingerprint_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
