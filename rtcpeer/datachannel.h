/*
 * datachannel.h - WebRTC data channels (RFC 8831) over one SCTP association, opened in-band by
 * DCEP (RFC 8832) or negotiated out of band.
 *
 * Stream ids: the DTLS client opens even ids, the server odd ones (RFC 8832 §6), so both sides
 * can open at once. Backpressure: dc_send() never blocks and never fails for lack of room
 * below DC_MAX_BUFFERED; it queues what SCTP cannot take yet, dc_buffered() says how much,
 * and the buffered_low callback fires when it falls to the low threshold (the browser's
 * bufferedAmount / bufferedamountlow, so the sender knows when to read more input).
 */
#ifndef RTCPEER_DATACHANNEL_H
#define RTCPEER_DATACHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "sctp.h"

/* A sender that queues more than this is broken; browsers close the channel at 16 MiB. */
#define DC_MAX_BUFFERED        (16 * 1024 * 1024)
#define DC_DEFAULT_LOW_WATER   (256 * 1024)
#define DC_LABEL_MAX           1024

enum dc_state { DC_CONNECTING, DC_OPEN, DC_CLOSING, DC_CLOSED };

struct dc;
struct dcmgr;

struct dc_callbacks {
	void (*open)(void *arg, struct dc *dc);
	void (*message)(void *arg, struct dc *dc, int binary, const uint8_t *buf, size_t len);
	void (*buffered_low)(void *arg, struct dc *dc);
	void (*closed)(void *arg, struct dc *dc);
	void *arg;
};

struct dc_opts {
	int unordered;
	enum sctp_pr pr;      /* SCTP_RELIABLE, SCTP_PR_RTX (maxRetransmits), SCTP_PR_TTL (ms) */
	uint32_t pr_value;
	const char *protocol; /* sub-protocol, may be NULL */
	int negotiated;       /* both sides create it with the same id; no DCEP */
	uint16_t id;          /* with negotiated */
};

struct dcmgr_callbacks {
	/* The peer opened a channel; set its callbacks with dc_set_callbacks() in here. */
	void (*channel)(void *arg, struct dc *dc);
	void *arg;
};

/* dtls_client decides stream parity; remote_max_message is the peer's a=max-message-size
 * (0: unlimited). */
struct dcmgr *dcmgr_new(struct sctp *sctp, int dtls_client, size_t remote_max_message,
			const struct dcmgr_callbacks *cb);
void dcmgr_free(struct dcmgr *m);
/* Wire these to the SCTP layer's callbacks. */
void dcmgr_on_message(struct dcmgr *m, uint16_t sid, uint32_t ppid, const uint8_t *buf,
		      size_t len);
void dcmgr_on_writable(struct dcmgr *m);
void dcmgr_on_stream_reset(struct dcmgr *m, uint16_t sid);
/* Bytes queued above SCTP on every channel. */
size_t dcmgr_buffered(const struct dcmgr *m);

struct dc *dc_open(struct dcmgr *m, const char *label, const struct dc_opts *opts,
		   const struct dc_callbacks *cb);
void dc_set_callbacks(struct dc *dc, const struct dc_callbacks *cb);
/* 0, or -1: not open, larger than the peer's max message size, or DC_MAX_BUFFERED reached. */
int dc_send(struct dc *dc, int binary, const uint8_t *buf, size_t len);
size_t dc_buffered(const struct dc *dc);
void dc_set_low_water(struct dc *dc, size_t bytes);
/* Closes by resetting the stream after what is queued has gone (RFC 8831 §6.7). */
void dc_close(struct dc *dc);
const char *dc_label(const struct dc *dc);
const char *dc_protocol(const struct dc *dc);
uint16_t dc_id(const struct dc *dc);
enum dc_state dc_get_state(const struct dc *dc);
/* Whether the channel is reliable and ordered (DCEP channel type 0x00). */
int dc_reliable_ordered(const struct dc *dc);
size_t dc_max_message(const struct dc *dc);

#endif
