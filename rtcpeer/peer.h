/*
 * peer.h - one WebRTC peer connection for data: builds the stack ICE -> DTLS -> SCTP -> data
 * channels, runs JSEP offer/answer (RFC 9429) with trickle ICE, and owns the teardown order.
 *
 * Roles fall out of offer/answer (WEBRTC-NOTES §1.3): the offerer is ICE-controlling and sends
 * a=setup:actpass; the answerer chooses active, so it is the DTLS client. Layers come up in
 * order: ICE connected -> DTLS handshake (fingerprints checked both ways) -> SCTP association ->
 * PEER_CONNECTED, when channels can be opened.
 *
 * Callbacks run on the GLib main loop. Do not free the peer from inside one of its callbacks;
 * quit the loop or schedule the free instead.
 */
#ifndef RTCPEER_PEER_H
#define RTCPEER_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "datachannel.h"
#include "ice.h"
#include "sdp.h"

#define PEER_DEFAULT_TIMEOUT_MS 30000 /* from the first description to PEER_CONNECTED */
#define PEER_EARLY_DATAGRAMS    16    /* DTLS datagrams held before the DTLS layer exists */
/* The SCTP packet size unless a probe found more (pmtu.h): 1280 (IPv6 minimum) - 40 IPv6
 * - 8 UDP - 4 TURN ChannelData - 13 DTLS header - 8 explicit nonce - 16 GCM tag - 7 spare
 * = 1184, as rtcpeer has always sent (the 1172 it used to ask usrsctp for came out as 1184). */
#define PEER_SCTP_MTU           1184
/* When the selected pair is on the loopback interface, no smaller MTU can be on the path: one
 * SCTP packet per DTLS record of at most 16 KiB (RFC 6347 §4.1.1), less some room. */
#define PEER_SCTP_MTU_LOOPBACK  16000
/* Lanes (TRANSFER.md §12): extra SCTP associations on ports 5001.. over the same DTLS. One that
 * never comes up (the peer does not do lanes after all: a server added the attribute) is never
 * used, and fails by itself when SCTP gives up its INIT. It is never closed from one side only:
 * the other side may have it up already, and would send into it. */
/* Send and receive space of each association when there are lanes, chosen on the emulated WAN
 * (bench/wan/README.md). Three 16 KiB messages (LANES_SEND_MAX): at 1 % loss a lane's window
 * stays below it, and the less a lane holds, the less waits behind one that is recovering a
 * loss; at 0 % loss 32 lanes together put no more in flight than a bottleneck's queue
 * absorbs (32 and 64 KiB measured worse at 1 % and at 0 % respectively). */
#define PEER_LANE_BUFFER        (48 * 1024)

enum peer_state { PEER_NEW, PEER_CONNECTING, PEER_CONNECTED, PEER_CLOSED, PEER_FAILED };

enum peer_failure {
	PEER_FAIL_NONE,
	PEER_FAIL_ICE,      /* no candidate pair worked */
	PEER_FAIL_AUTH,     /* the peer's DTLS certificate does not match its SDP fingerprint */
	PEER_FAIL_DTLS,     /* handshake failed otherwise, or the peer closed DTLS */
	PEER_FAIL_SCTP,     /* association failed or was lost */
	PEER_FAIL_TIMEOUT,  /* not connected within the timeout */
	PEER_FAIL_PROTOCOL, /* bad description or candidate from the peer */
};

struct peer_config {
	struct ice_config ice; /* controlling is set by the peer from its role */
	unsigned timeout_ms;   /* 0: PEER_DEFAULT_TIMEOUT_MS */
	size_t sctp_mtu;       /* 0: PEER_SCTP_MTU, or PEER_SCTP_MTU_LOOPBACK on loopback */
	unsigned lanes;        /* associations we offer to stripe over; 0, 1: none */
	int lanes_on_loopback; /* use lanes on a loopback pair too (tests); else one there */
	size_t lane_buffer;    /* 0: PEER_LANE_BUFFER */
};

