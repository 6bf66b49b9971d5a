/* SPDX-License-Identifier: MIT */
/* /admin/principals: who may sign requests, with which role. The last
 * admin can be neither removed nor demoted (409), so the service cannot be
 * locked out over HTTP. */
#include "../schema/queries.h"
#include "decode.h"
#include "handlers.h"

#include <stdint.h>
#include <string.h>

/* GET /admin/principals -> {"items": [...], "next": null} */
enum svc_rc h_principals_list(struct req *req, struct reply *rep)
{
    struct db *db;
    json_t *items = NULL;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_principals_list(db, &items);
    return hx_read_reply(req, rep, db, rc,
                         rc == SVC_OK ? hx_page(items, NULL) : NULL);
}

/* GET /admin/principals/{ss58} */
enum svc_rc h_principals_get(struct req *req, struct reply *rep)
{
    const char *ss58;
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc = dec_path_hotkey(req, "ss58", &ss58);

    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_principals_get(db, ss58, &out);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "ss58", "no such principal");
    return hx_read_reply(req, rep, db, rc, out);
}

struct principal_put {
    struct q_principal p;
    bool created;
    json_t *row;
};

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    struct principal_put *pp = ctx;
    enum svc_rc rc = q_principals_put(db, &pp->p, &pp->created);

    return rc == SVC_OK ? q_principals_get(db, pp->p.ss58, &pp->row) : rc;
}

static enum svc_rc decode_principal(struct req *req, struct q_principal *p)
{
    static const char *const fields[] = {"role", "label", "expires_at", NULL};
    enum role role;
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc == SVC_OK)
        rc = dec_text(req, req->json, NULL, -1, "role", 16, &p->role);
    if (rc == SVC_OK && !role_parse(p->role, &role))
        rc = req_fail(req, SVC_ERR_INVALID, "role",
                      "must be reader, writer or admin");
    if (rc == SVC_OK && dec_has(req->json, "label"))
        rc = dec_text(req, req->json, NULL, -1, "label", 256, &p->label);
    if (rc == SVC_OK && dec_has(req->json, "expires_at"))
        rc = dec_text(req, req->json, NULL, -1, "expires_at", 19,
                      &p->expires_at);
    /* UTC, in the format SQLite's CURRENT_TIMESTAMP compares as text. */
    if (rc == SVC_OK && p->expires_at &&
        !dec_is_datetime(p->expires_at, ' ', false))
        rc = req_fail(req, SVC_ERR_INVALID, "expires_at",
                      "must be YYYY-MM-DD HH:MM:SS (UTC)");
    return rc;
}

/* PUT /admin/principals/{ss58} {"role", "label"?, "expires_at"?}
 * -> 201 (new) or 200 with the principal. */
enum svc_rc h_principals_put(struct req *req, struct reply *rep)
{
    struct principal_put pp = {0};
    enum svc_rc rc = dec_path_hotkey(req, "ss58", &pp.p.ss58);

    if (rc == SVC_OK)
        rc = decode_principal(req, &pp.p);
    if (rc == SVC_OK)
        rc = db_write(req->app->db, put_tx, &pp);
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "role", "the last admin cannot be demoted");
    if (rc != SVC_OK)
        return rc;
    if (pp.created)
        hx_location(rep, "/admin/principals/%s", pp.p.ss58);
    return reply_json(rep, pp.created ? 201 : 200, pp.row);
}

static enum svc_rc delete_tx(struct db *db, void *ctx)
{
    return q_principals_delete(db, ctx);
}

/* DELETE /admin/principals/{ss58} -> 204; 404 when absent; 409 for the
 * last admin. */
enum svc_rc h_principals_delete(struct req *req, struct reply *rep)
{
    const char *ss58;
    enum svc_rc rc = dec_path_hotkey(req, "ss58", &ss58);

    if (rc == SVC_OK)
        rc = db_write(req->app->db, delete_tx, (void *)(uintptr_t)ss58);
    if (rc == SVC_ERR_NOT_FOUND)
        return req_fail(req, rc, "ss58", "no such principal");
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "ss58", "the last admin cannot be removed");
    if (rc != SVC_OK)
        return rc;
    return reply_empty(rep, 204);
}
