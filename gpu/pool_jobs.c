/* SPDX-License-Identifier: MIT */
/* What each job kind runs on its device's worker thread, and the JSON it
 * produces (the shapes are listed in pool.h). The device's last compute
 * round stays retained so proofs open rows without recomputing. */
#include "core/clock.h"
#include "pog.h"
#include "pog_verify.h"
#include "pool_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* What the backend's stop check sees. */
struct run {
    struct device *d;
    struct job *j;
    struct gpu_stop stop;
    char *err;
    size_t cap;
};

static enum svc_rc stop_check(void *ctx)
{
    const struct run *r = ctx;

    if (atomic_load(&r->j->cancel) || atomic_load(&r->d->pool->halt))
        return SVC_ERR_CANCELLED;
    if ((uint64_t)clock_mono_ns() >= r->j->deadline_ns)
        return SVC_ERR_TIMEOUT;
    return SVC_OK;
}

/* Records the backend's text for a failed call and passes rc through. */
static enum svc_rc backend_fail(struct run *r, enum svc_rc rc)
{
    const char *txt = r->d->pool->be->last_error(r->d->w);

    if (rc == SVC_ERR_CANCELLED || rc == SVC_ERR_TIMEOUT)
        snprintf(r->err, r->cap, "%s", svc_rc_text(rc));
    else
        snprintf(r->err, r->cap, "%s", txt && *txt ? txt : svc_rc_text(rc));
    return rc;
}

void pool_release_retained(struct device *d)
{
    if (d->w && d->pool->be->release)
        d->pool->be->release(d->w);
    gpu_round_free(d->retained);
    d->retained = NULL;
}

static json_t *hex_json(const uint8_t *b, size_t len)
{
    char hex[2 * 64 + 1];

    pog_hex_encode(b, len, hex);
    return json_string(hex);
}

static json_t *u64_json(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return json_string(buf);
}

/* v as printf("%.*f") prints it and Python's float() reads it back. */
static double printed(double v, int decimals)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return strtod(buf, NULL);
}

/* ---- info and self-test ------------------------------------------------- */

static enum svc_rc run_info(struct run *r, json_t **out)
{
    struct gpu_pool *p = r->d->pool;
    struct gpu_device_info info;
    json_t *names = json_array();
    enum svc_rc rc = p->be->info(r->d->w, &info);

    if (rc) {
        json_decref(names);
        return backend_fail(r, rc);
    }
    pthread_mutex_lock(&p->lock);
    for (int k = 0; names && k < p->n_dev; k++)
        if (p->dev[k].state == DEV_READY)
            json_array_append_new(names, json_string(p->dev[k].info.name));
    pthread_mutex_unlock(&p->lock);
    *out =
        json_pack("{s:i,s:o,s:o,s:f}", "num_gpus", p->n_dev, "gpu_names", names,
                  "device", gpu_device_info_json(&info), "vram",
                  printed(pog_vram_gb(pog_vram_quantise(info.free_bytes)), 2));
    return SVC_OK;
}

static enum svc_rc run_selftest(struct run *r, json_t **out)
{
    enum svc_rc rc = r->d->pool->be->selftest(r->d->w, r->err, r->cap);

    if (rc)
        return rc;
    *out = json_pack("{s:b,s:s}", "ok", 1, "device", r->d->info.name);
    return SVC_OK;
}

/* ---- benchmark ---------------------------------------------------------- */

struct bench {
    double vram;       /* unrounded GB */
    uint32_t n16, n32; /* sizes run */
    double t16, t32;   /* seconds as printed (%.6f) */
    bool clamped;      /* a size was cut to what the device holds */
};

/* Frees device memory, estimates VRAM, sizes and times both GEMMs. */
static enum svc_rc bench_measure(struct run *r, struct bench *b)
{
    const struct gpu_backend *be = r->d->pool->be;
    struct gpu_device_info info;
    uint64_t free_b, total_b;
    uint32_t cap;
    enum svc_rc rc;

