/* SPDX-License-Identifier: MIT */
/* /miners over real HTTP: merge is INSERT OR IGNORE, sync purges every uid
 * whose hotkey changed across exactly five tables, DELETE returns the
 * per-table counts, and every bad batch writes nothing. */
#include "util.h"

/* Seeds rows that a purge of (uid, hotkey) must or must not touch. */
static void seed_owned_rows(int uid, const char *hotkey, const char *other)
{
    tu_exec("INSERT INTO challenge_details (uid, ss58_address, success, "
            "elapsed_time, difficulty, created_at) VALUES "
            "(%d, %Q, TRUE, 1.5, 10, '2024-01-01T00:00:01.000000'),"
            "(%d, %Q, FALSE, 2.5, 10, '2024-01-01T00:00:02.000000'),"
            "(%d, %Q, TRUE, 3.5, 10, '2024-01-01T00:00:03.000000'),"
            "(%d, %Q, TRUE, 1.0, 10, '2024-01-01T00:00:04.000000'),"
            "(%d, %Q, TRUE, 1.0, 10, '2024-01-01T00:00:05.000000')",
            uid, hotkey, uid, hotkey, uid, hotkey, uid + 1000, hotkey, uid,
            other);
    tu_exec("INSERT INTO miner_details (hotkey, details, no_specs_count) "
            "VALUES (%Q, '{\"a\": 1}', 0), (%Q, '{}', 2)",
            hotkey, other);
    tu_exec("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
            "VALUES (%Q, 'NVIDIA H100', 8, '2024-01-01 00:00:00'), "
            "(%Q, NULL, NULL, '2024-01-01 00:00:01'), "
            "(%Q, 'NVIDIA A100', 1, '2024-01-01 00:00:00')",
            hotkey, hotkey, other);
    tu_exec("INSERT INTO stats (uid, hotkey, score, allocated, own_score) "
            "VALUES (%d, %Q, 10.0, FALSE, TRUE), (%d, %Q, 20.0, FALSE, TRUE)",
            uid, hotkey, uid + 1000, hotkey);
    tu_exec("INSERT INTO allocation (hotkey, details) VALUES (%Q, '{}')",
            hotkey);
    tu_exec("INSERT INTO blacklist (hotkey) VALUES (%Q)", hotkey);
    tu_exec("INSERT INTO wandb_runs (hotkey, run_id) VALUES (%Q, 'run-1')",
            hotkey);
}

/* After a purge of (uid, hotkey): exactly the owned rows are gone. */
static void check_purged(int uid, const char *hotkey, const char *other)
{
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner WHERE uid = %d AND "
                        "ss58_address = %Q",
                        uid, hotkey),
                 0);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM challenge_details WHERE "
                        "uid = %d AND ss58_address = %Q",
                        uid, hotkey),
                 0);
    /* Same hotkey on another uid, and another hotkey on the uid, stay. */
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM challenge_details WHERE "
                        "uid = %d AND ss58_address = %Q",
                        uid + 1000, hotkey),
                 1);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM challenge_details WHERE "
                        "uid = %d AND ss58_address = %Q",
                        uid, other),
                 1);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner_details WHERE "
                        "hotkey = %Q",
                        hotkey),
                 0);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner_details WHERE "
                        "hotkey = %Q",
                        other),
                 1);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q", hotkey), 0);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q", other), 1);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = %d", uid), 0);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = %d AND "
                        "hotkey = %Q",
                        uid + 1000, hotkey),
                 1);
    /* Never touched by a purge. */
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM allocation WHERE hotkey = %Q", hotkey), 1);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM blacklist WHERE hotkey = %Q", hotkey), 1);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM wandb_runs WHERE hotkey = %Q", hotkey), 1);
}

static const char purge_counts[] =
    "{\"miner\": 1, \"challenge_details\": 3, \"miner_details\": 1, "
    "\"pog_stats\": 2, \"stats\": 1}";

