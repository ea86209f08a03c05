/*
 * memwire.h - two DTLS endpoints joined in memory, for in-process stack tests. A datagram sent
 * by one end is queued and handed to the other end's DTLS from an idle callback of the main
 * loop, as a network would: a send never re-enters the peer's stack.
 */
#ifndef TESTS_MEMWIRE_H
#define TESTS_MEMWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dtls.h"

struct memwire {
	struct memwire *peer;
	struct dtls **dtls;   /* where this end's datagrams go (may still be NULL) */
	GQueue inbox;         /* GBytes not yet delivered */
	guint idle;
};

void memwire_init(struct memwire *w, struct dtls **dtls, struct memwire *peer);
/* Queues a datagram for w's peer. Returns 0. */
int memwire_send(struct memwire *w, const uint8_t *buf, size_t len);
/* Nothing queued for w and no delivery pending. */
int memwire_empty(const struct memwire *w);
void memwire_clear(struct memwire *w);

#endif
