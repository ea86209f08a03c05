/*
 * rtcpeer/reorder.c: the receiver of a striped channel. Messages arrive out of order across
 * lanes and come out in order; gaps wait; duplicates and a lane going backwards are refused;
 * the bound pauses exactly the lanes that are ahead, never the one that may carry the next
 * message, and lifts the pause once half of it has drained.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reorder.h"

/* Message n is 10 bytes of the value n. */
static int push(struct reorder *r, unsigned lane, uint64_t seq)
{
	uint8_t buf[10];
	memset(buf, (int)(seq & 0xff), sizeof(buf));
	return reorder_push(r, lane, seq, buf, sizeof(buf), (int)(seq % 2));
}

/* Pops everything deliverable and checks it is `from`, `from`+1, ...; returns how many. */
static unsigned pop_run(struct reorder *r, uint64_t from)
{
	struct reorder_msg m;
	unsigned n = 0;
	while (reorder_pop(r, &m)) {
		assert_int_equal(m.seq, from + n);
		assert_int_equal(m.len, 10);
		assert_int_equal(m.data[0], (uint8_t)(from + n));
		assert_int_equal(m.data[9], (uint8_t)(from + n));
		assert_int_equal(m.flags, (int)((from + n) % 2));
		free(m.data);
		n++;
	}
	return n;
}

static void in_order_needs_no_copy(void **state)
{
	struct reorder r;
	(void)state;
	assert_int_equal(reorder_init(&r, 4, 1000, 100), 0);
	for (uint64_t i = 0; i < 20; i++) {
		assert_int_equal(push(&r, (unsigned)(i % 4), i), REORDER_DELIVER);
		assert_int_equal(pop_run(&r, i + 1), 0);
	}
	assert_int_equal(r.count, 0);
	assert_int_equal(r.next, 20);
	reorder_free(&r);
}

static void out_of_order_and_gaps(void **state)
{
	struct reorder r;
	(void)state;
	assert_int_equal(reorder_init(&r, 3, 1000, 100), 0);
	/* Lane 1 brings 2 and 5, lane 2 brings 3 and 4, lane 0 (slow) brings 0 then 1. */
	assert_int_equal(push(&r, 1, 2), REORDER_HELD);
	assert_int_equal(push(&r, 2, 3), REORDER_HELD);
	assert_int_equal(push(&r, 1, 5), REORDER_HELD);
	assert_int_equal(push(&r, 2, 4), REORDER_HELD);
	assert_int_equal(r.count, 4);
	assert_int_equal(r.bytes, 40);
	assert_int_equal(pop_run(&r, 0), 0); /* the gap at 0 holds everything */
	assert_int_equal(push(&r, 0, 0), REORDER_DELIVER);
	assert_int_equal(pop_run(&r, 1), 0); /* 1 is still missing */
	assert_int_equal(push(&r, 0, 1), REORDER_DELIVER);
	assert_int_equal(pop_run(&r, 2), 4); /* 2, 3, 4, 5 */
	assert_int_equal(r.next, 6);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.bytes, 0);
	reorder_free(&r);
}

static void framing_errors(void **state)
{
	struct reorder r;
	(void)state;
	assert_int_equal(reorder_init(&r, 2, 1000, 100), 0);
	assert_int_equal(push(&r, 0, 0), REORDER_DELIVER);
	assert_int_equal(push(&r, 0, 0), REORDER_E_LANE); /* same number again on a lane */
	assert_int_equal(push(&r, 1, 0), REORDER_E_OLD);  /* delivered already */
	assert_int_equal(push(&r, 1, 7), REORDER_HELD);
	assert_int_equal(push(&r, 0, 7), REORDER_E_OLD);  /* held already */
	assert_int_equal(push(&r, 1, 5), REORDER_E_LANE); /* lane 1 went backwards */
	assert_int_equal(push(&r, 2, 1), REORDER_E_LANE); /* no such lane */
	assert_int_equal(reorder_push(&r, 0, UINT64_MAX, (const uint8_t *)"x", 1, 0),
			 REORDER_E_LANE);
	reorder_free(&r); /* frees the held 7 (ASan checks) */
	assert_int_equal(reorder_init(&r, 0, 1000, 100), -1);
	assert_int_equal(reorder_init(&r, REORDER_MAX_LANES + 1, 1000, 100), -1);
}

