/* SPDX-License-Identifier: MIT */
/* The replay cache behind auth_replay.h.
 *
 * DESIGN: a map from signer to its share, and per share an open-addressing
 * table with linear probing. The map has its own lock, held only to find
 * or add a share; each share has a lock of its own, so signers never wait
 * on each other's inserts. Shares are made on a signer's first accepted
 * request and live as long as the cache (signers are principals, whose
 * number the operator controls). A share's table starts small and doubles
 * up to twice the share; expired entries are tombstones that inserts
 * reuse, a slot never used ends a probe, and a long probe rebuilds the
 * table with its live entries only (amortised O(1)). Slots are found by
 * SipHash-2-4 (crypto_shorthash) under a key drawn at start. */
#include "auth_replay.h"

#include <sodium.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { LONG_PROBE = 32, FIRST_SLOTS = 64, FIRST_SIGNERS = 64 };

struct slot {
    uint64_t hash;
    int64_t expiry_ms; /* 0: never used */
};

struct share {
    pthread_mutex_t lock;
    char *signer;
    uint64_t signer_hash;
    struct slot *slots;
    size_t mask;
    size_t used; /* entries inserted since the last rebuild (>= live) */
    int64_t next_expiry_ms; /* the soonest expiry inserted since then */
};

struct replay {
    uint8_t key[crypto_shorthash_KEYBYTES];
    size_t share; /* most live entries per signer */
    size_t max_slots;
    pthread_mutex_t lock; /* the map */
    struct share **map;   /* open addressing by signer hash */
    size_t map_mask;
    size_t n_signers;
};

static uint64_t hash_of(const struct replay *r, const char *s)
{
    uint8_t out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const uint8_t *)s, strlen(s), r->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

struct replay *replay_new(size_t share)
{
    struct replay *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->share = share ? share : 1;
    r->max_slots = FIRST_SLOTS;
    while (r->max_slots < r->share * 2)
        r->max_slots *= 2;
    r->map = calloc(FIRST_SIGNERS, sizeof(*r->map));
    if (!r->map) {
        free(r);
        return NULL;
    }
    r->map_mask = FIRST_SIGNERS - 1;
    crypto_shorthash_keygen(r->key);
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

static void share_free(struct share *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->signer);
    free(s->slots);
    free(s);
}

void replay_free(struct replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i <= r->map_mask; i++)
        share_free(r->map[i]);
    free(r->map);
    pthread_mutex_destroy(&r->lock);
    sodium_memzero(r->key, sizeof(r->key));
    free(r);
}

/* ---- one signer's share ------------------------------------------------- */

/* Moves the live entries into a clean table of n slots (a power of two);
 * false, changing nothing, when out of memory. */
static bool rehash(struct share *s, size_t n, int64_t now_ms)
{
    struct slot *t = calloc(n, sizeof(*t));
    size_t live = 0;
    int64_t next = INT64_MAX;

    if (!t)
        return false;
    for (size_t i = 0; i <= s->mask; i++) {
        size_t j;

        if (s->slots[i].expiry_ms <= now_ms)
            continue;
        for (j = s->slots[i].hash & (n - 1); t[j].expiry_ms;
             j = (j + 1) & (n - 1))
            ;
        t[j] = s->slots[i];
        live++;
        if (t[j].expiry_ms < next)
            next = t[j].expiry_ms;
    }
    free(s->slots);
    s->slots = t;
    s->mask = n - 1;
    s->used = live;
    s->next_expiry_ms = next;
    return true;
}

/* One probe: SEEN, or the slot to use in *at (SIZE_MAX when none). */
static enum replay_result probe(const struct share *s, uint64_t h,
                                int64_t now_ms, size_t *at, size_t *steps)
{
    size_t i = h & s->mask;

    *at = SIZE_MAX;
    for (*steps = 0; *steps <= s->mask; (*steps)++, i = (i + 1) & s->mask) {
        const struct slot *e = &s->slots[i];

        if (e->expiry_ms == 0) {
            if (*at == SIZE_MAX)
                *at = i;
            break;
        }
        if (e->expiry_ms <= now_ms) {
            if (*at == SIZE_MAX)
                *at = i;
            continue;
        }
        if (e->hash == h)
            return REPLAY_SEEN;
    }
    return REPLAY_FRESH;
}

/* Makes room when the table is crowded: rebuilt with its live entries,
 * in a table twice as large while half of it would be live. false when
 * the share is full (or memory is). */
