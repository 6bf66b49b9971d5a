/* SPDX-License-Identifier: MIT */
/* The CPU backend: one device, a cache-blocked GEMM in the "sequential over
 * k" order an SGEMM thread uses, with an fp64-accumulate mode (exact float
 * products summed in double, rounded once; the default) and true fp32.
 * PoG matrices are Hankel (A[i][k] = gA[i+k]), so A and B are never
 * materialised: row k of B is gB + k. The work is still the full n^3; only
 * the storage is O(n) plus C. n is capped (gpu_opts.cpu_max_n). */
#include "core/clock.h"
#include "gpu.h"
#include "pog.h"
#include "pog_prng.h"
#include "pog_sha256.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    CPU_DEFAULT_MAX_N = 4096,
    P_ROWS = 8, /* rows per panel: the cancellation granularity */
    JB = 256,   /* columns per block: P_ROWS x JB accumulators stay in L1 */
};

struct gpu_worker {
    struct gpu_opts o;
    float *c;   /* retained C, n x n row-major, or NULL */
    uint32_t n; /* side of c */
    char err[GPU_ERR_MAX];
};

static enum svc_rc fail(struct gpu_worker *w, enum svc_rc rc, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

static enum svc_rc fail(struct gpu_worker *w, enum svc_rc rc, const char *fmt,
                        ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    return rc;
}

static int cpu_device_count(char *why, size_t cap)
{
    (void)why;
    (void)cap;
    return 1;
}

static enum svc_rc cpu_worker_new(int dev, const struct gpu_opts *opts,
                                  struct gpu_worker **out, char *why,
                                  size_t cap)
{
    struct gpu_worker *w;

    if (dev != 0) {
        snprintf(why, cap, "the CPU backend has one device (0)");
        return SVC_ERR_INVALID;
    }
    w = calloc(1, sizeof(*w));
    if (!w)
        return SVC_ERR_NOMEM;
    w->o = *opts;
    if (!w->o.cpu_max_n || w->o.cpu_max_n > POG_MAX_N)
        w->o.cpu_max_n = CPU_DEFAULT_MAX_N;
    *out = w;
    return SVC_OK;
}

static void cpu_release(struct gpu_worker *w)
{
    free(w->c);
    w->c = NULL;
    w->n = 0;
}

static void cpu_worker_free(struct gpu_worker *w)
{
    if (!w)
        return;
    cpu_release(w);
    free(w);
}

/* Host memory figures; false when sysconf has none. */
static bool host_memory(uint64_t *free_bytes, uint64_t *total_bytes)
{
    long page = sysconf(_SC_PAGESIZE);
    long avail = sysconf(_SC_AVPHYS_PAGES), phys = sysconf(_SC_PHYS_PAGES);

    if (page <= 0 || avail < 0 || phys <= 0)
        return false;
    *free_bytes = (uint64_t)avail * (uint64_t)page;
    *total_bytes = (uint64_t)phys * (uint64_t)page;
    return true;
}

static enum svc_rc cpu_memory(struct gpu_worker *w, uint64_t *free_bytes,
                              uint64_t *total_bytes)
{
    cpu_release(w);
    if (!host_memory(free_bytes, total_bytes))
        return fail(w, SVC_ERR_INTERNAL, "sysconf: no memory figures");
    return SVC_OK;
}

static enum svc_rc cpu_info(struct gpu_worker *w, struct gpu_device_info *out)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(out, 0, sizeof(*out));
    snprintf(out->backend, sizeof(out->backend), "cpu");
    snprintf(out->name, sizeof(out->name), "host CPU (%ld cores)", cores);
    out->sm_count = cores > 0 ? (int)cores : 1;
    (void)host_memory(&out->free_bytes, &out->total_bytes);
    out->max_n = w->o.cpu_max_n;
    out->fp64_fast = true;
    return SVC_OK;
}

/* Rows r0..r0+rows of C = A x B with double accumulators. */
static void panel_f64(const float *ga, const float *gb, uint32_t n, uint32_t r0,
                      uint32_t rows, float *c)
{
    double acc[P_ROWS][JB];

    for (uint32_t j0 = 0; j0 < n; j0 += JB) {
        uint32_t jl = n - j0 < JB ? n - j0 : JB;

        for (uint32_t p = 0; p < rows; p++)
            memset(acc[p], 0, jl * sizeof(double));
        for (uint32_t k = 0; k < n; k++) {
            const float *b = gb + k + j0; /* B[k][j0..] */

            for (uint32_t p = 0; p < rows; p++) {
                double a = ga[r0 + p + k], *x = acc[p]; /* A[r0+p][k] */

                for (uint32_t j = 0; j < jl; j++)
                    x[j] += a * (double)b[j];
            }
        }
        for (uint32_t p = 0; p < rows; p++)
            for (uint32_t j = 0; j < jl; j++)
                c[(size_t)(r0 + p) * n + j0 + j] = (float)acc[p][j];
    }
}

