/* SPDX-License-Identifier: MIT */
/* Shows a URL without its secrets: what logs, error messages and
 * `computedb config print` print for a --db value or any other URL. */
#ifndef CORE_REDACT_H
#define CORE_REDACT_H

#include <stddef.h>

/* Writes into out (len bytes, always terminated, truncated to fit) the
 * URL where with the password of a user:password@ authority and the value
 * of every password= query parameter replaced by "***". A value without
 * "://" (a file path, "sqlite:PATH") is copied as it is. Thread-safe. */
void url_redact(const char *where, char *out, size_t len);

#endif
