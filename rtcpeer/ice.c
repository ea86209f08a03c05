#include "ice.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>
#include <glib.h>

#include "log.h"
#include "util.h"

#define SCOPE "ice"

/* RFC 8445 §14.3: an RTO of at least 500 ms. §14.2 lets Ta be set from the traffic it paces
 * down to 5 ms; a data session has a handful of pairs, and 10 ms instead of libdatachannel's
 * 25 takes ICE on a LAN from ~80 to ~35 ms. */
#define ICE_STUN_INITIAL_TIMEOUT_MS 500
#define ICE_STUN_PACING_MS          10

struct ice {
	NiceAgent *agent;
	guint stream;
	struct ice_callbacks cb;
	enum ice_state state;
	int have_remote;
	int relayed;
	int loopback;
	int probe_family;  /* AF_INET/AF_INET6 when the pair may probe the path MTU, else 0 */
	unsigned link_mtu; /* MTU of the interface under the selected pair (0: unknown) */
	unsigned pair_serial; /* counts selected-pair changes */
	GSocket *probe_sock; /* in probe mode (ice_probe_mode): the socket, and what to restore */
	int probe_v6, saved_pmtudisc;
	int want_relay, have_relay; /* a TURN server was given; it gave us an address */
	gchar *ufrag, *pwd;
	char *queued[ICE_MAX_QUEUED_REMOTE];
	size_t nqueued;
	int remote_done;       /* end-of-candidates seen (possibly before the credentials) */
	char pair[200];
	char local_type[8], remote_type[8];
	uint64_t gathered_ns; /* when local gathering finished */
};

const char *ice_state_name(enum ice_state state)
{
	static const char *const names[] = {"new",          "checking", "connected", "completed",
					    "disconnected", "failed",   "closed"};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static void set_state(struct ice *ice, enum ice_state state)
{
	if (ice->state == state)
		return;
	ice->state = state;
	log_debug(SCOPE, "state %s", ice_state_name(state));
	if (ice->cb.state)
		ice->cb.state(ice->cb.arg, state);
}

/* ---------------------------------------------------------------- libnice signals */

static void on_candidate(NiceAgent *agent, NiceCandidate *cand, gpointer arg)
{
	struct ice *ice = arg;
	if (cand->type == NICE_CANDIDATE_TYPE_RELAYED)
		ice->have_relay = 1;
	gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, cand);
	/* libnice writes "a=candidate:..."; the signaling form has no "a=" (RFC 8839 §5.1). */
	if (sdp && g_str_has_prefix(sdp, "a=") && ice->cb.candidate)
		ice->cb.candidate(ice->cb.arg, sdp + 2);
	g_free(sdp);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer arg)
{
	struct ice *ice = arg;
	(void)agent;
	(void)stream;
	log_debug(SCOPE, "gathering done");
	ice->gathered_ns = util_now_ns();
	if (ice->want_relay && !ice->have_relay)
		log_warn(SCOPE, "no relay address from the TURN server: it refused the credentials "
				"or cannot be reached");
	if (ice->cb.candidate)
		ice->cb.candidate(ice->cb.arg, NULL);
}

static void on_component_state(NiceAgent *agent, guint stream, guint component, guint state,
			       gpointer arg)
{
	struct ice *ice = arg;
	(void)agent;
	(void)stream;
	(void)component;
	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTING:
		set_state(ice, ICE_CHECKING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
		set_state(ice, ICE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_READY:
		set_state(ice, ICE_COMPLETED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		set_state(ice, ICE_FAILED);
		break;
	case NICE_COMPONENT_STATE_DISCONNECTED:
		if (ice->state == ICE_CONNECTED || ice->state == ICE_COMPLETED)
			set_state(ice, ICE_DISCONNECTED);
		break;
	default:
		break;
	}
}

static const char *cand_type(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST:
		return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED:
		return "relay";
	}
	return "?";
}

static int is_loopback(const NiceAddress *a)
{
	if (a->s.addr.sa_family == AF_INET)
		return (ntohl(a->s.ip4.sin_addr.s_addr) >> 24) == 127;
	if (a->s.addr.sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&a->s.ip6.sin6_addr);
	return 0;
}

/* "192.0.2.1:5000" or "[2001:db8::1]:5000" (RFC 3986 §3.2.2: an IPv6 address in brackets, so
 * the port is not read as its last group). */
static void format_endpoint(const NiceAddress *a, char *out, size_t outlen)
{
	char host[NICE_ADDRESS_STRING_LEN];
	nice_address_to_string(a, host);
	snprintf(out, outlen, a->s.addr.sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 nice_address_get_port(a));
}

static int same_ip(const struct sockaddr *a, const NiceAddress *b)
{
	if (a->sa_family != b->s.addr.sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       b->s.ip4.sin_addr.s_addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)a;
	/* A link-local address can be on several interfaces: the scope says which. */
	return a->sa_family == AF_INET6 &&
	       memcmp(&a6->sin6_addr, &b->s.ip6.sin6_addr, sizeof(struct in6_addr)) == 0 &&
	       (!IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) ||
		a6->sin6_scope_id == b->s.ip6.sin6_scope_id);
}

