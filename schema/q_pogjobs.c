/* SPDX-License-Identifier: MIT */
/* pog_jobs: the state of every PoG job the worker pool ran, one row per job,
 * rewritten at each transition, so a job stays readable after the pool has
 * forgotten it or the process restarted; and the pruning of finished jobs
 * (by age, per principal, by total size). Queued and running rows are
 * never deleted: every delete says state NOT IN ('queued', 'running'). */
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
        "error, submitted_at, started_at, finished_at, principal) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO "
        "UPDATE SET kind = excluded.kind, state = excluded.state, device = "
        "excluded.device, params = excluded.params, result = "
        "excluded.result, error = excluded.error, submitted_at = "
        "excluded.submitted_at, started_at = excluded.started_at, "
        "finished_at = excluded.finished_at, principal = excluded.principal";
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
    db_bind_text(st, 11, j->principal);
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

    *out = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
                     (json_int_t)db_col_int(st, 0), "kind", db_col_text(st, 1),
                     "state", db_col_text(st, 2), "device",
                     col_int_or_null(st, 3), "principal", db_col_text(st, 10),
                     "submitted_at", col_int_or_null(st, 7), "started_at",
                     col_int_or_null(st, 8), "finished_at",
                     col_int_or_null(st, 9), "params", col_json(st, 4), "error",
                     col_json(st, 6), "result", col_json(st, 5));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_pogjobs_get(struct db *db, int64_t id, json_t **out)
{
    static const char sql[] =
        "SELECT id, kind, state, device, params, result, error, "
        "submitted_at, started_at, finished_at, principal FROM pog_jobs "
        "WHERE id = ?1";

    return db_one_int(db, sql, id, job_row, out);
}

/* A page being read: the jobs so far and the last one's id. */
struct page {
    json_t *items;
    int64_t last;
};

/* Row callback of a page: the job appended to the page ctx. */
static enum svc_rc page_row(struct db_stmt *st, void *ctx)
{
    struct page *p = ctx;
    json_t *job = NULL;
    enum svc_rc rc = job_row(st, &job);

    if (rc == SVC_OK && json_array_append_new(p->items, job))
        rc = SVC_ERR_NOMEM;
    p->last = db_col_int(st, 0);
    return rc;
}

