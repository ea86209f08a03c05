/*
 * Several SCTP associations ("lanes") over one DTLS connection, as rtcpeer stripes a transfer:
 * two in-process stacks wired by an in-memory datagram pipe, the primary association on port
 * 5000 and LANES-1 more on 5001.. sharing its AF_CONN address. usrsctp must tell them apart by
 * port: every association comes up, and what is sent on each arrives on that one, intact and
 * in order. A lane the peer never opens stays down without harming the others. Bounded waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "cert.h"
#include "dtls.h"
#include "memwire.h"
#include "sctp.h"

#define WAIT_MS  10000
#define LANES    8
#define MSG_LEN  3000
#define MSGS     40

struct side;

struct assoc {
	struct side *side;
	unsigned index;
	struct sctp *sctp;
	enum sctp_state state;
	unsigned got, bad;
};

struct side {
	struct cert cert;
	struct dtls *dtls;
	struct side *peer;
	struct assoc a[LANES];
	unsigned lanes;        /* how many associations this side opens */
	struct memwire wire;
};

/* Datagrams cross asynchronously, as on a network: never re-enter the peer's stack. */
static int wire_send(void *arg, const uint8_t *buf, size_t len)
{
	return memwire_send(&((struct side *)arg)->wire, buf, len);
}

static int sctp_to_dtls(void *arg, const uint8_t *buf, size_t len)
{
	struct assoc *a = arg;
	return dtls_send(a->side->dtls, buf, len);
}

/* Message i on association k: MSG_LEN bytes of (k * 31 + i), so a message that crossed to
 * another association or arrived out of order is seen. */
static uint8_t pattern(unsigned k, unsigned i)
{
	return (uint8_t)(k * 31 + i);
}

static void on_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct assoc *a = arg;
	uint8_t want = pattern(a->index, a->got);
	(void)sid;
	if (ppid != 53 || len != MSG_LEN || buf[0] != want || buf[len - 1] != want)
		a->bad++;
	a->got++;
}

static void on_state(void *arg, enum sctp_state st)
{
	((struct assoc *)arg)->state = st;
}

static void on_record(void *arg, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	if (s->a[0].sctp)
		sctp_input(s->a[0].sctp, buf, len);
}

static void start_sctp(struct side *s)
{
	for (unsigned k = 0; k < s->lanes; k++) {
		struct assoc *a = &s->a[k];
		struct sctp_callbacks cb = {sctp_to_dtls, on_message, on_state, NULL, NULL, a};
		a->side = s;
		a->index = k;
		a->sctp = k == 0 ? sctp_new(SCTP_DEFAULT_PORT, SCTP_DEFAULT_PORT, 1172, &cb)
				 : sctp_new_lane(s->a[0].sctp, (uint16_t)(SCTP_DEFAULT_PORT + k),
						 256 * 1024, &cb);
		assert_non_null(a->sctp);
		assert_int_equal(sctp_start(a->sctp), 0);
	}
}

static void on_dtls_state(void *arg, enum dtls_state st)
{
	if (st == DTLS_CONNECTED)
		start_sctp(arg);
}

static void side_init(struct side *s, struct side *peer, unsigned lanes)
{
	char err[128];
	memset(s, 0, sizeof(*s));
	s->peer = peer;
	s->lanes = lanes;
	memwire_init(&s->wire, &s->dtls, &peer->wire);
	assert_int_equal(cert_generate(&s->cert, err, sizeof(err)), 0);
}

/* Lanes first: the primary is their address. */
static void side_free(struct side *s)
{
	memwire_clear(&s->wire);
	for (unsigned k = LANES; k-- > 0;)
		sctp_free(s->a[k].sctp);
	dtls_free(s->dtls);
	cert_free(&s->cert);
}

static int all_closed(struct side *a, struct side *b, int n);
static int wait_for(int (*done)(struct side *, struct side *, int), struct side *a,
		    struct side *b, int arg);

/* As rtcpeer ends a session: every association shut down (SHUTDOWN exchanged with the peer),
 * then freed, so usrsctp has nothing left when the last one goes. */
static void close_pair(struct side *a, struct side *b)
{
	for (unsigned k = 0; k < LANES; k++) {
		if (a->a[k].sctp)
			sctp_close(a->a[k].sctp);
		if (b->a[k].sctp)
			sctp_close(b->a[k].sctp);
	}
	assert_int_equal(wait_for(all_closed, a, b, 0), 0);
	side_free(a);
	side_free(b);
}

