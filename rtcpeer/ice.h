/*
 * ice.h - ICE (RFC 8445) with trickle (RFC 8838) over libnice, one stream with one component
 * (BUNDLE + rtcp-mux: WebRTC needs nothing else), on the default GLib main context.
 *
 * Remote candidates that arrive before the remote credentials are queued (bounded); the
 * offerer is controlling (RFC 8445 §6.1.1). Consent (RFC 7675): libnice sends a check every
 * 4-6 s (keepalive-conncheck) and answers the peer's; expiry is consent.h's job.
 */
#ifndef RTCPEER_ICE_H
#define RTCPEER_ICE_H

#include <stddef.h>
#include <stdint.h>

#define ICE_MAX_SERVERS         8
#define ICE_MAX_QUEUED_REMOTE   64   /* candidates held until the remote description */
#define ICE_MAX_LOCAL_ADDRS     8

enum ice_state {
	ICE_NEW, ICE_CHECKING, ICE_CONNECTED, ICE_COMPLETED, ICE_DISCONNECTED, ICE_FAILED,
	ICE_CLOSED
};

enum ice_server_kind { ICE_SERVER_STUN, ICE_SERVER_TURN_UDP, ICE_SERVER_TURN_TCP };

struct ice_server {
	enum ice_server_kind kind;
	char host[256]; /* a name or an address: resolved before gathering */
	uint16_t port;
	char username[256];
	char credential[256];
};

struct ice_config {
	int controlling;
	int force_relay;   /* only relay candidates: for tests and privacy */
	int tcp;           /* also ICE-TCP candidates (RFC 6544) */
	struct ice_server servers[ICE_MAX_SERVERS];
	size_t nservers;
	/* Restrict host candidates to these addresses (tests: "127.0.0.1"); none = all. */
	const char *local_addrs[ICE_MAX_LOCAL_ADDRS];
	size_t nlocal_addrs;
};

struct ice_callbacks {
	/* A local candidate as "candidate:..." (no "a="), or NULL when gathering is done. */
	void (*candidate)(void *arg, const char *candidate);
	void (*state)(void *arg, enum ice_state state);
	void (*recv)(void *arg, const uint8_t *buf, size_t len);
	void *arg;
};

struct ice;

struct ice *ice_new(const struct ice_config *cfg, const struct ice_callbacks *cb, char *err,
		    size_t errlen);
int ice_gather(struct ice *ice);
/* Our ufrag and pwd for the SDP; valid for the life of ice. */
const char *ice_local_ufrag(const struct ice *ice);
const char *ice_local_pwd(const struct ice *ice);
/* The remote ufrag/pwd from its SDP: checks may start, queued candidates are applied. */
int ice_set_remote(struct ice *ice, const char *ufrag, const char *pwd);
/* A remote candidate ("candidate:..." or "a=candidate:..."), or "" for end-of-candidates.
 * Returns 0 when applied or queued, -1 when malformed or unusable (e.g. an mDNS name). */
int ice_add_remote_candidate(struct ice *ice, const char *candidate);
int ice_send(struct ice *ice, const uint8_t *buf, size_t len);
/* "host 127.0.0.1:5000 -> srflx 192.0.2.1:6000" once a pair is selected, else NULL. */
const char *ice_selected_pair(const struct ice *ice);
/* Candidate types of the selected pair ("host", "srflx", "prflx", "relay"; "" before). */
const char *ice_pair_type(const struct ice *ice, int remote);
/* Monotonic time local gathering finished, or 0. */
uint64_t ice_gathered_ns(const struct ice *ice);
/* A TURN server was configured but gathering finished without a relay candidate from it. */
int ice_relay_missing(const struct ice *ice);
/* Whether either end of the selected pair is a TURN relay. */
int ice_relayed(const struct ice *ice);
/* Whether both ends of the selected pair are loopback addresses (the path never leaves this
 * host, so its MTU is the loopback interface's). */
int ice_loopback(const struct ice *ice);
/* Path MTU probing (peer.c): the largest datagram worth probing on the selected pair (for a
 * 1500-byte path, or our interface's MTU if smaller), or 0 when it must not be probed (TCP,
 * relayed, loopback). ice_probe_mode(ice, 1) makes the pair's socket send without
 * fragmenting and regardless of the kernel's cached path MTU (IP_PMTUDISC_PROBE), so a probe
 * that arrives proves the size; 0 restores that socket's setting. ice_pair_serial() changes
 * whenever libnice selects another pair. */
size_t ice_probe_max(const struct ice *ice);
int ice_probe_mode(struct ice *ice, int on);
unsigned ice_pair_serial(const struct ice *ice);
/* Releases TURN allocations; completion runs on the main loop, ice_free() may follow at once. */
void ice_close(struct ice *ice);
void ice_free(struct ice *ice);
const char *ice_state_name(enum ice_state state);

#endif
