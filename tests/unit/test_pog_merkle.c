/* SPDX-License-Identifier: MIT */
/* Leaf bytes, Merkle roots, proofs and the strict verifier (docs/pog.md 5.1
 * items 5-7). The trees are over the rows of A (exact, no GEMM): row i of
 * the n x n matrix for seed s is g[i .. i+n). */
#include "check.h"
#include "gpu/pog_merkle.h"
#include "gpu/pog_parse.h"
#include "gpu/pog_prng.h"

#include <stdlib.h>

static float *row_of_a(uint64_t s, uint32_t i, uint32_t n)
{
    float *r = malloc(n * sizeof(float));

    CHECK(r);
    for (uint32_t k = 0; k < n; k++)
        r[k] = pog_prng_elem(s, i, k);
    return r;
}

static struct pog_merkle *tree_of_a(uint64_t s, uint32_t n)
{
    struct pog_merkle *t = pog_merkle_new(n);

    CHECK(t);
    for (uint32_t i = 0; i < n; i++) {
        float *r = row_of_a(s, i, n);

        pog_leaf_f32(r, n, pog_merkle_leaf(t, i));
        free(r);
    }
    pog_merkle_finish(t);
    return t;
}

static void check_hex_prefix(const uint8_t *d, const char *want)
{
    char hex[65];

    pog_hex_encode(d, 32, hex);
    if (strncmp(hex, want, strlen(want))) {
        fprintf(stderr, "got %s, want %s\n", hex, want);
        CHECK(0);
    }
}

static void check_row_bytes(void)
{
    static const uint8_t want[16] = {0x00, 0x00, 0x00, 0x00, 0x23, 0xd0,
                                     0x2d, 0x3f, 0x7e, 0x0b, 0xa5, 0x3e,
                                     0x9c, 0x55, 0x7f, 0x3f};
    float *r = row_of_a(0, 0, 4);
    uint8_t leaf[32];

    CHECK(memcmp(r, want, 16) == 0); /* little-endian float32, no header */
    pog_leaf_f32(r, 4, leaf);
    check_hex_prefix(leaf, "63f33cb4aa0991278a7f724f6719a69290ebdaf2fa43926d"
                           "21e190c997775f82");
    free(r);
}

struct root_vec {
    uint32_t n;
    unsigned depth;
    const char *root;
};

static const struct root_vec roots[] = {
    {1, 0, "c05904bfbefd769920c4039162e176fa610a8bcda08bb7bfb5d38ba7d001452d"},
    {2, 1, "f4a9d1800970ae520671fea00674b54a69204a72c8bc708de5858b0cab0abae5"},
    {3, 2, "d9293afec5de0758a4b299c30f4dfd63daff62352015cf8fe021f38372c321fe"},
    {4, 2, "8af8ad23a0c017d8fb3aa14a145a16f32bf8650aa4979bc44c126a07862a189d"},
    {5, 3, "0cedc6f919daa2a4e87d70ea9b37b9eb2511acbdb4d54d73147ee44a61dad1e4"},
    {7, 3, "60a4c30be3bc61f5466c29c4fd39d26eafed4cd38665346d4be57ad0078aab4f"},
    {8, 3, "cc25831feb41f03803aea78007287627cbc1d1e4c871fd2a433a98ca7cf512a2"},
    {16, 4, "6c583ca3995de7836dd470a65dca77b41fb455bc25de279877d8c4605ca6a5c3"},
    {17, 5, "98f92c072380f9283217426bb8b4026d31cb839e0c976a410cad38778a2f374f"},
};

