/* SPDX-License-Identifier: MIT */
/* stderr logger: one line per event, text ("<UTC time> <level> <message>")
 * or JSON objects, written with one fputs so lines from different threads
 * never interleave. */
#include "log.h"

#include "utf8.h"

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

/* Appends s JSON-escaped (no quotes) to out at *n, staying in len. Control
 * characters become \u00XX and bytes that are not UTF-8 become U+FFFD, so
 * client bytes always leave a valid JSON string. */
static void escape(char *out, size_t len, size_t *n, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p && *n + 8 < len) {
        size_t k = utf8_len(p);

        if (*p == '"' || *p == '\\') {
            out[(*n)++] = '\\';
            out[(*n)++] = (char)*p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            *n += (size_t)snprintf(out + *n, len - *n, "\\u%04x", *p++);
        } else if (k == 0) {
            *n += (size_t)snprintf(out + *n, len - *n, "\\ufffd");
            p++;
        } else {
            memcpy(out + *n, p, k);
            *n += k;
            p += k;
        }
    }
    out[*n] = '\0';
}

/* Appends the text of fmt to out at *n, cut to what fits in len. */
static void addf(char *out, size_t len, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void addf(char *out, size_t len, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (*n + 1 >= len)
        return;
    va_start(ap, fmt);
    w = vsnprintf(out + *n, len - *n, fmt, ap);
    va_end(ap);
    if (w > 0)
        *n = *n + (size_t)w < len ? *n + (size_t)w : len - 1;
}

/* Appends s as one JSON string, quotes included. */
static void add_json(char *out, size_t len, size_t *n, const char *s)
{
    addf(out, len, n, "\"");
    escape(out, len - 2, n, s);
    addf(out, len, n, "\"");
}

/* True when a text-log value must be quoted to stay one token: it is empty
 * or holds a space, '=', '"', a backslash or a control character. */
static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '=' || *p == '"' || *p == '\\')
            return true;
    return false;
}

/* Appends s as a text-log value: bare when it is one plain token, else
 * "..." with \" \\ and \xNN escapes, so client bytes can never forge a
 * key=value token or start a line. A value cut by the line cap still gets
 * its closing quote. */
static void add_text(char *out, size_t len, size_t *n, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (!needs_quotes(s)) {
        addf(out, len, n, "%s", s);
        return;
    }
    addf(out, len, n, "\"");
    for (; *p && *n + 6 < len; p++) {
        if (*p == '"' || *p == '\\') {
            out[(*n)++] = '\\';
            out[(*n)++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            *n += (size_t)snprintf(out + *n, len - *n, "\\x%02x", *p);
        } else {
            out[(*n)++] = (char)*p;
        }
    }
    out[*n] = '\0';
    addf(out, len, n, "\"");
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

/* " key=value" when value is set and not empty; else nothing. */
static void opt_text(char *line, size_t len, size_t *n, const char *key,
                     const char *value)
{
    if (!value || !value[0])
        return;
    addf(line, len, n, " %s=", key);
    add_text(line, len, n, value);
}

/* ",\"key\":value" when value is set; else nothing. */
static void opt_json(char *line, size_t len, size_t *n, const char *key,
                     const char *value)
{
    if (!value)
        return;
    addf(line, len, n, ",\"%s\":", key);
    add_json(line, len, n, value);
}

/* The access line as key=value tokens; every value passes add_text(). */
static size_t access_text(char *line, size_t len, const char *ts,
                          enum log_level level, const struct log_access *a)
{
    size_t n = 0;

    addf(line, len, &n, "%s %s access method=", ts, names[level]);
    add_text(line, len, &n, a->method);
    addf(line, len, &n, " route=");
    add_text(line, len, &n, a->route);
    addf(line, len, &n, " status=%d dur_ms=%.3f rid=", a->status, a->dur_ms);
    add_text(line, len, &n, a->request_id);
    addf(line, len, &n, " principal=");
    add_text(line, len, &n, a->principal[0] ? a->principal : "-");
    opt_text(line, len, &n, "error", a->error);
    opt_text(line, len, &n, "field", a->field);
    opt_text(line, len, &n, "reason", a->reason);
    opt_text(line, len, &n, "signer", a->signer);
    opt_text(line, len, &n, "origin", a->origin);
    opt_text(line, len, &n, "client", a->client);
    return n;
}

/* The access line as one JSON object; every string passes escape(). */
static size_t access_json(char *line, size_t len, const char *ts,
                          enum log_level level, const struct log_access *a)
{
    size_t n = 0;

    addf(line, len, &n,
         "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"access\",\"method\":", ts,
         names[level]);
    add_json(line, len, &n, a->method);
    addf(line, len, &n, ",\"route\":");
    add_json(line, len, &n, a->route);
    addf(line, len, &n,
         ",\"status\":%d,\"dur_ms\":%.3f,\"request_id\":", a->status,
         a->dur_ms);
    add_json(line, len, &n, a->request_id);
    addf(line, len, &n, ",\"principal\":");
    add_json(line, len, &n, a->principal);
    addf(line, len, &n, ",\"error\":");
    add_json(line, len, &n, a->error ? a->error : "");
    addf(line, len, &n, ",\"field\":");
    add_json(line, len, &n, a->field ? a->field : "");
    addf(line, len, &n, ",\"client\":");
    add_json(line, len, &n, a->client ? a->client : "");
    opt_json(line, len, &n, "reason", a->reason);
    opt_json(line, len, &n, "signer", a->signer);
    opt_json(line, len, &n, "origin", a->origin);
    addf(line, len, &n, "}");
    return n;
}

void log_access(const struct log_access *a)
{
    char line[LINE_MAX_BYTES], ts[40];
    enum log_level level = a->status >= 500 ? LOG_WARN : LOG_INFO;
    size_t n;

    if ((int)level > atomic_load(&max_level))
        return;
    stamp(ts, sizeof(ts));
    /* emit() needs two bytes for the newline and the NUL. */
    if (json_lines)
        n = access_json(line, sizeof(line) - 2, ts, level, a);
    else
        n = access_text(line, sizeof(line) - 2, ts, level, a);
    emit(line, n);
}
