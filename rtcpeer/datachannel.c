#include "datachannel.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "dcep.h"
#include "log.h"

#define SCOPE "dc"
#define DC_MAX_STREAMS 1024 /* what sctp.c negotiates at most */

struct qmsg {
	struct qmsg *next;
	uint32_t ppid;
	size_t len;
	uint8_t data[];
};

struct dc {
	struct dcmgr *mgr;
	uint16_t sid;
	enum dc_state state;
	struct dc_callbacks cb;
	struct sctp_msg_opts sopts;
	uint8_t channel_type;
	uint32_t reliability;
	char *label, *protocol;
	struct qmsg *qhead, *qtail;
	size_t buffered, low_water;
	int above_low;            /* buffered went above low_water since the last callback */
	int reset_sent;
};

struct dcmgr {
	struct sctp *sctp;
	int dtls_client;
	size_t remote_max;
	struct dcmgr_callbacks cb;
	struct dc *by_sid[DC_MAX_STREAMS];
};

struct dcmgr *dcmgr_new(struct sctp *sctp, int dtls_client, size_t remote_max_message,
			const struct dcmgr_callbacks *cb)
{
	struct dcmgr *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->sctp = sctp;
	m->dtls_client = dtls_client;
	m->remote_max = remote_max_message;
	m->cb = *cb;
	return m;
}

static void dc_destroy(struct dc *dc)
{
	struct qmsg *q = dc->qhead, *next;
	for (; q; q = next) {
		next = q->next;
		free(q);
	}
	free(dc->label);
	free(dc->protocol);
	free(dc);
}

void dcmgr_free(struct dcmgr *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < DC_MAX_STREAMS; i++)
		if (m->by_sid[i])
			dc_destroy(m->by_sid[i]);
	free(m);
}

static void set_state(struct dc *dc, enum dc_state state)
{
	if (dc->state == state)
		return;
	dc->state = state;
	log_debug(SCOPE, "channel %u '%s' %s", dc->sid, dc->label,
		  state == DC_OPEN ? "open" : state == DC_CLOSED ? "closed" : "closing");
	if (state == DC_OPEN && dc->cb.open)
		dc->cb.open(dc->cb.arg, dc);
	if (state == DC_CLOSED && dc->cb.closed)
		dc->cb.closed(dc->cb.arg, dc);
}

/* RFC 8832 §5.1 channel type -> SCTP per-message options. */
static void opts_from_type(struct dc *dc)
{
	uint8_t base = dc->channel_type & (uint8_t)~DCEP_UNORDERED_BIT;
	dc->sopts.unordered = (dc->channel_type & DCEP_UNORDERED_BIT) != 0;
	dc->sopts.pr = base == DCEP_PR_REXMIT  ? SCTP_PR_RTX
		       : base == DCEP_PR_TIMED ? SCTP_PR_TTL
					       : SCTP_RELIABLE;
	dc->sopts.pr_value = dc->sopts.pr == SCTP_RELIABLE ? 0 : dc->reliability;
}

static struct dc *dc_alloc(struct dcmgr *m, uint16_t sid, const char *label, size_t label_len,
			   const char *proto, size_t proto_len)
{
	struct dc *dc = calloc(1, sizeof(*dc));
	if (!dc)
		return NULL;
	dc->mgr = m;
	dc->sid = sid;
	dc->low_water = DC_DEFAULT_LOW_WATER;
	dc->label = g_strndup(label ? label : "", label_len);
	dc->protocol = g_strndup(proto ? proto : "", proto_len);
	if (!dc->label || !dc->protocol) {
		dc_destroy(dc);
		return NULL;
	}
	m->by_sid[sid] = dc;
	return dc;
}

/* ---------------------------------------------------------------- sending */

static int raw_send(struct dc *dc, uint32_t ppid, const uint8_t *buf, size_t len)
{
	/* RFC 8832 §6: until the ACK, an unordered channel sends ordered so the OPEN arrives first. */
	struct sctp_msg_opts o = dc->sopts;
	if (dc->state == DC_CONNECTING)
		o.unordered = 0;
	return sctp_send(dc->mgr->sctp, dc->sid, ppid, buf, len, &o);
}

