/* SPDX-License-Identifier: MIT */
/* A write waiting for another process's lock must not hold up reads, even
 * when the server has a single HTTP thread: writes run on their own
 * threads and the HTTP thread keeps serving other connections. */
#include "check.h"
#include "harness.h"
#include "server/config.h"
#include "upstream.h"

#include <time.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void one_thread(struct config *cfg)
{
    cfg->threads = 1;
    cfg->write_threads = 1;
}

int main(void)
{
    struct timespec settle = {0, 150 * 1000000L};
    char body[256];
    struct th_async *put;
    struct resp r;
    sqlite3 *other;
    double t0, read_at, put_took;

    th_start_with(NULL, one_thread);
    snprintf(body, sizeof(body),
             "{\"mode\": \"merge\", \"miners\": [{\"uid\": 7, \"hotkey\": "
             "\"%s\"}]}",
             th_hotkey(7));
    other = up_open(th_db_path());
    up_exec(other, "BEGIN IMMEDIATE");
    up_exec(other, "INSERT INTO tb (hotkey) VALUES ('held')");

    t0 = now_s();
    put = th_send_async("PUT", "/miners", body);
    nanosleep(&settle, NULL); /* the PUT is now waiting for the lock */
    r = th_get("/healthz");
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    r = th_get("/miners");
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(json_object_size(r.json), 0);
    th_resp_free(&r);
    read_at = now_s() - t0;

    /* The busy timeout is 1 s: the PUT was still waiting when the reads
     * were answered. */
    up_exec(other, "ROLLBACK");
    r = th_wait(put);
    put_took = now_s() - t0;
    CHECK(read_at < 0.7);
    CHECK(put_took > read_at);
    CHECK_INT_EQ(r.status, 200); /* the lock went before the timeout */
    th_resp_free(&r);
    CHECK_INT_EQ(up_int(other, "SELECT COUNT(*) FROM miner"), 1);
    sqlite3_close(other);
    th_stop();
    return 0;
}
