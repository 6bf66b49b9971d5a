/* SPDX-License-Identifier: MIT */
/* SS58 (network 42) against the vectors of docs/protocol.md section 1. */
#include "check.h"
#include "core/ss58.h"

#include <stdint.h>

struct vector {
    const char *hex;
    const char *ss58;
};

/* docs/protocol.md section 1: Alice/Bob sr25519, Alice/Bob/Charlie ed25519,
 * RFC 8032 test 1, RFC 9421 test key, and the all-0 / all-ff keys. */
static const struct vector vectors[] = {
    {"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
     "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"},
    {"8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
     "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"},
    {"88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee",
     "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"},
    {"d17c2d7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69",
     "5GoNkf6WdbxCFnPdAnYYQyCjAKPJgLNxXwPjwTh6DGg6gN3E"},
    {"439660b36c6c03afafca027b910b4fecf99801834c62a5e6006f27d978de234f",
     "5DbKjhNLpqX3zqZdNBc9BGb4fHU1cRBaDhJUskrvkwfraDi6"},
    {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "5Gw54ghuAHodDGAS91DUxqvKa6PeT9bhDdns3ztBupY8pSyn"},
    {"26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb",
     "5CwTAK5a69mJRGxEpC8B9o2yNPEo1LnkwDL9Wrr4pQGkGbnJ"},
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "5HrN7fHLXWcFiXPwwtq2EkSGns9eMt5P7SpeTPewumZy6ftb"},
};

static void unhex(const char *hex, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;

        CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (uint8_t)v;
    }
}

static void check_vector(const struct vector *v)
{
    uint8_t key[32], got[32];
    char enc[SS58_LEN + 1];

    unhex(v->hex, key);
    ss58_encode(key, enc);
    CHECK_STR_EQ(enc, v->ss58);
    CHECK(ss58_decode(v->ss58, got) == SVC_OK);
    CHECK(memcmp(got, key, 32) == 0);
}

static void check_rejects(void)
{
    /* docs/protocol.md's negative vector: last character changed. */
    CHECK(!ss58_is_valid("5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpv"));
    CHECK(!ss58_is_valid(""));
    CHECK(!ss58_is_valid(NULL));
    CHECK(!ss58_is_valid("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQ"));
    CHECK(!ss58_is_valid("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQYY"));
    /* '0', 'O', 'I' and 'l' are not in the alphabet. */
    CHECK(!ss58_is_valid("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKut0Y"));
    CHECK(!ss58_is_valid("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutlY"));
    /* A Polkadot (prefix 0) address of Alice: valid SS58, wrong network. */
    CHECK(!ss58_is_valid("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"));
    /* Overflow: the largest base58 string of this length. */
    CHECK(!ss58_is_valid("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
}

int main(void)
{
    CHECK(ss58_init() == SVC_OK);
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        check_vector(&vectors[i]);
    check_rejects();
    return 0;
}
