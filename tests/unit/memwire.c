#include "memwire.h"

static gboolean deliver(gpointer arg)
{
	struct memwire *w = arg;
	GBytes *b;
	w->idle = 0;
	while ((b = g_queue_pop_head(&w->inbox))) {
		gsize n;
		const uint8_t *p = g_bytes_get_data(b, &n);
		if (*w->dtls)
			dtls_input(*w->dtls, p, n);
		g_bytes_unref(b);
	}
	return G_SOURCE_REMOVE;
}

void memwire_init(struct memwire *w, struct dtls **dtls, struct memwire *peer)
{
	w->peer = peer;
	w->dtls = dtls;
	g_queue_init(&w->inbox);
	w->idle = 0;
}

int memwire_send(struct memwire *w, const uint8_t *buf, size_t len)
{
	struct memwire *to = w->peer;
	g_queue_push_tail(&to->inbox, g_bytes_new(buf, len));
	if (!to->idle)
		to->idle = g_idle_add(deliver, to);
	return 0;
}

int memwire_empty(const struct memwire *w)
{
	return !w->idle && w->inbox.length == 0;
}

void memwire_clear(struct memwire *w)
{
	if (w->idle)
		g_source_remove(w->idle);
	w->idle = 0;
	g_queue_clear_full(&w->inbox, (GDestroyNotify)g_bytes_unref);
}
