/* SPDX-License-Identifier: MIT */
/* The rendered-answer cache: hits need the same validator, cache_clear()
 * empties it, and while one thread renders a key (the filler) the others
 * wait for its answer instead of rendering it again; an abandoned fill lets
 * a waiter render. */
#include "check.h"
#include "server/cache.h"

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

static void put_e2(void)
{
    put("W/\"e2\"", "two", true);
}

static void abandon(void)
{
    cache_abandon(key);
}

/* Starts a waiter while this thread fills key under e2 (or e3), then runs
 * act 20 ms later. A waiter gives up after 50 ms (FILL_WAIT_MS): when act
 * was not done within 45 ms of the start the round proves nothing (a
 * loaded machine) and is run again. */
static void race(const char *etag, void (*act)(void), struct waiter *w)
{
    struct timespec pause = {0, 20 * 1000000L};
    struct reply rep = {0};
    bool filling;

    for (int round = 0; round < 50; round++) {
        double t0;

        cache_clear();
        CHECK(!cache_get(key, etag, &rep, &filling));
        CHECK(filling);
        memset(w, 0, sizeof(*w));
        t0 = (check_now_s() * 1e3);
        CHECK(pthread_create(&w->t, NULL, wait_main, w) == 0);
        nanosleep(&pause, NULL);
        act();
        if ((check_now_s() * 1e3) - t0 < 45) {
            CHECK(pthread_join(w->t, NULL) == 0);
            return;
        }
        CHECK(pthread_join(w->t, NULL) == 0);
        if (w->filling)
            cache_abandon(key);
    }
    CHECK(!"no round ran in time");
}

int main(void)
{
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

    /* cache_clear() drops it: the same validator misses again. */
    cache_clear();
    CHECK(!cache_get(key, "W/\"e1\"", &rep, &filling));
    CHECK(filling);
    cache_abandon(key);

    /* e2: this thread fills; another asks meanwhile and gets our answer. */
    race("W/\"e2\"", put_e2, &w);
    CHECK(w.hit);
    CHECK(!w.filling);
    CHECK_STR_EQ(w.body, "{\"v\":\"two\"}");

    /* e3 abandoned: the waiter becomes the filler. */
    race("W/\"e3\"", abandon, &w);
    CHECK(!w.hit);
    CHECK(w.filling);
    cache_abandon(key);
    cache_clear();
    return 0;
}