struct peer_callbacks {
	/* Our offer or answer, to send to the other peer. */
	void (*description)(void *arg, enum sdp_type type, const char *sdp);
	/* A local candidate with its mid, or candidate "" at the end of gathering. */
	void (*candidate)(void *arg, const char *candidate, const char *mid);
	void (*state)(void *arg, enum peer_state state);
	/* The other peer opened a data channel; set its callbacks in here. */
	void (*channel)(void *arg, struct dc *dc);
	void *arg;
	/* Lane `lane` (1..) came up (up = 1: open its channel with peer_lane_channel() in here,
	 * before its first message) or, once up, went down (up = 0). May be NULL. Last, so the
	 * initialisers of callers without lanes stay valid. */
	void (*lane)(void *arg, unsigned lane, int up);
};

struct peer;

struct peer *peer_new(const struct peer_config *cfg, const struct peer_callbacks *cb, char *err,
		      size_t errlen);
/* Become the offerer: gather, and hand our offer to the description callback. */
int peer_create_offer(struct peer *p, char *err, size_t errlen);
/* The other peer's offer (we answer through the description callback) or answer. */
int peer_set_remote_description(struct peer *p, enum sdp_type type, const char *sdp, char *err,
				size_t errlen);
/* A trickled remote candidate; "" is end-of-candidates. Malformed ones are ignored (-1). */
int peer_add_remote_candidate(struct peer *p, const char *candidate);
/* Once PEER_CONNECTED. */
struct dc *peer_create_channel(struct peer *p, const char *label, const struct dc_opts *opts,
			       const struct dc_callbacks *cb);
/* Backpressure to the remote sender: stop/resume taking its messages. */
void peer_pause_reading(struct peer *p, int paused);
/* Associations to stripe over (1: no lanes): both sides' a=x-rtcpeer-lanes, 1 on loopback
 * unless lanes_on_loopback; valid once PEER_CONNECTED. */
unsigned peer_lanes(const struct peer *p);
/* The one reliable ordered channel of lane `lane` (1..), from the lane callback. */
struct dc *peer_lane_channel(struct peer *p, unsigned lane, const struct dc_callbacks *cb);
/* Lanes are about to carry data: the primary gives up the larger buffer it had alone. */
void peer_engage_lanes(struct peer *p);
/* The path's round trip in ms, -1 before there is a sample: the primary association's
 * smoothed RTT, or the MTU probe's round trip when that is shorter (pmtu_rtt_ms). */
int peer_srtt_ms(const struct peer *p);
/* Stop/resume taking messages on one association (0: the primary). */
void peer_pause_lane(struct peer *p, unsigned lane, int paused);
/* 1 when the peer has acknowledged everything we sent (safe to close without losing data). */
int peer_drained(struct peer *p);
void peer_close(struct peer *p);
void peer_free(struct peer *p);

/* Monotonic times (util_now_ns) each layer came up, 0 if it has not. */
struct peer_timing {
	uint64_t created, gathered, ice, dtls, probed, sctp; /* probed: 0 when no MTU probe ran */
};
void peer_get_timing(const struct peer *p, struct peer_timing *t);
/* The selected pair's candidate types, e.g. "srflx" (remote = 0: ours). */
const char *peer_pair_type(const struct peer *p, int remote);

enum peer_state peer_get_state(const struct peer *p);
enum peer_failure peer_get_failure(const struct peer *p);
const char *peer_error(const struct peer *p);
const char *peer_selected_pair(const struct peer *p);
int peer_relayed(const struct peer *p);
/* User data per full SCTP DATA chunk (sctp_chunk_payload), or 0 before SCTP starts. */
size_t peer_chunk_payload(const struct peer *p);
/* The largest SCTP packet (pmtu.h), or 0 before SCTP starts. */
size_t peer_sctp_packet(const struct peer *p);
/* Both DTLS fingerprints (SHA-256), for binding an end-to-end secret to this connection. */
const uint8_t *peer_local_fingerprint(const struct peer *p);
const uint8_t *peer_remote_fingerprint(const struct peer *p);
int peer_is_dtls_client(const struct peer *p);
const char *peer_state_name(enum peer_state state);

#endif