static void check_roots(void)
{
    for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
        struct pog_merkle *t = tree_of_a(42, roots[k].n);

        check_hex_prefix(pog_merkle_root(t), roots[k].root);
        CHECK_INT_EQ(pog_merkle_depth(roots[k].n), roots[k].depth);
        if (roots[k].n == 1) /* the root is the leaf: nothing hashed */
            CHECK(memcmp(pog_merkle_root(t), pog_merkle_leaf(t, 0), 32) == 0);
        pog_merkle_free(t);
    }
    CHECK_INT_EQ(pog_merkle_depth(0), 0);
    CHECK_INT_EQ(pog_merkle_depth(20704), 15);
    CHECK_INT_EQ(pog_merkle_depth(29280), 15);
    CHECK(pog_merkle_new(0) == NULL); /* n = 0 crashes upstream */
}

static void check_n5_proofs(void)
{
    struct pog_merkle *t = tree_of_a(42, 5);
    uint8_t sib[8][32];
    size_t len;

    CHECK(pog_merkle_proof(t, 4, sib, 8, &len) == SVC_OK);
    CHECK_INT_EQ(len, 3);
    check_hex_prefix(sib[0], "996a3dd01a0a29e9"); /* its own leaf */
    CHECK(memcmp(sib[0], pog_merkle_leaf(t, 4), 32) == 0);
    check_hex_prefix(sib[1], "b24d5481b84309b4");
    check_hex_prefix(sib[2], "d02a897d94bc088f");
    CHECK(pog_merkle_proof(t, 0, sib, 8, &len) == SVC_OK);
    check_hex_prefix(sib[0], "233675c2");
    check_hex_prefix(sib[1], "53a735ff");
    check_hex_prefix(sib[2], "1712d846");
    CHECK(pog_merkle_proof(t, 5, sib, 8, &len) == SVC_ERR_INVALID);
    CHECK(pog_merkle_proof(t, 0, sib, 2, &len) == SVC_ERR_INVALID);
    pog_merkle_free(t);
}

/* Proof of index i as verifier input (siblings borrowed from sib). */
static size_t proof_of(const struct pog_merkle *t, uint64_t i,
                       uint8_t sib[][32], struct pog_sibling *p)
{
    size_t len = 0;

    CHECK(pog_merkle_proof(t, i, sib, 40, &len) == SVC_OK);
    for (size_t l = 0; l < len; l++)
        p[l] = (struct pog_sibling){sib[l], 32};
    return len;
}

static void check_all_verify(void)
{
    uint8_t sib[40][32], leaf[32];
    struct pog_sibling p[41];

    for (uint32_t n = 1; n <= 33; n++) {
        struct pog_merkle *t = tree_of_a(7, n);

        for (uint32_t i = 0; i < n; i++) {
            float *r = row_of_a(7, i, n);
            size_t len = proof_of(t, i, sib, p);

            CHECK_INT_EQ(len, pog_merkle_depth(n));
            pog_leaf_f32(r, n, leaf);
            CHECK(pog_merkle_verify(leaf, i, n, p, len, pog_merkle_root(t)) ==
                  POG_PROOF_OK);
            free(r);
        }
        pog_merkle_free(t);
    }
}

/* The reference verifier: no index range, no length check. */
static bool lax_verify(const uint8_t leaf[32], uint64_t idx,
                       const struct pog_sibling *p, size_t len,
                       const uint8_t root[32])
{
    uint8_t h[32];

    memcpy(h, leaf, 32);
    for (size_t l = 0; l < len; l++, idx /= 2)
        if (idx % 2 == 0)
            pog_sha256_pair(h, p[l].bytes, h);
        else
            pog_sha256_pair(p[l].bytes, h, h);
    return memcmp(h, root, 32) == 0;
}

