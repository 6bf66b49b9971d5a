/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4) for PoG: one compression function, fully unrolled
 * with the round constants as immediates, that the host and the CUDA row
 * hashing kernel both compile (POG_HD), the leaf hash of a matrix row, the
 * Merkle parent hash, and a streaming host API for arbitrary bytes. */
#ifndef POG_SHA256_H
#define POG_SHA256_H

#include "pog_hd.h"

#include <stddef.h>
#include <stdint.h>

enum { POG_HASH_LEN = 32 };

#define POG_SHA_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define POG_SHA_S0(x)                                                          \
    (POG_SHA_ROR(x, 2) ^ POG_SHA_ROR(x, 13) ^ POG_SHA_ROR(x, 22))
#define POG_SHA_S1(x)                                                          \
    (POG_SHA_ROR(x, 6) ^ POG_SHA_ROR(x, 11) ^ POG_SHA_ROR(x, 25))
#define POG_SHA_s0(x)        (POG_SHA_ROR(x, 7) ^ POG_SHA_ROR(x, 18) ^ ((x) >> 3))
#define POG_SHA_s1(x)        (POG_SHA_ROR(x, 17) ^ POG_SHA_ROR(x, 19) ^ ((x) >> 10))
#define POG_SHA_CH(e, f, g)  (((e) & (f)) ^ (~(e) & (g)))
#define POG_SHA_MAJ(a, b, c) (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)))

/* Round i with constant k; from round 16 on, w[] is the rolling 16-word
 * message schedule. i is always a literal, so the branch folds away. */
#define POG_SHA_R(a, b, c, d, e, f, g, h, i, k)                                \
    do {                                                                       \
        uint32_t t1_;                                                          \
        if ((i) >= 16)                                                         \
            w[(i)&15] += POG_SHA_s1(w[((i)-2) & 15]) + w[((i)-7) & 15] +       \
                         POG_SHA_s0(w[((i)-15) & 15]);                         \
        t1_ = (h) + POG_SHA_S1(e) + POG_SHA_CH(e, f, g) + (k) + w[(i)&15];     \
        (d) += t1_;                                                            \
        (h) = t1_ + POG_SHA_S0(a) + POG_SHA_MAJ(a, b, c);                      \
    } while (0)

/* Eight rounds, rotating the roles of the working variables. */
#define POG_SHA_R8(i, k0, k1, k2, k3, k4, k5, k6, k7)                          \
    do {                                                                       \
        POG_SHA_R(a, b, c, d, e, f, g, h, (i) + 0, k0);                        \
        POG_SHA_R(h, a, b, c, d, e, f, g, (i) + 1, k1);                        \
        POG_SHA_R(g, h, a, b, c, d, e, f, (i) + 2, k2);                        \
        POG_SHA_R(f, g, h, a, b, c, d, e, (i) + 3, k3);                        \
        POG_SHA_R(e, f, g, h, a, b, c, d, (i) + 4, k4);                        \
        POG_SHA_R(d, e, f, g, h, a, b, c, (i) + 5, k5);                        \
        POG_SHA_R(c, d, e, f, g, h, a, b, (i) + 6, k6);                        \
        POG_SHA_R(b, c, d, e, f, g, h, a, (i) + 7, k7);                        \
    } while (0)

/* Sets st to the SHA-256 initial hash value. */
POG_INLINE void pog_sha256_iv(uint32_t st[8])
{
    st[0] = 0x6a09e667u;
    st[1] = 0xbb67ae85u;
    st[2] = 0x3c6ef372u;
    st[3] = 0xa54ff53au;
    st[4] = 0x510e527fu;
    st[5] = 0x9b05688cu;
    st[6] = 0x1f83d9abu;
    st[7] = 0x5be0cd19u;
}

/* Absorbs one 64-byte block given as 16 big-endian words. Consumes w: it
 * holds the tail of the message schedule afterwards. */
