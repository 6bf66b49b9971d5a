/* SPDX-License-Identifier: MIT */
/* The clocks of core/clock.h over clock_gettime. */
#include "clock.h"

static struct timespec now(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts = now(CLOCK_MONOTONIC);

    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_us(void)
{
    return clock_mono_ns() / 1000;
}

double clock_mono_s(void)
{
    return (double)clock_mono_ns() * 1e-9;
}

int64_t clock_unix_ms(void)
{
    struct timespec ts = now(CLOCK_REALTIME);

    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_utc_text(char out[20])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

static struct timespec after(clockid_t id, int64_t ms)
{
    struct timespec ts = now(id);

    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct timespec clock_deadline_ms(int64_t ms)
{
    return after(CLOCK_REALTIME, ms);
}

struct timespec clock_mono_deadline_ms(int64_t ms)
{
    return after(CLOCK_MONOTONIC, ms);
}
