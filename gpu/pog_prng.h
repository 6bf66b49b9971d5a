/* SPDX-License-Identifier: MIT */
/* The PoG matrix generator, bit-compatible with the validator
 * (docs/pog.md 1.4): element (i, j) of the matrix for seed s is
 * f(xorshift32^10(s + i + j mod 2^32)) with f(x) = float32(float64(x) /
 * 4294967295). Header-only and POG_HD, so the CUDA generation kernel runs
 * exactly this code. */
#ifndef POG_PRNG_H
#define POG_PRNG_H

#include "pog_hd.h"

#include <stdint.h>

enum { POG_PRNG_ROUNDS = 10 };

/* One Marsaglia xorshift32 step (shifts 13, 17, 5); xs(0) == 0. */
POG_INLINE uint32_t pog_xorshift32(uint32_t x)
{
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

/* The generator state of element (i, j): only the low 32 bits of the seed
 * and of the indices matter, and it depends on i + j alone, so every PoG
 * matrix is a symmetric Hankel matrix. */
POG_INLINE uint32_t pog_prng_state(uint64_t seed, uint64_t i, uint64_t j)
{
    uint32_t x = (uint32_t)seed + (uint32_t)i + (uint32_t)j;

    for (int r = 0; r < POG_PRNG_ROUNDS; r++)
        x = pog_xorshift32(x);
    return x;
}

/* The validator's conversion (numpy): an exact double quotient rounded once
 * to float. This is the value we generate everywhere. */
POG_INLINE float pog_prng_value(uint32_t state)
{
    return (float)((double)state / 4294967295.0);
}

/* The upstream miner's conversion (torch on the GPU): float(state) * 2^-32.
 * It is 1 ulp lower than pog_prng_value() on 0.78% of states; kept only so
 * tests can document the difference. */
POG_INLINE float pog_prng_value_torch(uint32_t state)
{
    return (float)state * (1.0f / 4294967296.0f);
}

/* Element (i, j) of the PoG matrix for seed. */
POG_INLINE float pog_prng_elem(uint64_t seed, uint64_t i, uint64_t j)
{
    return pog_prng_value(pog_prng_state(seed, i, j));
}

#endif
