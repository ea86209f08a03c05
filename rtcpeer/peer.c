#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "consent.h"
#include "dtls.h"
#include "log.h"
#include "pmtu.h"
#include "sctp.h"
#include "util.h"

#define SCOPE "peer"

struct early {
	size_t len;
	uint8_t *buf;
};

/* One extra association (TRANSFER.md §12) and its data channels. */
struct lane {
	struct peer *p;
	unsigned index;
	struct sctp *sctp;
	struct dcmgr *dcmgr;
	int up;
};

struct peer {
	struct peer_config cfg;
	struct peer_callbacks cb;
	enum peer_state state;
	enum peer_failure failure;
	char error[200];
	int offerer;
	int dtls_client;
	struct cert cert;
	struct ice *ice;
	struct dtls *dtls;
	struct sctp *sctp;
	struct dcmgr *dcmgr;
	struct lane *lanes;  /* lanes[1..nlanes-1]; lanes[0] unused (the primary) */
	unsigned nlanes;     /* 1: none */
	unsigned remote_lanes;
	int closing;
	struct sdp_desc *local, *remote; /* large: on the heap */
	uint8_t remote_fp[CERT_FP_LEN];
	uint16_t remote_sctp_port;
	uint64_t remote_max_message;
	char mid[SDP_MID_MAX + 1];
	int ice_up;
	struct early early[PEER_EARLY_DATAGRAMS];
	size_t nearly;
	guint timeout;
	struct consent consent;
	struct pmtu pmtu;
	size_t path_mtu;     /* the SCTP packet size the probe found, or 0 */
	struct peer_timing timing;
};

