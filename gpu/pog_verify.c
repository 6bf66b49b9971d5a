/* SPDX-License-Identifier: MIT */
/* PoG verification (see pog_verify.h): recompute C[i][j] from the seeds,
 * isclose, strict Merkle proof, per-GPU verdicts and the pass threshold,
 * plus the JSON front end for POST /pog/verify. */
#include "pog_verify.h"

#include "pog.h"
#include "pog_prng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SIB_CAP = 64, SIB_SLOT = 64 }; /* siblings per proof, bytes each */

const char *pog_check_status_name(enum pog_check_status st)
{
    switch (st) {
    case POG_CHECK_OK:
        return "ok";
    case POG_CHECK_BAD_ROW:
        return "bad_row";
    case POG_CHECK_VALUE:
        return "value_mismatch";
    case POG_CHECK_PROOF:
        return "proof";
    }
    return "unknown";
}

float pog_expected_value(uint64_t seed_a, uint64_t seed_b, uint32_t n,
                         uint32_t i, uint32_t j)
{
    double acc = 0;

    /* A[i][k] = gA[i+k], B[k][j] = gB[k+j]; float*float is exact in
     * double, so only the additions round. */
    for (uint32_t k = 0; k < n; k++)
        acc += (double)pog_prng_elem(seed_a, i, k) *
               (double)pog_prng_elem(seed_b, k, j);
    return (float)acc;
}

void pog_check_challenge(uint32_t n, uint64_t seed_a, uint64_t seed_b,
                         const uint8_t root[POG_HASH_LEN],
                         const struct pog_challenge *c, struct pog_check *out)
{
    uint8_t leaf[POG_HASH_LEN];

    out->proof = POG_PROOF_OK;
    out->got = c->row && c->j < c->row_len ? c->row[c->j] : NAN;
    out->expected = NAN;
    if (c->i >= n || c->j >= n || !c->row || c->row_len != n) {
        out->status = POG_CHECK_BAD_ROW;
        return;
    }
    out->expected = pog_expected_value(seed_a, seed_b, n, c->i, c->j);
    pog_leaf_f32(c->row, n, leaf);
    out->proof = pog_merkle_verify(leaf, c->i, n, c->proof, c->proof_len, root);
    if (!pog_isclose(out->got, out->expected))
        out->status = POG_CHECK_VALUE;
    else if (out->proof != POG_PROOF_OK)
        out->status = POG_CHECK_PROOF;
    else
        out->status = POG_CHECK_OK;
}

bool pog_verify_claim(uint32_t n, const struct pog_claim *c,
                      struct pog_check *out)
{
    bool pass = c->n_ch > 0;

    for (size_t k = 0; k < c->n_ch; k++) {
        pog_check_challenge(n, c->seed_a, c->seed_b, c->root, &c->ch[k],
                            &out[k]);
        pass = pass && out[k].status == POG_CHECK_OK;
    }
    return pass;
}

/* ---- JSON front end ---------------------------------------------------- */

/* Scratch for one challenge: the row and the decoded siblings. */
struct scratch {
    uint32_t n;
    float *row; /* n values */
    uint8_t sib[SIB_CAP][SIB_SLOT];
    struct pog_sibling proof[SIB_CAP];
};

static bool only_keys(json_t *o, const char *const *keys)
{
    const char *key;
    json_t *v;

    json_object_foreach (o, key, v) {
        size_t k = 0;

        while (keys[k] && strcmp(keys[k], key))
            k++;
        if (!keys[k])
            return false;
    }
    return true;
}

static bool get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* Row as a JSON array of numbers or base64 of LE float32 bytes. A wrong
 * length is left for the check to report (row_len != n). */
static enum svc_rc decode_row(struct scratch *s, json_t *v, size_t *len,
                              struct svc_err *err, const char *field)
{
    size_t k, bytes;
    json_t *x;

    if (json_is_string(v)) {
        if (json_string_length(v) != (pog_base64_size(4 * (size_t)s->n) - 1)) {
            *len = 0;
            return SVC_OK;
        }
        if (!pog_base64_decode(json_string_value(v), json_string_length(v),
                               (uint8_t *)s->row, 4 * (size_t)s->n, &bytes))
            return svc_err_set(err, SVC_ERR_INVALID, field,
                               "row is not valid base64");
        *len = bytes / 4 == s->n && bytes % 4 == 0 ? s->n : 0;
        return SVC_OK;
    }
    if (!json_is_array(v))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "row must be numbers or base64");
    *len = json_array_size(v);
    if (*len != s->n)
        return SVC_OK;
    json_array_foreach (v, k, x) {
        if (!json_is_number(x))
            return svc_err_set(err, SVC_ERR_INVALID, field,
                               "row[%zu] is not a number", k);
        s->row[k] = (float)json_number_value(x);
    }
    return SVC_OK;
}

/* Proof as an array of hex strings; undecodable or over-long siblings keep
 * a length other than 32 so the verifier rejects them. */
static enum svc_rc decode_proof(struct scratch *s, json_t *v, size_t *len,
                                struct svc_err *err, const char *field)
{
    size_t k, got;
    json_t *x;

