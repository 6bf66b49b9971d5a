/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr, one line per event. Never pass bodies,
 * signatures or secrets to these functions. Thread-safe. */
#ifndef SVC_LOG_H
#define SVC_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* One request, as the access log records it (all strings borrowed). */
struct log_access {
    const char *method;
    const char *route; /* the route template, "-" when none matched */
    int status;
    double dur_ms;
    const char *request_id;
    const char *principal; /* "" when unsigned */
    const char *error;     /* rc name, or NULL */
    const char *field;     /* offending field, or NULL */
    const char *client;    /* the client's address, or NULL */
    const char *reason;    /* why a signed request was refused, or NULL */
    const char *signer;    /* the BT-Signer a refused request claimed, or
                              NULL */
    const char *origin;    /* the Origin a CORS refusal named, or NULL */
};

/* Sets the most verbose level printed (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Parses "error|warn|info|debug"; returns -1 when name is unknown. */
int log_level_parse(const char *name);
/* The name of level ("info"). */
const char *log_level_name(int level);

/* Text lines (default) or one JSON object per line. */
void log_set_json(int on);
/* True when level would be printed. */
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The one line per request (info; warn for 5xx). */
void log_access(const struct log_access *a);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
