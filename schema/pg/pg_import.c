/* SPDX-License-Identifier: MIT */
/* computedb migrate: copies a SQLite validator database into PostgreSQL.
 *
 * DESIGN: the caller (schema/open.c) opens the source as the service opens
 * it (migrated to our schema, keeping everything) and hands over one read
 * transaction on it (one snapshot, while the validator may keep writing);
 * this file reads it through the storage seam only, so the PostgreSQL
 * driver knows nothing of SQLite. The destination gets
 * the schema, must have no rows, and receives every table with COPY in one
 * transaction, ids and SQLite's rowids included; identity sequences then
 * continue after the largest id (pog_stats after the largest id ever
 * handed out: it is AUTOINCREMENT upstream). Row counts of both sides are
 * compared before COMMIT: a copy is all or nothing, and a value PostgreSQL
 * cannot hold as it is (text in an integer column, a boolean other than
 * 0/1) stops it with the table and line. */
#include "core/buf.h"
#include "core/log.h"
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
/* The tables copied, in this order. */
static const char *const names[] = {
    "miner",
    "miner_details",
    "tb",
    "challenge_details",
    "blacklist",
    "allocation",
    "wandb_runs",
    "pog_stats",
    "stats",
    "computedb_legacy_miner_details",
    "principals",
    "pog_jobs",
};

/* SQLite: each table's columns, in COPY's order. */
static const char *const selects[] = {
    "SELECT uid, ss58_address FROM miner",
    "SELECT id, hotkey, details, no_specs_count FROM miner_details",
    "SELECT id, hotkey, details FROM tb",
    "SELECT rowid, uid, ss58_address, success, elapsed_time, "
    "difficulty, created_at FROM challenge_details",
    "SELECT id, hotkey, details FROM blacklist",
    "SELECT id, hotkey, details FROM allocation",
    "SELECT hotkey, run_id FROM wandb_runs",
    "SELECT id, hotkey, gpu_name, num_gpus, created_at FROM pog_stats",
    "SELECT uid, hotkey, gpu_specs, score, allocated, own_score, "
    "reliability_score, created_at FROM stats",
    "SELECT id, hotkey, details, no_specs_count, "
    "moved_at FROM computedb_legacy_miner_details",
    "SELECT ss58, role, label, created_at, expires_at, scheme, secrets "
    "FROM principals",
    "SELECT id, kind, state, device, params, result, error, "
    "submitted_at, started_at, finished_at, principal FROM pog_jobs",
};

/* PostgreSQL: the matching COPY. */
static const char *const copies[] = {
    "COPY miner (uid, ss58_address) FROM STDIN",
    "COPY miner_details (id, hotkey, details, no_specs_count) FROM STDIN",
    "COPY tb (id, hotkey, details) FROM STDIN",
    "COPY challenge_details (rowid, uid, ss58_address, success, elapsed_time, "
    "difficulty, created_at) FROM STDIN",
    "COPY blacklist (id, hotkey, details) FROM STDIN",
    "COPY allocation (id, hotkey, details) FROM STDIN",
    "COPY wandb_runs (hotkey, run_id) FROM STDIN",
    "COPY pog_stats (id, hotkey, gpu_name, num_gpus, created_at) FROM STDIN",
    "COPY stats (uid, hotkey, gpu_specs, score, allocated, own_score, "
    "reliability_score, created_at) FROM STDIN",
    "COPY computedb_legacy_miner_details (id, hotkey, details, no_specs_count, "
    "moved_at) FROM STDIN",
    "COPY principals (ss58, role, label, created_at, expires_at, scheme, "
    "secrets) FROM STDIN",
    "COPY pog_jobs (id, kind, state, device, params, result, error, "
    "submitted_at, started_at, finished_at, principal) FROM STDIN",
};

/* Row counts, the same text on both sides. */
static const char *const counts[] = {
    "SELECT COUNT(*) FROM miner",
    "SELECT COUNT(*) FROM miner_details",
    "SELECT COUNT(*) FROM tb",
    "SELECT COUNT(*) FROM challenge_details",
    "SELECT COUNT(*) FROM blacklist",
    "SELECT COUNT(*) FROM allocation",
    "SELECT COUNT(*) FROM wandb_runs",
    "SELECT COUNT(*) FROM pog_stats",
    "SELECT COUNT(*) FROM stats",
    "SELECT COUNT(*) FROM computedb_legacy_miner_details",
    "SELECT COUNT(*) FROM principals",
    "SELECT COUNT(*) FROM pog_jobs",
};

