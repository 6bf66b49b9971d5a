/* SPDX-License-Identifier: MIT */
/* JSON text exactly as Python's json.dumps() writes it with default
 * arguments (", " and ": " separators, ASCII-only with \uXXXX escapes,
 * float repr), so rows we store are byte-identical to the validator's. */
#ifndef SCHEMA_PYJSON_H
#define SCHEMA_PYJSON_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

/* Returns a new malloc'd NUL-terminated string, or NULL on out of memory
 * or a non-finite real. The caller frees it. Thread-safe. */
char *pyjson_dumps(const json_t *v);

/* Formats d as Python's repr(float) does ("2000.0", "1e+16", "1.5e-05")
 * into buf (at least 32 bytes). Returns false for NaN or infinities. */
bool pyjson_float(double d, char *buf, size_t len);

#endif
