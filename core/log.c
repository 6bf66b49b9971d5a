/* SPDX-License-Identifier: MIT */
/* stderr logger: one line per event, text ("<UTC time> <level> <message>")
 * or JSON objects, written with one fputs so lines from different threads
 * never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { LINE_MAX_BYTES = 2048 };

/* Changed by SIGHUP while worker threads log. */
static atomic_int max_level = LOG_INFO;
static atomic_int json_lines;

static const char *const names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    atomic_store(&max_level, (int)level);
}

void log_set_json(int on)
{
    atomic_store(&json_lines, on);
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *log_level_name(int level)
{
    return level >= 0 && level <= LOG_DEBUG ? names[level] : "info";
}

bool log_enabled(enum log_level level)
{
    return (int)level <= atomic_load(&max_level);
}

static size_t stamp(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(out + n, len - n, ".%03dZ",
                          (int)(ts.tv_nsec / 1000000));
    return n;
}

/* Appends s JSON-escaped (no quotes) to out at *n, staying in len. */
static void escape(char *out, size_t len, size_t *n, const char *s)
{
    for (; *s && *n + 8 < len; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            out[(*n)++] = '\\';
            out[(*n)++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            *n += (size_t)snprintf(out + *n, len - *n, "\\u%04x", c);
        } else {
            out[(*n)++] = (char)c;
        }
    }
    out[*n] = '\0';
}

static void emit(char *line, size_t n)
{
    if (n > LINE_MAX_BYTES - 2)
        n = LINE_MAX_BYTES - 2;
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES], msg[LINE_MAX_BYTES - 128], ts[40];
    size_t n = 0;
    va_list ap;

    if ((int)level > atomic_load(&max_level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    stamp(ts, sizeof(ts));
    if (!json_lines) {
        n = (size_t)snprintf(line, sizeof(line), "%s %s ", ts, names[level]);
        /* Control characters never reach a terminal or a log parser. */
        for (const char *p = msg; *p && n + 2 < sizeof(line); p++)
            line[n++] = (unsigned char)*p < 0x20 ? '?' : *p;
        emit(line, n);
        return;
    }
    n = (size_t)snprintf(line, sizeof(line),
                         "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
                         names[level]);
    escape(line, sizeof(line) - 3, &n, msg);
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}");
    emit(line, n);
}

void log_access(const struct log_access *a)
{
    char line[LINE_MAX_BYTES], ts[40];
    enum log_level level = a->status >= 500 ? LOG_WARN : LOG_INFO;
    size_t n;

    if ((int)level > atomic_load(&max_level))
        return;
    stamp(ts, sizeof(ts));
    if (!json_lines) {
        n = (size_t)snprintf(
            line, sizeof(line),
            "%s %s access method=%s route=%s status=%d dur_ms=%.3f rid=%s "
            "principal=%s%s%s%s%s",
            ts, names[level], a->method, a->route, a->status, a->dur_ms,
            a->request_id, a->principal[0] ? a->principal : "-",
            a->error ? " error=" : "", a->error ? a->error : "",
            a->field && a->field[0] ? " field=" : "", a->field ? a->field : "");
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        /* Client bytes (the field) never start a forged line. */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] < 0x20)
                line[i] = '?';
        emit(line, n);
        return;
    }
    n = (size_t)snprintf(line, sizeof(line),
                         "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"access\","
                         "\"method\":\"",
                         ts, names[level]);
    escape(line, sizeof(line), &n, a->method);
    n += (size_t)snprintf(line + n, sizeof(line) - n,
                          "\",\"route\":\"%s\","
                          "\"status\":%d,\"dur_ms\":%.3f,\"request_id\":\"",
                          a->route, a->status, a->dur_ms);
    escape(line, sizeof(line), &n, a->request_id);
    n += (size_t)snprintf(line + n, sizeof(line) - n,
                          "\",\"principal\":\"%s\",\"error\":\"%s\","
                          "\"field\":\"",
                          a->principal, a->error ? a->error : "");
    escape(line, sizeof(line) - 3, &n, a->field ? a->field : "");
    n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}");
    emit(line, n);
}
