/* SPDX-License-Identifier: MIT */
/* bt-http-auth-v1: canonical message, signing, key files and the server's
 * verification (AUTH.md sections 5 and 7). */
#include "auth.h"

#include "auth_replay.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char scheme[] = "bt-http-auth-v1";

static const char *const reason_codes[] = {
#define X(name, code) [AUTH_##name] = code,
    AUTH_REASON_LIST(X)
#undef X
};

const char *auth_reason_code(enum auth_reason reason)
{
    return (unsigned)reason < AUTH_REASON_COUNT ? reason_codes[reason]
                                                : "unauthenticated";
}

int64_t auth_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- field syntax ---------------------------------------------------- */

static bool all_in(const char *s, size_t min, size_t max, const char *extra,
                   bool digits, bool upper, bool lower)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (digits && c >= '0' && c <= '9') ||
                  (upper && c >= 'A' && c <= 'Z') ||
                  (lower && c >= 'a' && c <= 'z') ||
                  (extra && c && strchr(extra, c));

        if (!ok || n >= max)
            return false;
    }
    return n >= min;
}

static bool ok_audience(const char *s)
{
    return s && all_in(s, 1, AUTH_AUDIENCE_MAX, "._:-", true, true, true);
}

static bool ok_method(const char *s)
{
    return s && all_in(s, 1, 16, NULL, false, true, false);
}

static bool ok_target(const char *s)
{
    size_t n = 0;

    if (!s || s[0] != '/')
        return false;
    for (; s[n]; n++)
        if (n >= AUTH_TARGET_MAX || s[n] < 0x21 || s[n] > 0x7e)
            return false;
    return true;
}

/* 13 digits, no sign, no leading zero. */
static bool ok_timestamp(const char *s)
{
    return s && s[0] != '0' && strlen(s) == 13 &&
           all_in(s, 13, 13, NULL, true, false, false);
}

static bool ok_nonce(const char *s)
{
    return s &&
           all_in(s, AUTH_NONCE_MIN, AUTH_NONCE_MAX, "_-", true, true, true);
}

enum svc_rc auth_message(const struct auth_subject *s, const char *timestamp,
                         const char *nonce, const char *signer, char *out,
                         size_t len)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    int n;

    if (!ok_audience(s->audience) || !ok_method(s->method) ||
        !ok_target(s->target) || !ok_timestamp(timestamp) || !ok_nonce(nonce) ||
        !ss58_is_valid(signer))
        return SVC_ERR_INVALID;
    crypto_hash_sha256(digest, (const unsigned char *)(s->body ? s->body : ""),
                       s->body ? s->body_len : 0);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    n = snprintf(out, len, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", scheme,
                 s->audience, s->method, s->target, hex, timestamp, nonce,
                 signer);
    return n > 0 && (size_t)n < len ? SVC_OK : SVC_ERR_INVALID;
}

/* ---- signing --------------------------------------------------------- */

void auth_seed_address(const uint8_t seed[AUTH_SEED_BYTES],
                       char out[SS58_LEN + 1])
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];

    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(sk, sizeof(sk));
    ss58_encode(pk, out);
}

enum svc_rc auth_sign_nonce(const uint8_t seed[AUTH_SEED_BYTES],
                            const struct auth_subject *s, int64_t now_ms,
                            const char *nonce, struct auth_signed *out)
{
    enum { MSG_MAX = AUTH_TARGET_MAX + 512 };
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    uint8_t sig[crypto_sign_BYTES];
    char *msg = malloc(MSG_MAX);
    enum svc_rc rc = SVC_ERR_NOMEM;

    if (!sk || !msg)
        goto out;
    crypto_sign_seed_keypair(pk, sk, seed);
    ss58_encode(pk, out->signer);
    snprintf(out->timestamp, sizeof(out->timestamp), "%lld", (long long)now_ms);
    snprintf(out->nonce, sizeof(out->nonce), "%s", nonce);
    rc = auth_message(s, out->timestamp, out->nonce, out->signer, msg, MSG_MAX);
    if (rc != SVC_OK)
        goto out;
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg),
                         sk);
    out->signature[0] = '0';
    out->signature[1] = 'x';
    sodium_bin2hex(out->signature + 2, sizeof(out->signature) - 2, sig,
                   sizeof(sig));
out:
    sodium_free(sk);
    free(msg);
    return rc;
}

enum svc_rc auth_sign(const uint8_t seed[AUTH_SEED_BYTES],
                      const struct auth_subject *s, int64_t now_ms,
                      struct auth_signed *out)
{
    uint8_t raw[16];
    char nonce[2 * sizeof(raw) + 1];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(nonce, sizeof(nonce), raw, sizeof(raw));
    return auth_sign_nonce(seed, s, now_ms, nonce, out);
}

