/* SPDX-License-Identifier: MIT */
/* The GPU rules that are arithmetic or decisions, checked without a GPU:
 * the benchmark size clamp per precision (docs/pog.md 1.2), the fp64
 * accumulation choice from measured GEMM times (1.7) and when the GPU
 * test may skip (5.2). */
#include "check.h"
#include "gpu/pog.h"
#include "tests/gpu/cuda_start.h"

#include <math.h>

#define GIB ((uint64_t)1 << 30)

/* Free memory the runtime reports after the context: about 79.1 GiB of an
 * H100's 80 and 139.5 GiB of an H200's 141 (docs/pog.md 1.1). */
static const uint64_t h100_free = 79 * GIB + GIB / 10;
static const uint64_t h200_free = 139 * GIB + GIB / 2;

static void check_limits(void)
{
    uint32_t n16 = pog_bench_max_n(h100_free, 2);
    uint32_t n32 = pog_bench_max_n(h100_free, 4);

    /* Multiples of 32 whose three matrices fit beside the reserve, and
     * the next multiple of 32 does not. */
    for (unsigned es = 2; es <= 4; es += 2) {
        uint64_t n = pog_bench_max_n(h100_free, es);

        CHECK(n % 32 == 0);
        CHECK(3 * es * n * n + POG_BENCH_RESERVE <= h100_free);
        CHECK(3 * es * (n + 32) * (n + 32) + POG_BENCH_RESERVE > h100_free);
    }
    /* fp16 needs half the bytes of fp32: sqrt(2) more side. */
    CHECK(n16 > n32 * 1.40 && n16 < n32 * 1.42 + 32);
    /* The old rule, sqrt(total / 12) for both, cut fp16 to about 84,300. */
    CHECK(n32 < 92672 && n16 > 92672);
    /* Capped at POG_MAX_N on an H200 (sqrt(139.5 GiB / 6) is 158k). */
    CHECK_INT_EQ(pog_bench_max_n(h200_free, 2), POG_MAX_N);
    CHECK_INT_EQ(pog_bench_max_n(POG_BENCH_RESERVE, 2), 0);
    CHECK_INT_EQ(pog_bench_max_n(0, 4), 0);
    CHECK_INT_EQ(pog_bench_max_n(h100_free, 0), 0);
    /* Exactly three 32 x 32 fp32 matrices beside the reserve, and a byte
     * less. */
    CHECK_INT_EQ(pog_bench_max_n(POG_BENCH_RESERVE + 12 * 1024, 4), 32);
    CHECK_INT_EQ(pog_bench_max_n(POG_BENCH_RESERVE + 12 * 1024 - 1, 4), 0);
}

static void check_clamp(void)
{
    bool clamped = false;

    /* The protocol sizes run unclamped: H100 92672 / 46336, H200 131072 /
     * 65536, on the whole card (80 GiB, 141 GiB) and on what is free. */
    CHECK_INT_EQ(pog_bench_clamp(92672, 2, h100_free, 0, &clamped), 92672);
    CHECK_INT_EQ(pog_bench_clamp(92672, 2, 80 * GIB, 0, &clamped), 92672);
    CHECK_INT_EQ(pog_bench_clamp(46336, 4, h100_free, 0, &clamped), 46336);
    CHECK_INT_EQ(pog_bench_clamp(131072, 2, h200_free, 0, &clamped), 131072);
    CHECK_INT_EQ(pog_bench_clamp(131072, 2, 141 * GIB, 0, &clamped), 131072);
    CHECK_INT_EQ(pog_bench_clamp(65536, 4, h200_free, 0, &clamped), 65536);
    CHECK(!clamped);
    /* fp32 at the fp16 size does not fit an H100 (103 GB): clamped to
     * the fp32 limit, sqrt((79.1 GiB - 256 MiB) / 12) = 83,996 -> 83968. */
    CHECK_INT_EQ(pog_bench_clamp(92672, 4, h100_free, 0, &clamped),
                 pog_bench_max_n(h100_free, 4));
    CHECK(clamped);
    CHECK_INT_EQ(pog_bench_max_n(h100_free, 4), 83968);
    /* On an H200 fp32 at 131072 needs 206 GB: clamped too. */
    clamped = false;
    CHECK(pog_bench_clamp(131072, 4, h200_free, 0, &clamped) < 131072);
    CHECK(clamped);
    /* A 24 GB card (23.6 GiB free) holds its fp16 46336 (12.9 GB). */
    clamped = false;
    CHECK_INT_EQ(pog_bench_clamp(46336, 2, 23 * GIB + 3 * GIB / 5, 0, &clamped),
                 46336);
    CHECK(!clamped);
    /* The backend's own cap (the CPU's 4096), rounded down to 32. */
    CHECK_INT_EQ(pog_bench_clamp(8192, 2, h100_free, 4096, &clamped), 4096);
    CHECK(clamped);
    clamped = false;
    CHECK_INT_EQ(pog_bench_clamp(4096, 2, h100_free, 4100, &clamped), 4096);
    CHECK(!clamped);
    CHECK_INT_EQ(pog_bench_clamp(5000, 4, h100_free, 4100, &clamped), 4096);
    CHECK(clamped);
}

