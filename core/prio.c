/* SPDX-License-Identifier: MIT */
/* SCHED_BATCH and gettid() are GNU extensions. */
#define _GNU_SOURCE

#include "prio.h"

#include "log.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

void prio_background(int nice)
{
    struct sched_param sp = {0};

    if (pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp))
        log_debug("thread %d: SCHED_BATCH refused", (int)gettid());
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice))
        log_debug("thread %d: nice +%d refused", (int)gettid(), nice);
}