/* The MTU of the interface that has this address, or 0. */
static unsigned interface_mtu(const NiceAddress *addr)
{
	struct ifaddrs *list, *i;
	unsigned mtu = 0;
	if (getifaddrs(&list) < 0)
		return 0;
	for (i = list; i; i = i->ifa_next)
		if (i->ifa_addr && same_ip(i->ifa_addr, addr))
			break;
	int fd = i ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
	if (fd >= 0) {
		struct ifreq req;
		memset(&req, 0, sizeof(req));
		snprintf(req.ifr_name, sizeof(req.ifr_name), "%s", i->ifa_name);
		if (ioctl(fd, SIOCGIFMTU, &req) == 0 && req.ifr_mtu > 0)
			mtu = (unsigned)req.ifr_mtu;
		close(fd);
	}
	freeifaddrs(list);
	return mtu;
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint component,
			     NiceCandidate *local, NiceCandidate *remote, gpointer arg)
{
	struct ice *ice = arg;
	char la[NICE_ADDRESS_STRING_LEN + 8], ra[NICE_ADDRESS_STRING_LEN + 8];
	(void)agent;
	(void)stream;
	(void)component;
	format_endpoint(&local->addr, la, sizeof(la));
	format_endpoint(&remote->addr, ra, sizeof(ra));
	const char *proto = local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
	snprintf(ice->pair, sizeof(ice->pair), "%s %s %s -> %s %s", proto, cand_type(local->type),
		 la, cand_type(remote->type), ra);
	snprintf(ice->local_type, sizeof(ice->local_type), "%s", cand_type(local->type));
	snprintf(ice->remote_type, sizeof(ice->remote_type), "%s", cand_type(remote->type));
	ice->relayed = local->type == NICE_CANDIDATE_TYPE_RELAYED ||
		       remote->type == NICE_CANDIDATE_TYPE_RELAYED;
	ice->loopback = is_loopback(&local->addr) && is_loopback(&remote->addr);
	ice->pair_serial++;
	/* Probing means sending datagrams that must not be fragmented: only on a UDP socket of
	 * our own (host, srflx or prflx), to a peer that is not behind a relay either. */
	ice->probe_family = local->transport == NICE_CANDIDATE_TRANSPORT_UDP && !ice->relayed &&
					    !ice->loopback
				    ? local->addr.s.addr.sa_family
				    : 0;
	/* A server-reflexive or peer-reflexive candidate's own address is the NAT's; its base is
	 * the address of our interface. */
	ice->link_mtu = ice->probe_family ? interface_mtu(nice_address_is_valid(&local->base_addr)
								  ? &local->base_addr
								  : &local->addr)
					  : 0;
	log_debug(SCOPE, "selected %s (interface MTU %u)", ice->pair, ice->link_mtu);
}

static void on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
		    gpointer arg)
{
	struct ice *ice = arg;
	(void)agent;
	(void)stream;
	(void)component;
	if (ice->cb.recv)
		ice->cb.recv(ice->cb.arg, (const uint8_t *)buf, len);
}

/* ---------------------------------------------------------------- setup */

/* libnice takes numeric addresses only; resolve names once, here (IPv4 preferred: TURN
 * servers are more often reachable over it). */
static int resolve(const char *host, char *out, size_t outlen)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	NiceAddress a;
	nice_address_init(&a);
	nice_address_set_from_sockaddr(&a, res->ai_addr);
	freeaddrinfo(res);
	if (outlen < NICE_ADDRESS_STRING_LEN)
		return -1;
	nice_address_to_string(&a, out);
	return 0;
}

static int add_servers(struct ice *ice, const struct ice_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nservers; i++) {
		const struct ice_server *s = &cfg->servers[i];
		char ip[NICE_ADDRESS_STRING_LEN];
		if (resolve(s->host, ip, sizeof(ip)) < 0) {
			snprintf(err, errlen, "cannot resolve ICE server '%s'", s->host);
			return -1;
		}
		if (s->kind == ICE_SERVER_STUN) {
			/* libnice takes one STUN server; with TURN as well it only slows gathering
			 * (TURN's Allocate gives the srflx address too). */
			g_object_set(ice->agent, "stun-server", ip, "stun-server-port", (guint)s->port,
				     NULL);
			continue;
		}
		ice->want_relay = 1;
		if (!nice_agent_set_relay_info(ice->agent, ice->stream, 1, ip, s->port, s->username,
					       s->credential,
					       s->kind == ICE_SERVER_TURN_TCP ? NICE_RELAY_TYPE_TURN_TCP
									      : NICE_RELAY_TYPE_TURN_UDP)) {
			snprintf(err, errlen, "libnice refused TURN server %s", s->host);
			return -1;
		}
	}
	return 0;
}

