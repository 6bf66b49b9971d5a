/* SPDX-License-Identifier: MIT */
/* The CUDA backend on a real device (docs/pog.md 5.2). Exits 77 (skipped)
 * only where this build has no CUDA module or this host shows no NVIDIA
 * GPU; where one is shown but CUDA does not start it fails and says why
 * (tests/gpu/cuda_start.h). Generator and hash kernels against the host
 * code bit for bit (64-bit indexing included), full rounds against the
 * Hankel oracle and a host-built tree (n = 20704 where the memory is
 * there), AB not BA, determinism, fp32 that is exact on 1 + 2^-20 (not
 * TF32), cancel releasing memory, the benchmark job with the protocol
 * sizes, rates and identification on an H100 or H200, and one round per
 * device through the pool when there are several.
 * COMPUTEDB_GPU_SHORT=1 keeps to small sizes (for compute-sanitizer).
 * Not TF32: at n <= 4096 every fp32 element must pass isclose, which TF32
 * inputs (rounded or truncated to 10 mantissa bits) do not (docs/pog.md 1.7).
 */
#include "check.h"
#include "gpu/gpu.h"
#include "gpu/pog.h"
#include "gpu/pool.h"
#include "tests/gpu/cuda_start.h"
#include "tests/unit/test_pog_oracle.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static const struct gpu_backend *be;
static struct gpu_worker *w;
static bool short_run;

/* Generator kernel (float and double-of-float) and hash kernel. */
static void check_generate(uint32_t n, uint64_t seed, uint32_t row, bool hash)
{
    double *out = malloc((size_t)n * sizeof(double));
    uint8_t(*leaves)[32] = hash ? malloc((size_t)n * 32) : NULL;
    float *g = malloc(2 * (size_t)n * sizeof(float));
    uint8_t ref[32];

    CHECK(out && g && (!hash || leaves));
    for (uint32_t k = 0; k + 1 < 2 * n; k++)
        g[k] = pog_prng_elem(seed, 0, k);
    for (int f64 = 0; f64 < 2; f64++) {
        CHECK(be->generate(w, seed, n, f64, row, out, f64 ? NULL : leaves) ==
              SVC_OK);
        for (uint32_t k = 0; k < n; k++)
            CHECK(out[k] == (double)g[row + k] &&
                  pog_f32_bits((float)out[k]) == pog_f32_bits(g[row + k]));
    }
    for (uint32_t i = 0; hash && i < n; i++) {
        pog_leaf_f32(g + i, n, ref);
        CHECK(memcmp(ref, leaves[i], 32) == 0);
    }
    free(out);
    free(leaves);
    free(g);
}

static void check_kernels(void)
{
    static const uint32_t ns[] = {1,  13, 14, 16,   17,   31,
                                  32, 33, 64, 1000, 4096, 4099};
    static const uint64_t seeds[] = {
        0, 42, 4294967295u, 4294967296u, UINT64_MAX, 12345678901234567890u};

    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
        if (!short_run || ns[k] <= 1000)
            check_generate(ns[k], seeds[k % 6], ns[k] - 1, true);
    /* n^2 > 2^31: the last row needs 64-bit element indices (17 and 34 GB
     * of device memory for the float and double matrices). */
    if (!short_run)
        check_generate(65536, 987654321987654321u, 65535, false);
}

/* A round against the oracle and a tree built on the host from C. Every
 * element must pass isclose, except that plain fp32 at large n fails a few
 * (docs/pog.md 1.7: about 1e-4 at n = 20704), so there at most 1e-3 may. */
