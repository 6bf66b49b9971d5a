/* SPDX-License-Identifier: MIT */
/* Keccak-f[1600], the permutation under SHA-3 and STROBE (core/merlin.c):
 * 24 rounds over a 200-byte state read as 25 little-endian 64-bit lanes,
 * lane x + 5y at bytes 8(x + 5y) .. 8(x + 5y) + 7. */
#ifndef CORE_KECCAK_H
#define CORE_KECCAK_H

#include <stdint.h>

enum { KECCAK_STATE_BYTES = 200 };

/* Applies the permutation to state in place. Pure: thread-safe on distinct
 * states. Leaves no copy of the state behind (it may hold keyed data). */
void keccak_f1600(uint8_t state[KECCAK_STATE_BYTES]);

#endif
