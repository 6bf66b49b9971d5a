/* SPDX-License-Identifier: MIT */
/* PoG engine micro-benchmarks (not run by ctest): a CPU-backend round at
 * n = 512 and 1024 in both accumulation modes, host SHA-256 throughput,
 * and the validator's check of one challenge at the protocol n = 20704.
 * Usage: pog_bench [repeats]; prints one line per measurement. */
#include "core/clock.h"
#include "gpu/gpu.h"
#include "gpu/pog.h"
#include "gpu/pog_prng.h"
#include "gpu/pog_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int repeats = 3;

/* Best of `repeats` CPU rounds at size n. */
static void bench_round(const struct gpu_backend *be, struct gpu_worker *w,
                        uint32_t n, enum gpu_accum accum)
{
    double best = 1e30;
    struct gpu_round_times t = {0};

    for (int r = 0; r < repeats; r++) {
        struct gpu_round *rd = NULL;

        if (gpu_round_run(be, w, 42, 7, n, accum, NULL, &rd) != SVC_OK) {
            fprintf(stderr, "round failed: %s\n", be->last_error(w));
            exit(1);
        }
        if (rd->t.total_s < best) {
            best = rd->t.total_s;
            t = rd->t;
        }
        gpu_round_free(rd);
    }
    printf("cpu round n=%-5u %s: total %.3f s (gemm %.3f s = %.2f GFLOPS, "
           "hash %.4f s, merkle %.4f s)\n",
           n, gpu_accum_name(accum), t.total_s, t.multiply_s,
           pog_tflops(n, t.multiply_s) * 1e3, t.hash_s, t.merkle_s);
}

static void bench_sha(void)
{
    size_t len = 64u << 20;
    uint8_t *buf = calloc(1, len), d[32];
    double t0;

    if (!buf)
        exit(1);
    t0 = clock_mono_s();
    pog_sha256(buf, len, d);
    printf("host sha256: %.0f MB/s\n",
           (double)len / (clock_mono_s() - t0) / 1e6);
    free(buf);
}

/* Row i of C, exactly (double sums), O(n^2): setup, not measured. */
static float *exact_row(uint64_t sa, uint64_t sb, uint32_t n, uint32_t i)
{
    float *ga = malloc(2 * (size_t)n * sizeof(float));
    float *gb = malloc(2 * (size_t)n * sizeof(float));
    float *row = malloc((size_t)n * sizeof(float));

    if (!ga || !gb || !row)
        exit(1);
    for (uint32_t k = 0; k + 1 < 2 * n; k++) {
        ga[k] = pog_prng_elem(sa, 0, k);
        gb[k] = pog_prng_elem(sb, 0, k);
    }
    for (uint32_t j = 0; j < n; j++) {
        double acc = 0;

        for (uint32_t k = 0; k < n; k++)
            acc += (double)ga[i + k] * gb[k + j];
        row[j] = (float)acc;
    }
    free(ga);
    free(gb);
    return row;
}

/* One challenge at n = 20704 against a root consistent with a made-up
 * path (15 siblings): the validator's whole per-GPU cost. */
static void bench_verify(void)
{
    const uint32_t n = 20704, i = 12345, j = 777;
    uint8_t sib[15][32], h[32];
    struct pog_sibling proof[15];
    float *row = exact_row(99, 100, n, i);
    struct pog_challenge c = {i, j, row, n, proof, 15};
    struct pog_check res;
    double t0, best = 1e30;
    uint32_t idx = i;

    pog_leaf_f32(row, n, h);
    for (int l = 0; l < 15; l++, idx /= 2) {
        memset(sib[l], l + 1, 32);
        proof[l] = (struct pog_sibling){sib[l], 32};
        if (idx % 2 == 0)
            pog_sha256_pair(h, sib[l], h);
        else
            pog_sha256_pair(sib[l], h, h);
    }
    for (int r = 0; r < repeats; r++) {
        t0 = clock_mono_s();
        pog_check_challenge(n, 99, 100, h, &c, &res);
        if (clock_mono_s() - t0 < best)
            best = clock_mono_s() - t0;
        if (res.status != POG_CHECK_OK) {
            fprintf(stderr, "verify failed: %s\n",
                    pog_check_status_name(res.status));
            exit(1);
        }
    }
    printf("verify one challenge n=%u: %.3f ms\n", n, best * 1e3);
    free(row);
}

int main(int argc, char **argv)
{
    const struct gpu_backend *be = gpu_backend_cpu();
    struct gpu_opts o = {.cpu_max_n = 1024};
    struct gpu_worker *w = NULL;
    char why[GPU_ERR_MAX];

    if (argc > 1)
        repeats = (int)strtol(argv[1], NULL, 10);
    if (repeats < 1)
        repeats = 1;
    if (be->worker_new(0, &o, &w, why, sizeof(why)) != SVC_OK) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    bench_round(be, w, 512, GPU_ACCUM_FP64);
    bench_round(be, w, 512, GPU_ACCUM_FP32);
    bench_round(be, w, 1024, GPU_ACCUM_FP64);
    bench_round(be, w, 1024, GPU_ACCUM_FP32);
    be->worker_free(w);
    bench_sha();
    bench_verify();
    return 0;
}
