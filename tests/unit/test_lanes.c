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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_path_engages),
		cmocka_unit_test(test_short_or_unknown_path_does_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
