/*
 * iptable.h - connections per client address, for the per-address limit.
 * Keys are textual addresses from iptable_key(); entries vanish when their count drops to 0.
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

/* An IPv4 address stays as it is; an IPv4-mapped IPv6 address becomes its IPv4 address; any
 * other IPv6 address becomes its first v6_prefix bits, "2001:db8:1:2::/64". Every subscriber
 * gets at least a /64 (RFC 6177), so counting single IPv6 addresses would limit nothing.
 * Anything else is copied unchanged. out needs IPTABLE_KEY_LEN bytes. */
#define IPTABLE_KEY_LEN 48
void iptable_key(const char *addr, unsigned v6_prefix, char *out, size_t outlen);

int iptable_init(struct iptable *t, size_t nbuckets);
void iptable_free(struct iptable *t);
/* Increments addr's count unless it is already >= limit (limit 0: none). Returns the new count,
 * 0 when refused, -1 when out of memory. */
long iptable_acquire(struct iptable *t, const char *addr, unsigned long limit);
unsigned long iptable_count(const struct iptable *t, const char *addr);
void iptable_release(struct iptable *t, const char *addr);

#endif
