/*
 * test_util.c - common/util: base32 (RFC 4648 §10 vectors, lower case, no padding), the CSPRNG
 * wrapper, constant-time comparison and the monotonic clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void expect_b32(const char *in, const char *want)
{
	char out[64];
	memset(out, '#', sizeof(out));
	util_base32(out, (const uint8_t *)in, strlen(in));
	assert_string_equal(out, want);
	/* Exactly strlen(want) + 1 bytes written. */
	assert_int_equal(out[strlen(want) + 1], '#');
}

static void t_base32_rfc4648_vectors(void **state)
{
	(void)state;
	/* RFC 4648 §10, lower-cased, padding removed. */
	expect_b32("", "");
	expect_b32("f", "my");
	expect_b32("fo", "mzxq");
	expect_b32("foo", "mzxw6");
	expect_b32("foob", "mzxw6yq");
	expect_b32("fooba", "mzxw6ytb");
	expect_b32("foobar", "mzxw6ytboi");
}

static void t_base32_peer_id_shape(void **state)
{
	(void)state;
	uint8_t raw[16];
	char out[32];

	memset(raw, 0, sizeof(raw));
	util_base32(out, raw, sizeof(raw));
	assert_string_equal(out, "aaaaaaaaaaaaaaaaaaaaaaaaaa");

	/* 128 one bits: 25 full groups, then 3 bits padded with two zeros (11100 = 28 = '4'). */
	memset(raw, 0xff, sizeof(raw));
	util_base32(out, raw, sizeof(raw));
	assert_string_equal(out, "77777777777777777777777774");

	for (int round = 0; round < 200; round++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(util_random(raw, sizeof(raw)), 0);
		util_base32(out, raw, sizeof(raw));
		assert_int_equal(strlen(out), 26);
		assert_int_equal(out[27], '#');
		for (size_t i = 0; i < 26; i++)
			assert_true((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '2' && out[i] <= '7'));
	}
}

static void t_base32_all_symbols(void **state)
{
	(void)state;
	/* 0x00 0x44 0x32 0x14 0xc7 encodes 0..7, and so on: 20 bytes cover all 32 symbols. */
	static const uint8_t in[20] = {0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf,
				       0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf};
	char out[40];
	util_base32(out, in, sizeof(in));
	assert_string_equal(out, "abcdefghijklmnopqrstuvwxyz234567");
}

static void t_random_fills(void **state)
{
	(void)state;
	uint8_t a[64], b[64], zero[64];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(util_random(a, sizeof(a)), 0);
	assert_int_equal(util_random(b, sizeof(b)), 0);
	/* 512 random bits are all zero, or repeat, with probability 2^-512. */
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(util_random(a, 0), 0);

	/* A large request is filled to the end (getrandom may return short reads). */
	size_t big = 1u << 20;
	uint8_t *p = calloc(1, big);
	assert_non_null(p);
	assert_int_equal(util_random(p, big), 0);
	assert_memory_not_equal(p + big - 64, zero, 64);
	assert_memory_not_equal(p, zero, 64);
	free(p);

	/* Byte values are spread: over 64 KiB every value occurs. */
	uint8_t *q = malloc(65536);
	assert_non_null(q);
	assert_int_equal(util_random(q, 65536), 0);
	unsigned seen[256] = {0};
	for (size_t i = 0; i < 65536; i++)
		seen[q[i]]++;
	for (int v = 0; v < 256; v++)
		assert_true(seen[v] > 0);
	free(q);
}

static void t_ct_equal(void **state)
{
	(void)state;
	assert_true(util_ct_equal("secret", 6, "secret", 6));
	assert_true(util_ct_equal("", 0, "", 0));
	assert_true(util_ct_equal(NULL, 0, NULL, 0));
	assert_false(util_ct_equal("secret", 6, "secreT", 6));
	assert_false(util_ct_equal("secret", 6, "Secret", 6));
	assert_false(util_ct_equal("secret", 6, "secre", 5));
	assert_false(util_ct_equal("secre", 5, "secret", 6));
	assert_false(util_ct_equal("", 0, "a", 1));
	/* Bytes, not C strings: NULs and high bytes compare like any other. */
	assert_true(util_ct_equal("a\0b", 3, "a\0b", 3));
	assert_false(util_ct_equal("a\0b", 3, "a\0c", 3));
	assert_false(util_ct_equal("\x80", 1, "\x00", 1));
	assert_false(util_ct_equal("\xff", 1, "\x7f", 1));
	/* Only the given lengths are compared. */
	assert_true(util_ct_equal("abcX", 3, "abcY", 3));
}

static void t_clock(void **state)
{
	(void)state;
	uint64_t a = util_now_ns();
	uint64_t b = util_now_ns();
	assert_true(a > 0);
	assert_true(b >= a);
	uint64_t ms = util_now_ms();
	uint64_t ns = util_now_ns();
	assert_true(ms <= ns / 1000000u);
	assert_true(ns / 1000000u - ms < 1000);
}

/* Token buckets in thousandths: exact refill, capped at the depth, no overflow after an
 * idle year at the largest rate a flag allows. */
static void t_bucket_refill(void **state)
{
	(void)state;
	assert_int_equal(util_bucket_refill(0, 500, 10, 10000), 5000);      /* 10/s for 0.5 s */
	assert_int_equal(util_bucket_refill(7, 1, 1, 10000), 8);            /* 1 ms at 1/s: 1/1000 */
	assert_int_equal(util_bucket_refill(9000, 500, 10, 10000), 10000);  /* capped */
	assert_int_equal(util_bucket_refill(0, UINT64_C(31536000000), 1073741824,
					    UINT64_C(1073741824000)), UINT64_C(1073741824000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_base32_rfc4648_vectors),
		cmocka_unit_test(t_base32_peer_id_shape),
		cmocka_unit_test(t_base32_all_symbols),
		cmocka_unit_test(t_random_fills),
		cmocka_unit_test(t_ct_equal),
		cmocka_unit_test(t_clock),
		cmocka_unit_test(t_bucket_refill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
