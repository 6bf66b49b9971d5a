/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr, one line per event. Never pass bodies,
 * signatures or secrets to these functions. Thread-safe. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the most verbose level printed (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Parses "error|warn|info|debug"; returns -1 when name is unknown. */
int log_level_parse(const char *name);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
