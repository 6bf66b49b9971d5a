/* SPDX-License-Identifier: MIT */
/* Doubles as clients read them: the fewest digits that read back as the
 * same double, written as Python's repr(float) writes them, alone or as
 * the reals of a JSON text. */
#ifndef CORE_NUM_H
#define CORE_NUM_H

#include "rc.h"

#include <stdbool.h>
#include <stddef.h>

enum { NUM_REPR_MAX = 32 }; /* the most bytes num_repr() writes, with NUL */

/* Writes d into out (len >= NUM_REPR_MAX) as Python's repr(float) does:
 * the shortest digits that read back as d, the nearest of them to d when
 * several do; fixed notation for decimal exponents in [-4, 16), else
 * d.ddde+XX ("0.1", "49.6", "2000.0", "-0.0", "1e+22", "5e-324").
 * Returns false, writing nothing, for NaN and the infinities.
 * Thread-safe. */
bool num_repr(double d, char *out, size_t len);

/* Rewrites each real (a number with a fraction or an exponent) of the
 * JSON text *text (malloc'd and NUL-terminated, as json_dumps() returns
 * it) into num_repr()'s form, leaving integers, strings and layout as
 * they are; *len becomes the text's length. jansson writes reals with 17
 * digits ("49.600000000000001"), which read back exactly but not as the
 * number the client sent. Returns SVC_OK, or SVC_ERR_NOMEM after freeing
 * *text and setting it to NULL. Thread-safe. */
SVC_NODISCARD enum svc_rc num_json_shortest(char **text, size_t *len);

#endif
