/*
 * log.h - one leveled logger for every program, to stderr (stdout belongs to the data, e.g.
 * rtcpeer pipe). The level is checked before any formatting happens.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

extern enum log_level log_max_level;

void log_setup(const char *program, enum log_level level, enum log_format format);
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void log_emit(enum log_level level, const char *scope, const char *fmt, ...);

/* A line from another library's logger (lws, usrsctp): its trailing CR/LF is dropped. */
void log_line(enum log_level level, const char *scope, const char *line);

#define LOG_AT(level, scope, ...)                                                                \
	do {                                                                                     \
		if ((level) <= log_max_level)                                                    \
			log_emit((level), (scope), __VA_ARGS__);                                 \
	} while (0)

#define log_error(scope, ...) LOG_AT(LOG_ERROR, scope, __VA_ARGS__)
#define log_warn(scope, ...)  LOG_AT(LOG_WARN, scope, __VA_ARGS__)
#define log_info(scope, ...)  LOG_AT(LOG_INFO, scope, __VA_ARGS__)
#define log_debug(scope, ...) LOG_AT(LOG_DEBUG, scope, __VA_ARGS__)

#endif
