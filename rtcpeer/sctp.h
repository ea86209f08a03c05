/*
 * sctp.h - SCTP over DTLS (RFC 8261) with usrsctp in AF_CONN mode, as WebRTC data channels use it
 * (RFC 8831 §6). usrsctp runs without its own threads: a GLib timer drives its clock, so every
 * callback happens on the one main loop and nothing needs a lock.
 *
 * Lanes: further associations over the same DTLS connection. usrsctp in AF_CONN mode tells
 * associations apart by their SCTP ports, so a lane binds and connects port P on both sides
 * with the primary's AF_CONN address: its packets leave through the primary's `send` callback,
 * and sctp_input() on the primary feeds them all. Each association has its own congestion
 * window, which is the point (bench/wan/README.md). The primary must outlive its lanes.
 *
 * Backpressure is usrsctp's send buffer: sctp_send() returns SCTP_WOULD_BLOCK when it is full and
 * the `writable` callback says when to try again. Nothing here queues without bound.
 */
#ifndef RTCPEER_SCTP_H
#define RTCPEER_SCTP_H

#include <stddef.h>
#include <stdint.h>

#define SCTP_DEFAULT_PORT   5000    /* RFC 8841 §5: a=sctp-port default */
/* What we reassemble and advertise in a=max-message-size (Chrome and libdatachannel agree). */
#define SCTP_MAX_MESSAGE    262144
#define SCTP_WOULD_BLOCK    (-2)

enum sctp_state { SCTP_NEW, SCTP_CONNECTING, SCTP_CONNECTED, SCTP_CLOSED, SCTP_FAILED };

/* RFC 8831 §6.1 / RFC 3758 partial reliability of one message. */
enum sctp_pr { SCTP_RELIABLE, SCTP_PR_RTX, SCTP_PR_TTL };

struct sctp_msg_opts {
	int unordered;
	enum sctp_pr pr;
	uint32_t pr_value; /* retransmissions, or lifetime in ms */
};

struct sctp_callbacks {
	int (*send)(void *arg, const uint8_t *buf, size_t len);     /* a packet for DTLS */
	void (*message)(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len);
	void (*state)(void *arg, enum sctp_state state);
	void (*writable)(void *arg);                 /* send buffer has room again */
	void (*stream_reset)(void *arg, uint16_t sid); /* the peer closed its side of a stream */
	void *arg;
};

struct sctp;

#define SCTP_MIN_MTU 576 /* RFC 4960 §6.9: room for a DATA chunk and the headers */

/* mtu: the largest SCTP packet DTLS can carry in one datagram (at least SCTP_MIN_MTU). Fixed
 * for the association's life: usrsctp can lower a live association's, never raise it. */
struct sctp *sctp_new(uint16_t local_port, uint16_t remote_port, size_t mtu,
		      const struct sctp_callbacks *cb);
/* A lane of `primary` on SCTP port `port` (both ends), with `buffer` bytes of send and of
 * receive space. cb->send is not used: packets go through the primary's. Free lanes before
 * the primary. NULL if port is the primary's or memory runs out. */
struct sctp *sctp_new_lane(struct sctp *primary, uint16_t port, size_t buffer,
			   const struct sctp_callbacks *cb);
/* Opens the association (both sides connect: RFC 8841 §9.3 simultaneous open). */
int sctp_start(struct sctp *s);
/* A decrypted DTLS record (primary only: it reaches the lanes too). */
void sctp_input(struct sctp *s, const uint8_t *buf, size_t len);
/* 0, SCTP_WOULD_BLOCK, or -1 (not connected, too large, stream closed). Empty messages are the
 * caller's business (RFC 8831 §6.6 PPIDs 56/57 with one byte). */
int sctp_send(struct sctp *s, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len,
	      const struct sctp_msg_opts *opts);
/* Resets our outgoing side of a stream (closing a data channel, RFC 8831 §6.7). */
int sctp_reset_stream(struct sctp *s, uint16_t sid);
/* Stop taking messages from usrsctp (the application cannot keep up): its receive window
 * fills and the peer's sender stalls. Resuming delivers what waited. */
void sctp_pause_reading(struct sctp *s, int paused);
/* Delivers now what usrsctp holds for us instead of from the main loop's next idle turn. For
 * when the layer below closes: the peer's last message (an abort and its reason) often comes
 * in the same burst as its DTLS close_notify. */
void sctp_deliver_pending(struct sctp *s);
/* 1 when everything we sent has been acknowledged by the peer's SCTP. */
int sctp_drained(struct sctp *s);
/* Streams negotiated with the peer (valid once connected). */
uint16_t sctp_streams(const struct sctp *s);
/* User data in each full DATA chunk: a message is cut into chunks of this size and the rest,
 * which goes in a packet of its own. */
size_t sctp_chunk_payload(const struct sctp *s);
/* The largest packet (mtu of sctp_new). */
size_t sctp_packet_size(const struct sctp *s);
/* Changes SO_SNDBUF at any time (usrsctp then takes no more until it is below it). */
int sctp_set_send_buffer(struct sctp *s, size_t bytes);
/* The smoothed RTT of the primary path in ms (-1: not known). */
int sctp_srtt_ms(const struct sctp *s);
void sctp_close(struct sctp *s);
void sctp_free(struct sctp *s);
const char *sctp_state_name(enum sctp_state state);

#endif
