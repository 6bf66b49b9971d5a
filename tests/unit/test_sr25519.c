/* SPDX-License-Identifier: MIT */
/* core/keccak.h, core/merlin.h and core/sr25519.h against published
 * vectors, then sr25519 round trips and every refusal the strict verifier
 * promises. Sources of the vectors:
 *   Keccak-f[1600] of the zero state: XKCP KeccakF-1600-IntermediateValues;
 *     SHA3-256 (built here on the permutation): FIPS 202 / NIST examples.
 *   STROBE conformance: dalek-cryptography/merlin src/strobe.rs
 *     test_conformance (values as published by its ports).
 *   Merlin simple and complex transcripts: merlin src/transcript.rs
 *     equivalence_simple / equivalence_complex (values from gtank/merlin
 *     and oasisprotocol/curve25519-voi, which pin them).
 *   Key expansion: schnorrkel keys.rs and polkadot-js/wasm sr25519.rs
 *     (seed fac7959d.. -> 46ebddef.., its half-ed25519 secret 28b0ae22..);
 *     sp-core sr25519.rs (seeds 9d61b19d.. and "1234..9012"; //Alice);
 *     micro-sr25519 test/basic.test.ts (//Alice's expanded secret, the
 *     key agreement vector, a signature with fixed randomness, the
 *     <Bytes>-wrapped signature).
 *   The Alice signature: sr25519-donna tests/test_check.c, polkadot-js
 *     wasm-crypto, micro-sr25519.
 *   Unmarked (pre-0.8 schnorrkel) signatures that must be refused:
 *     sp-core verify_known_old_message_should_work and
 *     verify_from_old_wasm_works. */
#include "check.h"
#include "core/keccak.h"
#include "core/merlin.h"
#include "core/sr25519.h"

#include <sodium.h>

#include <stdint.h>

enum { KEYPAIR = SR25519_SECRET_BYTES + SR25519_PUBLIC_BYTES };

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    CHECK(strlen(hex) == 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (uint8_t)v;
    }
}

static bool eq_hex(const uint8_t *got, const char *hex, size_t n)
{
    uint8_t want[256];

    CHECK(n <= sizeof(want));
    unhex(hex, want, n);
    if (memcmp(got, want, n) == 0)
        return true;
    fprintf(stderr, "got  ");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", got[i]);
    fprintf(stderr, "\nwant %s\n", hex);
    return false;
}

static uint64_t lane(const uint8_t *state, int i)
{
    uint64_t v = 0;

    for (int b = 7; b >= 0; b--)
        v = (v << 8) | state[8 * i + b];
    return v;
}

static void test_keccak_zero_state(void)
{
    uint8_t st[KECCAK_STATE_BYTES] = {0};

    keccak_f1600(st);
    CHECK(lane(st, 0) == 0xf1258f7940e1dde7);
    CHECK(lane(st, 1) == 0x84d5ccf933c0478a);
    CHECK(lane(st, 12) == 0x81a57c16dbcf555f);
    CHECK(lane(st, 24) == 0xeaf1ff7b5ceca249);
    keccak_f1600(st);
    CHECK(lane(st, 0) == 0x2d5c954df96ecb3c);
}

/* SHA3-256 on the permutation: rate 136, domain byte 0x06, final 0x80. */
static void sha3_256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    uint8_t st[KECCAK_STATE_BYTES] = {0};
    size_t pos = 0;

    for (size_t i = 0; i < len; i++) {
        st[pos++] ^= msg[i];
        if (pos == 136) {
            keccak_f1600(st);
            pos = 0;
        }
    }
    st[pos] ^= 0x06;
    st[135] ^= 0x80;
    keccak_f1600(st);
    memcpy(out, st, 32);
}

