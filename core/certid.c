/* SPDX-License-Identifier: MIT */
#include "certid.h"

#include <string.h>

static const char prefix[] = "sha256:";

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool cert_id_is_valid(const char *s)
{
    if (!s || strncmp(s, prefix, sizeof(prefix) - 1) != 0 ||
        strlen(s) != CERT_ID_LEN)
        return false;
    for (s += sizeof(prefix) - 1; *s; s++)
        if (hex_value(*s) < 0 || (*s >= 'A' && *s <= 'F'))
            return false;
    return true;
}

void cert_id_from_digest(const uint8_t md[CERT_DIGEST_BYTES],
                         char out[CERT_ID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    char *p = out + sizeof(prefix) - 1;

    memcpy(out, prefix, sizeof(prefix) - 1);
    for (size_t i = 0; i < CERT_DIGEST_BYTES; i++) {
        *p++ = digits[md[i] >> 4];
        *p++ = digits[md[i] & 15];
    }
    *p = '\0';
}

/* 32 bytes of hex from s, pairs separated by sep (0: none), the whole of
 * s. */
static bool read_digest(const char *s, char sep, uint8_t md[CERT_DIGEST_BYTES])
{
    for (size_t i = 0; i < CERT_DIGEST_BYTES; i++) {
        int hi = hex_value(s[0]), lo = hi < 0 ? -1 : hex_value(s[1]);

        if (lo < 0)
            return false;
        md[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (sep && i + 1 < CERT_DIGEST_BYTES && *s++ != sep)
            return false;
    }
    return *s == '\0';
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
    if (strncmp(s, prefix, sizeof(prefix) - 1) == 0)
        ok = read_digest(s + sizeof(prefix) - 1, 0, md);
    else
        ok = read_digest(s, ':', md);
    if (ok)
        cert_id_from_digest(md, out);
    return ok;
}
