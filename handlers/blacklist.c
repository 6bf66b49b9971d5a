/* SPDX-License-Identifier: MIT */
/* /blacklist: hotkeys penalised by the operator. */
#include "core/ss58.h"
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

/* GET /blacklist -> {"items": ["<hotkey>"], "next": null} */
enum svc_rc h_blacklist_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_blacklist_list, true,
                       DB_TABLE(DB_T_BLACKLIST));
}

static enum svc_rc decode_hotkey(struct req *req, const json_t *el, size_t i,
                                 void *row)
{
    char field[DEC_FIELD_LEN];

    dec_field(field, "hotkeys", (long)i, NULL);
    if (!json_is_string(el) || !ss58_is_valid(json_string_value(el)))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an SS58 address (network 42)");
    *(const char **)row = json_string_value(el);
    return SVC_OK;
}

static enum svc_rc add_one(struct db *db, const void *row, void *ctx)
{
    bool added = false;
    enum svc_rc rc = q_blacklist_add(db, *(const char *const *)row, &added);

    *(size_t *)ctx += added;
    return rc;
}

static enum svc_rc remove_one(struct db *db, const void *row, void *ctx)
{
    bool removed = false;
    enum svc_rc rc =
        q_blacklist_remove(db, *(const char *const *)row, &removed);

    *(size_t *)ctx += removed;
    return rc;
}

static enum svc_rc change_many(struct req *req, struct reply *rep, bool add)
{
    const struct hx_batch batch = {"hotkeys", sizeof(const char *),
                                   decode_hotkey, add ? add_one : remove_one};
    size_t changed = 0, n = 0;
    enum svc_rc rc = hx_batch_write(req, &batch, &changed, &n);

    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200,
                      json_pack("{s:I,s:I}", add ? "added" : "removed",
                                (json_int_t)changed,
                                add ? "already_listed" : "not_listed",
                                (json_int_t)(n - changed)));
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

/* DELETE /blacklist/{hotkey} -> 204, or 404 when it was not listed. */
enum svc_rc h_blacklist_delete_one(struct req *req, struct reply *rep)
{
    return hx_delete_by_key(req, rep, "hotkey", q_blacklist_remove,
                            "not blacklisted");
}
