/* SPDX-License-Identifier: MIT */
/* /stats: one scoring record per uid (upstream write_stats/retrieve_stats).
 */
#include "decode.h"
#include "handlers.h"
#include "schema/pyjson.h"
#include "schema/queries.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GET /stats -> {"<uid>": record} */
enum svc_rc h_stats_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_stats_list, false, DB_TABLE(DB_T_STATS));
}

/* GET /stats/{uid} -> record, or 404 */
enum svc_rc h_stats_get(struct req *req, struct reply *rep)
{
    int64_t uid;
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc = dec_path_uid(req, "uid", &uid);

    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_stats_get(db, uid, &out);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "uid", "no stats for this uid");
    return hx_read_reply(req, rep, db, rc, out);
}

struct stats_put {
    struct q_stat *rows;
    char **specs; /* owned JSON texts of object gpu_specs */
    size_t n;
};

static enum svc_rc decode_specs(struct req *req, const json_t *rec,
                                const char *where, struct q_stat *s,
                                char **owned)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = json_object_get(rec, "gpu_specs");

    if (!v || json_is_null(v))
        return SVC_OK;
    dec_field(field, where, -1, "gpu_specs");
    if (json_is_string(v) && json_string_length(v) > DEC_TEXT_MAX)
        return req_fail(req, SVC_ERR_INVALID, field,
                        "a string must be at most %d bytes", DEC_TEXT_MAX);
    if (json_is_string(v)) {
        s->gpu_specs = json_string_value(v); /* stored as is (upstream) */
        return SVC_OK;
    }
    if (!json_is_object(v))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an object, a string or null");
    *owned = pyjson_dumps(v);
    if (!*owned)
        return SVC_ERR_NOMEM;
    s->gpu_specs = *owned;
    return SVC_OK;
}

static enum svc_rc decode_optional_real(struct req *req, const json_t *rec,
                                        const char *where, bool *has,
                                        double *out)
{
    *has = dec_has(rec, "reliability_score");
    if (!*has)
        return SVC_OK;
    return dec_real(req, rec, where, -1, "reliability_score", -1e12, 1e12, out);
}

static enum svc_rc decode_record(struct req *req, const char *key,
                                 const json_t *rec, struct q_stat *s,
                                 char **owned)
{
    static const char *const fields[] = {
        "uid",       "hotkey",    "gpu_specs",         "score",
        "allocated", "own_score", "reliability_score", "created_at",
        NULL};
    char where[DEC_FIELD_LEN];
    int64_t uid = -1;
    enum svc_rc rc;

    dec_field(where, "stats", -1, key);
    if (!dec_uid_key(key, &s->uid))
        return req_fail(req, SVC_ERR_INVALID, where,
                        "key must be a uid in [0, %d]", DEC_UID_MAX);
    rc = dec_fields(req, rec, where, fields);
    if (rc == SVC_OK && dec_has(rec, "uid"))
        rc = dec_int(req, rec, where, -1, "uid", s->uid, s->uid, &uid);
    if (rc == SVC_OK)
        rc = dec_hotkey(req, rec, where, -1, "hotkey", &s->hotkey);
    if (rc == SVC_OK)
        rc = dec_real(req, rec, where, -1, "score", 0, 100, &s->score);
    s->has_score = true;
    if (rc == SVC_OK)
        rc = dec_bool(req, rec, where, -1, "allocated", &s->allocated);
    if (rc == SVC_OK)
        rc = dec_bool(req, rec, where, -1, "own_score", &s->own_score);
    if (rc == SVC_OK)
        rc = decode_optional_real(req, rec, where, &s->has_reliability,
                                  &s->reliability_score);
    if (rc == SVC_OK)
        rc = decode_specs(req, rec, where, s, owned);
    return rc;
}

static enum svc_rc stats_tx(struct db *db, void *ctx)
{
    struct stats_put *in = ctx;
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; rc == SVC_OK && i < in->n; i++)
        rc = q_stats_put(db, &in->rows[i]);
    return rc;
}

static void stats_put_free(struct stats_put *in)
{
    for (size_t i = 0; in->specs && i < in->n; i++)
        free(in->specs[i]);
    free(in->specs);
    free(in->rows);
}

/* PUT /stats {"stats": {"<uid>": {hotkey, gpu_specs, score, allocated,
 * own_score, reliability_score}}} -> {"updated": n}. Bulk UPSERT in one
 * transaction; created_at is refreshed on every row. */
enum svc_rc h_stats_put(struct req *req, struct reply *rep)
{
    static const char *const top[] = {"stats", NULL};
    const json_t *map = json_object_get(req->json, "stats");
    struct stats_put in = {0};
    const char *key;
    json_t *rec;
    size_t size = json_object_size(map);
    enum svc_rc rc = dec_fields(req, req->json, NULL, top);

    if (rc != SVC_OK)
        return rc;
    if (!json_is_object(map) || size == 0 || size > DEC_BATCH_MAX)
        return req_fail(req, SVC_ERR_INVALID, "stats",
                        "must be an object of 1 to %d records keyed by uid",
                        DEC_BATCH_MAX);
    in.rows = calloc(size, sizeof(*in.rows));
    in.specs = calloc(size, sizeof(*in.specs));
    if (!in.rows || !in.specs) {
        rc = SVC_ERR_NOMEM;
        goto out;
    }
    json_object_foreach ((json_t *)(uintptr_t)map, key, rec) {
        rc = decode_record(req, key, rec, &in.rows[in.n], &in.specs[in.n]);
        in.n++;
        if (rc != SVC_OK)
            goto out;
    }
    rc = db_write(req->app->db, stats_tx, &in);
    if (rc == SVC_OK)
        rc = reply_json(rep, 200,
                        json_pack("{s:I}", "updated", (json_int_t)in.n));
out:
    stats_put_free(&in);
    return rc;
}
