/*
 * lathist.c - log-linear latency histogram (see lathist.h for the bucket layout).
 */
#include "lathist.h"

#include <string.h>

void lathist_init(struct lathist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static unsigned top_bit(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned bucket_of(uint64_t v)
{
	if (v < LATHIST_SUB)
		return (unsigned)v;
	if (v >= (1ull << LATHIST_MAX_EXP))
		v = (1ull << LATHIST_MAX_EXP) - 1;
	/* v >> shift lies in [SUB, 2*SUB): its low bits pick the sub-bucket of this octave. */
	unsigned shift = top_bit(v) - LATHIST_SUB_BITS;
	unsigned sub = (unsigned)(v >> shift) - LATHIST_SUB;
	return LATHIST_SUB + shift * LATHIST_SUB + sub;
}

static uint64_t bucket_upper(unsigned idx)
{
	if (idx < LATHIST_SUB)
		return idx;
	unsigned shift = (idx - LATHIST_SUB) / LATHIST_SUB;
	unsigned sub = (idx - LATHIST_SUB) % LATHIST_SUB;
	uint64_t lower = (uint64_t)(LATHIST_SUB + sub) << shift;
	return lower + ((1ull << shift) - 1);
}

void lathist_add(struct lathist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns)]++;
	h->count++;
	h->sum += ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void lathist_merge(struct lathist *dst, const struct lathist *src)
{
	for (unsigned i = 0; i < LATHIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t lathist_quantile(const struct lathist *h, double q)
{
	if (h->count == 0)
		return 0;
	double want = q * (double)h->count;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < LATHIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = bucket_upper(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
