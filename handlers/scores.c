/* SPDX-License-Identifier: MIT */
/* GET /scores: the live scorer, calc_score_pog over the newest passing
 * pog_stats row of every hotkey, with the GPU table in use. */
#include "gpu/pog_table.h"
#include "handlers.h"
#include "schema/queries.h"

#include <limits.h>
#include <stdio.h>

/* Adds "score" (calc_score_pog, in [0, 1]) to every passing row. */
static enum svc_rc add_scores(const struct pog_table *t, json_t *rows)
{
    size_t i;
    json_t *row;

    json_array_foreach (rows, i, row) {
        json_int_t n = json_integer_value(json_object_get(row, "num_gpus"));
        const char *name = json_string_value(json_object_get(row, "gpu_name"));
        /* pog_table_score counts at most 8 GPUs, as upstream does. */
        double s = n > 0 ? pog_table_score(
                               t, name, n < UINT_MAX ? (unsigned)n : UINT_MAX)
                         : 0.0;

        if (json_object_set_new(row, "score", json_real(s)))
            return SVC_ERR_NOMEM;
    }
    return SVC_OK;
}

/* GET /scores -> {"items": [{hotkey, uid, gpu_name, num_gpus, created_at,
 * score}], "next": null}: every hotkey with a passing PoG result, scored
 * as upstream's calc_score_pog scores its newest one. */
enum svc_rc h_scores_list(struct req *req, struct reply *rep)
{
    char etag[64];
    struct db *db;
    json_t *rows = NULL;
    enum svc_rc rc;

    if (hx_conditional(req, rep,
                       DB_TABLE(DB_T_POG_STATS) | DB_TABLE(DB_T_MINER), etag))
        return SVC_OK;
    rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_pog_passing(db, &rows);
    if (rc == SVC_OK)
        rc = add_scores(hx_pog_table(req), rows);
    if (rc != SVC_OK)
        json_decref(rows);
    rc = hx_read_reply(req, rep, db, rc,
                       rc == SVC_OK ? hx_page(rows, NULL) : NULL);
    if (rc == SVC_OK)
        snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    return rc;
}