POG_INLINE void pog_sha256_compress(uint32_t st[8], uint32_t w[16])
{
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

    POG_SHA_R8(0, 0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
               0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u);
    POG_SHA_R8(8, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
               0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u);
    POG_SHA_R8(16, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
               0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau);
    POG_SHA_R8(24, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
               0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u);
    POG_SHA_R8(32, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
               0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u);
    POG_SHA_R8(40, 0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
               0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u);
    POG_SHA_R8(48, 0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
               0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u);
    POG_SHA_R8(56, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
               0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u);
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

/* Writes the digest (big-endian words) of a finished state. */
POG_INLINE void pog_sha256_digest(const uint32_t st[8],
                                  uint8_t out[POG_HASH_LEN])
{
    for (int t = 0; t < 8; t++) {
        out[4 * t + 0] = (uint8_t)(st[t] >> 24);
        out[4 * t + 1] = (uint8_t)(st[t] >> 16);
        out[4 * t + 2] = (uint8_t)(st[t] >> 8);
        out[4 * t + 3] = (uint8_t)st[t];
    }
}

/* Message word k of a row: the 4 little-endian bytes of element k as a
 * float32. Exactly one of f32 and f64 is set; f64 elements are rounded to
 * float first (the fp64-accumulate mode keeps C in double). */
POG_INLINE uint32_t pog_row_word(const float *f32, const double *f64,
                                 uint64_t k)
{
    float v = f32 ? f32[k] : (float)f64[k];

    return pog_bswap32(pog_f32_bits(v));
}

/* Leaf hash of a row: SHA-256 of n little-endian float32 values, 4n raw
 * bytes. Every message word is a whole element, so the padding starts on a
 * word boundary; when fewer than 3 words are left free in the last block (14
 * or 15 elements in it) the length goes into an extra block. */
POG_INLINE void pog_leaf_row(const float *f32, const double *f64, uint64_t n,
                             uint8_t out[POG_HASH_LEN])
{
    uint64_t bits = n * 32u, k = 0;
    uint32_t st[8], w[16];
    unsigned r, t;

    pog_sha256_iv(st);
    for (; n - k >= 16; k += 16) {
        for (t = 0; t < 16; t++)
            w[t] = pog_row_word(f32, f64, k + t);
        pog_sha256_compress(st, w);
    }
    r = (unsigned)(n - k);
    /* Constant indices only: a GPU keeps w[] in registers. */
    for (t = 0; t < 16; t++)
        w[t] = t < r    ? pog_row_word(f32, f64, k + t)
               : t == r ? 0x80000000u
                        : 0u;
    if (r >= 14) {
        pog_sha256_compress(st, w);
        for (t = 0; t < 16; t++)
            w[t] = 0u;
    }
    w[14] = (uint32_t)(bits >> 32);
    w[15] = (uint32_t)bits;
    pog_sha256_compress(st, w);
    pog_sha256_digest(st, out);
}

/* Leaf hash of a float32 row of n elements. */
POG_INLINE void pog_leaf_f32(const float *row, uint64_t n,
                             uint8_t out[POG_HASH_LEN])
{
    pog_leaf_row(row, 0, n, out);
}

/* Leaf hash of a double row, each element rounded to float32 first. */
POG_INLINE void pog_leaf_f64(const double *row, uint64_t n,
                             uint8_t out[POG_HASH_LEN])
{
    pog_leaf_row(0, row, n, out);
}

/* Merkle parent: SHA-256 of the 64 bytes left || right. */
POG_INLINE void pog_sha256_pair(const uint8_t left[POG_HASH_LEN],
                                const uint8_t right[POG_HASH_LEN],
                                uint8_t out[POG_HASH_LEN])
{
    uint32_t st[8], w[16];

    pog_sha256_iv(st);
    for (int t = 0; t < 16; t++) {
        const uint8_t *p = t < 8 ? left + 4 * t : right + 4 * (t - 8);

        w[t] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | (uint32_t)p[3];
    }
    pog_sha256_compress(st, w);
    for (int t = 0; t < 16; t++)
        w[t] = 0u;
    w[0] = 0x80000000u;
    w[15] = 512u;
    pog_sha256_compress(st, w);
    pog_sha256_digest(st, out);
}

/* Streaming SHA-256 over arbitrary bytes (host only). */
struct pog_sha256 {
    uint32_t st[8];
    uint8_t buf[64];
    size_t fill;    /* bytes waiting in buf */
    uint64_t total; /* bytes absorbed so far */
};

/* Starts a new hash. */
void pog_sha256_init(struct pog_sha256 *ctx);
/* Absorbs len bytes of data (NULL allowed when len is 0). */
void pog_sha256_update(struct pog_sha256 *ctx, const void *data, size_t len);
/* Pads, writes the digest to out and leaves ctx spent. */
void pog_sha256_final(struct pog_sha256 *ctx, uint8_t out[POG_HASH_LEN]);
/* One-shot SHA-256 of len bytes. */
void pog_sha256(const void *data, size_t len, uint8_t out[POG_HASH_LEN]);

#endif