static void check_rejects(void)
{
    struct pog_merkle *t = tree_of_a(42, 8), *t5 = tree_of_a(42, 5);
    uint8_t sib[40][32], leaf[32], bad[32];
    struct pog_sibling p[41], q[41];
    const uint8_t *root = pog_merkle_root(t);
    float *r = row_of_a(42, 4, 8);
    size_t len = proof_of(t, 4, sib, p);
    uint32_t bits;

    pog_leaf_f32(r, 8, leaf);
    CHECK(pog_merkle_verify(leaf, 4, 8, p, len, root) == POG_PROOF_OK);
    /* One flipped bit of the row. */
    memcpy(&bits, &r[3], 4);
    bits ^= 1u << 9;
    memcpy(&r[3], &bits, 4);
    pog_leaf_f32(r, 8, bad);
    CHECK(pog_merkle_verify(bad, 4, 8, p, len, root) == POG_PROOF_MISMATCH);
    /* The wrong index for this proof. */
    CHECK(pog_merkle_verify(leaf, 3, 8, p, len, root) == POG_PROOF_MISMATCH);
    /* Swapped siblings. */
    memcpy(q, p, sizeof(q));
    q[0] = p[1];
    q[1] = p[0];
    CHECK(pog_merkle_verify(leaf, 4, 8, q, len, root) == POG_PROOF_MISMATCH);
    /* Truncated and extended proofs. */
    CHECK(pog_merkle_verify(leaf, 4, 8, p, len - 1, root) ==
          POG_PROOF_BAD_LENGTH);
    p[len] = p[0];
    CHECK(pog_merkle_verify(leaf, 4, 8, p, len + 1, root) ==
          POG_PROOF_BAD_LENGTH);
    /* A wrong root. */
    memcpy(bad, root, 32);
    bad[31] ^= 1;
    CHECK(pog_merkle_verify(leaf, 4, 8, p, len, bad) == POG_PROOF_MISMATCH);
    /* A 31-byte sibling (numpy's stripped trailing NUL). */
    memcpy(q, p, sizeof(q));
    q[1].len = 31;
    CHECK(pog_merkle_verify(leaf, 4, 8, q, len, root) == POG_PROOF_BAD_SIBLING);
    q[1].bytes = NULL;
    q[1].len = 32;
    CHECK(pog_merkle_verify(leaf, 4, 8, q, len, root) == POG_PROOF_BAD_SIBLING);
    free(r);

    /* n = 5: index 4 + 8 passes the reference's path check, not ours. */
    r = row_of_a(42, 4, 5);
    pog_leaf_f32(r, 5, leaf);
    len = proof_of(t5, 4, sib, p);
    CHECK(lax_verify(leaf, 4 + 8, p, len, pog_merkle_root(t5)));
    CHECK(pog_merkle_verify(leaf, 4 + 8, 5, p, len, pog_merkle_root(t5)) ==
          POG_PROOF_BAD_INDEX);
    CHECK(pog_merkle_verify(leaf, 5, 5, p, len, pog_merkle_root(t5)) ==
          POG_PROOF_BAD_INDEX);
    CHECK(pog_merkle_verify(leaf, 0, 0, p, len, pog_merkle_root(t5)) ==
          POG_PROOF_BAD_INDEX);
    CHECK_STR_EQ(pog_proof_status_name(POG_PROOF_BAD_SIBLING), "bad_sibling");
    free(r);
    pog_merkle_free(t);
    pog_merkle_free(t5);
}

/* Self-duplication: root([a,b,c]) == root([a,b,c,c]). Kept for
 * compatibility; the root does not commit to n. */
static void check_duplication(void)
{
    uint8_t leaves[4][32], r3[32], r4[32];

    for (int k = 0; k < 3; k++)
        pog_sha256(&k, sizeof(k), leaves[k]);
    memcpy(leaves[3], leaves[2], 32);
    CHECK(pog_merkle_root_of((const uint8_t(*)[32])leaves, 3, r3) == SVC_OK);
    CHECK(pog_merkle_root_of((const uint8_t(*)[32])leaves, 4, r4) == SVC_OK);
    CHECK(memcmp(r3, r4, 32) == 0);
    CHECK(pog_merkle_root_of((const uint8_t(*)[32])leaves, 0, r4) ==
          SVC_ERR_INVALID);
}

int main(void)
{
    check_row_bytes();
    check_roots();
    check_n5_proofs();
    check_all_verify();
    check_rejects();
    check_duplication();
    return 0;
}
