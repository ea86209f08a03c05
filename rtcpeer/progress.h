/*
 * progress.h - the progress meter on stderr (only when it is a terminal): bytes, rate, ETA.
 * The formatting is pure and unit-tested; drawing is rate-limited to 10 redraws a second.
 */
#ifndef RTCPEER_PROGRESS_H
#define RTCPEER_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	char label[64];
	uint64_t total;     /* 0: unknown (a pipe) */
	uint64_t done;
	uint64_t start_ns;
	uint64_t drawn_ns;
	int enabled;
	int drawn;
};

/* "1.5 MiB", "812 B", "3.2 GiB" */
void progress_bytes(char *out, size_t cap, uint64_t n);
/* One status line: "name  45%  12.0 MiB / 26.7 MiB  85.2 MB/s  ETA 0:02" */
void progress_format(char *out, size_t cap, const char *label, uint64_t done, uint64_t total,
		     double secs);

void progress_start(struct progress *p, const char *label, uint64_t total, int enabled);
void progress_update(struct progress *p, uint64_t done);
/* Clears the line so the next output starts clean. */
void progress_finish(struct progress *p);

#endif