const char *peer_state_name(enum peer_state state)
{
	static const char *const names[] = {"new", "connecting", "connected", "closed", "failed"};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static void set_state(struct peer *p, enum peer_state state)
{
	if (p->state == state || p->state == PEER_FAILED || p->state == PEER_CLOSED)
		return;
	p->state = state;
	if (state == PEER_FAILED || state == PEER_CLOSED)
		consent_stop(&p->consent);
	if (state == PEER_CONNECTED || state == PEER_FAILED || state == PEER_CLOSED) {
		if (p->timeout)
			g_source_remove(p->timeout);
		p->timeout = 0;
	}
	if (state == PEER_FAILED)
		log_debug(SCOPE, "failed: %s", p->error);
	else
		log_debug(SCOPE, "state %s", peer_state_name(state));
	if (p->cb.state)
		p->cb.state(p->cb.arg, state);
}

static void fail(struct peer *p, enum peer_failure why, const char *msg)
{
	if (p->state == PEER_FAILED || p->state == PEER_CLOSED)
		return;
	p->failure = why;
	snprintf(p->error, sizeof(p->error), "%s", msg);
	set_state(p, PEER_FAILED);
}

static gboolean on_timeout(gpointer arg)
{
	struct peer *p = arg;
	p->timeout = 0;
	fail(p, PEER_FAIL_TIMEOUT, "not connected in time");
	return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- lanes */

static void lane_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct lane *ln = arg;
	if (ln->dcmgr)
		dcmgr_on_message(ln->dcmgr, sid, ppid, buf, len);
}

static void lane_writable(void *arg)
{
	struct lane *ln = arg;
	if (ln->dcmgr)
		dcmgr_on_writable(ln->dcmgr);
}

static void lane_reset(void *arg, uint16_t sid)
{
	struct lane *ln = arg;
	if (ln->dcmgr)
		dcmgr_on_stream_reset(ln->dcmgr, sid);
}

/* A lane has no DCEP: its one channel is negotiated (id 0), opened by the lane callback. */
static void lane_state(void *arg, enum sctp_state st)
{
	struct lane *ln = arg;
	struct peer *p = ln->p;
	if (st == SCTP_CONNECTED && !ln->up) {
		struct dcmgr_callbacks cb = {NULL, p};
		ln->dcmgr = dcmgr_new(ln->sctp, p->dtls_client, p->remote_max_message, &cb);
		if (!ln->dcmgr)
			return; /* never up: never used */
		ln->up = 1;
		log_debug(SCOPE, "lane %u up", ln->index);
		if (p->cb.lane)
			p->cb.lane(p->cb.arg, ln->index, 1);
	} else if ((st == SCTP_FAILED || st == SCTP_CLOSED) && ln->up == 1) {
		ln->up = -1;
		log_debug(SCOPE, "lane %u %s", ln->index, sctp_state_name(st));
		if (p->cb.lane && !p->closing)
			p->cb.lane(p->cb.arg, ln->index, 0);
	}
}

/* How many associations: both sides must say so, on the default port (lanes use the next
 * ones), and not on loopback, where one association is faster (README.md, Performance). */
static unsigned lanes_wanted(struct peer *p)
{
	unsigned n = p->cfg.lanes < p->remote_lanes ? p->cfg.lanes : p->remote_lanes;
	if (n < 2 || p->remote_sctp_port != SCTP_DEFAULT_PORT)
		return 1;
	if (ice_loopback(p->ice) && !p->cfg.lanes_on_loopback)
		return 1;
	return n;
}

/* Lanes start with the primary, so each side's INIT finds the other's socket already bound
 * and connecting (simultaneous open) rather than answered by an ABORT. */
static void start_lanes(struct peer *p)
{
	unsigned n = lanes_wanted(p);
	size_t buffer = p->cfg.lane_buffer ? p->cfg.lane_buffer : PEER_LANE_BUFFER;
	/* The primary keeps its full buffers: it carries everything until lanes are engaged
	 * (peer_engage_lanes()), which may be never. */
	if (n < 2)
		return;
	p->lanes = calloc(n, sizeof(*p->lanes));
	if (!p->lanes)
		return;
	p->nlanes = n;
	for (unsigned i = 1; i < n; i++) {
		struct lane *ln = &p->lanes[i];
		struct sctp_callbacks cb = {NULL, lane_message, lane_state, lane_writable,
					    lane_reset, ln};
		ln->p = p;
		ln->index = i;
		ln->sctp = sctp_new_lane(p->sctp, (uint16_t)(SCTP_DEFAULT_PORT + i), buffer, &cb);
		if (ln->sctp && sctp_start(ln->sctp) < 0) {
			sctp_free(ln->sctp);
			ln->sctp = NULL;
		}
	}
	log_debug(SCOPE, "%u lanes of %zu bytes", n, buffer);
}

static void free_lanes(struct peer *p)
{
	for (unsigned i = 1; i < p->nlanes; i++) {
		dcmgr_free(p->lanes[i].dcmgr);
		sctp_free(p->lanes[i].sctp);
	}
	free(p->lanes);
	p->lanes = NULL;
	p->nlanes = 1;
}

unsigned peer_lanes(const struct peer *p)
{
	return p->nlanes;
}

struct dc *peer_lane_channel(struct peer *p, unsigned lane, const struct dc_callbacks *cb)
{
	static const struct dc_opts opts = {.negotiated = 1, .id = 0};
	if (lane == 0 || lane >= p->nlanes || !p->lanes[lane].dcmgr)
		return NULL;
	return dc_open(p->lanes[lane].dcmgr, "", &opts, cb);
}

void peer_engage_lanes(struct peer *p)
{
	/* Now one lane among many: what it holds beyond a lane's share would only wait behind
	 * its window while the others deliver the later messages. */
	if (p->sctp && p->nlanes > 1)
		sctp_set_send_buffer(p->sctp, p->cfg.lane_buffer ? p->cfg.lane_buffer
								  : PEER_LANE_BUFFER);
}

/* An upper bound of the round trip from the DTLS handshake, which took two of them for the
 * client and one or more for the server (plus the crypto); -1 before it is done. */
static int handshake_rtt_ms(const struct peer *p)
{
	if (!p->timing.ice || p->timing.dtls <= p->timing.ice)
		return -1;
	uint64_t ms = (p->timing.dtls - p->timing.ice) / 1000000;
	return (int)(p->dtls_client ? ms / 2 : ms);
}

/* SCTP's first sample can include the time the peer held our INIT while it probed (pmtu.h),
 * so the shortest of the three estimates is taken. */
int peer_srtt_ms(const struct peer *p)
{
	int samples[] = {p->sctp ? sctp_srtt_ms(p->sctp) : -1, pmtu_rtt_ms(&p->pmtu),
			 handshake_rtt_ms(p)};
	int rtt = -1;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (samples[i] >= 0 && (rtt < 0 || samples[i] < rtt))
			rtt = samples[i];
	return rtt;
}

void peer_pause_lane(struct peer *p, unsigned lane, int paused)
{
	if (lane == 0)
		peer_pause_reading(p, paused);
	else if (lane < p->nlanes && p->lanes[lane].sctp)
		sctp_pause_reading(p->lanes[lane].sctp, paused);
}

/* ---------------------------------------------------------------- SCTP and data channels */

static int sctp_out(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	return dtls_send(p->dtls, buf, len);
}

static void sctp_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	if (p->dcmgr)
		dcmgr_on_message(p->dcmgr, sid, ppid, buf, len);
}