static int add_local_addrs(struct ice *ice, const struct ice_config *cfg, char *err,
			   size_t errlen)
{
	for (size_t i = 0; i < cfg->nlocal_addrs; i++) {
		NiceAddress a;
		nice_address_init(&a);
		if (!nice_address_set_from_string(&a, cfg->local_addrs[i]) ||
		    !nice_agent_add_local_address(ice->agent, &a)) {
			snprintf(err, errlen, "bad local address '%s'", cfg->local_addrs[i]);
			return -1;
		}
	}
	return 0;
}

static void connect_signals(struct ice *ice)
{
	g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_candidate), ice);
	g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
	g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
	g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
}

struct ice *ice_new(const struct ice_config *cfg, const struct ice_callbacks *cb, char *err,
		    size_t errlen)
{
	struct ice *ice = calloc(1, sizeof(*ice));
	if (!ice)
		return NULL;
	ice->cb = *cb;
	ice->agent = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_REGULAR_NOMINATION |
						 NICE_AGENT_OPTION_ICE_TRICKLE);
	if (!ice->agent) {
		snprintf(err, errlen, "cannot create the ICE agent");
		goto fail;
	}
	g_object_set(ice->agent, "controlling-mode", (gboolean)cfg->controlling, "upnp", FALSE,
		     "ice-tcp", (gboolean)cfg->tcp, "force-relay", (gboolean)cfg->force_relay,
		     "stun-initial-timeout", (guint)ICE_STUN_INITIAL_TIMEOUT_MS,
		     "stun-pacing-timer", (guint)ICE_STUN_PACING_MS, "keepalive-conncheck", TRUE,
		     NULL);
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (!ice->stream) {
		snprintf(err, errlen, "cannot add the ICE stream");
		goto fail;
	}
	nice_agent_set_stream_name(ice->agent, ice->stream, "application");
	if (add_local_addrs(ice, cfg, err, errlen) < 0 || add_servers(ice, cfg, err, errlen) < 0)
		goto fail;
	connect_signals(ice);
	nice_agent_attach_recv(ice->agent, ice->stream, 1, g_main_context_default(), on_recv, ice);
	if (!nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd)) {
		snprintf(err, errlen, "cannot read the ICE credentials");
		goto fail;
	}
	return ice;
fail:
	ice_free(ice);
	return NULL;
}

int ice_gather(struct ice *ice)
{
	return nice_agent_gather_candidates(ice->agent, ice->stream) ? 0 : -1;
}

const char *ice_local_ufrag(const struct ice *ice)
{
	return ice->ufrag;
}

const char *ice_local_pwd(const struct ice *ice)
{
	return ice->pwd;
}

/* ---------------------------------------------------------------- remote side */

/* libnice 0.1.21 wants "a=candidate:..." with no trailing whitespace (WEBRTC-NOTES §2.3). */
static int apply_candidate(struct ice *ice, const char *cand)
{
	gchar *line = g_str_has_prefix(cand, "a=") ? g_strdup(cand) : g_strconcat("a=", cand, NULL);
	g_strchomp(line);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, line);
	if (!c) {
		/* Most often a browser's mDNS name: its checks still reach us and libnice learns
		 * its address as peer-reflexive (WEBRTC-NOTES §2.4). */
		log_debug(SCOPE, "ignoring remote candidate libnice cannot use: %s", line);
		g_free(line);
		return -1;
	}
	GSList *list = g_slist_append(NULL, c);
	int n = nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	log_debug(SCOPE, "remote candidate %s", line);
	g_free(line);
	return n == 1 ? 0 : -1;
}

int ice_set_remote(struct ice *ice, const char *ufrag, const char *pwd)
{
	if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd))
		return -1;
	ice->have_remote = 1;
	for (size_t i = 0; i < ice->nqueued; i++) {
		apply_candidate(ice, ice->queued[i]);
		free(ice->queued[i]);
	}
	ice->nqueued = 0;
	if (ice->remote_done)
		nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
	return 0;
}

