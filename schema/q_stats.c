/* SPDX-License-Identifier: MIT */
/* stats: one scoring record per uid, read back coerced as upstream's
 * retrieve_stats does (score NULL -> 0.0, booleans NULL -> false, gpu_specs
 * parsed, bad JSON -> null). */
#include "core/clock.h"
#include "queries.h"
#include "stmt.h"

#include <stdio.h>

static json_t *real_or_null(struct db_stmt *st, int col)
{
    if (db_col_null(st, col))
        return json_null();
    return json_real(db_col_double(st, col));
}

static json_t *specs_of(struct db_stmt *st, int col)
{
    const char *t = db_col_str(st, col);
    json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;

    return v ? v : json_null();
}

static json_t *record(struct db_stmt *st)
{
    return json_pack("{s:I,s:o,s:o,s:f,s:b,s:b,s:o,s:o}", "uid",
                     (json_int_t)db_col_int(st, 0), "hotkey",
                     db_col_text(st, 1), "gpu_specs", specs_of(st, 2), "score",
                     db_col_double(st, 3), "allocated", db_col_int(st, 4) != 0,
                     "own_score", db_col_int(st, 5) != 0, "reliability_score",
                     real_or_null(st, 6), "created_at", db_col_text(st, 7));
}

static enum svc_rc map_row(struct db_stmt *st, void *ctx)
{
    json_t *rec = record(st);
    char key[24];

    snprintf(key, sizeof(key), "%lld", (long long)db_col_int(st, 0));
    if (!rec || json_object_set_new(ctx, key, rec))
        return SVC_ERR_NOMEM;
    return SVC_OK;
}

static enum svc_rc one_row(struct db_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = record(st);
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

#define STATS_COLUMNS                                                          \
    "SELECT uid, hotkey, gpu_specs, score, allocated, own_score, "             \
    "reliability_score, created_at FROM stats "

enum svc_rc q_stats_list(struct db *db, json_t **out)
{
    static const char sql[] = STATS_COLUMNS "ORDER BY uid";
    json_t *map = json_object();

    return db_collect(db, sql, map_row, map, map, out);
}

enum svc_rc q_stats_get(struct db *db, int64_t uid, json_t **out)
{
    static const char sql[] = STATS_COLUMNS "WHERE uid = ?1";

    return db_one_int(db, sql, uid, one_row, out);
}

enum svc_rc q_stats_put(struct db *db, const struct q_stat *s)
{
    static const char sql[] =
        "INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, "
        "own_score, reliability_score, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(uid) DO UPDATE "
        "SET hotkey = excluded.hotkey, gpu_specs = excluded.gpu_specs, "
        "score = excluded.score, allocated = excluded.allocated, "
        "own_score = excluded.own_score, "
        "reliability_score = excluded.reliability_score, "
        "created_at = excluded.created_at";
    char now[20];
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    clock_utc_text(now);
    db_bind_int(st, 1, s->uid);
    db_bind_text(st, 2, s->hotkey);
    db_bind_text(st, 3, s->gpu_specs);
    if (s->has_score)
        db_bind_double(st, 4, s->score);
    db_bind_int(st, 5, s->allocated);
    db_bind_int(st, 6, s->own_score);
    if (s->has_reliability)
        db_bind_double(st, 7, s->reliability_score);
    db_bind_text(st, 8, now);
    return db_step_done(st);
}
