/* SPDX-License-Identifier: MIT */
/* struct db_leases: a driver's fixed set of connections, handed out one
 * caller at a time.
 *
 * DESIGN: a free list under one mutex; take() waits on the condition
 * variable while every connection is out, counting the waits and their
 * length for /metrics; put() returns one and wakes one waiter. */
#include "core/clock.h"
#include "driver.h"

void db_leases_init(struct db_leases *l)
{
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    l->free = NULL;
    atomic_init(&l->waits, 0);
    atomic_init(&l->wait_us, 0);
}

void db_leases_free(struct db_leases *l)
{
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
}

struct db *db_leases_take(struct db_leases *l)
{
    struct db *db;

    pthread_mutex_lock(&l->lock);
    if (!l->free) {
        int64_t t0 = clock_mono_us();

        while (!l->free)
            pthread_cond_wait(&l->cond, &l->lock);
        atomic_fetch_add(&l->waits, 1);
        atomic_fetch_add(&l->wait_us,
                         (unsigned long long)(clock_mono_us() - t0));
    }
    db = l->free;
    l->free = db->next_free;
    pthread_mutex_unlock(&l->lock);
    return db;
}

void db_leases_put(struct db_leases *l, struct db *db)
{
    pthread_mutex_lock(&l->lock);
    db->next_free = l->free;
    l->free = db;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
}
