/* SPDX-License-Identifier: MIT */
/* Live settings behind a reader-writer lock.
 *
 * DESIGN: request threads take the read lock for the length of one check;
 * the main thread takes the write lock to copy new settings in on SIGHUP.
 * Nothing else is held meanwhile, so the lock never nests. */
#include "live.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct live {
    pthread_rwlock_t lock;
    struct live_options o;
};

struct live *live_new(const struct live_options *o)
{
    struct live *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    if (pthread_rwlock_init(&l->lock, NULL) != 0) {
        free(l);
        return NULL;
    }
    l->o = *o;
    return l;
}

void live_free(struct live *l)
{
    if (!l)
        return;
    pthread_rwlock_destroy(&l->lock);
    free(l);
}

void live_set(struct live *l, const struct live_options *o)
{
    pthread_rwlock_wrlock(&l->lock);
    l->o = *o;
    pthread_rwlock_unlock(&l->lock);
}

bool live_public_read(struct live *l)
{
    bool on;

    if (!l)
        return false;
    pthread_rwlock_rdlock(&l->lock);
    on = l->o.public_read;
    pthread_rwlock_unlock(&l->lock);
    return on;
}

bool live_cors_allows(struct live *l, const char *origin)
{
    bool ok = false;

    if (!l || !origin)
        return false;
    pthread_rwlock_rdlock(&l->lock);
    for (unsigned i = 0; !ok && i < l->o.n_cors; i++)
        ok =
            strcmp(l->o.cors[i], "*") == 0 || strcmp(l->o.cors[i], origin) == 0;
    pthread_rwlock_unlock(&l->lock);
    return ok;
}
