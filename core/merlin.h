/* SPDX-License-Identifier: MIT */
/* Merlin transcripts (merlin.cool, dalek-cryptography/merlin 2.x), the
 * Fiat-Shamir hash that schnorrkel (sr25519) signs through, and the part of
 * STROBE-128 v1.0.2 they use: meta-AD, AD, PRF and KEY, without the T
 * (transport) flag. Byte-compatible with the Rust crate; checked against
 * its published vectors (tests/unit/test_sr25519.c). */
#ifndef CORE_MERLIN_H
#define CORE_MERLIN_H

#include "keccak.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MERLIN_STROBE_R = 166, /* STROBE-128 rate: 200 - 2 * 128 / 8 - 2 */
    MERLIN_RNG_BYTES = 32, /* outside randomness a witness is keyed with */
};

/* A STROBE-128 duplex. Plain data: copying the struct forks it. Not
 * thread-safe; distinct structs are independent. Holds keyed secrets
 * after merlin_strobe_key(): wipe it (merlin_wipe) when done. */
struct merlin_strobe {
    uint8_t state[KECCAK_STATE_BYTES];
    uint8_t pos;       /* next byte of the rate to absorb or squeeze */
    uint8_t pos_begin; /* where the current operation began, plus one */
    uint8_t cur_flags; /* flags of the current operation */
};

/* STROBE-128 over protocol label (meta-AD'd as STROBE does). */
void merlin_strobe_init(struct merlin_strobe *s, const uint8_t *label,
                        size_t len);
/* The operations; more continues the previous one, which must have had the
 * same kind (an assert). */
void merlin_strobe_meta_ad(struct merlin_strobe *s, const uint8_t *data,
                           size_t len, bool more);
void merlin_strobe_ad(struct merlin_strobe *s, const uint8_t *data, size_t len,
                      bool more);
void merlin_strobe_prf(struct merlin_strobe *s, uint8_t *out, size_t len,
                       bool more);
void merlin_strobe_key(struct merlin_strobe *s, const uint8_t *data, size_t len,
                       bool more);

/* A transcript. Plain data: a struct copy is Merlin's clone(). Labels are
 * NUL-terminated strings (their bytes without the NUL are what Merlin
 * sees); message and output lengths must fit in 32 bits (an assert, as in
 * Merlin). */
struct merlin {
    struct merlin_strobe strobe;
};

/* Transcript::new(label): STROBE over "Merlin v1.0", then
 * append("dom-sep", label). */
void merlin_init(struct merlin *t, const char *label);
/* append_message: meta-AD(label), meta-AD(LE32(len), more), AD(msg). */
void merlin_append(struct merlin *t, const char *label, const uint8_t *msg,
                   size_t len);
/* append_u64: append of the 8-byte little-endian x. */
void merlin_append_u64(struct merlin *t, const char *label, uint64_t x);
/* challenge_bytes: meta-AD(label), meta-AD(LE32(n), more), PRF(n) into
 * out. */
void merlin_challenge(struct merlin *t, const char *label, uint8_t *out,
                      size_t n);

/* Merlin's TranscriptRng, on a copy of a transcript (t = *public_one):
 * rekey with each secret witness (rekey_with_witness_bytes: meta-AD(label),
 * meta-AD(LE32(len), more), KEY(w)), then finalize with MERLIN_RNG_BYTES of
 * fresh randomness (meta-AD("rng"), KEY(rnd)), then draw bytes
 * (fill_bytes: meta-AD(LE32(n)), PRF(n)). Wipe t afterwards. */
void merlin_witness_rekey(struct merlin *t, const char *label, const uint8_t *w,
                          size_t len);
void merlin_witness_finalize(struct merlin *t,
                             const uint8_t rnd[MERLIN_RNG_BYTES]);
void merlin_witness_bytes(struct merlin *t, uint8_t *out, size_t n);

/* Zeroes t (sodium_memzero), as Merlin does on drop. */
void merlin_wipe(struct merlin *t);

#endif
