/* SPDX-License-Identifier: MIT */
/* PoG protocol arithmetic (see pog.h): the formulas of the reference
 * validator and miner restated in C, with Python's rounding where it
 * matters (int() truncation, "%.2f", integer ceil). */
#include "pog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

bool pog_isclose_tol(double got, double want, double atol, double rtol)
{
    if (isnan(got) || isnan(want))
        return false;
    if (isinf(got) || isinf(want))
        return got == want;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

bool pog_isclose(double got, double want)
{
    return pog_isclose_tol(got, want, POG_ATOL, POG_RTOL);
}

uint32_t pog_matrix_size(double vram_gb, unsigned elem_size, double factor)
{
    double usable = vram_gb * factor * 1e9;
    double m;

    if (!(usable > 0) || elem_size == 0)
        return 0;
    m = pow(usable / (2.0 * elem_size), 0.5);
    if (!(m < 4294967296.0))
        return 0;
    return (uint32_t)m / 32u * 32u; /* int() truncates toward zero */
}

uint32_t pog_size_fp16(double vram_gb)
{
    return pog_matrix_size(vram_gb, 2, POG_BENCH_FP16_FACTOR);
}

uint32_t pog_size_fp32(double vram_gb)
{
    return pog_matrix_size(vram_gb, 4, POG_BENCH_FP32_FACTOR);
}

uint32_t pog_size_compute(double vram_gb)
{
    return pog_matrix_size(vram_gb, 4, POG_COMPUTE_FACTOR);
}

uint32_t pog_bench_max_n(uint64_t mem_bytes, unsigned elem_size)
{
    uint64_t per = 3 * (uint64_t)elem_size, n;

    if (elem_size == 0 || mem_bytes <= POG_BENCH_RESERVE)
        return 0;
    n = (uint64_t)sqrt((double)((mem_bytes - POG_BENCH_RESERVE) / per));
    while (n > 0 && n * n * per > mem_bytes - POG_BENCH_RESERVE)
        n--; /* sqrt of a double may round up */
    if (n > POG_MAX_N)
        n = POG_MAX_N;
    return (uint32_t)n / 32u * 32u;
}

uint32_t pog_bench_clamp(uint32_t n, unsigned elem_size, uint64_t mem_bytes,
                         uint32_t cap, bool *clamped)
{
    uint32_t lim = pog_bench_max_n(mem_bytes, elem_size);

    if (cap && cap < lim)
        lim = cap >= 32 ? cap / 32 * 32 : cap;
    if (n <= lim)
        return n;
    *clamped = true;
    return lim;
}

bool pog_fp64_fast(double sgemm_s, double dgemm_s)
{
    if (!(sgemm_s > 0) || !(dgemm_s > 0) || !isfinite(sgemm_s) ||
        !isfinite(dgemm_s))
        return false;
    return sgemm_s / dgemm_s >= 0.8;
}

double pog_round2(double v)
{
    char buf[64];

    /* Both printf and Python round the exact binary value correctly. */
    snprintf(buf, sizeof(buf), "%.2f", v);
    return strtod(buf, NULL);
}

uint64_t pog_vram_quantise(uint64_t free_bytes)
{
    uint64_t s = (uint64_t)1 << 21; /* the probe's first 2^20 fp16 values */

    if (free_bytes < s)
        return 0;
    /* Doubling to 2s needs 2s + s (the old buffer is still referenced). */
    while (s <= UINT64_MAX / 3 && 3 * s <= free_bytes)
        s *= 2;
    return s;
}

double pog_vram_gb(uint64_t bytes)
{
    return (double)bytes / 1e9;
}

double pog_tflops(uint64_t n, double seconds)
{
    double dn = (double)n;

    if (!(seconds > 0))
        return 0;
    return 2.0 * dn * dn * dn / seconds / 1e12;
}

unsigned pog_pass_threshold(unsigned n_gpus)
{
    if (n_gpus == 4)
        return 3;
    if (n_gpus > 4)
        return (3 * n_gpus + 3) / 4; /* ceil(0.75 n) */
    return n_gpus;
}

bool pog_timing_ok(double elapsed, double t_fp32, const double *mult_times,
                   size_t n_mult, double tolerance)
{
    double sum = 0;

    if (n_mult == 0 || !isfinite(elapsed) || !isfinite(t_fp32))
        return false;
    for (size_t i = 0; i < n_mult; i++) {
        if (!isfinite(mult_times[i]))
            return false;
        sum += mult_times[i];
    }
    return elapsed < tolerance + (double)n_mult * t_fp32 &&
           sum / (double)n_mult < t_fp32;
}
