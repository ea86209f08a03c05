/* consent.c: expiry after the timeout without traffic, never while records keep arriving.
 * Times are short but every wait is bounded by a deadline, not assumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "consent.h"
#include "util.h"

struct watch {
	struct consent c;
	int expired;
	uint64_t expired_ns;
	unsigned refreshes_left; /* refresh the consent on every tick until this reaches 0 */
};

static void on_expired(void *arg)
{
	struct watch *w = arg;
	w->expired++;
	w->expired_ns = util_now_ns();
}

static gboolean refresh_tick(gpointer arg)
{
	struct watch *w = arg;
	if (w->refreshes_left == 0)
		return G_SOURCE_REMOVE;
	w->refreshes_left--;
	consent_refresh(&w->c);
	return G_SOURCE_CONTINUE;
}

/* Runs the default main context until the watch expired or deadline_ms passed. */
static void run_until_expired(struct watch *w, unsigned deadline_ms)
{
	uint64_t end = util_now_ns() + (uint64_t)deadline_ms * 1000000u;
	while (!w->expired && util_now_ns() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
}

static void test_expires_when_silent(void **state)
{
	(void)state;
	struct watch w = {0};
	uint64_t start = util_now_ns();
	consent_start(&w.c, 200, on_expired, &w);
	run_until_expired(&w, 5000);
	assert_int_equal(w.expired, 1);
	assert_true(w.expired_ns - start >= 200 * 1000000u);
	assert_int_equal(w.c.source, 0); /* the watch stopped itself */
	consent_stop(&w.c);
}

static void test_refreshed_consent_holds(void **state)
{
	(void)state;
	struct watch w = {.refreshes_left = 40}; /* 40 x 20 ms = 800 ms of traffic */
	guint src = g_timeout_add(20, refresh_tick, &w);
	consent_start(&w.c, 200, on_expired, &w);
	uint64_t start = util_now_ns();
	run_until_expired(&w, 5000);
	/* It held while records came, then expired once, at least 200 ms after the last one. */
	assert_int_equal(w.expired, 1);
	assert_int_equal(w.refreshes_left, 0);
	assert_true(w.expired_ns - start >= (800 + 200) * 1000000u);
	(void)src;
}

/* A main loop that did not run (a long disk flush) does not count as the peer's silence: the
 * records it sent meanwhile are still in the socket. */
static void test_stalled_loop_is_not_silence(void **state)
{
	(void)state;
	struct watch w = {0};
	consent_start(&w.c, 800, on_expired, &w);
	g_usleep(2000 * 1000); /* the loop is blocked: no tick, no record read */
	uint64_t resumed = util_now_ns();
	run_until_expired(&w, 5000);
	assert_int_equal(w.expired, 1);
	/* At most one tick (500 ms) of the stall counts, so the watch still had time to run. */
	assert_true(w.expired_ns - resumed >= 200 * 1000000u);
	consent_stop(&w.c);
}

static void test_stop_cancels(void **state)
{
	(void)state;
	struct watch w = {0};
	consent_start(&w.c, 50, on_expired, &w);
	consent_stop(&w.c);
	run_until_expired(&w, 300);
	assert_int_equal(w.expired, 0);
	consent_stop(&w.c); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expires_when_silent),
		cmocka_unit_test(test_refreshed_consent_holds),
		cmocka_unit_test(test_stalled_loop_is_not_silence),
		cmocka_unit_test(test_stop_cancels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
