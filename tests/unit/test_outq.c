/*
 * test_outq.c - signald/outq: refcounted messages in bounded per-connection queues.
 *
 * FIFO order across ring growth and wrap-around, one message shared by several queues with
 * exact reference counts, the byte bound charged as len + OUTQ_ENTRY_OVERHEAD per entry, and
 * clear. ASan/LeakSanitizer check that the last reference frees and nothing frees early.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "outq.h"

#define BIG ((size_t)1 << 30)

static struct outmsg *msg(const char *text)
{
	struct outmsg *m = outmsg_new(0, text, strlen(text));
	assert_non_null(m);
	return m;
}

static void t_new_headroom(void **state)
{
	(void)state;
	struct outmsg *m = outmsg_new(16, "hello", 5);
	assert_non_null(m);
	assert_int_equal(m->refs, 1);
	assert_int_equal(m->len, 5);
	assert_memory_equal(m->buf + 16, "hello", 5);
	/* The headroom is writable (lws writes its frame header there). */
	memset(m->buf, 0xAB, 16);
	assert_memory_equal(m->buf + 16, "hello", 5);
	outmsg_unref(m);

	struct outmsg *e = outmsg_new(4, "", 0);
	assert_non_null(e);
	assert_int_equal(e->len, 0);
	assert_int_equal(e->refs, 1);
	outmsg_unref(e);
	outmsg_unref(NULL); /* harmless */
}

static void t_empty_queue(void **state)
{
	(void)state;
	struct outq q = {0};
	assert_null(outq_peek(&q));
	outq_pop(&q); /* no-op */
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	outq_clear(&q);
	outq_clear(&q);
	assert_null(q.ring);
}

static void t_push_peek_pop_order(void **state)
{
	(void)state;
	struct outq q = {0};
	struct outmsg *m[3] = {msg("one"), msg("two"), msg("three")};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(outq_push(&q, m[i], BIG), 0);
		assert_int_equal(m[i]->refs, 2);
	}
	assert_int_equal(q.count, 3);
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(outq_peek(&q), m[i]);
		assert_ptr_equal(outq_peek(&q), m[i]); /* peek does not consume */
		outq_pop(&q);
		assert_int_equal(m[i]->refs, 1);
	}
	assert_null(outq_peek(&q));
	assert_int_equal(q.bytes, 0);
	for (int i = 0; i < 3; i++)
		outmsg_unref(m[i]);
	outq_clear(&q);
}

static void t_order_across_growth_and_wrap(void **state)
{
	(void)state;
	struct outq q = {0};
	enum { N = 100 };
	struct outmsg *m[N];
	char text[16];
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		m[i] = msg(text);
	}
	/* Fill 3, take 2 (head moves), then push past the ring size so it grows with head != 0,
	 * interleaving pops so the ring wraps. */
	int next_in = 0, next_out = 0;
	for (; next_in < 3; next_in++)
		assert_int_equal(outq_push(&q, m[next_in], BIG), 0);
	for (; next_out < 2; next_out++) {
		assert_ptr_equal(outq_peek(&q), m[next_out]);
		outq_pop(&q);
	}
	while (next_in < N) {
		for (int k = 0; k < 7 && next_in < N; k++, next_in++)
			assert_int_equal(outq_push(&q, m[next_in], BIG), 0);
		for (int k = 0; k < 3; k++, next_out++) {
			assert_ptr_equal(outq_peek(&q), m[next_out]);
			outq_pop(&q);
		}
		assert_int_equal(q.count, (unsigned)(next_in - next_out));
		assert_int_equal(q.cap & (q.cap - 1), 0);
	}
	for (; next_out < N; next_out++) {
		assert_ptr_equal(outq_peek(&q), m[next_out]);
		outq_pop(&q);
	}
	assert_null(outq_peek(&q));
	assert_int_equal(q.bytes, 0);
	/* A ring grown by a burst is given back once empty; the smallest one may stay. */
	assert_true(q.cap <= 4);
	for (int i = 0; i < N; i++) {
		assert_int_equal(m[i]->refs, 1);
		outmsg_unref(m[i]);
	}
	/* The queue still works after giving its ring back. */
	struct outmsg *late = msg("late");
	assert_int_equal(outq_push(&q, late, BIG), 0);
	assert_ptr_equal(outq_peek(&q), late);
	outmsg_unref(late);
	outq_clear(&q);
}

