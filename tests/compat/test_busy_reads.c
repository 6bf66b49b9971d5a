/* SPDX-License-Identifier: MIT */
/* A write waiting for another writer's lock (another process on the SQLite
 * file, another replica on PostgreSQL) must not hold up reads, even when
 * the server has a single HTTP thread: writes run on their own threads and
 * the HTTP thread keeps serving other connections. */
#include "app/config.h"
#include "http/util.h"

/* One HTTP thread, one write thread, and a busy timeout long enough that
 * the PUT is still waiting whenever the reads are answered. */
static void one_thread(struct config *cfg)
{
    cfg->threads = 1;
    cfg->write_threads = 1;
    cfg->busy_timeout_ms = 20000;
}

int main(void)
{
    char body[256];
    struct th_async *put;
    struct resp r;
    double t0, read_at;

    th_start_with(NULL, one_thread);
    tu_connect();
    snprintf(body, sizeof(body),
             "{\"mode\": \"merge\", \"miners\": [{\"uid\": 7, \"hotkey\": "
             "\"%s\"}]}",
             th_hotkey(7));
    tu_hold_write_lock();

    t0 = check_now_s();
    put = th_send_async("PUT", "/miners", body);
    /* On SQLite each look is a GET /metrics: itself a read served
     * meanwhile. */
    while (!tu_write_waiting()) {
        struct timespec ms = {0, 1000000L};

        CHECK(check_now_s() - t0 < 10.0);
        nanosleep(&ms, NULL);
    }
    r = th_get("/healthz");
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    r = th_get("/miners");
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(json_object_size(r.json), 0);
    th_resp_free(&r);
    read_at = check_now_s() - t0;

    /* The reads were answered while the PUT waited (it waits up to 20 s
     * and only the ROLLBACK below lets it through). */
    CHECK(read_at < 10.0);
    tu_exec("ROLLBACK");
    r = th_wait(put);
    CHECK_INT_EQ(r.status, 200); /* the lock went before the timeout */
    th_resp_free(&r);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner"), 1);
    tu_stop();
    return 0;
}
