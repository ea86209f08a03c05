/*
 * test_iptable.c - signald/iptable: connections per client address.
 *
 * acquire counts up to the limit and refuses at it, release counts down and frees the entry at
 * zero (the table is empty again; LeakSanitizer checks nothing is left), limit 0 means none;
 * iptable_key() counts IPv6 clients by prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "iptable.h"

static int setup(void **state)
{
	static struct iptable t;
	memset(&t, 0, sizeof(t));
	if (iptable_init(&t, 16) < 0)
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	iptable_free(*state);
	return 0;
}

static size_t entries(const struct iptable *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nbuckets; i++)
		if (t->buckets[i])
			n++;
	return n;
}

static void t_acquire_up_to_limit(void **state)
{
	struct iptable *t = *state;
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 1);
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 2);
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 3);
	/* At the limit: refused, and the count does not move. */
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 0);
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 0);
	/* One release makes room for exactly one more. */
	iptable_release(t, "192.0.2.1");
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 3);
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 3), 0);
	/* A higher limit on a later call applies from then on. */
	assert_int_equal(iptable_acquire(t, "192.0.2.1", 4), 4);
	/* Limit 1: the first connection only. */
	assert_int_equal(iptable_acquire(t, "2001:db8::1", 1), 1);
	assert_int_equal(iptable_acquire(t, "2001:db8::1", 1), 0);
}

static void t_addresses_independent(void **state)
{
	struct iptable *t = *state;
	assert_int_equal(iptable_acquire(t, "10.0.0.1", 2), 1);
	assert_int_equal(iptable_acquire(t, "10.0.0.1", 2), 2);
	assert_int_equal(iptable_acquire(t, "10.0.0.1", 2), 0);
	/* Prefixes and extensions are different addresses. */
	assert_int_equal(iptable_acquire(t, "10.0.0.10", 2), 1);
	assert_int_equal(iptable_acquire(t, "10.0.0.", 2), 1);
	assert_int_equal(iptable_acquire(t, "", 2), 1);
	iptable_release(t, "10.0.0.10");
	assert_int_equal(iptable_acquire(t, "10.0.0.1", 2), 0);
}

static void t_release_frees(void **state)
{
	struct iptable *t = *state;
	assert_int_equal(entries(t), 0);
	assert_int_equal(iptable_acquire(t, "192.0.2.7", 5), 1);
	assert_int_equal(iptable_acquire(t, "192.0.2.7", 5), 2);
	assert_int_equal(entries(t), 1);
	iptable_release(t, "192.0.2.7");
	assert_int_equal(entries(t), 1);
	iptable_release(t, "192.0.2.7");
	assert_int_equal(entries(t), 0); /* the entry is gone at zero */
	/* Counting starts again from scratch. */
	assert_int_equal(iptable_acquire(t, "192.0.2.7", 5), 1);
	iptable_release(t, "192.0.2.7");
	assert_int_equal(entries(t), 0);

	/* Many addresses sharing 16 buckets: releasing in another order frees them all. */
	char addr[32];
	for (int i = 0; i < 200; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		assert_int_equal(iptable_acquire(t, addr, 2), 1);
		assert_int_equal(iptable_acquire(t, addr, 2), 2);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		assert_int_equal(iptable_acquire(t, addr, 2), 0);
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 199; i >= 0; i--) {
			snprintf(addr, sizeof(addr), "198.51.100.%d", (i * 7) % 200);
			iptable_release(t, addr);
		}
	assert_int_equal(entries(t), 0);
}

static void t_release_unknown(void **state)
{
	struct iptable *t = *state;
	iptable_release(t, "203.0.113.9"); /* nothing to do */
	assert_int_equal(entries(t), 0);
	assert_int_equal(iptable_acquire(t, "203.0.113.1", 2), 1);
	iptable_release(t, "203.0.113.9");
	iptable_release(t, "203.0.113.10");
	assert_int_equal(iptable_acquire(t, "203.0.113.1", 2), 2);
}

static void t_limit_zero_unlimited(void **state)
{
	struct iptable *t = *state;
	for (long i = 1; i <= 5000; i++)
		assert_int_equal(iptable_acquire(t, "198.18.0.1", 0), i);
	for (int i = 0; i < 5000; i++)
		iptable_release(t, "198.18.0.1");
	assert_int_equal(entries(t), 0);
}

static void t_free_with_entries_and_twice(void **state)
{
	(void)state;
	struct iptable t;
	memset(&t, 0, sizeof(t));
	assert_int_equal(iptable_init(&t, 4), 0);
	assert_int_equal(iptable_acquire(&t, "a", 0), 1);
	assert_int_equal(iptable_acquire(&t, "b", 0), 1);
	iptable_free(&t); /* frees live entries (LeakSanitizer checks) */
	assert_null(t.buckets);
	iptable_free(&t);
}

static void key_is(const char *addr, unsigned prefix, const char *want)
{
	char key[IPTABLE_KEY_LEN];
	iptable_key(addr, prefix, key, sizeof(key));
	assert_string_equal(key, want);
}

static void t_key(void **state)
{
	(void)state;
	key_is("198.51.100.7", 64, "198.51.100.7");
	key_is("::ffff:198.51.100.7", 64, "198.51.100.7");
	key_is("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64");
	key_is("2001:db8:1:2::1", 64, "2001:db8:1:2::/64");
	key_is("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 56, "2001:db8:1::/56");
	key_is("2001:db8:1:2ff::1", 60, "2001:db8:1:2f0::/60"); /* a prefix inside a group */
	key_is("2001:db8::1", 128, "2001:db8::1/128");
	key_is("::1", 64, "::/64");
	key_is("not an address", 64, "not an address");
	/* The longest form fits: 39 characters of address and "/128". */
	key_is("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 128,
	       "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/128");
}

/* Two addresses of one /64 share one count; another /64 has its own. */
static void t_v6_prefix_shares_limit(void **state)
{
	struct iptable *t = *state;
	char k1[IPTABLE_KEY_LEN], k2[IPTABLE_KEY_LEN], k3[IPTABLE_KEY_LEN];
	iptable_key("2001:db8:0:1::a", 64, k1, sizeof(k1));
	iptable_key("2001:db8:0:1::b", 64, k2, sizeof(k2));
	iptable_key("2001:db8:0:2::a", 64, k3, sizeof(k3));
	assert_int_equal(iptable_acquire(t, k1, 2), 1);
	assert_int_equal(iptable_acquire(t, k2, 2), 2);
	assert_int_equal(iptable_acquire(t, k2, 2), 0);
	assert_int_equal(iptable_acquire(t, k3, 2), 1);
	iptable_release(t, k1);
	iptable_release(t, k2);
	iptable_release(t, k3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_acquire_up_to_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(t_addresses_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(t_release_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(t_release_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(t_limit_zero_unlimited, setup, teardown),
		cmocka_unit_test(t_free_with_entries_and_twice),
		cmocka_unit_test(t_key),
		cmocka_unit_test_setup_teardown(t_v6_prefix_shares_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
