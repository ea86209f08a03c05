#include "progress.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define REDRAW_NS 100000000ull /* 10 per second: enough for eyes, nothing for the CPU */

void progress_bytes(char *out, size_t cap, uint64_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	unsigned u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}

void progress_format(char *out, size_t cap, const char *label, uint64_t done, uint64_t total,
		     double secs)
{
	char d[32], t[32], eta[32] = "";
	double rate = secs > 0 ? (double)done / secs : 0; /* bytes/s */
	progress_bytes(d, sizeof(d), done);
	if (total && rate > 0 && done <= total) {
		unsigned long left = (unsigned long)((double)(total - done) / rate + 0.5);
		snprintf(eta, sizeof(eta), "  ETA %lu:%02lu", left / 60, left % 60);
	}
	if (total) {
		progress_bytes(t, sizeof(t), total);
		snprintf(out, cap, "%s  %3u%%  %s / %s  %.1f MB/s%s", label,
			 (unsigned)(done * 100 / total), d, t, rate / 1e6, eta);
	} else {
		snprintf(out, cap, "%s  %s  %.1f MB/s", label, d, rate / 1e6);
	}
}

void progress_start(struct progress *p, const char *label, uint64_t total, int enabled)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->enabled = enabled;
	p->start_ns = util_now_ns();
}

void progress_update(struct progress *p, uint64_t done)
{
	char line[200];
	p->done = done;
	if (!p->enabled)
		return;
	uint64_t now = util_now_ns();
	if (p->drawn && now - p->drawn_ns < REDRAW_NS && done != p->total)
		return;
	p->drawn_ns = now;
	p->drawn = 1;
	progress_format(line, sizeof(line), p->label, done, p->total,
			(double)(now - p->start_ns) / 1e9);
	fprintf(stderr, "\r%-79s", line);
	fflush(stderr);
}

void progress_finish(struct progress *p)
{
	if (p->enabled && p->drawn)
		fprintf(stderr, "\r%-79s\r", "");
	p->drawn = 0;
}
