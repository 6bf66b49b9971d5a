/* SPDX-License-Identifier: MIT */
/* Signature verification cost, ed25519 against sr25519, in one run: each
 * scheme verifies the same signed-request message (a bt-http-auth-v1
 * message of 220 bytes) ROUNDS times, best of TRIES. Prints verifications
 * per second for each and the ratio, with issue 14's target: sr25519 costs
 * at most 2x ed25519. Exit status 1 when a signature fails to verify. */
#include "core/auth_msg.h"
#include "core/clock.h"
#include "core/sr25519.h"

#include <sodium.h>

#include <stdio.h>
#include <string.h>

enum { ROUNDS = 4000, TRIES = 3 };

static const char msg[] =
    "bt-http-auth-v1\ncomputedb\nGET\n/miners/details?has_docker=true\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "1700000000000\n0123456789abcdef0123456789abcdef\n"
    "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

/* Best verifications per second of verify() over TRIES runs. */
static double rate(bool (*verify)(const uint8_t *sig, const uint8_t *pk),
                   const uint8_t *sig, const uint8_t *pk)
{
    double best = 0;

    for (int t = 0; t < TRIES; t++) {
        double t0 = clock_mono_s(), per_s;

        for (int i = 0; i < ROUNDS; i++)
            if (!verify(sig, pk))
                return -1;
        per_s = ROUNDS / (clock_mono_s() - t0);
        if (per_s > best)
            best = per_s;
    }
    return best;
}

static bool ed_verify(const uint8_t *sig, const uint8_t *pk)
{
    return crypto_sign_verify_detached(sig, (const uint8_t *)msg,
                                       sizeof(msg) - 1, pk) == 0;
}

static bool sr_verify(const uint8_t *sig, const uint8_t *pk)
{
    return sr25519_verify(sig, (const uint8_t *)msg, sizeof(msg) - 1, pk);
}

int main(void)
{
    uint8_t seed[32], ed_pk[32], ed_sk[64], ed_sig[64];
    uint8_t sr_secret[SR25519_SECRET_BYTES], sr_pk[32], sr_sig[64];
    double ed, sr;

    if (sodium_init() < 0)
        return 1;
    randombytes_buf(seed, sizeof(seed));
    crypto_sign_seed_keypair(ed_pk, ed_sk, seed);
    crypto_sign_detached(ed_sig, NULL, (const uint8_t *)msg, sizeof(msg) - 1,
                         ed_sk);
    if (sr25519_keypair_from_seed(seed, sr_secret, sr_pk) != SVC_OK ||
        sr25519_sign(sr_sig, (const uint8_t *)msg, sizeof(msg) - 1, sr_secret,
                     sr_pk) != SVC_OK)
        return 1;
    ed = rate(ed_verify, ed_sig, ed_pk);
    sr = rate(sr_verify, sr_sig, sr_pk);
    if (ed < 0 || sr < 0) {
        fprintf(stderr, "sig_bench: a signature did not verify\n");
        return 1;
    }
    printf("ed25519 verify: %.0f/s\nsr25519 verify: %.0f/s\n"
           "sr25519 costs %.2fx ed25519 (target: at most 2x) %s\n",
           ed, sr, ed / sr, ed / sr <= 2.0 ? "ok" : "MISSED");
    return 0;
}