static void check_round(uint32_t n, enum gpu_accum accum)
{
    struct gpu_round *r = NULL, *again = NULL;
    struct pog_merkle *t = pog_merkle_new(n);
    float *row = malloc((size_t)n * sizeof(float));
    double *c = oracle_c(77, 78, n), worst = 0;
    uint64_t fails = 0;

    CHECK(t && row);
    CHECK(gpu_round_run(be, w, 77, 78, n, accum, NULL, &r) == SVC_OK);
    for (uint32_t i = 0; i < n; i++) {
        CHECK(be->get_row(w, i, row) == SVC_OK);
        pog_leaf_f32(row, n, pog_merkle_leaf(t, i));
        for (uint32_t j = 0; j < n; j++) {
            double want = c[(size_t)i * n + j];

            fails += !pog_isclose(row[j], (float)want);
            worst = fmax(worst, fabs(row[j] - want) /
                                    (POG_ATOL + POG_RTOL * fabs(want)));
        }
    }
    pog_merkle_finish(t);
    CHECK(memcmp(pog_merkle_root(t), gpu_round_root(r), 32) == 0);
    fprintf(stderr,
            "n=%u %s: worst err/tol %.3f, %llu fails, gemm %.3f s (%.1f "
            "TFLOPS), hash %.4f s, total %.3f s\n",
            n, gpu_accum_name(r->accum), worst, (unsigned long long)fails,
            r->t.multiply_s, pog_tflops(n, r->t.multiply_s), r->t.hash_s,
            r->t.total_s);
    if (r->accum == GPU_ACCUM_FP64 || n <= 4096)
        CHECK(fails == 0);
    else
        CHECK((double)fails <= 1e-3 * (double)n * n);
    CHECK(gpu_round_run(be, w, 77, 78, n, r->accum, NULL, &again) == SVC_OK);
    CHECK(memcmp(gpu_round_root(again), gpu_round_root(r), 32) == 0);
    gpu_round_free(r);
    gpu_round_free(again);
    pog_merkle_free(t);
    free(row);
    free(c);
}

static int calls;

static enum svc_rc cancel_at_third(void *ctx)
{
    (void)ctx;
    return ++calls >= 3 ? SVC_ERR_CANCELLED : SVC_OK;
}

static void check_cancel(void)
{
    struct gpu_stop stop = {cancel_at_third, NULL};
    struct gpu_round *r = NULL;
    uint64_t before, after, total;

    CHECK(be->memory(w, &before, &total) == SVC_OK);
    CHECK(gpu_round_run(be, w, 1, 2, 8192, GPU_ACCUM_FP32, &stop, &r) ==
          SVC_ERR_CANCELLED);
    CHECK(be->memory(w, &after, &total) == SVC_OK);
    CHECK(after + (16u << 20) >= before); /* back to the baseline */
}

/* Not TF32, exactly (docs/pog.md 5.2 item 4): A's first 16 columns hold
 * 1 + 2^-20 and B's first 16 rows 1, the rest 0. Every partial sum of
 * m <= 16 products is exact in FP32 in any order, so each element is
 * 16 + 2^-16 exactly; TF32 (10 mantissa bits) reads 1 + 2^-20 as 1 and
 * gives 16. */
static void check_exact(uint32_t n)
{
    size_t cnt = (size_t)n * n;
    float *a = calloc(cnt, sizeof(float)), *b = calloc(cnt, sizeof(float));
    float *c = malloc(cnt * sizeof(float));
    const float x = 1.0f + 0x1p-20f, want = 16.0f + 0x1p-16f;
    size_t wrong = 0;

    CHECK(a && b && c && be->gemm_f32 && n >= 16);
    CHECK(x != 1.0f && want != 16.0f);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 16; k++) {
            a[i * n + k] = x;
            b[k * n + i] = 1.0f;
        }
    CHECK(be->gemm_f32(w, n, a, b, c) == SVC_OK);
    for (size_t k = 0; k < cnt; k++)
        wrong += c[k] != want;
    fprintf(stderr, "exact 1+2^-20 at n=%u: C[0][0] = %.9g, %zu wrong\n", n,
            c[0], wrong);
    CHECK(wrong == 0);
    free(a);
    free(b);
    free(c);
}

static void check_bench(void)
{
    struct gpu_device_info info;
    double sec = 0;

    CHECK(be->info(w, &info) == SVC_OK);
    CHECK(be->bench(w, GPU_PREC_FP32, 8192, NULL, &sec) == SVC_OK);
    fprintf(stderr, "%s: fp32 n=8192 %.1f TFLOPS\n", info.name,
            pog_tflops(8192, sec));
    /* True FP32: TF32 would run several times faster than any FP32 peak. */
    CHECK(pog_tflops(8192, sec) < 70);
    CHECK(be->bench(w, GPU_PREC_FP16, 8192, NULL, &sec) == SVC_OK);
    fprintf(stderr, "%s: fp16 n=8192 %.1f TFLOPS\n", info.name,
            pog_tflops(8192, sec));
}

static double num(const json_t *res, const char *key)
{
    return json_number_value(json_object_get(res, key));
}

