/* SPDX-License-Identifier: MIT */
/* Signed requests, wire format bt-http-auth-v1 (AUTH.md section 7): the
 * canonical message, signing (for the CLI and tests), verification with
 * cheapest checks first, and the bounded replay cache. */
#ifndef SVC_AUTH_H
#define SVC_AUTH_H

#include "auth_ss58.h"
#include "rc.h"
#include "req.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    AUTH_SEED_BYTES = 32,
    AUTH_SIG_HEX = 2 + 128, /* "0x" + 64 bytes in hex */
    AUTH_NONCE_MIN = 16,
    AUTH_NONCE_MAX = 64,
    AUTH_AUDIENCE_MAX = 64,
    AUTH_TARGET_MAX = 4096,
    AUTH_WINDOW_MAX_MS = 300000,
};

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
    X(CACHE_FULL, "replay_cache_full")

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

/* What the signature covers. */
struct auth_subject {
    const char *audience;
    const char *method;
    const char *target; /* raw origin-form request-target */
    const char *body;
    size_t body_len;
};

/* Writes the canonical message into out (len bytes, NUL-terminated).
 * Returns SVC_ERR_INVALID when a field is outside its character set or
 * the message does not fit. */
SVC_NODISCARD enum svc_rc auth_message(const struct auth_subject *s,
                                       const char *timestamp, const char *nonce,
                                       const char *signer, char *out,
                                       size_t len);

/* Signs s with the 32-byte seed at now_ms with a fresh random nonce and
 * fills the header values (signer 49, timestamp 14, nonce 33, signature
 * 131 bytes). Thread-safe. */
struct auth_signed {
    char signer[SS58_LEN + 1];
    char timestamp[16];
    char nonce[AUTH_NONCE_MAX + 1];
    char signature[AUTH_SIG_HEX + 1];
};
SVC_NODISCARD enum svc_rc auth_sign(const uint8_t seed[AUTH_SEED_BYTES],
                                    const struct auth_subject *s,
                                    int64_t now_ms, struct auth_signed *out);
/* Same, with the caller's nonce (for test vectors). */
SVC_NODISCARD enum svc_rc auth_sign_nonce(const uint8_t seed[AUTH_SEED_BYTES],
                                          const struct auth_subject *s,
                                          int64_t now_ms, const char *nonce,
                                          struct auth_signed *out);

/* The SS58 address of the key for seed. */
void auth_seed_address(const uint8_t seed[AUTH_SEED_BYTES],
                       char out[SS58_LEN + 1]);

/* A 32-byte seed in guarded memory (sodium_malloc), and its release,
 * which wipes it; NULL-safe. */
uint8_t *auth_seed_new(void);
void auth_seed_free(uint8_t *seed);

/* Key files: 64 hex characters and a newline, mode 0600. auth_key_load
 * reads one into seed (sodium_malloc'd by the caller or plain memory that
 * the caller wipes); auth_key_create writes a new random key and never
 * replaces an existing file (SVC_ERR_CONFLICT). Both return SVC_ERR_INVALID
 * with a message in err for a bad file. */
SVC_NODISCARD enum svc_rc auth_key_load(const char *path,
                                        uint8_t seed[AUTH_SEED_BYTES],
                                        char *err, size_t errlen);
SVC_NODISCARD enum svc_rc auth_key_create(const char *path,
                                          uint8_t seed[AUTH_SEED_BYTES],
                                          char *err, size_t errlen);

/* ---- verification ---------------------------------------------------- */

struct auth;

/* Claims a (signer, nonce) key (hex) until expires_ms in storage that
 * other processes share; *fresh false when it was claimed before. */
typedef enum svc_rc auth_nonce_fn(void *ctx, const char *key,
                                  int64_t expires_ms, int64_t now_ms,
                                  bool *fresh);

struct auth_options {
    const char *audience;
    unsigned window_ms;     /* accepted clock skew either way */
    size_t replay_capacity; /* live (signer, nonce) pairs remembered */
    int64_t started_ms;     /* earlier timestamps are refused */
    auth_nonce_fn *shared;  /* also claim nonces there (replicas), or NULL */
    void *shared_ctx;
};

/* Returns a new verifier (copies the audience), or NULL on out of memory.
 */
struct auth *auth_new(const struct auth_options *opt);
void auth_free(struct auth *a);
const char *auth_audience(const struct auth *a);

/* Looks up the role of an SS58 signer; *found false when it is no
 * principal, *expired true when its expiry has passed. */
typedef enum svc_rc auth_lookup_fn(void *ctx, const char *ss58, enum role *role,
                                   bool *found, bool *expired);

/* Verifies one request: headers well-formed and single, timestamp in the
 * window and after start, signer a principal, signature valid over the
 * canonical message, nonce not seen. On success *role is the principal's
 * role. Returns SVC_OK, SVC_ERR_UNAUTH with *reason set, SVC_ERR_OVERLOADED
 * when the replay cache is full of live entries, or the lookup's error.
 * Thread-safe. */
SVC_NODISCARD enum svc_rc auth_verify(struct auth *a,
                                      const struct auth_headers *h,
                                      const struct auth_subject *s,
                                      int64_t now_ms, auth_lookup_fn *lookup,
                                      void *ctx, enum role *role,
                                      enum auth_reason *reason);

/* Milliseconds since the epoch. */
int64_t auth_now_ms(void);

#endif