static void test_empty_and_merge(void)
{
    struct resp r = th_get("/miners");
    char *want;

    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{}"));
    th_resp_free(&r);

    r = tu_sendf("PUT", "/miners",
                 "{\"mode\": \"merge\", \"miners\": [{\"uid\": 0, \"hotkey\": "
                 "\"%s\"}, {\"uid\": 1, \"hotkey\": \"%s\"}, {\"uid\": "
                 "65535, \"hotkey\": \"%s\"}]}",
                 hk(0), hk(1), hk(2));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json,
                     "{\"inserted\": 3, \"ignored\": 0, \"purged\": []}"));
    th_resp_free(&r);
    CHECK_INT_EQ(tu_count("miner"), 3);
    CHECK_SQL_TEXT(hk(2), "SELECT ss58_address FROM miner WHERE uid = 65535");

    r = th_get("/miners");
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"0\": \"%s\", \"1\": \"%s\", \"65535\": \"%s\"}", hk(0),
                   hk(1), hk(2));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);

    /* Conflicts on uid, on hotkey and inside the batch are ignored and
     * counted; the stored pairs do not change. */
    r = tu_sendf("PUT", "/miners",
                 "{\"miners\": [{\"uid\": 1, \"hotkey\": \"%s\"}, {\"uid\": "
                 "5, \"hotkey\": \"%s\"}, {\"hotkey\": \"%s\", \"uid\": 6}, "
                 "{\"uid\": 6, \"hotkey\": \"%s\"}, {\"uid\": 7, \"hotkey\": "
                 "\"%s\"}], \"mode\": \"merge\"}",
                 hk(9), hk(0), hk(6), hk(7), hk(6));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json,
                     "{\"inserted\": 1, \"ignored\": 4, \"purged\": []}"));
    th_resp_free(&r);
    CHECK_INT_EQ(tu_count("miner"), 4);
    CHECK_SQL_TEXT(hk(1), "SELECT ss58_address FROM miner WHERE uid = 1");
    CHECK_SQL_TEXT(hk(6), "SELECT ss58_address FROM miner WHERE uid = 6");
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM miner WHERE uid IN (5, 7)"), 0);

    /* merge never purges, even when a uid's hotkey differs. */
    seed_owned_rows(1, hk(1), hk(3));
    r = tu_sendf("PUT", "/miners",
                 "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": "
                 "\"%s\"}]}",
                 hk(10));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json,
                     "{\"inserted\": 0, \"ignored\": 1, \"purged\": []}"));
    th_resp_free(&r);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM challenge_details WHERE "
                        "uid = 1 AND ss58_address = %Q",
                        hk(1)),
                 3);
}

static void test_sync(void)
{
    struct resp r;
    char *want;

    /* uid 1 (hk1) is re-registered to hk10; uid 6 unchanged; uid 0 is not
     * in the request and stays; uid 8 is new. */
    r = tu_sendf("PUT", "/miners",
                 "{\"mode\": \"sync\", \"miners\": [{\"uid\": 1, \"hotkey\": "
                 "\"%s\"}, {\"uid\": 6, \"hotkey\": \"%s\"}, {\"uid\": 8, "
                 "\"hotkey\": \"%s\"}]}",
                 hk(10), hk(6), hk(8));
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"inserted\": 2, \"ignored\": 1, \"purged\": [{\"uid\": "
                   "1, \"hotkey\": \"%s\", \"deleted\": %s}]}",
                   hk(1), purge_counts);
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);
    check_purged(1, hk(1), hk(3));
    CHECK_SQL_TEXT(hk(10), "SELECT ss58_address FROM miner WHERE uid = 1");
    CHECK_SQL_TEXT(hk(0), "SELECT ss58_address FROM miner WHERE uid = 0");
    CHECK_SQL_TEXT(hk(8), "SELECT ss58_address FROM miner WHERE uid = 8");
    CHECK_INT_EQ(tu_count("miner"), 5);

    /* Two uids swap hotkeys: both are purged, both new pairs stored. */
    r = tu_sendf("PUT", "/miners",
                 "{\"mode\": \"sync\", \"miners\": [{\"uid\": 6, \"hotkey\": "
                 "\"%s\"}, {\"uid\": 8, \"hotkey\": \"%s\"}]}",
                 hk(8), hk(6));
    CHECK_STATUS(r, 200);
    want = tu_strf(
        "{\"inserted\": 2, \"ignored\": 0, \"purged\": [{\"uid\": 6, "
        "\"hotkey\": \"%s\", \"deleted\": {\"miner\": 1, "
        "\"challenge_details\": 0, \"miner_details\": 0, \"pog_stats\": 0, "
        "\"stats\": 0}}, {\"uid\": 8, \"hotkey\": \"%s\", \"deleted\": "
        "{\"miner\": 1, \"challenge_details\": 0, \"miner_details\": 0, "
        "\"pog_stats\": 0, \"stats\": 0}}]}",
        hk(6), hk(8));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);
    CHECK_SQL_TEXT(hk(8), "SELECT ss58_address FROM miner WHERE uid = 6");
    CHECK_SQL_TEXT(hk(6), "SELECT ss58_address FROM miner WHERE uid = 8");

    /* A sync that changes nothing writes nothing. */
    {
        struct tu_snap before = tu_snap_take();

        r = tu_sendf("PUT", "/miners",
                     "{\"mode\": \"sync\", \"miners\": [{\"uid\": 0, "
                     "\"hotkey\": \"%s\"}]}",
                     hk(0));
        CHECK_STATUS(r, 200);
        CHECK(tu_json_is(r.json,
                         "{\"inserted\": 0, \"ignored\": 1, \"purged\": []}"));
        th_resp_free(&r);
        CHECK_UNCHANGED(before);
    }
}

