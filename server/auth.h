/* SPDX-License-Identifier: MIT */
/* Signed requests, wire format bt-http-auth-v1 (docs/protocol.md section
 * 7), as the server checks them: verification with the cheapest checks
 * first and the bounded replay cache. The message and signing, which the
 * CLI shares, are core/auth_msg.h's. */
#ifndef SVC_AUTH_H
#define SVC_AUTH_H

#include "core/auth_msg.h"
#include "req.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a request was refused; the code is what a 401 body says. */
#define AUTH_REASON_LIST(X)                                                    \
    X(OK, "ok")                                                                \
    X(MISSING, "signature_required")                                           \
    X(MALFORMED, "malformed_auth_header")                                      \
    X(DUPLICATE, "duplicate_auth_header")                                      \
    X(STALE, "timestamp_out_of_window")                                        \
    X(BEFORE_START, "timestamp_before_start")                                  \
    X(UNKNOWN_SIGNER, "unknown_signer")                                        \
    X(EXPIRED, "principal_expired")                                            \
    X(BAD_SIGNATURE, "bad_signature")                                          \
    X(REPLAY, "replayed_nonce")                                                \
    X(CACHE_FULL, "replay_cache_full")                                         \
    X(CERT_REJECTED, "certificate_rejected")                                   \
    X(CONFLICT, "principal_conflict")

enum auth_reason {
#define X(name, code) AUTH_##name,
    AUTH_REASON_LIST(X)
#undef X
        AUTH_REASON_COUNT
};

/* The short code for reason ("bad_signature"). */
const char *auth_reason_code(enum auth_reason reason);

/* The BT-* header values of one request (borrowed), NULL when absent. */
struct auth_headers {
    const char *signer;
    const char *timestamp;
    const char *nonce;
    const char *signature;
    bool duplicated; /* any BT-* header was sent more than once */
};

/* ---- verification ---------------------------------------------------- */

struct auth;

/* Claims a (signer, nonce) key (hex) until expires_ms in storage that
 * other processes share; *fresh false when it was claimed before. */
typedef enum svc_rc auth_nonce_fn(void *ctx, const char *key,
                                  int64_t expires_ms, int64_t now_ms,
                                  bool *fresh);

struct auth_options {
    const char *audience;
    unsigned window_ms;     /* how old a timestamp may be */
    unsigned future_ms;     /* how far ahead of now a timestamp may be */
    size_t replay_capacity; /* live nonces remembered per signer */
    int64_t started_ms;     /* timestamps up to started_ms + future_ms are
                               refused: the process before may have seen
                               them */
    auth_nonce_fn *shared;  /* also claim nonces there (replicas), or NULL */
    void *shared_ctx;
};

/* Returns a new verifier (copies the audience), or NULL on out of memory.
 */
struct auth *auth_new(const struct auth_options *opt);
void auth_free(struct auth *a);
const char *auth_audience(const struct auth *a);

/* What a look-up tells of a signer. */
struct auth_principal {
    bool found;              /* it is a principal */
    bool expired;            /* its expiry has passed */
    enum role role;          /* when found */
    enum auth_scheme scheme; /* its key's signature scheme, when found */
    bool secrets;            /* granted reading allocation secrets */
};

/* Looks up an SS58 signer into *out. */
typedef enum svc_rc auth_lookup_fn(void *ctx, const char *ss58,
                                   struct auth_principal *out);

/* Verifies one request: headers well-formed and single, timestamp within
 * window_ms behind and future_ms ahead of now_ms and later than
 * started_ms + future_ms, signer a principal, signature valid over the
 * canonical message under the principal's scheme only (an sr25519
 * signature also over "<Bytes>" + message + "</Bytes>", what browser
 * extensions sign), and, when the principal's role reaches need, nonce
 * not seen (a request that will be refused for its role spends none). On
 * success *who is what the look-up told of the signer (its role, which
 * the caller compares with need, and its grants). Returns SVC_OK,
 * SVC_ERR_UNAUTH with *reason set, SVC_ERR_RATE when the signer's share of the
 * replay cache is full of live nonces, or the lookup's or the shared store's
 * error. Thread-safe. */
SVC_NODISCARD enum svc_rc
auth_verify(struct auth *a, const struct auth_headers *h,
            const struct auth_subject *s, int64_t now_ms, enum role need,
            auth_lookup_fn *lookup, void *ctx, struct auth_principal *who,
            enum auth_reason *reason);

/* What a refusal tells the client besides its code, so that a signing
 * mistake can be found from the answer alone (docs/protocol.md section
 * 7.4). Nothing in it is secret: the server's clock and window, the header
 * at fault, and what to do next. */
struct auth_advice {
    const char *header;      /* the BT-* header at fault, or NULL */
    char hint[320];          /* what is wrong and what to do next */
    bool timing;             /* the times below apply (timestamp refusals) */
    int64_t server_ms;       /* the server's clock when it refused */
    int64_t window_ms;       /* how far behind a timestamp may be */
    int64_t future_ms;       /* how far ahead */
    int64_t accept_after_ms; /* timestamps up to this are refused */
};

/* Explains why h was refused for reason at now_ms into *out. Only for the
 * refusal path: for AUTH_MALFORMED it repeats the syntax checks to name the
 * header at fault. Thread-safe. */
void auth_advise(const struct auth *a, const struct auth_headers *h,
                 enum auth_reason reason, int64_t now_ms,
                 struct auth_advice *out);

#endif
