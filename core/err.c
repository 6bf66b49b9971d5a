/* SPDX-License-Identifier: MIT */
/* The error detail: where and why input was rejected, filled without
 * allocating and always valid UTF-8 so an error body can be rendered. */
#include "err.h"

#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one
 * (a stray byte, an overlong form, a surrogate or a sequence cut short). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80                 ? 1
               : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;

    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f)))
        return 0;
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f)))
        return 0;
    return n;
}

/* Makes s valid UTF-8 in place: every byte that does not start a whole
 * valid sequence (input quoted back, or text cut by a size limit) becomes
 * '?', so error bodies can always be rendered. */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (*p) {
        size_t n = utf8_len(p);

        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

enum svc_rc svc_err_vset(struct svc_err *err, enum svc_rc rc, const char *field,
                         const char *fmt, va_list ap)
{
    if (!err)
        return rc;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    err->msg[0] = '\0';
    if (fmt)
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    utf8_clean(err->field);
    utf8_clean(err->msg);
    return rc;
}

enum svc_rc svc_err_set(struct svc_err *err, enum svc_rc rc, const char *field,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rc = svc_err_vset(err, rc, field, fmt, ap);
    va_end(ap);
    return rc;
}
