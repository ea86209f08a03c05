/* common/buf.c: appends up to the bound exactly, never past it, and leaves the buffer
 * unchanged when refusing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void appends_to_the_bound(void **state)
{
	struct buf b;
	char chunk[1000];
	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 2500);
	assert_int_equal(buf_append(&b, chunk, 1000), 0);
	assert_int_equal(buf_append(&b, chunk, 1000), 0);
	assert_int_equal(buf_append(&b, chunk, 500), 0); /* exactly the bound */
	assert_int_equal(b.len, 2500);
	assert_true(b.cap <= 2500);
	assert_int_equal(buf_append(&b, chunk, 1), -1); /* one past: refused */
	assert_int_equal(b.len, 2500);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 2500); /* reusable */
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_memory_equal(b.data, "abc", 3);
	buf_free(&b);
}

static void huge_length_does_not_wrap(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "a", 1), 0);
	assert_int_equal(buf_append(&b, "a", SIZE_MAX), -1);
	assert_int_equal(b.len, 1);
	buf_free(&b);
}

/* An empty first WebSocket fragment appends 0 bytes to a buffer with no storage yet (under
 * UBSan, memcpy to NULL + 0 once stopped signald). */
static void empty_append_to_an_empty_buffer(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "ab", 2);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_to_the_bound),
		cmocka_unit_test(huge_length_does_not_wrap),
		cmocka_unit_test(empty_append_to_an_empty_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