    pool_release_retained(r->d);
    if ((rc = be->memory(r->d->w, &free_b, &total_b)) ||
        (rc = be->info(r->d->w, &info)))
        return backend_fail(r, rc);
    b->vram = pog_vram_gb(pog_vram_quantise(free_b));
    /* Each precision by its own element size in the free memory (fp16
     * 6 n^2 bytes, fp32 12 n^2); info.max_n is the fp32 compute rule on a
     * GPU, so only the CPU's own cap applies as well. */
    cap = strcmp(info.backend, "cpu") ? 0 : info.max_n;
    b->n16 = pog_bench_clamp(r->j->spec.n_fp16 ? r->j->spec.n_fp16
                                               : pog_size_fp16(b->vram),
                             2, free_b, cap, &b->clamped);
    b->n32 = pog_bench_clamp(r->j->spec.n_fp32 ? r->j->spec.n_fp32
                                               : pog_size_fp32(b->vram),
                             4, free_b, cap, &b->clamped);
    if (b->n16 == 0 || b->n32 == 0) {
        snprintf(r->err, r->cap, "too little memory to benchmark");
        return SVC_ERR_NO_VRAM;
    }
    if ((rc = be->bench(r->d->w, GPU_PREC_FP16, b->n16, &r->stop, &b->t16)) ||
        (rc = be->bench(r->d->w, GPU_PREC_FP32, b->n32, &r->stop, &b->t32)))
        return backend_fail(r, rc);
    b->t16 = printed(b->t16, 6);
    b->t32 = printed(b->t32, 6);
    return SVC_OK;
}

static json_t *identity_json(const struct pog_identity *id)
{
    return json_pack("{s:s,s:s,s:f,s:s?,s:f,s:b}", "name", id->name, "best",
                     id->best, "score", id->score, "runner_up", id->runner_up,
                     "runner_up_score", id->runner_up_score, "tolerance_swap",
                     id->tolerance_swap);
}

/* What the measured rates identify: the table entry and its score, or,
 * on the CPU backend, which no entry describes, no GPU (null) and 0. */
struct bench_verdict {
    json_t *identified; /* new */
    double score;
};

static enum svc_rc bench_identify(struct run *r, double f16, double f32,
                                  double vram, struct bench_verdict *v)
{
    struct gpu_pool *p = r->d->pool;
    struct pog_identity id;

    if (!strcmp(r->d->info.backend, "cpu")) {
        *v = (struct bench_verdict){json_null(), 0};
        return SVC_OK;
    }
    if (pog_identify(p->table, f16, f32, vram, r->d->info.name, &id)) {
        snprintf(r->err, r->cap, "benchmark gave non-finite TFLOPS");
        return SVC_ERR_GPU;
    }
    *v = (struct bench_verdict){
        identity_json(&id),
        pog_table_score(p->table, id.name, (unsigned)p->n_dev)};
    return SVC_OK;
}

static enum svc_rc run_bench(struct run *r, json_t **out)
{
    struct gpu_pool *p = r->d->pool;
    struct bench_verdict v;
    struct bench b = {0};
    double vram, f16, f32;
    char line[128];
    enum svc_rc rc = bench_measure(r, &b);

    if (rc)
        return rc;
    vram = printed(b.vram, 2); /* what the validator parses */
    f16 = pog_tflops(b.n16, b.t16);
    f32 = pog_tflops(b.n32, b.t32);
    rc = bench_identify(r, f16, f32, vram, &v);
    if (rc)
        return rc;
    snprintf(line, sizeof(line), "%d %.2f %u %.6f %u %.6f", p->n_dev, b.vram,
             b.n16, b.t16, b.n32, b.t32);
    *out = json_pack("{s:i,s:f,s:f,s:I,s:f,s:I,s:f,s:f,s:f,s:s,s:o,s:f,s:s,"
                     "s:b}",
                     "num_gpus", p->n_dev, "vram", vram, "vram_gb", b.vram,
                     "n_fp16", (json_int_t)b.n16, "t_fp16", b.t16, "n_fp32",
                     (json_int_t)b.n32, "t_fp32", b.t32, "tflops_fp16", f16,
                     "tflops_fp32", f32, "reported_name", r->d->info.name,
                     "identified", v.identified, "score", v.score, "line", line,
                     "clamped", b.clamped);
    return SVC_OK;
}

/* ---- compute and proof -------------------------------------------------- */

