/*
 * DTLS + SCTP of two peers in one process, wired by an in-memory datagram pipe (no ICE): the
 * handshake with mutual fingerprint checks, an SCTP association on top, messages both ways,
 * and a wrong fingerprint refused on either side. Every wait is bounded.
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

#include <usrsctp.h>

#define WAIT_MS 10000

struct side {
	struct cert cert;
	struct dtls *dtls;
	struct sctp *sctp;
	struct side *peer;
	struct memwire wire;
	enum dtls_state dtls_state;
	enum sctp_state sctp_state;
	GByteArray *got;       /* every message received, concatenated */
	unsigned messages;
	uint32_t last_ppid;
	size_t drop_above;     /* datagrams longer than this are lost (0: none), like a path MTU */
	size_t largest_sent;   /* the longest datagram this side put on the wire */
	size_t acked[4];       /* sizes of the probes the peer answered, in order */
	unsigned nacked;
	int defer_sctp;        /* start_sctp() later, not when DTLS is up */
	size_t sctp_mtu;
};

/* Datagrams cross asynchronously, as on a network: never re-enter the peer's stack. */
static int wire_send(void *arg, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	if (len > s->largest_sent)
		s->largest_sent = len;
	if (s->drop_above && len > s->drop_above)
		return 0;
	return memwire_send(&s->wire, buf, len);
}

static void on_probe_acked(void *arg, size_t size)
{
	struct side *s = arg;
	if (s->nacked < sizeof(s->acked) / sizeof(s->acked[0]))
		s->acked[s->nacked] = size;
	s->nacked++;
}

static int sctp_to_dtls(void *arg, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	return dtls_send(s->dtls, buf, len);
}

static void on_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	(void)sid;
	g_byte_array_append(s->got, buf, (guint)len);
	s->messages++;
	s->last_ppid = ppid;
}

static void on_sctp_state(void *arg, enum sctp_state st)
{
	((struct side *)arg)->sctp_state = st;
}

/* Every SCTP packet must carry a valid CRC32c (RFC 9260 §6.8): usrsctp's checksum offload
 * leaves it to sctp.c, and browsers drop packets without one. */
static unsigned bad_crc, packets;

static void check_crc(const uint8_t *buf, size_t len)
{
	uint8_t copy[65536];
	uint32_t stored;
	if (len < 12 || len > sizeof(copy))
		return;
	memcpy(copy, buf, len);
	memcpy(&stored, copy + 8, 4);
	memset(copy + 8, 0, 4);
	packets++;
	if (usrsctp_crc32c(copy, len) != stored)
		bad_crc++;
}

static void on_record(void *arg, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	check_crc(buf, len);
	if (s->sctp)
		sctp_input(s->sctp, buf, len);
}

static void start_sctp(struct side *s)
{
	struct sctp_callbacks cb = {sctp_to_dtls, on_message, on_sctp_state, NULL, NULL, s};
	s->sctp = sctp_new(SCTP_DEFAULT_PORT, SCTP_DEFAULT_PORT, s->sctp_mtu ? s->sctp_mtu : 1172,
			   &cb);
	assert_non_null(s->sctp);
	assert_int_equal(sctp_start(s->sctp), 0);
}

static void on_dtls_state(void *arg, enum dtls_state st)
{
	struct side *s = arg;
	s->dtls_state = st;
	if (st == DTLS_CONNECTED && !s->defer_sctp)
		start_sctp(s);
}

static void side_init(struct side *s, struct side *peer)
{
	char err[128];
	memset(s, 0, sizeof(*s));
	s->peer = peer;
	memwire_init(&s->wire, &s->dtls, &peer->wire);
	s->got = g_byte_array_new();
	assert_int_equal(cert_generate(&s->cert, err, sizeof(err)), 0);
}

static void side_free(struct side *s)
{
	memwire_clear(&s->wire);
	sctp_free(s->sctp);
	dtls_free(s->dtls);
	cert_free(&s->cert);
	g_byte_array_unref(s->got);
}

