/* SPDX-License-Identifier: MIT */
/* UTF-8 validation, shared by the error detail (core/err.c) and the logs
 * (core/log.c): both must turn client bytes into valid text. */
#ifndef CORE_UTF8_H
#define CORE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there
 * are not one: a stray continuation byte, an overlong form, a surrogate,
 * past U+10FFFF, or cut short by the end of the string (s is
 * NUL-terminated; the NUL itself reads as a one-byte sequence). */
size_t utf8_len(const unsigned char *s);

#endif