/* Identity columns continue after what was copied. */
static const char reseed[] =
    "SELECT setval(pg_get_serial_sequence('miner_details', 'id'), "
    "COALESCE((SELECT MAX(id) FROM miner_details), 0) + 1, false);"
    "SELECT setval(pg_get_serial_sequence('tb', 'id'), "
    "COALESCE((SELECT MAX(id) FROM tb), 0) + 1, false);"
    "SELECT setval(pg_get_serial_sequence('challenge_details', 'rowid'), "
    "COALESCE((SELECT MAX(rowid) FROM challenge_details), 0) + 1, false);"
    "SELECT setval(pg_get_serial_sequence('blacklist', 'id'), "
    "COALESCE((SELECT MAX(id) FROM blacklist), 0) + 1, false);"
    "SELECT setval(pg_get_serial_sequence('allocation', 'id'), "
    "COALESCE((SELECT MAX(id) FROM allocation), 0) + 1, false);";
static const char reseed_pog[] =
    "SELECT setval(pg_get_serial_sequence('pog_stats', 'id'), "
    "GREATEST(COALESCE((SELECT MAX(id) FROM pog_stats), 0), "
    "$1::bigint) + 1, false)";
/* clang-format on */

enum { N_TABLES = sizeof(names) / sizeof(names[0]), CHUNK = 1 << 16 };

/* COPY's text format: \N for NULL, backslash escapes in text. A failed
 * append sticks in b, for the caller to check once per row. */
static void put_value(struct buf *b, struct db_stmt *st, int col)
{
    const char *t;
    size_t n;

    switch (db_col_type(st, col)) {
    case DB_NULL:
        buf_append(b, "\\N", 2);
        return;
    case DB_INT:
        buf_printf(b, "%lld", (long long)db_col_int(st, col));
        return;
    case DB_FLOAT:
        buf_printf(b, "%.17g", db_col_double(st, col));
        return;
    default:
        break;
    }
    t = db_col_str(st, col);
    n = db_col_bytes(st, col);
    for (size_t i = 0; t && i < n; i++) {
        const char *esc = t[i] == '\\'   ? "\\\\"
                          : t[i] == '\n' ? "\\n"
                          : t[i] == '\r' ? "\\r"
                          : t[i] == '\t' ? "\\t"
                                         : NULL;

        buf_append(b, esc ? esc : t + i, esc ? 2 : 1);
    }
}

static enum svc_rc flush(struct pg_db *db, struct buf *b)
{
    if (b->len && PQputCopyData(db->conn, b->p, (int)b->len) != 1) {
        log_err("postgres: %s", PQerrorMessage(db->conn));
        return SVC_ERR_DB;
    }
    buf_reset(b);
    return SVC_OK;
}

/* What stream_row() needs: the destination, its buffer, the row count. */
struct stream {
    struct pg_db *db;
    struct buf b;
    long long rows;
};

/* db_each() callback: one source row as a COPY text line. */
static enum svc_rc stream_row(struct db_stmt *st, void *ctx)
{
    struct stream *s = ctx;
    int cols = db_col_count(st);
    enum svc_rc rc;

    for (int c = 0; c < cols; c++) {
        if (c)
            buf_append(&s->b, "\t", 1);
        put_value(&s->b, st, c);
    }
    rc = buf_append(&s->b, "\n", 1); /* or the row's first failure */
    if (rc != SVC_OK)
        return rc; /* SVC_ERR_NOMEM: the buffer has no cap */
    s->rows++;
    return s->b.len >= CHUNK ? flush(s->db, &s->b) : SVC_OK;
}

/* Streams one table's rows into an open COPY; *rows counts them. */
static enum svc_rc stream_rows(struct db *src, struct pg_db *db, size_t t,
                               long long *rows)
{
    struct stream s = {db, {0}, 0};
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(src, selects[t], &st);

    if (rc == SVC_OK)
        rc = db_each(st, stream_row, &s);
    if (rc == SVC_OK)
        rc = flush(db, &s.b);
    else if (rc != SVC_ERR_NOMEM)
        log_err("reading %s: %s", names[t], svc_rc_text(rc));
    buf_free(&s.b);
    *rows = s.rows;
    return rc;
}

