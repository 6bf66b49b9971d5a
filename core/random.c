/* SPDX-License-Identifier: MIT */
/* random_hex over libsodium's randombytes_buf. */
#include "random.h"

#include <sodium.h>

#include <stdlib.h>

void random_hex(char *out, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[32];
    size_t i = 0;

    if (!len)
        return;
    /* Idempotent and thread-safe; a process without a random source must
     * not go on handing out predictable nonces and ids. */
    if (sodium_init() < 0)
        abort();
    while (i + 1 < len) {
        randombytes_buf(b, sizeof(b));
        for (size_t k = 0; k < sizeof(b) && i + 1 < len; k++)
            out[i++] = digits[b[k] & 0x0f];
    }
    out[i] = '\0';
}
