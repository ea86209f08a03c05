/*
 * lathist.h - fixed-size latency histogram for the load tool.
 *
 * Log-linear buckets in the HdrHistogram style: values below 2^LATHIST_SUB_BITS ns get one
 * bucket each, every power of two above that is split into 2^LATHIST_SUB_BITS equal buckets, so
 * a reported quantile is at most 1/32 (~3 %) above the true value. The struct has no pointers
 * and a fixed size, so a worker process can write it into a pipe and the parent can add it up.
 */
#ifndef BENCH_LATHIST_H
#define BENCH_LATHIST_H

#include <stdint.h>

#define LATHIST_SUB_BITS 5
#define LATHIST_SUB      (1u << LATHIST_SUB_BITS)
/* 2^40 ns is about 18 minutes: anything slower is clamped (and is a failure anyway). */
#define LATHIST_MAX_EXP  40
#define LATHIST_BUCKETS  ((LATHIST_MAX_EXP - LATHIST_SUB_BITS + 1) * LATHIST_SUB)

struct lathist {
	uint64_t count;
	uint64_t sum; /* ns; for the mean */
	uint64_t min; /* ns; UINT64_MAX while empty */
	uint64_t max; /* ns; exact, not bucketed */
	uint64_t bucket[LATHIST_BUCKETS];
};

void lathist_init(struct lathist *h);
void lathist_add(struct lathist *h, uint64_t ns);
void lathist_merge(struct lathist *dst, const struct lathist *src);

/* The value at quantile q (0 < q <= 1): the upper edge of the bucket that holds the
 * ceil(q * count)-th smallest sample, never more than the exact maximum. 0 when empty. */
uint64_t lathist_quantile(const struct lathist *h, double q);

#endif
