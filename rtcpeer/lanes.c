#include "lanes.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reorder.h"

#define SCOPE "lanes"

struct lanes {
	unsigned count, attached;
	struct dc *dc[REORDER_MAX_LANES];
	unsigned next_lane;        /* where the round robin looks first */
	int engaged;               /* stripe over all lanes; else lane 0 only */
	uint64_t sent_on, came_on; /* lanes used, one bit each */
	uint64_t send_seq;
	uint64_t paused;           /* lanes we asked to stop reading */
	struct reorder rx;
	struct lanes_callbacks cb;
	uint8_t frame[LANES_SEND_MAX];
};

struct lanes *lanes_new(unsigned count, const struct lanes_callbacks *cb)
{
	if (count < 2 || count > REORDER_MAX_LANES)
		return NULL;
	struct lanes *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (reorder_init(&l->rx, count, LANES_REORDER_BYTES, LANES_REORDER_MSGS) < 0) {
		free(l);
		return NULL;
	}
	l->count = count;
	l->cb = *cb;
	return l;
}

void lanes_free(struct lanes *l)
{
	if (!l)
		return;
	reorder_free(&l->rx);
	free(l);
}

int lanes_attach(struct lanes *l, unsigned lane, struct dc *dc)
{
	if (lane >= l->count || l->dc[lane])
		return -1;
	l->dc[lane] = dc;
	l->attached++;
	/* Called back as soon as the queue is empty: a lane takes a message only then. */
	dc_set_low_water(dc, 0);
	log_debug(SCOPE, "lane %u attached (%u of %u)", lane, l->attached, l->count);
	return 0;
}

void lanes_detach(struct lanes *l, unsigned lane)
{
	if (lane >= l->count || !l->dc[lane])
		return;
	l->dc[lane] = NULL;
	l->attached--;
	log_debug(SCOPE, "lane %u detached (%u of %u left)", lane, l->attached, l->count);
}

int lanes_should_engage(int srtt_ms)
{
	return srtt_ms >= LANES_MIN_RTT_MS;
}

void lanes_engage(struct lanes *l)
{
	if (!l->engaged)
		log_debug(SCOPE, "engaged: striping over %u lanes", l->attached);
	l->engaged = 1;
}

int lanes_engaged(const struct lanes *l)
{
	return l->engaged;
}

/* How many lanes the sender may use now. */
static unsigned active(const struct lanes *l)
{
	return l->engaged ? l->count : 1;
}

unsigned lanes_in_use(const struct lanes *l)
{
	unsigned a = (unsigned)__builtin_popcountll(l->sent_on);
	unsigned b = (unsigned)__builtin_popcountll(l->came_on);
	unsigned n = a > b ? a : b;
	return n ? n : 1;
}

unsigned lanes_attached(const struct lanes *l)
{
	return l->attached;
}

size_t lanes_max_payload(const struct lanes *l)
{
	size_t max = LANES_SEND_MAX;
	size_t peer = l->dc[0] ? dc_max_message(l->dc[0]) : 0; /* 0: no limit */
	if (peer && peer < max)
		max = peer;
	return max > LANES_HEADER ? max - LANES_HEADER : 0;
}

size_t lanes_buffered(const struct lanes *l)
{
	size_t n = 0;
	for (unsigned i = 0; i < l->count; i++)
		if (l->dc[i])
			n += dc_buffered(l->dc[i]);
	return n;
}

/* ---------------------------------------------------------------- sending */

/* The next open lane, round robin, whose queue above SCTP is empty; else the least queued one;
 * -1 when no lane is open. */
static int pick(struct lanes *l)
{
	int best = -1;
	unsigned n = active(l);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (l->next_lane + k) % n;
		struct dc *dc = l->dc[i];
		if (!dc || dc_get_state(dc) != DC_OPEN)
			continue;
		if (dc_buffered(dc) == 0) {
			l->next_lane = (i + 1) % n;
			return (int)i;
		}
		if (best < 0 || dc_buffered(dc) < dc_buffered(l->dc[best]))
			best = (int)i;
	}
	return best;
}

int lanes_writable(const struct lanes *l)
{
	for (unsigned i = 0; i < active(l); i++)
		if (l->dc[i] && dc_get_state(l->dc[i]) == DC_OPEN && dc_buffered(l->dc[i]) == 0)
			return 1;
	return 0;
}

int lanes_send(struct lanes *l, int binary, const uint8_t *buf, size_t len)
{
	if (len > lanes_max_payload(l))
		return -1;
	/* Control messages must go even when every lane is busy; data waits for room
	 * (lanes_writable). */
	int lane = pick(l);
	if (lane < 0)
		return -1;
	l->frame[0] = binary ? LANES_KIND_BINARY : LANES_KIND_TEXT;
	for (int i = 0; i < 8; i++)
		l->frame[1 + i] = (uint8_t)(l->send_seq >> (56 - 8 * i));
	memcpy(l->frame + LANES_HEADER, buf, len);
	if (dc_send(l->dc[lane], 1, l->frame, LANES_HEADER + len) < 0)
		return -1;
	l->sent_on |= UINT64_C(1) << lane;
	l->send_seq++;
	return 0;
}

void lanes_on_low(struct lanes *l, unsigned lane)
{
	(void)lane;
	if (l->cb.writable)
		l->cb.writable(l->cb.arg);
}

/* ---------------------------------------------------------------- receiving */

static void update_pauses(struct lanes *l)
{
	uint64_t want = reorder_pause_mask(&l->rx);
	uint64_t change = want ^ l->paused;
	if (change)
		log_debug(SCOPE, "reading paused on lanes %#llx (%zu bytes held, waiting for %llu)",
			  (unsigned long long)want, l->rx.bytes, (unsigned long long)l->rx.next);
	l->paused = want;
	for (unsigned i = 0; change && i < l->count; i++) {
		if (change & (UINT64_C(1) << i))
			l->cb.pause(l->cb.arg, i, (want >> i) & 1);
	}
}

static const char *reorder_error(int rc)
{
	switch (rc) {
	case REORDER_E_OLD:
		return "a sequence number came twice";
	case REORDER_E_LANE:
		return "a lane went backwards";
	case REORDER_E_FULL:
		return "the reorder buffer overflowed";
	default:
		return "out of memory";
	}
}

void lanes_input(struct lanes *l, unsigned lane, int binary, const uint8_t *buf, size_t len)
{
	struct reorder_msg m;
	uint64_t seq = 0;
	if (!binary || len <= LANES_HEADER || len > LANES_MAX_FRAME || buf[0] > LANES_KIND_TEXT) {
		l->cb.error(l->cb.arg, "a lane message without its header");
		return;
	}
	for (int i = 0; i < 8; i++)
		seq = seq << 8 | buf[1 + i];
	l->came_on |= UINT64_C(1) << lane;
	int kind = buf[0];
	int rc = reorder_push(&l->rx, lane, seq, buf + LANES_HEADER, len - LANES_HEADER, kind);
	if (rc < 0) {
		l->cb.error(l->cb.arg, reorder_error(rc));
		return;
	}
	if (rc == REORDER_DELIVER)
		l->cb.message(l->cb.arg, kind == LANES_KIND_BINARY, buf + LANES_HEADER,
			      len - LANES_HEADER);
	while (reorder_pop(&l->rx, &m)) {
		l->cb.message(l->cb.arg, m.flags == LANES_KIND_BINARY, m.data, m.len);
		free(m.data);
	}
	update_pauses(l);
}
