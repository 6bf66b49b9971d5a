/* SPDX-License-Identifier: MIT */
/* SHA-256 (docs/pog.md 5.1 item 4): the FIPS 180-4 vectors, every length around
 * the padding boundaries and streamed input against libsodium, and the
 * word-based leaf and parent hashes the CUDA kernel runs against the byte
 * path. */
#include "check.h"
#include "gpu/pog_parse.h"
#include "gpu/pog_sha256.h"

#include <sodium.h>

static void check_hex(const uint8_t d[32], const char *want)
{
    char hex[65];

    pog_hex_encode(d, 32, hex);
    CHECK_STR_EQ(hex, want);
}

static void check_fips(void)
{
    static const char m448[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char m896[] =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
        "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    struct pog_sha256 ctx;
    char a[1000];
    uint8_t d[32];

    pog_sha256("", 0, d);
    check_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
                 "7852b855");
    pog_sha256("abc", 3, d);
    check_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
                 "f20015ad");
    pog_sha256(m448, strlen(m448), d);
    check_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
                 "19db06c1");
    pog_sha256(m896, strlen(m896), d);
    check_hex(d, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac4503"
                 "7afee9d1");
    memset(a, 'a', sizeof(a));
    pog_sha256_init(&ctx);
    for (int k = 0; k < 1000; k++)
        pog_sha256_update(&ctx, a, sizeof(a));
    pog_sha256_final(&ctx, d);
    check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
                 "c7112cd0");
}

static void check_lengths(void)
{
    uint8_t buf[600], d[32], ref[32];

    randombytes_buf(buf, sizeof(buf));
    /* Every length to 300 covers 55/56/63/64/65/119/120/128 and more. */
    for (size_t len = 0; len <= 300; len++) {
        pog_sha256(buf, len, d);
        crypto_hash_sha256(ref, buf, len);
        CHECK(memcmp(d, ref, 32) == 0);
    }
    /* Streaming in uneven pieces gives the same digest. */
    for (size_t step = 1; step < 130; step += 11) {
        struct pog_sha256 ctx;

        pog_sha256_init(&ctx);
        for (size_t off = 0; off < sizeof(buf); off += step)
            pog_sha256_update(&ctx, buf + off,
                              sizeof(buf) - off < step ? sizeof(buf) - off
                                                       : step);
        pog_sha256_update(&ctx, NULL, 0);
        pog_sha256_final(&ctx, d);
        crypto_hash_sha256(ref, buf, sizeof(buf));
        CHECK(memcmp(d, ref, 32) == 0);
    }
}

/* Leaves: the kernel's word path against bytes through libsodium. */
static void check_leaves(void)
{
    static const uint32_t ns[] = {1,  2,  13, 14, 15, 16,  17,   30,
                                  31, 32, 33, 64, 65, 100, 1000, 4096};
    float *row = malloc(4096 * sizeof(float));
    double *row64 = malloc(4096 * sizeof(double));
    uint8_t d[32], ref[32];

    CHECK(row && row64);
    for (uint32_t k = 0; k < 4096; k++) {
        row64[k] = (double)randombytes_uniform(1u << 30) / 7.0 - 1e7;
        row[k] = (float)row64[k];
    }
    for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
        crypto_hash_sha256(ref, (const uint8_t *)row, 4 * (size_t)ns[t]);
        pog_leaf_f32(row, ns[t], d);
        CHECK(memcmp(d, ref, 32) == 0);
        pog_leaf_f64(row64, ns[t], d);
        CHECK(memcmp(d, ref, 32) == 0);
    }
    free(row);
    free(row64);
}

static void check_pair(void)
{
    uint8_t lr[64], d[32], ref[32];

    for (int k = 0; k < 20; k++) {
        randombytes_buf(lr, sizeof(lr));
        pog_sha256_pair(lr, lr + 32, d);
        crypto_hash_sha256(ref, lr, 64);
        CHECK(memcmp(d, ref, 32) == 0);
        /* Output may alias an input, as the verifier uses it. */
        memcpy(d, lr, 32);
        pog_sha256_pair(d, lr + 32, d);
        CHECK(memcmp(d, ref, 32) == 0);
    }
}

int main(void)
{
    CHECK(sodium_init() >= 0);
    check_fips();
    check_lengths();
    check_leaves();
    check_pair();
    return 0;
}
