/* SPDX-License-Identifier: MIT */
/* The one growable buffer (after curl's dynbuf): bytes appended or
 * printf-formatted onto the end, always NUL-terminated, with an optional
 * cap. Request bodies, client answers, JSON text, COPY data and the
 * metrics page all accumulate in one. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include "rc.h"

#include <stdarg.h>
#include <stddef.h>

/* A zeroed struct buf is empty and unlimited; {.max = N} is empty and
 * capped at N bytes, as buf_init(b, N) makes it. Read p and len; change the
 * buffer only through the functions below. A buffer is not thread-safe. */
struct buf {
    char *p;        /* the text, NUL-terminated; NULL until an append */
    size_t len;     /* bytes at p, the NUL not counted */
    size_t cap;     /* bytes allocated at p */
    size_t max;     /* the most len may reach; 0 for no limit */
    enum svc_rc rc; /* the first failure; appends after it do nothing */
};

/* Makes b empty with a cap of max bytes (0: none). Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Appends n bytes of data (which may hold NULs) and a NUL after them;
 * appending nothing still makes p a string. Returns SVC_OK,
 * SVC_ERR_TOO_LARGE when len would pass max, or SVC_ERR_NOMEM. On failure
 * the text is unchanged and the failure sticks: every later append does
 * nothing and returns it, so a run of appends may be checked once, at the
 * end, through b->rc or buf_take(). That is why the appends are not
 * SVC_NODISCARD. */
enum svc_rc buf_append(struct buf *b, const void *data, size_t n);
/* Appends the text printf would write for fmt; as buf_append, and
 * SVC_ERR_NOMEM also when vsnprintf itself fails. */
enum svc_rc buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum svc_rc buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Marks b failed with rc (unless it failed already), for a writer that
 * finds midway that its input cannot be written: later appends do nothing,
 * and buf_take() returns rc. */
void buf_fail(struct buf *b, enum svc_rc rc);
/* Empties b and forgets a failure, keeping its memory and its cap. */
void buf_reset(struct buf *b);

/* Moves the text out: *out becomes a malloc'd NUL-terminated string the
 * caller frees ("" when nothing was appended) and *len, when len is not
 * NULL, its length; b is left empty, as buf_init() made it. Returns b's
 * failure, or SVC_ERR_NOMEM, and then frees the text (b is left empty too)
 * and writes neither *out nor *len. */
SVC_NODISCARD enum svc_rc buf_take(struct buf *b, char **out, size_t *len);
/* Frees the text and leaves b empty with its cap. NULL-safe. */
void buf_free(struct buf *b);

#endif
