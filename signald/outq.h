/*
 * outq.h - per-connection outbound queue of shared, refcounted messages.
 *
 * A publish to 50 members serialises once and queues the same buffer 50 times. Each queue is
 * bounded in bytes (with a per-entry overhead, so a flood of tiny messages is bounded too);
 * a push past the bound fails and the caller drops the connection: a client that does not
 * read is never buffered without limit.
 */
#ifndef SIGNALD_OUTQ_H
#define SIGNALD_OUTQ_H

#include <stddef.h>
#include <stdint.h>

/* Bytes charged per queued entry on top of its payload: the ring slot plus allocator slack. */
#define OUTQ_ENTRY_OVERHEAD 64

struct outmsg {
	unsigned refs;
	uint64_t origin; /* the room membership it speaks for, 0 for none; see outq_take_back */
	size_t len;
	unsigned char buf[]; /* pre bytes of headroom (LWS_PRE), then len bytes of payload */
};

struct outq {
	struct outmsg **ring;
	unsigned head, count, cap; /* cap is zero or a power of two */
	size_t bytes;              /* charged bytes queued */
};

/* A message with `pre` bytes of headroom and a copy of data[0..len). refs = 1. */
struct outmsg *outmsg_new(size_t pre, const void *data, size_t len);
void outmsg_unref(struct outmsg *m);

/* Queues m (taking a new reference) unless that would exceed max_bytes: then -1. */
int outq_push(struct outq *q, struct outmsg *m, size_t max_bytes);
struct outmsg *outq_peek(const struct outq *q);
/* Drops the head (releasing the queue's reference). */
void outq_pop(struct outq *q);
void outq_clear(struct outq *q);
/* If `first` is still queued, removes it and every message with its origin queued after it,
 * keeping the order of the rest, and returns 1; otherwise changes nothing and returns 0. */
int outq_take_back(struct outq *q, const struct outmsg *first);

#endif
