/*
 * test_room.c - signald/room: the room registry.
 *
 * struct client is opaque to room.c (it only stores pointers), so members are the addresses of
 * local ints. A room keeps join order, enforces its cap, and is freed when the last member
 * leaves; the table grows and keeps every room findable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "room.h"

static int slots[64];
#define C(i) ((struct client *)(void *)&slots[i])

static int setup(void **state)
{
	static struct room_table t;
	if (room_table_init(&t) < 0)
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	room_table_free(*state);
	return 0;
}

static void expect_members(const struct room *r, const int *idx, unsigned n)
{
	assert_int_equal(r->count, n);
	for (unsigned i = 0; i < n; i++)
		assert_ptr_equal(r->members[i], C(idx[i]));
}

static void t_init_empty(void **state)
{
	struct room_table *t = *state;
	assert_int_equal(t->count, 0);
	assert_true(t->nbuckets >= 1);
	assert_int_equal(t->nbuckets & (t->nbuckets - 1), 0); /* power of two */
	assert_null(room_find(t, "nothing"));
	assert_null(room_find(t, ""));
}

static void t_create_find(void **state)
{
	struct room_table *t = *state;
	struct room *r = room_create(t, "k3Jd9xQ2mZ", 8);
	assert_non_null(r);
	assert_string_equal(r->id, "k3Jd9xQ2mZ");
	assert_int_equal(r->cap, 8);
	assert_int_equal(r->count, 0);
	assert_int_equal(t->count, 1);
	assert_ptr_equal(room_find(t, "k3Jd9xQ2mZ"), r);
	/* Exact match only: case, prefix and extension differ. */
	assert_null(room_find(t, "k3jd9xQ2mZ"));
	assert_null(room_find(t, "k3Jd9xQ2m"));
	assert_null(room_find(t, "k3Jd9xQ2mZ_"));

	struct room *r2 = room_create(t, "other", 2);
	assert_non_null(r2);
	assert_true(r2 != r);
	assert_int_equal(t->count, 2);
	assert_ptr_equal(room_find(t, "other"), r2);
	assert_ptr_equal(room_find(t, "k3Jd9xQ2mZ"), r);

	/* The longest room id fits; a longer one is refused. */
	char id[80];
	memset(id, 'z', 64);
	id[64] = '\0';
	struct room *r3 = room_create(t, id, 2);
	assert_non_null(r3);
	assert_string_equal(r3->id, id);
	assert_ptr_equal(room_find(t, id), r3);
	memset(id, 'y', 65);
	id[65] = '\0';
	assert_null(room_create(t, id, 2));
	assert_null(room_find(t, id));
	assert_int_equal(t->count, 3);
}

static void t_add_remove_keeps_join_order(void **state)
{
	struct room_table *t = *state;
	struct room *r = room_create(t, "order", 16);
	assert_non_null(r);
	for (int i = 0; i < 6; i++)
		assert_int_equal(room_add(r, C(i)), 0);
	expect_members(r, (const int[]){0, 1, 2, 3, 4, 5}, 6);

	/* Middle, first, last. */
	assert_int_equal(room_remove(t, r, C(2)), 0);
	expect_members(r, (const int[]){0, 1, 3, 4, 5}, 5);
	assert_int_equal(room_remove(t, r, C(0)), 0);
	expect_members(r, (const int[]){1, 3, 4, 5}, 4);
	assert_int_equal(room_remove(t, r, C(5)), 0);
	expect_members(r, (const int[]){1, 3, 4}, 3);

	/* A rejoin goes to the end. */
	assert_int_equal(room_add(r, C(0)), 0);
	expect_members(r, (const int[]){1, 3, 4, 0}, 4);
	assert_ptr_equal(room_find(t, "order"), r);
}

static void t_remove_non_member(void **state)
{
	struct room_table *t = *state;
	struct room *r = room_create(t, "nm", 4);
	assert_non_null(r);
	assert_int_equal(room_add(r, C(1)), 0);
	assert_int_equal(room_add(r, C(2)), 0);
	assert_int_equal(room_remove(t, r, C(9)), 0);
	expect_members(r, (const int[]){1, 2}, 2);
	assert_ptr_equal(room_find(t, "nm"), r);
	assert_int_equal(t->count, 1);
	/* Removing the same member twice: the second is a non-member. */
	assert_int_equal(room_remove(t, r, C(1)), 0);
	assert_int_equal(room_remove(t, r, C(1)), 0);
	expect_members(r, (const int[]){2}, 1);
	assert_ptr_equal(room_find(t, "nm"), r);
}