static void connect_pair(struct side *a, struct side *b)
{
	struct dtls_callbacks ca = {wire_send, on_record, on_dtls_state, NULL, a};
	struct dtls_callbacks cbb = {wire_send, on_record, on_dtls_state, NULL, b};
	a->dtls = dtls_new(&a->cert, 1, b->cert.fingerprint, &ca);
	b->dtls = dtls_new(&b->cert, 0, a->cert.fingerprint, &cbb);
	assert_non_null(a->dtls);
	assert_non_null(b->dtls);
	dtls_start(b->dtls);
	dtls_start(a->dtls);
}

static int up_count(const struct side *s)
{
	int n = 0;
	for (unsigned k = 0; k < LANES; k++)
		n += s->a[k].state == SCTP_CONNECTED;
	return n;
}

static int wait_for(int (*done)(struct side *, struct side *, int), struct side *a,
		    struct side *b, int arg)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
	while (!done(a, b, arg)) {
		if (g_get_monotonic_time() > deadline)
			return -1;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(100);
	}
	return 0;
}

/* sctp_close() reports CLOSED at once; wait until no packet is left in flight either way. */
static int all_closed(struct side *a, struct side *b, int n)
{
	(void)n;
	return memwire_empty(&a->wire) && memwire_empty(&b->wire);
}

static int both_up(struct side *a, struct side *b, int n)
{
	return up_count(a) == n && up_count(b) == n;
}

static int all_received(struct side *a, struct side *b, int n)
{
	for (int k = 0; k < n; k++)
		if (a->a[k].got < MSGS || b->a[k].got < MSGS)
			return 0;
	return 1;
}

/* Every association sends MSGS messages each way at once. */
static void send_everywhere(struct side *a, struct side *b, unsigned n)
{
	uint8_t msg[MSG_LEN];
	for (unsigned i = 0; i < MSGS; i++) {
		for (unsigned k = 0; k < n; k++) {
			memset(msg, pattern(k, i), sizeof(msg));
			assert_int_equal(sctp_send(a->a[k].sctp, 1, 53, msg, sizeof(msg), NULL), 0);
			assert_int_equal(sctp_send(b->a[k].sctp, 1, 53, msg, sizeof(msg), NULL), 0);
		}
	}
}

static void lanes_demultiplex_by_port(void **state)
{
	struct side a, b;
	(void)state;
	side_init(&a, &b, LANES);
	side_init(&b, &a, LANES);
	connect_pair(&a, &b);
	assert_int_equal(wait_for(both_up, &a, &b, LANES), 0);
	send_everywhere(&a, &b, LANES);
	assert_int_equal(wait_for(all_received, &a, &b, LANES), 0);
	for (unsigned k = 0; k < LANES; k++) {
		assert_int_equal(a.a[k].got, MSGS);
		assert_int_equal(b.a[k].got, MSGS);
		assert_int_equal(a.a[k].bad, 0);
		assert_int_equal(b.a[k].bad, 0);
	}
	close_pair(&a, &b);
}

/* One side opens 3 lanes more than the other (a peer that does not know lanes, or a server
 * that added the attribute): the extra ones never come up, the common ones work. */
static void missing_lanes_stay_down(void **state)
{
	struct side a, b;
	(void)state;
	side_init(&a, &b, LANES);
	side_init(&b, &a, LANES - 3);
	connect_pair(&a, &b);
	assert_int_equal(wait_for(both_up, &a, &b, LANES - 3), 0);
	send_everywhere(&a, &b, LANES - 3);
	assert_int_equal(wait_for(all_received, &a, &b, LANES - 3), 0);
	for (unsigned k = LANES - 3; k < LANES; k++)
		assert_int_not_equal(a.a[k].state, SCTP_CONNECTED);
	for (unsigned k = 0; k < LANES - 3; k++)
		assert_int_equal(b.a[k].bad + a.a[k].bad, 0);
	close_pair(&a, &b);
}

/* One usrsctp for the whole run, as in rtcpeer: an idle association keeps the stack from
 * being torn down and set up again between cases (usrsctp_finish() does not always complete
 * in usrsctp 0.9.5's threadless mode, and a second init would leak the first one's state). */
static struct sctp *keeper;

static int group_setup(void **state)
{
	static const struct sctp_callbacks cb = {NULL, NULL, NULL, NULL, NULL, NULL};
	(void)state;
	keeper = sctp_new(4999, 4999, 1172, &cb);
	return keeper ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sctp_free(keeper);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lanes_demultiplex_by_port),
		cmocka_unit_test(missing_lanes_stay_down),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
