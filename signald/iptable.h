/*
 * iptable.h - connections per client address, for the per-address limit.
 * Keys are textual addresses as lws reports them; entries vanish when their count drops to 0.
 */
#ifndef SIGNALD_IPTABLE_H
#define SIGNALD_IPTABLE_H

#include <stddef.h>
#include <stdint.h>

struct ip_entry;

struct iptable {
	struct ip_entry **buckets;
	size_t nbuckets; /* power of two, fixed */
	uint64_t seed;
};

int iptable_init(struct iptable *t, size_t nbuckets);
void iptable_free(struct iptable *t);
/* Increments addr's count unless it is already >= limit (limit 0: none). Returns the new count,
 * 0 when refused, -1 when out of memory. */
long iptable_acquire(struct iptable *t, const char *addr, unsigned long limit);
void iptable_release(struct iptable *t, const char *addr);

#endif
