#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opt.h"

#define STR_(x) #x
#define STR(x)  STR_(x)
#define FIELD(f) offsetof(struct signald_config, f)

#ifndef SIGNALD_DEFAULT_WEB_ROOT
#define SIGNALD_DEFAULT_WEB_ROOT "/usr/local/share/signald/www"
#endif

static const struct opt_def options[] = {
	{"listen", 'l', OPT_STRING, "ADDR:PORT", SIGNALD_DEFAULT_LISTEN, 0, 0, FIELD(listen),
	 "address and port to listen on; port 0 picks a free port; [::1]:PORT for IPv6"},
	{"web-root", 0, OPT_STRING, "DIR", SIGNALD_DEFAULT_WEB_ROOT, 0, 0, FIELD(web_root),
	 "directory of static files served over HTTP at /"},
	{"tls-cert", 0, OPT_STRING, "FILE", NULL, 0, 0, FIELD(tls_cert),
	 "PEM certificate chain: serve wss:// and https:// (needs --tls-key)"},
	{"tls-key", 0, OPT_STRING, "FILE", NULL, 0, 0, FIELD(tls_key), "PEM private key"},
	{"max-message-size", 0, OPT_UINT, "BYTES", STR(SIGNALD_DEFAULT_MAX_MESSAGE), 256, 16777216,
	 FIELD(max_message_size), "largest message accepted; larger closes with 1009"},
	{"max-peers-per-room", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_PEERS_PER_ROOM), 2, 65535,
	 FIELD(max_peers_per_room), "members per room (a join may ask for fewer)"},
	{"max-rooms", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_MAX_ROOMS), 1, 10000000,
	 FIELD(max_rooms), "rooms alive at once"},
	{"max-connections", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_MAX_CONNS), 1, 10000000,
	 FIELD(max_connections), "WebSocket connections at once (also capped by the fd limit)"},
	{"max-connections-per-ip", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_CONNS_PER_IP), 0, 10000000,
	 FIELD(max_connections_per_ip), "WebSocket connections per client address; 0: no limit"},
	{"ipv6-limit-prefix", 0, OPT_UINT, "BITS", STR(SIGNALD_DEFAULT_V6_PREFIX), 32, 128,
	 FIELD(ipv6_prefix), "IPv6 clients count against the per-address limit by this prefix"},
	{"rate-limit", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_RATE), 0, 10000000, FIELD(rate_limit),
	 "messages per second per connection; 0: no limit"},
	{"rate-burst", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_BURST), 1, 10000000,
	 FIELD(rate_burst), "messages a connection may send at once before the rate applies"},
	{"byte-rate-limit", 0, OPT_UINT, "BYTES", STR(SIGNALD_DEFAULT_BYTE_RATE), 0, 1073741824,
	 FIELD(byte_rate_limit), "message bytes per second per connection (bursts of 1 MiB, or "
	 "of --max-message-size if larger); 0: no limit"},
	{"max-queue-bytes", 0, OPT_UINT, "BYTES", STR(SIGNALD_DEFAULT_QUEUE_BYTES), 65536,
	 1073741824, FIELD(max_queue_bytes),
	 "bytes queued to one client before it is dropped as not reading"},
	{"idle-timeout", 0, OPT_UINT, "SECS", STR(SIGNALD_DEFAULT_IDLE_SECS), 2, 65535,
	 FIELD(idle_timeout), "drop a connection silent this long (pinged at half of it)"},
	{"ice-servers", 0, OPT_STRING, "JSON", "[]", 0, 0, FIELD(ice_servers_text),
	 "RTCIceServer array sent to clients in 'joined'"},
	{"stun-url", 0, OPT_STRING, "URLS", NULL, 0, 0, FIELD(stun_urls_text),
	 "STUN servers for clients, comma-separated stun:HOST[:PORT] URLs"},
	{"turn-url", 0, OPT_STRING, "URLS", NULL, 0, 0, FIELD(turn_urls_text),
	 "TURN servers for clients, comma-separated turn:HOST[:PORT][?transport=udp|tcp] URLs"},
	{"turn-secret", 0, OPT_STRING, "SECRET", NULL, 0, 0, FIELD(turn_secret),
	 "TURN REST shared secret (coturn static-auth-secret): each join gets credentials "
	 "(prefer the environment variable)"},
	{"stun-rate-limit", 0, OPT_UINT, "N", STR(SIGNALD_DEFAULT_STUN_RATE), 0, 10000000,
	 FIELD(stun_rate_limit), "STUN answers per second, all clients together; 0: no limit"},
	{"stun-listen", 0, OPT_STRING, "ADDR:PORT", NULL, 0, 0, FIELD(stun_listen),
	 "answer STUN Binding requests on this UDP address (RFC 8489); port 0 picks one"},
	{"turn-ttl", 0, OPT_UINT, "SECS", STR(SIGNALD_DEFAULT_TURN_TTL), 60, 604800,
	 FIELD(turn_ttl), "lifetime of the TURN credentials"},
	{"token", 0, OPT_STRING, "TOKEN", NULL, 0, 0, FIELD(token),
	 "require this token in 'join' (prefer the environment variable: argv is public)"},
	{"log-level", 0, OPT_STRING, "LEVEL", "info", 0, 0, FIELD(log_level_text),
	 "error, warn, info or debug"},
	{"log-format", 0, OPT_STRING, "FORMAT", "text", 0, 0, FIELD(log_format_text),
	 "text or json (one object per line)"},
	{"help", 'h', OPT_FLAG, NULL, NULL, 0, 0, FIELD(help), "show this help and exit"},
	{"version", 'V', OPT_FLAG, NULL, NULL, 0, 0, FIELD(version), "show the version and exit"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

void config_print_help(FILE *out)
{
	fprintf(out, "Usage: signald [OPTION]...\n"
		     "WebRTC signaling daemon: peers join rooms over WebSocket (subprotocol "
		     "rtc-signal.v1)\nand signald relays offers, answers, candidates and "
		     "publishes between them.\n\nOptions:\n");
	opt_print_help(out, options, NOPTIONS, "SIGNALD");
	fprintf(out, "\nSee signald(8) and PROTOCOL.md.\n");
}

/* "ADDR:PORT" or "[V6ADDR]:PORT"; the host part may be empty (all interfaces). */
/* "ADDR:PORT" or "[V6ADDR]:PORT"; the host part may be empty (all interfaces). */
static int parse_listen(const char *text, char *host, size_t hostcap, int *port)
{
	unsigned long p;
	if (opt_parse_hostport(text, strlen(text), host, hostcap, &p, 0) < 0)
		return -1;
	*port = (int)p;
	return 0;
}

/* "a,b,c" -> ["a","b","c"], each starting with prefix ("turn" admits turn: and turns:). */
static int parse_urls(const char *text, const char *prefix, json_t **out)
{
	*out = json_array();
	if (!*out)
		return -1;
	if (!text)
		return 0;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n > 255 || strncmp(p, prefix, strlen(prefix)) != 0) {
			fprintf(stderr, "signald: '%.*s' is not a %s URL\n", (int)n, p, prefix);
			return -1;
		}
		json_array_append_new(*out, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return 0;
}

/* What a relayed copy can add to a message (its "from", the queue's per-message overhead). */
#define QUEUE_MARGIN 1024

static int validate(struct signald_config *cfg)
{
	enum log_level level;
	enum log_format format;
	json_error_t jerr;

	if (parse_listen(cfg->listen, cfg->listen_host, sizeof(cfg->listen_host),
			 &cfg->listen_port) < 0) {
		fprintf(stderr, "signald: --listen '%s': expected ADDR:PORT\n", cfg->listen);
		return -1;
	}
	if (cfg->stun_listen && parse_listen(cfg->stun_listen, cfg->stun_host,
					     sizeof(cfg->stun_host), &cfg->stun_port) < 0) {
		fprintf(stderr, "signald: --stun-listen '%s': expected ADDR:PORT\n",
			cfg->stun_listen);
		return -1;
	}
	/* A relay is queued whole, a little longer than it came (the server adds "from"). */
	if (cfg->max_queue_bytes < cfg->max_message_size + QUEUE_MARGIN) {
		fprintf(stderr, "signald: --max-queue-bytes %lu is too small for --max-message-size "
			"%lu: it must be at least %lu, or the largest messages could never be "
			"relayed\n", cfg->max_queue_bytes, cfg->max_message_size,
			cfg->max_message_size + QUEUE_MARGIN);
		return -1;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		fprintf(stderr, "signald: --tls-cert and --tls-key go together\n");
		return -1;
	}
	if (log_level_parse(cfg->log_level_text, &level) < 0 ||
	    log_format_parse(cfg->log_format_text, &format) < 0) {
		fprintf(stderr, "signald: bad --log-level or --log-format (see --help)\n");
		return -1;
	}
	cfg->ice_servers = json_loads(cfg->ice_servers_text, 0, &jerr);
	if (!json_is_array(cfg->ice_servers)) {
		fprintf(stderr, "signald: --ice-servers: expected a JSON array (%s)\n",
			cfg->ice_servers ? "not an array" : jerr.text);
		return -1;
	}
	if (parse_urls(cfg->stun_urls_text, "stun:", &cfg->stun_urls) < 0 ||
	    parse_urls(cfg->turn_urls_text, "turn", &cfg->turn_urls) < 0)
		return -1;
	if (json_array_size(cfg->turn_urls) && (!cfg->turn_secret || !cfg->turn_secret[0])) {
		/* An empty secret would key every credential with nothing: anyone could make them. */
		fprintf(stderr, "signald: --turn-url needs a non-empty --turn-secret "
			"(SIGNALD_TURN_SECRET)\n");
		return -1;
	}
	log_setup("signald", level, format);
	return 0;
}

int config_load(struct signald_config *cfg, int argc, char **argv)
{
	char err[OPT_ERR_LEN];
	const char *pos[1];
	size_t npos;

	memset(cfg, 0, sizeof(*cfg));
	if (opt_parse(options, NOPTIONS, cfg, "SIGNALD", argc, argv, pos, 0, &npos, err) < 0) {
		fprintf(stderr, "signald: %s\n", err);
		return -1;
	}
	if (cfg->help) {
		config_print_help(stdout);
		return 1;
	}
	if (cfg->version) {
		printf("signald %s (protocol rtc-signal.v1)\n", SIGNALD_VERSION);
		return 1;
	}
	if (validate(cfg) < 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

void config_free(struct signald_config *cfg)
{
	json_decref(cfg->ice_servers);
	json_decref(cfg->stun_urls);
	json_decref(cfg->turn_urls);
	cfg->ice_servers = cfg->stun_urls = cfg->turn_urls = NULL;
}
