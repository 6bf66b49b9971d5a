/* SPDX-License-Identifier: MIT */
/* /pog/stats: Proof-of-GPU results per hotkey (upstream pog_stats). */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"
#include "server/metrics.h"

struct pog_post {
    const char *hotkey;
    const char *gpu_name; /* NULL with num_gpus -1: a failure row */
    int64_t num_gpus;
    json_t *row;
};

static enum svc_rc pog_tx(struct db *db, void *ctx)
{
    struct pog_post *p = ctx;

    return q_pog_insert(db, p->hotkey, p->gpu_name, p->num_gpus, &p->row);
}

static enum svc_rc decode_pog(struct req *req, struct pog_post *p)
{
    static const char *const fields[] = {"hotkey", "gpu_name", "num_gpus",
                                         NULL};
    bool has_name = dec_has(req->json, "gpu_name");
    bool has_num = dec_has(req->json, "num_gpus");
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc == SVC_OK)
        rc = dec_hotkey(req, req->json, NULL, -1, "hotkey", &p->hotkey);
    if (rc != SVC_OK)
        return rc;
    p->num_gpus = -1;
    if (has_name != has_num)
        return req_fail(req, SVC_ERR_INVALID,
                        has_name ? "num_gpus" : "gpu_name",
                        "gpu_name and num_gpus are both set (a pass) or "
                        "both null (a failed test)");
    if (!has_name)
        return SVC_OK;
    rc = dec_text(req, req->json, NULL, -1, "gpu_name", 128, &p->gpu_name);
    if (rc == SVC_OK)
        rc = dec_int(req, req->json, NULL, -1, "num_gpus", 1, 1024,
                     &p->num_gpus);
    return rc;
}

/* POST /pog/stats {"hotkey", "gpu_name": s|null, "num_gpus": n|null}
 * -> 201 with the row. Keeps the newest 4 rows of the hotkey. */
enum svc_rc h_pog_stats_post(struct req *req, struct reply *rep)
{
    struct pog_post p = {0};
    enum svc_rc rc = decode_pog(req, &p);

    if (rc == SVC_OK)
        rc = db_write(req->app->db, pog_tx, &p);
    if (rc != SVC_OK)
        return rc;
    metrics_outcome(METRICS_POG_RESULTS, p.gpu_name != NULL,
                    p.gpu_name == NULL);
    /* No Location: rows have no URL of their own, and /pog/stats/{hotkey}
     * answers the newest passing row, which this one may not be. */
    return reply_json(rep, 201, p.row);
}

/* GET /pog/stats -> {"items": [rows by hotkey, newest first], "next": null}
 */
enum svc_rc h_pog_stats_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_pog_list, true, DB_TABLE(DB_T_POG_STATS));
}

/* GET /pog/stats/{hotkey} -> the newest row with gpu_name and num_gpus
 * set (upstream get_pog_specs), or 404. */
enum svc_rc h_pog_stats_get(struct req *req, struct reply *rep)
{
    return hx_read_by_key(req, rep, "hotkey", q_pog_latest,
                          "no passing PoG result for this hotkey",
                          DB_TABLE(DB_T_POG_STATS));
}