static void connect_pair(struct side *a, struct side *b, const uint8_t *a_expects,
			 const uint8_t *b_expects)
{
	struct dtls_callbacks ca = {wire_send, on_record, on_dtls_state, on_probe_acked, a};
	struct dtls_callbacks cbb = {wire_send, on_record, on_dtls_state, on_probe_acked, b};
	a->dtls = dtls_new(&a->cert, 1, a_expects, &ca);
	b->dtls = dtls_new(&b->cert, 0, b_expects, &cbb);
	assert_non_null(a->dtls);
	assert_non_null(b->dtls);
	dtls_start(b->dtls);
	dtls_start(a->dtls);
}

typedef int (*cond_fn)(struct side *a, struct side *b);

static int wait_for(cond_fn done, struct side *a, struct side *b)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
	while (!done(a, b)) {
		if (g_get_monotonic_time() > deadline)
			return -1;
		g_main_context_iteration(NULL, FALSE);
		g_usleep(100);
	}
	return 0;
}

static int both_sctp_up(struct side *a, struct side *b)
{
	return a->sctp_state == SCTP_CONNECTED && b->sctp_state == SCTP_CONNECTED;
}

/* Both sides have given up: the checker on the fingerprint, the other on its alert. */
static int both_failed(struct side *a, struct side *b)
{
	return a->dtls_state == DTLS_FAILED && b->dtls_state == DTLS_FAILED;
}

static int both_got_all(struct side *a, struct side *b)
{
	return a->got->len >= 100 * 1000 && b->got->len >= 100 * 1000 + 200 * 1024;
}

/* len bytes of i % mod, on the heap. */
static uint8_t *pattern(size_t len, unsigned mod)
{
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i % mod);
	return buf;
}

static void pair_exchanges_data(void **state)
{
	struct side a, b;
	(void)state;
	side_init(&a, &b);
	side_init(&b, &a);
	connect_pair(&a, &b, b.cert.fingerprint, a.cert.fingerprint);
	assert_int_equal(wait_for(both_sctp_up, &a, &b), 0);
	assert_int_equal(dtls_auth_failed(a.dtls), 0);

	/* 100 messages of 1000 bytes each way, plus one of 200 KiB (reassembled by SCTP). */
	uint8_t msg[1000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(sctp_send(a.sctp, 1, 53, msg, sizeof(msg), NULL), 0);
		assert_int_equal(sctp_send(b.sctp, 2, 51, msg, sizeof(msg), NULL), 0);
	}
	uint8_t *big = pattern(200 * 1024, 251);
	assert_int_equal(sctp_send(a.sctp, 1, 53, big, 200 * 1024, NULL), 0);
	assert_int_equal(wait_for(both_got_all, &a, &b), 0);
	assert_int_equal(b.got->len, 100 * sizeof(msg) + 200 * 1024);
	assert_int_equal(b.messages, 101);
	assert_memory_equal(b.got->data, msg, sizeof(msg));
	assert_memory_equal(b.got->data + 100 * sizeof(msg), big, 200 * 1024);
	assert_int_equal(a.messages, 100);
	assert_int_equal(a.last_ppid, 51);
	assert_true(packets > 100);
	assert_int_equal(bad_crc, 0);
	free(big);
	side_free(&a);
	side_free(&b);
}

static int a_probe_acked(struct side *a, struct side *b)
{
	(void)b;
	return a->nacked > 0;
}

static int b_probe_acked(struct side *a, struct side *b)
{
	(void)a;
	return b->nacked > 0;
}

static int b_got_100k(struct side *a, struct side *b)
{
	(void)a;
	return b->got->len >= 100 * 1024;
}

static int both_dtls_up(struct side *a, struct side *b)
{
	return a->dtls_state == DTLS_CONNECTED && b->dtls_state == DTLS_CONNECTED;
}

/* Path MTU probes: a heartbeat padded to exactly the size asked for; one the path loses is
 * never reported; an answer to a probe that a later one replaced is dropped without harm;
 * and SCTP then fills packets of the size found, exactly. */