static void test_sha3(void)
{
    uint8_t d[32], a3[200];

    sha3_256(NULL, 0, d);
    CHECK(eq_hex(
        d, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a",
        32));
    sha3_256((const uint8_t *)"abc", 3, d);
    CHECK(eq_hex(
        d, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        32));
    memset(a3, 0xa3, sizeof(a3));
    sha3_256(a3, sizeof(a3), d);
    CHECK(eq_hex(
        d, "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787",
        32));
}

#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

/* merlin's strobe.rs test_conformance: a 1024-byte AD across several
 * blocks, a continued meta-AD, PRF, and KEY. */
static void test_strobe_conformance(void)
{
    struct merlin_strobe s;
    uint8_t msg[1024], prf[32];

    memset(msg, 99, sizeof(msg));
    merlin_strobe_init(&s, LIT("Conformance Test Protocol"));
    merlin_strobe_meta_ad(&s, LIT("ms"), false);
    merlin_strobe_meta_ad(&s, LIT("g"), true);
    merlin_strobe_ad(&s, msg, sizeof(msg), false);
    merlin_strobe_meta_ad(&s, LIT("prf"), false);
    merlin_strobe_prf(&s, prf, sizeof(prf), false);
    CHECK(eq_hex(
        prf, "b48e645ca17c667fd5206ba57a6a228d72d8e1903814d3f17f622996d7cfefb0",
        32));
    merlin_strobe_meta_ad(&s, LIT("key"), false);
    merlin_strobe_key(&s, prf, sizeof(prf), false);
    merlin_strobe_meta_ad(&s, LIT("prf"), false);
    merlin_strobe_prf(&s, prf, sizeof(prf), false);
    CHECK(eq_hex(
        prf, "07e45cce8078cee259e3e375bb85d75610e2d1e1201c5f645045a194edd49ff8",
        32));
}

static void test_merlin_vectors(void)
{
    struct merlin t;
    uint8_t c[32], data[1024];

    merlin_init(&t, "test protocol");
    merlin_append(&t, "some label", LIT("some data"));
    merlin_challenge(&t, "challenge", c, sizeof(c));
    CHECK(eq_hex(
        c, "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615",
        32));

    memset(data, 99, sizeof(data));
    merlin_init(&t, "test protocol");
    merlin_append(&t, "step1", LIT("some data"));
    for (int i = 0; i < 32; i++) {
        merlin_challenge(&t, "challenge", c, sizeof(c));
        merlin_append(&t, "bigdata", data, sizeof(data));
        merlin_append(&t, "challengedata", c, sizeof(c));
    }
    CHECK(eq_hex(
        c, "a8c933f54fae76e3f9bea93648c1308e7dfa2152dd51674ff3ca438351cf003c",
        32));
}

/* append_u64 is append_message of the 8 little-endian bytes; a copy of a
 * transcript is a clone; the witness RNG depends on the witness. */
static void test_merlin_api(void)
{
    static const uint8_t le[8] = {0x08, 0x07, 0x06, 0x05,
                                  0x04, 0x03, 0x02, 0x01};
    static const uint8_t rnd[MERLIN_RNG_BYTES] = {0};
    struct merlin a, b;
    uint8_t ca[16], cb[16];

    merlin_init(&a, "u64");
    b = a;
    merlin_append_u64(&a, "x", 0x0102030405060708);
    merlin_append(&b, "x", le, sizeof(le));
    merlin_challenge(&a, "c", ca, sizeof(ca));
    merlin_challenge(&b, "c", cb, sizeof(cb));
    CHECK(memcmp(ca, cb, sizeof(ca)) == 0);

    b = a;
    merlin_witness_rekey(&a, "w", LIT("one"));
    merlin_witness_rekey(&b, "w", LIT("two"));
    merlin_witness_finalize(&a, rnd);
    merlin_witness_finalize(&b, rnd);
    merlin_witness_bytes(&a, ca, sizeof(ca));
    merlin_witness_bytes(&b, cb, sizeof(cb));
    CHECK(memcmp(ca, cb, sizeof(ca)) != 0);
    merlin_wipe(&a);
    CHECK(sodium_is_zero((const uint8_t *)&a, sizeof(a)));
}

