/* SPDX-License-Identifier: MIT */
/* SS58 addresses for the generic Substrate network (prefix 42), as
 * Bittensor uses them: base58(0x2a || key32 || blake2b512("SS58PRE" ||
 * 0x2a || key32)[0..2]). Pure functions; thread-safe once sodium_init()
 * has run (ss58_init does it). */
#ifndef SVC_AUTH_SS58_H
#define SVC_AUTH_SS58_H

#include "rc.h"

#include <stdbool.h>
#include <stdint.h>

enum { SS58_LEN = 48, SS58_KEY_BYTES = 32, SS58_PREFIX = 42 };

/* Initialises libsodium. Returns SVC_ERR_INTERNAL when it cannot. */
SVC_NODISCARD enum svc_rc ss58_init(void);

/* Decodes an address: exactly 48 base58 characters, prefix 42, valid
 * checksum. On success writes the 32-byte public key to key (which may be
 * NULL to only validate). Returns SVC_ERR_INVALID otherwise. */
SVC_NODISCARD enum svc_rc ss58_decode(const char *s,
                                      uint8_t key[SS58_KEY_BYTES]);
/* True when s is a valid network-42 address. */
bool ss58_is_valid(const char *s);
/* Encodes key as a network-42 address into out (49 bytes with NUL). */
void ss58_encode(const uint8_t key[SS58_KEY_BYTES], char out[SS58_LEN + 1]);

#endif
