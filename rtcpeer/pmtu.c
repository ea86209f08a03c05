#include "pmtu.h"

#include <stdlib.h>
#include <string.h>

#include "dtls.h"
#include "ice.h"
#include "log.h"

#define SCOPE "pmtu"

static void stop_probe(struct pmtu *m)
{
	if (m->timer)
		g_source_remove(m->timer);
	m->timer = 0;
	if (m->probing) {
		dtls_probe_cancel(m->dtls);
		ice_probe_mode(m->ice, 0);
	}
	m->probing = 0;
}

static void finish(struct pmtu *m, size_t datagram)
{
	/* A size or a round trip measured on one pair says nothing of another (a relay adds
	 * headers and distance). */
	if (datagram && ice_pair_serial(m->ice) != m->pair_serial) {
		log_debug(SCOPE, "the selected pair changed while probing: keeping the default");
		datagram = 0;
		m->rtt_ms = -1;
	}
	stop_probe(m);
	m->done(m->arg, datagram);
}

static gboolean on_timeout(gpointer arg)
{
	struct pmtu *m = arg;
	/* The new probe replaces the first (dtls_probe): a late answer to that one is dropped,
	 * which is why the first gets half the wait, a round trip or more, to itself. */
	if (m->tries < PMTU_TRIES && dtls_probe(m->dtls, m->probing) == 0) {
		m->tries++;
		m->sent_us = g_get_monotonic_time();
		return G_SOURCE_CONTINUE;
	}
	m->timer = 0;
	log_debug(SCOPE, "no answer to %u probes of %zu bytes: keeping the default", m->tries,
		  m->probing);
	finish(m, 0);
	return G_SOURCE_REMOVE;
}

int pmtu_start(struct pmtu *m, struct ice *ice, struct dtls *dtls, size_t above,
	       unsigned wait_ms, pmtu_done_fn done, void *arg)
{
	size_t size = ice_probe_max(ice);
	memset(m, 0, sizeof(*m));
	m->rtt_ms = -1;
	m->ice = ice;
	m->dtls = dtls;
	m->done = done;
	m->arg = arg;
	if (size <= above || !dtls_can_probe(dtls) || ice_probe_mode(ice, 1) < 0)
		return -1;
	if (dtls_probe(dtls, size) < 0) {
		ice_probe_mode(ice, 0);
		return -1;
	}
	if (wait_ms < PMTU_MIN_WAIT_MS)
		wait_ms = PMTU_MIN_WAIT_MS;
	if (wait_ms > PMTU_MAX_WAIT_MS)
		wait_ms = PMTU_MAX_WAIT_MS;
	m->probing = size;
	m->sent_us = g_get_monotonic_time();
	m->pair_serial = ice_pair_serial(ice);
	m->tries = 1;
	m->timer = g_timeout_add(wait_ms / PMTU_TRIES, on_timeout, m);
	log_debug(SCOPE, "probing %zu-byte datagrams (waiting %u ms)", size, wait_ms);
	return 0;
}

void pmtu_acked(struct pmtu *m, size_t datagram)
{
	if (!m->probing || datagram != m->probing)
		return;
	m->rtt_ms = (int)((g_get_monotonic_time() - m->sent_us) / 1000);
	log_debug(SCOPE, "the path carries %zu-byte datagrams (answered in %d ms)", datagram,
		  m->rtt_ms);
	finish(m, datagram);
}

int pmtu_probing(const struct pmtu *m)
{
	return m->probing != 0;
}

int pmtu_rtt_ms(const struct pmtu *m)
{
	/* Never started (all zero), or measured on a pair no longer selected: none. */
	return m->ice && ice_pair_serial(m->ice) == m->pair_serial ? m->rtt_ms : -1;
}

void pmtu_hold(struct pmtu *m, const uint8_t *buf, size_t len)
{
	if (m->nheld == PMTU_HELD || m->held_bytes + len > PMTU_HELD_BYTES)
		return;
	uint8_t *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, buf, len);
	m->held[m->nheld].buf = copy;
	m->held[m->nheld].len = len;
	m->nheld++;
	m->held_bytes += len;
}

void pmtu_replay(struct pmtu *m, pmtu_replay_fn fn, void *arg)
{
	/* Taken out first: fn may end the peer, and pmtu_stop() with it. */
	size_t n = m->nheld;
	struct pmtu_held held[PMTU_HELD];
	memcpy(held, m->held, n * sizeof(held[0]));
	m->nheld = 0;
	m->held_bytes = 0;
	for (size_t i = 0; i < n; i++) {
		fn(arg, held[i].buf, held[i].len);
		free(held[i].buf);
	}
}

void pmtu_stop(struct pmtu *m)
{
	stop_probe(m);
	for (size_t i = 0; i < m->nheld; i++)
		free(m->held[i].buf);
	m->nheld = 0;
	m->held_bytes = 0;
}