struct seed_vector {
    const char *seed, *pk;
};

static void test_public_keys(void)
{
    static const struct seed_vector v[] = {
        {"fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
         "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"},
        /* //Alice, the mini secret `subkey inspect //Alice` prints */
        {"e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
         "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"},
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "44a996beb1eef7bdcab976ab6d2ca26104834164ecf28fb375600576fcc6eb0f"},
        {"3132333435363738393031323334353637383930313233343536373839303132",
         "741c08a06f41c596608f6774259bd9043304adfa5d3eea62760bd9be97634d63"},
    };

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t seed[32], sk[64], pk[32];

        unhex(v[i].seed, seed, sizeof(seed));
        CHECK_INT_EQ(sr25519_keypair_from_seed(seed, sk, pk), SVC_OK);
        CHECK(eq_hex(pk, v[i].pk, 32));
    }
}

/* The secret is key || nonce with key = clamp(SHA-512(seed)[0..32]) / 8:
 * eight times it is the half-ed25519 form other libraries print. */
static void check_secret(const char *seed_hex, const char *ed_hex)
{
    uint8_t seed[32], sk[64], pk[32], ed[64];
    unsigned carry = 0;

    unhex(seed_hex, seed, sizeof(seed));
    CHECK_INT_EQ(sr25519_keypair_from_seed(seed, sk, pk), SVC_OK);
    CHECK((sk[31] & 0xf0) == 0); /* < 2^252: canonical */
    for (int i = 0; i < 32; i++) {
        ed[i] = (uint8_t)((sk[i] << 3) | carry);
        carry = sk[i] >> 5;
    }
    memcpy(ed + 32, sk + 32, 32);
    CHECK(eq_hex(ed, ed_hex, 64));
}

static void test_secret_layout(void)
{
    check_secret(
        "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
        "28b0ae221c6bb06856b287f60d7ea0d98552ea5a16db16956849aa371db3eb51"
        "fd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34");
    check_secret(
        "e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
        "98319d4ff8a9508c4bb0cf0b5a78d760a0b2082c02775e6e82370816fedfff48"
        "925a225d97aa00682d6a59b95b18780c10d7032336e88f3442b42361f4a66011");
}

/* Key agreement (polkadot-js ext_sr_agree, micro-sr25519
 * getSharedSecret): the first secret half times the other's public key;
 * it only comes out right with the scalar stored divided by 8. */
static void test_key_agreement(void)
{
    uint8_t s1[32], s2[32], sk1[64], sk2[64], pk1[32], pk2[32], x[32];

    unhex("98b3d305d5a5eace562387e47e59badd4d77e3f72cabfb10a60f8a197059f0a8",
          s1, 32);
    unhex("9732eea001851ff862d949a1699c9971f3a26edbede2ad7922cbbe9a0701f366",
          s2, 32);
    CHECK_INT_EQ(sr25519_keypair_from_seed(s1, sk1, pk1), SVC_OK);
    CHECK_INT_EQ(sr25519_keypair_from_seed(s2, sk2, pk2), SVC_OK);
    CHECK(crypto_scalarmult_ristretto255(x, sk2, pk1) == 0);
    CHECK(eq_hex(
        x, "b03a0b198c34c16f35cae933d88b16341b4cef3e84e851f20e664c6a30527f4e",
        32));
    CHECK(crypto_scalarmult_ristretto255(x, sk1, pk2) == 0);
    CHECK(eq_hex(
        x, "b03a0b198c34c16f35cae933d88b16341b4cef3e84e851f20e664c6a30527f4e",
        32));
}

struct sig_vector {
    const char *pk, *sig, *msg;
    bool valid;
};