static int enqueue(struct dc *dc, uint32_t ppid, const uint8_t *buf, size_t len)
{
	struct qmsg *q = malloc(sizeof(*q) + len);
	if (!q)
		return -1;
	q->next = NULL;
	q->ppid = ppid;
	q->len = len;
	memcpy(q->data, buf, len);
	if (dc->qtail)
		dc->qtail->next = q;
	else
		dc->qhead = q;
	dc->qtail = q;
	dc->buffered += len;
	if (dc->buffered > dc->low_water)
		dc->above_low = 1;
	return 0;
}

/* Sends what is queued, in order, until SCTP pushes back. Returns 0 when the queue is empty. */
static int flush(struct dc *dc)
{
	while (dc->qhead) {
		struct qmsg *q = dc->qhead;
		int rc = raw_send(dc, q->ppid, q->data, q->len);
		if (rc == SCTP_WOULD_BLOCK)
			return 1;
		/* -1: the association is gone; the state callbacks will say so. Drop it. */
		dc->qhead = q->next;
		if (!dc->qhead)
			dc->qtail = NULL;
		dc->buffered -= q->len;
		free(q);
	}
	return 0;
}

static void maybe_low(struct dc *dc)
{
	if (dc->above_low && dc->buffered <= dc->low_water) {
		dc->above_low = 0;
		if (dc->cb.buffered_low)
			dc->cb.buffered_low(dc->cb.arg, dc);
	}
}

static void finish_close(struct dc *dc)
{
	if (!dc->reset_sent && dc->qhead == NULL) {
		dc->reset_sent = 1;
		sctp_reset_stream(dc->mgr->sctp, dc->sid);
	}
}

void dcmgr_on_writable(struct dcmgr *m)
{
	for (size_t i = 0; i < DC_MAX_STREAMS; i++) {
		struct dc *dc = m->by_sid[i];
		if (!dc || !dc->qhead)
			continue;
		flush(dc);
		if (dc->state == DC_CLOSING)
			finish_close(dc);
		else
			maybe_low(dc);
	}
}

int dc_send(struct dc *dc, int binary, const uint8_t *buf, size_t len)
{
	static const uint8_t zero = 0;
	uint32_t ppid = binary ? PPID_BINARY : PPID_STRING;

	if (dc->state != DC_OPEN && dc->state != DC_CONNECTING)
		return -1;
	if (dc->mgr->remote_max && len > dc->mgr->remote_max)
		return -1; /* RFC 8841 §6: the peer said it cannot take it */
	if (dc->buffered + len > DC_MAX_BUFFERED)
		return -1;
	if (len == 0) { /* RFC 8831 §6.6: SCTP has no empty messages */
		ppid = binary ? PPID_BINARY_EMPTY : PPID_STRING_EMPTY;
		buf = &zero;
		len = 1;
	}
	if (!dc->qhead) {
		int rc = raw_send(dc, ppid, buf, len);
		if (rc != SCTP_WOULD_BLOCK)
			return rc;
	}
	return enqueue(dc, ppid, buf, len);
}

/* ---------------------------------------------------------------- opening */

static int pick_sid(struct dcmgr *m, uint16_t *out)
{
	uint16_t limit = sctp_streams(m->sctp);
	if (limit == 0 || limit > DC_MAX_STREAMS)
		limit = DC_MAX_STREAMS;
	for (uint16_t sid = m->dtls_client ? 0 : 1; sid < limit; sid += 2) {
		if (!m->by_sid[sid]) {
			*out = sid;
			return 0;
		}
	}
	return -1;
}

static uint8_t type_from_opts(const struct dc_opts *o)
{
	uint8_t t = o->pr == SCTP_PR_RTX ? DCEP_PR_REXMIT
		    : o->pr == SCTP_PR_TTL ? DCEP_PR_TIMED
					   : DCEP_RELIABLE;
	return (uint8_t)(t | (o->unordered ? DCEP_UNORDERED_BIT : 0));
}

