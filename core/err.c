/* SPDX-License-Identifier: MIT */
/* The error detail: where and why input was rejected, filled without
 * allocating and always valid UTF-8 so an error body can be rendered. */
#include "err.h"

#include "utf8.h"

#include <stdio.h>

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
