/*
 * stun.h - a STUN Binding responder (RFC 8489 §3, §14.2) on a UDP port beside signald, so a
 * small deployment needs no separate server for clients to learn their reflexive address.
 * Message handling is libnice's STUN library (the same code rtcpeer's ICE uses); this file only
 * owns the socket. It answers valid Binding requests with XOR-MAPPED-ADDRESS and FINGERPRINT,
 * and nothing else: every other packet is dropped without an answer. An answer is 2-2.6 times
 * the size of a minimal request, as from any STUN server; so that a flood with a spoofed
 * source cannot use it as a reflector at any rate, answers are capped per second (all sources
 * together: a STUN request is made a few times per connection attempt).
 */
#ifndef SIGNALD_STUN_H
#define SIGNALD_STUN_H

#include <stddef.h>
#include <stdint.h>

/* Binds UDP on host ("": all) and *port (0: any; *port gets the one bound), non-blocking.
 * Returns the fd, or -1 with err filled. */
int stun_open(const char *host, int *port, char *err, size_t errlen);
struct stun_stats {
	uint64_t answered, dropped;
	unsigned long rate;   /* answers a second, 0: no cap; set by the caller */
	uint64_t tokens;      /* in thousandths of an answer, at most one second's worth */
	uint64_t refill_ms;
};

/* Answers what is waiting on fd (at most a bounded batch, to keep the loop fair). */
void stun_service(int fd, struct stun_stats *st);

#endif