/* What a benchmark job must report on the parts the protocol sizes for
 * (docs/pog.md 5.2 item 5): the quantised VRAM, both sizes unclamped, the
 * identification, fp16 within 0.5-1.0x of the 989 TFLOPS dense peak and
 * fp32 within 0.6-1.0x of the 67 TFLOPS FP32 peak (true FP32, not TF32).
 * H100 SXM and H200 share the GH100 peaks. */
static void check_benchmark_result(const json_t *res)
{
    const char *name = json_string_value(json_object_get(res, "reported_name"));
    const char *id = json_string_value(
        json_object_get(json_object_get(res, "identified"), "name"));
    bool h100 = strstr(name, "H100 80GB HBM3"), h200 = strstr(name, "H200");

    fprintf(stderr, "%s: fp16 %.1f TFLOPS, fp32 %.1f TFLOPS, identified %s\n",
            name, num(res, "tflops_fp16"), num(res, "tflops_fp32"),
            id ? id : "(none)");
    CHECK(json_is_false(json_object_get(res, "clamped")));
    if (!h100 && !h200)
        return;
    CHECK(num(res, "vram") == (h100 ? 34.36 : 68.72));
    CHECK_INT_EQ(json_integer_value(json_object_get(res, "n_fp16")),
                 h100 ? 92672 : 131072);
    CHECK_INT_EQ(json_integer_value(json_object_get(res, "n_fp32")),
                 h100 ? 46336 : 65536);
    CHECK_STR_EQ(id, h100 ? "NVIDIA H100 80GB HBM3" : "NVIDIA H200");
    CHECK(num(res, "tflops_fp16") >= 0.5 * 989 &&
          num(res, "tflops_fp16") <= 989);
    CHECK(num(res, "tflops_fp32") >= 0.6 * 67 && num(res, "tflops_fp32") <= 67);
}

/* The full benchmark job through the pool. */
static void check_benchmark_job(void)
{
    struct gpu_pool_opts o = {.backend = gpu_backend_cuda(),
                              .max_devices = 1,
                              .default_timeout_ms = 300000};
    struct gpu_job_spec s = {.kind = GPU_JOB_BENCHMARK, .device = 0};
    struct gpu_pool *p = NULL;
    enum gpu_job_state st;
    json_t *snap = NULL;
    char why[GPU_ERR_MAX], *text;
    uint64_t id;

    CHECK(gpu_pool_new(&o, &p, why, sizeof(why)) == SVC_OK);
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_OK);
    CHECK(gpu_pool_wait(p, id, 300000, &st) == SVC_OK);
    CHECK(gpu_pool_status(p, id, &snap) == SVC_OK);
    text = json_dumps(snap, JSON_INDENT(1));
    fprintf(stderr, "%s\n", text);
    free(text);
    CHECK(st == GPU_JOB_DONE);
    check_benchmark_result(json_object_get(snap, "result"));
    json_decref(snap);
    gpu_pool_free(p);
}

/* Device d's name in gpu_pool_info()'s "devices" ("" when unknown). */
static const char *dev_name(const json_t *devs, int d)
{
    const char *name = json_string_value(json_object_get(
        json_object_get(json_array_get(devs, (size_t)d), "info"), "name"));

    return name ? name : "";
}

/* One compute round per device at once through the pool; devices of the
 * same model (the same cuBLAS kernels) give the same root. */
