/* SPDX-License-Identifier: MIT */
/* pog_jobs: the state of every PoG job the worker pool ran, one row per job,
 * rewritten at each transition, so a job stays readable after the pool has
 * forgotten it or the process restarted. */
#include "db_int.h"
#include "queries.h"

static void bind_ms(sqlite3_stmt *st, int idx, int64_t ms)
{
    if (ms > 0)
        sqlite3_bind_int64(st, idx, ms);
    else
        sqlite3_bind_null(st, idx);
}

enum svc_rc q_pogjobs_put(struct db *db, const struct q_pogjob *j)
{
    static const char sql[] =
        "INSERT INTO pog_jobs (id, kind, state, device, params, result, "
        "error, submitted_at, started_at, finished_at) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE SET "
        "kind = excluded.kind, state = excluded.state, device = "
        "excluded.device, params = excluded.params, result = "
        "excluded.result, error = excluded.error, submitted_at = "
        "excluded.submitted_at, started_at = excluded.started_at, "
        "finished_at = excluded.finished_at";
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    sqlite3_bind_int64(st, 1, j->id);
    db_bind_text(st, 2, j->kind);
    db_bind_text(st, 3, j->state);
    sqlite3_bind_int64(st, 4, j->device);
    db_bind_text(st, 5, j->params);
    db_bind_text(st, 6, j->result);
    db_bind_text(st, 7, j->error);
    bind_ms(st, 8, j->submitted_at);
    bind_ms(st, 9, j->started_at);
    bind_ms(st, 10, j->finished_at);
    return db_step_done(db, st);
}

/* Column col as parsed JSON; NULL, or text that does not parse (another
 * writer's), reads as null. */
static json_t *col_json(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    json_t *v;

    if (!t)
        return json_null();
    v = json_loadb(t, (size_t)sqlite3_column_bytes(st, col),
                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    return v ? v : json_null();
}

static json_t *col_int_or_null(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    return json_integer(sqlite3_column_int64(st, col));
}

static enum svc_rc job_row(sqlite3_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
        (json_int_t)sqlite3_column_int64(st, 0), "kind", db_col_text(st, 1),
        "state", db_col_text(st, 2), "device", col_int_or_null(st, 3),
        "submitted_at", col_int_or_null(st, 7), "started_at",
        col_int_or_null(st, 8), "finished_at", col_int_or_null(st, 9), "params",
        col_json(st, 4), "error", col_json(st, 6), "result", col_json(st, 5));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_pogjobs_get(struct db *db, int64_t id, json_t **out)
{
    static const char sql[] =
        "SELECT id, kind, state, device, params, result, error, "
        "submitted_at, started_at, finished_at FROM pog_jobs WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return db_one(db, st, job_row, out);
}

enum svc_rc q_pogjobs_interrupt(struct db *db, const char *error,
                                int64_t now_ms, int64_t *changed)
{
    static const char sql[] =
        "UPDATE pog_jobs SET state = 'failed', error = ?1, finished_at = ?2 "
        "WHERE state IN ('queued', 'running')";
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, error);
    sqlite3_bind_int64(st, 2, now_ms);
    rc = db_step_done(db, st);
    if (rc == SVC_OK)
        *changed = sqlite3_changes(db->h);
    return rc;
}

static enum svc_rc int_row(sqlite3_stmt *st, void *ctx)
{
    *(int64_t *)ctx = sqlite3_column_int64(st, 0); /* NULL reads 0 */
    return SVC_OK;
}

enum svc_rc q_pogjobs_max_id(struct db *db, int64_t *out)
{
    static const char sql[] = "SELECT MAX(id) FROM pog_jobs";
    sqlite3_stmt *st = NULL;
    int64_t max = 0;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc == SVC_OK)
        rc = db_one(db, st, int_row, &max);
    if (rc == SVC_OK)
        *out = max;
    return rc;
}
