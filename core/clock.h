/* SPDX-License-Identifier: MIT */
/* The clocks: monotonic time for durations and waits, wall-clock time for
 * what is stored or shown, and deadlines for pthread_cond_timedwait. */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in nanoseconds, for measuring durations. Thread-safe. */
int64_t clock_mono_ns(void);
/* Monotonic time in microseconds. */
int64_t clock_mono_us(void);
/* Monotonic time in seconds, as a double (for rates and timings). */
double clock_mono_s(void);
/* Wall-clock milliseconds since the Unix epoch. Thread-safe. */
int64_t clock_unix_ms(void);
/* The current UTC time as "YYYY-MM-DD HH:MM:SS" (what SQLite's
 * CURRENT_TIMESTAMP writes, and how upstream stores pog_stats and stats
 * times) into out. Thread-safe. */
void clock_utc_text(char out[20]);
/* The CLOCK_REALTIME instant ms milliseconds from now: the deadline
 * pthread_cond_timedwait takes for a condition variable with the default
 * clock. */
struct timespec clock_deadline_ms(int64_t ms);
/* The same on CLOCK_MONOTONIC, for condition variables created with
 * pthread_condattr_setclock(CLOCK_MONOTONIC). */
struct timespec clock_mono_deadline_ms(int64_t ms);

#endif
