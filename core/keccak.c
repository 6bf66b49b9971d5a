/* SPDX-License-Identifier: MIT */
/* Keccak-f[1600] as the Keccak reference describes it (theta, rho, pi,
 * chi, iota on a 5x5 array of lanes), written for clarity over speed: the
 * only user, the Merlin transcript, permutes a few times per signature. */
#include "keccak.h"

#include <sodium.h>

#include <string.h>

enum { ROUNDS = 24, LANES = 25 };

/* iota: the constant XORed into lane (0, 0) after each round. */
static const uint64_t round_constants[ROUNDS] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a,
    0x8000000080008000, 0x000000000000808b, 0x0000000080000001,
    0x8000000080008081, 0x8000000000008009, 0x000000000000008a,
    0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080,
    0x000000000000800a, 0x800000008000000a, 0x8000000080008081,
    0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

/* rho: the left rotation of lane x + 5y. */
static const unsigned rotations[LANES] = {
    0,  1,  62, 28, 27, /* y = 0 */
    36, 44, 6,  55, 20, /* y = 1 */
    3,  10, 43, 25, 39, /* y = 2 */
    41, 45, 15, 21, 8,  /* y = 3 */
    18, 2,  61, 56, 14, /* y = 4 */
};

static uint64_t rotl(uint64_t v, unsigned n)
{
    /* A shift by 64 is undefined, so rotation by 0 is its own case. */
    return n ? (v << n) | (v >> (64 - n)) : v;
}

static void load_lanes(uint64_t a[LANES], const uint8_t *s)
{
    for (int i = 0; i < LANES; i++) {
        uint64_t v = 0;

        for (int b = 7; b >= 0; b--)
            v = (v << 8) | s[8 * i + b];
        a[i] = v;
    }
}

static void store_lanes(uint8_t *s, const uint64_t a[LANES])
{
    for (int i = 0; i < LANES; i++)
        for (int b = 0; b < 8; b++)
            s[8 * i + b] = (uint8_t)(a[i] >> (8 * b));
}

/* theta: each lane takes the parity of two neighbouring columns. */
static void theta(uint64_t a[LANES])
{
    uint64_t c[5];

    for (int x = 0; x < 5; x++)
        c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; x++) {
        uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);

        for (int y = 0; y < 5; y++)
            a[x + 5 * y] ^= d;
    }
}

/* rho and pi: lane (x, y) rotates and moves to (y, 2x + 3y). */
static void rho_pi(uint64_t a[LANES])
{
    uint64_t b[LANES];

    for (int x = 0; x < 5; x++)
        for (int y = 0; y < 5; y++)
            b[y + 5 * ((2 * x + 3 * y) % 5)] =
                rotl(a[x + 5 * y], rotations[x + 5 * y]);
    memcpy(a, b, sizeof(b));
    sodium_memzero(b, sizeof(b));
}

/* chi: the only non-linear step, row by row. */
static void chi(uint64_t a[LANES])
{
    uint64_t row[5];

    for (int y = 0; y < 5; y++) {
        memcpy(row, a + 5 * y, sizeof(row));
        for (int x = 0; x < 5; x++)
            a[x + 5 * y] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    sodium_memzero(row, sizeof(row));
}

void keccak_f1600(uint8_t state[KECCAK_STATE_BYTES])
{
    uint64_t a[LANES];

    load_lanes(a, state);
    for (int r = 0; r < ROUNDS; r++) {
        theta(a);
        rho_pi(a);
        chi(a);
        a[0] ^= round_constants[r];
    }
    store_lanes(state, a);
    sodium_memzero(a, sizeof(a));
}
