/* SPDX-License-Identifier: MIT */
/* bt-http-auth-v1, the side a signer and the server share
 * (docs/protocol.md section 7): the canonical message, the syntax of its
 * fields, signing with an ed25519 seed, and key files. */
#ifndef CORE_AUTH_MSG_H
#define CORE_AUTH_MSG_H

#include "rc.h"
#include "ss58.h"

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
    AUTH_MSG_MAX = AUTH_TARGET_MAX + 512, /* the longest canonical message */
};

/* The signature schemes a principal's key may use, X(ENUM, "name"); a
 * request is verified under its principal's scheme only. */
#define AUTH_SCHEME_LIST(X)                                                    \
    X(ED25519, "ed25519")                                                      \
    X(SR25519, "sr25519")

enum auth_scheme {
#define X(name, text) AUTH_SCHEME_##name,
    AUTH_SCHEME_LIST(X)
#undef X
        AUTH_SCHEME_COUNT
};

/* "ed25519" or "sr25519" ("?" out of range). */
const char *auth_scheme_name(enum auth_scheme scheme);
/* Parses a scheme name; false for any other text. */
bool auth_scheme_parse(const char *name, enum auth_scheme *out);

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

/* A signing key of either scheme. secret lives in guarded memory
 * (sodium_malloc): the ed25519 seed (32 bytes) or the sr25519 secret
 * (64 bytes: key scalar || nonce, as Bittensor wallet files store it). */
struct auth_key {
    enum auth_scheme scheme;
    uint8_t *secret;
    uint8_t pk[SS58_KEY_BYTES];
};

/* Wipes and frees k->secret (NULL-safe) and clears k. */
void auth_key_clear(struct auth_key *k);
/* Signs s with k at now_ms with a fresh random nonce (as auth_sign).
 * Thread-safe. */
SVC_NODISCARD enum svc_rc auth_key_sign(const struct auth_key *k,
                                        const struct auth_subject *s,
                                        int64_t now_ms,
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

/* True when s is a BT-Timestamp: 13 digits, no sign, no leading zero. */
bool auth_timestamp_ok(const char *s);
/* True when s is a BT-Nonce: 16 to 64 of [A-Za-z0-9_-]. */
bool auth_nonce_ok(const char *s);

#endif
