/* SPDX-License-Identifier: MIT */
/* sr25519: schnorrkel's Schnorr signatures over Ristretto255 through a
 * Merlin transcript, as Substrate and Bittensor hotkeys use them (signing
 * context "substrate", sp-core's SIGNING_CTX). Built on libsodium's
 * Ristretto255 and core/merlin.h; docs/AUTH.md section 4.5 has the design.
 *
 * Key layout. A 32-byte mini secret (a wallet's "secretSeed") expands with
 * schnorrkel's ExpansionMode::Ed25519: SHA-512 of it, the first half
 * clamped as ed25519 does (& 248, & 63, | 64) and then divided by the
 * cofactor 8, gives the key scalar a (always < l); the second half is the
 * nonce seed. The 64-byte secret is a || nonce: schnorrkel's
 * SecretKey::to_bytes(), sp-core's Pair::to_raw_vec(), which is the
 * "privateKey" of a bittensor wallet file (bittensor_wallet, and the older
 * substrateinterface through py-sr25519-bindings). It is NOT the
 * "half-ed25519" form (8a || nonce, SecretKey::to_ed25519_bytes()) that
 * polkadot-js and schnorrkel-js keep; shifting a left by 3 bits converts.
 * The public key is the Ristretto255 encoding of a * B. */
#ifndef CORE_SR25519_H
#define CORE_SR25519_H

#include "rc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SR25519_PUBLIC_BYTES = 32,
    SR25519_SIGNATURE_BYTES = 64,
    SR25519_SEED_BYTES = 32,
    SR25519_SECRET_BYTES = 64
};

/* Verifies a schnorrkel signature over msg[0..len) under public key pk,
 * signing context "substrate". Strict: marker bit (bit 7 of sig[63])
 * required then cleared; s canonical (< l); R and pk canonical Ristretto255
 * encodings; the identity as pk refused. true only when valid.
 * Thread-safe. */
SVC_NODISCARD bool sr25519_verify(const uint8_t sig[SR25519_SIGNATURE_BYTES],
                                  const uint8_t *msg, size_t len,
                                  const uint8_t pk[SR25519_PUBLIC_BYTES]);

/* Expands a 32-byte mini secret (schnorrkel ExpansionMode::Ed25519, what
 * substrate and bittensor wallets use) into the 64-byte secret (key scalar
 * || nonce, as bittensor wallet files store "privateKey") and the public
 * key. Returns SVC_OK, or SVC_ERR_INTERNAL if libsodium fails (it cannot
 * for any seed); writes secret and pk only on success. Thread-safe. */
SVC_NODISCARD enum svc_rc
sr25519_keypair_from_seed(const uint8_t seed[SR25519_SEED_BYTES],
                          uint8_t secret[SR25519_SECRET_BYTES],
                          uint8_t pk[SR25519_PUBLIC_BYTES]);

/* Signs msg with secret and its public key pk (context "substrate"), with
 * a witness nonce drawn from the transcript, the secret's nonce half and
 * fresh randomness (randombytes_buf), as schnorrkel does. Sets the marker
 * bit. Returns SVC_OK; SVC_ERR_INVALID when the key scalar is not
 * canonical, pk is not the public key of secret, or len passes 2^32 - 1;
 * SVC_ERR_INTERNAL when libsodium cannot start. Writes sig only on
 * success; leaves no copy of secret material behind. Thread-safe. */
SVC_NODISCARD enum svc_rc
sr25519_sign(uint8_t sig[SR25519_SIGNATURE_BYTES], const uint8_t *msg,
             size_t len, const uint8_t secret[SR25519_SECRET_BYTES],
             const uint8_t pk[SR25519_PUBLIC_BYTES]);

/* For known-answer tests and deterministic fuzzing only: sr25519_sign with
 * the 32 bytes of outside randomness given as rnd instead of drawn, and
 * the key pair as secret || pk (schnorrkel's Keypair::to_bytes()). With a
 * fixed rnd the signature matches other implementations given the same
 * bytes; in production a fixed rnd only leaves the nonce to depend on the
 * secret and message. Same results as sr25519_sign. */
SVC_NODISCARD enum svc_rc sr25519_sign_rnd(
    uint8_t sig[SR25519_SIGNATURE_BYTES], const uint8_t *msg, size_t len,
    const uint8_t keypair[SR25519_SECRET_BYTES + SR25519_PUBLIC_BYTES],
    const uint8_t rnd[32]);

#endif
