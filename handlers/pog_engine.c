/* SPDX-License-Identifier: MIT */
/* The PoG engine's synchronous endpoints: the validator's verification of
 * a miner's proofs (recording the outcome in pog_stats as upstream does),
 * GPU identification and the GPU reference table. All run on the HTTP
 * thread: their cost is linear in the body (a verification rebuilds 2n
 * generator values and one dot product per challenge), never a GEMM. */
#include "decode.h"
#include "gpu/pog_parse.h"
#include "gpu/pog_table.h"
#include "gpu/pog_verify.h"
#include "handlers.h"
#include "schema/queries.h"
#include "server/metrics.h"

#include <string.h>

enum {
    NAME_MAX_LEN = 128, /* gpu_name and reported_name, as POST /pog/stats */
    LINE_MAX_LEN = 256, /* the benchmark line */
    NUM_GPUS_MAX = 1024,
};

/* ---- identification ------------------------------------------------ */

/* What identify_gpu needs: TFLOPS, the VRAM estimate and the device's own
 * name; num_gpus (0: unknown) scores the result. */
struct ident_in {
    double fp16, fp32, vram;
    const char *reported; /* borrowed, or NULL */
    int64_t num_gpus;
};

static enum svc_rc decode_measures(struct req *req, const json_t *obj,
                                   const char *where, struct ident_in *in)
{
    enum svc_rc rc =
        dec_real(req, obj, where, -1, "tflops_fp16", 0, 1e7, &in->fp16);

    if (rc == SVC_OK)
        rc = dec_real(req, obj, where, -1, "tflops_fp32", 0, 1e7, &in->fp32);
    if (rc == SVC_OK)
        rc = dec_real(req, obj, where, -1, "vram", 1e-3, 1e5, &in->vram);
    return rc;
}

/* {"tflops_fp16", "tflops_fp32", "vram"} or {"line"}, with
 * "reported_name"? and "num_gpus"? (implied by a line). */
static enum svc_rc decode_identify(struct req *req, const json_t *obj,
                                   const char *where, struct ident_in *in)
{
    static const char *const fields[] = {
        "tflops_fp16", "tflops_fp32",   "vram", "line",
        "num_gpus",    "reported_name", NULL};
    char field[DEC_FIELD_LEN];
    const char *line = NULL;
    struct pog_bench_line bl;
    enum svc_rc rc = dec_fields(req, obj, where, fields);

    memset(in, 0, sizeof(*in));
    if (rc == SVC_OK && dec_has(obj, "reported_name"))
        rc = dec_text(req, obj, where, -1, "reported_name", NAME_MAX_LEN,
                      &in->reported);
    if (rc == SVC_OK && dec_has(obj, "num_gpus"))
        rc = dec_int(req, obj, where, -1, "num_gpus", 1, NUM_GPUS_MAX,
                     &in->num_gpus);
    if (rc != SVC_OK || !dec_has(obj, "line"))
        return rc == SVC_OK ? decode_measures(req, obj, where, in) : rc;
    dec_field(field, where, -1, "line");
    if (dec_has(obj, "tflops_fp16") || dec_has(obj, "tflops_fp32") ||
        dec_has(obj, "vram") || dec_has(obj, "num_gpus"))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "give the line or the measures, not both");
    rc = dec_text(req, obj, where, -1, "line", LINE_MAX_LEN, &line);
    if (rc == SVC_OK && !pog_bench_line_parse(line, &bl))
        rc = req_fail(req, SVC_ERR_INVALID, field,
                      "want \"num_gpus vram n_fp16 t_fp16 n_fp32 t_fp32\"");
    if (rc == SVC_OK) {
        in->num_gpus = bl.num_gpus;
        in->vram = bl.vram;
        in->fp16 = bl.tflops_fp16;
        in->fp32 = bl.tflops_fp32;
    }
    return rc;
}

