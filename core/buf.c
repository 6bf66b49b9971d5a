/* SPDX-License-Identifier: MIT */
/* The growable buffer behind buf.h: capacity doubles from BUF_MIN bytes,
 * never past the cap (and its NUL); a failure is recorded once and sticks
 * until the buffer is reset, taken or freed. */
#include "buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BUF_MIN = 256 };

void buf_init(struct buf *b, size_t max)
{
    *b = (struct buf){.max = max};
}

/* Records rc as b's failure unless one is there already; returns b's. */
static enum svc_rc fail(struct buf *b, enum svc_rc rc)
{
    if (b->rc == SVC_OK)
        b->rc = rc;
    return b->rc;
}

void buf_fail(struct buf *b, enum svc_rc rc)
{
    (void)fail(b, rc);
}

/* The allocation that holds need bytes: doubling from BUF_MIN, at most the
 * cap and its NUL (need fits in that: the caller checked). */
static size_t grown_cap(const struct buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : BUF_MIN;

    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->max && cap - 1 > b->max)
        cap = b->max + 1;
    return cap;
}

/* Makes room for n more bytes and the NUL. */
static enum svc_rc reserve(struct buf *b, size_t n)
{
    size_t cap;
    char *p;

    if (b->max && n > b->max - b->len)
        return SVC_ERR_TOO_LARGE;
    if (n > SIZE_MAX - 1 - b->len)
        return SVC_ERR_NOMEM;
    if (b->p && b->len + n + 1 <= b->cap)
        return SVC_OK;
    cap = grown_cap(b, b->len + n + 1);
    p = realloc(b->p, cap);
    if (!p)
        return SVC_ERR_NOMEM;
    b->p = p;
    b->cap = cap;
    return SVC_OK;
}

enum svc_rc buf_append(struct buf *b, const void *data, size_t n)
{
    enum svc_rc rc = b->rc;

    if (rc == SVC_OK)
        rc = reserve(b, n);
    if (rc != SVC_OK)
        return fail(b, rc);
    if (n) /* data may be NULL then, which memcpy must not see */
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return SVC_OK;
}

/* Whether n more bytes fit in the room already allocated, within the cap
 * (then vsnprintf has written them all). */
static bool fits(const struct buf *b, size_t n)
{
    return b->p && n < b->cap - b->len && (!b->max || n <= b->max - b->len);
}

enum svc_rc buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    enum svc_rc rc = b->rc;
    int n;

    if (rc != SVC_OK)
        return rc;
    va_copy(again, ap);
    /* Most text fits in the room there is: format once, straight in. */
    n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt,
                  ap);
    if (n >= 0 && !fits(b, (size_t)n)) {
        if (b->p)
            b->p[b->len] = '\0'; /* drop the truncated attempt */
        rc = reserve(b, (size_t)n);
        if (rc == SVC_OK &&
            vsnprintf(b->p + b->len, b->cap - b->len, fmt, again) != n)
            rc = SVC_ERR_NOMEM;
    }
    va_end(again);
    if (n < 0)
        rc = SVC_ERR_NOMEM;
    if (rc != SVC_OK) {
        if (b->p)
            b->p[b->len] = '\0';
        return fail(b, rc);
    }
    b->len += (size_t)n;
    return SVC_OK;
}

enum svc_rc buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    enum svc_rc rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->rc = SVC_OK;
    if (b->p)
        b->p[0] = '\0';
}

enum svc_rc buf_take(struct buf *b, char **out, size_t *len)
{
    enum svc_rc rc = buf_append(b, "", 0); /* "" when nothing came */

    if (rc != SVC_OK) {
        buf_free(b);
        return rc;
    }
    *out = b->p;
    if (len)
        *len = b->len;
    buf_init(b, b->max);
    return SVC_OK;
}

void buf_free(struct buf *b)
{
    if (!b)
        return;
    free(b->p);
    buf_init(b, b->max);
}
