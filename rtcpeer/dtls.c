#include "dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gnutls/dtls.h>
#include <gnutls/x509.h>

#include "log.h"

#define SCOPE "dtls"

/* DTLS 1.2 only, AEAD ciphers, ECDHE; no compression (RFC 8261 §5). AES-128-GCM first: it is
 * what browsers prefer and the cheapest on AES-NI. */
#define DTLS_PRIORITIES                                                                          \
	"NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"                  \
	"+CHACHA20-POLY1305:-COMP-ALL:+COMP-NULL"
/* RFC 6347 §4.2.4.1: start retransmitting at 1 s; give up on a handshake after 30 s. */
#define DTLS_RETRANS_MS 1000
#define DTLS_TOTAL_MS   30000
/* Each record is at most this much plaintext; we read into a buffer this size. */
#define DTLS_RECORD_MAX 16384
/* RFC 6520 §3: the heartbeat content type, in the clear in every record header. */
#define CONTENT_HEARTBEAT 24

struct datagram {
	size_t len;
	uint8_t *buf;
};

struct dtls {
	gnutls_session_t session;
	struct dtls_callbacks cb;
	enum dtls_state state;
	int is_client;
	int verified;           /* the verify callback ran and the fingerprint matched */
	int auth_failed;
	uint8_t remote_fp[CERT_FP_LEN];
	struct datagram queue[DTLS_INPUT_QUEUE];
	unsigned qhead, qcount;
	const uint8_t *direct;  /* the datagram being read without a copy, or NULL */
	size_t direct_len;
	size_t probe_size;      /* the outstanding path MTU probe's datagram size, or 0 */
	int probes_sent;        /* so answers to old ones may come */
	uint8_t pulled_type;    /* content type of the last datagram GnuTLS read */
	guint timer;
	char error[160];
};