static void sctp_writable(void *arg)
{
	struct peer *p = arg;
	if (p->dcmgr)
		dcmgr_on_writable(p->dcmgr);
}

static void sctp_reset(void *arg, uint16_t sid)
{
	struct peer *p = arg;
	if (p->dcmgr)
		dcmgr_on_stream_reset(p->dcmgr, sid);
}

static void on_channel(void *arg, struct dc *dc)
{
	struct peer *p = arg;
	if (p->cb.channel)
		p->cb.channel(p->cb.arg, dc);
}

static void sctp_state(void *arg, enum sctp_state st)
{
	struct peer *p = arg;
	if (st == SCTP_CONNECTED) {
		struct dcmgr_callbacks cb = {on_channel, p};
		p->timing.sctp = util_now_ns();
		p->dcmgr = dcmgr_new(p->sctp, p->dtls_client, p->remote_max_message, &cb);
		if (!p->dcmgr) {
			fail(p, PEER_FAIL_SCTP, "out of memory");
			return;
		}
		set_state(p, PEER_CONNECTED);
	} else if (st == SCTP_FAILED) {
		fail(p, PEER_FAIL_SCTP, "SCTP association failed");
	} else if (st == SCTP_CLOSED && p->state == PEER_CONNECTED) {
		set_state(p, PEER_CLOSED);
	}
}

static void start_sctp(struct peer *p)
{
	struct sctp_callbacks cb = {sctp_out, sctp_message, sctp_state, sctp_writable, sctp_reset,
				    p};
	size_t mtu = p->cfg.sctp_mtu           ? p->cfg.sctp_mtu
		     : ice_loopback(p->ice) ? PEER_SCTP_MTU_LOOPBACK
		     : p->path_mtu          ? p->path_mtu
					    : PEER_SCTP_MTU;
	log_debug(SCOPE, "SCTP packets of up to %zu bytes", mtu);
	p->sctp = sctp_new(SCTP_DEFAULT_PORT, p->remote_sctp_port, mtu, &cb);
	if (p->sctp)
		start_lanes(p);
	if (!p->sctp || sctp_start(p->sctp) < 0)
		fail(p, PEER_FAIL_SCTP, "cannot start SCTP");
}

/* ---------------------------------------------------------------- DTLS */

static int dtls_out(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	return ice_send(p->ice, buf, len);
}

static void dtls_record(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	consent_refresh(&p->consent);
	if (p->sctp)
		sctp_input(p->sctp, buf, len);
	else if (pmtu_probing(&p->pmtu))
		pmtu_hold(&p->pmtu, buf, len); /* the peer's SCTP may start before ours */
}

static void replay_record(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	if (p->sctp)
		sctp_input(p->sctp, buf, len);
}

