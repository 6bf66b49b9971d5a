/* SPDX-License-Identifier: MIT */
/* The connection deadlines behind conn_watch.h.
 *
 * DESIGN: one thread wakes every TICK_MS and walks the list of watched
 * connections under the list lock, shutting down (never closing) the
 * socket of each past its deadline: the HTTP library then sees the
 * connection end and cleans it up as it would a client hang-up. Entries
 * join and leave the list under that lock, and an entry leaves before its
 * socket is closed, so the thread can never shut a reused descriptor.
 * Phase changes, the hot path (several per request), only store atomics. */
#include "conn_watch.h"

#include "core/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

enum { TICK_MS = 100 };

struct conn_entry {
    struct conn_entry *prev, *next;
    int fd;
    atomic_int phase;         /* enum conn_phase */
    atomic_llong deadline_ms; /* monotonic; 0: none */
    bool shut;                /* the watch has shut it (list lock) */
};

struct conn_watch {
    struct conn_watch_options o;
    pthread_mutex_t lock; /* the list, shut flags, stop */
    pthread_cond_t wake;
    struct conn_entry *head;
    bool stop;
    pthread_t thread;
};

static const char *const phase_names[] = {
#define X(name, label) [CONN_##name] = label,
    CONN_PHASE_LIST(X)
#undef X
};

const char *conn_phase_name(enum conn_phase phase)
{
    return (unsigned)phase < CONN_PHASE_COUNT ? phase_names[phase] : "?";
}

static int64_t limit_of(const struct conn_watch *w, enum conn_phase phase)
{
    switch (phase) {
    case CONN_IDLE:
        return w->o.idle_ms;
    case CONN_HEAD:
        return w->o.head_ms;
    case CONN_BODY:
        return w->o.body_ms;
    default:
        return 0;
    }
}

/* Shuts every connection past its deadline; list lock held. */
static void sweep(struct conn_watch *w, int64_t now_ms)
{
    for (struct conn_entry *e = w->head; e; e = e->next) {
        enum conn_phase phase;
        int64_t due =
            atomic_load_explicit(&e->deadline_ms, memory_order_relaxed);

        if (e->shut || !due || due > now_ms)
            continue;
        /* The phase before the shutdown: the HTTP thread moves the
         * connection on (to idle) as soon as it sees the socket end. */
        phase = (enum conn_phase)atomic_load(&e->phase);
        e->shut = true;
        shutdown(e->fd, SHUT_RDWR);
        if (w->o.on_expired)
            w->o.on_expired(phase);
    }
}

static void *watch_thread(void *arg)
{
    struct conn_watch *w = arg;

    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until = clock_mono_deadline_ms(TICK_MS);

        pthread_cond_timedwait(&w->wake, &w->lock, &until);
        if (!w->stop)
            sweep(w, clock_mono_ns() / 1000000);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

enum svc_rc conn_watch_start(const struct conn_watch_options *o,
                             struct conn_watch **out)
{
    struct conn_watch *w = calloc(1, sizeof(*w));
    pthread_condattr_t attr;

    if (!w)
        return SVC_ERR_NOMEM;
    w->o = *o;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return SVC_ERR_INTERNAL;
    }
    *out = w;
    return SVC_OK;
}

void conn_watch_stop(struct conn_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

struct conn_entry *conn_watch_add(struct conn_watch *w, int fd)
{
    struct conn_entry *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->fd = fd;
    atomic_init(&e->phase, CONN_HEAD);
    atomic_init(&e->deadline_ms, clock_mono_ns() / 1000000 + w->o.head_ms);
    pthread_mutex_lock(&w->lock);
    e->next = w->head;
    if (w->head)
        w->head->prev = e;
    w->head = e;
    pthread_mutex_unlock(&w->lock);
    return e;
}

void conn_watch_phase(struct conn_watch *w, struct conn_entry *e,
                      enum conn_phase phase)
{
    int64_t limit;

    if (!e)
        return;
    if (phase == CONN_HEAD && atomic_load(&e->phase) == CONN_HEAD)
        return;
    limit = limit_of(w, phase);
    atomic_store(&e->deadline_ms,
                 limit ? clock_mono_ns() / 1000000 + limit : 0);
    atomic_store(&e->phase, (int)phase);
}

void conn_watch_remove(struct conn_watch *w, struct conn_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&w->lock);
    if (e->prev)
        e->prev->next = e->next;
    else
        w->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    pthread_mutex_unlock(&w->lock);
    free(e);
}