const char *dtls_state_name(enum dtls_state state)
{
	static const char *const names[] = {"new", "connecting", "connected", "closed", "failed"};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static void set_state(struct dtls *d, enum dtls_state state)
{
	if (d->state == state)
		return;
	d->state = state;
	log_debug(SCOPE, "state %s%s%s", dtls_state_name(state), d->error[0] ? ": " : "",
		  d->error);
	if (d->cb.state)
		d->cb.state(d->cb.arg, state);
}

static void fail_with(struct dtls *d, const char *what)
{
	if (what && !d->error[0])
		snprintf(d->error, sizeof(d->error), "%s", what);
	if (d->timer) {
		g_source_remove(d->timer);
		d->timer = 0;
	}
	set_state(d, DTLS_FAILED);
}

/* ---------------------------------------------------------------- GnuTLS transport */

static ssize_t push_cb(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct dtls *d = ptr;
	/* A lost datagram is normal for DTLS; only a transport that is gone is an error. */
	if (d->cb.send(d->cb.arg, buf, len) < 0) {
		gnutls_transport_set_errno(d->session, EPIPE);
		return -1;
	}
	return (ssize_t)len;
}

static ssize_t pull_cb(gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
	struct dtls *d = ptr;
	if (d->direct) {
		size_t n = d->direct_len < size ? d->direct_len : size;
		d->pulled_type = d->direct[0];
		memcpy(buf, d->direct, n);
		d->direct = NULL;
		return (ssize_t)n;
	}
	if (d->qcount == 0) {
		gnutls_transport_set_errno(d->session, EAGAIN);
		return -1;
	}
	struct datagram *dg = &d->queue[d->qhead];
	size_t n = dg->len < size ? dg->len : size; /* DTLS: the rest of a datagram is dropped */
	d->pulled_type = dg->buf[0];
	memcpy(buf, dg->buf, n);
	free(dg->buf);
	dg->buf = NULL;
	d->qhead = (d->qhead + 1) % DTLS_INPUT_QUEUE;
	d->qcount--;
	return (ssize_t)n;
}

/* Never blocks: GnuTLS only asks whether a datagram is ready. */
static int pull_timeout_cb(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct dtls *d = ptr;
	(void)ms;
	return d->direct != NULL || d->qcount > 0;
}

/* RFC 8122 §5 / RFC 5763 §5: the only check of the peer's identity in WebRTC. No CA, no dates. */
static int verify_cb(gnutls_session_t session)
{
	struct dtls *d = gnutls_session_get_ptr(session);
	unsigned n = 0;
	uint8_t fp[CERT_FP_LEN];

	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 || !peers || n == 0) {
		snprintf(d->error, sizeof(d->error), "peer sent no certificate");
		d->auth_failed = 1;
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	if (cert_fingerprint_der(&peers[0], fp) < 0 || memcmp(fp, d->remote_fp, CERT_FP_LEN) != 0) {
		char got[CERT_FP_TEXT_LEN];
		cert_fingerprint_format(fp, got);
		snprintf(d->error, sizeof(d->error),
			 "peer certificate %.23s... does not match the SDP fingerprint", got);
		d->auth_failed = 1;
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	d->verified = 1;
	return 0;
}

/* ---------------------------------------------------------------- handshake */

static gboolean on_timer(gpointer arg);

/* The peer's alert says our certificate is not the one its SDP named: it sees a different
 * fingerprint for us than we sent, which is the signature of a tampering signaling server. */
static int peer_refused_cert(struct dtls *d)
{
	gnutls_alert_description_t a = gnutls_alert_get(d->session);
	if (a != GNUTLS_A_BAD_CERTIFICATE && a != GNUTLS_A_CERTIFICATE_UNKNOWN &&
	    a != GNUTLS_A_UNSUPPORTED_CERTIFICATE)
		return 0;
	snprintf(d->error, sizeof(d->error),
		 "the peer refused our certificate (%s): it was told another fingerprint for us",
		 gnutls_alert_get_name(a));
	return 1;
}

static void arm_timer(struct dtls *d)
{
	if (d->timer)
		g_source_remove(d->timer);
	unsigned ms = gnutls_dtls_get_timeout(d->session);
	d->timer = g_timeout_add(ms ? ms : 1, on_timer, d);
}

static void read_records(struct dtls *d);

/* GnuTLS takes one queued datagram per call (3.7.9): keep calling while input is queued. */
static void drive_handshake(struct dtls *d)
{
	int rc;
	do {
		rc = gnutls_handshake(d->session);
	} while (rc == GNUTLS_E_AGAIN && d->qcount > 0);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
	    (rc < 0 && !gnutls_error_is_fatal(rc))) {
		arm_timer(d);
		return;
	}
	if (d->timer) {
		g_source_remove(d->timer);
		d->timer = 0;
	}
	if (rc < 0) {
		/* Tell the peer now (bad_certificate, handshake_failure...) rather than letting it
		 * retransmit for 30 s. */
		gnutls_alert_send_appropriate(d->session, rc);
		if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED && peer_refused_cert(d))
			d->auth_failed = 1;
		if (!d->error[0])
			snprintf(d->error, sizeof(d->error), "handshake failed: %s",
				 gnutls_strerror(rc));
		fail_with(d, NULL);
		return;
	}
	if (!d->verified) { /* belt and braces: the certificate must have been checked */
		d->auth_failed = 1;
		fail_with(d, "handshake completed without checking the peer certificate");
		return;
	}
	/* RFC 8261 §5: DTLS must carry SCTP packets larger than the handshake MTU. */
	gnutls_dtls_set_mtu(d->session, DTLS_RECORD_MAX + 1);
	char *desc = gnutls_session_get_desc(d->session);
	log_debug(SCOPE, "handshake done as %s: %s", d->is_client ? "client" : "server",
		  desc ? desc : "?");
	gnutls_free(desc);
	set_state(d, DTLS_CONNECTED);
	read_records(d); /* application data may have arrived with the last flight */
}

