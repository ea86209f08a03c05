/*
 * session.h - one rtcpeer session: meet the other peer through signald, connect (peer.c),
 * authenticate the connection with the transfer code's secret (proto/TRANSFER.md), then hand
 * the authenticated data channel to the application (send, recv or pipe).
 *
 * The peer that joins the room second makes the offer (PROTOCOL.md §5), whatever the command.
 */
#ifndef RTCPEER_SESSION_H
#define RTCPEER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "datachannel.h"

#define SESSION_SECRET_LEN 16

struct session;

struct session_app {
	const char *label;  /* data channel label, e.g. "rtc-xfer.v1" */
	int opens_channel;  /* 1: we open it; 0: the peer does; -1: whoever offered */
	/* 1: we made the code and wait in an empty room for the peer; 0: we hold a code, so the
	 * peer must already be there (an empty room means a wrong or stale code). */
	int creates_room;
	/* We are in the room (creates_room: time to show the code). May be NULL. */
	void (*joined)(void *arg, struct session *s);
	/* Authenticated: the channel is ours to use. */
	void (*ready)(void *arg, struct session *s, struct dc *dc);
	/* Messages after the peer's auth message. */
	void (*message)(void *arg, int binary, const uint8_t *buf, size_t len);
	void (*buffered_low)(void *arg);
	/* The session is ending with this exit code: remove temporary files, etc. */
	void (*cleanup)(void *arg, int exit_code);
	void *arg;
	/* 1: after authentication, stripe every message over the negotiated lanes (TRANSFER.md
	 * §12). Send data with session_send_data() then, never on the channel directly. */
	int lanes;
};

/* Runs the main loop until session_finish(); returns the exit code. */
int session_run(const struct cli *cli, const char *room, const uint8_t secret[SESSION_SECRET_LEN],
		const struct session_app *app);
/* Ends the session (once; later calls are ignored). message goes to stderr unless NULL. */
void session_finish(struct session *s, int exit_code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* A machine-readable event on stderr with --json, else nothing. fields: a JSON object whose
 * members are added to {"event": event} (consumed; may be NULL). */
void session_event(struct session *s, const char *event, json_t *fields);

/* From now on, the peer closing the connection ends the session with exit_code (the
 * application got everything it waited for; the code says whether all went well). */
void session_expect_close(struct session *s, int exit_code);
/* Sends a control message (consumed) as one text message on the session's channel. */
int session_send(struct session *s, json_t *json);
/* The same for a message of the transfer itself: first checked against seq's order rules as
 * the peer will check it (a refusal is our bug: the session ends as an internal error).
 * Returns 0, or -1 when refused or not sent. */
struct xfer_seq;
int session_send_ordered(struct session *s, struct xfer_seq *seq, json_t *json);
const struct cli *session_cli(const struct session *s);
/* One binary message of the application's data: on the channel, or striped over lanes. */
int session_send_data(struct session *s, const uint8_t *buf, size_t len);
/* 1 if more data may be sent now: the channel holds less than high_water above SCTP, or, with
 * lanes, some lane has room. app->buffered_low says when to ask again. */
int session_writable(const struct session *s, size_t high_water);
/* The largest data message to send: want, or less if the peer or the lanes say so. */
size_t session_max_data(const struct session *s, size_t want);
/* When buffered_low fires on the channel (no effect with lanes: they fire per lane). */
void session_set_low_water(struct session *s, size_t bytes);
/* Lanes in use: the most that were attached at once (1 without lanes). */
unsigned session_lanes(const struct session *s);
/* Backpressure to the peer (see peer_pause_reading). */
void session_pause_reading(struct session *s, int paused);
/* 1 when the peer acknowledged everything we sent. */
int session_drained(struct session *s);
/* "direct (udp srflx -> srflx)" or "relayed (...)", for the final line. */
const char *session_path(struct session *s);
/* "direct" or "relayed": the machine-readable form, for --json. */
const char *session_route(const struct session *s);
/* The final line ("<head>, N bytes in S s (R MB/s), <path>" unless --quiet) and the summary
 * event, timed from start_ns. */
void session_summary(struct session *s, const char *head, unsigned files, uint64_t bytes,
		     uint64_t start_ns);
/* The first application byte went out or came in (for --timing). */
void session_mark_data(struct session *s);

#endif