static int send_open(struct dc *dc)
{
	struct dcep_open op = {
		.channel_type = dc->channel_type,
		.reliability = dc->reliability,
		.label = (const uint8_t *)dc->label,
		.label_len = (uint16_t)strlen(dc->label),
		.protocol = (const uint8_t *)dc->protocol,
		.protocol_len = (uint16_t)strlen(dc->protocol),
	};
	uint8_t buf[DCEP_OPEN_HEADER_LEN + 2 * DC_LABEL_MAX];
	size_t n = dcep_write_open(buf, sizeof(buf), &op);
	if (n == 0)
		return -1;
	/* DCEP itself is reliable and ordered whatever the channel (RFC 8832 §6). */
	return sctp_send(dc->mgr->sctp, dc->sid, PPID_DCEP, buf, n, NULL) == 0 ? 0 : -1;
}

struct dc *dc_open(struct dcmgr *m, const char *label, const struct dc_opts *opts,
		   const struct dc_callbacks *cb)
{
	static const struct dc_opts defaults = {0};
	uint16_t sid;

	opts = opts ? opts : &defaults;
	const char *proto = opts->protocol ? opts->protocol : "";
	if (strlen(label) > DC_LABEL_MAX || strlen(proto) > DC_LABEL_MAX)
		return NULL;
	if (opts->negotiated) {
		if (opts->id >= DC_MAX_STREAMS || m->by_sid[opts->id])
			return NULL;
		sid = opts->id;
	} else if (pick_sid(m, &sid) < 0) {
		return NULL;
	}
	struct dc *dc = dc_alloc(m, sid, label, strlen(label), proto, strlen(proto));
	if (!dc)
		return NULL;
	dc->cb = *cb;
	dc->channel_type = type_from_opts(opts);
	dc->reliability = opts->pr_value;
	opts_from_type(dc);
	if (opts->negotiated) {
		dc->state = DC_OPEN; /* the caller sees it open when dc_open returns */
		return dc;
	}
	if (send_open(dc) < 0) {
		m->by_sid[sid] = NULL;
		dc_destroy(dc);
		return NULL;
	}
	return dc;
}

/* ---------------------------------------------------------------- receiving */

static void on_open_msg(struct dcmgr *m, uint16_t sid, const struct dcep_open *op)
{
	uint8_t ack[1];
	/* RFC 8832 §6: the peer's parity is the opposite of ours; a clash is a protocol error. */
	if ((sid % 2 == 0) == (m->dtls_client != 0) || m->by_sid[sid]) {
		log_warn(SCOPE, "peer opened stream %u against the odd/even rule; resetting", sid);
		sctp_reset_stream(m->sctp, sid);
		return;
	}
	/* Labels are strings to us: no NUL inside ("a\0b" would compare as "a"), bounded. */
	if (op->label_len > DC_LABEL_MAX || op->protocol_len > DC_LABEL_MAX ||
	    memchr(op->label, 0, op->label_len) || memchr(op->protocol, 0, op->protocol_len)) {
		log_warn(SCOPE, "peer opened stream %u with a bad label; resetting", sid);
		sctp_reset_stream(m->sctp, sid);
		return;
	}
	struct dc *dc = dc_alloc(m, sid, (const char *)op->label, op->label_len,
				 (const char *)op->protocol, op->protocol_len);
	if (!dc)
		return;
	dc->channel_type = op->channel_type;
	dc->reliability = op->reliability;
	opts_from_type(dc);
	dcep_write_ack(ack, sizeof(ack));
	if (sctp_send(m->sctp, sid, PPID_DCEP, ack, 1, NULL) != 0)
		log_warn(SCOPE, "cannot acknowledge channel %u", sid);
	if (m->cb.channel)
		m->cb.channel(m->cb.arg, dc);
	/* The app may have refused it (dc_close: CLOSING, reset sent); that stands. */
	if (dc->state == DC_CONNECTING)
		set_state(dc, DC_OPEN);
}

