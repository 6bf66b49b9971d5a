/* SPDX-License-Identifier: MIT */
/* The rendered-answer cache: hits need the same validator, and while one
 * thread renders a key (the filler) the others wait for its answer instead
 * of rendering it again; an abandoned fill lets a waiter render. */
#include "check.h"
#include "handlers/cache.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static const char key[] = "/miners|redacted";

struct waiter {
    pthread_t t;
    bool hit, filling;
    char body[64];
};

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    struct reply rep = {0};

    w->hit = cache_get(key, "W/\"e2\"", &rep, &w->filling);
    if (w->hit)
        snprintf(w->body, sizeof(w->body), "%.*s", (int)rep.raw_len, rep.raw);
    reply_clear(&rep);
    return NULL;
}

static void put(const char *etag, const char *text, bool filling)
{
    struct reply rep = {0};

    rep.status = 200;
    rep.body = json_pack("{s:s}", "v", text);
    CHECK_INT_EQ(cache_put(key, etag, &rep, filling), SVC_OK);
    CHECK_STR_EQ(rep.etag, etag);
    reply_clear(&rep);
}

int main(void)
{
    struct timespec pause = {0, 20 * 1000000L}; /* < the 50 ms fill wait */
    struct reply rep = {0};
    struct waiter w = {0};
    bool filling;

    /* A miss makes the caller the filler; a put under one validator is
     * not a hit under another. */
    CHECK(!cache_get(key, "W/\"e1\"", &rep, &filling));
    CHECK(filling);
    put("W/\"e1\"", "one", true);
    CHECK(cache_get(key, "W/\"e1\"", &rep, &filling));
    CHECK_STR_EQ(rep.etag, "W/\"e1\"");
    CHECK(rep.raw_len == strlen("{\"v\":\"one\"}"));
    reply_clear(&rep);

    /* e2: this thread fills; another asks meanwhile and gets our answer. */
    CHECK(!cache_get(key, "W/\"e2\"", &rep, &filling));
    CHECK(filling);
    CHECK(pthread_create(&w.t, NULL, wait_main, &w) == 0);
    nanosleep(&pause, NULL);
    put("W/\"e2\"", "two", true);
    CHECK(pthread_join(w.t, NULL) == 0);
    CHECK(w.hit);
    CHECK(!w.filling);
    CHECK_STR_EQ(w.body, "{\"v\":\"two\"}");

    /* e3 abandoned: the waiter becomes the filler. */
    cache_clear();
    CHECK(!cache_get(key, "W/\"e3\"", &rep, &filling));
    CHECK(filling);
    memset(&w, 0, sizeof(w));
    CHECK(pthread_create(&w.t, NULL, wait_main, &w) == 0);
    nanosleep(&pause, NULL);
    cache_abandon(key);
    CHECK(pthread_join(w.t, NULL) == 0);
    CHECK(!w.hit);
    CHECK(w.filling);
    cache_abandon(key);
    cache_clear();
    return 0;
}
