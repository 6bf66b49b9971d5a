/* SPDX-License-Identifier: MIT */
/* Another writer holding the write lock (another process on the SQLite
 * file, another replica on PostgreSQL): computedb retries for the busy
 * timeout (1 s in the harness), then answers 503 with Retry-After and
 * writes nothing; reads keep working; once the lock is released the same
 * write succeeds. Never a silent drop. */
#include "http/util.h"

int main(void)
{
    char body[256], buf[64];
    struct resp r;
    double t0, waited;

    tu_start();
    snprintf(body, sizeof(body),
             "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": "
             "\"%s\"}]}",
             th_hotkey(1));
    tu_hold_write_lock();

    t0 = check_now_s();
    r = th_send("PUT", "/miners", body);
    waited = check_now_s() - t0;
    th_expect_error(&r, 503, "unavailable", NULL);
    CHECK(th_header(&r, "Retry-After", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "1");
    CHECK(waited >= 0.9); /* it did retry for the busy timeout */
    th_resp_free(&r);

    r = th_get("/miners"); /* readers are not blocked by a writer */
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(json_object_size(r.json), 0);
    th_resp_free(&r);

    tu_exec("COMMIT");
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner"), 0);
    r = th_send("PUT", "/miners", body);
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner"), 1);
    tu_stop();
    return 0;
}
