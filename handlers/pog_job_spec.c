/* SPDX-License-Identifier: MIT */
/* Decoding a job request body (POST /pog/jobs) into a gpu_job_spec, with
 * the same strictness as the rest of the API: known keys only, integers in
 * range, 64-bit seeds as decimal strings. */
#include "pog_job_spec.h"

#include "core/random.h"

#include <stdlib.h>
#include <string.h>

/* Keys every kind accepts, then the kind's own. */
static bool key_allowed(enum gpu_job_kind kind, const char *key)
{
    static const char *const common[] = {"kind", "device", "timeout_ms", NULL};
    static const char *const bench[] = {"n_fp16", "n_fp32", NULL};
    static const char *const compute[] = {"n",     "seed_a",     "seed_b",
                                          "accum", "self_check", NULL};
    static const char *const proof[] = {"compute_job", "n",     "seed_a",
                                        "seed_b",      "accum", "root",
                                        "indices",     NULL};
    const char *const *own = kind == GPU_JOB_BENCHMARK ? bench
                             : kind == GPU_JOB_COMPUTE ? compute
                             : kind == GPU_JOB_PROOF   ? proof
                                                       : NULL;

    for (size_t k = 0; common[k]; k++)
        if (!strcmp(common[k], key))
            return true;
    for (size_t k = 0; own && own[k]; k++)
        if (!strcmp(own[k], key))
            return true;
    return false;
}

/* An optional integer member in [lo, hi]; absent leaves *out alone. */
static bool opt_int(json_t *o, const char *key, json_int_t lo, json_int_t hi,
                    json_int_t *out)
{
    json_t *v = json_object_get(o, key);

    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo ||
        json_integer_value(v) > hi)
        return false;
    *out = json_integer_value(v);
    return true;
}

static enum svc_rc decode_numbers(json_t *b, struct gpu_job_spec *s,
                                  struct svc_err *err)
{
    json_int_t dev = -1, tmo = 0, n = 0, n16 = 0, n32 = 0, chk = 0, job = 0;

    if (!opt_int(b, "device", -1, POG_MAX_GPUS - 1, &dev))
        return svc_err_set(err, SVC_ERR_INVALID, "device",
                           "an integer in -1..%d", POG_MAX_GPUS - 1);
    if (!opt_int(b, "timeout_ms", 1, 86400000, &tmo))
        return svc_err_set(err, SVC_ERR_INVALID, "timeout_ms",
                           "an integer in 1..86400000");
    if (!opt_int(b, "n", 1, POG_MAX_N, &n))
        return svc_err_set(err, SVC_ERR_INVALID, "n", "an integer in 1..%d",
                           POG_MAX_N);
    if (!opt_int(b, "n_fp16", 32, POG_MAX_N, &n16) ||
        !opt_int(b, "n_fp32", 32, POG_MAX_N, &n32))
        return svc_err_set(err, SVC_ERR_INVALID,
                           json_object_get(b, "n_fp16") ? "n_fp16" : "n_fp32",
                           "an integer in 32..%d", POG_MAX_N);
    if (!opt_int(b, "self_check", 0, POG_MAX_CHALLENGES, &chk))
        return svc_err_set(err, SVC_ERR_INVALID, "self_check",
                           "an integer in 0..%d", POG_MAX_CHALLENGES);
    if (!opt_int(b, "compute_job", 1, INT64_MAX, &job))
        return svc_err_set(err, SVC_ERR_INVALID, "compute_job", "a job id");
    s->device = (int)dev;
    s->timeout_ms = (uint32_t)tmo;
    s->n = (uint32_t)n;
    s->n_fp16 = (uint32_t)n16;
    s->n_fp32 = (uint32_t)n32;
    s->self_check = (unsigned)chk;
    s->compute_job = (uint64_t)job;
    return SVC_OK;
}

/* seed_a, seed_b, accum and root, where present. */
static enum svc_rc decode_seeds(json_t *b, struct gpu_job_spec *s,
                                struct svc_err *err)
{
    json_t *accum = json_object_get(b, "accum"), *root;
    size_t len;

    if ((json_object_get(b, "seed_a") &&
         !pog_json_u64(json_object_get(b, "seed_a"), &s->seed_a)) ||
        (json_object_get(b, "seed_b") &&
         !pog_json_u64(json_object_get(b, "seed_b"), &s->seed_b)))
        return svc_err_set(err, SVC_ERR_INVALID, "seed_a",
                           "seeds are decimal strings of 0..2^64-1");
    if (accum && (!json_is_string(accum) ||
                  !gpu_accum_parse(json_string_value(accum), &s->accum)))
        return svc_err_set(err, SVC_ERR_INVALID, "accum",
                           "one of auto, fp32, fp64");
    root = json_object_get(b, "root");
    if (!root)
        return SVC_OK;
    if (!json_is_string(root) || json_string_length(root) != 64 ||
        !pog_hex_decode(json_string_value(root), s->root, POG_HASH_LEN, &len))
        return svc_err_set(err, SVC_ERR_INVALID, "root", "64 hex digits");
    s->has_root = true;
    return SVC_OK;
}