static const struct sig_vector sig_vectors[] = {
    {"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
     "1037eb7e51613d0dcf5930ae518819c87d655056605764840d9280984e1b7063"
     "c4566b55bf292fcab07b369d01095879b50517beca4d26e6a65866e25fec0d83",
     "I hereby verify that I control "
     "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
     true},
    {"f84d048da2ddae2d9d8fd6763f469566e8817a26114f39408de15547f6d47805",
     "48ce2c90e08651adfc8ecef84e916f6d1bb51ebebd16150ee12df247841a5437"
     "951ea0f9d632ca165e6ab391532e75e701be6a1caa88c8a6bcca3511f55b4183",
     "<Bytes>message to sign</Bytes>", true},
    /* The same signature over the unwrapped text. */
    {"f84d048da2ddae2d9d8fd6763f469566e8817a26114f39408de15547f6d47805",
     "48ce2c90e08651adfc8ecef84e916f6d1bb51ebebd16150ee12df247841a5437"
     "951ea0f9d632ca165e6ab391532e75e701be6a1caa88c8a6bcca3511f55b4183",
     "message to sign", false},
    /* schnorrkel 0.1.1, no marker: sp-core's verify() refuses it too. */
    {"b4bfa1f7a5166695eb75299fd1c4c03ea212871c342f2c5dfea0902b2c246918",
     "5a9755f069939f45d96aaf125cf5ce7ba1db998686f87f2fb3cbdea922078741"
     "a73891ba265f70c31436e18a9acd14d189d73c12317ab6c313285cd938453202",
     "Verifying that I am the owner of "
     "5G9hQLdsKQswNPgB499DeA5PkFBbgkLPJWkkS6FAM6xGQ8xD. Hash: 221455a3\n",
     false},
};

static void test_signature_vectors(void)
{
    for (size_t i = 0; i < sizeof(sig_vectors) / sizeof(sig_vectors[0]); i++) {
        const struct sig_vector *v = &sig_vectors[i];
        uint8_t pk[32], sig[64];

        unhex(v->pk, pk, sizeof(pk));
        unhex(v->sig, sig, sizeof(sig));
        if (sr25519_verify(sig, (const uint8_t *)v->msg, strlen(v->msg), pk) !=
            v->valid) {
            fprintf(stderr, "signature vector %zu: expected %d\n", i, v->valid);
            exit(1);
        }
    }
}

/* sp-core verify_from_old_wasm_works: an unmarked schnorrkel-js signature
 * under the key of the all-zero seed; and, marked by force, it is still
 * refused (it was made over another transcript). */
static void test_old_wasm_signature(void)
{
    uint8_t seed[32] = {0}, sk[64], pk[32], sig[64];

    CHECK_INT_EQ(sr25519_keypair_from_seed(seed, sk, pk), SVC_OK);
    unhex("28a854d54903e056f89581c691c1f7d2ff39f8f896c9e9c22475e60902cc2b35"
          "47199e0e91fa32902028f2ca2355e8cdd16cfe19ba5e8b658c94aa80f3b81a00",
          sig, sizeof(sig));
    CHECK(!sr25519_verify(sig, LIT("SUBSTRATE"), pk));
    sig[63] |= 0x80;
    CHECK(!sr25519_verify(sig, LIT("SUBSTRATE"), pk));
}

/* micro-sr25519 "sign": seed fac7959d.., "this is a message", 32 zero
 * bytes of randomness. Equal bytes show the witness is derived as
 * schnorrkel derives it, not merely a valid one. */
static void test_fixed_randomness(void)
{
    static const uint8_t rnd[32] = {0};
    uint8_t seed[32], kp[KEYPAIR], sig[64];

    unhex("fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
          seed, sizeof(seed));
    CHECK_INT_EQ(sr25519_keypair_from_seed(seed, kp, kp + 64), SVC_OK);
    CHECK_INT_EQ(sr25519_sign_rnd(sig, LIT("this is a message"), kp, rnd),
                 SVC_OK);
    CHECK(eq_hex(sig,
                 "dc4831339346dc294d21dd6efa22c078b6eb6602a30fb9c67540c1fb4e20"
                 "936e17489f36dbe14aec6d2b1e56d979f7b420ca34143aca1691db0bab95"
                 "35c49a86",
                 64));
    CHECK(sr25519_verify(sig, LIT("this is a message"), kp + 64));
}