static void probe_done(void *arg, size_t datagram)
{
	struct peer *p = arg;
	if (p->state == PEER_FAILED || p->state == PEER_CLOSED || p->closing)
		return;
	p->timing.probed = util_now_ns();
	if (datagram) /* larger than the default: start_probe_or_sctp probed nothing smaller */
		p->path_mtu = datagram - dtls_overhead(p->dtls);
	start_sctp(p);
	pmtu_replay(&p->pmtu, replay_record, p);
}

static void probe_acked(void *arg, size_t datagram)
{
	pmtu_acked(&((struct peer *)arg)->pmtu, datagram);
}

/* Probe before SCTP starts (pmtu.h), unless --mtu said the size, and only for a datagram that
 * would beat the default. The wait, for two tries, is about four round trips. */
static void start_probe_or_sctp(struct peer *p)
{
	int rtt = handshake_rtt_ms(p);
	unsigned wait_ms = rtt > 0 ? 4 * (unsigned)rtt : 0;
	size_t useless = dtls_overhead(p->dtls) + PEER_SCTP_MTU; /* probe_done keeps the default */
	if (p->cfg.sctp_mtu ||
	    pmtu_start(&p->pmtu, p->ice, p->dtls, useless, wait_ms, probe_done, p) < 0)
		start_sctp(p);
}

static void consent_expired(void *arg)
{
	char msg[100];
	snprintf(msg, sizeof(msg), "the peer went silent: nothing from it for %u s (consent expired)",
		 CONSENT_TIMEOUT_MS / 1000);
	fail(arg, PEER_FAIL_ICE, msg);
}

/* What SCTP has already taken from the peer goes up before its close does: the app hears the
 * peer's last word (an abort with its reason) rather than a bare "closed". */
static void deliver_pending(struct peer *p)
{
	for (unsigned i = 1; i < p->nlanes; i++)
		if (p->lanes[i].sctp)
			sctp_deliver_pending(p->lanes[i].sctp);
	if (p->sctp)
		sctp_deliver_pending(p->sctp);
}

static void dtls_state_cb(void *arg, enum dtls_state st)
{
	struct peer *p = arg;
	char msg[200];
	if (st == DTLS_CONNECTED) {
		p->timing.dtls = util_now_ns();
		consent_start(&p->consent, CONSENT_TIMEOUT_MS, consent_expired, p);
		start_probe_or_sctp(p);
	} else if (st == DTLS_FAILED) {
		snprintf(msg, sizeof(msg), "DTLS: %s", dtls_last_error(p->dtls));
		fail(p, dtls_auth_failed(p->dtls) ? PEER_FAIL_AUTH : PEER_FAIL_DTLS, msg);
	} else if (st == DTLS_CLOSED) {
		deliver_pending(p);
		if (p->state == PEER_CONNECTED)
			set_state(p, PEER_CLOSED);
		else
			fail(p, PEER_FAIL_DTLS, "the peer closed DTLS");
	}
}

static void flush_early(struct peer *p)
{
	for (size_t i = 0; i < p->nearly; i++) {
		if (p->dtls)
			dtls_input(p->dtls, p->early[i].buf, p->early[i].len);
		free(p->early[i].buf);
	}
	p->nearly = 0;
}

static int create_dtls(struct peer *p)
{
	struct dtls_callbacks cb = {dtls_out, dtls_record, dtls_state_cb, probe_acked, p};
	p->dtls = dtls_new(&p->cert, p->dtls_client, p->remote_fp, &cb);
	if (!p->dtls)
		return -1;
	if (p->ice_up)
		dtls_start(p->dtls);
	flush_early(p);
	return 0;
}

/* ---------------------------------------------------------------- ICE */

static void ice_candidate(void *arg, const char *cand)
{
	struct peer *p = arg;
	if (p->cb.candidate)
		p->cb.candidate(p->cb.arg, cand ? cand : "", p->mid);
}

