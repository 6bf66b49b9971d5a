/* SPDX-License-Identifier: MIT */
/* Old upstream files: the 3-column miner_details without a UNIQUE hotkey
 * (before 1.3.x), a 4-column one without the index, and files that predate
 * the wandb_runs, blacklist, pog_stats and stats tables. Each is upgraded in
 * place, keeping every row and id. */
#include "check.h"
#include "harness.h"
#include "upstream.h"

#include <unistd.h>

static const char *hk_a, *hk_b;

static void build_legacy(const char *path, bool four_columns)
{
    sqlite3 *db = up_open(path);
    char *sql;

    up_exec(db, "CREATE TABLE miner (uid INTEGER PRIMARY KEY, "
                "ss58_address TEXT UNIQUE)");
    up_exec(db, four_columns
                    ? "CREATE TABLE miner_details (id INTEGER PRIMARY KEY, "
                      "hotkey TEXT, details TEXT, no_specs_count INTEGER "
                      "DEFAULT 0)"
                    : "CREATE TABLE miner_details (id INTEGER PRIMARY KEY, "
                      "hotkey TEXT, details TEXT)");
    sql = sqlite3_mprintf(
        "INSERT INTO miner_details (id, hotkey, details) VALUES "
        "(1, %Q, '{\"old\": 1}'), (2, %Q, '{\"b\": 2}'), "
        "(3, %Q, '{\"new\": 3}'), (7, NULL, NULL)",
        hk_a, hk_b, hk_a);
    up_exec(db, sql);
    sqlite3_free(sql);
    if (four_columns)
        up_exec(db, "UPDATE miner_details SET no_specs_count = id");
    sqlite3_close(db);
}

static void check_upgraded(const char *path, bool four_columns)
{
    sqlite3 *db = up_open(path);
    char buf[256], *sql;

    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM "
                            "pragma_table_info('miner_details')"),
                 4);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM "
                            "pragma_index_list('miner_details') "
                            "WHERE \"unique\" = 1"),
                 1);
    /* Every id stays: the newest row of the duplicated hotkey (3) in
     * miner_details, the older one (1) moved aside whole. */
    CHECK_STR_EQ(up_text(db,
                         "SELECT group_concat(id) FROM (SELECT id FROM "
                         "miner_details ORDER BY id)",
                         buf, sizeof(buf)),
                 "2,3,7");
    sql = sqlite3_mprintf("SELECT details FROM computedb_legacy_miner_details "
                          "WHERE id = 1 AND hotkey = %Q",
                          hk_a);
    CHECK_STR_EQ(up_text(db, sql, buf, sizeof(buf)), "{\"old\": 1}");
    sqlite3_free(sql);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM miner_details") +
                     up_int(db, "SELECT COUNT(*) FROM "
                                "computedb_legacy_miner_details"),
                 4);
    CHECK_INT_EQ(up_int(db, "SELECT no_specs_count FROM miner_details "
                            "WHERE id = 3"),
                 four_columns ? 3 : 0);
    /* The tables the old file lacked exist now. */
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name "
                            "IN ('tb', 'challenge_details', 'blacklist', "
                            "'allocation', 'wandb_runs', 'pog_stats', "
                            "'stats')"),
                 7);
    CHECK_STR_EQ(up_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    sqlite3_close(db);
}

static void check_served(void)
{
    char path[128], body[256];
    struct resp r;

    snprintf(path, sizeof(path), "/miners/details/%s", hk_a);
    r = th_get(path);
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(json_integer_value(json_object_get(r.json, "id")), 3);
    CHECK_INT_EQ(json_integer_value(json_object_get(
                     json_object_get(r.json, "details"), "new")),
                 3);
    th_resp_free(&r);
    /* An update keeps the id (UPSERT on the now unique hotkey). */
    snprintf(body, sizeof(body),
             "{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"x\": 1}}]}",
             hk_a);
    r = th_send("PUT", "/miners/details", body);
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    r = th_get(path);
    CHECK_INT_EQ(json_integer_value(json_object_get(r.json, "id")), 3);
    th_resp_free(&r);
}

static void run(bool four_columns)
{
    char path[512];

    snprintf(path, sizeof(path), "/tmp/computedb-legacy-%d-%d.db",
             (int)getpid(), four_columns);
    build_legacy(path, four_columns);
    th_start(path);
    th_stop();
    check_upgraded(path, four_columns);
    th_start(path);
    check_served();
    th_stop();
    unlink(path);
}

int main(void)
{
    hk_a = th_hotkey(1);
    hk_b = th_hotkey(2);
    run(false);
    run(true);
    return 0;
}
