#include "iptable.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct ip_entry {
	struct ip_entry *next;
	unsigned long count;
	char addr[]; /* NUL-terminated */
};

static size_t bucket(const struct iptable *t, const char *addr)
{
	uint64_t h = t->seed ^ 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h ^= h >> 33;
	return (size_t)h & (t->nbuckets - 1);
}

void iptable_key(const char *addr, unsigned v6_prefix, char *out, size_t outlen)
{
	struct in6_addr a;
	char text[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET6, addr, &a) != 1) {
		snprintf(out, outlen, "%s", addr);
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof(text));
		snprintf(out, outlen, "%s", text);
		return;
	}
	if (v6_prefix > 128)
		v6_prefix = 128;
	for (unsigned bit = v6_prefix; bit < 128; bit++)
		a.s6_addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	inet_ntop(AF_INET6, &a, text, sizeof(text));
	snprintf(out, outlen, "%s/%u", text, v6_prefix);
}

int iptable_init(struct iptable *t, size_t nbuckets)
{
	t->nbuckets = nbuckets;
	if (util_random(&t->seed, sizeof(t->seed)) < 0)
		return -1;
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -1;
}

void iptable_free(struct iptable *t)
{
	for (size_t i = 0; t->buckets && i < t->nbuckets; i++) {
		struct ip_entry *e = t->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
}

long iptable_acquire(struct iptable *t, const char *addr, unsigned long limit)
{
	struct ip_entry **head = &t->buckets[bucket(t, addr)], *e;
	for (e = *head; e; e = e->next)
		if (strcmp(e->addr, addr) == 0)
			break;
	if (!e) {
		size_t len = strlen(addr);
		e = malloc(sizeof(*e) + len + 1);
		if (!e)
			return -1;
		memcpy(e->addr, addr, len + 1);
		e->count = 0;
		e->next = *head;
		*head = e;
	}
	if (limit && e->count >= limit)
		return 0;
	return (long)++e->count;
}

unsigned long iptable_count(const struct iptable *t, const char *addr)
{
	for (const struct ip_entry *e = t->buckets[bucket(t, addr)]; e; e = e->next)
		if (strcmp(e->addr, addr) == 0)
			return e->count;
	return 0;
}

void iptable_release(struct iptable *t, const char *addr)
{
	struct ip_entry **pp = &t->buckets[bucket(t, addr)];
	for (; *pp; pp = &(*pp)->next) {
		struct ip_entry *e = *pp;
		if (strcmp(e->addr, addr) != 0)
			continue;
		if (--e->count == 0) {
			*pp = e->next;
			free(e);
		}
		return;
	}
}
