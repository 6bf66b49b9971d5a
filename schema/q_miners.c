/* SPDX-License-Identifier: MIT */
/* miner (uid <-> hotkey) queries and the five-table purge. */
#include "queries.h"
#include "stmt.h"

enum svc_rc q_miners_list(struct db *db, json_t **out)
{
    static const char sql[] =
        "SELECT uid, ss58_address FROM miner ORDER BY uid";

    return db_pairs(db, sql, out);
}

enum svc_rc q_miners_insert(struct db *db, int64_t uid, const char *hotkey,
                            bool *inserted)
{
    static const char sql[] =
        "INSERT INTO miner (uid, ss58_address) VALUES (?1, ?2) "
        "ON CONFLICT DO NOTHING";
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, uid);
    db_bind_text(st, 2, hotkey);
    rc = db_step_done(st);
    if (rc == SVC_OK && inserted)
        *inserted = db_changes(db) > 0;
    return rc;
}

enum svc_rc q_miners_hotkey(struct db *db, int64_t uid, char **out)
{
    static const char sql[] = "SELECT ss58_address FROM miner WHERE uid = ?1";

    return db_one_int(db, sql, uid, db_row_strdup, out);
}

/* One DELETE of the purge: binds uid and hotkey (?1, ?2) when by_uid,
 * else hotkey alone (?1). */
static enum svc_rc purge_one(struct db *db, const char *sql, bool by_uid,
                             int64_t uid, const char *hotkey, const char *table,
                             json_t *counts)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    if (by_uid)
        db_bind_int(st, 1, uid);
    db_bind_text(st, by_uid ? 2 : 1, hotkey);
    rc = db_step_done(st);
    if (rc == SVC_OK &&
        json_object_set_new(counts, table, json_integer(db_changes(db))))
        rc = SVC_ERR_NOMEM;
    return rc;
}

enum svc_rc q_miners_purge(struct db *db, int64_t uid, const char *hotkey,
                           json_t **out)
{
    static const char del_miner[] =
        "DELETE FROM miner WHERE uid = ?1 AND ss58_address = ?2";
    static const char del_challenges[] =
        "DELETE FROM challenge_details WHERE uid = ?1 AND ss58_address = ?2";
    static const char del_specs[] = "DELETE FROM miner_details "
                                    "WHERE hotkey = ?1";
    static const char del_pog[] = "DELETE FROM pog_stats WHERE hotkey = ?1";
    static const char del_stats[] =
        "DELETE FROM stats WHERE uid = ?1 AND hotkey = ?2";
    json_t *counts = json_object();
    enum svc_rc rc = counts ? SVC_OK : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = purge_one(db, del_miner, true, uid, hotkey, "miner", counts);
    if (rc == SVC_OK)
        rc = purge_one(db, del_challenges, true, uid, hotkey,
                       "challenge_details", counts);
    if (rc == SVC_OK)
        rc = purge_one(db, del_specs, false, uid, hotkey, "miner_details",
                       counts);
    if (rc == SVC_OK)
        rc = purge_one(db, del_pog, false, uid, hotkey, "pog_stats", counts);
    if (rc == SVC_OK)
        rc = purge_one(db, del_stats, true, uid, hotkey, "stats", counts);
    if (rc != SVC_OK) {
        json_decref(counts);
        return rc;
    }
    *out = counts;
    return SVC_OK;
}