static uint32_t random_below(uint32_t n)
{
    uint32_t x;

    if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
        x = (uint32_t)(uint64_t)clock_mono_ns() * 2654435761u;
    return (uint32_t)(((uint64_t)x * n) >> 32);
}

/* Verifies k random challenges of the retained round the way the validator
 * would; a new {"checked", "passed", "pass"}. */
static json_t *self_check(struct run *r, const struct gpu_round *rd, unsigned k)
{
    uint8_t(*sib)[POG_HASH_LEN] = calloc(POG_MERKLE_MAX_DEPTH, POG_HASH_LEN);
    struct pog_sibling proof[POG_MERKLE_MAX_DEPTH];
    float *row = malloc((size_t)rd->n * sizeof(float));
    unsigned passed = 0, done = 0;

    for (; row && sib && done < k; done++) {
        struct pog_challenge c = {.i = random_below(rd->n),
                                  .j = random_below(rd->n),
                                  .row = row,
                                  .row_len = rd->n,
                                  .proof = proof};
        struct pog_check res;

        if (gpu_round_open(r->d->pool->be, r->d->w, rd, c.i, row, sib,
                           POG_MERKLE_MAX_DEPTH, &c.proof_len))
            break;
        for (size_t l = 0; l < c.proof_len; l++)
            proof[l] = (struct pog_sibling){sib[l], POG_HASH_LEN};
        pog_check_challenge(rd->n, rd->seed_a, rd->seed_b, gpu_round_root(rd),
                            &c, &res);
        passed += res.status == POG_CHECK_OK;
    }
    free(row);
    free(sib);
    return json_pack("{s:I,s:I,s:b}", "checked", (json_int_t)done, "passed",
                     (json_int_t)passed, "pass", done == k && passed == k);
}

static json_t *compute_json(struct run *r, const struct gpu_round *rd)
{
    json_t *o = json_pack("{s:i,s:I,s:o,s:o,s:o,s:s,s:o,s:f}", "gpu",
                          r->d->index, "n", (json_int_t)rd->n, "seed_a",
                          u64_json(rd->seed_a), "seed_b", u64_json(rd->seed_b),
                          "root", hex_json(gpu_round_root(rd), 32), "accum",
                          gpu_accum_name(rd->accum), "timings",
                          gpu_round_times_json(&rd->t, rd->n), "tflops",
                          pog_tflops(rd->n, rd->t.multiply_s));

    if (o && r->j->spec.self_check)
        json_object_set_new(o, "verdict",
                            self_check(r, rd, r->j->spec.self_check));
    return o;
}

/* Runs a round for the job's parameters and makes it the retained one. */
static enum svc_rc fresh_round(struct run *r, const struct gpu_job_spec *s)
{
    struct gpu_round *rd = NULL;
    enum svc_rc rc;

    pool_release_retained(r->d);
    rc = gpu_round_run(r->d->pool->be, r->d->w, s->seed_a, s->seed_b, s->n,
                       s->accum ? s->accum : r->d->pool->o.worker.accum,
                       &r->stop, &rd);
    if (rc)
        return backend_fail(r, rc);
    r->d->retained = rd;
    r->d->retained_ns = (uint64_t)clock_mono_ns();
    return SVC_OK;
}

static enum svc_rc run_compute(struct run *r, json_t **out)
{
    enum svc_rc rc = fresh_round(r, &r->j->spec);

    if (rc)
        return rc;
    memcpy(r->j->root, gpu_round_root(r->d->retained), POG_HASH_LEN);
    r->j->accum_used = r->d->retained->accum;
    *out = compute_json(r, r->d->retained);
    return SVC_OK;
}

static bool retained_matches(const struct device *d,
                             const struct gpu_job_spec *s)
{
    const struct gpu_round *rd = d->retained;

    return rd && rd->n == s->n && rd->seed_a == s->seed_a &&
           rd->seed_b == s->seed_b &&
           (s->accum == GPU_ACCUM_AUTO || s->accum == rd->accum);
}