/* ---- key files ------------------------------------------------------- */

uint8_t *auth_seed_new(void)
{
    return sodium_malloc(AUTH_SEED_BYTES);
}

void auth_seed_free(uint8_t *seed)
{
    sodium_free(seed); /* NULL-safe; wipes before freeing */
}

enum svc_rc auth_key_load(const char *path, uint8_t seed[AUTH_SEED_BYTES],
                          char *err, size_t errlen)
{
    char buf[2 * AUTH_SEED_BYTES + 3] = {0};
    size_t bin_len = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "cannot open key file %s: %s", path,
                 strerror(errno));
        return SVC_ERR_INVALID;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n >= 64 && (n == 64 || buf[64] == '\n' || buf[64] == '\r'))
        buf[64] = '\0';
    if (n < 64 || strlen(buf) != 64 ||
        sodium_hex2bin(seed, AUTH_SEED_BYTES, buf, 64, NULL, &bin_len, NULL) !=
            0 ||
        bin_len != AUTH_SEED_BYTES) {
        sodium_memzero(buf, sizeof(buf));
        snprintf(err, errlen,
                 "%s is not a key file (64 hex characters and a newline)",
                 path);
        return SVC_ERR_INVALID;
    }
    sodium_memzero(buf, sizeof(buf));
    return SVC_OK;
}

enum svc_rc auth_key_create(const char *path, uint8_t seed[AUTH_SEED_BYTES],
                            char *err, size_t errlen)
{
    char hex[2 * AUTH_SEED_BYTES + 2];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok;

    if (fd < 0) {
        snprintf(err, errlen, "cannot create key file %s: %s", path,
                 strerror(errno));
        return errno == EEXIST ? SVC_ERR_CONFLICT : SVC_ERR_INVALID;
    }
    randombytes_buf(seed, AUTH_SEED_BYTES);
    sodium_bin2hex(hex, sizeof(hex), seed, AUTH_SEED_BYTES);
    hex[2 * AUTH_SEED_BYTES] = '\n';
    ok = write(fd, hex, sizeof(hex) - 1) == (ssize_t)(sizeof(hex) - 1) &&
         fsync(fd) == 0;
    sodium_memzero(hex, sizeof(hex));
    if (close(fd) != 0 || !ok) {
        snprintf(err, errlen, "cannot write key file %s", path);
        unlink(path);
        return SVC_ERR_INVALID;
    }
    return SVC_OK;
}

/* ---- verification ---------------------------------------------------- */

struct auth {
    char audience[AUTH_AUDIENCE_MAX + 1];
    int64_t window_ms;
    int64_t started_ms;
    struct replay *replay;
    auth_nonce_fn *shared;
    void *shared_ctx;
};

struct auth *auth_new(const struct auth_options *opt)
{
    struct auth *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    snprintf(a->audience, sizeof(a->audience), "%s", opt->audience);
    a->window_ms = opt->window_ms;
    a->started_ms = opt->started_ms;
    a->shared = opt->shared;
    a->shared_ctx = opt->shared_ctx;
    a->replay = replay_new(opt->replay_capacity);
    if (!a->replay) {
        free(a);
        return NULL;
    }
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    replay_free(a->replay);
    free(a);
}

const char *auth_audience(const struct auth *a)
{
    return a->audience;
}

static enum svc_rc refuse(enum auth_reason *reason, enum auth_reason why)
{
    *reason = why;
    return SVC_ERR_UNAUTH;
}

/* Steps 1 and 2: presence, syntax, time. */
static enum svc_rc check_headers(const struct auth *a,
                                 const struct auth_headers *h, int64_t now_ms,
                                 int64_t *ts, enum auth_reason *reason)
{
    if (!h->signer && !h->timestamp && !h->nonce && !h->signature)
        return refuse(reason, AUTH_MISSING);
    if (h->duplicated)
        return refuse(reason, AUTH_DUPLICATE);
    if (!h->signer || !h->timestamp || !h->nonce || !h->signature ||
        !ok_timestamp(h->timestamp) || !ok_nonce(h->nonce) ||
        strlen(h->signer) != SS58_LEN || strlen(h->signature) != AUTH_SIG_HEX ||
        strncmp(h->signature, "0x", 2) != 0)
        return refuse(reason, AUTH_MALFORMED);
    *ts = strtoll(h->timestamp, NULL, 10);
    if (*ts > now_ms + a->window_ms || *ts < now_ms - a->window_ms)
        return refuse(reason, AUTH_STALE);
    if (*ts < a->started_ms)
        return refuse(reason, AUTH_BEFORE_START);
    return SVC_OK;
}

