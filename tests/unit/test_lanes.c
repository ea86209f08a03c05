/* lanes.c's engagement rule: lanes only for a long path that loses packets (lanes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lanes.h"

static void test_long_lossy_path_engages(void **state)
{
	(void)state;
	/* 40 ms, 1 % loss: the emulated WAN of bench/wan. */
	assert_true(lanes_should_engage(40, 10000, 100));
	/* Exactly at every threshold. */
	assert_true(lanes_should_engage(LANES_MIN_RTT_MS, LANES_MIN_SAMPLE,
					LANES_MIN_SAMPLE * LANES_MIN_LOSS_PPM / 1000000));
}

static void test_short_path_never_engages(void **state)
{
	(void)state;
	/* A LAN with heavy loss: one association recovers in milliseconds there. */
	assert_false(lanes_should_engage(2, 100000, 10000));
	assert_false(lanes_should_engage(LANES_MIN_RTT_MS - 1, 100000, 10000));
	assert_false(lanes_should_engage(-1, 100000, 10000)); /* no RTT sample yet */
}

static void test_clean_path_never_engages(void **state)
{
	(void)state;
	assert_false(lanes_should_engage(40, 1000000, 0));
	/* One loss in a long transfer (0.01 %): the tbf queue's occasional drop, not a lossy link. */
	assert_false(lanes_should_engage(40, 10000, 1));
	assert_false(lanes_should_engage(40, 10000, 10000 * LANES_MIN_LOSS_PPM / 1000000 - 1));
}

static void test_too_few_samples(void **state)
{
	(void)state;
	/* 1 of 10 chunks lost says little: wait for LANES_MIN_SAMPLE. */
	assert_false(lanes_should_engage(40, 10, 1));
	assert_false(lanes_should_engage(40, LANES_MIN_SAMPLE - 1, LANES_MIN_SAMPLE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_lossy_path_engages),
		cmocka_unit_test(test_short_path_never_engages),
		cmocka_unit_test(test_clean_path_never_engages),
		cmocka_unit_test(test_too_few_samples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