/* The verdict as a new object; num_gpus adds its pog_score. */
static json_t *identity_json(const struct pog_table *t,
                             const struct ident_in *in,
                             const struct pog_identity *id)
{
    json_t *o = json_pack("{s:s,s:s,s:f,s:s?,s:f,s:b,s:f,s:f,s:f}", "name",
                          id->name, "best", id->best, "score", id->score,
                          "runner_up", id->runner_up, "runner_up_score",
                          id->runner_up ? id->runner_up_score : 0.0,
                          "tolerance_swap", id->tolerance_swap, "tflops_fp16",
                          in->fp16, "tflops_fp32", in->fp32, "vram", in->vram);

    if (o && in->num_gpus > 0 &&
        (json_object_set_new(o, "num_gpus", json_integer(in->num_gpus)) ||
         json_object_set_new(o, "pog_score",
                             json_real(pog_table_score(
                                 t, id->name, (unsigned)in->num_gpus))))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static enum svc_rc identify(struct req *req, const struct ident_in *in,
                            struct pog_identity *out)
{
    if (pog_identify(hx_pog_table(req), in->fp16, in->fp32, in->vram,
                     in->reported, out) != SVC_OK)
        return req_fail(req, SVC_ERR_INVALID, NULL,
                        "the measures must be finite");
    return SVC_OK;
}

/* POST /pog/identify -> identify_gpu over the GPU table. */
enum svc_rc h_pog_identify_post(struct req *req, struct reply *rep)
{
    struct ident_in in;
    struct pog_identity id;
    enum svc_rc rc = decode_identify(req, req->json, NULL, &in);

    if (rc == SVC_OK)
        rc = identify(req, &in, &id);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200, identity_json(hx_pog_table(req), &in, &id));
}

/* GET /pog/gpus -> the GPU reference table in use. */
enum svc_rc h_pog_gpus_get(struct req *req, struct reply *rep)
{
    return reply_json(rep, 200, pog_table_json(hx_pog_table(req)));
}

/* ---- verification ---------------------------------------------------- */

/* The members of a verification beyond the claim (pog_verify.h). */
struct verify_extra {
    const char *hotkey;   /* NULL: record nothing */
    const char *gpu_name; /* what a pass records, or from identify */
    int64_t num_gpus;     /* 0: the GPUs in the claim */
    bool has_identify;
    struct ident_in ident;
};

static const char *const extra_members[] = {"hotkey", "gpu_name", "num_gpus",
                                            "identify", NULL};

static enum svc_rc decode_extra(struct req *req, struct verify_extra *x)
{
    const json_t *b = req->json;
    enum svc_rc rc = SVC_OK;

    if (dec_has(b, "hotkey"))
        rc = dec_hotkey(req, b, NULL, -1, "hotkey", &x->hotkey);
    if (rc == SVC_OK && dec_has(b, "gpu_name"))
        rc = dec_text(req, b, NULL, -1, "gpu_name", NAME_MAX_LEN, &x->gpu_name);
    if (rc == SVC_OK && dec_has(b, "num_gpus"))
        rc = dec_int(req, b, NULL, -1, "num_gpus", 1, NUM_GPUS_MAX,
                     &x->num_gpus);
    x->has_identify = dec_has(b, "identify");
    if (rc == SVC_OK && x->has_identify)
        rc = decode_identify(req, json_object_get(b, "identify"), "identify",
                             &x->ident);
    if (rc != SVC_OK)
        return rc;
    if (!x->hotkey && (x->gpu_name || x->num_gpus || x->has_identify))
        return req_fail(req, SVC_ERR_INVALID,
                        x->gpu_name   ? "gpu_name"
                        : x->num_gpus ? "num_gpus"
                                      : "identify",
                        "only with a hotkey, whose result it records");
    if (x->hotkey && !x->gpu_name == !x->has_identify)
        return req_fail(req, SVC_ERR_INVALID, "gpu_name",
                        "with a hotkey, give gpu_name or identify (one)");
    /* The route is open to readers; recording a result is a write. */
    if (x->hotkey && req->role < ROLE_WRITER)
        return req_fail(req, SVC_ERR_FORBIDDEN, "hotkey",
                        "recording a result needs the writer role");
    return SVC_OK;
}

/* The claim alone: a shallow copy of the body without the extras. */
static enum svc_rc verify_claim(struct req *req, json_t **verdict)
{
    struct svc_err err = {{0}, {0}};
    json_t *claim = json_copy(req->json);
    enum svc_rc rc;

    if (!claim)
        return SVC_ERR_NOMEM;
    for (size_t k = 0; extra_members[k]; k++)
        json_object_del(claim, extra_members[k]);
    rc = pog_verify_json(claim, verdict, &err);
    json_decref(claim);
    if (rc == SVC_ERR_INVALID)
        return req_fail(req, rc, err.field, "%s", err.msg);
    return rc;
}

struct record {
    const char *hotkey;
    const char *gpu_name; /* NULL: a failure row */
    int64_t num_gpus;     /* -1 with a failure row */
    json_t *row;
};

static enum svc_rc record_tx(struct db *db, void *ctx)
{
    struct record *r = ctx;

    return q_pog_insert(db, r->hotkey, r->gpu_name, r->num_gpus, &r->row);
}

/* Records the outcome for x->hotkey as upstream's update_pog_stats does:
 * (hotkey, gpu name, num_gpus) on a pass, a NULL row on a failure. Adds
 * "recorded" (and "identified") to verdict. */
static enum svc_rc record(struct req *req, const struct verify_extra *x,
                          json_t *verdict)
{
    bool pass = json_is_true(json_object_get(verdict, "pass"));
    struct record r = {x->hotkey, x->gpu_name, x->num_gpus, NULL};
    struct pog_identity id;
    enum svc_rc rc = SVC_OK;

    if (x->has_identify) {
        rc = identify(req, &x->ident, &id);
        if (rc != SVC_OK)
            return rc;
        r.gpu_name = id.name;
        if (json_object_set_new(
                verdict, "identified",
                identity_json(hx_pog_table(req), &x->ident, &id)))
            return SVC_ERR_NOMEM;
    }
    if (!r.num_gpus)
        r.num_gpus = json_integer_value(json_object_get(verdict, "total"));
    if (!pass) {
        r.gpu_name = NULL;
        r.num_gpus = -1;
    }
    rc = db_write(req->app->db, record_tx, &r);
    if (rc != SVC_OK)
        return rc;
    metrics_outcome(METRICS_POG_RESULTS, pass, !pass);
    return json_object_set_new(verdict, "recorded", r.row) ? SVC_ERR_NOMEM
                                                           : SVC_OK;
}

/* POST /pog/verify -> the verdict per GPU and overall; with a hotkey the
 * outcome is also recorded in pog_stats. */
enum svc_rc h_pog_verify_post(struct req *req, struct reply *rep)
{
    struct verify_extra x;
    json_t *verdict = NULL;
    bool pass;
    enum svc_rc rc;

    memset(&x, 0, sizeof(x));
    rc = decode_extra(req, &x);
    if (rc == SVC_OK)
        rc = verify_claim(req, &verdict);
    if (rc == SVC_OK && x.hotkey)
        rc = record(req, &x, verdict);
    if (rc != SVC_OK) {
        json_decref(verdict);
        return rc;
    }
    pass = json_is_true(json_object_get(verdict, "pass"));
    metrics_outcome(METRICS_POG_VERDICTS, pass, !pass);
    return reply_json(rep, 200, verdict);
}
