/* SPDX-License-Identifier: MIT */
/* pog_jobs: the state of every PoG job the worker pool ran, one row per job,
 * rewritten at each transition, so a job stays readable after the pool has
 * forgotten it or the process restarted. */
#include "queries.h"
#include "stmt.h"

static void bind_ms(struct db_stmt *st, int idx, int64_t ms)
{
    if (ms > 0)
        db_bind_int(st, idx, ms);
    else
        db_bind_null(st, idx);
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
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, j->id);
    db_bind_text(st, 2, j->kind);
    db_bind_text(st, 3, j->state);
    db_bind_int(st, 4, j->device);
    db_bind_text(st, 5, j->params);
    db_bind_text(st, 6, j->result);
    db_bind_text(st, 7, j->error);
    bind_ms(st, 8, j->submitted_at);
    bind_ms(st, 9, j->started_at);
    bind_ms(st, 10, j->finished_at);
    return db_step_done(st);
}

/* Column col as parsed JSON; NULL, or text that does not parse (another
 * writer's), reads as null. */
static json_t *col_json(struct db_stmt *st, int col)
{
    const char *t = db_col_str(st, col);
    json_t *v;

    if (!t)
        return json_null();
    v = json_loadb(t, (size_t)db_col_bytes(st, col),
                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    return v ? v : json_null();
}

static json_t *col_int_or_null(struct db_stmt *st, int col)
{
    if (db_col_null(st, col))
        return json_null();
    return json_integer(db_col_int(st, col));
}

static enum svc_rc job_row(struct db_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
        (json_int_t)db_col_int(st, 0), "kind", db_col_text(st, 1), "state",
        db_col_text(st, 2), "device", col_int_or_null(st, 3), "submitted_at",
        col_int_or_null(st, 7), "started_at", col_int_or_null(st, 8),
        "finished_at", col_int_or_null(st, 9), "params", col_json(st, 4),
        "error", col_json(st, 6), "result", col_json(st, 5));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_pogjobs_get(struct db *db, int64_t id, json_t **out)
{
    static const char sql[] =
        "SELECT id, kind, state, device, params, result, error, "
        "submitted_at, started_at, finished_at FROM pog_jobs WHERE id = ?1";

    return db_one_int(db, sql, id, job_row, out);
}

enum svc_rc q_pogjobs_interrupt(struct db *db, const char *error,
                                int64_t now_ms, int64_t *changed)
{
    static const char sql[] =
        "UPDATE pog_jobs SET state = 'failed', error = ?1, finished_at = ?2 "
        "WHERE state IN ('queued', 'running')";
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, error);
    db_bind_int(st, 2, now_ms);
    rc = db_step_done(st);
    if (rc == SVC_OK)
        *changed = db_changes(db);
    return rc;
}

enum svc_rc q_pogjobs_max_id(struct db *db, int64_t *out)
{
    static const char sql[] = "SELECT MAX(id) FROM pog_jobs";
    struct db_stmt *st = NULL;
    int64_t max = 0;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc == SVC_OK)
        rc = db_one(st, db_row_int, &max); /* MAX of none: NULL, reads 0 */
    if (rc == SVC_OK)
        *out = max;
    return rc;
}
