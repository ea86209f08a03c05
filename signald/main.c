/*
 * signald - WebRTC signaling daemon. main() stays thin: configure, run, clean up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "server.h"

/* SIGINT and SIGTERM are blocked and read from a signalfd on the event loop: a signal can
 * neither be missed between a check and poll() nor run code at an awkward moment. */
static int stop_signals(void)
{
	sigset_t set;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct signald_config cfg;
	struct server srv;
	int rc;

	rc = config_load(&cfg, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	int stop_fd = stop_signals();
	if (stop_fd < 0) {
		log_error("server", "cannot watch for SIGINT/SIGTERM: %s", strerror(errno));
		config_free(&cfg);
		return 1;
	}
	if (server_init(&srv, &cfg) < 0) {
		close(stop_fd);
		config_free(&cfg);
		return 1;
	}
	rc = server_run(&srv, stop_fd); /* owns stop_fd from here */
	server_free(&srv);
	config_free(&cfg);
	return rc < 0 ? 1 : 0;
}