int ice_add_remote_candidate(struct ice *ice, const char *cand)
{
	if (cand[0] == '\0') { /* RFC 8838 §8.2 end-of-candidates */
		ice->remote_done = 1;
		if (ice->have_remote)
			nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
		return 0;
	}
	if (ice->have_remote)
		return apply_candidate(ice, cand);
	if (ice->nqueued == ICE_MAX_QUEUED_REMOTE)
		return -1;
	ice->queued[ice->nqueued] = strdup(cand);
	if (!ice->queued[ice->nqueued])
		return -1;
	ice->nqueued++;
	return 0;
}

int ice_send(struct ice *ice, const uint8_t *buf, size_t len)
{
	if (ice->state != ICE_CONNECTED && ice->state != ICE_COMPLETED &&
	    ice->state != ICE_DISCONNECTED)
		return -1;
	/* A negative return is a full socket buffer or a transient error: a lost datagram. */
	nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)buf);
	return 0;
}

const char *ice_selected_pair(const struct ice *ice)
{
	return ice->pair[0] ? ice->pair : NULL;
}

const char *ice_pair_type(const struct ice *ice, int remote)
{
	return remote ? ice->remote_type : ice->local_type;
}

uint64_t ice_gathered_ns(const struct ice *ice)
{
	return ice->gathered_ns;
}

int ice_relay_missing(const struct ice *ice)
{
	return ice->want_relay && !ice->have_relay && ice->gathered_ns;
}

int ice_loopback(const struct ice *ice)
{
	return ice->loopback;
}

size_t ice_probe_max(const struct ice *ice)
{
	/* Ethernet's 1500, or less when our own interface is smaller (a VPN's, say): beyond
	 * 1500 few paths go, and a larger probe that fails would leave only the default. */
	size_t mtu = ice->link_mtu && ice->link_mtu < 1500 ? ice->link_mtu : 1500;
	size_t headers = ice->probe_family == AF_INET ? 20 + 8 : 40 + 8;
	return ice->probe_family && mtu > headers ? mtu - headers : 0;
}

unsigned ice_pair_serial(const struct ice *ice)
{
	return ice->pair_serial;
}

static int set_pmtudisc(GSocket *sock, int v6, const int *value, int *old)
{
	int fd = g_socket_get_fd(sock);
	int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP, name = v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER;
	socklen_t len = sizeof(*old);
	if (old && getsockopt(fd, level, name, old, &len) < 0)
		return -1;
	return setsockopt(fd, level, name, value, sizeof(*value));
}

/* The socket is kept, not looked up again: restoring must reach the one that was changed,
 * whatever pair libnice selects meanwhile. */
int ice_probe_mode(struct ice *ice, int on)
{
	if (!on) {
		if (!ice->probe_sock)
			return -1;
		int rc = set_pmtudisc(ice->probe_sock, ice->probe_v6, &ice->saved_pmtudisc, NULL);
		g_object_unref(ice->probe_sock);
		ice->probe_sock = NULL;
		return rc;
	}
	if (!ice->probe_family || ice->probe_sock)
		return -1;
	GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
	if (!sock)
		return -1;
	int v6 = ice->probe_family == AF_INET6;
	int probe = v6 ? IPV6_PMTUDISC_PROBE : IP_PMTUDISC_PROBE;
	if (set_pmtudisc(sock, v6, &probe, &ice->saved_pmtudisc) < 0) {
		g_object_unref(sock);
		return -1;
	}
	ice->probe_sock = sock;
	ice->probe_v6 = v6;
	return 0;
}

int ice_relayed(const struct ice *ice)
{
	return ice->relayed;
}

static void closed_cb(GObject *src, GAsyncResult *res, gpointer unused)
{
	(void)res;
	(void)unused;
	g_object_unref(src); /* the reference ice_close() kept for the async close */
}

void ice_close(struct ice *ice)
{
	if (!ice->agent || ice->state == ICE_CLOSED)
		return;
	set_state(ice, ICE_CLOSED);
	nice_agent_attach_recv(ice->agent, ice->stream, 1, g_main_context_default(), NULL, NULL);
	/* Releases TURN allocations (else a rerun from the same port gets 437 for 10 min). */
	nice_agent_close_async(ice->agent, closed_cb, g_object_ref(ice->agent));
}

void ice_free(struct ice *ice)
{
	if (!ice)
		return;
	if (ice->probe_sock)
		g_object_unref(ice->probe_sock);
	if (ice->agent) {
		g_signal_handlers_disconnect_by_data(ice->agent, ice);
		nice_agent_attach_recv(ice->agent, ice->stream, 1, g_main_context_default(), NULL,
				       NULL);
		g_object_unref(ice->agent);
	}
	for (size_t i = 0; i < ice->nqueued; i++)
		free(ice->queued[i]);
	g_free(ice->ufrag);
	g_free(ice->pwd);
	free(ice);
}
