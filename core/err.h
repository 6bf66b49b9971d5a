/* SPDX-License-Identifier: MIT */
/* The one error-detail shape: the offending field and a message, in fixed
 * arrays so the error path never allocates (a request's req->err, the PoG
 * engine's decoders and loaders). Only server/reply.c renders it. */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include "rc.h"

#include <stdarg.h>

struct svc_err {
    char field[48]; /* offending field, "" when none */
    char msg[160];  /* detail for 4xx bodies and logs, "" when none */
};

/* Fills err (when not NULL) with field (NULL: none) and the printf-style
 * fmt (NULL: no message), both made valid UTF-8 (a byte that starts no
 * whole sequence becomes '?'), and returns rc, so callers can
 * `return svc_err_set(err, SVC_ERR_INVALID, "n", "must be > 0");`. */
enum svc_rc svc_err_set(struct svc_err *err, enum svc_rc rc, const char *field,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with a va_list. */
enum svc_rc svc_err_vset(struct svc_err *err, enum svc_rc rc, const char *field,
                         const char *fmt, va_list ap);

#endif
