/* SPDX-License-Identifier: MIT */
/* miner_details: hardware specs per hotkey, with upstream's no_specs_count
 * rules. Details are stored as Python json.dumps text. */
#include "pyjson.h"
#include "queries.h"
#include "stmt.h"

#include <stdlib.h>
#include <string.h>

enum { NO_SPECS_CAP = 5 };

/* Parses stored details; empty, NULL, non-object or bad JSON read as {}
 * (upstream get_miner_details). */
static json_t *details_of(struct db_stmt *st, int col)
{
    const char *t = db_col_str(st, col);
    json_t *v = t && *t ? json_loads(t, 0, NULL) : NULL;

    if (v && json_is_object(v))
        return v;
    json_decref(v);
    return json_object();
}

struct list_ctx {
    json_t *map;
    enum q_docker docker;
};

static enum svc_rc list_row(struct db_stmt *st, void *ctx)
{
    struct list_ctx *c = ctx;
    const char *hotkey = db_col_str(st, 0);
    json_t *details;

    if (!hotkey)
        return SVC_OK;
    details = details_of(st, 1);
    if (!details)
        return SVC_ERR_NOMEM;
    if (c->docker != Q_DOCKER_ANY &&
        json_is_true(json_object_get(details, "has_docker")) !=
            (c->docker == Q_DOCKER_YES)) {
        json_decref(details);
        return SVC_OK;
    }
    return json_object_set_new(c->map, hotkey, details) ? SVC_ERR_NOMEM
                                                        : SVC_OK;
}

/* Shared by the list and the scan: one cached statement. */
static const char all_rows[] =
    "SELECT hotkey, details FROM miner_details ORDER BY id";

enum svc_rc q_specs_list(struct db *db, enum q_docker docker, json_t **out)
{
    struct list_ctx c = {json_object(), docker};
    struct db_stmt *st = NULL;
    enum svc_rc rc = c.map ? db_stmt(db, all_rows, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = db_each(st, list_row, &c);
    if (rc != SVC_OK) {
        json_decref(c.map);
        return rc;
    }
    *out = c.map;
    return SVC_OK;
}

static enum svc_rc get_row(struct db_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = json_pack("{s:I,s:o,s:o,s:I}", "id", (json_int_t)db_col_int(st, 0),
                     "hotkey", db_col_text(st, 1), "details", details_of(st, 2),
                     "no_specs_count", (json_int_t)db_col_int(st, 3));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_specs_get(struct db *db, const char *hotkey, json_t **out)
{
    static const char sql[] = "SELECT id, hotkey, details, no_specs_count "
                              "FROM miner_details WHERE hotkey = ?1";

    return db_one_text(db, sql, hotkey, get_row, out);
}

enum svc_rc q_specs_upsert(struct db *db, const char *hotkey,
                           const json_t *details)
{
    static const char with_specs[] =
        "INSERT INTO miner_details (hotkey, details, no_specs_count) "
        "VALUES (?1, ?2, 0) ON CONFLICT(hotkey) DO UPDATE SET "
        "details = excluded.details, no_specs_count = 0";
    static const char no_specs[] =
        "INSERT INTO miner_details (hotkey, details, no_specs_count) "
        "VALUES (?1, '{}', 1) ON CONFLICT(hotkey) DO UPDATE SET "
        "details = '{}', no_specs_count = CASE "
        "WHEN COALESCE(miner_details.no_specs_count, 0) < ?2 "
        "THEN COALESCE(miner_details.no_specs_count, 0) + 1 ELSE ?2 END";
    bool empty = !details || json_object_size(details) == 0;
    struct db_stmt *st = NULL;
    char *text = NULL;
    enum svc_rc rc = db_stmt(db, empty ? no_specs : with_specs, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, hotkey);
    if (empty) {
        db_bind_int(st, 2, NO_SPECS_CAP);
    } else {
        text = pyjson_dumps(details);
        if (!text)
            return SVC_ERR_NOMEM;
        db_bind_text(st, 2, text);
    }
    rc = db_step_done(st);
    free(text);
    return rc;
}

struct scan_ctx {
    q_specs_row_fn *fn;
    void *ctx;
};

static enum svc_rc scan_row(struct db_stmt *st, void *ctx)
{
    struct scan_ctx *c = ctx;

    return c->fn(db_col_str(st, 0), db_col_str(st, 1), c->ctx);
}

enum svc_rc q_specs_scan(struct db *db, q_specs_row_fn *fn, void *ctx)
{
    struct scan_ctx c = {fn, ctx};
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, all_rows, &st);

    return rc == SVC_OK ? db_each(st, scan_row, &c) : rc;
}