static void ice_state_cb(void *arg, enum ice_state st)
{
	struct peer *p = arg;
	if ((st == ICE_CONNECTED || st == ICE_COMPLETED) && !p->ice_up) {
		p->ice_up = 1;
		p->timing.ice = util_now_ns();
		log_debug(SCOPE, "ICE up: %s", ice_selected_pair(p->ice) ? ice_selected_pair(p->ice)
									  : "?");
		if (p->dtls)
			dtls_start(p->dtls); /* RFC 8842: DTLS runs once a pair works */
	} else if (st == ICE_FAILED) {
		fail(p, PEER_FAIL_ICE,
		     ice_relay_missing(p->ice)
			     ? "ICE failed: no candidate pair works, and the TURN server gave no relay "
			       "address (wrong credentials, or unreachable)"
			     : "ICE failed: no candidate pair works");
	}
}

static void ice_recv(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *p = arg;
	if (p->dtls) {
		dtls_input(p->dtls, buf, len);
		return;
	}
	/* The answerer's ClientHello can beat its answer here: hold a few datagrams. */
	if (p->nearly == PEER_EARLY_DATAGRAMS)
		return;
	p->early[p->nearly].buf = malloc(len);
	if (!p->early[p->nearly].buf)
		return;
	memcpy(p->early[p->nearly].buf, buf, len);
	p->early[p->nearly].len = len;
	p->nearly++;
}

static int create_ice(struct peer *p, int controlling, char *err, size_t errlen)
{
	struct ice_callbacks cb = {ice_candidate, ice_state_cb, ice_recv, p};
	p->cfg.ice.controlling = controlling;
	p->ice = ice_new(&p->cfg.ice, &cb, err, errlen);
	return p->ice ? 0 : -1;
}

/* ---------------------------------------------------------------- descriptions */

static void fill_local(struct peer *p, struct sdp_local *l)
{
	uint64_t sid;
	sdp_local_init(l);
	util_random(&sid, sizeof(sid));
	l->session_id = sid >> 1; /* RFC 9429 §5.2.1: below 2^63 */
	l->ufrag = ice_local_ufrag(p->ice);
	l->pwd = ice_local_pwd(p->ice);
	snprintf(l->fingerprint.alg, sizeof(l->fingerprint.alg), "sha-256");
	l->fingerprint.len = CERT_FP_LEN;
	memcpy(l->fingerprint.bytes, p->cert.fingerprint, CERT_FP_LEN);
	l->answer_setup = SDP_SETUP_ACTIVE; /* RFC 5763 §5; also keeps browsers' DTLS 1.3 away */
	l->mid = "0";
	l->lanes = p->cfg.lanes > SDP_MAX_LANES ? SDP_MAX_LANES : p->cfg.lanes;
}

static int emit_local(struct peer *p, char *err, size_t errlen)
{
	char *text = sdp_write(p->local);
	if (!text) {
		snprintf(err, errlen, "cannot write our description");
		return -1;
	}
	if (p->cb.description)
		p->cb.description(p->cb.arg, p->local->type, text);
	free(text);
	return 0;
}

static void arm_timeout(struct peer *p)
{
	if (!p->timeout)
		p->timeout = g_timeout_add(p->cfg.timeout_ms ? p->cfg.timeout_ms
							     : PEER_DEFAULT_TIMEOUT_MS,
					   on_timeout, p);
	set_state(p, PEER_CONNECTING);
}

int peer_create_offer(struct peer *p, char *err, size_t errlen)
{
	struct sdp_local l;
	if (p->ice || p->state != PEER_NEW) {
		snprintf(err, errlen, "an offer or answer was already made");
		return -1;
	}
	p->offerer = 1;
	if (create_ice(p, 1, err, errlen) < 0)
		return -1;
	fill_local(p, &l);
	snprintf(p->mid, sizeof(p->mid), "%s", l.mid);
	if (sdp_offer_create(&l, p->local, err, errlen) < 0 || emit_local(p, err, errlen) < 0)
		return -1;
	arm_timeout(p);
	return ice_gather(p->ice) == 0 ? 0 : -1;
}

