/* SPDX-License-Identifier: MIT */
/* The validator's side of PoG (docs/upstream.md 4.3 steps 8-10,
 * docs/pog.md 1.6): given the seeds, n, each GPU's Merkle root and, per
 * challenge (i, j), the miner's row i of C with its proof, recompute C[i][j]
 * from the seeds (2n generator values and one dot product), apply the isclose
 * rule, check the proof strictly, and decide per GPU and overall by the pass
 * threshold. Stateless and thread-safe; cost is O(n) per challenge. */
#ifndef POG_VERIFY_H
#define POG_VERIFY_H

#include "core/rc.h"
#include "pog_merkle.h"
#include "pog_parse.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One challenge as the miner answered it. Everything is borrowed. */
struct pog_challenge {
    uint32_t i, j;
    const float *row; /* row i of C; must hold exactly n values */
    size_t row_len;
    const struct pog_sibling *proof; /* leaf level first */
    size_t proof_len;
};

/* One GPU's claim: its seeds, its root and its answered challenges. */
struct pog_claim {
    unsigned gpu;
    uint64_t seed_a, seed_b;
    uint8_t root[POG_HASH_LEN];
    const struct pog_challenge *ch; /* borrowed */
    size_t n_ch;
};

enum pog_check_status {
    POG_CHECK_OK = 0,
    POG_CHECK_BAD_ROW, /* row length != n, or i or j >= n */
    POG_CHECK_VALUE,   /* row[j] fails isclose */
    POG_CHECK_PROOF,   /* see proof for the reason */
};

struct pog_check {
    enum pog_check_status status;
    enum pog_proof_status proof; /* POG_PROOF_OK unless status is PROOF */
    float got;                   /* row[j], NaN when missing */
    float expected;              /* our C[i][j] */
};

/* Stable names: "ok", "bad_row", "value_mismatch", "proof". */
const char *pog_check_status_name(enum pog_check_status st);

/* C[i][j] of A(seed_a) x B(seed_b) at size n: the dot product of row i of
 * A and column j of B with exact products summed in double, rounded once to
 * float (a tighter reference than the validator's float32 sdot). */
float pog_expected_value(uint64_t seed_a, uint64_t seed_b, uint32_t n,
                         uint32_t i, uint32_t j);

/* Checks one challenge of a GPU with the given seeds and root. */
void pog_check_challenge(uint32_t n, uint64_t seed_a, uint64_t seed_b,
                         const uint8_t root[POG_HASH_LEN],
                         const struct pog_challenge *c, struct pog_check *out);

/* Checks every challenge of claim c into out[0..c->n_ch); the GPU passes
 * when it has at least one challenge and all pass. */
bool pog_verify_claim(uint32_t n, const struct pog_claim *c,
                      struct pog_check *out);

/* POST /pog/verify in one call. body (borrowed):
 *   {"n": int,
 *    "gpus": [{"gpu": int, "seed_a": "dec"|int, "seed_b": "dec"|int,
 *              "root": "64 hex",
 *              "challenges": [{"i": int, "j": int,
 *                              "row": [n numbers] | "base64 of 4n LE bytes",
 *                              "proof": ["64 hex", ...]}]}],
 *    "timing"?: {"elapsed": s, "t_fp32": s, "multiplication_times": [s]}}
 * Malformed structure is SVC_ERR_INVALID with err naming the field; a wrong
 * row length, a bad sibling or an index out of range is a failed check, not
 * an error. On SVC_OK *verdict is a new object:
 *   {"n", "gpus": [{"gpu", "pass", "challenges": [{"i", "j", "pass",
 *    "status", "proof", "got", "expected"}]}], "passed", "required",
 *    "total", "timing_ok"?, "pass"}
 * where required = pog_pass_threshold(total) and pass = passed >= required
 * (and timing_ok when timing was given). SVC_ERR_NOMEM is possible. */
SVC_NODISCARD enum svc_rc pog_verify_json(json_t *body, json_t **verdict,
                                          struct svc_err *err);

#endif
