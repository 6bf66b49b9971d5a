/* SPDX-License-Identifier: MIT */
/* Protocol arithmetic (docs/pog.md 5.1 items 9-11): matrix sizes, VRAM
 * quantisation, the isclose rule, TFLOPS, pass thresholds and the timing
 * gate. */
#include "check.h"
#include "gpu/pog.h"

#include <math.h>

static void check_sizes(void)
{
    /* vram class: unrounded S/1e9 for the benchmarks, the printed value
     * for compute mode. */
    static const struct {
        double s, printed;
        uint32_t n16, n32, nc;
    } t[] = {
        {8.589934592, 8.59, 46336, 23168, 10336},
        {17.179869184, 17.18, 65536, 32768, 14624},
        {34.359738368, 34.36, 92672, 46336, 20704},
        {68.719476736, 68.72, 131072, 65536, 29280},
    };

    for (size_t k = 0; k < 4; k++) {
        CHECK_INT_EQ(pog_size_fp16(t[k].s), t[k].n16);
        CHECK_INT_EQ(pog_size_fp32(t[k].s), t[k].n32);
        CHECK_INT_EQ(pog_size_fp16(t[k].printed), t[k].n16);
        CHECK_INT_EQ(pog_size_compute(t[k].printed), t[k].nc);
        CHECK(pog_round2(t[k].s) == t[k].printed);
    }
    CHECK_INT_EQ(pog_matrix_size(0, 4, 0.1), 0);
    CHECK_INT_EQ(pog_matrix_size(-1, 4, 0.1), 0);
    CHECK_INT_EQ(pog_matrix_size(NAN, 4, 0.1), 0);
}

static void check_vram(void)
{
    const double gib = 1073741824.0;

    CHECK(pog_vram_gb(pog_vram_quantise((uint64_t)(79.1 * gib))) ==
          34.359738368);
    CHECK(pog_vram_gb(pog_vram_quantise((uint64_t)(139.5 * gib))) ==
          68.719476736);
    CHECK(pog_vram_gb(pog_vram_quantise((uint64_t)(47.5 * gib))) ==
          17.179869184);
    CHECK(pog_vram_gb(pog_vram_quantise((uint64_t)(23.6 * gib))) ==
          8.589934592);
    CHECK_INT_EQ(pog_vram_quantise(3ull << 34), 1ull << 35); /* 1.5 * 2^35 */
    CHECK_INT_EQ(pog_vram_quantise((3ull << 34) - 1), 1ull << 34);
    CHECK_INT_EQ(pog_vram_quantise(1u << 21), 1u << 21);
    CHECK_INT_EQ(pog_vram_quantise((1u << 21) - 1), 0);
    CHECK_INT_EQ(pog_vram_quantise(UINT64_MAX), 1ull << 63);
    /* Raw free memory would read as an H200 class; quantised it is 34.36. */
    CHECK(pog_round2(pog_vram_gb(pog_vram_quantise(84900000000ull))) == 34.36);
}

static void check_isclose(void)
{
    CHECK(pog_isclose(5176.0, 5176.05));
    CHECK(!pog_isclose(5176.0, 5176.06));
    CHECK(pog_isclose(0, 1e-5));
    CHECK(pog_isclose(1e-5, 0));
    CHECK(!pog_isclose(2.1e-5, 0));
    /* Asymmetric: the tolerance scales with the validator's value. */
    CHECK(pog_isclose(1e6, 1000010.00005));
    CHECK(!pog_isclose(1000010.00005, 1e6));
    CHECK(!pog_isclose(NAN, 1.0));
    CHECK(!pog_isclose(1.0, NAN));
    CHECK(!pog_isclose(NAN, NAN));
    CHECK(pog_isclose(INFINITY, INFINITY));
    CHECK(!pog_isclose(INFINITY, -INFINITY));
    CHECK(!pog_isclose(INFINITY, 1e30));
    CHECK(pog_isclose_tol(1.5, 1.0, 0.5, 0));
    CHECK(!pog_isclose_tol(1.6, 1.0, 0.5, 0));
}

static void check_thresholds(void)
{
    static const unsigned want[9] = {0, 1, 2, 3, 3, 4, 5, 6, 6};

    for (unsigned g = 0; g <= 8; g++)
        CHECK_INT_EQ(pog_pass_threshold(g), want[g]);
    CHECK_INT_EQ(pog_pass_threshold(16), 12);
}

static void check_tflops_timing(void)
{
    double m1[] = {3.0}, m2[] = {3.5, 4.0}, bad[] = {NAN};

    CHECK(fabs(pog_tflops(92672, 2.0) - 795.8764) < 1e-3);
    CHECK(pog_tflops(92672, 0) == 0);
    CHECK(fabs(pog_tflops(46336, 4.0) - 49.7423) < 1e-3);
    CHECK(pog_timing_ok(8.9, 4.0, m1, 1, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(9.0, 4.0, m1, 1, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(1.0, 3.0, m1, 1, POG_TIME_TOLERANCE)); /* mean */
    CHECK(pog_timing_ok(12.9, 4.0, m2, 2, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(13.0, 4.0, m2, 2, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(1.0, 4.0, m2, 0, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(1.0, 4.0, bad, 1, POG_TIME_TOLERANCE));
    CHECK(!pog_timing_ok(NAN, 4.0, m1, 1, POG_TIME_TOLERANCE));
}

int main(void)
{
    check_sizes();
    check_vram();
    check_isclose();
    check_thresholds();
    check_tflops_timing();
    return 0;
}