/* What we need from the remote description, whichever side we are. */
static int take_remote(struct peer *p, char *err, size_t errlen)
{
	const struct sdp_section *data = sdp_data_section(p->remote);
	const struct sdp_transport *t = &data->transport;
	const struct sdp_fingerprint *fp = sdp_fingerprint_find(t, "sha-256");
	if (!fp || fp->len != CERT_FP_LEN) {
		snprintf(err, errlen, "the peer offers no sha-256 fingerprint");
		return -1;
	}
	/* Lines of other hash functions (aiortc sends sha-384 and sha-512 too) are ignored:
	 * our DTLS checks the certificate against this one alone (dtls.c), which the mac of
	 * TRANSFER.md §4.1 covers, so a line a server adds cannot let its certificate in. */
	memcpy(p->remote_fp, fp->bytes, CERT_FP_LEN);
	p->remote_sctp_port = data->sctp_port;
	p->remote_max_message = data->max_message_size;
	p->remote_lanes = data->lanes;
	if (ice_set_remote(p->ice, data->transport.ufrag, data->transport.pwd) < 0) {
		snprintf(err, errlen, "libnice refused the remote ICE credentials");
		return -1;
	}
	for (size_t i = 0; i < p->remote->candidate_count; i++)
		ice_add_remote_candidate(p->ice, p->remote->candidates[i].line);
	if (p->remote->end_of_candidates)
		ice_add_remote_candidate(p->ice, "");
	return 0;
}

static int answer_offer(struct peer *p, char *err, size_t errlen)
{
	struct sdp_local l;
	/* RFC 8445 §6.1.1: the answerer controls only against an ice-lite offerer. */
	if (create_ice(p, p->remote->ice_lite, err, errlen) < 0)
		return -1;
	fill_local(p, &l);
	if (sdp_answer_create(p->remote, &l, p->local, err, errlen) < 0)
		return -1;
	const struct sdp_section *mine = sdp_data_section(p->local);
	snprintf(p->mid, sizeof(p->mid), "%s", mine->mid);
	p->dtls_client = mine->transport.setup == SDP_SETUP_ACTIVE;
	if (take_remote(p, err, errlen) < 0 || create_dtls(p) < 0 || emit_local(p, err, errlen) < 0)
		return -1;
	arm_timeout(p);
	return ice_gather(p->ice) == 0 ? 0 : -1;
}

static int accept_answer(struct peer *p, char *err, size_t errlen)
{
	if (sdp_answer_check(p->local, p->remote, err, errlen) < 0)
		return -1;
	/* The answer's role decides ours (RFC 5763 §5): active there means we serve. */
	p->dtls_client = sdp_data_section(p->remote)->transport.setup == SDP_SETUP_PASSIVE;
	if (take_remote(p, err, errlen) < 0 || create_dtls(p) < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot create the DTLS session");
		return -1;
	}
	return 0;
}

int peer_set_remote_description(struct peer *p, enum sdp_type type, const char *sdp, char *err,
				size_t errlen)
{
	err[0] = '\0';
	if (p->dtls || (type == SDP_ANSWER && !p->offerer) || (type == SDP_OFFER && p->offerer)) {
		snprintf(err, errlen, "unexpected %s", sdp_type_name(type));
		return -1;
	}
	if (sdp_parse(sdp, strlen(sdp), type, p->remote, err, errlen) < 0)
		return -1;
	return type == SDP_OFFER ? answer_offer(p, err, errlen) : accept_answer(p, err, errlen);
}

int peer_add_remote_candidate(struct peer *p, const char *cand)
{
	if (!p->ice)
		return -1; /* a candidate before any description: the signaling is out of order */
	/* The same bound as a candidate inside an SDP: up to 64 are held until the answer, and
	 * the signaling server chooses their size. */
	if (strlen(cand) > SDP_CAND_MAX) {
		log_debug(SCOPE, "ignoring a trickled candidate of %zu bytes", strlen(cand));
		return -1;
	}
	return ice_add_remote_candidate(p->ice, cand);
}

/* ---------------------------------------------------------------- lifecycle */