/* A fresh 64-bit seed from the system's generator. */
static uint64_t draw_seed(void)
{
    char hex[17];

    random_hex(hex, sizeof(hex));
    return strtoull(hex, NULL, 16);
}

/* Seeds come in pairs. A compute job given neither draws both at random,
 * as a validator draws a round's (params and result show them, so the
 * round can be run again); a proof that recomputes a round needs both. */
static enum svc_rc pair_seeds(json_t *b, struct gpu_job_spec *s,
                              struct svc_err *err)
{
    bool has_a = json_object_get(b, "seed_a") != NULL;
    bool has_b = json_object_get(b, "seed_b") != NULL;

    if (has_a != has_b)
        return svc_err_set(err, SVC_ERR_INVALID, has_a ? "seed_b" : "seed_a",
                           "give both seeds, or neither");
    if (has_a)
        return SVC_OK;
    if (s->kind == GPU_JOB_PROOF && !s->compute_job && s->n)
        return svc_err_set(err, SVC_ERR_INVALID, "seed_a",
                           "a proof without compute_job needs the round's "
                           "seed_a and seed_b");
    if (s->kind == GPU_JOB_COMPUTE) {
        s->seed_a = draw_seed();
        s->seed_b = draw_seed();
    }
    return SVC_OK;
}

static enum svc_rc decode_indices(json_t *b, struct gpu_job_spec *s,
                                  struct svc_err *err)
{
    json_t *list = json_object_get(b, "indices"), *pair;
    size_t k;

    if (!list)
        return SVC_OK;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > POG_MAX_CHALLENGES)
        return svc_err_set(err, SVC_ERR_INVALID, "indices",
                           "1..%d [i, j] pairs", POG_MAX_CHALLENGES);
    json_array_foreach (list, k, pair) {
        json_t *i = json_array_get(pair, 0), *j = json_array_get(pair, 1);

        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_integer(i) || !json_is_integer(j) ||
            json_integer_value(i) < 0 || json_integer_value(j) < 0 ||
            json_integer_value(i) >= POG_MAX_N ||
            json_integer_value(j) >= POG_MAX_N)
            return svc_err_set(err, SVC_ERR_INVALID, "indices",
                               "pair %zu must be [i, j] with 0 <= i, j < %d", k,
                               POG_MAX_N);
        s->indices[k].i = (uint32_t)json_integer_value(i);
        s->indices[k].j = (uint32_t)json_integer_value(j);
    }
    s->n_indices = (unsigned)json_array_size(list);
    return SVC_OK;
}

enum svc_rc pog_job_spec_decode(json_t *body, struct gpu_job_spec *out,
                                struct svc_err *err)
{
    struct gpu_job_spec s = {.device = -1};
    json_t *kind = json_object_get(body, "kind"), *v;
    const char *key;
    enum svc_rc rc;

    if (!json_is_object(body))
        return svc_err_set(err, SVC_ERR_INVALID, "",
                           "the body must be a JSON object");
    if (!json_is_string(kind) ||
        !gpu_job_kind_parse(json_string_value(kind), &s.kind))
        return svc_err_set(err, SVC_ERR_INVALID, "kind",
                           "one of info, benchmark, compute, proof, selftest");
    json_object_foreach (body, key, v) {
        if (!key_allowed(s.kind, key))
            return svc_err_set(err, SVC_ERR_INVALID, key,
                               "not a member of a %s job",
                               gpu_job_kind_name(s.kind));
    }
    rc = decode_numbers(body, &s, err);
    if (rc == SVC_OK)
        rc = decode_seeds(body, &s, err);
    if (rc == SVC_OK)
        rc = pair_seeds(body, &s, err);
    if (rc == SVC_OK)
        rc = decode_indices(body, &s, err);
    if (rc == SVC_OK && s.kind == GPU_JOB_COMPUTE && !s.n)
        rc = svc_err_set(err, SVC_ERR_INVALID, "n", "a compute job needs n");
    if (rc == SVC_OK && s.kind == GPU_JOB_PROOF && !s.n_indices)
        rc = svc_err_set(err, SVC_ERR_INVALID, "indices",
                         "a proof job needs indices");
    if (rc == SVC_OK && s.kind == GPU_JOB_PROOF && !s.compute_job && !s.n)
        rc = svc_err_set(err, SVC_ERR_INVALID, "compute_job",
                         "give compute_job, or n and the seeds");
    if (rc == SVC_OK)
        *out = s;
    return rc;
}
