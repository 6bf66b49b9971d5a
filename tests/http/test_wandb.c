/* SPDX-License-Identifier: MIT */
/* /wandb-runs over real HTTP: insert-only (201 new, 200 same id, 409 for a
 * different id with the row unchanged), GET one and all, DELETE 204 then
 * 404, and bad input refused without a write. */
#include "util.h"

static struct resp put_run(const char *hotkey, const char *run_id)
{
    char *path = tu_strf("/wandb-runs/%s", hotkey);
    struct resp r = tu_sendf("PUT", path, "{\"run_id\": \"%s\"}", run_id);

    free(path);
    return r;
}

static void test_insert_only(void)
{
    struct resp r;
    char buf[256], *want;

    r = th_get("/wandb-runs");
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{}"));
    th_resp_free(&r);

    r = put_run(hk(1), "validator-abc123");
    CHECK_STATUS(r, 201);
    CHECK(th_header(&r, "Location", buf, sizeof(buf)));
    want = tu_strf("/wandb-runs/%s", hk(1));
    CHECK_STR_EQ(buf, want);
    free(want);
    want = tu_strf("{\"hotkey\": \"%s\", \"run_id\": \"validator-abc123\"}",
                   hk(1));
    CHECK(tu_json_is(r.json, want));
    th_resp_free(&r);
    CHECK_SQL_TEXT("validator-abc123",
                   "SELECT run_id FROM wandb_runs WHERE hotkey = %Q", hk(1));

    /* The same id again: 200, no Location, nothing changes. */
    {
        struct tu_snap before = tu_snap_take();

        r = put_run(hk(1), "validator-abc123");
        CHECK_STATUS(r, 200);
        CHECK(!th_header(&r, "Location", buf, sizeof(buf)));
        CHECK(tu_json_is(r.json, want));
        th_resp_free(&r);
        CHECK_UNCHANGED(before);
    }
    free(want);

    /* A different id: 409 naming run_id; the stored id stays. */
    {
        char *path = tu_strf("/wandb-runs/%s", hk(1));

        tu_reject("PUT", path, "{\"run_id\": \"validator-zzz\"}", 409,
                  "conflict", "run_id");
        free(path);
    }
    CHECK_SQL_TEXT("validator-abc123",
                   "SELECT run_id FROM wandb_runs WHERE hotkey = %Q", hk(1));

    r = put_run(hk(2), "run-\\u00fc");
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    CHECK_SQL_TEXT("run-\xc3\xbc",
                   "SELECT run_id FROM wandb_runs WHERE hotkey = %Q", hk(2));

    r = th_get("/wandb-runs");
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"%s\": \"validator-abc123\", \"%s\": \"run-\\u00fc\"}",
                   hk(1), hk(2));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);

    r = tu_getf("/wandb-runs/%s", hk(2));
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hk(2));
    CHECK_STR_EQ(tu_jstr(r.json, "run_id"), "run-\xc3\xbc");
    CHECK_INT_EQ(json_object_size(r.json), 2);
    th_resp_free(&r);
}

static void test_delete(void)
{
    struct resp r;
    char *path = tu_strf("/wandb-runs/%s", hk(1));

    r = th_send("DELETE", path, NULL);
    CHECK_STATUS(r, 204);
    CHECK(r.len == 0);
    th_resp_free(&r);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM wandb_runs WHERE hotkey = %Q", hk(1)), 0);
    CHECK_INT_EQ(tu_count("wandb_runs"), 1);
    tu_reject("DELETE", path, NULL, 404, "not_found", "hotkey");
    tu_reject("GET", path, NULL, 404, "not_found", "hotkey");
    free(path);

    /* After a delete a new id may be stored. */
    r = put_run(hk(1), "validator-new");
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    CHECK_SQL_TEXT("validator-new",
                   "SELECT run_id FROM wandb_runs WHERE hotkey = %Q", hk(1));
}

static void test_bad_input(void)
{
    char *path = tu_strf("/wandb-runs/%s", hk(3)), *b, id[300];
    struct resp r;

    tu_bad("PUT", path, "{\"run_id\": \"\"}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": 5}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": null}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": [\"a\"]}", "run_id");
    tu_bad("PUT", path, "{}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": \"a\", \"name\": \"validator\"}", "name");
    memset(id, 'r', 257);
    id[257] = '\0';
    b = tu_strf("{\"run_id\": \"%s\"}", id);
    tu_bad("PUT", path, b, "run_id");
    free(b);
    /* 256 bytes is the cap, inclusive. */
    id[256] = '\0';
    r = put_run(hk(3), id);
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    free(path);

    tu_bad("PUT", "/wandb-runs/nope", "{\"run_id\": \"a\"}", "hotkey");
    b = tu_strf("/wandb-runs/%s", TU_BAD_SS58);
    tu_bad("PUT", b, "{\"run_id\": \"a\"}", "hotkey");
    tu_bad("GET", b, NULL, "hotkey");
    tu_bad("DELETE", b, NULL, "hotkey");
    free(b);
    tu_bad("GET", "/wandb-runs?hotkey=x", NULL, NULL);
}

int main(void)
{
    tu_start();
    test_insert_only();
    test_delete();
    test_bad_input();
    tu_stop();
    return 0;
}
