/*
 * dtls.h - DTLS 1.2 (RFC 6347) with GnuTLS over any datagram transport below (ICE in rtcpeer,
 * a memory pipe in tests), as WebRTC uses it (RFC 8827 §6.5, RFC 5763): self-signed
 * certificates on both sides, each checked against the fingerprint the other side put in its
 * SDP. The server requires the client's certificate: without that, GnuTLS would never check it.
 *
 * Single-threaded: every call and callback happens on the GLib main context; handshake
 * retransmissions run on a GLib timer.
 */
#ifndef RTCPEER_DTLS_H
#define RTCPEER_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"

enum dtls_state { DTLS_NEW, DTLS_CONNECTING, DTLS_CONNECTED, DTLS_CLOSED, DTLS_FAILED };

/* Datagrams handed to dtls_input() before the session can take them (e.g. the ClientHello
 * racing the answer): bounded, excess is dropped like any lost datagram. */
#define DTLS_INPUT_QUEUE 32
/* RFC 8261 §5 leaves the PMTU to the application; 1200 fits IPv6 minimum MTU with TURN. */
#define DTLS_MTU 1200

struct dtls_callbacks {
	/* A datagram for the transport below. Return 0, or -1 when it is gone for good. */
	int (*send)(void *arg, const uint8_t *buf, size_t len);
	/* One decrypted record for the layer above. */
	void (*recv)(void *arg, const uint8_t *buf, size_t len);
	void (*state)(void *arg, enum dtls_state state);
	/* The peer answered the probe of dtls_probe(): datagrams of that size reach it. May be
	 * NULL. */
	void (*probe_acked)(void *arg, size_t size);
	void *arg;
};

struct dtls;

/* remote_fp: the SHA-256 fingerprint from the remote SDP (the only algorithm we accept). */
struct dtls *dtls_new(const struct cert *cert, int is_client, const uint8_t remote_fp[CERT_FP_LEN],
		      const struct dtls_callbacks *cb);
/* Begin the handshake (a client sends its ClientHello; a server waits for one). */
void dtls_start(struct dtls *d);
/* A datagram from the transport below. */
void dtls_input(struct dtls *d, const uint8_t *buf, size_t len);
/* Application data; returns 0 or -1 (not connected, or too large for one record). */
int dtls_send(struct dtls *d, const uint8_t *buf, size_t len);
/* Path MTU probes (RFC 8899 §4.1 with the DTLS heartbeat of RFC 6520 as the probe packet;
 * RFC 6520 §5.1 names this use). Both ends offer heartbeats in the handshake; browsers do not,
 * so only two rtcpeers probe. dtls_can_probe() is whether the peer agreed to answer.
 * dtls_probe() sends one heartbeat request padded so that its datagram is exactly size bytes;
 * only the last probe is outstanding (a later one replaces it) and nothing is retransmitted:
 * a lost probe is the answer "too big", which is the caller's to decide. Probes that arrive
 * before our handshake is over are dropped. */
int dtls_can_probe(const struct dtls *d);
/* Bytes a record adds to what it carries (header, nonce, tag), once connected. */
size_t dtls_overhead(const struct dtls *d);
int dtls_probe(struct dtls *d, size_t size);
/* Forgets the outstanding probe: an answer to it is not reported. */
void dtls_probe_cancel(struct dtls *d);
/* Sends close_notify (best effort) and moves to DTLS_CLOSED. */
void dtls_close(struct dtls *d);
void dtls_free(struct dtls *d);

enum dtls_state dtls_get_state(const struct dtls *d);
const char *dtls_last_error(const struct dtls *d);
/* Whether the failure was the remote certificate not matching the SDP fingerprint. */
int dtls_auth_failed(const struct dtls *d);

const char *dtls_state_name(enum dtls_state state);

#endif
