/* SPDX-License-Identifier: MIT */
#include "certid.h"

#include <sodium.h>

#include <string.h>

static const char prefix[] = "sha256:";
enum { PREFIX_LEN = sizeof(prefix) - 1 };

bool cert_id_is_valid(const char *s)
{
    if (!s || strncmp(s, prefix, PREFIX_LEN) != 0 || strlen(s) != CERT_ID_LEN)
        return false;
    return strspn(s + PREFIX_LEN, "0123456789abcdef") ==
           CERT_ID_LEN - PREFIX_LEN;
}

void cert_id_from_digest(const uint8_t md[CERT_DIGEST_BYTES],
                         char out[CERT_ID_LEN + 1])
{
    memcpy(out, prefix, PREFIX_LEN);
    sodium_bin2hex(out + PREFIX_LEN, CERT_ID_LEN + 1 - PREFIX_LEN, md,
                   CERT_DIGEST_BYTES);
}

/* Exactly 32 bytes of hex, the whole of s; sep (or NULL) may stand between
 * two bytes. */
static bool read_digest(const char *s, const char *sep,
                        uint8_t md[CERT_DIGEST_BYTES])
{
    size_t n = 0, len = strlen(s);
    const char *end = NULL;

    return sodium_hex2bin(md, CERT_DIGEST_BYTES, s, len, sep, &n, &end) == 0 &&
           n == CERT_DIGEST_BYTES && end == s + len;
}

bool cert_id_parse(const char *s, char out[CERT_ID_LEN + 1])
{
    static const char openssl[] = "SHA256 Fingerprint=";
    uint8_t md[CERT_DIGEST_BYTES];
    bool ok;

    if (!s)
        return false;
    if (strncmp(s, openssl, sizeof(openssl) - 1) == 0)
        s += sizeof(openssl) - 1;
    if (strncmp(s, prefix, PREFIX_LEN) == 0)
        ok = read_digest(s + PREFIX_LEN, NULL, md);
    else
        ok = strlen(s) == 3 * CERT_DIGEST_BYTES - 1 && read_digest(s, ":", md);
    if (ok)
        cert_id_from_digest(md, out);
    return ok;
}
