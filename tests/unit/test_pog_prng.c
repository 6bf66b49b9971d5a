/* SPDX-License-Identifier: MIT */
/* The PoG generator against the vectors of docs/pog.md 1.4 and 5.1 items 1-3:
 * xorshift32, element states and float bits (validator formula), seed
 * wrap-around, the rounding ties where torch differs, and the Hankel
 * symmetry. COMPUTEDB_LONG_TESTS=1 adds the exhaustive 2^32 tie count. */
#include "check.h"
#include "gpu/pog_prng.h"

#include <stdlib.h>

struct vec {
    uint64_t s, i, j;
    uint32_t state, bits;
};

static const struct vec vecs[] = {
    {0, 0, 0, 0u, 0x00000000u},
    {0, 0, 1, 2916098932u, 0x3f2dd023u},
    {42, 0, 0, 1067267639u, 0x3e7e74d9u},
    {42, 3, 5, 3372226038u, 0x3f490016u},
    {42, 1000, 7, 3300323284u, 0x3f44b6f0u},
    {4294967295u, 0, 1, 0u, 0x00000000u},
    {12345678901234567890u, 0, 0, 341598888u, 0x3da2e315u},
    {12345678901234567890u, 1000, 7, 4074296226u, 0x3f72d8d4u},
};

static void check_xorshift(void)
{
    uint32_t x = 1;

    CHECK_INT_EQ(pog_xorshift32(0), 0);
    CHECK_INT_EQ(pog_xorshift32(1), 270369);
    for (int r = 0; r < 10; r++)
        x = pog_xorshift32(x);
    CHECK_INT_EQ(x, 2916098932u);
}

static void check_vectors(void)
{
    for (size_t k = 0; k < sizeof(vecs) / sizeof(vecs[0]); k++) {
        const struct vec *v = &vecs[k];
        uint32_t st = pog_prng_state(v->s, v->i, v->j);

        CHECK_INT_EQ(st, v->state);
        CHECK_INT_EQ(pog_f32_bits(pog_prng_value(st)), v->bits);
        CHECK_INT_EQ(pog_f32_bits(pog_prng_elem(v->s, v->i, v->j)), v->bits);
    }
    /* Only the low 32 bits of the seed matter. */
    for (uint64_t i = 0; i < 50; i += 7)
        for (uint64_t j = 0; j < 50; j += 5) {
            CHECK_INT_EQ(pog_prng_state(UINT64_MAX, i, j),
                         pog_prng_state(4294967295u, i, j));
            CHECK_INT_EQ(pog_prng_state((uint64_t)1 << 32, i, j),
                         pog_prng_state(0, i, j));
        }
    /* Indices wrap too: (s + i + j) mod 2^32. */
    CHECK_INT_EQ(pog_prng_state(5, (uint64_t)1 << 32, 0),
                 pog_prng_state(5, 0, 0));
}

static void check_ties(void)
{
    /* Round-half-even ties: the validator's value is 1 ulp higher. */
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value(16777217u)), 0x3b800001u);
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value_torch(16777217u)), 0x3b800000u);
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value(2147483776u)), 0x3f000001u);
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value_torch(2147483776u)), 0x3f000000u);
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value(4294967295u)), 0x3f800000u);
    CHECK_INT_EQ(pog_f32_bits(pog_prng_value(16777216u)),
                 pog_f32_bits(pog_prng_value_torch(16777216u)));
}

static void check_exhaustive(void)
{
    const char *env = getenv("COMPUTEDB_LONG_TESTS");
    uint64_t differ = 0;

    if (!env || strcmp(env, "1")) {
        fprintf(stderr, "note: COMPUTEDB_LONG_TESTS=1 runs the 2^32 count\n");
        return;
    }
    for (uint64_t s = 0; s <= UINT32_MAX; s++) {
        uint32_t a = pog_f32_bits(pog_prng_value((uint32_t)s));
        uint32_t b = pog_f32_bits(pog_prng_value_torch((uint32_t)s));

        if (a != b) {
            CHECK(a == b + 1);
            differ++;
        }
    }
    CHECK_INT_EQ(differ, 33554434);
}

static void check_hankel(void)
{
    for (uint64_t i = 0; i < 40; i++)
        for (uint64_t j = 0; j < 40; j++) {
            float a = pog_prng_elem(42, i, j);

            CHECK(pog_f32_bits(a) == pog_f32_bits(pog_prng_elem(42, j, i)));
            CHECK(pog_f32_bits(a) == pog_f32_bits(pog_prng_elem(42, 0, i + j)));
        }
}

int main(void)
{
    check_xorshift();
    check_vectors();
    check_ties();
    check_hankel();
    check_exhaustive();
    return 0;
}