enum svc_rc q_pogjobs_page(struct db *db, const struct q_pogjob_filter *f,
                           json_t **items, int64_t *next)
{
    static const char sql[] =
        "SELECT id, kind, state, device, params, result, error, "
        "submitted_at, started_at, finished_at, principal FROM pog_jobs "
        "WHERE id < ?1 AND state = COALESCE(?2, state) AND "
        "kind = COALESCE(?3, kind) ORDER BY id DESC LIMIT ?4";
    struct page p = {json_array(), 0};
    struct db_stmt *st = NULL;
    enum svc_rc rc = p.items ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    /* A NULL filter matches every row (COALESCE, not "?2 IS NULL OR", so
     * that PostgreSQL learns the parameter's type from the column). */
    if (rc == SVC_OK) {
        db_bind_int(st, 1, f->before > 0 ? f->before : INT64_MAX);
        db_bind_text(st, 2, f->state);
        db_bind_text(st, 3, f->kind);
        db_bind_int(st, 4, f->limit);
        rc = db_each(st, page_row, &p);
    }
    if (rc != SVC_OK) {
        json_decref(p.items);
        return rc;
    }
    /* A full page may have more behind it, below its last id. */
    *next = (int64_t)json_array_size(p.items) == f->limit ? p.last : 0;
    *items = p.items;
    return SVC_OK;
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

/* ---- pruning ------------------------------------------------------------ */

/* Characters of s, as SQL's LENGTH() counts them (UTF-8 lead bytes). */
static int64_t text_chars(const char *s)
{
    int64_t n = 0;

    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int64_t q_pogjob_size(const struct q_pogjob *j)
{
    return text_chars(j->params) + text_chars(j->result) + text_chars(j->error);
}

enum svc_rc q_pogjobs_finished_size(struct db *db, int64_t *out)
{
    static const char sql[] =
        "SELECT COALESCE(SUM(COALESCE(LENGTH(params), 0) + "
        "COALESCE(LENGTH(result), 0) + COALESCE(LENGTH(error), 0)), 0) "
        "FROM pog_jobs WHERE state NOT IN ('queued', 'running')";
    struct db_stmt *st = NULL;
    int64_t size = 0;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc == SVC_OK)
        rc = db_one(st, db_row_int, &size);
    if (rc == SVC_OK)
        *out = size;
    return rc;
}

/* Row callback: columns (rows, bytes) added to the q_pruned ctx. */
static enum svc_rc add_pruned(struct db_stmt *st, void *ctx)
{
    struct q_pruned *p = ctx;

    p->rows += db_col_int(st, 0);
    p->bytes += db_col_int(st, 1);
    return SVC_OK;
}

enum svc_rc q_pogjobs_prune_age(struct db *db, int64_t cutoff_ms,
                                struct q_pruned *p)
{
    static const char size_sql[] =
        "SELECT COUNT(*), COALESCE(SUM(COALESCE(LENGTH(params), 0) + "
        "COALESCE(LENGTH(result), 0) + COALESCE(LENGTH(error), 0)), 0) "
        "FROM pog_jobs WHERE finished_at < ?1 AND "
        "state NOT IN ('queued', 'running')";
    static const char del_sql[] =
        "DELETE FROM pog_jobs WHERE finished_at < ?1 AND "
        "state NOT IN ('queued', 'running')";
    struct q_pruned found = {0, 0};
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, size_sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, cutoff_ms);
    rc = db_one(st, add_pruned, &found);
    if (rc != SVC_OK || found.rows == 0)
        return rc;
    rc = db_stmt(db, del_sql, &st);
    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, cutoff_ms);
    rc = db_step_done(st);
    if (rc == SVC_OK) {
        p->rows += found.rows;
        p->bytes += found.bytes;
    }
    return rc;
}

/* The oldest finished rows a scan of (id, size) takes before they are
 * deleted: all of them, or until want bytes are taken. */
struct span {
    int64_t want;    /* bytes wanted; INT64_MAX: every row of the scan */
    int64_t last_id; /* the newest row taken */
    struct q_pruned got;
};

static enum svc_rc span_row(struct db_stmt *st, void *ctx)
{
    struct span *s = ctx;

    s->last_id = db_col_int(st, 0);
    s->got.rows++;
    s->got.bytes += db_col_int(st, 1);
    /* Enough: stop before the next row's size is computed (it reads the
     * whole result). */
    return s->got.bytes >= s->want ? SVC_ERR_CANCELLED : SVC_OK;
}

/* Runs the scan st (bound) into s; the stop of span_row is no error. */
static enum svc_rc scan_span(struct db_stmt *st, struct span *s)
{
    enum svc_rc rc = db_each(st, span_row, s);

    return rc == SVC_ERR_CANCELLED ? SVC_OK : rc;
}

static enum svc_rc count_finished(struct db *db, const char *principal,
                                  int64_t *out)
{
    static const char sql[] =
        "SELECT COUNT(*) FROM pog_jobs WHERE principal = ?1 AND "
        "state NOT IN ('queued', 'running')";
    struct db_stmt *st = NULL;
    int64_t n = 0;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, principal);
    rc = db_one(st, db_row_int, &n);
    if (rc == SVC_OK)
        *out = n;
    return rc;
}

