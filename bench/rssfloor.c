/*
 * rssfloor - the peak RSS that rtcpeer's libraries cost before rtcpeer does anything.
 *
 * Linked exactly like rtcpeer (rtcpeer_core's libraries: libnice, GnuTLS, usrsctp,
 * libwebsockets, jansson, GLib, as Debian builds them), it prints its own VmHWM on entering
 * main(): what the dynamic loader and the libraries' constructors made resident, the floor
 * under any figure bench/rtcpeer.sh can report. Then the largest contributors, one line per
 * file, from /proc/self/smaps.
 *
 *   build/bench/rssfloor [TOP]        # TOP: how many files to list (default 12)
 *
 * The library calls below never run (argc is never that large); they keep every library
 * needed even under -Wl,--as-needed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <agent.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <usrsctp.h>

#define MAX_FILES 128

struct file_rss {
	char name[256];
	long kib;
};

static void print_status(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6) || !strncmp(line, "RssAnon:", 8) ||
		    !strncmp(line, "RssFile:", 8))
			fputs(line, stdout);
	fclose(f);
}

static struct file_rss *find_or_add(struct file_rss *t, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	if (*n == MAX_FILES)
		return NULL;
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
	t[*n].kib = 0;
	return &t[(*n)++];
}

static int by_kib_desc(const void *a, const void *b)
{
	long x = ((const struct file_rss *)a)->kib, y = ((const struct file_rss *)b)->kib;
	return (x < y) - (x > y);
}

/* Sum Rss over the mappings of each file; anonymous mappings go under "[anon]". */
static void print_top(int top)
{
	static struct file_rss t[MAX_FILES];
	FILE *f = fopen("/proc/self/smaps", "r");
	struct file_rss *cur = NULL;
	char line[512];
	int n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char path[256] = "";
		long kib;
		/* A mapping's line starts with its lowercase hex address; its fields ("Rss:",
		 * "VmFlags:") start with a capital. */
		if (islower((unsigned char)line[0]) || isdigit((unsigned char)line[0])) {
			sscanf(line, "%*x-%*x %*s %*s %*s %*s %255s", path);
			cur = find_or_add(t, &n, path[0] ? path : "[anon]");
		} else if (cur && sscanf(line, "Rss: %ld kB", &kib) == 1) {
			cur->kib += kib;
		}
	}
	fclose(f);
	qsort(t, (size_t)n, sizeof(t[0]), by_kib_desc);
	printf("%d files mapped; the largest:\n", n);
	for (int i = 0; i < n && i < top; i++)
		printf("%8ld kB  %s\n", t[i].kib, t[i].name);
}

int main(int argc, char **argv)
{
	print_status();
	if (argc > 1000) { /* never: see the top of the file */
		nice_agent_new(NULL, NICE_COMPATIBILITY_RFC5245);
		gnutls_global_init();
		usrsctp_init_nothreads(0, NULL, NULL);
		json_decref(json_object());
		puts(lws_get_library_version());
	}
	print_top(argc > 1 ? atoi(argv[1]) : 12);
	return 0;
}