static void check_multi_gpu(int count)
{
    struct gpu_pool_opts o = {.backend = gpu_backend_cuda(),
                              .max_devices = count,
                              .default_timeout_ms = 300000};
    struct gpu_pool *p = NULL;
    uint64_t *ids = calloc((size_t)count, sizeof(*ids));
    json_t **res = calloc((size_t)count, sizeof(*res)), *info, *devs;
    char why[GPU_ERR_MAX];

    CHECK(ids && res);
    CHECK(gpu_pool_new(&o, &p, why, sizeof(why)) == SVC_OK);
    for (int d = 0; d < count; d++) {
        struct gpu_job_spec s = {.kind = GPU_JOB_COMPUTE,
                                 .device = d,
                                 .n = 8192,
                                 .seed_a = 5,
                                 .seed_b = 6,
                                 .accum = GPU_ACCUM_FP32};

        CHECK(gpu_pool_submit(p, &s, &ids[d], NULL) == SVC_OK);
    }
    for (int d = 0; d < count; d++) {
        enum gpu_job_state st;

        CHECK(gpu_pool_wait(p, ids[d], 300000, &st) == SVC_OK);
        CHECK(st == GPU_JOB_DONE);
        CHECK(gpu_pool_status(p, ids[d], &res[d]) == SVC_OK);
        fprintf(stderr, "device %d: root %s\n", d,
                json_string_value(json_object_get(
                    json_object_get(res[d], "result"), "root")));
    }
    info = gpu_pool_info(p); /* the workers are up: names are known */
    devs = json_object_get(info, "devices");
    CHECK_INT_EQ(json_array_size(devs), count);
    for (int d = 1; d < count; d++)
        if (!strcmp(dev_name(devs, d), dev_name(devs, 0)))
            CHECK_STR_EQ(json_string_value(json_object_get(
                             json_object_get(res[d], "result"), "root")),
                         json_string_value(json_object_get(
                             json_object_get(res[0], "result"), "root")));
    for (int d = 0; d < count; d++)
        json_decref(res[d]);
    json_decref(info);
    free(ids);
    free(res);
    gpu_pool_free(p);
}

/* The host shows an NVIDIA GPU: the device node, or nvidia-smi listing one
 * (it prints "GPU 0: <name> (UUID: ...)" per device). */
static bool host_shows_gpu(void)
{
    char line[256];
    bool found = false;
    FILE *f;

    if (access("/dev/nvidia0", F_OK) == 0)
        return true;
    f = popen("nvidia-smi -L 2>/dev/null", "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f))
        found = found || strncmp(line, "GPU ", 4) == 0;
    pclose(f);
    return found;
}

/* Runs, skips (77) or fails (1) by cuda_start_decide(); returns the
 * device count when it runs. */
static int start_or_exit(char *why, size_t cap)
{
    struct cuda_start_facts f = {.gpu_present = host_shows_gpu(),
                                 .module_built = gpu_cuda_present()};

    be = gpu_backend_cuda();
    f.loaded = be != NULL;
    snprintf(why, cap, "%s", gpu_cuda_why());
    if (be)
        f.devices = be->device_count(why, cap);
    switch (cuda_start_decide(&f)) {
    case CUDA_START_RUN:
        return f.devices;
    case CUDA_START_SKIP:
        SKIP(f.module_built ? "this host shows no NVIDIA GPU"
                            : "this build has no CUDA backend "
                              "(COMPUTEDB_CUDA=OFF or no nvcc)");
    case CUDA_START_FAIL:
        break;
    }
    fprintf(stderr,
            "FAIL: this host shows an NVIDIA GPU but CUDA does not start: "
            "%s\n",
            why[0] ? why : "no device counted");
    exit(1);
}

int main(void)
{
    struct gpu_opts o = {0};
    char why[GPU_ERR_MAX];
    const char *env = getenv("COMPUTEDB_GPU_SHORT");
    uint64_t fr = 0, tot = 0;
    int count = start_or_exit(why, sizeof(why));

    short_run = env && !strcmp(env, "1");
    if (be->worker_new(0, &o, &w, why, sizeof(why)) != SVC_OK) {
        fprintf(stderr, "device 0 failed to open: %s\n", why);
        return 1;
    }
    check_kernels();
    check_exact(64);
    check_round(64, GPU_ACCUM_FP32);
    check_round(1000, GPU_ACCUM_FP64);
    if (short_run) {
        be->worker_free(w);
        return 0;
    }
    check_exact(4096);
    check_round(4096, GPU_ACCUM_FP32);
    check_round(4096, GPU_ACCUM_FP64);
    check_round(8192, GPU_ACCUM_AUTO);
    /* The protocol size on 80 GB parts: fp64 needs 24 n^2 bytes (10.3
     * GB), run wherever that fits twice over. */
    CHECK(be->memory(w, &fr, &tot) == SVC_OK);
    if (fr >= 2 * 24 * (uint64_t)20704 * 20704) {
        check_round(20704, GPU_ACCUM_FP32);
        check_round(20704, GPU_ACCUM_FP64);
    } else {
        fprintf(stderr, "n=20704 skipped: %llu bytes free\n",
                (unsigned long long)fr);
    }
    check_cancel();
    check_bench();
    be->worker_free(w);
    check_benchmark_job();
    if (count > 1)
        check_multi_gpu(count);
    return 0;
}