/* Times of the same GEMM in SGEMM and DGEMM from the TFLOPS a part runs:
 * seconds are inversely proportional to the rate. */
static bool fast_at(double sgemm_tflops, double dgemm_tflops)
{
    return pog_fp64_fast(1.0 / sgemm_tflops, 1.0 / dgemm_tflops);
}

static void check_fp64_choice(void)
{
    /* H100 / H200 (SGEMM about 51, DGEMM about 55 on the FP64 tensor
     * cores), A100 (19.5 / 19.5): fp64. */
    CHECK(fast_at(51, 55));
    CHECK(fast_at(19.5, 19.5));
    /* The rule's edge: DGEMM taking 1.25x the SGEMM time is 0.8x the
     * rate; a little slower is not. */
    CHECK(pog_fp64_fast(0.8, 1.0));
    CHECK(!pog_fp64_fast(0.8, 1.001));
    /* Ada and GA10x run FP64 at 1/64 rate: fp32 (RTX 4090 80 / 1.3, L40S
     * 90 / 1.4). */
    CHECK(!fast_at(80, 1.3));
    CHECK(!fast_at(90, 1.4));
    /* Nothing measured, or nonsense: fp32. */
    CHECK(!pog_fp64_fast(0, 0));
    CHECK(!pog_fp64_fast(0.01, 0));
    CHECK(!pog_fp64_fast(0, 0.01));
    CHECK(!pog_fp64_fast(-1, -1));
    CHECK(!pog_fp64_fast(NAN, 0.01));
    CHECK(!pog_fp64_fast(0.01, INFINITY));
}

static enum cuda_start_verdict decide(bool gpu, bool built, bool loaded,
                                      int devices)
{
    struct cuda_start_facts f = {gpu, built, loaded, devices};

    return cuda_start_decide(&f);
}

static void check_cuda_start(void)
{
    /* Runs where the backend loaded and counts a device. */
    CHECK(decide(true, true, true, 1) == CUDA_START_RUN);
    CHECK(decide(true, true, true, 8) == CUDA_START_RUN);
    /* A GPU is here, CUDA does not start: fail, never skip. That is an
     * old driver (error 35, count 0), no driver library (not loaded), or
     * no device answering (count 0). */
    CHECK(decide(true, true, true, 0) == CUDA_START_FAIL);
    CHECK(decide(true, true, false, 0) == CUDA_START_FAIL);
    CHECK(decide(true, true, false, 1) == CUDA_START_FAIL);
    /* No GPU on this host (the CI machine): skip. */
    CHECK(decide(false, true, false, 0) == CUDA_START_SKIP);
    CHECK(decide(false, true, true, 0) == CUDA_START_SKIP);
    /* A build without the module has nothing to test: skip. */
    CHECK(decide(true, false, false, 0) == CUDA_START_SKIP);
    CHECK(decide(false, false, false, 0) == CUDA_START_SKIP);
}

int main(void)
{
    check_limits();
    check_clamp();
    check_fp64_choice();
    check_cuda_start();
    return 0;
}