static gboolean on_timer(gpointer arg)
{
	struct dtls *d = arg;
	d->timer = 0;
	if (d->state == DTLS_CONNECTING)
		drive_handshake(d);
	return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------- records */

static void read_records(struct dtls *d)
{
	uint8_t buf[DTLS_RECORD_MAX];
	for (;;) {
		unsigned queued = d->qcount;
		ssize_t n = gnutls_record_recv(d->session, buf, sizeof(buf));
		if (n > 0) {
			d->cb.recv(d->cb.arg, buf, (size_t)n);
			if (d->state != DTLS_CONNECTED)
				return; /* the layer above closed us */
			continue;
		}
		/* A datagram that gave nothing to return (a duplicate, an ignored heartbeat) is
		 * AGAIN too: read on while that took one from the queue. */
		if (n == GNUTLS_E_AGAIN && d->qcount > 0 && d->qcount < queued)
			continue;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return;
		if (n == 0) { /* close_notify */
			set_state(d, DTLS_CLOSED);
			return;
		}
		if (n == GNUTLS_E_HEARTBEAT_PING_RECEIVED) { /* a probe: echo it, same size */
			gnutls_heartbeat_pong(d->session, 0);
			continue;
		}
		if (n == GNUTLS_E_HEARTBEAT_PONG_RECEIVED) { /* GnuTLS matched it to our probe */
			size_t size = d->probe_size;
			d->probe_size = 0;
			if (size && d->cb.probe_acked)
				d->cb.probe_acked(d->cb.arg, size);
			if (d->state != DTLS_CONNECTED)
				return;
			continue;
		}
		/* GnuTLS keeps only the last probe. The answer to one it replaced is ignored (AGAIN,
		 * above) when it has the same length, and called an unexpected packet when not. A
		 * stray heartbeat is no reason to end the session (RFC 6347 §4.1.2.7: drop invalid
		 * records). */
		if (d->probes_sent && d->pulled_type == CONTENT_HEARTBEAT &&
		    (n == GNUTLS_E_UNEXPECTED_PACKET || n == GNUTLS_E_UNEXPECTED_PACKET_LENGTH)) {
			log_debug(SCOPE, "dropped a stale heartbeat");
			continue;
		}
		if (n == GNUTLS_E_REHANDSHAKE) { /* RFC 8827: no renegotiation */
			gnutls_alert_send(d->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (!gnutls_error_is_fatal((int)n)) {
			log_debug(SCOPE, "dropped a record: %s", gnutls_strerror((int)n));
			continue;
		}
		snprintf(d->error, sizeof(d->error), "%s", gnutls_strerror((int)n));
		fail_with(d, NULL);
		return;
	}
}

void dtls_input(struct dtls *d, const uint8_t *buf, size_t len)
{
	if (d->state == DTLS_CLOSED || d->state == DTLS_FAILED)
		return;
	/* RFC 7983 §7: DTLS records start with a byte in 20..63; anything else is not ours. */
	if (len == 0 || buf[0] < 20 || buf[0] > 63)
		return;
	/* A peer whose handshake is over may probe before ours is (our last flight, or the
	 * peer's, lost and being retransmitted); GnuTLS would fail the handshake on a heartbeat
	 * (seen once at 1 % loss). Unanswered, it is just a lost probe (dtls_probe). */
	if (buf[0] == CONTENT_HEARTBEAT && d->state != DTLS_CONNECTED)
		return;
	if (d->state == DTLS_CONNECTED && d->qcount == 0) {
		/* The steady state: hand the datagram to GnuTLS where it lies. */
		d->direct = buf;
		d->direct_len = len;
		read_records(d);
		d->direct = NULL;
		return;
	}
	if (d->qcount == DTLS_INPUT_QUEUE) {
		log_debug(SCOPE, "input queue full, dropping a datagram");
		return;
	}
	struct datagram *dg = &d->queue[(d->qhead + d->qcount) % DTLS_INPUT_QUEUE];
	dg->buf = malloc(len);
	if (!dg->buf)
		return;
	memcpy(dg->buf, buf, len);
	dg->len = len;
	d->qcount++;

	if (d->state == DTLS_CONNECTING)
		drive_handshake(d);
	else if (d->state == DTLS_CONNECTED)
		read_records(d);
	/* DTLS_NEW: kept until dtls_start() */
}

/* ---------------------------------------------------------------- lifecycle */

static int session_setup(struct dtls *d, const struct cert *cert)
{
	const char *where = NULL;
	unsigned flags = GNUTLS_DATAGRAM | GNUTLS_NONBLOCK |
			 (d->is_client ? GNUTLS_CLIENT : GNUTLS_SERVER);

	if (gnutls_init(&d->session, flags) < 0)
		return -1;
	gnutls_session_set_ptr(d->session, d);
	if (gnutls_priority_set_direct(d->session, DTLS_PRIORITIES, &where) < 0 ||
	    gnutls_credentials_set(d->session, GNUTLS_CRD_CERTIFICATE, cert->creds) < 0 ||
	    /* Browsers always offer use_srtp; agreeing costs nothing and keeps media possible. */
	    gnutls_srtp_set_profile(d->session, GNUTLS_SRTP_AES128_CM_HMAC_SHA1_80) < 0)
		return -1;
	if (!d->is_client)
		gnutls_certificate_server_set_request(d->session, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_function(d->session, verify_cb);
	/* For path MTU probes (dtls_probe): the extension says we answer heartbeats, and we may
	 * send them only if the peer's says the same (GNUTLS_HB_LOCAL_ALLOWED_TO_SEND here
	 * would allow it unasked, and a browser ends the connection on the first one). */
	gnutls_heartbeat_enable(d->session, GNUTLS_HB_PEER_ALLOWED_TO_SEND);
	gnutls_dtls_set_timeouts(d->session, DTLS_RETRANS_MS, DTLS_TOTAL_MS);
	gnutls_dtls_set_mtu(d->session, DTLS_MTU);
	gnutls_transport_set_ptr(d->session, d);
	gnutls_transport_set_push_function(d->session, push_cb);
	gnutls_transport_set_pull_function(d->session, pull_cb);
	gnutls_transport_set_pull_timeout_function(d->session, pull_timeout_cb);
	return 0;
}

struct dtls *dtls_new(const struct cert *cert, int is_client, const uint8_t remote_fp[CERT_FP_LEN],
		      const struct dtls_callbacks *cb)
{
	struct dtls *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cb = *cb;
	d->is_client = is_client;
	memcpy(d->remote_fp, remote_fp, CERT_FP_LEN);
	if (session_setup(d, cert) < 0) {
		dtls_free(d);
		return NULL;
	}
	return d;
}

void dtls_start(struct dtls *d)
{
	if (d->state != DTLS_NEW)
		return;
	set_state(d, DTLS_CONNECTING);
	drive_handshake(d); /* client: ClientHello; server: consumes any queued ClientHello */
}

int dtls_send(struct dtls *d, const uint8_t *buf, size_t len)
{
	if (d->state != DTLS_CONNECTED)
		return -1;
	ssize_t n = gnutls_record_send(d->session, buf, len);
	if (n == (ssize_t)len)
		return 0;
	log_debug(SCOPE, "record of %zu bytes not sent: %s", len,
		  n < 0 ? gnutls_strerror((int)n) : "short write");
	return -1;
}

int dtls_can_probe(const struct dtls *d)
{
	return d->state == DTLS_CONNECTED &&
	       gnutls_heartbeat_allowed(d->session, GNUTLS_HB_LOCAL_ALLOWED_TO_SEND);
}

size_t dtls_overhead(const struct dtls *d)
{
	return gnutls_record_overhead_size(d->session);
}

int dtls_probe(struct dtls *d, size_t size)
{
	/* The datagram is the record's overhead, then the heartbeat's type (1) and length (2),
	 * then what GnuTLS calls data_size: the payload and the 16 bytes of padding. */
	size_t overhead = dtls_overhead(d) + 3;
	if (!dtls_can_probe(d) || size < overhead + 16 || size - overhead > DTLS_RECORD_MAX - 3)
		return -1;
	int rc = gnutls_heartbeat_ping(d->session, size - overhead, 1, 0);
	d->probes_sent = 1;
	if (rc < 0 && rc != GNUTLS_E_AGAIN) {
		log_debug(SCOPE, "probe of %zu bytes not sent: %s", size, gnutls_strerror(rc));
		d->probe_size = 0;
		return -1;
	}
	d->probe_size = size;
	return 0;
}

void dtls_probe_cancel(struct dtls *d)
{
	d->probe_size = 0;
}

void dtls_close(struct dtls *d)
{
	if (d->state == DTLS_CONNECTED)
		gnutls_bye(d->session, GNUTLS_SHUT_WR); /* close_notify: the peer learns at once */
	if (d->timer) {
		g_source_remove(d->timer);
		d->timer = 0;
	}
	if (d->state != DTLS_FAILED)
		set_state(d, DTLS_CLOSED);
}

void dtls_free(struct dtls *d)
{
	if (!d)
		return;
	if (d->timer)
		g_source_remove(d->timer);
	while (d->qcount) {
		free(d->queue[d->qhead].buf);
		d->qhead = (d->qhead + 1) % DTLS_INPUT_QUEUE;
		d->qcount--;
	}
	if (d->session)
		gnutls_deinit(d->session);
	free(d);
}

enum dtls_state dtls_get_state(const struct dtls *d)
{
	return d->state;
}

const char *dtls_last_error(const struct dtls *d)
{
	return d->error[0] ? d->error : "no error";
}

int dtls_auth_failed(const struct dtls *d)
{
	return d->auth_failed;
}
