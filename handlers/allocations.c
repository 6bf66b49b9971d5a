/* SPDX-License-Identifier: MIT */
/* /allocations: active rentals keyed by miner hotkey. Secrets (password,
 * ssh_key, regkey) are shown to admins only. */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

#include <stdint.h>

enum { SECRET_MAX = 16384 };

/* The allocation.details members upstream writes (docs/upstream.md 3.2). */
struct detail_field {
    const char *name;
    bool integer; /* else a string */
    int64_t max;  /* integer bound, or string length bound */
};

/* clang-format off */
static const struct detail_field detail_fields[] = {
    {"username", false, DEC_TEXT_MAX},
    {"password", false, DEC_TEXT_MAX},
    {"port",     true,  65535},
    {"version",  true,  INT32_MAX},
    {"ip",       false, 64},
    {"resource", false, DEC_TEXT_MAX},
    {"regkey",   false, SECRET_MAX},
    {"ssh_key",  false, SECRET_MAX},
    {"uuid",     false, 64},
};
/* clang-format on */

enum { N_DETAIL = sizeof(detail_fields) / sizeof(detail_fields[0]) };

static enum svc_rc check_detail(struct req *req, const json_t *v,
                                const struct detail_field *f)
{
    char field[DEC_FIELD_LEN];

    dec_field(field, "details", -1, f->name);
    if (f->integer && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                       json_integer_value(v) > f->max))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an integer in [0, %lld]", (long long)f->max);
    /* Upstream stores "" for an absent ssh_key, so empty strings pass. */
    if (!f->integer &&
        (!json_is_string(v) || json_string_length(v) > (size_t)f->max))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be a string of at most %lld bytes",
                        (long long)f->max);
    return SVC_OK;
}

static enum svc_rc decode_details(struct req *req, const json_t **out)
{
    const char *names[N_DETAIL + 1] = {NULL};
    const json_t *d = json_object_get(req->json, "details");
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; i < N_DETAIL; i++)
        names[i] = detail_fields[i].name;
    if (!d)
        return req_fail(req, SVC_ERR_INVALID, "details", "is required");
    rc = dec_fields(req, d, "details", names);
    for (size_t i = 0; rc == SVC_OK && i < N_DETAIL; i++) {
        const json_t *v = json_object_get(d, detail_fields[i].name);

        if (v)
            rc = check_detail(req, v, &detail_fields[i]);
    }
    if (rc == SVC_OK)
        *out = d;
    return rc;
}

/* GET /allocations -> {"items": [{"id","hotkey","details"}], "next": null}
 */
enum svc_rc h_alloc_list(struct req *req, struct reply *rep)
{
    struct db *db;
    json_t *items = NULL;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_alloc_list(db, !req->secrets, &items);
    return hx_read_reply(req, rep, db, rc,
                         rc == SVC_OK ? hx_page(items, NULL) : NULL);
}

/* GET /allocations/{hotkey} -> {"id","hotkey","details"} */
enum svc_rc h_alloc_get(struct req *req, struct reply *rep)
{
    const char *hotkey;
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc = dec_path_hotkey(req, "hotkey", &hotkey);

    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_alloc_get(db, hotkey, !req->secrets, &out);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "hotkey", "no allocation for this hotkey");
    return hx_read_reply(req, rep, db, rc, out);
}

struct alloc_put {
    const char *hotkey;
    const json_t *details;
    bool created;
    json_t *row;
    bool redact;
};

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    struct alloc_put *p = ctx;
    enum svc_rc rc = q_alloc_put(db, p->hotkey, p->details, &p->created);

    return rc == SVC_OK ? q_alloc_get(db, p->hotkey, p->redact, &p->row) : rc;
}

/* PUT /allocations/{hotkey} {"details": {...}} -> 201 (new) or 200 with
 * the row. Upstream update_allocation_db: UPSERT, the id is kept. */
enum svc_rc h_alloc_put(struct req *req, struct reply *rep)
{
    static const char *const fields[] = {"details", NULL};
    struct alloc_put p = {0};
    enum svc_rc rc = dec_path_hotkey(req, "hotkey", &p.hotkey);

    if (rc == SVC_OK)
        rc = dec_fields(req, req->json, NULL, fields);
    if (rc == SVC_OK)
        rc = decode_details(req, &p.details);
    if (rc != SVC_OK)
        return rc;
    p.redact = !req->secrets;
    rc = db_write(req->app->db, put_tx, &p);
    if (rc != SVC_OK)
        return rc;
    if (p.created)
        hx_location(rep, "/allocations/%s", p.hotkey);
    return reply_json(rep, p.created ? 201 : 200, p.row);
}

/* DELETE /allocations/{hotkey} -> 204, or 404 when there was none. */
enum svc_rc h_alloc_delete(struct req *req, struct reply *rep)
{
    return hx_delete_by_key(req, rep, "hotkey", q_alloc_delete,
                            "no allocation for this hotkey");
}
