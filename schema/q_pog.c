/* SPDX-License-Identifier: MIT */
/* pog_stats: Proof-of-GPU results per hotkey, the newest 4 kept. */
#include "core/clock.h"
#include "queries.h"
#include "stmt.h"

enum { KEEP = 4 };

static enum svc_rc pog_row(struct db_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = json_pack(
        "{s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0), "hotkey",
        db_col_text(st, 1), "gpu_name", db_col_text(st, 2), "num_gpus",
        db_col_null(st, 3) ? json_null() : json_integer(db_col_int(st, 3)),
        "created_at", db_col_text(st, 4));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

static enum svc_rc by_id(struct db *db, int64_t id, json_t **out)
{
    static const char sql[] = "SELECT id, hotkey, gpu_name, num_gpus, "
                              "created_at FROM pog_stats WHERE id = ?1";

    return db_one_int(db, sql, id, pog_row, out);
}

/* Deletes every row of hotkey but the KEEP newest. */
static enum svc_rc trim(struct db *db, const char *hotkey)
{
    static const char sql[] =
        "DELETE FROM pog_stats WHERE hotkey = ?1 AND id NOT IN ("
        "SELECT id FROM pog_stats WHERE hotkey = ?1 "
        "ORDER BY created_at DESC NULLS LAST, id DESC LIMIT ?2)";
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, hotkey);
    db_bind_int(st, 2, KEEP);
    return db_step_done(st);
}

enum svc_rc q_pog_insert(struct db *db, const char *hotkey,
                         const char *gpu_name, int64_t num_gpus, json_t **out)
{
    static const char sql[] = "INSERT INTO pog_stats (hotkey, gpu_name, "
                              "num_gpus, created_at) VALUES (?1, ?2, ?3, ?4) "
                              "RETURNING id";
    char now[20];
    struct db_stmt *st = NULL;
    int64_t id = 0;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    clock_utc_text(now);
    db_bind_text(st, 1, hotkey);
    db_bind_text(st, 2, gpu_name);
    if (num_gpus >= 0)
        db_bind_int(st, 3, num_gpus);
    db_bind_text(st, 4, now);
    rc = db_one(st, db_row_int, &id);
    if (rc != SVC_OK)
        return rc == SVC_ERR_NOT_FOUND ? SVC_ERR_DB : rc;
    /* Read the row back before trimming: a row older than the 4 kept
     * (a clock stepped back) is trimmed at once, and the caller still
     * learns what was written. */
    rc = by_id(db, id, out);
    if (rc == SVC_OK)
        rc = trim(db, hotkey);
    if (rc != SVC_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

enum svc_rc q_pog_latest(struct db *db, const char *hotkey, json_t **out)
{
    static const char sql[] =
        "SELECT id, hotkey, gpu_name, num_gpus, created_at FROM pog_stats "
        "WHERE hotkey = ?1 AND gpu_name IS NOT NULL AND num_gpus IS NOT NULL "
        "ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1";

    return db_one_text(db, sql, hotkey, pog_row, out);
}

enum svc_rc q_pog_list(struct db *db, json_t **out)
{
    static const char sql[] =
        "SELECT id, hotkey, gpu_name, num_gpus, created_at FROM pog_stats "
        "ORDER BY hotkey NULLS FIRST, created_at DESC NULLS LAST, id DESC";

    return db_array(db, sql, pog_row, out);
}

static enum svc_rc score_row(struct db_stmt *st, void *ctx)
{
    json_t *row = json_pack(
        "{s:o,s:o,s:o,s:o,s:o}", "hotkey", db_col_text(st, 0), "uid",
        db_col_null(st, 1) ? json_null() : json_integer(db_col_int(st, 1)),
        "gpu_name", db_col_text(st, 2), "num_gpus",
        json_integer(db_col_int(st, 3)), "created_at", db_col_text(st, 4));

    if (!row || json_array_append_new(ctx, row))
        return SVC_ERR_NOMEM;
    return SVC_OK;
}

enum svc_rc q_pog_passing(struct db *db, json_t **out)
{
    /* The newest passing row per hotkey, as q_pog_latest picks it, through
     * the (hotkey, created_at) index; the uid where miner knows the
     * hotkey. */
    static const char sql[] =
        "SELECT p.hotkey, m.uid, p.gpu_name, p.num_gpus, p.created_at "
        "FROM pog_stats AS p LEFT JOIN miner AS m ON m.ss58_address = "
        "p.hotkey WHERE p.hotkey IS NOT NULL AND p.id = (SELECT q.id FROM "
        "pog_stats AS q WHERE q.hotkey = p.hotkey AND q.gpu_name IS NOT NULL "
        "AND q.num_gpus IS NOT NULL ORDER BY q.created_at DESC NULLS LAST, "
        "q.id DESC "
        "LIMIT 1) ORDER BY p.hotkey";
    json_t *rows = json_array();

    return db_collect(db, sql, score_row, rows, rows, out);
}
