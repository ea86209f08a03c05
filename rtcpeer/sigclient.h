/*
 * sigclient.h - rtcpeer's signaling client: one WebSocket to signald (rtc-signal.v1, see
 * proto/PROTOCOL.md) on the same GLib main loop as libnice, through libwebsockets' GLib
 * event-library plugin. One thread for the whole program.
 *
 * Outgoing messages are queued (bounded: SIGCLIENT_MAX_QUEUE) until the socket is writable.
 */
#ifndef RTCPEER_SIGCLIENT_H
#define RTCPEER_SIGCLIENT_H

#include <stddef.h>

#include <glib.h>
#include <jansson.h>

#include "signal_msg.h"

#define SIGCLIENT_MAX_QUEUE   256       /* messages; a burst of trickled candidates is ~20 */
#define SIGCLIENT_MAX_MESSAGE (1 << 20) /* what we reassemble from the server */

struct sigclient_callbacks {
	void (*connected)(void *arg);
	/* One parsed server message (sig_parse_server); valid during the call only. */
	void (*message)(void *arg, const struct sig_msg *msg);
	/* Could not connect, or the connection ended; reason is human text. */
	void (*closed)(void *arg, const char *reason);
	void *arg;
};

struct sigclient_config {
	const char *url;     /* ws://host:port/path or wss://... */
	const char *ca_file; /* wss: trust this CA bundle instead of the system one (may be NULL) */
	int insecure;        /* wss: accept a self-signed certificate, for any host name */
};

struct sigclient;

struct sigclient *sigclient_new(GMainLoop *loop, const struct sigclient_config *cfg,
				const struct sigclient_callbacks *cb, char *err, size_t errlen);
/* Queues msg (consumed). Returns -1 when not connected or the queue is full. */
int sigclient_send(struct sigclient *c, json_t *msg);
/* Sends a close frame (best effort) and stops. */
void sigclient_close(struct sigclient *c);
void sigclient_free(struct sigclient *c);

#endif
