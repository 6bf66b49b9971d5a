/* SPDX-License-Identifier: MIT */
/* /blacklist: hotkeys penalised by the operator. */
#include "../schema/queries.h"
#include "../server/auth_ss58.h"
#include "decode.h"
#include "handlers.h"

#include <stdint.h>
#include <stdlib.h>

/* GET /blacklist -> {"items": ["<hotkey>"], "next": null} */
enum svc_rc h_blacklist_list(struct req *req, struct reply *rep)
{
    struct db *db;
    json_t *items = NULL;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_blacklist_list(db, &items);
    return hx_read_reply(req, rep, db, rc,
                         rc == SVC_OK ? hx_page(items, NULL) : NULL);
}

struct hotkeys {
    const char **keys; /* borrowed from the body */
    size_t n;
    bool add;
    int64_t changed;
};

static enum svc_rc decode_hotkeys(struct req *req, struct hotkeys *in)
{
    static const char *const fields[] = {"hotkeys", NULL};
    const json_t *arr, *el;
    size_t i;
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc == SVC_OK)
        rc = dec_array(req, req->json, "hotkeys", DEC_BATCH_MAX, &arr);
    if (rc != SVC_OK)
        return rc;
    in->keys = calloc(json_array_size(arr), sizeof(*in->keys));
    if (!in->keys)
        return SVC_ERR_NOMEM;
    json_array_foreach (arr, i, el) {
        char field[DEC_FIELD_LEN];

        dec_field(field, "hotkeys", (long)i, NULL);
        if (!json_is_string(el) || !ss58_is_valid(json_string_value(el)))
            return req_fail(req, SVC_ERR_INVALID, field,
                            "must be an SS58 address (network 42)");
        in->keys[in->n++] = json_string_value(el);
    }
    return SVC_OK;
}

static enum svc_rc hotkeys_tx(struct db *db, void *ctx)
{
    struct hotkeys *in = ctx;
    enum svc_rc rc = SVC_OK;

    in->changed = 0;
    for (size_t i = 0; rc == SVC_OK && i < in->n; i++) {
        bool changed = false;

        rc = in->add ? q_blacklist_add(db, in->keys[i], &changed)
                     : q_blacklist_remove(db, in->keys[i], &changed);
        in->changed += changed;
    }
    return rc;
}

static enum svc_rc change_many(struct req *req, struct reply *rep, bool add)
{
    struct hotkeys in = {.add = add};
    enum svc_rc rc = decode_hotkeys(req, &in);

    if (rc == SVC_OK)
        rc = db_write(req->app->db, hotkeys_tx, &in);
    if (rc == SVC_OK)
        rc = reply_json(rep, 200,
                        json_pack("{s:I,s:I}", add ? "added" : "removed",
                                  (json_int_t)in.changed,
                                  add ? "already_listed" : "not_listed",
                                  (json_int_t)in.n - in.changed));
    free(in.keys);
    return rc;
}

/* POST /blacklist {"hotkeys": [...]} -> {"added", "already_listed"} */
enum svc_rc h_blacklist_post(struct req *req, struct reply *rep)
{
    return change_many(req, rep, true);
}

/* DELETE /blacklist {"hotkeys": [...]} -> {"removed", "not_listed"} */
enum svc_rc h_blacklist_delete(struct req *req, struct reply *rep)
{
    return change_many(req, rep, false);
}

static enum svc_rc remove_one_tx(struct db *db, void *ctx)
{
    bool removed = false;
    enum svc_rc rc = q_blacklist_remove(db, ctx, &removed);

    return rc == SVC_OK && !removed ? SVC_ERR_NOT_FOUND : rc;
}

/* DELETE /blacklist/{hotkey} -> 204, or 404 when it was not listed. */
enum svc_rc h_blacklist_delete_one(struct req *req, struct reply *rep)
{
    const char *hotkey;
    enum svc_rc rc = dec_path_hotkey(req, "hotkey", &hotkey);

    if (rc == SVC_OK)
        rc = db_write(req->app->db, remove_one_tx, (void *)(uintptr_t)hotkey);
    if (rc == SVC_ERR_NOT_FOUND)
        return req_fail(req, rc, "hotkey", "not blacklisted");
    if (rc != SVC_OK)
        return rc;
    return reply_empty(rep, 204);
}
