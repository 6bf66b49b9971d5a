/* SPDX-License-Identifier: MIT */
/* Merkle tree build, proofs and the strict verifier (see pog_merkle.h). The
 * tree is one flat array, level by level: the leaves, then ceil(m/2) parents
 * per level, the root last, as the reference lays it out. */
#include "pog_merkle.h"

#include <stdlib.h>

struct pog_merkle {
    uint64_t n;                             /* leaves */
    unsigned depth;                         /* levels above the leaves */
    uint64_t off[POG_MERKLE_MAX_DEPTH + 1]; /* first node of each level */
    uint64_t len[POG_MERKLE_MAX_DEPTH + 1]; /* nodes in each level */
    uint8_t (*node)[POG_HASH_LEN];          /* all levels, leaves first */
};

const char *pog_proof_status_name(enum pog_proof_status st)
{
    switch (st) {
    case POG_PROOF_OK:
        return "ok";
    case POG_PROOF_BAD_INDEX:
        return "bad_index";
    case POG_PROOF_BAD_LENGTH:
        return "bad_length";
    case POG_PROOF_BAD_SIBLING:
        return "bad_sibling";
    case POG_PROOF_MISMATCH:
        return "mismatch";
    }
    return "unknown";
}

unsigned pog_merkle_depth(uint64_t n)
{
    unsigned d = 0;

    while (n > 1) {
        n = (n + 1) / 2;
        d++;
    }
    return d;
}

struct pog_merkle *pog_merkle_new(uint64_t n)
{
    struct pog_merkle *t;
    uint64_t total = 0, m = n;

    if (n == 0 || n >> POG_MERKLE_MAX_DEPTH)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->n = n;
    t->depth = pog_merkle_depth(n);
    for (unsigned l = 0; l <= t->depth; l++) {
        t->off[l] = total;
        t->len[l] = m;
        total += m;
        m = (m + 1) / 2;
    }
    if (total > SIZE_MAX / POG_HASH_LEN ||
        !(t->node = malloc((size_t)total * POG_HASH_LEN))) {
        free(t);
        return NULL;
    }
    return t;
}

void pog_merkle_free(struct pog_merkle *t)
{
    if (!t)
        return;
    free(t->node);
    free(t);
}

uint64_t pog_merkle_leaves(const struct pog_merkle *t)
{
    return t->n;
}

uint8_t *pog_merkle_leaf(struct pog_merkle *t, uint64_t i)
{
    return t->node[i];
}

void pog_merkle_finish(struct pog_merkle *t)
{
    for (unsigned l = 0; l < t->depth; l++) {
        const uint8_t(*lv)[POG_HASH_LEN] =
            (const uint8_t(*)[POG_HASH_LEN])t->node + t->off[l];
        uint8_t(*up)[POG_HASH_LEN] = t->node + t->off[l + 1];

        for (uint64_t p = 0; p < t->len[l + 1]; p++) {
            uint64_t r = 2 * p + 1 < t->len[l] ? 2 * p + 1 : 2 * p;

            pog_sha256_pair(lv[2 * p], lv[r], up[p]);
        }
    }
}

const uint8_t *pog_merkle_root(const struct pog_merkle *t)
{
    return t->node[t->off[t->depth]];
}

enum svc_rc pog_merkle_proof(const struct pog_merkle *t, uint64_t index,
                             uint8_t (*sib)[POG_HASH_LEN], size_t cap,
                             size_t *len)
{
    uint64_t idx = index;

    if (index >= t->n || cap < t->depth)
        return SVC_ERR_INVALID;
    for (unsigned l = 0; l < t->depth; l++) {
        /* The duplicated odd node is its own sibling. */
        uint64_t s = (idx ^ 1u) < t->len[l] ? idx ^ 1u : idx;

        memcpy(sib[l], t->node[t->off[l] + s], POG_HASH_LEN);
        idx /= 2;
    }
    *len = t->depth;
    return SVC_OK;
}

enum pog_proof_status pog_merkle_verify(const uint8_t leaf[POG_HASH_LEN],
                                        uint64_t index, uint64_t n,
                                        const struct pog_sibling *proof,
                                        size_t proof_len,
                                        const uint8_t root[POG_HASH_LEN])
{
    uint8_t h[POG_HASH_LEN];
    uint64_t idx = index;

    if (n == 0 || index >= n)
        return POG_PROOF_BAD_INDEX;
    if (proof_len != pog_merkle_depth(n))
        return POG_PROOF_BAD_LENGTH;
    for (size_t l = 0; l < proof_len; l++)
        if (!proof[l].bytes || proof[l].len != POG_HASH_LEN)
            return POG_PROOF_BAD_SIBLING;
    memcpy(h, leaf, POG_HASH_LEN);
    for (size_t l = 0; l < proof_len; l++) {
        if (idx % 2 == 0)
            pog_sha256_pair(h, proof[l].bytes, h);
        else
            pog_sha256_pair(proof[l].bytes, h, h);
        idx /= 2;
    }
    return memcmp(h, root, POG_HASH_LEN) == 0 ? POG_PROOF_OK
                                              : POG_PROOF_MISMATCH;
}

enum svc_rc pog_merkle_root_of(const uint8_t (*leaves)[32], uint64_t n,
                               uint8_t root[POG_HASH_LEN])
{
    struct pog_merkle *t;

    if (n == 0)
        return SVC_ERR_INVALID;
    t = pog_merkle_new(n);
    if (!t)
        return SVC_ERR_NOMEM;
    memcpy(t->node, leaves, (size_t)n * POG_HASH_LEN);
    pog_merkle_finish(t);
    memcpy(root, pog_merkle_root(t), POG_HASH_LEN);
    pog_merkle_free(t);
    return SVC_OK;
}
