/* SPDX-License-Identifier: MIT */
/* /miners/details: hardware specs per hotkey. */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

/* GET /miners/details[?has_docker=true|false] -> {"<hotkey>": details} */
enum svc_rc h_specs_list(struct req *req, struct reply *rep)
{
    enum q_docker docker = Q_DOCKER_ANY;
    bool want = false, present = false;
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc = dec_query_bool(req, "has_docker", &want, &present);
    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    if (present)
        docker = want ? Q_DOCKER_YES : Q_DOCKER_NO;
    rc = q_specs_list(db, docker, &out);
    return hx_read_reply(req, rep, db, rc, out);
}

/* GET /miners/details/{hotkey} -> {"id","hotkey","details","no_specs_count"}
 */
enum svc_rc h_specs_get(struct req *req, struct reply *rep)
{
    return hx_read_by_key(req, rep, "hotkey", q_specs_get,
                          "no details for this hotkey",
                          DB_TABLE(DB_T_MINER_DETAILS));
}

struct spec_row {
    const char *hotkey;
    const json_t *details; /* NULL: the no-specs path */
};

static enum svc_rc decode_spec(struct req *req, const json_t *el, size_t i,
                               void *out)
{
    static const char *const fields[] = {"hotkey", "details", NULL};
    struct spec_row *row = out;
    char field[DEC_FIELD_LEN];
    const json_t *d = json_object_get(el, "details");
    enum svc_rc rc;

    dec_field(field, "miners", (long)i, NULL);
    rc = dec_fields(req, el, field, fields);
    if (rc == SVC_OK)
        rc = dec_hotkey(req, el, "miners", (long)i, "hotkey", &row->hotkey);
    if (rc != SVC_OK)
        return rc;
    dec_field(field, "miners", (long)i, "details");
    if (!d)
        return req_fail(req, SVC_ERR_INVALID, field,
                        "is required (an object, or null for no specs)");
    if (!json_is_null(d) && !json_is_object(d))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an object or null");
    row->details = json_is_null(d) ? NULL : d;
    return SVC_OK;
}

static enum svc_rc upsert_spec(struct db *db, const void *row, void *ctx)
{
    const struct spec_row *r = row;

    (void)ctx;
    return q_specs_upsert(db, r->hotkey, r->details);
}

/* PUT /miners/details {"miners": [{"hotkey", "details": {...}|null}]}
 * -> {"updated": n}. Upstream update_miner_details, one transaction. */
enum svc_rc h_specs_put(struct req *req, struct reply *rep)
{
    static const struct hx_batch batch = {"miners", sizeof(struct spec_row),
                                          decode_spec, upsert_spec};
    size_t n = 0;
    enum svc_rc rc = hx_batch_write(req, &batch, NULL, &n);

    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200, json_pack("{s:I}", "updated", (json_int_t)n));
}
