/*
 * consent.h - consent to send (RFC 7675) and liveness of the peer, kept by what it sends us.
 *
 * libnice's own consent freshness (0.1.21) gives up 10 s after the last answered check and
 * does not retransmit a check, so at 1 % loss one lost check or answer can end a long transfer.
 * We run libnice without it (its checks still go out every 4-6 s and, unanswered for 50 s, fail
 * the pair) and expire consent here instead: every DTLS record that decrypts proves that the
 * peer, holding the DTLS keys, still sends to us from that address, a stronger proof than a
 * STUN answer keyed with the ICE password that the signaling server also saw. The SCTP
 * heartbeats of both sides (sctp.c) keep records coming when no data flows.
 */
#ifndef RTCPEER_CONSENT_H
#define RTCPEER_CONSENT_H

#include <stdint.h>

/* RFC 7675 §5.1 allows 30 s. An idle peer's SCTP heartbeat, or its answer to ours, arrives
 * every ~3 s (2.5 s plus an RTO), so 15 s means four or more rounds lost in a row: dead, not
 * unlucky, even at a few percent of loss. */
#define CONSENT_TIMEOUT_MS 15000

struct consent {
	unsigned timeout_ms;
	uint64_t last_ns;   /* when the last authenticated record arrived */
	uint64_t tick_ns;   /* when the watch last ran */
	unsigned source;    /* GLib timer, 0 when stopped */
	void (*expired)(void *arg);
	void *arg;
};

/* Starts counting from now; expired runs once, on the main loop, then the watch stops. */
void consent_start(struct consent *c, unsigned timeout_ms, void (*expired)(void *arg), void *arg);
/* An authenticated record from the peer arrived. */
void consent_refresh(struct consent *c);
void consent_stop(struct consent *c);

#endif
