/*
 * cli.h - rtcpeer's command line: one option table (cli.c) gives the flags, RTCPEER_*
 * environment variables, defaults, bounds, --help and what the man page must cover; and the
 * exit codes, which are part of the interface (rtcpeer(1)).
 */
#ifndef RTCPEER_CLI_H
#define RTCPEER_CLI_H

#include <stdio.h>

#include "ice.h"

#define RTCPEER_DEFAULT_SERVER "ws://127.0.0.1:8080/ws"
#define RTCPEER_MAX_FILES      1024

/* Exit codes (rtcpeer(1) EXIT STATUS). */
#define RTC_EXITS(X)                                                                        \
	X(EXIT_OK_,          0, "success")                                                   \
	X(EXIT_FAILURE_,     1, "internal error")                                            \
	X(EXIT_USAGE,        2, "usage error")                                               \
	X(EXIT_SIGNALING,    3, "signaling server unreachable or refused us")                \
	X(EXIT_CONNECT,      4, "no connection to the peer (ICE failed or timed out)")       \
	X(EXIT_AUTH,         5, "authentication failed (wrong code, or the server tampered)") \
	X(EXIT_INTEGRITY,    6, "integrity check failed (checksum or size mismatch)")        \
	X(EXIT_PEER,         7, "the peer aborted or went away")                             \
	X(EXIT_IO,           8, "local I/O error")                                           \
	X(EXIT_REFUSED,      9, "a file was refused, or the receiver could not store it")    \
	X(EXIT_INTERRUPTED, 130, "interrupted (SIGINT, SIGTERM or SIGHUP)")

enum rtc_exit {
#define RTC_X_ENUM(sym, val, text) sym = val,
	RTC_EXITS(RTC_X_ENUM)
#undef RTC_X_ENUM
};

const char *rtc_exit_text(int code);

enum cli_command { CMD_NONE, CMD_SEND, CMD_RECV, CMD_PIPE };

struct cli {
	enum cli_command command;
	const char *server;
	const char *stun;
	const char *turn;
	const char *turn_user;
	const char *turn_pass;
	const char *ca_file;
	const char *token;
	const char *output_dir;
	const char *bind_addr;
	unsigned long timeout;
	unsigned long mtu;
	unsigned long lanes;
	int lanes_on_loopback;
	int insecure;
	int force;
	int force_relay;
	int ice_tcp;
	int verbose;
	int quiet;
	int json;
	int timing;
	int help;
	int version;
	const char *args[RTCPEER_MAX_FILES];
	size_t nargs;
	struct ice_config ice; /* from --stun/--turn/--bind-addr */
};

/* The code to join with, when there is one: the CODE argument; else RTCPEER_CODE; else, for
 * recv, one line read from stdin, after a prompt on stderr when stdin is a terminal. The
 * environment and stdin keep the secret out of the process list, which argv is not.
 * Returns 1 with out filled, 0 when there is no code (send; pipe making one), -1 on a read
 * error or an empty or overlong line (printed). */
int cli_code(const struct cli *cli, char *out, size_t cap);
/* 0 to run; 1 when --help/--version was handled; -1 on a usage error (printed). */
int cli_parse(struct cli *cli, int argc, char **argv);
void cli_print_help(FILE *out);
/* "stun:HOST[:PORT]", "turn:HOST[:PORT][?transport=udp|tcp]", HOST may be [IPv6] (RFC 7064,
 * RFC 7065). Credentials are left empty. Returns 0 or -1. */
int cli_parse_ice_url(const char *url, struct ice_server *out);
/* The browser link for a code: ws://H:P/ws + "room-secret" -> http://H:P/r/room#secret (wss ->
 * https). The secret stays in the fragment, which browsers never send. Returns 0 or -1. */
int cli_code_link(const char *server, const char *code, char *out, size_t cap);

#endif
