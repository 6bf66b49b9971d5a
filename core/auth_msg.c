/* SPDX-License-Identifier: MIT */
/* bt-http-auth-v1, the side both ends share: the canonical message, the
 * field syntax, signing and key files (docs/protocol.md sections 5 and 7).
 * The server's verification is in server/auth.c; the CLI signs with this. */
#include "auth_msg.h"

#include "random.h"
#include "sr25519.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char scheme[] = "bt-http-auth-v1";

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

static const char *const scheme_names[] = {
#define X(name, text) [AUTH_SCHEME_##name] = text,
    AUTH_SCHEME_LIST(X)
#undef X
};

const char *auth_scheme_name(enum auth_scheme which)
{
    return (unsigned)which < AUTH_SCHEME_COUNT ? scheme_names[which] : "?";
}

bool auth_scheme_parse(const char *name, enum auth_scheme *out)
{
    for (int i = 0; name && i < AUTH_SCHEME_COUNT; i++)
        if (strcmp(name, scheme_names[i]) == 0) {
            *out = (enum auth_scheme)i;
            return true;
        }
    return false;
}

/* 13 digits, no sign, no leading zero. */
bool auth_timestamp_ok(const char *s)
{
    return s && s[0] != '0' && strlen(s) == 13 &&
           all_in(s, 13, 13, NULL, true, false, false);
}

bool auth_nonce_ok(const char *s)
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
        !ok_target(s->target) || !auth_timestamp_ok(timestamp) ||
        !auth_nonce_ok(nonce) || !ss58_is_valid(signer))
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

/* Fills the signer, timestamp and nonce of out and writes the message
 * into msg (AUTH_MSG_MAX bytes). */
static enum svc_rc begin_signed(const uint8_t pk[SS58_KEY_BYTES],
                                const struct auth_subject *s, int64_t now_ms,
                                const char *nonce, struct auth_signed *out,
                                char *msg)
{
    ss58_encode(pk, out->signer);
    snprintf(out->timestamp, sizeof(out->timestamp), "%lld", (long long)now_ms);
    snprintf(out->nonce, sizeof(out->nonce), "%s", nonce);
    return auth_message(s, out->timestamp, out->nonce, out->signer, msg,
                        AUTH_MSG_MAX);
}

static void put_signature(const uint8_t sig[crypto_sign_BYTES],
                          struct auth_signed *out)
{
    out->signature[0] = '0';
    out->signature[1] = 'x';
    sodium_bin2hex(out->signature + 2, sizeof(out->signature) - 2, sig,
                   crypto_sign_BYTES);
}

enum svc_rc auth_sign_nonce(const uint8_t seed[AUTH_SEED_BYTES],
                            const struct auth_subject *s, int64_t now_ms,
                            const char *nonce, struct auth_signed *out)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    uint8_t sig[crypto_sign_BYTES];
    char *msg = malloc(AUTH_MSG_MAX);
    enum svc_rc rc = SVC_ERR_NOMEM;

    if (!sk || !msg)
        goto out;
    crypto_sign_seed_keypair(pk, sk, seed);
    rc = begin_signed(pk, s, now_ms, nonce, out, msg);
    if (rc != SVC_OK)
        goto out;
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg),
                         sk);
    put_signature(sig, out);
out:
    sodium_free(sk);
    free(msg);
    return rc;
}

enum svc_rc auth_sign(const uint8_t seed[AUTH_SEED_BYTES],
                      const struct auth_subject *s, int64_t now_ms,
                      struct auth_signed *out)
{
    char nonce[33]; /* 128 random bits in hex */

    random_hex(nonce, sizeof(nonce));
    return auth_sign_nonce(seed, s, now_ms, nonce, out);
}

/* sr25519: randomised by the signer itself (core/sr25519.c). */
static enum svc_rc sign_sr25519(const struct auth_key *k,
                                const struct auth_subject *s, int64_t now_ms,
                                struct auth_signed *out)
{
    uint8_t sig[SR25519_SIGNATURE_BYTES];
    char nonce[33];
    char *msg = malloc(AUTH_MSG_MAX);
    enum svc_rc rc = msg ? SVC_OK : SVC_ERR_NOMEM;

    random_hex(nonce, sizeof(nonce));
    if (rc == SVC_OK)
        rc = begin_signed(k->pk, s, now_ms, nonce, out, msg);
    if (rc == SVC_OK)
        rc = sr25519_sign(sig, (const uint8_t *)msg, strlen(msg), k->secret,
                          k->pk);
    if (rc == SVC_OK)
        put_signature(sig, out);
    free(msg);
    return rc;
}

enum svc_rc auth_key_sign(const struct auth_key *k,
                          const struct auth_subject *s, int64_t now_ms,
                          struct auth_signed *out)
{
    if (!k->secret)
        return SVC_ERR_INVALID;
    if (k->scheme == AUTH_SCHEME_SR25519)
        return sign_sr25519(k, s, now_ms, out);
    return auth_sign(k->secret, s, now_ms, out);
}

void auth_key_clear(struct auth_key *k)
{
    sodium_free(k->secret); /* NULL-safe; wipes before freeing */
    memset(k, 0, sizeof(*k));
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
