/*
 * pmtu.h - how large an SCTP packet the path carries (RFC 8261 §5 asks for PLPMTUD, RFC 8899).
 *
 * usrsctp fixes an association's packet size when the association begins and has no path MTU
 * discovery of its own, so the probing happens once, between DTLS and SCTP: one DTLS
 * heartbeat request (dtls_probe) padded to the largest datagram the selected pair may carry
 * (ice_probe_max: for 1500 bytes, or our interface's MTU if smaller), sent without
 * fragmentation (ice_probe_mode), and sent again halfway through the wait if no answer came,
 * so that one random loss does not cost the session its larger packets (RFC 8899 §5.1.2 tries
 * a size more than once). An answer within the wait proves the size; silence (a smaller
 * path) leaves the default. Meanwhile the peer's first SCTP packets, which may already be
 * coming, are held and replayed.
 *
 * Only two rtcpeers probe: browsers do not negotiate heartbeats. The answered probe's round
 * trip is also a clean RTT sample for the lanes decision (pmtu_rtt_ms). A path that shrinks
 * later is left to the kernel: after probing the socket is back to its normal setting, which
 * fragments rather than drops once an ICMP "too big" has lowered the route's MTU.
 */
#ifndef RTCPEER_PMTU_H
#define RTCPEER_PMTU_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct dtls;
struct ice;

/* SCTP packets of the peer held while the probe is out: the INITs of up to 64 lanes and the
 * first data behind them, at most PMTU_HELD_BYTES in all. */
#define PMTU_HELD           128
#define PMTU_HELD_BYTES     (256 * 1024)
#define PMTU_MIN_WAIT_MS    100
#define PMTU_MAX_WAIT_MS    1000
#define PMTU_TRIES          2     /* evenly spread over the wait */

/* datagram: the probed size the path carries, or 0 when the probe got no answer. */
typedef void (*pmtu_done_fn)(void *arg, size_t datagram);
typedef void (*pmtu_replay_fn)(void *arg, const uint8_t *buf, size_t len);

struct pmtu {
	struct ice *ice;
	struct dtls *dtls;
	pmtu_done_fn done;
	void *arg;
	size_t probing; /* the probe's datagram size while it is out, else 0 */
	unsigned pair_serial; /* ice_pair_serial() when the probe left */
	unsigned tries;
	gint64 sent_us;  /* when the last probe left */
	int rtt_ms;      /* probe to answer, once answered; else -1 */
	guint timer;
	struct pmtu_held {
		uint8_t *buf;
		size_t len;
	} held[PMTU_HELD];
	size_t nheld, held_bytes;
};

/* Sends the probe and waits up to wait_ms (clamped to PMTU_MIN/MAX_WAIT_MS) for the answer;
 * done runs once, later. Returns -1 when there is nothing to probe: the peer does not answer
 * heartbeats, the pair must not be probed, the largest datagram to try is not above `above`
 * (the size that would change nothing), or the socket cannot be set. Then done never runs. */
int pmtu_start(struct pmtu *m, struct ice *ice, struct dtls *dtls, size_t above,
	       unsigned wait_ms, pmtu_done_fn done, void *arg);
/* dtls' probe_acked callback. */
void pmtu_acked(struct pmtu *m, size_t datagram);
/* Whether the probe is still out (SCTP packets should be held). */
int pmtu_probing(const struct pmtu *m);
/* The round trip of the answered probe in ms, or -1. A clean sample of the path: SCTP's own
 * first one may include time the peer held our INIT while it probed. */
int pmtu_rtt_ms(const struct pmtu *m);
/* Keeps a copy of a decrypted record for pmtu_replay (the excess is dropped, as the network
 * might: SCTP retransmits). */
void pmtu_hold(struct pmtu *m, const uint8_t *buf, size_t len);
void pmtu_replay(struct pmtu *m, pmtu_replay_fn fn, void *arg);
/* Cancels a probe that is out (done does not run) and frees what is held. */
void pmtu_stop(struct pmtu *m);

#endif
