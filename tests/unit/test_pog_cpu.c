/* SPDX-License-Identifier: MIT */
/* The CPU backend end to end (docs/pog.md 5.1 items 3, 8, 9): the fp64 golden
 * roots, C = AB and not BA, every element within the validator's tolerance
 * of the Hankel oracle in both accumulation modes, challenges that pass the
 * verifier, cancellation between panels, the n cap and the benchmark. */
#include "check.h"
#include "gpu/gpu.h"
#include "gpu/pog.h"
#include "gpu/pog_parse.h"
#include "gpu/pog_verify.h"
#include "test_pog_oracle.h"

#include <math.h>

static const struct gpu_backend *be;
static struct gpu_worker *w;

static struct gpu_round *round_of(uint64_t sa, uint64_t sb, uint32_t n,
                                  enum gpu_accum accum)
{
    struct gpu_round *r = NULL;

    CHECK(gpu_round_run(be, w, sa, sb, n, accum, NULL, &r) == SVC_OK);
    CHECK(r->n == n);
    return r;
}

static void check_golden(void)
{
    static const struct {
        uint32_t n;
        const char *root;
    } g[] = {
        {1, "252c8f74610de986fd39bb10253e7a9d2a3c5b8358ad19236ba713e89c6788d2"},
        {2, "450ce839fb8ec9b9534bcea7c5f0021ae0520614fbfe49ed1ff32a4aa17498e0"},
        {3, "e6d90492862dcf8051399e1678eebcc7e335e84a2dd6c8b4f56eb94cad668bba"},
        {5, "b3a8947010a584aec1a550ea75d22f6efe317c6c518ef42410671ccdbfa21a1c"},
        {8, "2af261549d528104adb5746fdd89f9e5e5974a150f433e43aeae2a2c8dccb3c3"},
        {17,
         "dd6bf22a2f4271dab9bbfe288a076a7112af0fddab4647cb2b4438ec0ad6bae1"},
        {64,
         "913f0e418fcf41af0b0f54aa58e233f049cfdeeea2e952467917ca2a408a947c"},
    };
    float row[64];
    char hex[65];

    for (size_t k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
        struct gpu_round *r = round_of(42, 7, g[k].n, GPU_ACCUM_FP64);

        CHECK(r->accum == GPU_ACCUM_FP64);
        pog_hex_encode(gpu_round_root(r), 32, hex);
        CHECK_STR_EQ(hex, g[k].root);
        CHECK(be->get_row(w, 0, row) == SVC_OK);
        if (g[k].n == 1)
            CHECK_INT_EQ(pog_f32_bits(row[0]), 0x3ca37b28u);
        if (g[k].n == 17)
            CHECK_INT_EQ(pog_f32_bits(row[0]), 0x4092cd5bu);
        gpu_round_free(r);
    }
    /* AUTO on the CPU is fp64. */
    gpu_round_free(round_of(42, 7, 8, GPU_ACCUM_AUTO));
}

/* C must be A x B; B x A differs (about 2.5 at n = 37). */
static void check_orientation(void)
{
    const uint32_t n = 37;
    struct gpu_round *r = round_of(42, 7, n, GPU_ACCUM_FP64);
    double max_ab = 0, max_ba = 0;
    float row[37];

    for (uint32_t i = 0; i < n; i++) {
        CHECK(be->get_row(w, i, row) == SVC_OK);
        for (uint32_t j = 0; j < n; j++) {
            double ab = 0, ba = 0;

            for (uint32_t k = 0; k < n; k++) {
                ab += (double)pog_prng_elem(42, i, k) * pog_prng_elem(7, k, j);
                ba += (double)pog_prng_elem(7, i, k) * pog_prng_elem(42, k, j);
            }
            max_ab = fmax(max_ab, fabs(row[j] - ab));
            max_ba = fmax(max_ba, fabs(row[j] - ba));
        }
    }
    CHECK(max_ab < 1e-4);
    CHECK(max_ba > 1.0);
    gpu_round_free(r);
}

/* Every element within isclose of the oracle, then a few challenges
 * answered from the round and checked the validator's way. */
