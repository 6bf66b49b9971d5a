/* SPDX-License-Identifier: MIT */
/* Who may call what: the router's authenticate hook for the service,
 * joining the signature check (auth.h) with the principals table. */
#ifndef SVC_POLICY_H
#define SVC_POLICY_H

#include "router.h"

#include <stdbool.h>
#include <stdint.h>

/* Sets req->role from a valid signature of a known principal, or from
 * --public-read for unsigned GETs of reader routes. Returns SVC_OK,
 * SVC_ERR_UNAUTH (req->err.msg holds the short reason code), SVC_ERR_OVERLOADED
 * when the replay cache is full, or a storage error. Thread-safe. */
enum svc_rc policy_authenticate(struct req *req);

/* An auth_nonce_fn over a struct db_pool (ctx): claims the nonce in the
 * database when replicas share it (PostgreSQL), else accepts it. */
enum svc_rc policy_nonce_claim(void *ctx, const char *key, int64_t expires_ms,
                               int64_t now_ms, bool *fresh);

#endif
