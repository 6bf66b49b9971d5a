/* SPDX-License-Identifier: MIT */
/* /miners: the uid <-> hotkey map, metagraph sync and the purge. */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

#include <stdlib.h>
#include <string.h>

/* GET /miners -> {"<uid>": "<hotkey>"} */
enum svc_rc h_miners_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_miners_list, false, DB_TABLE(DB_T_MINER));
}

struct miner_pair {
    int64_t uid;
    const char *hotkey; /* borrowed from the body */
};

struct miners_put {
    struct miner_pair *pairs;
    size_t n;
    bool sync;
    json_t *purged; /* sync: [{"uid", "hotkey", "deleted"}] */
    int64_t inserted, ignored;
};

static enum svc_rc decode_pairs(struct req *req, struct miners_put *in)
{
    static const char *const fields[] = {"uid", "hotkey", NULL};
    const json_t *arr, *el;
    size_t i;
    enum svc_rc rc = dec_array(req, req->json, "miners", DEC_BATCH_MAX, &arr);

    if (rc != SVC_OK)
        return rc;
    in->pairs = calloc(json_array_size(arr), sizeof(*in->pairs));
    if (!in->pairs)
        return SVC_ERR_NOMEM;
    json_array_foreach (arr, i, el) {
        char field[DEC_FIELD_LEN];

        dec_field(field, "miners", (long)i, NULL);
        rc = dec_fields(req, el, field, fields);
        if (rc == SVC_OK)
            rc = dec_int(req, el, "miners", (long)i, "uid", 0, DEC_UID_MAX,
                         &in->pairs[i].uid);
        if (rc == SVC_OK)
            rc = dec_hotkey(req, el, "miners", (long)i, "hotkey",
                            &in->pairs[i].hotkey);
        if (rc != SVC_OK)
            return rc;
        in->n++;
    }
    return SVC_OK;
}

static enum svc_rc decode_put(struct req *req, struct miners_put *in)
{
    static const char *const fields[] = {"mode", "miners", NULL};
    const json_t *mode = json_object_get(req->json, "mode");
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc != SVC_OK)
        return rc;
    if (!json_is_string(mode) || (strcmp(json_string_value(mode), "merge") &&
                                  strcmp(json_string_value(mode), "sync")))
        return req_fail(req, SVC_ERR_INVALID, "mode",
                        "must be \"merge\" or \"sync\"");
    in->sync = strcmp(json_string_value(mode), "sync") == 0;
    return decode_pairs(req, in);
}

/* sync: purge every uid whose stored hotkey differs from the new one. */
static enum svc_rc purge_changed(struct db *db, struct miners_put *in)
{
    for (size_t i = 0; i < in->n; i++) {
        char *old = NULL;
        json_t *counts = NULL;
        enum svc_rc rc = q_miners_hotkey(db, in->pairs[i].uid, &old);

        if (rc == SVC_ERR_NOT_FOUND)
            continue;
        if (rc == SVC_OK && strcmp(old, in->pairs[i].hotkey) != 0) {
            rc = q_miners_purge(db, in->pairs[i].uid, old, &counts);
            if (rc == SVC_OK &&
                json_array_append_new(
                    in->purged, json_pack("{s:I,s:s,s:o}", "uid",
                                          (json_int_t)in->pairs[i].uid,
                                          "hotkey", old, "deleted", counts)))
                rc = SVC_ERR_NOMEM;
        }
        free(old);
        if (rc != SVC_OK)
            return rc;
    }
    return SVC_OK;
}

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    struct miners_put *in = ctx;
    enum svc_rc rc = in->sync ? purge_changed(db, in) : SVC_OK;

    in->inserted = in->ignored = 0;
    for (size_t i = 0; rc == SVC_OK && i < in->n; i++) {
        bool added = false;

        rc = q_miners_insert(db, in->pairs[i].uid, in->pairs[i].hotkey, &added);
        if (added)
            in->inserted++;
        else
            in->ignored++;
    }
    return rc;
}

/* PUT /miners {"mode": "merge"|"sync", "miners": [{"uid", "hotkey"}]}
 * merge: INSERT OR IGNORE each pair. sync: the full metagraph; each uid
 * whose hotkey changed is purged first (as upstream's deregistration),
 * then the pairs are inserted. One transaction.
 * -> {"inserted", "ignored", "purged": [...]} */
enum svc_rc h_miners_put(struct req *req, struct reply *rep)
{
    struct miners_put in = {0};
    enum svc_rc rc = decode_put(req, &in);

    if (rc != SVC_OK)
        goto out;
    in.purged = json_array();
    rc = in.purged ? db_write(req->app->db, put_tx, &in) : SVC_ERR_NOMEM;
    if (rc != SVC_OK)
        goto out;
    rc = reply_json(rep, 200,
                    json_pack("{s:I,s:I,s:O}", "inserted",
                              (json_int_t)in.inserted, "ignored",
                              (json_int_t)in.ignored, "purged", in.purged));
out:
    json_decref(in.purged);
    free(in.pairs);
    return rc;
}

struct purge {
    int64_t uid;
    const char *hotkey;
    json_t *counts;
};

static enum svc_rc purge_tx(struct db *db, void *ctx)
{
    struct purge *p = ctx;

    return q_miners_purge(db, p->uid, p->hotkey, &p->counts);
}

/* DELETE /miners/{uid}?hotkey= -> {"uid", "hotkey", "deleted": {"<table>":
 * n}}: upstream purge_miner_entries, atomic. */
enum svc_rc h_miners_delete(struct req *req, struct reply *rep)
{
    struct purge p = {0};
    enum svc_rc rc = dec_path_uid(req, "uid", &p.uid);
    if (rc == SVC_OK)
        rc = dec_query_hotkey(req, "hotkey", &p.hotkey);
    if (rc != SVC_OK)
        return rc;
    rc = db_write(req->app->db, purge_tx, &p);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200,
                      json_pack("{s:I,s:s,s:o}", "uid", (json_int_t)p.uid,
                                "hotkey", p.hotkey, "deleted", p.counts));
}