/* Adds l to the 32-byte little-endian scalar at s (< 2^253): the same
 * residue in a non-canonical encoding. */
static void add_group_order(uint8_t s[32])
{
    static const uint8_t l[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
        0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
    unsigned carry = 0;

    for (int i = 0; i < 32; i++) {
        unsigned v = s[i] + l[i] + carry;

        s[i] = (uint8_t)v;
        carry = v >> 8;
    }
    CHECK(carry == 0 && s[31] < 0x40);
}

struct fixture {
    uint8_t sk[64], pk[32], other_pk[32], sig[64];
};

static void make_fixture(struct fixture *f, const uint8_t *msg, size_t len)
{
    uint8_t seed[32], other_sk[64];

    randombytes_buf(seed, sizeof(seed));
    CHECK_INT_EQ(sr25519_keypair_from_seed(seed, f->sk, f->pk), SVC_OK);
    randombytes_buf(seed, sizeof(seed));
    CHECK_INT_EQ(sr25519_keypair_from_seed(seed, other_sk, f->other_pk),
                 SVC_OK);
    CHECK_INT_EQ(sr25519_sign(f->sig, msg, len, f->sk, f->pk), SVC_OK);
    CHECK(f->sig[63] & 0x80);
    CHECK(sr25519_verify(f->sig, msg, len, f->pk));
}

static void test_round_trips(void)
{
    uint8_t msg[300], sig2[64];

    randombytes_buf(msg, sizeof(msg));
    for (size_t len = 0; len <= sizeof(msg); len += 37) {
        struct fixture f;

        make_fixture(&f, msg, len);
        CHECK(!sr25519_verify(f.sig, msg, len, f.other_pk));
        CHECK(!sr25519_verify(f.sig, msg, len + 1, f.pk));
        /* Randomized: a second signature differs and verifies too. */
        CHECK_INT_EQ(sr25519_sign(sig2, msg, len, f.sk, f.pk), SVC_OK);
        CHECK(memcmp(sig2, f.sig, 64) != 0);
        CHECK(sr25519_verify(sig2, msg, len, f.pk));
    }
}

/* Every single-bit change of a valid signature is refused. */
static void test_bit_flips(void)
{
    struct fixture f;

    make_fixture(&f, LIT("flip me"));
    for (int bit = 0; bit < 512; bit++) {
        uint8_t sig[64];

        memcpy(sig, f.sig, 64);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (sr25519_verify(sig, LIT("flip me"), f.pk)) {
            fprintf(stderr, "bit %d flipped still verifies\n", bit);
            exit(1);
        }
    }
}

static void test_encoding_refusals(void)
{
    struct fixture f;
    uint8_t sig[64], pk[32];

    make_fixture(&f, LIT("strict"));
    memcpy(sig, f.sig, 64);
    sig[63] &= 0x7f; /* no marker */
    CHECK(!sr25519_verify(sig, LIT("strict"), f.pk));
    memcpy(sig, f.sig, 64);
    sig[63] &= 0x7f;
    add_group_order(sig + 32); /* s + l: same residue, not canonical */
    sig[63] |= 0x80;
    CHECK(!sr25519_verify(sig, LIT("strict"), f.pk));
    memcpy(sig, f.sig, 64);
    sig[31] |= 0x80; /* R with the high bit set */
    CHECK(!sr25519_verify(sig, LIT("strict"), f.pk));
    memcpy(pk, f.pk, 32);
    pk[31] |= 0x80; /* pk with the high bit set */
    CHECK(!sr25519_verify(f.sig, LIT("strict"), pk));
    /* p = 2^255 - 19 itself: a field element that is not canonical. */
    memset(pk, 0xff, 32);
    pk[0] = 0xed;
    pk[31] = 0x7f;
    CHECK(!crypto_core_ristretto255_is_valid_point(pk));
    CHECK(!sr25519_verify(f.sig, LIT("strict"), pk));
    memcpy(sig, f.sig, 64);
    memcpy(sig, pk, 32); /* ... and as R */
    CHECK(!sr25519_verify(sig, LIT("strict"), f.pk));
    /* Longer than a Merlin length can say: refused before it is read. */
    CHECK(!sr25519_verify(f.sig, (const uint8_t *)"x", (size_t)UINT32_MAX + 1,
                          f.pk));
}

/* Under the identity as public key, R = s * B satisfies s * B - k * A = R
 * for every message: it must be refused as a key. So must every encoding
 * that does not decode, where a verifier that let k * A fall back to the
 * identity would accept the same forgery. */
static void test_forgery_keys(void)
{
    uint8_t sig[64], bad[4][32];
    struct fixture f;

    make_fixture(&f, LIT("k"));
    memset(bad, 0, sizeof(bad)); /* bad[0]: the identity */
    memcpy(bad[1], f.pk, 32);
    bad[1][31] |= 0x80; /* high bit set */
    memset(bad[2], 0xff, 32);
    bad[2][0] = 0xed; /* p */
    bad[2][31] = 0x7f;
    memcpy(bad[3], f.pk, 32);
    bad[3][0] ^= 1; /* negative field element (odd) */
    crypto_core_ristretto255_scalar_random(sig + 32);
    CHECK(crypto_scalarmult_ristretto255_base(sig, sig + 32) == 0);
    sig[63] |= 0x80;
    for (int i = 0; i < 4; i++)
        if (sr25519_verify(sig, LIT("anything"), bad[i])) {
            fprintf(stderr, "forgery under bad key %d verifies\n", i);
            exit(1);
        }
}

static void test_sign_refusals(void)
{
    struct fixture f;
    uint8_t bad[64], sig[64], before[64];

    make_fixture(&f, LIT("x"));
    memset(sig, 0x5a, sizeof(sig));
    memcpy(before, sig, sizeof(sig));
    /* Another key's public key. */
    CHECK_INT_EQ(sr25519_sign(sig, LIT("x"), f.sk, f.other_pk),
                 SVC_ERR_INVALID);
    /* A key scalar >= l (schnorrkel's SecretKey::from_bytes refuses). */
    memcpy(bad, f.sk, 64);
    bad[31] |= 0xf0;
    CHECK_INT_EQ(sr25519_sign(sig, LIT("x"), bad, f.pk), SVC_ERR_INVALID);
    /* a + l: the same key, but not the canonical scalar. */
    memcpy(bad, f.sk, 64);
    add_group_order(bad);
    CHECK_INT_EQ(sr25519_sign(sig, LIT("x"), bad, f.pk), SVC_ERR_INVALID);
    /* The zero scalar, whose key would be the identity. */
    memset(bad, 0, 32);
    CHECK_INT_EQ(sr25519_sign(sig, LIT("x"), bad, f.pk), SVC_ERR_INVALID);
    CHECK(memcmp(sig, before, sizeof(sig)) == 0); /* untouched */
}

int main(void)
{
    CHECK(sodium_init() >= 0);
    test_keccak_zero_state();
    test_sha3();
    test_strobe_conformance();
    test_merlin_vectors();
    test_merlin_api();
    test_public_keys();
    test_secret_layout();
    test_key_agreement();
    test_signature_vectors();
    test_old_wasm_signature();
    test_fixed_randomness();
    test_round_trips();
    test_bit_flips();
    test_encoding_refusals();
    test_forgery_keys();
    test_sign_refusals();
    return 0;
}
