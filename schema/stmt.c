/* SPDX-License-Identifier: MIT */
/* The statement helpers of stmt.h on top of each driver's primitives. */
#include "stmt.h"

#include "core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRV(st) ((st)->db->drv)

enum svc_rc db_stmt(struct db *db, const char *sql, struct db_stmt **out)
{
    return db->drv->prepare(db, sql, out);
}

void db_bind_int(struct db_stmt *st, int idx, int64_t v)
{
    DRV(st)->bind_int(st, idx, v);
}

void db_bind_double(struct db_stmt *st, int idx, double v)
{
    DRV(st)->bind_double(st, idx, v);
}

void db_bind_text(struct db_stmt *st, int idx, const char *s)
{
    if (s)
        DRV(st)->bind_text(st, idx, s);
    else
        DRV(st)->bind_null(st, idx);
}

void db_bind_null(struct db_stmt *st, int idx)
{
    DRV(st)->bind_null(st, idx);
}

enum db_type db_col_type(struct db_stmt *st, int col)
{
    return DRV(st)->col_type(st, col);
}

bool db_col_null(struct db_stmt *st, int col)
{
    return DRV(st)->col_type(st, col) == DB_NULL;
}

int64_t db_col_int(struct db_stmt *st, int col)
{
    return DRV(st)->col_int(st, col);
}

double db_col_double(struct db_stmt *st, int col)
{
    return DRV(st)->col_double(st, col);
}

const char *db_col_str(struct db_stmt *st, int col)
{
    return DRV(st)->col_text(st, col);
}

int db_col_count(struct db_stmt *st)
{
    return DRV(st)->col_count(st);
}

size_t db_col_bytes(struct db_stmt *st, int col)
{
    return DRV(st)->col_bytes(st, col);
}

json_t *db_col_text(struct db_stmt *st, int col)
{
    const char *t = db_col_str(st, col);

    return t ? json_stringn(t, db_col_bytes(st, col)) : json_null();
}

int64_t db_changes(struct db *db)
{
    return db->drv->changes(db);
}

enum svc_rc db_step_done(struct db_stmt *st)
{
    bool row = false;
    enum svc_rc rc = DRV(st)->step(st, &row);

    DRV(st)->reset(st);
    return rc;
}

enum svc_rc db_run(struct db *db, const char *sql)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    return rc == SVC_OK ? db_step_done(st) : rc;
}

enum svc_rc db_each(struct db_stmt *st, db_row_fn *fn, void *ctx)
{
    bool row = false;
    enum svc_rc rc;

    while ((rc = DRV(st)->step(st, &row)) == SVC_OK && row) {
        rc = fn(st, ctx);
        if (rc != SVC_OK)
            break;
    }
    DRV(st)->reset(st);
    return rc;
}

enum svc_rc db_one(struct db_stmt *st, db_row_fn *fn, void *ctx)
{
    bool row = false;
    enum svc_rc rc = DRV(st)->step(st, &row);

    if (rc == SVC_OK)
        rc = row ? fn(st, ctx) : SVC_ERR_NOT_FOUND;
    DRV(st)->reset(st);
    return rc;
}

enum svc_rc db_one_text(struct db *db, const char *sql, const char *text,
                        db_row_fn *fn, void *ctx)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, text);
    return db_one(st, fn, ctx);
}

enum svc_rc db_one_int(struct db *db, const char *sql, int64_t v, db_row_fn *fn,
                       void *ctx)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, v);
    return db_one(st, fn, ctx);
}

struct array_ctx {
    db_row_fn *fn;
    json_t *arr;
};

static enum svc_rc append_row(struct db_stmt *st, void *ctx)
{
    struct array_ctx *a = ctx;
    json_t *row = NULL;
    enum svc_rc rc = a->fn(st, &row);

    if (rc == SVC_OK && json_array_append_new(a->arr, row))
        rc = SVC_ERR_NOMEM;
    return rc;
}

enum svc_rc db_collect(struct db *db, const char *sql, db_row_fn *fn, void *ctx,
                       json_t *into, json_t **out)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = into ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = db_each(st, fn, ctx);
    if (rc != SVC_OK) {
        json_decref(into);
        return rc;
    }
    *out = into;
    return SVC_OK;
}

enum svc_rc db_array(struct db *db, const char *sql, db_row_fn *fn,
                     json_t **out)
{
    struct array_ctx a = {fn, json_array()};

    return db_collect(db, sql, append_row, &a, a.arr, out);
}

enum svc_rc db_row_text(struct db_stmt *st, void *ctx)
{
    *(json_t **)ctx = db_col_text(st, 0);
    return *(json_t **)ctx ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc db_row_pair(struct db_stmt *st, void *ctx)
{
    const char *key = db_col_str(st, 0);

    if (!key)
        return SVC_OK; /* a NULL key cannot be a map key; skip it */
    if (json_object_set_new(ctx, key, db_col_text(st, 1)))
        return SVC_ERR_NOMEM;
    return SVC_OK;
}

enum svc_rc db_row_strdup(struct db_stmt *st, void *ctx)
{
    const char *t = db_col_str(st, 0);
    char **out = ctx;

    *out = strdup(t ? t : "");
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc db_row_int(struct db_stmt *st, void *ctx)
{
    *(int64_t *)ctx = db_col_int(st, 0);
    return SVC_OK;
}

enum svc_rc db_pairs(struct db *db, const char *sql, json_t **out)
{
    json_t *map = json_object();

    return db_collect(db, sql, db_row_pair, map, map, out);
}

enum svc_rc db_write_text(struct db *db, const char *sql, const char *text,
                          bool *changed)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, text);
    rc = db_step_done(st);
    if (rc == SVC_OK)
        *changed = db_changes(db) > 0;
    return rc;
}

void db_now_local_iso(char out[27])
{
    struct timespec ts;
    struct tm tm;
    long us;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(out, 27, "%Y-%m-%dT%H:%M:%S", &tm);
    us = ts.tv_nsec / 1000 % 1000000;
    if (!us)
        return; /* isoformat() omits a zero fraction */
    out[19] = '.';
    for (int i = 25; i > 19; i--, us /= 10)
        out[i] = (char)('0' + us % 10);
    out[26] = '\0';
}
