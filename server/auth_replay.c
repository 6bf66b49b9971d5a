/* SPDX-License-Identifier: MIT */
/* The replay cache behind auth_replay.h.
 *
 * DESIGN: open addressing with linear probing over a power-of-two table
 * twice the capacity. Expired entries are tombstones that inserts reuse;
 * a slot never used ends a probe. When a probe runs long, the table is
 * rebuilt with only its live entries (amortised O(1)). The number of live
 * entries is what the capacity bounds: the table itself never grows. */
#include "auth_replay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { LONG_PROBE = 32 };

struct slot {
    uint8_t key[REPLAY_KEY_BYTES];
    int64_t expiry_ms; /* 0: never used */
};

struct replay {
    pthread_mutex_t lock;
    struct slot *slots;
    struct slot *spare; /* rebuild buffer, same size */
    size_t mask;
    size_t capacity; /* most live entries */
    size_t used;     /* entries inserted since the last rebuild (>= live) */
};

struct replay *replay_new(size_t capacity)
{
    struct replay *r = calloc(1, sizeof(*r));
    size_t size = 16;

    if (!r)
        return NULL;
    while (size < capacity * 2)
        size *= 2;
    r->slots = calloc(size, sizeof(*r->slots));
    r->spare = calloc(size, sizeof(*r->spare));
    if (!r->slots || !r->spare) {
        replay_free(r);
        return NULL;
    }
    r->mask = size - 1;
    r->capacity = capacity;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void replay_free(struct replay *r)
{
    if (!r)
        return;
    if (r->slots)
        pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r->spare);
    free(r);
}

static size_t home(const uint8_t key[REPLAY_KEY_BYTES])
{
    uint64_t h;

    memcpy(&h, key, sizeof(h)); /* the key is already a hash */
    return (size_t)h;
}

/* Re-inserts the live entries into a clean table; returns how many. */
static size_t rebuild(struct replay *r, int64_t now_ms)
{
    struct slot *old = r->slots;
    size_t live = 0;

    memset(r->spare, 0, (r->mask + 1) * sizeof(*r->spare));
    for (size_t i = 0; i <= r->mask; i++) {
        size_t j;

        if (old[i].expiry_ms <= now_ms)
            continue;
        for (j = home(old[i].key) & r->mask; r->spare[j].expiry_ms;
             j = (j + 1) & r->mask)
            ;
        r->spare[j] = old[i];
        live++;
    }
    r->slots = r->spare;
    r->spare = old;
    return live;
}

/* One probe: SEEN, or the slot to use in *at (SIZE_MAX when none). */
static enum replay_result probe(struct replay *r, const uint8_t *key,
                                int64_t now_ms, size_t *at, size_t *steps)
{
    size_t i = home(key) & r->mask;

    *at = SIZE_MAX;
    for (*steps = 0; *steps <= r->mask; (*steps)++, i = (i + 1) & r->mask) {
        struct slot *s = &r->slots[i];

        if (s->expiry_ms == 0) {
            if (*at == SIZE_MAX)
                *at = i;
            break;
        }
        if (s->expiry_ms <= now_ms) {
            if (*at == SIZE_MAX)
                *at = i;
            continue;
        }
        if (memcmp(s->key, key, REPLAY_KEY_BYTES) == 0)
            return REPLAY_SEEN;
    }
    return REPLAY_FRESH;
}

enum replay_result replay_insert(struct replay *r,
                                 const uint8_t key[REPLAY_KEY_BYTES],
                                 int64_t expiry_ms, int64_t now_ms)
{
    enum replay_result res;
    size_t at, steps;

    pthread_mutex_lock(&r->lock);
    res = probe(r, key, now_ms, &at, &steps);
    if (res == REPLAY_FRESH &&
        (steps > LONG_PROBE || at == SIZE_MAX || r->used >= r->capacity)) {
        r->used = rebuild(r, now_ms);
        if (r->used >= r->capacity)
            res = REPLAY_FULL;
        else
            res = probe(r, key, now_ms, &at, &steps);
    }
    if (res == REPLAY_FRESH && at == SIZE_MAX)
        res = REPLAY_FULL;
    if (res == REPLAY_FRESH) {
        memcpy(r->slots[at].key, key, REPLAY_KEY_BYTES);
        r->slots[at].expiry_ms = expiry_ms;
        r->used++;
    }
    pthread_mutex_unlock(&r->lock);
    return res;
}