/* The same with float accumulators (true fp32, no FMA contraction). */
static void panel_f32(const float *ga, const float *gb, uint32_t n, uint32_t r0,
                      uint32_t rows, float *c)
{
    float acc[P_ROWS][JB];

    for (uint32_t j0 = 0; j0 < n; j0 += JB) {
        uint32_t jl = n - j0 < JB ? n - j0 : JB;

        for (uint32_t p = 0; p < rows; p++)
            memset(acc[p], 0, jl * sizeof(float));
        for (uint32_t k = 0; k < n; k++) {
            const float *b = gb + k + j0;

            for (uint32_t p = 0; p < rows; p++) {
                float a = ga[r0 + p + k], *x = acc[p];

                for (uint32_t j = 0; j < jl; j++)
                    x[j] += a * b[j];
            }
        }
        for (uint32_t p = 0; p < rows; p++)
            memcpy(c + (size_t)(r0 + p) * n + j0, acc[p], jl * sizeof(float));
    }
}

/* The 2n-1 generator values g[k] = f(xs^10(seed + k)) of a Hankel matrix. */
static float *hankel_new(uint64_t seed, uint32_t n)
{
    float *g = malloc(((size_t)2 * n) * sizeof(float));

    for (uint32_t k = 0; g && k + 1 < 2 * n; k++)
        g[k] = pog_prng_elem(seed, 0, k);
    if (g)
        g[2 * (size_t)n - 1] = 0; /* unused; keeps the panel loads in bounds */
    return g;
}

/* Uniform [-1, 1) benchmark data, never zero (zeros run faster). */
static float *random_new(uint32_t n)
{
    float *g = malloc(((size_t)2 * n) * sizeof(float));
    uint64_t x = 0x9e3779b97f4a7c15u;

    for (size_t k = 0; g && k < 2 * (size_t)n; k++) {
        x += 0x9e3779b97f4a7c15u;
        uint64_t z = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;

        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        g[k] = (float)((double)((z >> 40) | 1) / 8388608.0 - 1.0);
    }
    return g;
}

typedef void panel_fn(const float *ga, const float *gb, uint32_t n, uint32_t r0,
                      uint32_t rows, float *c);

/* C = A x B panel by panel, hashing each finished panel's rows into leaves
 * (NULL: no hashing) and checking stop between panels. */
static enum svc_rc gemm_rows(const float *ga, const float *gb, uint32_t n,
                             panel_fn *panel, float *c,
                             uint8_t (*leaves)[POG_HASH_LEN],
                             const struct gpu_stop *stop,
                             struct gpu_round_times *t)
{
    enum svc_rc rc = SVC_OK;
    double t0;

    for (uint32_t r0 = 0; r0 < n; r0 += P_ROWS) {
        uint32_t rows = n - r0 < P_ROWS ? n - r0 : P_ROWS;

        if (stop && stop->check && (rc = stop->check(stop->ctx)) != SVC_OK)
            break;
        t0 = clock_mono_s();
        panel(ga, gb, n, r0, rows, c);
        t->multiply_s += clock_mono_s() - t0;
        t0 = clock_mono_s();
        for (uint32_t p = 0; leaves && p < rows; p++)
            pog_leaf_f32(c + (size_t)(r0 + p) * n, n, leaves[r0 + p]);
        t->hash_s += clock_mono_s() - t0;
    }
    return rc;
}

static enum svc_rc check_n(struct gpu_worker *w, uint32_t n)
{
    if (n == 0 || n > w->o.cpu_max_n)
        return fail(w, SVC_ERR_INVALID,
                    "n=%u is outside 1..%u, the CPU backend's cap", n,
                    w->o.cpu_max_n);
    return SVC_OK;
}

static enum svc_rc cpu_compute(struct gpu_worker *w, uint64_t seed_a,
                               uint64_t seed_b, uint32_t n,
                               enum gpu_accum accum,
                               const struct gpu_stop *stop,
                               uint8_t (*leaves)[POG_HASH_LEN],
                               struct gpu_round_times *t, enum gpu_accum *used)
{
    float *ga = NULL, *gb = NULL;
    enum svc_rc rc;
    double t0;