static void check_tolerance(uint32_t n, enum gpu_accum accum)
{
    struct gpu_round *r = round_of(1234567890123u, 987654321u, n, accum);
    double *c = oracle_c(1234567890123u, 987654321u, n);
    float *row = malloc(n * sizeof(float));
    uint8_t sib[40][32];
    struct pog_sibling proof[40];

    CHECK(row);
    for (uint32_t i = 0; i < n; i++) {
        CHECK(be->get_row(w, i, row) == SVC_OK);
        for (uint32_t j = 0; j < n; j++)
            CHECK(pog_isclose(row[j], (float)c[(size_t)i * n + j]));
    }
    for (uint32_t t = 0; t < 8; t++) {
        struct pog_challenge ch = {.i = (t * 7919u) % n,
                                   .j = (t * 104729u + 3) % n,
                                   .row = row,
                                   .row_len = n,
                                   .proof = proof};
        struct pog_check res;

        CHECK(gpu_round_open(be, w, r, ch.i, row, sib, 40, &ch.proof_len) ==
              SVC_OK);
        for (size_t l = 0; l < ch.proof_len; l++)
            proof[l] = (struct pog_sibling){sib[l], 32};
        pog_check_challenge(n, r->seed_a, r->seed_b, gpu_round_root(r), &ch,
                            &res);
        CHECK(res.status == POG_CHECK_OK);
    }
    CHECK(gpu_round_open(be, w, r, n, row, sib, 40, &(size_t){0}) ==
          SVC_ERR_INVALID);
    free(row);
    free(c);
    gpu_round_free(r);
}

/* fp32 roots depend on the summation order: only self-consistency. */
static void check_fp32_repeatable(void)
{
    struct gpu_round *a = round_of(5, 6, 100, GPU_ACCUM_FP32);
    struct gpu_round *b = round_of(5, 6, 100, GPU_ACCUM_FP32);

    CHECK(a->accum == GPU_ACCUM_FP32);
    CHECK(memcmp(gpu_round_root(a), gpu_round_root(b), 32) == 0);
    gpu_round_free(a);
    gpu_round_free(b);
}

static int stop_calls;

static enum svc_rc stop_after(void *ctx)
{
    int limit = *(int *)ctx;

    return ++stop_calls > limit ? SVC_ERR_CANCELLED : SVC_OK;
}

static void check_cancel_cap_bench(void)
{
    int limit = 3;
    struct gpu_stop stop = {stop_after, &limit};
    struct gpu_round *r = NULL;
    struct gpu_opts o = {.cpu_max_n = 128};
    struct gpu_worker *small = NULL;
    struct gpu_device_info info;
    uint64_t fr = 0, tot = 0;
    double sec = 0;
    float row[4];
    char why[GPU_ERR_MAX];

    /* Cancelled after 3 panels of 8 rows: C is gone. */
    CHECK(gpu_round_run(be, w, 1, 2, 256, GPU_ACCUM_FP64, &stop, &r) ==
          SVC_ERR_CANCELLED);
    CHECK(r == NULL && stop_calls == 4);
    CHECK(be->get_row(w, 0, row) == SVC_ERR_NOT_FOUND);
    /* The n cap. */
    CHECK(be->worker_new(0, &o, &small, why, sizeof(why)) == SVC_OK);
    CHECK(be->info(small, &info) == SVC_OK && info.max_n == 128);
    CHECK_STR_EQ(info.backend, "cpu");
    CHECK(gpu_round_run(be, small, 1, 2, 129, GPU_ACCUM_AUTO, NULL, &r) ==
          SVC_ERR_INVALID);
    CHECK(strstr(be->last_error(small), "cap") != NULL);
    CHECK(gpu_round_run(be, small, 1, 2, 0, GPU_ACCUM_AUTO, NULL, &r) ==
          SVC_ERR_INVALID);
    CHECK(be->bench(small, GPU_PREC_FP32, 128, NULL, &sec) == SVC_OK);
    CHECK(sec > 0);
    CHECK(be->bench(small, GPU_PREC_FP16, 129, NULL, &sec) == SVC_ERR_INVALID);
    CHECK(be->memory(small, &fr, &tot) == SVC_OK && fr > 0 && tot >= fr);
    CHECK(be->selftest(small, why, sizeof(why)) == SVC_OK);
    CHECK(be->healthy(small));
    be->worker_free(small);
    CHECK(be->worker_new(1, &o, &small, why, sizeof(why)) == SVC_ERR_INVALID);
}

int main(void)
{
    struct gpu_opts o = {0};
    char why[GPU_ERR_MAX];

    be = gpu_backend_cpu();
    CHECK(be->device_count(why, sizeof(why)) == 1);
    CHECK(be->worker_new(0, &o, &w, why, sizeof(why)) == SVC_OK);
    check_golden();
    check_orientation();
    check_tolerance(64, GPU_ACCUM_FP64);
    check_tolerance(100, GPU_ACCUM_FP32);
    check_tolerance(257, GPU_ACCUM_FP64);
    check_tolerance(257, GPU_ACCUM_FP32);
    check_tolerance(512, GPU_ACCUM_FP64);
    check_tolerance(512, GPU_ACCUM_FP32);
    check_fp32_repeatable();
    check_cancel_cap_bench();
    be->worker_free(w);
    return 0;
}