static void on_dcep(struct dcmgr *m, uint16_t sid, const uint8_t *buf, size_t len)
{
	struct dcep_open op;
	int type = dcep_parse(buf, len, &op);
	if (type == DCEP_MSG_OPEN) {
		on_open_msg(m, sid, &op);
	} else if (type == DCEP_MSG_ACK) {
		struct dc *dc = m->by_sid[sid];
		if (dc && dc->state == DC_CONNECTING)
			set_state(dc, DC_OPEN);
	} else {
		log_warn(SCOPE, "malformed DCEP message on stream %u (%d)", sid, type);
	}
}

void dcmgr_on_message(struct dcmgr *m, uint16_t sid, uint32_t ppid, const uint8_t *buf,
		      size_t len)
{
	if (sid >= DC_MAX_STREAMS)
		return;
	if (ppid == PPID_DCEP) {
		on_dcep(m, sid, buf, len);
		return;
	}
	struct dc *dc = m->by_sid[sid];
	if (!dc || !dc->cb.message) {
		log_debug(SCOPE, "data on stream %u without a channel: dropped", sid);
		return;
	}
	/* A message on a channel we opened is an implicit ACK (RFC 8832 §6). */
	if (dc->state == DC_CONNECTING)
		set_state(dc, DC_OPEN);
	switch (ppid) {
	case PPID_STRING:
	case PPID_STRING_PARTIAL:
		dc->cb.message(dc->cb.arg, dc, 0, buf, len);
		break;
	case PPID_BINARY:
	case PPID_BINARY_PARTIAL:
		dc->cb.message(dc->cb.arg, dc, 1, buf, len);
		break;
	case PPID_STRING_EMPTY:
		dc->cb.message(dc->cb.arg, dc, 0, buf, 0);
		break;
	case PPID_BINARY_EMPTY:
		dc->cb.message(dc->cb.arg, dc, 1, buf, 0);
		break;
	default:
		log_debug(SCOPE, "unknown PPID %u on stream %u: dropped", ppid, sid);
	}
}

/* The peer reset its outgoing stream: reset ours too, then the id is free (RFC 8831 §6.7). */
void dcmgr_on_stream_reset(struct dcmgr *m, uint16_t sid)
{
	if (sid >= DC_MAX_STREAMS || !m->by_sid[sid])
		return;
	struct dc *dc = m->by_sid[sid];
	if (!dc->reset_sent) {
		dc->reset_sent = 1;
		sctp_reset_stream(m->sctp, sid);
	}
	m->by_sid[sid] = NULL;
	set_state(dc, DC_CLOSED);
	dc_destroy(dc);
}

/* ---------------------------------------------------------------- the rest */

size_t dcmgr_buffered(const struct dcmgr *m)
{
	size_t n = 0;
	for (size_t i = 0; i < DC_MAX_STREAMS; i++)
		if (m->by_sid[i])
			n += m->by_sid[i]->buffered;
	return n;
}

void dc_set_callbacks(struct dc *dc, const struct dc_callbacks *cb)
{
	dc->cb = *cb;
}

size_t dc_buffered(const struct dc *dc)
{
	return dc->buffered;
}

void dc_set_low_water(struct dc *dc, size_t bytes)
{
	dc->low_water = bytes;
}

void dc_close(struct dc *dc)
{
	if (dc->state == DC_CLOSING || dc->state == DC_CLOSED)
		return;
	set_state(dc, DC_CLOSING);
	finish_close(dc); /* at once, or once the queue has drained */
}

const char *dc_label(const struct dc *dc)
{
	return dc->label;
}

const char *dc_protocol(const struct dc *dc)
{
	return dc->protocol;
}

uint16_t dc_id(const struct dc *dc)
{
	return dc->sid;
}

int dc_reliable_ordered(const struct dc *dc)
{
	return dc->channel_type == DCEP_RELIABLE;
}

enum dc_state dc_get_state(const struct dc *dc)
{
	return dc->state;
}

size_t dc_max_message(const struct dc *dc)
{
	return dc->mgr->remote_max;
}
