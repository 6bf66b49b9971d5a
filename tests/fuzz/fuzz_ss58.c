/* SPDX-License-Identifier: MIT */
/* The SS58 decoder (server/auth_ss58.c): any string is either refused or
 * decodes to a key that encodes back to exactly that string; and any 32
 * bytes encode to an address that decodes back to them. */
#include "core/ss58.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128], again[SS58_LEN + 1];
    uint8_t key[SS58_KEY_BYTES], back[SS58_KEY_BYTES];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    bool ok;

    fz_init(false);
    memcpy(s, data, n);
    s[n] = '\0';
    ok = ss58_decode(s, key) == SVC_OK;
    FZ_ASSERT(ok == ss58_is_valid(s));
    if (ok) {
        FZ_ASSERT(strlen(s) == SS58_LEN);
        ss58_encode(key, again);
        FZ_ASSERT(strcmp(again, s) == 0);
    }
    if (size >= SS58_KEY_BYTES) {
        ss58_encode(data, again);
        FZ_ASSERT(strlen(again) == SS58_LEN);
        FZ_ASSERT(ss58_decode(again, back) == SVC_OK);
        FZ_ASSERT(memcmp(back, data, SS58_KEY_BYTES) == 0);
    }
    return 0;
}
