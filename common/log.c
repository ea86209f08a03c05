#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

enum log_level log_max_level = LOG_INFO;
static enum log_format log_format = LOG_FMT_TEXT;
static const char *log_program = "rtc";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_setup(const char *program, enum log_level level, enum log_format format)
{
	log_program = program;
	log_max_level = level;
	log_format = format;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}

void log_emit(enum log_level level, const char *scope, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ", ts.tv_nsec / 1000000);

	if (log_format == LOG_FMT_JSON) {
		/* A message may hold anything (cut mid-character by the buffer, even): jansson
		 * refuses invalid UTF-8, so fall back to a placeholder rather than lose the line. */
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", stamp, "level",
				      level_names[level], "prog", log_program, "scope", scope, "msg",
				      msg);
		if (!o)
			o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", stamp, "level",
				      level_names[level], "prog", log_program, "scope", scope, "msg",
				      "(message not valid UTF-8)");
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		fprintf(stderr, "%s %-5s %s[%s] %s\n", stamp, level_names[level], log_program, scope,
			msg);
	}
}

void log_line(enum log_level level, const char *scope, const char *line)
{
	if (level > log_max_level)
		return;
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_emit(level, scope, "%.*s", (int)n, line);
}