static void t_shared_between_queues(void **state)
{
	(void)state;
	struct outq a = {0}, b = {0}, c = {0};
	struct outmsg *m = msg("{\"type\":\"publish\",\"from\":\"x\",\"data\":1}");
	assert_int_equal(outq_push(&a, m, BIG), 0);
	assert_int_equal(outq_push(&b, m, BIG), 0);
	assert_int_equal(outq_push(&c, m, BIG), 0);
	assert_int_equal(m->refs, 4);
	/* The same message twice in one queue holds two references. */
	assert_int_equal(outq_push(&a, m, BIG), 0);
	assert_int_equal(m->refs, 5);
	/* The producer lets go; the queues keep it alive. */
	outmsg_unref(m);
	assert_int_equal(m->refs, 4);

	outq_pop(&a);
	assert_int_equal(m->refs, 3);
	assert_ptr_equal(outq_peek(&a), m);
	outq_clear(&a);
	assert_int_equal(m->refs, 2);
	assert_ptr_equal(outq_peek(&b), m);
	assert_memory_equal(outq_peek(&b)->buf, "{\"type\"", 7);
	outq_clear(&b);
	assert_int_equal(m->refs, 1);
	/* The last reference frees it (ASan reports a use after free if it went early). */
	assert_ptr_equal(outq_peek(&c), m);
	outq_pop(&c);
	assert_null(outq_peek(&c));
	outq_clear(&c);
}

static void t_byte_bound_exact(void **state)
{
	(void)state;
	struct outq q = {0};
	struct outmsg *m = outmsg_new(8, "0123456789", 10);
	assert_non_null(m);
	const size_t charge = 10 + OUTQ_ENTRY_OVERHEAD;

	/* One byte short of one entry: refused, nothing charged, no reference taken. */
	assert_int_equal(outq_push(&q, m, charge - 1), -1);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(m->refs, 1);

	/* Exactly three entries fit in 3 * charge; the fourth does not. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(outq_push(&q, m, 3 * charge), 0);
		assert_int_equal(q.bytes, (size_t)(i + 1) * charge);
	}
	assert_int_equal(outq_push(&q, m, 3 * charge), -1);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.bytes, 3 * charge);
	assert_int_equal(m->refs, 4);
	/* One more byte of room is not enough either. */
	assert_int_equal(outq_push(&q, m, 4 * charge - 1), -1);
	assert_int_equal(outq_push(&q, m, 4 * charge), 0);
	assert_int_equal(q.bytes, 4 * charge);

	/* A pop gives back exactly one charge, making room for exactly one entry. */
	outq_pop(&q);
	assert_int_equal(q.bytes, 3 * charge);
	assert_int_equal(outq_push(&q, m, 4 * charge), 0);
	assert_int_equal(outq_push(&q, m, 4 * charge), -1);

	/* Empty payloads are still charged the overhead: a flood of tiny messages is bounded. */
	struct outq t = {0};
	struct outmsg *e = outmsg_new(0, "", 0);
	assert_non_null(e);
	for (int i = 0; i < 10; i++)
		assert_int_equal(outq_push(&t, e, 10 * OUTQ_ENTRY_OVERHEAD), 0);
	assert_int_equal(outq_push(&t, e, 10 * OUTQ_ENTRY_OVERHEAD), -1);
	assert_int_equal(t.bytes, 10 * OUTQ_ENTRY_OVERHEAD);
	outq_clear(&t);
	assert_int_equal(e->refs, 1);
	outmsg_unref(e);

	/* A different-size message is charged its own length. */
	struct outmsg *big = outmsg_new(0, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 30);
	assert_non_null(big);
	outq_clear(&q);
	assert_int_equal(outq_push(&q, m, BIG), 0);
	assert_int_equal(outq_push(&q, big, BIG), 0);
	assert_int_equal(q.bytes, charge + 30 + OUTQ_ENTRY_OVERHEAD);
	outq_pop(&q);
	assert_int_equal(q.bytes, 30 + OUTQ_ENTRY_OVERHEAD);

	outq_clear(&q);
	assert_int_equal(m->refs, 1);
	assert_int_equal(big->refs, 1);
	outmsg_unref(m);
	outmsg_unref(big);
}

