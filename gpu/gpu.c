/* SPDX-License-Identifier: MIT */
/* Backend selection (auto/cpu/cuda with fallback to the CPU), the compute
 * round and proof helpers shared by all backends, and JSON renderings of
 * device info and stage times. */
#include "gpu.h"

#include "core/clock.h"
#include "core/log.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *gpu_accum_name(enum gpu_accum a)
{
    switch (a) {
    case GPU_ACCUM_AUTO:
        return "auto";
    case GPU_ACCUM_FP32:
        return "fp32";
    case GPU_ACCUM_FP64:
        return "fp64";
    }
    return "unknown";
}

bool gpu_accum_parse(const char *s, enum gpu_accum *out)
{
    static const enum gpu_accum all[] = {GPU_ACCUM_AUTO, GPU_ACCUM_FP32,
                                         GPU_ACCUM_FP64};

    for (size_t k = 0; s && k < 3; k++) {
        if (!strcmp(s, gpu_accum_name(all[k]))) {
            *out = all[k];
            return true;
        }
    }
    return false;
}

/* True when device 0 of be opens and passes its self-test. */
static bool probe(const struct gpu_backend *be, char *why, size_t cap)
{
    struct gpu_worker *w = NULL;
    struct gpu_opts o = {0};

    if (be->worker_new(0, &o, &w, why, cap) != SVC_OK)
        return false;
    be->worker_free(w);
    return true;
}

/* The CUDA backend if it is built and device 0 works, else NULL + why. */
static const struct gpu_backend *try_cuda(int *n, char *why, size_t cap)
{
    const struct gpu_backend *cuda = gpu_backend_cuda();

    if (!cuda) {
        snprintf(why, cap, "%s", gpu_cuda_why());
        return NULL;
    }
    *n = cuda->device_count(why, cap);
    if (*n <= 0 || !probe(cuda, why, cap))
        return NULL;
    return cuda;
}

enum svc_rc gpu_backend_select(const char *pref, const struct gpu_backend **out,
                               int *n_devices, char *why, size_t cap)
{
    const struct gpu_backend *be;
    int n = 0;

    if (!pref || !*pref)
        pref = getenv("COMPUTEDB_POG_BACKEND");
    if (!pref || !*pref)
        pref = "auto";
    why[0] = '\0';
    if (!strcmp(pref, "cpu")) {
        *out = gpu_backend_cpu();
        *n_devices = 1;
        return SVC_OK;
    }
    if (strcmp(pref, "cuda") && strcmp(pref, "auto")) {
        snprintf(why, cap, "backend must be cpu, cuda or auto, not %.40s",
                 pref);
        return SVC_ERR_INVALID;
    }
    be = try_cuda(&n, why, cap);
    if (be) {
        *out = be;
        *n_devices = n;
        return SVC_OK;
    }
    if (!strcmp(pref, "cuda"))
        return SVC_ERR_NO_GPU;
    log_info("pog: using the CPU backend: %s", why[0] ? why : "no GPU");
    *out = gpu_backend_cpu();
    *n_devices = 1;
    return SVC_OK;
}

enum svc_rc gpu_round_run(const struct gpu_backend *be, struct gpu_worker *w,
                          uint64_t seed_a, uint64_t seed_b, uint32_t n,
                          enum gpu_accum accum, const struct gpu_stop *stop,
                          struct gpu_round **out)
{
    struct gpu_round *r = calloc(1, sizeof(*r));
    double t0 = clock_mono_s(), t1;
    enum svc_rc rc;

    if (!r || !(r->tree = pog_merkle_new(n))) {
        rc = n == 0 ? SVC_ERR_INVALID : SVC_ERR_NOMEM;
        goto out;
    }
    r->seed_a = seed_a;
    r->seed_b = seed_b;
    r->n = n;
    /* Leaves land straight in the tree's leaf level. */
    rc = be->compute(w, seed_a, seed_b, n, accum, stop,
                     (uint8_t(*)[POG_HASH_LEN])pog_merkle_leaf(r->tree, 0),
                     &r->t, &r->accum);
    if (rc)
        goto out;
    t1 = clock_mono_s();
    pog_merkle_finish(r->tree);
    r->t.merkle_s = clock_mono_s() - t1;
    r->t.total_s = clock_mono_s() - t0;
    *out = r;
    r = NULL;
out:
    gpu_round_free(r);
    return rc;
}

void gpu_round_free(struct gpu_round *r)
{
    if (!r)
        return;
    pog_merkle_free(r->tree);
    free(r);
}

const uint8_t *gpu_round_root(const struct gpu_round *r)
{
    return pog_merkle_root(r->tree);
}

enum svc_rc gpu_round_open(const struct gpu_backend *be, struct gpu_worker *w,
                           const struct gpu_round *r, uint32_t i, float *row,
                           uint8_t (*sib)[POG_HASH_LEN], size_t cap,
                           size_t *n_sib)
{
    enum svc_rc rc;

    if (i >= r->n)
        return SVC_ERR_INVALID;
    rc = be->get_row(w, i, row);
    if (rc)
        return rc;
    return pog_merkle_proof(r->tree, i, sib, cap, n_sib);
}

json_t *gpu_device_info_json(const struct gpu_device_info *d)
{
    char cc[24] = "";

    if (d->cc_major)
        snprintf(cc, sizeof(cc), "%d.%d", d->cc_major, d->cc_minor);
    return json_pack("{s:s,s:i,s:s,s:s,s:i,s:I,s:I,s:I,s:b}", "backend",
                     d->backend, "index", d->index, "name", d->name,
                     "compute_capability", cc, "sm_count", d->sm_count,
                     "total_bytes", (json_int_t)d->total_bytes, "free_bytes",
                     (json_int_t)d->free_bytes, "max_n", (json_int_t)d->max_n,
                     "fp64_fast", d->fp64_fast);
}

json_t *gpu_round_times_json(const struct gpu_round_times *t, uint32_t n)
{
    return json_pack("{s:f,s:I,s:f,s:f,s:f,s:f,s:f}", "generation_time",
                     t->generate_s, "n", (json_int_t)n, "multiplication_time",
                     t->multiply_s, "transfer_back_time", t->transfer_s,
                     "merkle_tree_time", t->merkle_s, "hash_time", t->hash_s,
                     "total_time", t->total_s);
}
