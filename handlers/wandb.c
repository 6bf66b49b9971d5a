/* SPDX-License-Identifier: MIT */
/* /wandb-runs: the validator's own W&B run id per hotkey. Upstream only
 * ever inserts when absent, so a different run id for a stored hotkey is a
 * conflict, not an update. */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

#include <stdlib.h>
#include <string.h>

/* GET /wandb-runs -> {"<hotkey>": "<run_id>"} */
enum svc_rc h_wandb_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_wandb_list, false, DB_TABLE(DB_T_WANDB));
}

static json_t *run_json(const char *hotkey, const char *run_id)
{
    return json_pack("{s:s,s:s}", "hotkey", hotkey, "run_id", run_id);
}

/* GET /wandb-runs/{hotkey} -> {"hotkey", "run_id"} */
enum svc_rc h_wandb_get(struct req *req, struct reply *rep)
{
    const char *hotkey;
    char *run_id = NULL;
    struct db *db;
    enum svc_rc rc = dec_path_hotkey(req, "hotkey", &hotkey);

    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_wandb_get(db, hotkey, &run_id);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "hotkey", "no run for this hotkey");
    rc = hx_read_reply(req, rep, db, rc,
                       rc == SVC_OK ? run_json(hotkey, run_id) : NULL);
    free(run_id);
    return rc;
}

struct wandb_put {
    const char *hotkey;
    const char *run_id;
    bool created;
    char *stored;
};

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    struct wandb_put *p = ctx;
    enum svc_rc rc = q_wandb_insert(db, p->hotkey, p->run_id, &p->created);

    if (rc == SVC_OK && !p->created)
        rc = q_wandb_get(db, p->hotkey, &p->stored);
    return rc;
}

/* PUT /wandb-runs/{hotkey} {"run_id"} -> 201 when stored, 200 when the
 * same id was already there, 409 when another id is. */
enum svc_rc h_wandb_put(struct req *req, struct reply *rep)
{
    static const char *const fields[] = {"run_id", NULL};
    struct wandb_put p = {0};
    enum svc_rc rc = dec_path_hotkey(req, "hotkey", &p.hotkey);

    if (rc == SVC_OK)
        rc = dec_fields(req, req->json, NULL, fields);
    if (rc == SVC_OK)
        rc = dec_text(req, req->json, NULL, -1, "run_id", 256, &p.run_id);
    if (rc == SVC_OK)
        rc = db_write(req->app->db, put_tx, &p);
    if (rc != SVC_OK)
        goto out;
    if (p.stored && strcmp(p.stored, p.run_id) != 0) {
        rc = req_fail(req, SVC_ERR_CONFLICT, "run_id",
                      "this hotkey already has run id '%.64s'; run ids are "
                      "never replaced",
                      p.stored);
        goto out;
    }
    if (p.created)
        hx_location(rep, "/wandb-runs/%s", p.hotkey);
    rc = reply_json(rep, p.created ? 201 : 200, run_json(p.hotkey, p.run_id));
out:
    free(p.stored);
    return rc;
}

/* DELETE /wandb-runs/{hotkey} -> 204, or 404 */
enum svc_rc h_wandb_delete(struct req *req, struct reply *rep)
{
    return hx_delete_by_key(req, rep, "hotkey", q_wandb_delete,
                            "no run for this hotkey");
}