static void probes_find_path_mtu(void **state)
{
	struct side a, b;
	(void)state;
	side_init(&a, &b);
	side_init(&b, &a);
	a.defer_sctp = b.defer_sctp = 1;
	connect_pair(&a, &b, b.cert.fingerprint, a.cert.fingerprint);
	assert_int_equal(wait_for(both_dtls_up, &a, &b), 0);
	assert_true(dtls_can_probe(a.dtls));
	assert_true(dtls_can_probe(b.dtls));
	assert_true(a.largest_sent <= 1200);
	assert_int_equal(dtls_overhead(a.dtls), 37); /* AES-128-GCM */
	/* b, the server, probes too; both are answered. */
	assert_int_equal(dtls_probe(b.dtls, 1250), 0);
	assert_int_equal(b.largest_sent, 1250);

	a.drop_above = 1400; /* the path */
	a.largest_sent = 0;
	assert_int_equal(dtls_probe(a.dtls, 1472), 0);
	assert_int_equal(a.largest_sent, 1472);
	assert_int_equal(dtls_probe(a.dtls, 1300), 0); /* replaces the lost one */
	assert_int_equal(dtls_probe(a.dtls, 1400), 0); /* out with the 1300 one */
	assert_int_equal(wait_for(a_probe_acked, &a, &b), 0);
	assert_int_equal(a.acked[0], 1400);
	assert_int_equal(wait_for(b_probe_acked, &a, &b), 0);
	assert_int_equal(b.acked[0], 1250);

	/* The session outlived the stale answer: SCTP comes up over it, with a's packets at
	 * what the probe found. */
	a.sctp_mtu = 1400 - dtls_overhead(a.dtls);
	start_sctp(&a);
	start_sctp(&b);
	assert_int_equal(wait_for(both_sctp_up, &a, &b), 0);
	assert_int_equal(a.nacked, 1);
	assert_int_equal(b.nacked, 1);
	a.largest_sent = b.largest_sent = 0; /* b's answer was as large as the probe */
	uint8_t *big = pattern(100 * 1024, 253);
	assert_int_equal(sctp_send(a.sctp, 1, 53, big, 100 * 1024, NULL), 0);
	assert_int_equal(wait_for(b_got_100k, &a, &b), 0);
	assert_memory_equal(b.got->data, big, 100 * 1024);
	/* DATA chunks are cut at 4-byte boundaries, and sctp_chunk_payload knows where. */
	assert_int_equal(sctp_chunk_payload(a.sctp), 1332);
	assert_int_equal(a.largest_sent, 1332 + 16 + 12 + 37);
	assert_true(b.largest_sent <= 1172 + 37); /* b's packets stayed as they were */
	free(big);
	side_free(&a);
	side_free(&b);
}

/* The server checks the client's certificate too (a=setup does not make one side trusted). */
static void wrong_fingerprint_refused(int wrong_on_client)
{
	struct side a, b;
	uint8_t bogus[CERT_FP_LEN];
	side_init(&a, &b);
	side_init(&b, &a);
	memset(bogus, 0xAB, sizeof(bogus));
	connect_pair(&a, &b, wrong_on_client ? bogus : b.cert.fingerprint,
		     wrong_on_client ? a.cert.fingerprint : bogus);
	assert_int_equal(wait_for(both_failed, &a, &b), 0);
	struct side *checker = wrong_on_client ? &a : &b;
	assert_int_equal(checker->dtls_state, DTLS_FAILED);
	assert_true(dtls_auth_failed(checker->dtls));
	assert_null(a.sctp);
	assert_null(b.sctp);
	assert_non_null(strstr(dtls_last_error(checker->dtls), "fingerprint"));
	side_free(&a);
	side_free(&b);
}

static void client_refuses_wrong_server(void **state)
{
	(void)state;
	wrong_fingerprint_refused(1);
}

static void server_refuses_wrong_client(void **state)
{
	(void)state;
	wrong_fingerprint_refused(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pair_exchanges_data),
		cmocka_unit_test(probes_find_path_mtu),
		cmocka_unit_test(client_refuses_wrong_server),
		cmocka_unit_test(server_refuses_wrong_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
