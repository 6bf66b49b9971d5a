/* SPDX-License-Identifier: MIT */
/* SS58 (network 42) encode and strict decode, on libsodium's BLAKE2b. */
#include "ss58.h"

#include <sodium.h>

#include <string.h>

enum { RAW_LEN = 1 + SS58_KEY_BYTES + 2 };

static const char alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

enum svc_rc ss58_init(void)
{
    return sodium_init() < 0 ? SVC_ERR_INTERNAL : SVC_OK;
}

static void checksum(const uint8_t *raw, uint8_t out[2])
{
    static const char pre[] = "SS58PRE";
    crypto_generichash_state st;
    uint8_t h[crypto_generichash_BYTES_MAX];

    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const uint8_t *)pre, sizeof(pre) - 1);
    crypto_generichash_update(&st, raw, 1 + SS58_KEY_BYTES);
    crypto_generichash_final(&st, h, sizeof(h));
    out[0] = h[0];
    out[1] = h[1];
}

static int digit(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;

    return p ? (int)(p - alphabet) : -1;
}

/* Big-endian base58 -> exactly RAW_LEN bytes; false on overflow. */
static bool b58_decode(const char *s, uint8_t raw[RAW_LEN])
{
    memset(raw, 0, RAW_LEN);
    for (size_t i = 0; i < SS58_LEN; i++) {
        int d = digit(s[i]);
        unsigned carry;

        if (d < 0)
            return false;
        carry = (unsigned)d;
        for (int j = RAW_LEN - 1; j >= 0; j--) {
            carry += 58u * raw[j];
            raw[j] = (uint8_t)(carry & 0xffu);
            carry >>= 8;
        }
        if (carry)
            return false;
    }
    return true;
}

enum svc_rc ss58_decode(const char *s, uint8_t key[SS58_KEY_BYTES])
{
    uint8_t raw[RAW_LEN], sum[2];

    if (!s || strlen(s) != SS58_LEN || !b58_decode(s, raw) ||
        raw[0] != SS58_PREFIX)
        return SVC_ERR_INVALID;
    checksum(raw, sum);
    if (sum[0] != raw[RAW_LEN - 2] || sum[1] != raw[RAW_LEN - 1])
        return SVC_ERR_INVALID;
    if (key)
        memcpy(key, raw + 1, SS58_KEY_BYTES);
    return SVC_OK;
}

bool ss58_is_valid(const char *s)
{
    return ss58_decode(s, NULL) == SVC_OK;
}

void ss58_encode(const uint8_t key[SS58_KEY_BYTES], char out[SS58_LEN + 1])
{
    uint8_t raw[RAW_LEN];
    uint8_t b58[SS58_LEN + 8] = {0}; /* little-endian base58 digits */
    size_t n = 0;

    raw[0] = SS58_PREFIX;
    memcpy(raw + 1, key, SS58_KEY_BYTES);
    checksum(raw, raw + 1 + SS58_KEY_BYTES);
    for (size_t i = 0; i < RAW_LEN; i++) {
        unsigned carry = raw[i];

        for (size_t j = 0; j < n; j++) {
            carry += 256u * b58[j];
            b58[j] = (uint8_t)(carry % 58u);
            carry /= 58u;
        }
        while (carry && n < sizeof(b58)) {
            b58[n++] = (uint8_t)(carry % 58u);
            carry /= 58u;
        }
    }
    /* Prefix 42 never yields leading zero bytes, so no leading '1's. */
    for (size_t i = 0; i < SS58_LEN; i++)
        out[i] = alphabet[i < n ? b58[n - 1 - i] : 0];
    out[SS58_LEN] = '\0';
}