static bool make_room(struct share *s, size_t share, size_t max_slots,
                      int64_t now_ms)
{
    size_t n = s->mask + 1;

    if (!rehash(s, n, now_ms))
        return false;
    if (s->used >= share)
        return false;
    if (s->used * 2 >= n && n < max_slots)
        return rehash(s, n * 2, now_ms);
    return true;
}

static enum replay_result share_insert(struct share *s, size_t share,
                                       size_t max_slots, uint64_t h,
                                       int64_t expiry_ms, int64_t now_ms)
{
    enum replay_result res;
    size_t at, steps;

    pthread_mutex_lock(&s->lock);
    res = probe(s, h, now_ms, &at, &steps);
    /* Full at the last rebuild and nothing expired since: no rebuild per
     * request for a signer that keeps knocking. */
    if (res == REPLAY_FRESH && s->used >= share && now_ms < s->next_expiry_ms)
        res = REPLAY_FULL;
    if (res == REPLAY_FRESH &&
        (steps > LONG_PROBE || at == SIZE_MAX || s->used >= share ||
         s->used * 2 >= s->mask + 1)) {
        res =
            make_room(s, share, max_slots, now_ms) ? REPLAY_FRESH : REPLAY_FULL;
        if (res == REPLAY_FRESH)
            res = probe(s, h, now_ms, &at, &steps);
    }
    if (res == REPLAY_FRESH && at == SIZE_MAX)
        res = REPLAY_FULL;
    if (res == REPLAY_FRESH) {
        s->slots[at].hash = h;
        s->slots[at].expiry_ms = expiry_ms;
        s->used++;
        if (expiry_ms < s->next_expiry_ms)
            s->next_expiry_ms = expiry_ms;
    }
    pthread_mutex_unlock(&s->lock);
    return res;
}

/* ---- the map of signers -------------------------------------------------- */

static struct share *share_new(const char *signer, uint64_t h)
{
    struct share *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->signer = strdup(signer);
    s->slots = calloc(FIRST_SLOTS, sizeof(*s->slots));
    if (!s->signer || !s->slots) {
        free(s->signer);
        free(s->slots);
        free(s);
        return NULL;
    }
    s->signer_hash = h;
    s->mask = FIRST_SLOTS - 1;
    s->next_expiry_ms = INT64_MAX;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

/* The map slot for signer (hash h): its share, or the empty slot where
 * it goes. Map lock held. */
static struct share **map_find(struct replay *r, const char *signer, uint64_t h)
{
    size_t i = h & r->map_mask;

    while (r->map[i] && (r->map[i]->signer_hash != h ||
                         strcmp(r->map[i]->signer, signer) != 0))
        i = (i + 1) & r->map_mask;
    return &r->map[i];
}

/* Doubles the map when it is half full; false when out of memory. Map
 * lock held. */
static bool map_grow(struct replay *r)
{
    size_t n = (r->map_mask + 1) * 2;
    struct share **old = r->map, **m;
    size_t old_mask = r->map_mask;

    if (r->n_signers * 2 < r->map_mask + 1)
        return true;
    m = calloc(n, sizeof(*m));
    if (!m)
        return false;
    r->map = m;
    r->map_mask = n - 1;
    for (size_t i = 0; i <= old_mask; i++)
        if (old[i])
            *map_find(r, old[i]->signer, old[i]->signer_hash) = old[i];
    free(old);
    return true;
}

/* signer's share, made on first use; NULL when out of memory. */
static struct share *share_of(struct replay *r, const char *signer)
{
    uint64_t h = hash_of(r, signer);
    struct share **at, *s = NULL;

    pthread_mutex_lock(&r->lock);
    at = map_find(r, signer, h);
    if (!*at && map_grow(r)) {
        at = map_find(r, signer, h);
        *at = share_new(signer, h);
        r->n_signers += *at != NULL;
    }
    s = *at;
    pthread_mutex_unlock(&r->lock);
    return s;
}

enum replay_result replay_insert(struct replay *r, const char *signer,
                                 const char *nonce, int64_t expiry_ms,
                                 int64_t now_ms)
{
    struct share *s = share_of(r, signer);

    if (!s)
        return REPLAY_FULL;
    return share_insert(s, r->share, r->max_slots, hash_of(r, nonce), expiry_ms,
                        now_ms);
}
