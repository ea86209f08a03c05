#include "sigclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "buf.h"
#include "log.h"

#define SCOPE "sig"
#define SIGCLIENT_LWS_FDS 8 /* see sigclient_new */

struct qitem {
	struct qitem *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE headroom, then the message */
};

struct sigclient {
	struct lws_context *ctx;
	struct lws *wsi;
	struct sigclient_callbacks cb;
	char url[1024];         /* lws_parse_uri writes into it: host and path point here */
	int connected;
	int closed;
	struct qitem *qhead, *qtail;
	unsigned qcount;
	struct buf rx;          /* a fragmented message being reassembled */
};

static void notify_closed(struct sigclient *c, const char *reason)
{
	if (c->closed)
		return;
	c->closed = 1;
	c->connected = 0;
	c->wsi = NULL;
	log_debug(SCOPE, "closed: %s", reason);
	if (c->cb.closed)
		c->cb.closed(c->cb.arg, reason);
}

static void on_message(struct sigclient *c, const char *buf, size_t len)
{
	struct sig_msg m;
	struct sig_error e;
	if (sig_parse_server(buf, len, &m, &e) < 0) {
		log_warn(SCOPE, "ignoring a message from the server: %s", e.message);
		sig_error_clear(&e);
		return;
	}
	if (c->cb.message)
		c->cb.message(c->cb.arg, &m);
	sig_msg_clear(&m);
	sig_error_clear(&e);
}

/* Messages may arrive in fragments; bounded reassembly. */
static int on_receive(struct sigclient *c, struct lws *wsi, const char *in, size_t len)
{
	int last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
	if (last && c->rx.len == 0) {
		on_message(c, in, len);
		return 0;
	}
	if (buf_append(&c->rx, in, len) < 0)
		return -1; /* over SIGCLIENT_MAX_MESSAGE: a server we will not follow */
	if (last) {
		on_message(c, c->rx.data, c->rx.len);
		buf_free(&c->rx);
	}
	return 0;
}

static int on_writeable(struct sigclient *c, struct lws *wsi)
{
	struct qitem *q = c->qhead;
	if (!q)
		return 0;
	if (lws_write(wsi, q->buf + LWS_PRE, q->len, LWS_WRITE_TEXT) < (int)q->len)
		return -1;
	c->qhead = q->next;
	if (!c->qhead)
		c->qtail = NULL;
	c->qcount--;
	free(q);
	if (c->qhead)
		lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct sigclient *c = lws_context_user(lws_get_context(wsi));
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->connected = 1;
		log_debug(SCOPE, "connected");
		if (c->qhead)
			lws_callback_on_writable(wsi);
		if (c->cb.connected)
			c->cb.connected(c->cb.arg);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writeable(c, wsi);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		notify_closed(c, in ? (const char *)in : "connection failed");
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		notify_closed(c, "the server closed the connection");
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{SIG_SUBPROTOCOL, callback, 0, 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Debug only, errors too: connection errors reach the session as events, with their text. */
static void lws_log_to_ours(int level, const char *line)
{
	(void)level;
	log_line(LOG_DEBUG, "lws", line);
}

static int connect_url(struct sigclient *c, const struct sigclient_config *cfg, char *err,
		       size_t errlen)
{
	struct lws_client_connect_info ci;
	const char *prot, *host, *path;
	char fullpath[1024];
	int port;

	snprintf(c->url, sizeof(c->url), "%s", cfg->url);
	if (lws_parse_uri(c->url, &prot, &host, &port, &path) ||
	    (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0)) {
		snprintf(err, errlen, "bad signaling URL '%s' (want ws://HOST:PORT/ws or wss://...)",
			 cfg->url);
		return -1;
	}
	snprintf(fullpath, sizeof(fullpath), "/%s", path);
	memset(&ci, 0, sizeof(ci));
	ci.context = c->ctx;
	ci.address = host;
	ci.port = port;
	ci.path = fullpath;
	ci.host = host;
	ci.origin = host;
	ci.protocol = SIG_SUBPROTOCOL;
	ci.local_protocol_name = SIG_SUBPROTOCOL;
	if (strcmp(prot, "wss") == 0)
		ci.ssl_connection = LCCSCF_USE_SSL |
				    (cfg->insecure ? LCCSCF_ALLOW_SELFSIGNED |
							     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
						   : 0);
	ci.pwsi = &c->wsi;
	if (!lws_client_connect_via_info(&ci)) {
		snprintf(err, errlen, "cannot connect to %s", cfg->url);
		return -1;
	}
	return 0;
}

struct sigclient *sigclient_new(GMainLoop *loop, const struct sigclient_config *cfg,
				const struct sigclient_callbacks *cb, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	void *foreign[1] = {loop};
	struct sigclient *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cb = *cb;
	buf_init(&c->rx, SIGCLIENT_MAX_MESSAGE);
	lws_set_log_level(log_max_level >= LOG_DEBUG ? (LLL_ERR | LLL_WARN) : 0, lws_log_to_ours);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = c;
	/* One loop for libnice and the WebSocket: lws runs on our GLib main loop. OpenSSL is
	 * initialised only for wss://: its tables are megabytes of resident memory. */
	info.options = LWS_SERVER_OPTION_GLIB;
	if (strncmp(cfg->url, "wss:", 4) == 0)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	/* One connection and lws's cancel pipe. Left at 0, lws sizes two tables to the open-file
	 * limit (RLIMIT_NOFILE) and fills them: 2 x 160 KB at 20000, 2 x 8 MiB at the 1048576 of
	 * many containers. With a limit it looks fds up by search, which is fine for three. */
	info.fd_limit_per_thread = SIGCLIENT_LWS_FDS;
	info.client_ssl_ca_filepath = cfg->ca_file;
	c->ctx = lws_create_context(&info);
	if (!c->ctx) {
		snprintf(err, errlen, "cannot create the WebSocket context (GLib plugin missing?)");
		goto fail;
	}
	if (connect_url(c, cfg, err, errlen) < 0)
		goto fail;
	return c;
fail:
	sigclient_free(c);
	return NULL;
}

int sigclient_send(struct sigclient *c, json_t *msg)
{
	if (!msg)
		return -1;
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text || c->closed || c->qcount >= SIGCLIENT_MAX_QUEUE) {
		free(text);
		return -1;
	}
	size_t len = strlen(text);
	struct qitem *q = malloc(sizeof(*q) + LWS_PRE + len);
	if (!q) {
		free(text);
		return -1;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->buf + LWS_PRE, text, len);
	free(text);
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	c->qcount++;
	if (c->connected && c->wsi)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void sigclient_close(struct sigclient *c)
{
	c->closed = 1; /* we asked: no closed callback */
	if (c->wsi && c->connected) {
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

void sigclient_free(struct sigclient *c)
{
	if (!c)
		return;
	c->closed = 1;
	if (c->ctx)
		lws_context_destroy(c->ctx);
	struct qitem *q = c->qhead, *next;
	for (; q; q = next) {
		next = q->next;
		free(q);
	}
	buf_free(&c->rx);
	free(c);
}
