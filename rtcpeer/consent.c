#include "consent.h"

#include <glib.h>

#include "util.h"

#define CONSENT_TICK_MS 500

static gboolean on_tick(gpointer arg)
{
	struct consent *c = arg;
	uint64_t now = util_now_ns(), tick = (uint64_t)CONSENT_TICK_MS * 1000000u;
	/* The main loop did not run for a while (a long disk flush, the machine under load): what
	 * the peer sent meanwhile waits unread in the socket, so that time is not its silence. */
	if (now - c->tick_ns > 2 * tick) {
		c->last_ns += now - c->tick_ns - tick;
		if (c->last_ns > now)
			c->last_ns = now;
	}
	c->tick_ns = now;
	if (now - c->last_ns < (uint64_t)c->timeout_ms * 1000000u)
		return G_SOURCE_CONTINUE;
	c->source = 0;
	c->expired(c->arg);
	return G_SOURCE_REMOVE;
}

void consent_start(struct consent *c, unsigned timeout_ms, void (*expired)(void *arg), void *arg)
{
	consent_stop(c);
	c->timeout_ms = timeout_ms;
	c->expired = expired;
	c->arg = arg;
	c->last_ns = c->tick_ns = util_now_ns();
	c->source = g_timeout_add(CONSENT_TICK_MS, on_tick, c);
}

void consent_refresh(struct consent *c)
{
	c->last_ns = util_now_ns();
}

void consent_stop(struct consent *c)
{
	if (c->source)
		g_source_remove(c->source);
	c->source = 0;
}
