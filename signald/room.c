#include "room.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ROOM_TABLE_MIN_BUCKETS 64

/* FNV-1a over a random per-process basis with a final avalanche (splitmix64). The table grows
 * at load 1 and the number of rooms is capped, so chains stay short for honest keys; the random
 * basis keeps an attacker from precomputing colliding room ids. */
static uint64_t hash_id(const struct room_table *t, const char *id)
{
	uint64_t h = t->seed ^ 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

int room_table_init(struct room_table *t)
{
	memset(t, 0, sizeof(*t));
	if (util_random(&t->seed, sizeof(t->seed)) < 0)
		return -1;
	t->nbuckets = ROOM_TABLE_MIN_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

static void room_free(struct room *r)
{
	free(r->members);
	free(r);
}

void room_table_free(struct room_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct room *r = t->buckets[i], *next;
		for (; r; r = next) {
			next = r->hnext;
			room_free(r);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct room *room_find(struct room_table *t, const char *id)
{
	struct room *r = t->buckets[hash_id(t, id) & (t->nbuckets - 1)];
	for (; r; r = r->hnext)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

/* Doubling keeps inserts amortised O(1); a failed grow is harmless (longer chains). */
static void maybe_grow(struct room_table *t)
{
	if (t->count < t->nbuckets)
		return;
	size_t n = t->nbuckets * 2;
	struct room **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct room *r = t->buckets[i], *next;
		for (; r; r = next) {
			next = r->hnext;
			size_t k = hash_id(t, r->id) & (n - 1);
			r->hnext = b[k];
			b[k] = r;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

struct room *room_create(struct room_table *t, const char *id, unsigned cap)
{
	struct room *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	size_t len = strlen(id);
	if (len > SIG_ROOM_MAX_LEN) {
		free(r);
		return NULL;
	}
	memcpy(r->id, id, len + 1);
	r->cap = cap;
	maybe_grow(t);
	size_t k = hash_id(t, id) & (t->nbuckets - 1);
	r->hnext = t->buckets[k];
	t->buckets[k] = r;
	t->count++;
	return r;
}

int room_add(struct room *r, struct client *c)
{
	if (r->count >= r->cap)
		return -1;
	if (r->count == r->alloc) {
		/* Start small: most rooms are pairs. */
		unsigned n = r->alloc ? r->alloc * 2 : 2;
		if (n > r->cap)
			n = r->cap;
		struct client **m = realloc(r->members, n * sizeof(*m));
		if (!m)
			return -1;
		r->members = m;
		r->alloc = n;
	}
	r->members[r->count++] = c;
	return 0;
}

static void unlink_room(struct room_table *t, struct room *r)
{
	struct room **pp = &t->buckets[hash_id(t, r->id) & (t->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == r) {
			*pp = r->hnext;
			t->count--;
			return;
		}
	}
}

int room_remove(struct room_table *t, struct room *r, struct client *c)
{
	for (unsigned i = 0; i < r->count; i++) {
		if (r->members[i] != c)
			continue;
		memmove(&r->members[i], &r->members[i + 1], (r->count - i - 1) * sizeof(*r->members));
		r->count--;
		break;
	}
	if (r->count > 0)
		return 0;
	unlink_room(t, r);
	room_free(r);
	return 1;
}
