/* SPDX-License-Identifier: MIT */
/* sr25519 (schnorrkel 0.11 simple signatures, context "substrate") on
 * libsodium's Ristretto255 and core/merlin.c. The transcript, key expansion
 * and witness follow w3f/schnorrkel's sign.rs, context.rs and keys.rs;
 * docs/AUTH.md section 4.5 records the decision.
 *
 * libsodium refuses to return the identity: crypto_scalarmult_ristretto255
 * and its _base variant return -1 when the product is the identity. Here
 * that happens only for a zero scalar or, in verification, a challenge
 * that reduces to zero, and the identity's encoding is 32 zero bytes
 * (which crypto_core_ristretto255_add/sub accept), so mul_base() and
 * mul_point() substitute it instead of failing; the identity as a public
 * key is refused up front, since every signature would verify under it
 * once k * A vanished. */
#include "sr25519.h"

#include "merlin.h"

#include <sodium.h>

#include <string.h>

enum { POINT = 32, SCALAR = 32, WIDE = 64, NONCE = 32, RND = 32 };

static const char signing_ctx[] = "substrate";
static const char proto_name[] = "Schnorr-sig";

/* l = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t group_order[SCALAR] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
    0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* One signature to make: the message and the key pair. */
struct sign_in {
    const uint8_t *msg;
    size_t len;
    const uint8_t *secret; /* key scalar || nonce seed */
    const uint8_t *pk;
    const uint8_t *rnd; /* RND bytes of outside randomness */
};

/* s < l, in constant time (a secret key scalar goes through here too). */
static bool is_canonical(const uint8_t s[SCALAR])
{
    return sodium_compare(s, group_order, SCALAR) < 0;
}

/* A canonical encoding of a point other than the identity. */
static bool is_public_key(const uint8_t pk[POINT])
{
    return crypto_core_ristretto255_is_valid_point(pk) &&
           !sodium_is_zero(pk, POINT);
}

/* n * B; the identity (n = 0) as 32 zero bytes. */
static void mul_base(uint8_t q[POINT], const uint8_t n[SCALAR])
{
    if (crypto_scalarmult_ristretto255_base(q, n) != 0)
        memset(q, 0, POINT);
}

/* n * p for a valid point p; the identity as 32 zero bytes. */
static void mul_point(uint8_t q[POINT], const uint8_t n[SCALAR],
                      const uint8_t p[POINT])
{
    if (crypto_scalarmult_ristretto255(q, n, p) != 0)
        memset(q, 0, POINT);
}

/* The transcript both sides build before R: SigningContext::new(ctx)
 * .bytes(msg), then proto_name("Schnorr-sig") and commit_point("sign:pk"). */
static void transcript_open(struct merlin *t, const uint8_t *msg, size_t len,
                            const uint8_t pk[POINT])
{
    merlin_init(t, "SigningContext");
    merlin_append(t, "", (const uint8_t *)signing_ctx, sizeof(signing_ctx) - 1);
    merlin_append(t, "sign-bytes", msg, len);
    merlin_append(t, "proto-name", (const uint8_t *)proto_name,
                  sizeof(proto_name) - 1);
    merlin_append(t, "sign:pk", pk, POINT);
}

/* k = challenge_scalar("sign:c") after commit_point("sign:R", R): 64
 * bytes reduced mod l. */
static void challenge_scalar(struct merlin *t, const uint8_t r_enc[POINT],
                             uint8_t k[SCALAR])
{
    uint8_t wide[WIDE];

    merlin_append(t, "sign:R", r_enc, POINT);
    merlin_challenge(t, "sign:c", wide, sizeof(wide));
    crypto_core_ristretto255_scalar_reduce(k, wide);
}

bool sr25519_verify(const uint8_t sig[SR25519_SIGNATURE_BYTES],
                    const uint8_t *msg, size_t len,
                    const uint8_t pk[SR25519_PUBLIC_BYTES])
{
    uint8_t s[SCALAR], k[SCALAR], sb[POINT], ka[POINT], r_enc[POINT];
    struct merlin t;

    if ((uint64_t)len > UINT32_MAX || !(sig[63] & 0x80))
        return false;
    memcpy(s, sig + POINT, SCALAR);
    s[SCALAR - 1] &= 0x7f; /* the schnorrkel marker */
    if (!is_canonical(s) || !is_public_key(pk) ||
        !crypto_core_ristretto255_is_valid_point(sig))
        return false;
    transcript_open(&t, msg, len, pk);
    challenge_scalar(&t, sig, k);
    mul_base(sb, s);
    mul_point(ka, k, pk);
    if (crypto_core_ristretto255_sub(r_enc, sb, ka) != 0)
        return false;
    return crypto_verify_32(r_enc, sig) == 0;
}

/* Divides the 256-bit little-endian integer s by the cofactor 8 (a right
 * shift by 3), as schnorrkel's divide_scalar_bytes_by_cofactor. */
