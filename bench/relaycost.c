/*
 * relaycost - the CPU that proto/ spends on one relayed candidate, with no I/O at all.
 *
 * signald parses each relayed message with sig_parse_client() (jansson), builds the copy for
 * the receiver with sig_build_relay() and serialises it with json_dumpb(): the work the
 * protocol's one implementation does per message, whatever the event loop and the kernel
 * cost. This times those three steps on the frame sigload's relay scenario sends (a
 * 600-byte candidate message), on one core, and prints the ceiling they put on relayed
 * messages per second per core.
 *
 *   build/bench/relaycost [ITERATIONS]      # default 200000
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "signal_msg.h"

#define FRAME_BYTES 600
#define TO_PEER "Zq3vX9kLm2Pt7Rw4Yb8Nc1Hd6Fg5Js0Ae" /* the shape of a server peer id */
#define FROM_PEER "Kx7Vn2Qw9Lp4Mz8Rt3Yc6Hb1Gf5Dj0Sa"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The candidate message as sigload builds it: padded with letters up to FRAME_BYTES. */
static char *build_frame(size_t *len)
{
	static const char head[] = "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host ";
	char cand[FRAME_BYTES];
	size_t n = sizeof(head) - 1, pad = 0;
	char *text = NULL;

	for (int pass = 0; pass < 2; pass++) {
		memcpy(cand, head, n);
		for (size_t i = 0; i < pad; i++)
			cand[n + i] = (char)('a' + i % 26);
		cand[n + pad] = '\0';
		json_t *msg = sig_build_candidate(TO_PEER, cand, "0", 0);
		free(text);
		text = msg ? sig_dump(msg, len) : NULL;
		json_decref(msg);
		if (!text || *len >= FRAME_BYTES)
			break;
		pad = FRAME_BYTES - *len;
	}
	return text;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	size_t len = 0, sink = 0;
	char out[2 * FRAME_BYTES];
	char *frame = build_frame(&len);
	if (!frame || iters <= 0) {
		fprintf(stderr, "relaycost: %s\n", frame ? "ITERATIONS must be positive" : "no frame");
		free(frame);
		return 1;
	}

	double t0 = now_s(), parse_s = 0, relay_s = 0;
	for (long i = 0; i < iters; i++) {
		struct sig_msg msg;
		struct sig_error err;
		double a = now_s();
		if (sig_parse_client(frame, len, &msg, &err) < 0) {
			fprintf(stderr, "relaycost: the frame does not parse: %s\n", err.message);
			free(frame);
			return 1;
		}
		double b = now_s();
		json_t *relayed = sig_build_relay(&msg, FROM_PEER);
		sink += relayed ? json_dumpb(relayed, out, sizeof(out), JSON_COMPACT) : 0;
		json_decref(relayed);
		sig_msg_clear(&msg);
		parse_s += b - a;
		relay_s += now_s() - b;
	}
	double total = now_s() - t0;
	printf("frame %zu bytes, %ld iterations (%zu bytes relayed)\n", len, iters, sink / (size_t)iters);
	printf("  parse + validate (sig_parse_client)    %6.2f us\n", parse_s / (double)iters * 1e6);
	printf("  build + serialise + free (json_dumpb)  %6.2f us\n", relay_s / (double)iters * 1e6);
	printf("  per relayed message                    %6.2f us -> at most %.0f msg/s per core\n",
	       total / (double)iters * 1e6, (double)iters / total);
	free(frame);
	return 0;
}
