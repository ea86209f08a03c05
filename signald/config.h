/*
 * config.h - every knob of signald: one table (config.c) gives the flag, the SIGNALD_*
 * environment variable, the default, the bounds and the help line.
 */
#ifndef SIGNALD_CONFIG_H
#define SIGNALD_CONFIG_H

#include <jansson.h>
#include <stdio.h>

/* Defaults. Each is a limit a hostile or broken client pushes against; the reason is beside it. */
#define SIGNALD_DEFAULT_LISTEN          "127.0.0.1:8080" /* private by default; opt in to public */
#define SIGNALD_DEFAULT_MAX_MESSAGE     65536    /* an SDP with many m-lines is ~10 KiB; 6x room */
#define SIGNALD_DEFAULT_PEERS_PER_ROOM  64       /* a mesh call beyond this needs an SFU anyway */
#define SIGNALD_DEFAULT_MAX_ROOMS       100000
#define SIGNALD_DEFAULT_MAX_CONNS       50000    /* also capped by RLIMIT_NOFILE */
#define SIGNALD_DEFAULT_CONNS_PER_IP    100      /* a NAT'd office, not a botnet */
#define SIGNALD_DEFAULT_V6_PREFIX       64       /* one IPv6 subscriber: a /64 costs nothing */
#define SIGNALD_DEFAULT_RATE            50       /* msg/s: trickle ICE bursts are ~20 candidates */
#define SIGNALD_DEFAULT_BURST           100
#define SIGNALD_DEFAULT_BYTE_RATE       262144   /* B/s: SDP and candidates are a few KiB a call */
#define SIGNALD_BYTE_BURST_MIN          1048576  /* bytes at once; at least one largest message */
#define SIGNALD_DEFAULT_QUEUE_BYTES     1048576  /* 16 max-size messages; then it is not reading */
#define SIGNALD_DEFAULT_IDLE_SECS       60       /* ping after half of it, drop after all of it */
#define SIGNALD_DEFAULT_SHUTDOWN_MS     3000     /* grace for close frames on SIGTERM */
#define SIGNALD_DEFAULT_TURN_TTL        3600     /* a credential outlives any call setup */
#define SIGNALD_DEFAULT_STUN_RATE       10000    /* answers/s: ~0.5 MB/s reflected at most */

struct signald_config {
	const char *listen;
	const char *web_root;
	const char *tls_cert;
	const char *tls_key;
	unsigned long max_message_size;
	unsigned long max_peers_per_room;
	unsigned long max_rooms;
	unsigned long max_connections;
	unsigned long max_connections_per_ip; /* 0 = unlimited */
	unsigned long ipv6_prefix;            /* IPv6 clients are counted per this prefix */
	unsigned long rate_limit;             /* messages/s, 0 = unlimited */
	unsigned long rate_burst;
	unsigned long byte_rate_limit;        /* bytes/s, 0 = unlimited */
	unsigned long stun_rate_limit;        /* STUN answers/s, 0 = unlimited */
	unsigned long max_queue_bytes;
	unsigned long idle_timeout;
	const char *ice_servers_text;
	const char *stun_urls_text;   /* comma-separated stun: URLs */
	const char *turn_urls_text;   /* comma-separated turn: URLs */
	const char *turn_secret;      /* coturn's static-auth-secret */
	const char *stun_listen;      /* built-in STUN responder, ADDR:PORT, or NULL */
	unsigned long turn_ttl;
	const char *token;
	const char *log_level_text;
	const char *log_format_text;
	int help;
	int version;

	/* Derived by config_load(); owned by the config. */
	char listen_host[64];
	int listen_port;
	char stun_host[64];           /* from --stun-listen */
	int stun_port;
	json_t *ice_servers;
	json_t *stun_urls;  /* arrays of strings, possibly empty */
	json_t *turn_urls;
};

/* Returns 0 on success, 1 when --help/--version was handled, -1 on a usage error (printed). */
int config_load(struct signald_config *cfg, int argc, char **argv);
void config_free(struct signald_config *cfg);
void config_print_help(FILE *out);

#endif
