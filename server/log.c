/* SPDX-License-Identifier: MIT */
/* stderr logger: "<UTC time> <level> <message>", written with one fputs so
 * lines from different threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile enum log_level max_level = LOG_INFO;

static const char *const names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    max_level = level;
}

int log_level_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;
    int w;

    if (level > max_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
                 ts.tv_nsec / 1000000, names[level]);
    if (w > 0)
        n += (size_t)w;
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (w > 0)
        n = n + (size_t)w < sizeof(line) - 2 ? n + (size_t)w : sizeof(line) - 2;
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
}