/* Step 6: the signature over the canonical message. */
static enum svc_rc check_signature(const struct auth *a,
                                   const struct auth_headers *h,
                                   const struct auth_subject *s,
                                   const uint8_t pk[SS58_KEY_BYTES],
                                   enum auth_reason *reason)
{
    enum { MSG_MAX = AUTH_TARGET_MAX + 512 };
    struct auth_subject ours = *s;
    uint8_t sig[crypto_sign_BYTES];
    size_t sig_len = 0;
    char *msg = malloc(MSG_MAX);
    enum svc_rc rc;

    if (!msg)
        return SVC_ERR_NOMEM;
    ours.audience = a->audience;
    if (sodium_hex2bin(sig, sizeof(sig), h->signature + 2, AUTH_SIG_HEX - 2,
                       NULL, &sig_len, NULL) != 0 ||
        sig_len != sizeof(sig) ||
        auth_message(&ours, h->timestamp, h->nonce, h->signer, msg, MSG_MAX) !=
            SVC_OK)
        rc = refuse(reason, AUTH_MALFORMED);
    else if (crypto_sign_verify_detached(sig, (const unsigned char *)msg,
                                         strlen(msg), pk) != 0)
        rc = refuse(reason, AUTH_BAD_SIGNATURE);
    else
        rc = SVC_OK;
    free(msg);
    return rc;
}

/* Step 7, across replicas: the key must be new to the shared store too
 * (a request replayed to another replica sharing the database). */
static enum svc_rc claim_shared(struct auth *a, const uint8_t *key,
                                size_t key_len, int64_t expires_ms,
                                int64_t now_ms, enum auth_reason *reason)
{
    char hex[2 * crypto_generichash_BYTES_MIN + 1];
    bool fresh = false;
    enum svc_rc rc;

    sodium_bin2hex(hex, sizeof(hex), key, key_len);
    rc = a->shared(a->shared_ctx, hex, expires_ms, now_ms, &fresh);
    if (rc != SVC_OK)
        return rc;
    return fresh ? SVC_OK : refuse(reason, AUTH_REPLAY);
}

/* Step 7: remember (signer, nonce) until the timestamp leaves the window.
 */
static enum svc_rc check_replay(struct auth *a, const struct auth_headers *h,
                                int64_t ts, int64_t now_ms,
                                enum auth_reason *reason)
{
    uint8_t key[crypto_generichash_BYTES_MIN]; /* the first 8 bytes serve */
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, sizeof(key));
    crypto_generichash_update(&st, (const uint8_t *)h->signer, SS58_LEN);
    crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
    crypto_generichash_update(&st, (const uint8_t *)h->nonce, strlen(h->nonce));
    crypto_generichash_final(&st, key, sizeof(key));
    /* The shared store first: when it cannot answer (503), nothing is
     * remembered, so the client's retry of the same request is not taken
     * for a replay. */
    if (a->shared) {
        enum svc_rc rc = claim_shared(a, key, sizeof(key),
                                      ts + a->window_ms + 1, now_ms, reason);

        if (rc != SVC_OK)
            return rc;
    }
    switch (replay_insert(a->replay, key, ts + a->window_ms + 1, now_ms)) {
    case REPLAY_FRESH:
        return SVC_OK;
    case REPLAY_SEEN:
        return refuse(reason, AUTH_REPLAY);
    case REPLAY_FULL:
        *reason = AUTH_CACHE_FULL;
        return SVC_ERR_OVERLOADED;
    }
    return SVC_ERR_INTERNAL;
}

enum svc_rc auth_verify(struct auth *a, const struct auth_headers *h,
                        const struct auth_subject *s, int64_t now_ms,
                        auth_lookup_fn *lookup, void *ctx, enum role *role,
                        enum auth_reason *reason)
{
    uint8_t pk[SS58_KEY_BYTES];
    bool found = false, expired = false;
    int64_t ts = 0;
    enum svc_rc rc = check_headers(a, h, now_ms, &ts, reason);

    if (rc != SVC_OK)
        return rc;
    if (ss58_decode(h->signer, pk) != SVC_OK)
        return refuse(reason, AUTH_MALFORMED);
    rc = lookup(ctx, h->signer, role, &found, &expired);
    if (rc != SVC_OK)
        return rc;
    if (!found)
        return refuse(reason, AUTH_UNKNOWN_SIGNER);
    if (expired)
        return refuse(reason, AUTH_EXPIRED);
    rc = check_signature(a, h, s, pk, reason);
    if (rc == SVC_OK)
        rc = check_replay(a, h, ts, now_ms, reason);
    if (rc == SVC_OK)
        *reason = AUTH_OK;
    return rc;
}
