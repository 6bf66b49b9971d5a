/* SPDX-License-Identifier: MIT */
/* Test oracle for PoG products (docs/pog.md 1.4): A and B are Hankel, so C =
 * A x B satisfies C[i+1][j+1] = C[i][j] - gA[i] gB[j] + gA[i+n] gB[j+n].
 * With the first row and column from direct double dot products, all of C
 * costs O(n^2) in double. Header-only, for tests/unit and tests/gpu. */
#ifndef TEST_POG_ORACLE_H
#define TEST_POG_ORACLE_H

#include "check.h"
#include "gpu/pog_prng.h"

#include <stdlib.h>

/* g[0 .. 2n) of the matrix for seed, as doubles (g[2n-1] unused, 0). */
static inline double *oracle_g(uint64_t seed, uint32_t n)
{
    double *g = calloc(2 * (size_t)n, sizeof(double));

    CHECK(g);
    for (uint32_t k = 0; k + 1 < 2 * n; k++)
        g[k] = pog_prng_elem(seed, 0, k);
    return g;
}

/* All of C = A(sa) x B(sb) in double, row-major; free() it. */
static inline double *oracle_c(uint64_t sa, uint64_t sb, uint32_t n)
{
    double *ga = oracle_g(sa, n), *gb = oracle_g(sb, n);
    double *c = malloc((size_t)n * n * sizeof(double));

    CHECK(c);
    for (uint32_t t = 0; t < n; t++) {
        double r = 0, s = 0;

        for (uint32_t k = 0; k < n; k++) {
            r += ga[k] * gb[k + t]; /* C[0][t] */
            s += ga[t + k] * gb[k]; /* C[t][0] */
        }
        c[t] = r;
        c[(size_t)t * n] = s;
    }
    for (uint32_t i = 0; i + 1 < n; i++)
        for (uint32_t j = 0; j + 1 < n; j++)
            c[(size_t)(i + 1) * n + j + 1] =
                c[(size_t)i * n + j] - ga[i] * gb[j] + ga[i + n] * gb[j + n];
    free(ga);
    free(gb);
    return c;
}

#endif
