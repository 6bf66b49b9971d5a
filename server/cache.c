/* SPDX-License-Identifier: MIT */
/* The rendered-answer cache behind cache.h: a few dozen entries, one per
 * collection URL (and redaction), replaced in round-robin order.
 *
 * After a commit renews the validators, every connection polling a URL
 * misses at once. One of them renders the answer (the filler) while the
 * others wait for it, instead of all rendering the same bytes at once and
 * sharing the CPU eight ways. A waiter gives up after FILL_WAIT_MS and
 * renders itself, so a slow filler delays nobody for long. */
#include "cache.h"

#include "core/clock.h"
#include "core/num.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLOTS = 32, KEY_MAX = 160, TAG_MAX = 64, FILLS = 8, FILL_WAIT_MS = 50 };

struct slot {
    char key[KEY_MAX];
    char etag[TAG_MAX];
    char *body; /* rendered JSON */
    size_t len;
};

static struct slot slots[SLOTS];
static unsigned next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Keys being rendered by a filler ("" for a free entry); guarded by lock,
 * and filled is signalled whenever one is released. */
static char fills[FILLS][KEY_MAX];
static pthread_cond_t filled = PTHREAD_COND_INITIALIZER;

/* Compares one If-None-Match token with etag, ignoring weakness. */
static bool tag_equal(const char *tok, size_t n, const char *etag)
{
    if (n >= 2 && tok[0] == 'W' && tok[1] == '/') {
        tok += 2;
        n -= 2;
    }
    if (strncmp(etag, "W/", 2) == 0)
        etag += 2;
    return strlen(etag) == n && memcmp(tok, etag, n) == 0;
}

bool cache_not_modified(const struct req *req, struct reply *rep,
                        const char *etag)
{
    const char *p = req->if_none_match;

    while (p && *p) {
        size_t n;

        p += strspn(p, " \t,");
        n = strcspn(p, ",");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if ((n == 1 && *p == '*') || (n && tag_equal(p, n, etag))) {
            snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
            (void)reply_empty(rep, 304);
            return true;
        }
        p += strcspn(p, ",");
    }
    return false;
}

static struct slot *find(const char *key)
{
    for (unsigned i = 0; i < SLOTS; i++)
        if (slots[i].body && strcmp(slots[i].key, key) == 0)
            return &slots[i];
    return NULL;
}

static int fill_find(const char *key)
{
    for (int i = 0; i < FILLS; i++)
        if (strcmp(fills[i], key) == 0)
            return i;
    return -1;
}

/* Waits (lock held) until no filler renders key, at most FILL_WAIT_MS.
 * False when the wait ran out. */
static bool wait_fill(const char *key)
{
    struct timespec deadline;

    if (fill_find(key) < 0)
        return true; /* the common case: nobody renders it */
    deadline = clock_deadline_ms(FILL_WAIT_MS);
    while (fill_find(key) >= 0)
        if (pthread_cond_timedwait(&filled, &lock, &deadline))
            return fill_find(key) < 0;
    return true;
}

static bool copy_hit(const char *key, const char *etag, struct reply *rep)
{
    struct slot *s = find(key);

    return s && strcmp(s->etag, etag) == 0 &&
           reply_raw(rep, 200, "application/json", s->body, s->len) == SVC_OK;
}

bool cache_get(const char *key, const char *etag, struct reply *rep,
               bool *filling)
{
    bool hit;
    int free_fill;

    *filling = false;
    if (strlen(key) >= KEY_MAX)
        return false;
    pthread_mutex_lock(&lock);
    hit = copy_hit(key, etag, rep);
    if (!hit && wait_fill(key))
        hit = copy_hit(key, etag, rep);
    if (!hit && fill_find(key) < 0 && (free_fill = fill_find("")) >= 0) {
        snprintf(fills[free_fill], KEY_MAX, "%s", key);
        *filling = true;
    }
    pthread_mutex_unlock(&lock);
    if (hit)
        snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    return hit;
}

/* Frees key's fill entry and wakes its waiters (lock held). */
static void release_fill(const char *key)
{
    int i = fill_find(key);

    if (i >= 0) {
        fills[i][0] = '\0';
        pthread_cond_broadcast(&filled);
    }
}

void cache_abandon(const char *key)
{
    pthread_mutex_lock(&lock);
    release_fill(key);
    pthread_mutex_unlock(&lock);
}

enum svc_rc cache_put(const char *key, const char *etag, struct reply *rep,
                      bool filling)
{
    char *body = json_dumps(rep->body, JSON_COMPACT);
    size_t len;
    struct slot *s;
    enum svc_rc rc;

    if (!body || num_json_shortest(&body, &len) != SVC_OK) {
        if (filling)
            cache_abandon(key); /* the waiters render it themselves */
        return SVC_ERR_NOMEM;
    }
    rc = reply_raw(rep, rep->status, "application/json", body, len);
    json_decref(rep->body);
    rep->body = NULL;
    snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    if (strlen(key) >= KEY_MAX) {
        free(body);
        if (filling)
            cache_abandon(key);
        return rc;
    }
    pthread_mutex_lock(&lock);
    s = find(key);
    if (!s)
        s = &slots[next_victim++ % SLOTS];
    free(s->body);
    snprintf(s->key, sizeof(s->key), "%s", key);
    snprintf(s->etag, sizeof(s->etag), "%s", etag);
    s->body = body;
    s->len = len;
    if (filling)
        release_fill(key);
    pthread_mutex_unlock(&lock);
    return rc;
}

void cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < SLOTS; i++) {
        free(slots[i].body);
        memset(&slots[i], 0, sizeof(slots[i]));
    }
    pthread_mutex_unlock(&lock);
}
