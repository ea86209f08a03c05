/* lanes.c's engagement rule: stripe only on a long path (lanes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lanes.h"

static void test_long_path_engages(void **state)
{
	(void)state;
	assert_true(lanes_should_engage(40)); /* the emulated WAN of bench/wan */
	assert_true(lanes_should_engage(LANES_MIN_RTT_MS));
	assert_true(lanes_should_engage(300)); /* a satellite hop */
}

static void test_short_or_unknown_path_does_not(void **state)
{
	(void)state;
	assert_false(lanes_should_engage(LANES_MIN_RTT_MS - 1));
	assert_false(lanes_should_engage(1)); /* a LAN */
	assert_false(lanes_should_engage(0)); /* usrsctp before its first measurement */
	assert_false(lanes_should_engage(-1));
}

/* rtcpeer's own frames stay at LANES_SEND_MAX, whatever the peer would take: its lanes'
 * buffers are sized for them (session.c asserts that at compile time). */
static void test_sends_small_frames(void **state)
{
	struct lanes_callbacks cb = {0};
	(void)state;
	struct lanes *l = lanes_new(4, &cb);
	assert_non_null(l);
	assert_int_equal(lanes_max_payload(l), LANES_SEND_MAX - LANES_HEADER);
	assert_int_equal(LANES_SEND_MAX - LANES_HEADER, 16384);
	lanes_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_path_engages),
		cmocka_unit_test(test_short_or_unknown_path_does_not),
		cmocka_unit_test(test_sends_small_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
