/* SPDX-License-Identifier: MIT */
/* The rendered-answer cache behind cache.h: a few dozen entries, one per
 * collection URL (and redaction), replaced in round-robin order. */
#include "cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 32, KEY_MAX = 160, TAG_MAX = 64 };

struct slot {
    char key[KEY_MAX];
    char etag[TAG_MAX];
    char *body; /* rendered JSON */
    size_t len;
};

static struct slot slots[SLOTS];
static unsigned next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

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

bool cache_get(const char *key, const char *etag, struct reply *rep)
{
    struct slot *s;
    bool hit = false;

    pthread_mutex_lock(&lock);
    s = find(key);
    if (s && strcmp(s->etag, etag) == 0)
        hit =
            reply_raw(rep, 200, "application/json", s->body, s->len) == SVC_OK;
    pthread_mutex_unlock(&lock);
    if (hit)
        snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    return hit;
}

enum svc_rc cache_put(const char *key, const char *etag, struct reply *rep)
{
    char *body = json_dumps(rep->body, JSON_COMPACT);
    size_t len;
    struct slot *s;
    enum svc_rc rc;

    if (!body)
        return SVC_ERR_NOMEM;
    len = strlen(body);
    rc = reply_raw(rep, rep->status, "application/json", body, len);
    json_decref(rep->body);
    rep->body = NULL;
    snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    if (strlen(key) >= KEY_MAX) {
        free(body);
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