static void divide_by_cofactor(uint8_t s[SCALAR])
{
    uint8_t carry = 0;

    for (int i = SCALAR - 1; i >= 0; i--) {
        uint8_t low = s[i] & 7;

        s[i] = (uint8_t)((s[i] >> 3) | carry);
        carry = (uint8_t)(low << 5);
    }
}

enum svc_rc sr25519_keypair_from_seed(const uint8_t seed[SR25519_SEED_BYTES],
                                      uint8_t secret[SR25519_SECRET_BYTES],
                                      uint8_t pk[SR25519_PUBLIC_BYTES])
{
    uint8_t h[crypto_hash_sha512_BYTES], pub[POINT];
    enum svc_rc rc = SVC_ERR_INTERNAL;

    if (crypto_hash_sha512(h, seed, SR25519_SEED_BYTES) != 0)
        goto out;
    /* Clamp as ed25519 does; the quotient by 8 is < 2^252 < l. */
    h[0] &= 248;
    h[31] &= 63;
    h[31] |= 64;
    divide_by_cofactor(h);
    if (crypto_scalarmult_ristretto255_base(pub, h) != 0)
        goto out;
    memcpy(secret, h, SR25519_SECRET_BYTES); /* key || nonce */
    memcpy(pk, pub, POINT);
    rc = SVC_OK;
out:
    sodium_memzero(h, sizeof(h));
    return rc;
}

/* A key pair sign may use: a canonical, non-zero scalar whose public key
 * is pk (signing under another pk yields signatures nobody accepts). */
static enum svc_rc check_keypair(const uint8_t secret[SR25519_SECRET_BYTES],
                                 const uint8_t pk[POINT])
{
    uint8_t want[POINT];

    if (!is_canonical(secret) ||
        crypto_scalarmult_ristretto255_base(want, secret) != 0)
        return SVC_ERR_INVALID;
    return sodium_memcmp(want, pk, POINT) == 0 ? SVC_OK : SVC_ERR_INVALID;
}

/* r = witness_scalar("signing", [nonce]) on a fork of t: Merlin's
 * TranscriptRng rekeyed with the nonce seed, then with rnd. */
static void witness_scalar(const struct merlin *t, const uint8_t nonce[NONCE],
                           const uint8_t rnd[RND], uint8_t r[SCALAR])
{
    struct merlin w = *t;
    uint8_t wide[WIDE];

    merlin_witness_rekey(&w, "signing", nonce, NONCE);
    merlin_witness_finalize(&w, rnd);
    merlin_witness_bytes(&w, wide, sizeof(wide));
    crypto_core_ristretto255_scalar_reduce(r, wide);
    sodium_memzero(wide, sizeof(wide));
    merlin_wipe(&w);
}

/* R = r * B, k from the transcript, s = k * a + r; sig = R || s with the
 * marker set. */
static enum svc_rc sign_core(uint8_t sig[SR25519_SIGNATURE_BYTES],
                             const struct sign_in *in)
{
    uint8_t r[SCALAR], k[SCALAR], ka[SCALAR], out[SR25519_SIGNATURE_BYTES];
    struct merlin t;
    enum svc_rc rc = SVC_ERR_INVALID;

    if ((uint64_t)in->len > UINT32_MAX)
        return rc;
    rc = check_keypair(in->secret, in->pk);
    if (rc)
        return rc;
    transcript_open(&t, in->msg, in->len, in->pk);
    witness_scalar(&t, in->secret + SCALAR, in->rnd, r);
    mul_base(out, r);
    challenge_scalar(&t, out, k);
    crypto_core_ristretto255_scalar_mul(ka, k, in->secret);
    crypto_core_ristretto255_scalar_add(out + POINT, ka, r);
    out[SR25519_SIGNATURE_BYTES - 1] |= 0x80; /* the schnorrkel marker */
    memcpy(sig, out, sizeof(out));
    sodium_memzero(r, sizeof(r));
    sodium_memzero(ka, sizeof(ka));
    merlin_wipe(&t);
    return SVC_OK;
}

enum svc_rc sr25519_sign(uint8_t sig[SR25519_SIGNATURE_BYTES],
                         const uint8_t *msg, size_t len,
                         const uint8_t secret[SR25519_SECRET_BYTES],
                         const uint8_t pk[SR25519_PUBLIC_BYTES])
{
    uint8_t rnd[RND];
    struct sign_in in = {msg, len, secret, pk, rnd};
    enum svc_rc rc;

    if (sodium_init() < 0)
        return SVC_ERR_INTERNAL;
    randombytes_buf(rnd, sizeof(rnd));
    rc = sign_core(sig, &in);
    sodium_memzero(rnd, sizeof(rnd));
    return rc;
}

enum svc_rc sr25519_sign_rnd(
    uint8_t sig[SR25519_SIGNATURE_BYTES], const uint8_t *msg, size_t len,
    const uint8_t keypair[SR25519_SECRET_BYTES + SR25519_PUBLIC_BYTES],
    const uint8_t rnd[32])
{
    struct sign_in in = {msg, len, keypair, keypair + SR25519_SECRET_BYTES,
                         rnd};

    return sign_core(sig, &in);
}
