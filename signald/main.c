/*
 * signald - WebRTC signaling daemon. main() stays thin: configure, run, clean up.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "server.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* No SA_RESTART: the signal must interrupt the event loop's poll() so the flag is seen now. */
static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct signald_config cfg;
	struct server srv;
	int rc;

	rc = config_load(&cfg, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	install_signals();
	if (server_init(&srv, &cfg) < 0) {
		config_free(&cfg);
		return 1;
	}
	rc = server_run(&srv, &stop_requested);
	server_free(&srv);
	config_free(&cfg);
	return rc < 0 ? 1 : 0;
}