    if (!json_is_array(v) || json_array_size(v) > SIB_CAP)
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "proof must be at most %d hex strings", SIB_CAP);
    json_array_foreach (v, k, x) {
        if (!json_is_string(x))
            return svc_err_set(err, SVC_ERR_INVALID, field,
                               "proof[%zu] is not a string", k);
        if (!pog_hex_decode(json_string_value(x), s->sib[k], SIB_SLOT, &got))
            got = SIB_SLOT + 1; /* bad hex or too long: never 32 */
        s->proof[k].bytes = s->sib[k];
        s->proof[k].len = got;
    }
    *len = json_array_size(v);
    return SVC_OK;
}

static enum svc_rc decode_challenge(struct scratch *s, json_t *v,
                                    struct pog_challenge *c,
                                    struct svc_err *err, const char *field)
{
    static const char *const keys[] = {"i", "j", "row", "proof", NULL};
    uint64_t i, j;
    enum svc_rc rc;

    if (!json_is_object(v) || !only_keys(v, keys))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "want {i, j, row, proof}");
    if (!get_uint(v, "i", UINT32_MAX, &i) || !get_uint(v, "j", UINT32_MAX, &j))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "i and j must be integers >= 0");
    c->i = (uint32_t)i;
    c->j = (uint32_t)j;
    c->row = s->row;
    rc = decode_row(s, json_object_get(v, "row"), &c->row_len, err, field);
    if (rc == SVC_OK)
        rc = decode_proof(s, json_object_get(v, "proof"), &c->proof_len, err,
                          field);
    c->proof = s->proof;
    return rc;
}

static json_t *num_or_null(float f)
{
    return isfinite(f) ? json_real(f) : json_null();
}

static json_t *check_json(const struct pog_challenge *c,
                          const struct pog_check *k)
{
    return json_pack("{s:I,s:I,s:b,s:s,s:s,s:o,s:o}", "i", (json_int_t)c->i,
                     "j", (json_int_t)c->j, "pass", k->status == POG_CHECK_OK,
                     "status", pog_check_status_name(k->status), "proof",
                     pog_proof_status_name(k->proof), "got",
                     num_or_null(k->got), "expected", num_or_null(k->expected));
}

/* gpu, seed_a, seed_b and root of one entry of "gpus". */
static enum svc_rc decode_claim(json_t *v, struct pog_claim *c,
                                struct svc_err *err, const char *field)
{
    static const char *const keys[] = {"gpu",  "seed_a",     "seed_b",
                                       "root", "challenges", NULL};
    json_t *root = json_object_get(v, "root");
    uint64_t gpu;
    size_t len;

    if (!json_is_object(v) || !only_keys(v, keys))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "want {gpu, seed_a, seed_b, root, challenges}");
    if (!get_uint(v, "gpu", POG_MAX_GPUS - 1, &gpu))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "gpu must be an integer in 0..%d", POG_MAX_GPUS - 1);
    c->gpu = (unsigned)gpu;
    if (!pog_json_u64(json_object_get(v, "seed_a"), &c->seed_a) ||
        !pog_json_u64(json_object_get(v, "seed_b"), &c->seed_b))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "seed_a and seed_b must be decimal strings of "
                           "0..2^64-1 (or small integers)");
    if (!json_is_string(root) || json_string_length(root) != 64 ||
        !pog_hex_decode(json_string_value(root), c->root, POG_HASH_LEN, &len))
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "root must be 64 hex digits");
    return SVC_OK;
}

/* Checks every challenge of one GPU entry; appends its verdict to out. */
static enum svc_rc verify_gpu(struct scratch *s, json_t *v, size_t g,
                              json_t *out, bool *pass, struct svc_err *err)
{
    json_t *chs = json_object_get(v, "challenges"), *list = NULL, *x;
    struct pog_claim c = {0};
    char field[48];
    enum svc_rc rc;
    size_t k;

    snprintf(field, sizeof(field), "gpus[%u]", (unsigned)g);
    rc = decode_claim(v, &c, err, field);
    if (rc)
        return rc;
    if (!json_is_array(chs) || json_array_size(chs) == 0 ||
        json_array_size(chs) > POG_MAX_CHALLENGES)
        return svc_err_set(err, SVC_ERR_INVALID, field,
                           "challenges: 1..%d entries", POG_MAX_CHALLENGES);
    list = json_array();
    *pass = list != NULL;
    json_array_foreach (chs, k, x) {
        struct pog_challenge ch;
        struct pog_check res;

        snprintf(field, sizeof(field), "gpus[%u].challenges[%u]", (unsigned)g,
                 (unsigned)k);
        rc = decode_challenge(s, x, &ch, err, field);
        if (rc || !list)
            break;
        pog_check_challenge(s->n, c.seed_a, c.seed_b, c.root, &ch, &res);
        *pass = *pass && res.status == POG_CHECK_OK;
        if (json_array_append_new(list, check_json(&ch, &res)))
            rc = SVC_ERR_NOMEM;
    }
    if (rc == SVC_OK &&
        (!list || json_array_append_new(
                      out, json_pack("{s:I,s:b,s:O}", "gpu", (json_int_t)c.gpu,
                                     "pass", *pass, "challenges", list))))
        rc = SVC_ERR_NOMEM;
    json_decref(list);
    return rc;
}

