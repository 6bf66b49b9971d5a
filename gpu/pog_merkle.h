/* SPDX-License-Identifier: MIT */
/* The PoG Merkle tree (docs/pog.md 1.5): leaves are the row hashes, a parent is
 * SHA-256(left || right) over raw 32-byte digests, an odd last node is
 * paired with itself, and a proof lists siblings from the leaf level up to
 * just below the root. The verifier is stricter than the reference: the
 * index must be in [0, n), the proof must be exactly depth(n) long and every
 * sibling exactly 32 bytes.
 *
 * Known property, kept for compatibility: with self-duplication and no
 * leaf/node domain separation, root([a,b,c]) == root([a,b,c,c]), so a root
 * does not commit to n; the verifier takes n from elsewhere. */
#ifndef POG_MERKLE_H
#define POG_MERKLE_H

#include "core/rc.h"
#include "pog_sha256.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { POG_MERKLE_MAX_DEPTH = 40 }; /* n < 2^40 leaves */

struct pog_merkle; /* opaque: all levels in one flat array */

/* One proof sibling as received: len must be 32 for the proof to pass. */
struct pog_sibling {
    const uint8_t *bytes; /* borrowed */
    size_t len;
};

enum pog_proof_status {
    POG_PROOF_OK = 0,
    POG_PROOF_BAD_INDEX,   /* index >= n, or n == 0 */
    POG_PROOF_BAD_LENGTH,  /* number of siblings != depth(n) */
    POG_PROOF_BAD_SIBLING, /* a sibling is not exactly 32 bytes */
    POG_PROOF_MISMATCH,    /* the path does not end at the root */
};

/* Stable lower-case name of a status ("ok", "bad_index", ...). */
const char *pog_proof_status_name(enum pog_proof_status st);

/* ceil(log2(n)): levels above the leaves, and the proof length. 0 for n<=1.
 */
unsigned pog_merkle_depth(uint64_t n);

/* Returns a new tree for n leaves (1 <= n < 2^40) with the leaves unset,
 * or NULL (bad n, or out of memory). Free with pog_merkle_free(). */
struct pog_merkle *pog_merkle_new(uint64_t n);
/* Releases t; NULL is fine. */
void pog_merkle_free(struct pog_merkle *t);
/* Number of leaves. */
uint64_t pog_merkle_leaves(const struct pog_merkle *t);
/* The 32-byte slot of leaf i (i < n) to fill before pog_merkle_finish(). */
uint8_t *pog_merkle_leaf(struct pog_merkle *t, uint64_t i);
/* Hashes every level above the leaves. Call once all leaves are set. */
void pog_merkle_finish(struct pog_merkle *t);
/* The root (valid after pog_merkle_finish()); borrowed from t. */
const uint8_t *pog_merkle_root(const struct pog_merkle *t);

/* Writes the proof of leaf index into sib[0..depth) and its length to *len.
 * Returns SVC_ERR_INVALID when index >= n or cap < depth. */
SVC_NODISCARD enum svc_rc pog_merkle_proof(const struct pog_merkle *t,
                                           uint64_t index,
                                           uint8_t (*sib)[POG_HASH_LEN],
                                           size_t cap, size_t *len);

/* Checks that leaf is element index of a tree of n leaves with the given
 * root, using proof[0..proof_len). Strict, see above. Pure; thread-safe. */
enum pog_proof_status pog_merkle_verify(const uint8_t leaf[POG_HASH_LEN],
                                        uint64_t index, uint64_t n,
                                        const struct pog_sibling *proof,
                                        size_t proof_len,
                                        const uint8_t root[POG_HASH_LEN]);

/* Computes the root of n leaves into root (a convenience over new/finish).
 * Returns SVC_ERR_INVALID for n == 0, SVC_ERR_NOMEM. */
SVC_NODISCARD enum svc_rc pog_merkle_root_of(const uint8_t (*leaves)[32],
                                             uint64_t n,
                                             uint8_t root[POG_HASH_LEN]);

#endif
