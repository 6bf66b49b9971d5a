/* SPDX-License-Identifier: MIT */
/* A bounded set of (signer, nonce) pairs seen within the time window. It
 * never evicts a live entry: when every slot is live, inserts fail and the
 * caller answers 503. Thread-safe (one mutex). */
#ifndef SVC_AUTH_REPLAY_H
#define SVC_AUTH_REPLAY_H

#include "core/rc.h"

#include <stddef.h>
#include <stdint.h>

/* 64 bits of a hash of (signer, nonce): a collision can only refuse a
 * fresh request (a spurious 401, about n^2/2^65 likely with n live
 * entries), never accept a replay. 16-byte slots keep the table small. */
enum { REPLAY_KEY_BYTES = 8 };

struct replay;

enum replay_result { REPLAY_FRESH, REPLAY_SEEN, REPLAY_FULL };

/* Returns a new set holding up to capacity live entries, or NULL. */
struct replay *replay_new(size_t capacity);
void replay_free(struct replay *r);

/* Records key until expiry_ms unless a live equal key exists (SEEN) or no
 * slot is free of live entries at now_ms (FULL). */
enum replay_result replay_insert(struct replay *r,
                                 const uint8_t key[REPLAY_KEY_BYTES],
                                 int64_t expiry_ms, int64_t now_ms);

#endif