/* The optional timing gate: {"elapsed", "t_fp32", "multiplication_times"}. */
static enum svc_rc decode_timing(json_t *t, bool *ok, struct svc_err *err)
{
    static const char *const keys[] = {"elapsed", "t_fp32",
                                       "multiplication_times", NULL};
    json_t *mt = json_object_get(t, "multiplication_times"), *x;
    double times[POG_MAX_GPUS];
    size_t k;

    if (!json_is_object(t) || !only_keys(t, keys) ||
        !json_is_number(json_object_get(t, "elapsed")) ||
        !json_is_number(json_object_get(t, "t_fp32")) || !json_is_array(mt) ||
        json_array_size(mt) == 0 || json_array_size(mt) > POG_MAX_GPUS)
        return svc_err_set(err, SVC_ERR_INVALID, "timing",
                           "want {elapsed, t_fp32, multiplication_times: "
                           "[1..%d numbers]}",
                           POG_MAX_GPUS);
    json_array_foreach (mt, k, x) {
        if (!json_is_number(x))
            return svc_err_set(err, SVC_ERR_INVALID, "timing",
                               "multiplication_times[%zu]", k);
        times[k] = json_number_value(x);
    }
    *ok = pog_timing_ok(json_number_value(json_object_get(t, "elapsed")),
                        json_number_value(json_object_get(t, "t_fp32")), times,
                        json_array_size(mt), POG_TIME_TOLERANCE);
    return SVC_OK;
}

/* Every GPU entry of body; counts the passing ones into *passed. */
static enum svc_rc verify_all(struct scratch *s, json_t *gpus, json_t *out,
                              unsigned *passed, struct svc_err *err)
{
    bool seen[POG_MAX_GPUS] = {false};
    enum svc_rc rc = SVC_OK;
    size_t g;
    json_t *v;

    json_array_foreach (gpus, g, v) {
        json_t *id = json_object_get(v, "gpu");
        bool pass = false;

        if (json_is_integer(id) && json_integer_value(id) >= 0 &&
            json_integer_value(id) < POG_MAX_GPUS) {
            if (seen[json_integer_value(id)])
                return svc_err_set(err, SVC_ERR_INVALID, "gpus",
                                   "gpu %lld is listed twice",
                                   (long long)json_integer_value(id));
            seen[json_integer_value(id)] = true;
        }
        rc = verify_gpu(s, v, g, out, &pass, err);
        if (rc)
            break;
        *passed += pass;
    }
    return rc;
}

enum svc_rc pog_verify_json(json_t *body, json_t **verdict, struct svc_err *err)
{
    static const char *const keys[] = {"n", "gpus", "timing", NULL};
    json_t *gpus = json_object_get(body, "gpus"), *list = NULL, *res = NULL;
    json_t *timing = json_object_get(body, "timing");
    struct scratch *s = NULL;
    unsigned passed = 0, total, required;
    bool timing_ok = true;
    enum svc_rc rc;
    uint64_t n;

    if (!json_is_object(body) || !only_keys(body, keys))
        return svc_err_set(err, SVC_ERR_INVALID, "", "want {n, gpus, timing?}");
    if (!get_uint(body, "n", POG_MAX_N, &n) || n == 0)
        return svc_err_set(err, SVC_ERR_INVALID, "n",
                           "must be an integer in 1..%d", POG_MAX_N);
    if (!json_is_array(gpus) || json_array_size(gpus) == 0 ||
        json_array_size(gpus) > POG_MAX_GPUS)
        return svc_err_set(err, SVC_ERR_INVALID, "gpus", "must hold 1..%d GPUs",
                           POG_MAX_GPUS);
    rc = timing ? decode_timing(timing, &timing_ok, err) : SVC_OK;
    if (rc)
        return rc;
    s = calloc(1, sizeof(*s));
    list = json_array();
    if (!s || !list || !(s->row = malloc(4 * (size_t)n))) {
        rc = SVC_ERR_NOMEM;
        goto out;
    }
    s->n = (uint32_t)n;
    rc = verify_all(s, gpus, list, &passed, err);
    if (rc)
        goto out;
    total = (unsigned)json_array_size(gpus);
    required = pog_pass_threshold(total);
    res = json_pack("{s:I,s:O,s:I,s:I,s:I,s:b}", "n", (json_int_t)n, "gpus",
                    list, "passed", (json_int_t)passed, "required",
                    (json_int_t)required, "total", (json_int_t)total, "pass",
                    passed >= required && timing_ok);
    if (!res || (timing && json_object_set_new(res, "timing_ok",
                                               json_boolean(timing_ok)))) {
        rc = SVC_ERR_NOMEM;
        goto out;
    }
    *verdict = res;
    res = NULL;
out:
    json_decref(res);
    json_decref(list);
    if (s)
        free(s->row);
    free(s);
    return rc;
}
