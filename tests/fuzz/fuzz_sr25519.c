/* SPDX-License-Identifier: MIT */
/* sr25519 verification (core/sr25519.c) on raw bytes: the input is
 * pk (32) || signature (64) || message, short inputs zero-padded.
 *   Anything accepted verifies again, and with its marker cleared or any
 *   one of its 512 bits flipped it is refused.
 *   The same bytes then drive a signature made here (the first 32 bytes as
 *   a mini secret, the next 32 as the signer's randomness, over the
 *   message): it verifies, and is refused under another message, without
 *   its marker, and with eight bits flipped at places the input picks. */
#include "core/sr25519.h"
#include "fuzz.h"

#include <sodium.h>

#include <string.h>

enum {
    PK = SR25519_PUBLIC_BYTES,
    SIG = SR25519_SIGNATURE_BYTES,
    HEAD = PK + SIG,
    PICKED_FLIPS = 8
};

static bool verify_flipped(const uint8_t sig[SIG], int bit, const uint8_t *msg,
                           size_t len, const uint8_t pk[PK])
{
    uint8_t s[SIG];

    memcpy(s, sig, SIG);
    s[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    return sr25519_verify(s, msg, len, pk);
}

static void check_unmarked(const uint8_t sig[SIG], const uint8_t *msg,
                           size_t len, const uint8_t pk[PK])
{
    uint8_t s[SIG];

    memcpy(s, sig, SIG);
    s[SIG - 1] &= 0x7f;
    FZ_ASSERT(!sr25519_verify(s, msg, len, pk));
}

/* What an accepted signature must look like, checked apart from
 * core/sr25519.c: marked, s < l, R and pk canonical, pk not the identity. */
static bool is_well_formed(const uint8_t sig[SIG], const uint8_t pk[PK])
{
    static const uint8_t l[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
        0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    uint8_t s[32];

    memcpy(s, sig + 32, 32);
    s[31] &= 0x7f;
    return (sig[SIG - 1] & 0x80) && sodium_compare(s, l, 32) < 0 &&
           crypto_core_ristretto255_is_valid_point(sig) &&
           crypto_core_ristretto255_is_valid_point(pk) &&
           !sodium_is_zero(pk, PK);
}

static void check_accepted(const uint8_t sig[SIG], const uint8_t *msg,
                           size_t len, const uint8_t pk[PK])
{
    FZ_ASSERT(is_well_formed(sig, pk));
    FZ_ASSERT(sr25519_verify(sig, msg, len, pk));
    check_unmarked(sig, msg, len, pk);
    for (int bit = 0; bit < 8 * SIG; bit++)
        FZ_ASSERT(!verify_flipped(sig, bit, msg, len, pk));
}

static void check_signed(const uint8_t head[HEAD], const uint8_t *msg,
                         size_t len)
{
    uint8_t kp[SR25519_SECRET_BYTES + PK], sig[SIG];
    const uint8_t *pk = kp + SR25519_SECRET_BYTES;

    FZ_ASSERT(sr25519_keypair_from_seed(head, kp, kp + SR25519_SECRET_BYTES) ==
              SVC_OK);
    FZ_ASSERT(sr25519_sign_rnd(sig, msg, len, kp, head + PK) == SVC_OK);
    FZ_ASSERT(sr25519_verify(sig, msg, len, pk));
    /* Another message: the one without its last byte, or "x". */
    FZ_ASSERT(!sr25519_verify(sig, len ? msg : (const uint8_t *)"x",
                              len ? len - 1 : 1, pk));
    check_unmarked(sig, msg, len, pk);
    for (int i = 0; i < PICKED_FLIPS; i++) {
        int bit =
            ((head[PK + 32 + 2 * i] << 8) | head[PK + 33 + 2 * i]) % (8 * SIG);

        FZ_ASSERT(!verify_flipped(sig, bit, msg, len, pk));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[HEAD] = {0};
    const uint8_t *msg = data + (size < HEAD ? size : HEAD);
    size_t len = size < HEAD ? 0 : size - HEAD;

    fz_init(false);
    memcpy(head, data, size < HEAD ? size : HEAD);
    if (sr25519_verify(head + PK, msg, len, head))
        check_accepted(head + PK, msg, len, head);
    check_signed(head, msg, len);
    return 0;
}