/* Bound of 50 bytes (5 messages). Lane 0 is stuck before 0; lanes 1 and 2 run ahead. */
static void bound_pauses_only_lanes_ahead(void **state)
{
	struct reorder r;
	(void)state;
	assert_int_equal(reorder_init(&r, 4, 50, 100), 0);
	assert_int_equal(push(&r, 1, 1), REORDER_HELD);
	assert_int_equal(push(&r, 2, 2), REORDER_HELD);
	assert_int_equal(push(&r, 1, 3), REORDER_HELD);
	assert_int_equal(push(&r, 2, 4), REORDER_HELD);
	assert_int_equal(push(&r, 1, 5), REORDER_HELD);
	assert_int_equal(reorder_pause_mask(&r), 0); /* 50 bytes: at the bound, not over */
	assert_int_equal(push(&r, 2, 6), REORDER_HELD);
	/* Over: lanes 1 and 2 are ahead; lane 0 (may carry 0) and lane 3 (nothing yet) are not. */
	assert_int_equal(reorder_pause_mask(&r), 0x6);
	/* Lane 3, not paused, brings one more past the bound: now it is ahead too. */
	assert_int_equal(push(&r, 3, 7), REORDER_HELD);
	assert_int_equal(reorder_pause_mask(&r), 0xe);
	/* 0 arrives on the lane that was never paused; everything drains, the pause lifts. */
	assert_int_equal(push(&r, 0, 0), REORDER_DELIVER);
	assert_int_equal(pop_run(&r, 1), 7);
	assert_int_equal(reorder_pause_mask(&r), 0);
	reorder_free(&r);
}

/* The pause holds until half the bound has drained (no flapping), and counts bound it too. */
static void hysteresis_and_count_bound(void **state)
{
	struct reorder r;
	struct reorder_msg m;
	(void)state;
	assert_int_equal(reorder_init(&r, 2, 1000000, 4), 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(push(&r, 1, 2 * i), REORDER_HELD); /* 2, 4, ..., 10 */
	assert_int_equal(reorder_pause_mask(&r), 0x2); /* 5 messages > 4 */
	assert_int_equal(push(&r, 0, 0), REORDER_DELIVER);
	assert_int_equal(pop_run(&r, 1), 0);
	assert_int_equal(push(&r, 0, 1), REORDER_DELIVER);
	assert_int_equal(reorder_pop(&r, &m), 1); /* 2 */
	free(m.data);
	assert_int_equal(reorder_pause_mask(&r), 0x2); /* 4 held: still above half */
	assert_int_equal(push(&r, 0, 3), REORDER_DELIVER);
	assert_int_equal(reorder_pop(&r, &m), 1); /* 4 */
	free(m.data);
	assert_int_equal(push(&r, 0, 5), REORDER_DELIVER);
	assert_int_equal(reorder_pop(&r, &m), 1); /* 6 */
	free(m.data);
	assert_int_equal(reorder_pause_mask(&r), 0); /* 2 held = half: resume */
	reorder_free(&r);
}

/* A caller that ignores the pause hits the hard limit (bound + one per lane), not the heap. */
static void hard_limit(void **state)
{
	struct reorder r;
	(void)state;
	assert_int_equal(reorder_init(&r, 2, 1000000, 3), 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(push(&r, 1, i), REORDER_HELD);
	assert_int_equal(push(&r, 1, 6), REORDER_E_FULL);
	assert_int_equal(r.count, 5);
	reorder_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_needs_no_copy),
		cmocka_unit_test(out_of_order_and_gaps),
		cmocka_unit_test(framing_errors),
		cmocka_unit_test(bound_pauses_only_lanes_ahead),
		cmocka_unit_test(hysteresis_and_count_bound),
		cmocka_unit_test(hard_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
