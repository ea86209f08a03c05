/*
 * lanes.h - one reliable, ordered message channel striped over several data channels, each on
 * its own SCTP association ("lanes", proto/TRANSFER.md §12). Each association has its own
 * congestion window, so a loss slows one lane, not the transfer (bench/wan/README.md).
 *
 * Sending: every message gets the next sequence number and goes to a lane whose channel queue
 * is empty, round robin, so a lane that is slow (recovering a loss) takes less. Receiving: the
 * reorder buffer (reorder.c) restores the order in bounded memory and asks, through `pause`,
 * to stop reading the lanes that are ahead; their SCTP windows then close and the peer's lanes
 * stall, which bounds what is in flight.
 *
 * Lanes are attached as their channels open: lane 0 (the session's channel) at once, the
 * others when their association comes up, possibly later. A lane that never comes up is
 * simply never used, on either side: the receiver takes messages from whichever lane brings
 * them.
 *
 * The sender uses lane 0 alone unless lanes_engage(): several associations pay off only on a
 * long path, where one association recovers from a loss slowly (lanes_should_engage()). On a
 * LAN one recovers within milliseconds, and more of them only overflow socket buffers
 * (bench/wan/README.md).
 */
#ifndef RTCPEER_LANES_H
#define RTCPEER_LANES_H

#include <stddef.h>
#include <stdint.h>

#include "datachannel.h"

#define LANES_HEADER      9                  /* kind (1 byte) + sequence number (8) */
/* A framed message fits one 64 KiB read from usrsctp (sctp.c SCTP_RECV_CHUNK): no
 * reassembly copy on the receiver. */
#define LANES_MAX_FRAME   65536
/* What rtcpeer itself sends is smaller: file data in 16 KiB messages. With many lanes, less
 * waits behind a lane that is recovering a loss, and each lane's buffers can be small, which
 * keeps all of them together from overflowing a bottleneck queue on a clean path
 * (bench/wan/README.md: 64 KiB messages were 1-2 % slower at 0 % loss, 5-10 % at 1 %). */
#define LANES_SEND_MAX    (16384 + LANES_HEADER)
#define LANES_KIND_BINARY 0
#define LANES_KIND_TEXT   1
/* Held out of order before lanes that are ahead are paused: about what arrives at 100 Mbit/s
 * while one lane waits out a retransmission timeout (TRANSFER.md §12.3). */
#define LANES_REORDER_BYTES (4 * 1024 * 1024)
#define LANES_REORDER_MSGS  1024

/* Stripe when the path's smoothed RTT, as the handshakes measured it, is at least this. */
#define LANES_MIN_RTT_MS    20

struct lanes;

struct lanes_callbacks {
	void (*message)(void *arg, int binary, const uint8_t *buf, size_t len); /* in order */
	void (*writable)(void *arg);                     /* a lane has room again */
	void (*pause)(void *arg, unsigned lane, int paused); /* reading on that lane's SCTP */
	void (*error)(void *arg, const char *why);       /* the peer broke the framing */
	void *arg;
};

/* count: lanes negotiated (2..REORDER_MAX_LANES). NULL on bad count or no memory. */
struct lanes *lanes_new(unsigned count, const struct lanes_callbacks *cb);
void lanes_free(struct lanes *l);
/* The channel of lane i is open: use it. 0, or -1 (bad index, attached already). */
int lanes_attach(struct lanes *l, unsigned lane, struct dc *dc);
/* The lane's channel is gone (the peer reset its stream): nothing is sent on it again. */
void lanes_detach(struct lanes *l, unsigned lane);
/* A message that arrived on lane i's channel. */
void lanes_input(struct lanes *l, unsigned lane, int binary, const uint8_t *buf, size_t len);
/* Lane i's channel queue has drained (its buffered_low callback). */
void lanes_on_low(struct lanes *l, unsigned lane);
/* Queues one message on some lane. 0, or -1 (too large, or no lane can take it). */
int lanes_send(struct lanes *l, int binary, const uint8_t *buf, size_t len);
/* 1 if some lane can take a message now without queuing above SCTP. */
int lanes_writable(const struct lanes *l);
/* Whether a path with this smoothed RTT (ms; -1 or 0: not measured) is one that lanes speed
 * up. Pure. */
int lanes_should_engage(int srtt_ms);
/* From now on stripe over every attached lane (and those attached later); before, lane 0 only. */
void lanes_engage(struct lanes *l);
int lanes_engaged(const struct lanes *l);
/* Lanes this transfer used: that we sent on, or that the peer's messages came on. */
unsigned lanes_in_use(const struct lanes *l);
/* Lanes attached so far (lane 0 included). */
unsigned lanes_attached(const struct lanes *l);
/* The largest payload lanes_send() takes. */
size_t lanes_max_payload(const struct lanes *l);
/* Bytes queued above SCTP on every lane. */
size_t lanes_buffered(const struct lanes *l);

#endif
