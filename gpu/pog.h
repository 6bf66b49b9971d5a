/* SPDX-License-Identifier: MIT */
/* PoG protocol arithmetic (docs/pog.md 1.1-1.6): the value check, matrix sizes,
 * VRAM quantisation, TFLOPS, pass thresholds and the timing gate. Pure
 * functions, thread-safe, no allocation. */
#ifndef POG_H
#define POG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Validator constants (config.yaml merkle_proof, validator.py). */
#define POG_ATOL              1e-5 /* np.isclose(..., atol=1e-5) */
#define POG_RTOL              1e-5 /* numpy's default rtol */
#define POG_TIME_TOLERANCE    5.0  /* seconds, merkle_proof.time_tolerance */
#define POG_BENCH_FP16_FACTOR 1.0  /* buffer factors of adjust_matrix_size */
#define POG_BENCH_FP32_FACTOR 0.5
#define POG_COMPUTE_FACTOR    0.10

enum {
    POG_MAX_N = 1 << 17,     /* largest matrix side any job accepts */
    POG_MAX_GPUS = 64,       /* GPUs per miner in one request */
    POG_MAX_CHALLENGES = 16, /* challenges per GPU */
};

/* The validator's value check: |got - want| <= atol + rtol*|want|, where
 * want is the validator's own value (the rule is asymmetric). NaN fails;
 * equal infinities pass, as in numpy. Evaluated in double. */
bool pog_isclose(double got, double want);
/* The same with explicit tolerances. */
bool pog_isclose_tol(double got, double want, double atol, double rtol);

/* adjust_matrix_size: usable = vram_gb*factor*1e9; m = (int)sqrt(usable /
 * (2*elem_size)); n = m - m % 32. Returns 0 for non-positive input. */
uint32_t pog_matrix_size(double vram_gb, unsigned elem_size, double factor);
/* The three protocol sizes: the benchmark's fp16 and fp32 n from the
 * unrounded VRAM estimate, and compute mode's n from the value the validator
 * parsed (vram rounded to 2 decimals, see pog_round2()). */
uint32_t pog_size_fp16(double vram_gb);
uint32_t pog_size_fp32(double vram_gb);
uint32_t pog_size_compute(double vram_gb);

/* Bytes kept free beside a benchmark's three matrices: the cuBLAS
 * workspace, the runtime's own and the allocator's slack per buffer. */
#define POG_BENCH_RESERVE ((uint64_t)256 << 20)

/* The largest benchmark side whose A, B and C (3 n^2 elements of
 * elem_size bytes: 6 n^2 for fp16, which is half in and half out, 12 n^2
 * for fp32) fit in mem_bytes less POG_BENCH_RESERVE: a multiple of 32, at
 * most POG_MAX_N; 0 when not even n = 32 fits. */
uint32_t pog_bench_max_n(uint64_t mem_bytes, unsigned elem_size);
/* n, or the precision's limit from pog_bench_max_n() (and cap, a limit of
 * the backend's own such as the CPU's; 0 for none) where n is larger, which
 * then sets *clamped. */
uint32_t pog_bench_clamp(uint32_t n, unsigned elem_size, uint64_t mem_bytes,
                         uint32_t cap, bool *clamped);

/* Whether fp64 accumulation is the default: DGEMM at no less than 0.8x
 * the SGEMM rate, from the seconds the same GEMM took in each (docs/pog.md
 * 1.7). False when either time is not a positive finite number. */
bool pog_fp64_fast(double sgemm_s, double dgemm_s);

/* What "%.2f" then float() gives back: the VRAM the validator sees. */
double pog_round2(double v);

/* The miner's VRAM estimate from free bytes: the largest power of two S
 * (2 MiB at least) such that the doubling probe could allocate S while S/2
 * was still held, i.e. 1.5*S <= free_bytes. Returns 0 below 2 MiB. */
uint64_t pog_vram_quantise(uint64_t free_bytes);
/* S in decimal GB (S / 1e9), the value the miner prints with %.2f. */
double pog_vram_gb(uint64_t bytes);

/* 2 n^3 / seconds / 1e12, from the values as printed; 0 for seconds <= 0. */
double pog_tflops(uint64_t n, double seconds);

/* GPUs that must pass out of n_gpus: all of 1-3, 3 of 4, ceil(0.75 n)
 * above 4 (5->4, 6->5, 7->6, 8->6). */
unsigned pog_pass_threshold(unsigned n_gpus);

/* The validator's timing gate: elapsed < tolerance + n_gpus * t_fp32 and the
 * mean multiplication time < t_fp32, with n_gpus = n_mult (the GPUs that
 * reported timings). False when n_mult is 0 or any value is not finite. */
bool pog_timing_ok(double elapsed, double t_fp32, const double *mult_times,
                   size_t n_mult, double tolerance);

#endif