enum svc_rc q_pogjobs_prune_principal(struct db *db, const char *principal,
                                      int64_t keep, struct q_pruned *p)
{
    /* The ids come from the index alone; only the rows that go are read
     * for their size (sorting whole rows would read every result). */
    static const char oldest_sql[] =
        "SELECT id, COALESCE(LENGTH(params), 0) + COALESCE(LENGTH(result), "
        "0) + COALESCE(LENGTH(error), 0) FROM pog_jobs WHERE id IN (SELECT "
        "id FROM pog_jobs WHERE principal = ?1 AND state NOT IN ('queued', "
        "'running') ORDER BY id LIMIT ?2) ORDER BY id";
    static const char del_sql[] =
        "DELETE FROM pog_jobs WHERE principal = ?1 AND "
        "state NOT IN ('queued', 'running') AND id <= ?2";
    struct span s = {INT64_MAX, 0, {0, 0}};
    struct db_stmt *st = NULL;
    int64_t n = 0;
    enum svc_rc rc = count_finished(db, principal, &n);

    if (rc != SVC_OK || n <= keep)
        return rc;
    rc = db_stmt(db, oldest_sql, &st);
    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, principal);
    db_bind_int(st, 2, n - keep);
    rc = scan_span(st, &s);
    if (rc == SVC_OK && s.got.rows)
        rc = db_stmt(db, del_sql, &st);
    if (rc != SVC_OK || !s.got.rows)
        return rc;
    db_bind_text(st, 1, principal);
    db_bind_int(st, 2, s.last_id);
    rc = db_step_done(st);
    if (rc == SVC_OK) {
        p->rows += s.got.rows;
        p->bytes += s.got.bytes;
    }
    return rc;
}

/* One batch of q_pogjobs_prune_size(): the oldest finished rows below
 * spare until s->want, deleted. *more: the batch was full. */
static enum svc_rc prune_batch(struct db *db, int64_t spare, struct span *s,
                               bool *more)
{
    static const char oldest_sql[] =
        "SELECT id, COALESCE(LENGTH(params), 0) + COALESCE(LENGTH(result), "
        "0) + COALESCE(LENGTH(error), 0) FROM pog_jobs WHERE id < ?1 AND "
        "state NOT IN ('queued', 'running') ORDER BY id LIMIT ?2";
    static const char del_sql[] = "DELETE FROM pog_jobs WHERE id <= ?1 AND "
                                  "state NOT IN ('queued', 'running')";
    enum { BATCH = 16 }; /* rows whose size one scan may compute */
    struct db_stmt *st = NULL;
    int64_t before = s->got.rows;
    enum svc_rc rc = db_stmt(db, oldest_sql, &st);

    *more = false;
    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, spare);
    db_bind_int(st, 2, BATCH);
    rc = scan_span(st, s);
    if (rc != SVC_OK || s->got.rows == before)
        return rc;
    rc = db_stmt(db, del_sql, &st);
    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, s->last_id);
    rc = db_step_done(st);
    *more = rc == SVC_OK && s->got.rows - before == BATCH;
    return rc;
}

enum svc_rc q_pogjobs_prune_size(struct db *db, int64_t bytes, int64_t spare,
                                 struct q_pruned *p)
{
    struct span s = {bytes, 0, {0, 0}};
    bool more = true;
    enum svc_rc rc = SVC_OK;

    while (rc == SVC_OK && more && s.got.bytes < bytes)
        rc = prune_batch(db, spare, &s, &more);
    if (rc == SVC_OK) {
        p->rows += s.got.rows;
        p->bytes += s.got.bytes;
    }
    return rc;
}

/* Row callback: column 0 appended to the array ctx. */
static enum svc_rc append_text(struct db_stmt *st, void *ctx)
{
    return json_array_append_new(ctx, db_col_text(st, 0)) ? SVC_ERR_NOMEM
                                                          : SVC_OK;
}

enum svc_rc q_pogjobs_crowded(struct db *db, int64_t keep, json_t **out)
{
    static const char sql[] =
        "SELECT principal FROM pog_jobs WHERE principal IS NOT NULL AND "
        "state NOT IN ('queued', 'running') GROUP BY principal "
        "HAVING COUNT(*) > ?1";
    struct db_stmt *st = NULL;
    json_t *list = json_array();
    enum svc_rc rc = list ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK) {
        db_bind_int(st, 1, keep);
        rc = db_each(st, append_text, list);
    }
    if (rc != SVC_OK) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return SVC_OK;
}