/* Row i as base64 and its proof as hex strings, appended to rows/proofs. */
static enum svc_rc open_one(struct run *r, uint32_t i, float *row, json_t *rows,
                            json_t *proofs)
{
    const struct gpu_round *rd = r->d->retained;
    uint8_t sib[POG_MERKLE_MAX_DEPTH][POG_HASH_LEN];
    size_t n_sib, blen = pog_base64_size(4 * (size_t)rd->n);
    char *b64 = malloc(blen);
    json_t *list = json_array();
    enum svc_rc rc = SVC_ERR_NOMEM;

    if (!b64 || !list)
        goto out;
    rc = gpu_round_open(r->d->pool->be, r->d->w, rd, i, row, sib,
                        POG_MERKLE_MAX_DEPTH, &n_sib);
    if (rc) {
        backend_fail(r, rc);
        goto out;
    }
    pog_base64_encode((const uint8_t *)row, 4 * (size_t)rd->n, b64);
    for (size_t l = 0; l < n_sib; l++)
        json_array_append_new(list, hex_json(sib[l], POG_HASH_LEN));
    if (json_array_append_new(rows, json_string(b64)) ||
        json_array_append(proofs, list))
        rc = SVC_ERR_NOMEM;
out:
    json_decref(list);
    free(b64);
    return rc;
}

/* Opens every challenge row of the retained round into the result. */
static enum svc_rc proof_json(struct run *r, bool recomputed, json_t **out)
{
    const struct gpu_job_spec *s = &r->j->spec;
    const struct gpu_round *rd = r->d->retained;
    json_t *rows = json_array(), *proofs = json_array();
    json_t *idx = json_array(), *vals = json_array();
    float *row = malloc((size_t)rd->n * sizeof(float));
    enum svc_rc rc =
        rows && proofs && idx && vals && row ? SVC_OK : SVC_ERR_NOMEM;

    for (unsigned k = 0; rc == SVC_OK && k < s->n_indices; k++) {
        rc = open_one(r, s->indices[k].i, row, rows, proofs);
        if (rc == SVC_OK &&
            (json_array_append_new(
                 idx, json_pack("[I,I]", (json_int_t)s->indices[k].i,
                                (json_int_t)s->indices[k].j)) ||
             json_array_append_new(vals, json_real(row[s->indices[k].j]))))
            rc = SVC_ERR_NOMEM;
    }
    if (rc == SVC_OK)
        *out = json_pack("{s:i,s:I,s:o,s:O,s:O,s:O,s:O,s:b}", "gpu",
                         r->d->index, "n", (json_int_t)rd->n, "root",
                         hex_json(gpu_round_root(rd), 32), "indices", idx,
                         "rows", rows, "proofs", proofs, "values", vals,
                         "recomputed", recomputed);
    free(row);
    json_decref(rows);
    json_decref(proofs);
    json_decref(idx);
    json_decref(vals);
    return rc;
}

static enum svc_rc run_proof(struct run *r, json_t **out)
{
    const struct gpu_job_spec *s = &r->j->spec;
    bool recomputed = false;
    enum svc_rc rc;

    if (!retained_matches(r->d, s)) {
        /* Evicted (TTL, a benchmark, another compute): recompute on the
         * same device, which is bit-reproducible, and insist on the root. */
        rc = fresh_round(r, s);
        if (rc)
            return rc;
        recomputed = true;
    }
    if (s->has_root &&
        memcmp(gpu_round_root(r->d->retained), s->root, POG_HASH_LEN)) {
        snprintf(r->err, r->cap,
                 "the recomputed root differs from the "
                 "compute job's root");
        return SVC_ERR_CONFLICT;
    }
    return proof_json(r, recomputed, out);
}

enum svc_rc pool_run_job(struct device *d, struct job *j, json_t **result,
                         char *err, size_t cap)
{
    struct run r = {.d = d, .j = j, .err = err, .cap = cap};

    r.stop.check = stop_check;
    r.stop.ctx = &r;
    switch (j->spec.kind) {
    case GPU_JOB_INFO:
        return run_info(&r, result);
    case GPU_JOB_BENCHMARK:
        return run_bench(&r, result);
    case GPU_JOB_COMPUTE:
        return run_compute(&r, result);
    case GPU_JOB_PROOF:
        return run_proof(&r, result);
    case GPU_JOB_SELFTEST:
        return run_selftest(&r, result);
    case GPU_JOB_KIND_COUNT: /* not a kind */
        break;
    }
    snprintf(err, cap, "unknown job kind");
    return SVC_ERR_INVALID;
}