    cpu_release(w);
    memset(t, 0, sizeof(*t));
    rc = check_n(w, n);
    if (rc)
        return rc;
    if (accum == GPU_ACCUM_AUTO)
        accum = w->o.accum == GPU_ACCUM_FP32 ? GPU_ACCUM_FP32 : GPU_ACCUM_FP64;
    t0 = clock_mono_s();
    ga = hankel_new(seed_a, n);
    gb = hankel_new(seed_b, n);
    w->c = malloc((size_t)n * n * sizeof(float));
    t->generate_s = clock_mono_s() - t0;
    if (!ga || !gb || !w->c) {
        rc = fail(w, SVC_ERR_NOMEM, "out of memory for n=%u", n);
        goto out;
    }
    w->n = n;
    rc = gemm_rows(ga, gb, n, accum == GPU_ACCUM_FP64 ? panel_f64 : panel_f32,
                   w->c, leaves, stop, t);
    if (rc)
        fail(w, rc, "stopped: %s", svc_rc_text(rc));
    else
        *used = accum;
out:
    if (rc)
        cpu_release(w);
    free(ga);
    free(gb);
    return rc;
}

static enum svc_rc cpu_bench(struct gpu_worker *w, enum gpu_prec prec,
                             uint32_t n, const struct gpu_stop *stop,
                             double *seconds)
{
    struct gpu_round_times t = {0};
    float *ga = NULL, *gb = NULL, *c = NULL;
    enum svc_rc rc;

    (void)prec; /* no half arithmetic on the host: fp16 runs the fp32 loop */
    cpu_release(w);
    rc = check_n(w, n);
    if (rc)
        return rc;
    ga = random_new(n);
    gb = random_new(n);
    c = malloc((size_t)n * n * sizeof(float));
    if (!ga || !gb || !c) {
        rc = fail(w, SVC_ERR_NOMEM, "out of memory for n=%u", n);
        goto out;
    }
    rc = gemm_rows(ga, gb, n, panel_f32, c, NULL, stop, &t);
    if (rc == SVC_OK)
        *seconds = t.multiply_s;
out:
    free(ga);
    free(gb);
    free(c);
    return rc;
}

static enum svc_rc cpu_get_row(struct gpu_worker *w, uint32_t i, float *row)
{
    if (!w->c || i >= w->n)
        return fail(w, SVC_ERR_NOT_FOUND, "no retained row %u", i);
    memcpy(row, w->c + (size_t)i * w->n, (size_t)w->n * sizeof(float));
    return SVC_OK;
}

static enum svc_rc cpu_selftest(struct gpu_worker *w, char *why, size_t cap)
{
    static const uint8_t abc[4] = {0xba, 0x78, 0x16, 0xbf}; /* SHA("abc") */
    uint8_t d[POG_HASH_LEN];

    (void)w;
    pog_sha256("abc", 3, d);
    if (pog_f32_bits(pog_prng_elem(0, 0, 1)) != 0x3f2dd023u ||
        memcmp(d, abc, sizeof(abc))) {
        snprintf(why, cap, "CPU self-test failed");
        return SVC_ERR_INTERNAL;
    }
    return SVC_OK;
}

static bool cpu_healthy(struct gpu_worker *w)
{
    (void)w;
    return true;
}

static const char *cpu_last_error(struct gpu_worker *w)
{
    return w->err;
}

static enum svc_rc cpu_generate(struct gpu_worker *w, uint64_t seed, uint32_t n,
                                bool f64, uint32_t row, double *row_out,
                                uint8_t (*leaves)[POG_HASH_LEN])
{
    float *g;
    enum svc_rc rc = check_n(w, n);

    (void)f64; /* the widened float is the same value either way */
    if (rc)
        return rc;
    if (row >= n)
        return fail(w, SVC_ERR_INVALID, "row %u >= n", row);
    g = hankel_new(seed, n);
    if (!g)
        return fail(w, SVC_ERR_NOMEM, "out of memory for n=%u", n);
    for (uint32_t k = 0; k < n; k++)
        row_out[k] = g[row + k];
    for (uint32_t i = 0; leaves && i < n; i++)
        pog_leaf_f32(g + i, n, leaves[i]); /* row i of A is g + i */
    free(g);
    return SVC_OK;
}

static const struct gpu_backend cpu_backend = {
    .name = "cpu",
    .device_count = cpu_device_count,
    .worker_new = cpu_worker_new,
    .worker_free = cpu_worker_free,
    .info = cpu_info,
    .memory = cpu_memory,
    .bench = cpu_bench,
    .compute = cpu_compute,
    .get_row = cpu_get_row,
    .release = cpu_release,
    .selftest = cpu_selftest,
    .healthy = cpu_healthy,
    .last_error = cpu_last_error,
    .generate = cpu_generate,
};

const struct gpu_backend *gpu_backend_cpu(void)
{
    return &cpu_backend;
}
