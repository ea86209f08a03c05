/*
 * rtcpeer - send files, or pipe streams, peer to peer over WebRTC.
 * main() stays thin: check the standard fds, parse, dispatch, return the exit code.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "auth.h"
#include "cli.h"
#include "log.h"
#include "pipe.h"
#include "xfer_recv.h"
#include "xfer_send.h"

/* A closed stdin/stdout/stderr would let the next open() take its number and our output or
 * input land in a file we opened (the OpenBSD nc / OpenSSH habit). */
static int ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	return 0;
}

static int run(const struct cli *cli)
{
	char room[AUTH_ROOM_LEN + 1], code[AUTH_CODE_LEN + 1], given[256], err[200];
	uint8_t secret[AUTH_SECRET_LEN];

	int have = cli_code(cli, given, sizeof(given));
	if (have < 0)
		return EXIT_USAGE;
	if (!have) {
		if (auth_code_generate(code, sizeof(code), room, secret) < 0) {
			fprintf(stderr, "rtcpeer: cannot make a code\n");
			return EXIT_FAILURE_;
		}
		if (cli->command == CMD_SEND)
			return xfer_send_run(cli, code, room, secret);
		return pipe_run(cli, code, room, secret);
	}
	if (auth_code_parse(given, room, secret, err, sizeof(err)) < 0) {
		fprintf(stderr, "rtcpeer: bad code: %s\n", err);
		return EXIT_USAGE;
	}
	return cli->command == CMD_RECV ? xfer_recv_run(cli, room, secret)
					: pipe_run(cli, NULL, room, secret);
}

int main(int argc, char **argv)
{
	struct cli cli;
	if (ensure_std_fds() < 0)
		return EXIT_FAILURE_;
	signal(SIGPIPE, SIG_IGN); /* a closed stdout reader is an EPIPE error, not a crash */
	int rc = cli_parse(&cli, argc, argv);
	if (rc != 0)
		return rc > 0 ? EXIT_OK_ : EXIT_USAGE;
	log_setup("rtcpeer", cli.verbose ? LOG_DEBUG : cli.quiet ? LOG_ERROR : LOG_WARN,
		  LOG_FMT_TEXT);
	if (gnutls_global_init() < 0)
		return EXIT_FAILURE_;
	rc = run(&cli);
	gnutls_global_deinit();
	return rc;
}
