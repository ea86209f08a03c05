#include "reorder.h"

#include <stdlib.h>
#include <string.h>

int reorder_init(struct reorder *r, unsigned lanes, size_t max_bytes, size_t max_count)
{
	memset(r, 0, sizeof(*r));
	if (lanes == 0 || lanes > REORDER_MAX_LANES || max_count == 0)
		return -1;
	r->lanes = lanes;
	r->max_bytes = max_bytes;
	r->max_count = max_count;
	/* One more message per lane than the bound: the most a lane not yet paused can add. */
	r->cap = max_count + lanes;
	r->held = calloc(r->cap, sizeof(*r->held));
	return r->held ? 0 : -1;
}

void reorder_free(struct reorder *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->held[i].data);
	free(r->held);
	memset(r, 0, sizeof(*r));
}

/* Index where seq belongs in the sorted array, and whether it is there already. */
static size_t find(const struct reorder *r, uint64_t seq, int *present)
{
	size_t lo = 0, hi = r->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->held[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	*present = lo < r->count && r->held[lo].seq == seq;
	return lo;
}

static int hold(struct reorder *r, uint64_t seq, const uint8_t *buf, size_t len, int flags)
{
	int present;
	size_t at = find(r, seq, &present);
	if (present)
		return REORDER_E_OLD;
	if (r->count == r->cap)
		return REORDER_E_FULL;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return REORDER_E_NOMEM;
	memcpy(copy, buf, len);
	memmove(&r->held[at + 1], &r->held[at], (r->count - at) * sizeof(*r->held));
	r->held[at] = (struct reorder_msg){seq, copy, len, flags};
	r->count++;
	r->bytes += len;
	return REORDER_HELD;
}

int reorder_push(struct reorder *r, unsigned lane, uint64_t seq, const uint8_t *buf,
		 size_t len, int flags)
{
	if (lane >= r->lanes)
		return REORDER_E_LANE;
	if (seq == UINT64_MAX || (r->last[lane] && seq < r->last[lane]))
		return REORDER_E_LANE; /* a lane is ordered: its numbers only grow */
	if (seq < r->next)
		return REORDER_E_OLD;
	int rc = seq == r->next ? REORDER_DELIVER : hold(r, seq, buf, len, flags);
	if (rc < 0)
		return rc;
	r->last[lane] = seq + 1;
	if (rc == REORDER_DELIVER)
		r->next++;
	return rc;
}

int reorder_pop(struct reorder *r, struct reorder_msg *out)
{
	if (r->count == 0 || r->held[0].seq != r->next)
		return 0;
	*out = r->held[0];
	r->count--;
	memmove(&r->held[0], &r->held[1], r->count * sizeof(*r->held));
	r->bytes -= out->len;
	r->next++;
	return 1;
}

uint64_t reorder_pause_mask(struct reorder *r)
{
	if (r->bytes > r->max_bytes || r->count > r->max_count)
		r->pausing = 1;
	else if (r->bytes <= r->max_bytes / 2 && r->count <= r->max_count / 2)
		r->pausing = 0; /* hysteresis: do not flap a lane per message */
	if (!r->pausing)
		return 0;
	uint64_t mask = 0;
	for (unsigned i = 0; i < r->lanes; i++)
		if (r->last[i] > r->next) /* its last message is past `next`: ahead */
			mask |= UINT64_C(1) << i;
	return mask;
}
