#include "outq.h"

#include <stdlib.h>
#include <string.h>

struct outmsg *outmsg_new(size_t pre, const void *data, size_t len)
{
	struct outmsg *m = malloc(sizeof(*m) + pre + len);
	if (!m)
		return NULL;
	m->refs = 1;
	m->origin = 0;
	m->len = len;
	memcpy(m->buf + pre, data, len);
	return m;
}

void outmsg_unref(struct outmsg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

static int grow(struct outq *q)
{
	unsigned n = q->cap ? q->cap * 2 : 4;
	struct outmsg **r = malloc(n * sizeof(*r));
	if (!r)
		return -1;
	for (unsigned i = 0; i < q->count; i++)
		r[i] = q->ring[(q->head + i) & (q->cap - 1)];
	free(q->ring);
	q->ring = r;
	q->head = 0;
	q->cap = n;
	return 0;
}

int outq_push(struct outq *q, struct outmsg *m, size_t max_bytes)
{
	size_t charge = m->len + OUTQ_ENTRY_OVERHEAD;
	if (q->bytes + charge > max_bytes)
		return -1;
	if (q->count == q->cap && grow(q) < 0)
		return -1;
	q->ring[(q->head + q->count) & (q->cap - 1)] = m;
	q->count++;
	q->bytes += charge;
	m->refs++;
	return 0;
}

struct outmsg *outq_peek(const struct outq *q)
{
	return q->count ? q->ring[q->head] : NULL;
}

/* Give back a ring that a burst grew: 20k idle clients x a large ring adds up. The smallest
 * ring stays, so the steady relay path does not malloc per message. */
static void shrink_if_empty(struct outq *q)
{
	if (q->count == 0 && q->cap > 4) {
		free(q->ring);
		q->ring = NULL;
		q->cap = 0;
		q->head = 0;
	}
}

void outq_pop(struct outq *q)
{
	if (!q->count)
		return;
	struct outmsg *m = q->ring[q->head];
	q->head = (q->head + 1) & (q->cap - 1);
	q->count--;
	q->bytes -= m->len + OUTQ_ENTRY_OVERHEAD;
	outmsg_unref(m);
	shrink_if_empty(q);
}

int outq_take_back(struct outq *q, const struct outmsg *first)
{
	unsigned i, kept, mask = q->cap - 1;
	uint64_t origin = first->origin;
	for (i = 0; i < q->count && q->ring[(q->head + i) & mask] != first; i++)
		;
	if (i == q->count)
		return 0;
	for (kept = i; i < q->count; i++) { /* what came before first stays where it is */
		struct outmsg *m = q->ring[(q->head + i) & mask];
		if (m == first || (origin && m->origin == origin)) {
			q->bytes -= m->len + OUTQ_ENTRY_OVERHEAD;
			outmsg_unref(m);
		} else {
			q->ring[(q->head + kept++) & mask] = m;
		}
	}
	q->count = kept;
	shrink_if_empty(q);
	return 1;
}

void outq_clear(struct outq *q)
{
	while (q->count)
		outq_pop(q);
	free(q->ring);
	memset(q, 0, sizeof(*q));
}
