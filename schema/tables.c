/* SPDX-License-Identifier: MIT */
/* The tables: their names, and the row counts /metrics reports, cached
 * for a few seconds (counting a million rows is not free).
 *
 * DESIGN: the cache is one JSON object per pool behind pool->rows_lock. A
 * caller that finds it older than it allows recounts, in its own read
 * transaction and with the lock held, so callers that arrive meanwhile
 * wait for that one count and share it instead of counting again. */
#include "core/clock.h"
#include "stmt.h"

const char *db_table_name(enum db_table t)
{
    static const char *const names[DB_T_COUNT] = {
#define X(e, name) [DB_T_##e] = name,
        DB_TABLE_LIST(X)
#undef X
            [DB_T_OTHER] = "other",
    };

    return (unsigned)t < DB_T_COUNT ? names[t] : "other";
}

static enum svc_rc count_rows(struct db *db, json_t *out)
{
    /* One static statement per table: names cannot be bound (and
     * tests/lint/check_sql.sh wants SQL as literals, not macro output). */
    static const char *const sql[][2] = {
        {"miner", "SELECT COUNT(*) FROM miner"},
        {"miner_details", "SELECT COUNT(*) FROM miner_details"},
        {"challenge_details", "SELECT COUNT(*) FROM challenge_details"},
        {"allocation", "SELECT COUNT(*) FROM allocation"},
        {"blacklist", "SELECT COUNT(*) FROM blacklist"},
        {"pog_stats", "SELECT COUNT(*) FROM pog_stats"},
        {"stats", "SELECT COUNT(*) FROM stats"},
        {"wandb_runs", "SELECT COUNT(*) FROM wandb_runs"},
        {"principals", "SELECT COUNT(*) FROM principals"},
        {"pog_jobs", "SELECT COUNT(*) FROM pog_jobs"},
    };
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; rc == SVC_OK && i < sizeof(sql) / sizeof(sql[0]); i++) {
        struct db_stmt *st = NULL;
        int64_t n = 0;

        rc = db_stmt(db, sql[i][1], &st);
        if (rc == SVC_OK)
            rc = db_one(st, db_row_int, &n);
        if (rc == SVC_OK &&
            json_object_set_new(out, sql[i][0], json_integer(n)))
            rc = SVC_ERR_NOMEM;
    }
    return rc;
}

enum svc_rc db_table_rows(struct db_pool *pool, unsigned max_age_s,
                          json_t **out)
{
    struct db *db;
    json_t *fresh;
    enum svc_rc rc = SVC_OK;

    pthread_mutex_lock(&pool->rows_lock);
    if (pool->rows &&
        clock_mono_us() - pool->rows_at_us < (int64_t)max_age_s * 1000000)
        goto out;
    fresh = json_object();
    rc = fresh ? db_read_begin(pool, &db) : SVC_ERR_NOMEM;
    if (rc == SVC_OK) {
        rc = count_rows(db, fresh);
        db_read_end(pool, db);
    }
    if (rc != SVC_OK) {
        json_decref(fresh);
        goto out;
    }
    json_decref(pool->rows);
    pool->rows = fresh;
    pool->rows_at_us = clock_mono_us();
out:
    if (rc == SVC_OK)
        *out = json_incref(pool->rows);
    pthread_mutex_unlock(&pool->rows_lock);
    return rc;
}
