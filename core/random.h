/* SPDX-License-Identifier: MIT */
/* Random text from libsodium's generator (randombytes_buf): nonces,
 * request-id prefixes, boot ids. */
#ifndef CORE_RANDOM_H
#define CORE_RANDOM_H

#include <stddef.h>

/* Fills out with len - 1 random lowercase hex digits and a NUL (len >= 1).
 * Thread-safe. */
void random_hex(char *out, size_t len);

#endif