/* A peer that leaves before a member was sent its peer-joined is taken back from that queue
 * with everything of its origin queued after it (not before): across a wrapped ring, order and
 * byte count exact, other queues' references untouched; a message no longer queued changes
 * nothing. */
static void t_take_back(void **state)
{
	(void)state;
	struct outq q = {0}, other = {0};
	struct outmsg *pad = msg("pad"), *a = msg("a"), *news = msg("peer-joined X");
	struct outmsg *b = msg("bb"), *rx = msg("offer from X"), *c = msg("ccc");
	news->origin = rx->origin = a->origin = 7; /* a: same origin, queued before news: kept */
	b->origin = 3;
	/* head != 0 and the ring wraps: 3 pads in, popped, then the six below in a ring of 8 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(outq_push(&q, pad, BIG), 0);
	for (int i = 0; i < 3; i++)
		outq_pop(&q);
	struct outmsg *in[] = {a, news, b, rx, c};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(outq_push(&q, in[i], BIG), 0);
	assert_int_equal(outq_push(&other, news, BIG), 0);
	size_t before = q.bytes;

	assert_int_equal(outq_take_back(&q, news), 1);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.bytes, before - (news->len + rx->len + 2 * OUTQ_ENTRY_OVERHEAD));
	assert_int_equal(news->refs, 2); /* ours and other's */
	assert_int_equal(rx->refs, 1);
	assert_int_equal(outq_take_back(&q, news), 0); /* gone already: nothing changes */
	assert_int_equal(q.count, 3);
	struct outmsg *want[] = {a, b, c};
	for (size_t i = 0; i < 3; i++) {
		assert_ptr_equal(outq_peek(&q), want[i]);
		outq_pop(&q);
	}
	assert_int_equal(q.bytes, 0);
	assert_int_equal(outq_take_back(&other, news), 1);
	assert_int_equal(other.count, 0);
	assert_int_equal(other.bytes, 0);
	struct outmsg *all[] = {pad, a, news, b, rx, c};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(all[i]->refs, 1);
		outmsg_unref(all[i]);
	}
	outq_clear(&q);
	outq_clear(&other);
}

static void t_clear(void **state)
{
	(void)state;
	struct outq q = {0};
	struct outmsg *m[20];
	for (int i = 0; i < 20; i++) {
		m[i] = msg("payload");
		assert_int_equal(outq_push(&q, m[i], BIG), 0);
	}
	assert_int_equal(q.count, 20);
	outq_clear(&q);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(q.cap, 0);
	assert_int_equal(q.head, 0);
	assert_null(q.ring);
	assert_null(outq_peek(&q));
	for (int i = 0; i < 20; i++) {
		assert_int_equal(m[i]->refs, 1);
		outmsg_unref(m[i]);
	}
	/* Messages owned only by a queue are freed by clear (LeakSanitizer checks). */
	for (int i = 0; i < 5; i++) {
		struct outmsg *x = msg("only-queued");
		assert_int_equal(outq_push(&q, x, BIG), 0);
		outmsg_unref(x);
	}
	outq_clear(&q);
	assert_int_equal(q.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_new_headroom),
		cmocka_unit_test(t_take_back),
		cmocka_unit_test(t_empty_queue),
		cmocka_unit_test(t_push_peek_pop_order),
		cmocka_unit_test(t_order_across_growth_and_wrap),
		cmocka_unit_test(t_shared_between_queues),
		cmocka_unit_test(t_byte_bound_exact),
		cmocka_unit_test(t_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