static void test_delete(void)
{
    struct resp r;
    char *path, *want;

    tu_exec("INSERT INTO miner (uid, ss58_address) VALUES (20, %Q)", hk(20));
    seed_owned_rows(20, hk(20), hk(21));
    path = tu_strf("/miners/20?hotkey=%s", hk(20));
    r = th_send("DELETE", path, NULL);
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"uid\": 20, \"hotkey\": \"%s\", \"deleted\": %s}", hk(20),
                   purge_counts);
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);
    check_purged(20, hk(20), hk(21));

    /* Again: nothing left, every count 0. */
    r = th_send("DELETE", path, NULL);
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(json_object_get(r.json, "deleted"),
                     "{\"miner\": 0, \"challenge_details\": 0, "
                     "\"miner_details\": 0, \"pog_stats\": 0, \"stats\": 0}"));
    th_resp_free(&r);
    free(path);

    /* A hotkey that is not the uid's: the miner row stays, the hotkey-only
     * tables are still purged (upstream predicates). */
    path = tu_strf("/miners/0?hotkey=%s", hk(21));
    r = th_send("DELETE", path, NULL);
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(json_object_get(r.json, "deleted"),
                     "{\"miner\": 0, \"challenge_details\": 0, "
                     "\"miner_details\": 1, \"pog_stats\": 1, \"stats\": 0}"));
    th_resp_free(&r);
    free(path);
    CHECK_SQL_TEXT(hk(0), "SELECT ss58_address FROM miner WHERE uid = 0");
}

