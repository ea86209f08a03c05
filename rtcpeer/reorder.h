/*
 * reorder.h - puts the messages of a striped channel (lanes.c, proto/TRANSFER.md §12) back in
 * sequence order, in bounded memory, and says which lanes to stop reading so that the bound
 * holds without ever stalling the transfer.
 *
 * Each lane is an ordered channel and the sender numbers messages 0, 1, 2... across all lanes,
 * so on every lane the numbers only grow. A lane whose last message is at or past `next` (the
 * number we wait for) is *ahead*: `next` cannot be on it any more. Once more than the bound is
 * held, the lanes that are ahead are paused; the lane that carries `next` never is, so `next`
 * always arrives and the held messages drain. A lane not yet ahead may still bring one message
 * past the bound (then it is ahead and paused too): at most one message per lane beyond it.
 *
 * Pure: no I/O, no clock; held messages are copies owned by the struct.
 */
#ifndef RTCPEER_REORDER_H
#define RTCPEER_REORDER_H

#include <stddef.h>
#include <stdint.h>

#define REORDER_MAX_LANES 64

enum reorder_result {
	REORDER_DELIVER = 0,  /* it is `next`: deliver it now, then reorder_pop() until empty */
	REORDER_HELD = 1,     /* copied and kept until its turn */
	REORDER_E_OLD = -1,   /* a number already delivered or held: the peer broke the framing */
	REORDER_E_LANE = -2,  /* not above the lane's last number: the same */
	REORDER_E_FULL = -3,  /* beyond the hard limit: the caller did not pause what it was told */
	REORDER_E_NOMEM = -4,
};

struct reorder_msg {
	uint64_t seq;
	uint8_t *data; /* malloc'd; owned by whoever holds the struct */
	size_t len;
	int flags;     /* the caller's (text or binary) */
};

struct reorder {
	uint64_t next;                       /* the number we wait for */
	unsigned lanes;
	uint64_t last[REORDER_MAX_LANES];    /* per lane: last number + 1, 0 = none yet */
	struct reorder_msg *held;            /* sorted by seq, `count` of `cap` used */
	size_t count, cap;
	size_t bytes;
	size_t max_bytes, max_count;         /* pause ahead lanes above either */
	int pausing;                         /* above the bound; until back at half of it */
};

/* max_bytes / max_count: what may be held before ahead lanes are paused. 0 or -1 (memory,
 * or lanes out of 1..REORDER_MAX_LANES). */
int reorder_init(struct reorder *r, unsigned lanes, size_t max_bytes, size_t max_count);
void reorder_free(struct reorder *r);
/* Message `seq` arrived on `lane`. REORDER_DELIVER: the caller delivers buf itself (no copy is
 * made) and then calls reorder_pop(). */
int reorder_push(struct reorder *r, unsigned lane, uint64_t seq, const uint8_t *buf,
		 size_t len, int flags);
/* The next message if it is held: 1 and *out (the caller frees out->data), else 0. */
int reorder_pop(struct reorder *r, struct reorder_msg *out);
/* Bit i set: lane i should not be read now. Never the lane that may carry `next`. */
uint64_t reorder_pause_mask(struct reorder *r);

#endif