/* One table: COPY, then the destination's count must equal the source's. */
static enum svc_rc copy_table(struct db *src, struct pg_db *db, size_t t,
                              long long *rows)
{
    PGresult *res = PQexec(db->conn, copies[t]);
    enum svc_rc rc;
    bool started = PQresultStatus(res) == PGRES_COPY_IN;

    rc = started ? SVC_OK : pg_rc(db, res);
    PQclear(res);
    if (rc != SVC_OK)
        return rc;
    rc = stream_rows(src, db, t, rows);
    if (PQputCopyEnd(db->conn, rc == SVC_OK ? NULL : "aborted") != 1)
        rc = SVC_ERR_DB;
    while ((res = PQgetResult(db->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == SVC_OK)
            rc = pg_rc(db, res);
        PQclear(res);
    }
    return rc;
}

static int64_t count_pg(struct pg_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    int64_t n = -1;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

static int64_t count_src(struct db *src, const char *sql)
{
    struct db_stmt *st = NULL;
    int64_t n = -1;

    if (db_stmt(src, sql, &st) != SVC_OK || db_one(st, db_row_int, &n))
        return -1;
    return n;
}

/* pog_stats is AUTOINCREMENT upstream: ids deleted rows used are never
 * handed out again; the sequence continues after the largest ever. */
static enum svc_rc reseed_ids(struct db *src, struct pg_db *db)
{
    static const char last_pog_id[] = "SELECT seq FROM sqlite_sequence "
                                      "WHERE name = 'pog_stats'";
    char seq[24];
    const char *params[1] = {seq};
    int64_t n = 0;
    struct db_stmt *st = NULL;
    enum svc_rc rc = pg_exec(db, reseed);
    PGresult *res;

    if (rc != SVC_OK)
        return rc;
    /* No row (SVC_ERR_NOT_FOUND): no pog_stats row was ever written. */
    rc = db_stmt(src, last_pog_id, &st);
    if (rc == SVC_OK)
        rc = db_one(st, db_row_int, &n);
    if (rc != SVC_OK && rc != SVC_ERR_NOT_FOUND)
        return rc;
    snprintf(seq, sizeof(seq), "%lld", (long long)n);
    res = PQexecParams(db->conn, reseed_pog, 1, NULL, params, NULL, NULL, 0);
    rc = PQresultStatus(res) == PGRES_TUPLES_OK ? SVC_OK : pg_rc(db, res);
    PQclear(res);
    return rc;
}

static enum svc_rc check_empty(struct pg_db *db, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_TABLES; i++) {
        int64_t n = count_pg(db, counts[i]);

        if (n != 0) {
            snprintf(err, errlen,
                     n < 0 ? "cannot count the rows of %s"
                           : "the destination already has rows in %s; copy "
                             "into an empty database",
                     names[i]);
            return n < 0 ? SVC_ERR_DB : SVC_ERR_CONFLICT;
        }
    }
    return SVC_OK;
}

static enum svc_rc copy_all(struct db *src, struct pg_db *db,
                            db_copy_fn *progress, void *ctx, char *err,
                            size_t errlen)
{
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; rc == SVC_OK && i < N_TABLES; i++) {
        long long rows = 0;
        int64_t there;

        rc = copy_table(src, db, i, &rows);
        if (rc != SVC_OK) {
            snprintf(err, errlen, "copying %s failed: %s", names[i],
                     PQerrorMessage(db->conn));
            break;
        }
        there = count_pg(db, counts[i]);
        if (there != rows || count_src(src, counts[i]) != rows) {
            snprintf(err, errlen, "%s: %lld rows read, %lld stored", names[i],
                     rows, (long long)there);
            rc = SVC_ERR_DB;
            break;
        }
        if (progress)
            progress(names[i], rows, ctx);
    }
    if (rc == SVC_OK && (rc = reseed_ids(src, db)) != SVC_OK)
        snprintf(err, errlen, "setting the id sequences failed");
    return rc;
}

enum svc_rc pg_import(struct db *src, const char *url, db_copy_fn *progress,
                      void *ctx, char *err, size_t errlen)
{
    struct db_options o = {
        .path = url, .readers = 1, .busy_timeout_ms = 5000, .sync_full = true};
    struct db_pool *pool = NULL;
    struct pg_db *db;
    enum svc_rc rc = pg_pool_open(&o, &pool);

    if (rc != SVC_OK) {
        snprintf(err, errlen, "cannot open the destination");
        return rc;
    }
    db = PG_DB(PG_POOL(pool)->leases.free); /* the only session */
    rc = pg_exec(db, "BEGIN");
    if (rc == SVC_OK)
        rc = check_empty(db, err, errlen);
    if (rc == SVC_OK)
        rc = copy_all(src, db, progress, ctx, err, errlen);
    if (rc == SVC_OK)
        rc = pg_exec(db, "COMMIT");
    if (rc != SVC_OK)
        pg_rollback(db);
    db_pool_close(pool);
    return rc;
}