static void test_bad_puts(void)
{
    char *b;

    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 30, \"hotkey\": "
                "\"%s\"}, {\"uid\": 31, \"hotkey\": \"nope\"}]}",
                hk(30));
    tu_bad("PUT", "/miners", b, "miners[1].hotkey");
    free(b);
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 30, \"hotkey\": "
                "\"%s\"}, {\"uid\": 31, \"hotkey\": \"%s\"}]}",
                hk(30), TU_BAD_SS58);
    tu_bad("PUT", "/miners", b, "miners[1].hotkey");
    free(b);
    /* A bad row in a sync must not purge the good rows' uids either. */
    b = tu_strf("{\"mode\": \"sync\", \"miners\": [{\"uid\": 0, \"hotkey\": "
                "\"%s\"}, {\"uid\": 32, \"hotkey\": 5}]}",
                hk(33));
    tu_bad("PUT", "/miners", b, "miners[1].hotkey");
    free(b);

    static const char *const uids[] = {"-1",   "65536", "\"5\"", "1.5",
                                       "null", "true",  "1e3",   "99999999999"};
    for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
        b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 30, "
                    "\"hotkey\": \"%s\"}, {\"uid\": %s, \"hotkey\": \"%s\"}]}",
                    hk(30), uids[i], hk(31));
        tu_bad("PUT", "/miners", b, "miners[1].uid");
        free(b);
    }
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 30}]}");
    tu_bad("PUT", "/miners", b, "miners[0].hotkey");
    free(b);
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"hotkey\": \"%s\"}]}",
                hk(30));
    tu_bad("PUT", "/miners", b, "miners[0].uid");
    free(b);
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 30, \"hotkey\": "
                "\"%s\", \"coldkey\": \"x\"}]}",
                hk(30));
    tu_bad("PUT", "/miners", b, "miners[0].coldkey");
    free(b);
    tu_bad("PUT", "/miners", "{\"mode\": \"merge\", \"miners\": [1]}",
           "miners[0]");
    tu_bad("PUT", "/miners", "{\"mode\": \"merge\", \"miners\": []}", "miners");
    tu_bad("PUT", "/miners", "{\"mode\": \"merge\", \"miners\": {}}", "miners");
    tu_bad("PUT", "/miners", "{\"mode\": \"merge\"}", "miners");
    b = tu_strf("{\"miners\": [{\"uid\": 30, \"hotkey\": \"%s\"}]}", hk(30));
    tu_bad("PUT", "/miners", b, "mode");
    free(b);
    b = tu_strf("{\"mode\": \"replace\", \"miners\": [{\"uid\": 30, "
                "\"hotkey\": \"%s\"}]}",
                hk(30));
    tu_bad("PUT", "/miners", b, "mode");
    free(b);
    b = tu_strf("{\"mode\": \"merge\", \"dry_run\": true, \"miners\": "
                "[{\"uid\": 30, \"hotkey\": \"%s\"}]}",
                hk(30));
    tu_bad("PUT", "/miners", b, "dry_run");
    free(b);
}

static void test_bad_deletes(void)
{
    char *p;

    tu_bad("DELETE", "/miners/abc?hotkey=x", NULL, "uid");
    p = tu_strf("/miners/-1?hotkey=%s", hk(0));
    tu_bad("DELETE", p, NULL, "uid");
    free(p);
    p = tu_strf("/miners/65536?hotkey=%s", hk(0));
    tu_bad("DELETE", p, NULL, "uid");
    free(p);
    p = tu_strf("/miners/1x?hotkey=%s", hk(0));
    tu_bad("DELETE", p, NULL, "uid");
    free(p);
    tu_bad("DELETE", "/miners/0", NULL, "hotkey");
    tu_bad("DELETE", "/miners/0?hotkey=", NULL, "hotkey");
    p = tu_strf("/miners/0?hotkey=%s", TU_BAD_SS58);
    tu_bad("DELETE", p, NULL, "hotkey");
    free(p);
    p = tu_strf("/miners/0?hotkey=%s&force=1", hk(0));
    tu_bad("DELETE", p, NULL, NULL);
    free(p);
    tu_bad("GET", "/miners?uid=1", NULL, NULL);
}

static void test_many(void)
{
    size_t cap = 256 * 96 + 64, used = 0;
    char *body = malloc(cap);
    struct resp r;

    CHECK(body != NULL);
    tu_exec("DELETE FROM miner");
    used += (size_t)snprintf(body, cap, "{\"mode\": \"merge\", \"miners\": [");
    for (unsigned i = 0; i < 256; i++)
        used += (size_t)snprintf(body + used, cap - used,
                                 "%s{\"uid\": %u, \"hotkey\": \"%s\"}",
                                 i ? "," : "", 1000 + i, hk(i));
    snprintf(body + used, cap - used, "]}");
    r = th_send("PUT", "/miners", body);
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "inserted"), 256);
    th_resp_free(&r);
    r = th_get("/miners");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_object_size(r.json), 256);
    CHECK_STR_EQ(tu_jstr(r.json, "1255"), hk(255));
    th_resp_free(&r);
    free(body);
}

int main(void)
{
    tu_start();
    test_empty_and_merge();
    test_sync();
    test_delete();
    test_bad_puts();
    test_bad_deletes();
    test_many();
    tu_stop();
    return 0;
}