struct peer *peer_new(const struct peer_config *cfg, const struct peer_callbacks *cb, char *err,
		      size_t errlen)
{
	struct peer *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	p->cb = *cb;
	p->nlanes = 1;
	p->timing.created = util_now_ns();
	p->local = calloc(1, sizeof(*p->local));
	p->remote = calloc(1, sizeof(*p->remote));
	if (!p->local || !p->remote) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cert_generate(&p->cert, err, errlen) < 0)
		goto fail;
	return p;
fail:
	peer_free(p);
	return NULL;
}

struct dc *peer_create_channel(struct peer *p, const char *label, const struct dc_opts *opts,
			       const struct dc_callbacks *cb)
{
	if (p->state != PEER_CONNECTED || !p->dcmgr)
		return NULL;
	return dc_open(p->dcmgr, label, opts, cb);
}

void peer_pause_reading(struct peer *p, int paused)
{
	if (p->sctp)
		sctp_pause_reading(p->sctp, paused);
}

int peer_drained(struct peer *p)
{
	if (p->dcmgr && dcmgr_buffered(p->dcmgr) > 0)
		return 0;
	for (unsigned i = 1; i < p->nlanes; i++) {
		const struct lane *ln = &p->lanes[i];
		if (ln->up == 1 && ((ln->dcmgr && dcmgr_buffered(ln->dcmgr) > 0) ||
				    !sctp_drained(ln->sctp)))
			return 0;
	}
	return p->sctp ? sctp_drained(p->sctp) : 1;
}

/* Top down, so no layer outlives the one it sends through: SCTP (abort), DTLS (close_notify),
 * ICE (release TURN allocations). */
void peer_close(struct peer *p)
{
	p->closing = 1;
	pmtu_stop(&p->pmtu);
	for (unsigned i = 1; i < p->nlanes; i++)
		if (p->lanes[i].sctp)
			sctp_close(p->lanes[i].sctp);
	if (p->sctp)
		sctp_close(p->sctp);
	if (p->dtls)
		dtls_close(p->dtls);
	if (p->ice)
		ice_close(p->ice);
	set_state(p, PEER_CLOSED);
}

void peer_free(struct peer *p)
{
	if (!p)
		return;
	if (p->timeout)
		g_source_remove(p->timeout);
	consent_stop(&p->consent);
	pmtu_stop(&p->pmtu);
	dcmgr_free(p->dcmgr);
	free_lanes(p); /* before the primary: it is their address */
	sctp_free(p->sctp);
	dtls_free(p->dtls);
	ice_free(p->ice);
	for (size_t i = 0; i < p->nearly; i++)
		free(p->early[i].buf);
	cert_free(&p->cert);
	free(p->local);
	free(p->remote);
	free(p);
}

void peer_get_timing(const struct peer *p, struct peer_timing *t)
{
	*t = p->timing;
	t->gathered = p->ice ? ice_gathered_ns(p->ice) : 0;
}

const char *peer_pair_type(const struct peer *p, int remote)
{
	return p->ice ? ice_pair_type(p->ice, remote) : "";
}

enum peer_state peer_get_state(const struct peer *p)
{
	return p->state;
}

enum peer_failure peer_get_failure(const struct peer *p)
{
	return p->failure;
}

const char *peer_error(const struct peer *p)
{
	return p->error[0] ? p->error : "no error";
}

const char *peer_selected_pair(const struct peer *p)
{
	return p->ice ? ice_selected_pair(p->ice) : NULL;
}

size_t peer_chunk_payload(const struct peer *p)
{
	return p->sctp ? sctp_chunk_payload(p->sctp) : 0;
}

size_t peer_sctp_packet(const struct peer *p)
{
	return p->sctp ? sctp_packet_size(p->sctp) : 0;
}

int peer_relayed(const struct peer *p)
{
	return p->ice ? ice_relayed(p->ice) : 0;
}

const uint8_t *peer_local_fingerprint(const struct peer *p)
{
	return p->cert.fingerprint;
}

const uint8_t *peer_remote_fingerprint(const struct peer *p)
{
	return p->remote_fp;
}

int peer_is_dtls_client(const struct peer *p)
{
	return p->dtls_client;
}
