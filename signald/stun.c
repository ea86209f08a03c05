#include "stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include "log.h"
#include "util.h"

#define STUN_BATCH   64   /* datagrams per readable event */
#define STUN_MAX_PKT 1280 /* larger "Binding requests" are not ours to answer */

int stun_open(const char *host, int *port, char *err, size_t errlen)
{
	char portstr[8];
	struct addrinfo hints, *res = NULL;
	snprintf(portstr, sizeof(portstr), "%d", *port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res) != 0 || !res) {
		snprintf(err, errlen, "--stun-listen: '%s' is not a numeric address", host);
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		snprintf(err, errlen, "--stun-listen %s port %d: %s", host, *port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static const uint16_t known_attributes[] = {STUN_ATTRIBUTE_FINGERPRINT, STUN_ATTRIBUTE_SOFTWARE,
					     0};

/* RFC 3489 ("classic") clients send no magic cookie and read MAPPED-ADDRESS; libnice uses that
 * form for server-reflexive discovery. RFC 8489 §12 asks servers to answer them. */
static size_t answer_classic(const uint8_t *in, size_t len, const struct sockaddr *from,
			     socklen_t fromlen, uint8_t *out, size_t cap)
{
	StunAgent agent;
	StunMessage req, resp;
	stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC3489,
			STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
	if (stun_agent_validate(&agent, &req, in, len, NULL, NULL) != STUN_VALIDATION_SUCCESS ||
	    stun_message_get_class(&req) != STUN_REQUEST ||
	    stun_message_get_method(&req) != STUN_BINDING ||
	    !stun_agent_init_response(&agent, &resp, out, cap, &req) ||
	    stun_message_append_addr(&resp, STUN_ATTRIBUTE_MAPPED_ADDRESS, from, fromlen) !=
		    STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return stun_agent_finish_message(&agent, &resp, NULL, 0);
}

/* An IPv4 client of a socket bound to [::] arrives as ::ffff:a.b.c.d; its reflexive address
 * is the IPv4 one, in an IPv4 attribute. */
static socklen_t unmapped(const struct sockaddr_storage *from, socklen_t fromlen,
			  struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;
	if (from->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(out, from, fromlen);
		return fromlen;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	memset(out, 0, sizeof(*out));
	s4->sin_family = AF_INET;
	s4->sin_port = s6->sin6_port;
	memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	return sizeof(*s4);
}

/* One more answer this second? A bucket one second deep, refilled at rate a second. */
static int may_answer(struct stun_stats *st)
{
	if (!st->rate)
		return 1;
	uint64_t now = util_now_ms();
	st->tokens = util_bucket_refill(st->tokens, now - st->refill_ms, st->rate,
					(uint64_t)st->rate * 1000);
	st->refill_ms = now;
	if (st->tokens < 1000)
		return 0;
	st->tokens -= 1000;
	return 1;
}

/* Builds the answer to one datagram into out; returns its length, or 0 to stay silent. */
static size_t answer(const uint8_t *in, size_t len, const struct sockaddr *from,
		     socklen_t fromlen, uint8_t *out, size_t cap)
{
	/* RFC 8489 §14.7: FINGERPRINT is optional in a request but, when present, must be
	 * right; we always add one to the answer. No credentials for Binding. */
	StunAgent plain, agent;
	StunMessage req, resp;
	uint16_t fplen;

	if (len >= 8 && memcmp(in + 4, "\x21\x12\xa4\x42", 4) != 0)
		return answer_classic(in, len, from, fromlen, out, cap);
	stun_agent_init(&plain, known_attributes, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
	stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_USE_FINGERPRINT | STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
	StunValidationStatus v = stun_agent_validate(&plain, &req, in, len, NULL, NULL);
	if (v == STUN_VALIDATION_SUCCESS &&
	    stun_message_find(&req, STUN_ATTRIBUTE_FINGERPRINT, &fplen))
		v = stun_agent_validate(&agent, &req, in, len, NULL, NULL);
	if (v != STUN_VALIDATION_SUCCESS || stun_message_get_class(&req) != STUN_REQUEST ||
	    stun_message_get_method(&req) != STUN_BINDING) {
		log_debug("stun", "dropped %zu bytes (validation %d)", len, (int)v);
		return 0;
	}
	if (!stun_agent_init_response(&agent, &resp, out, cap, &req) ||
	    stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
					 (const struct sockaddr_storage *)(const void *)from,
					 fromlen) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return stun_agent_finish_message(&agent, &resp, NULL, 0);
}

void stun_service(int fd, struct stun_stats *st)
{
	for (int i = 0; i < STUN_BATCH; i++) {
		uint8_t in[STUN_MAX_PKT + 1], out[STUN_MAX_PKT];
		struct sockaddr_storage from, mapped;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return; /* EAGAIN: drained; anything else: nothing we can do here */
		socklen_t mappedlen = unmapped(&from, fromlen, &mapped);
		size_t m = (size_t)n <= STUN_MAX_PKT
				   ? answer(in, (size_t)n, (struct sockaddr *)&mapped, mappedlen, out,
					    sizeof(out))
				   : 0;
		/* Only valid requests count against the cap: junk cannot use up the answers. */
		if (m && may_answer(st) &&
		    sendto(fd, out, m, 0, (struct sockaddr *)&from, fromlen) == (ssize_t)m)
			st->answered++;
		else
			st->dropped++;
	}
}
