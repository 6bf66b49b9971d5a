/* SPDX-License-Identifier: MIT */
/* The nonces each signer used within the time window, so that no signed
 * request is accepted twice. Every signer has a share of its own: one key
 * that fills its share (a leaked reader key, a client in a loop) is
 * refused alone, and every other signer goes on. A share never evicts a
 * live entry: when it is full, that signer's inserts fail and the caller
 * answers 429. Thread-safe. */
#ifndef SVC_AUTH_REPLAY_H
#define SVC_AUTH_REPLAY_H

#include "core/rc.h"

#include <stddef.h>
#include <stdint.h>

struct replay;

enum replay_result { REPLAY_FRESH, REPLAY_SEEN, REPLAY_FULL };

/* Returns a new set in which each signer holds up to share live nonces, or
 * NULL. Hashes are keyed by a secret drawn here, so no client can choose
 * nonces that pile up in one place of the table. */
struct replay *replay_new(size_t share);
void replay_free(struct replay *r);

/* Records nonce for signer until expiry_ms unless it is live already
 * (SEEN) or signer's share holds share live entries at now_ms (FULL).
 * Entries are 64-bit keyed hashes of the nonce: a collision could only
 * refuse a fresh request (about n^2/2^65 likely with n live entries of one
 * signer), never accept a replay. */
enum replay_result replay_insert(struct replay *r, const char *signer,
                                 const char *nonce, int64_t expiry_ms,
                                 int64_t now_ms);

#endif