static void t_cap_enforced(void **state)
{
	struct room_table *t = *state;
	struct room *r = room_create(t, "pair", 2);
	assert_non_null(r);
	assert_int_equal(room_add(r, C(0)), 0);
	assert_int_equal(room_add(r, C(1)), 0);
	assert_int_equal(room_add(r, C(2)), -1);
	expect_members(r, (const int[]){0, 1}, 2);
	/* A slot freed by a departure can be taken again. */
	assert_int_equal(room_remove(t, r, C(0)), 0);
	assert_int_equal(room_add(r, C(2)), 0);
	assert_int_equal(room_add(r, C(3)), -1);
	expect_members(r, (const int[]){1, 2}, 2);

	/* An odd cap past the first doublings (2, 4, 8 -> capped at 5). */
	struct room *r5 = room_create(t, "five", 5);
	assert_non_null(r5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(room_add(r5, C(i)), 0);
	assert_int_equal(room_add(r5, C(5)), -1);
	expect_members(r5, (const int[]){0, 1, 2, 3, 4}, 5);
	assert_true(r5->alloc <= 5);

	/* A large cap with many members keeps them all, in order. */
	struct room *big = room_create(t, "big", 65535);
	assert_non_null(big);
	for (int i = 0; i < 64; i++)
		assert_int_equal(room_add(big, C(i)), 0);
	assert_int_equal(big->count, 64);
	for (int i = 0; i < 64; i++)
		assert_ptr_equal(big->members[i], C(i));

	/* Cap 1 and cap 0. */
	struct room *one = room_create(t, "one", 1);
	assert_non_null(one);
	assert_int_equal(room_add(one, C(0)), 0);
	assert_int_equal(room_add(one, C(1)), -1);
	struct room *zero = room_create(t, "zero", 0);
	assert_non_null(zero);
	assert_int_equal(room_add(zero, C(0)), -1);
	assert_int_equal(zero->count, 0);
}

static void t_freed_when_empty(void **state)
{
	struct room_table *t = *state;
	struct room *keep = room_create(t, "keep", 4);
	struct room *r = room_create(t, "gone", 4);
	assert_non_null(keep);
	assert_non_null(r);
	assert_int_equal(room_add(keep, C(9)), 0);
	assert_int_equal(room_add(r, C(0)), 0);
	assert_int_equal(room_add(r, C(1)), 0);
	assert_int_equal(t->count, 2);

	assert_int_equal(room_remove(t, r, C(0)), 0);
	assert_ptr_equal(room_find(t, "gone"), r);
	assert_int_equal(room_remove(t, r, C(1)), 1); /* r is freed: ASan checks no later use */
	assert_null(room_find(t, "gone"));
	assert_int_equal(t->count, 1);
	assert_ptr_equal(room_find(t, "keep"), keep);

	/* The id can be used again for a fresh room. */
	struct room *again = room_create(t, "gone", 3);
	assert_non_null(again);
	assert_int_equal(again->count, 0);
	assert_int_equal(again->cap, 3);
	assert_ptr_equal(room_find(t, "gone"), again);
	assert_int_equal(room_add(again, C(5)), 0);
	assert_int_equal(room_remove(t, again, C(5)), 1);
	assert_null(room_find(t, "gone"));

	assert_int_equal(room_remove(t, keep, C(9)), 1);
	assert_null(room_find(t, "keep"));
	assert_int_equal(t->count, 0);
}

static void t_many_rooms_with_growth(void **state)
{
	struct room_table *t = *state;
	enum { N = 10000 };
	static struct room *rooms[N];
	char id[32];
	size_t initial = t->nbuckets;

	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "room-%05d", i);
		rooms[i] = room_create(t, id, 2);
		assert_non_null(rooms[i]);
		assert_int_equal(room_add(rooms[i], C(i % 64)), 0);
	}
	assert_int_equal(t->count, N);
	assert_true(t->nbuckets > initial);
	assert_true(t->nbuckets >= N); /* load factor <= 1 */
	assert_int_equal(t->nbuckets & (t->nbuckets - 1), 0);

	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "room-%05d", i);
		assert_ptr_equal(room_find(t, id), rooms[i]);
	}
	assert_null(room_find(t, "room-10000"));
	assert_null(room_find(t, "room-0000"));

	/* Every room is reachable through the chains exactly once. */
	size_t reachable = 0;
	for (size_t b = 0; b < t->nbuckets; b++)
		for (struct room *r = t->buckets[b]; r; r = r->hnext)
			reachable++;
	assert_int_equal(reachable, N);

	/* Empty every other room; the rest stay findable. */
	for (int i = 0; i < N; i += 2)
		assert_int_equal(room_remove(t, rooms[i], C(i % 64)), 1);
	assert_int_equal(t->count, N / 2);
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "room-%05d", i);
		if (i % 2)
			assert_ptr_equal(room_find(t, id), rooms[i]);
		else
			assert_null(room_find(t, id));
	}
	/* The rest is freed by room_table_free in teardown (LeakSanitizer checks). */
}

static void t_tables_independent(void **state)
{
	(void)state;
	struct room_table a, b;
	assert_int_equal(room_table_init(&a), 0);
	assert_int_equal(room_table_init(&b), 0);
	struct room *ra = room_create(&a, "same", 2);
	assert_non_null(ra);
	assert_null(room_find(&b, "same"));
	struct room *rb = room_create(&b, "same", 3);
	assert_non_null(rb);
	assert_ptr_equal(room_find(&a, "same"), ra);
	assert_ptr_equal(room_find(&b, "same"), rb);
	room_table_free(&a);
	room_table_free(&b);
	assert_null(a.buckets);
	assert_int_equal(a.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_init_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(t_create_find, setup, teardown),
		cmocka_unit_test_setup_teardown(t_add_remove_keeps_join_order, setup, teardown),
		cmocka_unit_test_setup_teardown(t_remove_non_member, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cap_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(t_freed_when_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(t_many_rooms_with_growth, setup, teardown),
		cmocka_unit_test(t_tables_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
