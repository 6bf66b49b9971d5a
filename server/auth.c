/* SPDX-License-Identifier: MIT */
/* bt-http-auth-v1, the server's side: verification of a signed request
 * with the cheapest checks first, and the replay cache (docs/protocol.md
 * sections 5 and 7). The message and signing are core/auth_msg.c's. */
#include "auth.h"

#include "auth_replay.h"
#include "core/sr25519.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- verification ---------------------------------------------------- */

struct auth {
    char audience[AUTH_AUDIENCE_MAX + 1];
    int64_t window_ms;
    int64_t future_ms;
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
    a->future_ms = opt->future_ms;
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
        !auth_timestamp_ok(h->timestamp) || !auth_nonce_ok(h->nonce) ||
        strlen(h->signer) != SS58_LEN || strlen(h->signature) != AUTH_SIG_HEX ||
        strncmp(h->signature, "0x", 2) != 0)
        return refuse(reason, AUTH_MALFORMED);
    *ts = strtoll(h->timestamp, NULL, 10);
    if (*ts > now_ms + a->future_ms || *ts < now_ms - a->window_ms)
        return refuse(reason, AUTH_STALE);
    /* The process before this one may have accepted any timestamp up to
     * its last moment plus future_ms, and its nonces are gone: only later
     * ones are known fresh (docs/protocol.md section 7). */
    if (*ts <= a->started_ms + a->future_ms)
        return refuse(reason, AUTH_BEFORE_START);
    return SVC_OK;
}

static const char bytes_open[] = "<Bytes>", bytes_close[] = "</Bytes>";

/* sr25519 over msg, or over msg wrapped as a polkadot{.js}-compatible
 * extension's signRaw wraps it (the message holds no "<Bytes>" of its own:
 * it is printable ASCII in fixed lines, so the two forms never meet). */
static bool sr25519_ok(const uint8_t *sig, char *msg, size_t len,
                       const uint8_t *pk)
{
    size_t open = sizeof(bytes_open) - 1, close = sizeof(bytes_close) - 1;

    if (sr25519_verify(sig, (const uint8_t *)msg, len, pk))
        return true;
    memmove(msg + open, msg, len);
    memcpy(msg, bytes_open, open);
    memcpy(msg + open + len, bytes_close, close);
    return sr25519_verify(sig, (const uint8_t *)msg, open + len + close, pk);
}

/* Step 6: the signature over the canonical message, under the principal's
 * scheme alone. */
static enum svc_rc
check_signature(const struct auth *a, const struct auth_headers *h,
                const struct auth_subject *s, const uint8_t pk[SS58_KEY_BYTES],
                enum auth_scheme scheme, enum auth_reason *reason)
{
    struct auth_subject ours = *s;
    uint8_t sig[crypto_sign_BYTES];
    size_t sig_len = 0, len;
    /* Room for the "<Bytes>" wrapping of the longest message. */
    char *msg = malloc(AUTH_MSG_MAX + sizeof(bytes_open) + sizeof(bytes_close));
    bool ok;

    if (!msg)
        return SVC_ERR_NOMEM;
    ours.audience = a->audience;
    if (sodium_hex2bin(sig, sizeof(sig), h->signature + 2, AUTH_SIG_HEX - 2,
                       NULL, &sig_len, NULL) != 0 ||
        sig_len != sizeof(sig) ||
        auth_message(&ours, h->timestamp, h->nonce, h->signer, msg,
                     AUTH_MSG_MAX) != SVC_OK) {
        free(msg);
        return refuse(reason, AUTH_MALFORMED);
    }
    len = strlen(msg);
    if (scheme == AUTH_SCHEME_SR25519)
        ok = sr25519_ok(sig, msg, len, pk);
    else
        ok = crypto_sign_verify_detached(sig, (const unsigned char *)msg, len,
                                         pk) == 0;
    free(msg);
    return ok ? SVC_OK : refuse(reason, AUTH_BAD_SIGNATURE);
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

/* Step 7: remember (signer, nonce) until the timestamp leaves the window:
 * in the shared store under an unkeyed hash that every replica computes
 * alike, and in this process's cache. */
static enum svc_rc check_replay(struct auth *a, const struct auth_headers *h,
                                int64_t ts, int64_t now_ms,
                                enum auth_reason *reason)
{
    uint8_t key[crypto_generichash_BYTES_MIN];
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
    switch (replay_insert(a->replay, h->signer, h->nonce, ts + a->window_ms + 1,
                          now_ms)) {
    case REPLAY_FRESH:
        return SVC_OK;
    case REPLAY_SEEN:
        return refuse(reason, AUTH_REPLAY);
    case REPLAY_FULL:
        *reason = AUTH_CACHE_FULL;
        return SVC_ERR_RATE;
    }
    return SVC_ERR_INTERNAL;
}

enum svc_rc auth_verify(struct auth *a, const struct auth_headers *h,
                        const struct auth_subject *s, int64_t now_ms,
                        enum role need, auth_lookup_fn *lookup, void *ctx,
                        struct auth_principal *who, enum auth_reason *reason)
{
    uint8_t pk[SS58_KEY_BYTES];
    struct auth_principal p = {0};
    int64_t ts = 0;
    enum svc_rc rc = check_headers(a, h, now_ms, &ts, reason);

    if (rc != SVC_OK)
        return rc;
    if (ss58_decode(h->signer, pk) != SVC_OK)
        return refuse(reason, AUTH_MALFORMED);
    rc = lookup(ctx, h->signer, &p);
    if (rc != SVC_OK)
        return rc;
    if (!p.found)
        return refuse(reason, AUTH_UNKNOWN_SIGNER);
    if (p.expired)
        return refuse(reason, AUTH_EXPIRED);
    *who = p;
    rc = check_signature(a, h, s, pk, p.scheme, reason);
    /* A request its role refuses changes nothing, replayed or not: it
     * spends no nonce, so a low key cannot fill its share that way. */
    if (rc == SVC_OK && p.role >= need)
        rc = check_replay(a, h, ts, now_ms, reason);
    if (rc == SVC_OK)
        *reason = AUTH_OK;
    return rc;
}

/* ---- advice on a refusal ----------------------------------------------- */

static bool signer_ok(const char *s)
{
    uint8_t pk[SS58_KEY_BYTES];

    return strlen(s) == SS58_LEN && ss58_decode(s, pk) == SVC_OK;
}

static bool signature_ok(const char *s)
{
    uint8_t sig[crypto_sign_BYTES];
    size_t n = 0;

    return strlen(s) == AUTH_SIG_HEX && strncmp(s, "0x", 2) == 0 &&
           sodium_hex2bin(sig, sizeof(sig), s + 2, AUTH_SIG_HEX - 2, NULL, &n,
                          NULL) == 0 &&
           n == sizeof(sig);
}

/* The first BT-* header that is missing or badly formed, with what it
 * must look like; else the method or target could not be signed. */
static void malformed(const struct auth_headers *h, struct auth_advice *out)
{
    static const char *const names[] = {"BT-Signer", "BT-Timestamp", "BT-Nonce",
                                        "BT-Signature"};
    static const char *const rules[] = {
        "the signing key's SS58 address: 48 characters, network 42, with a "
        "valid checksum",
        "Unix time in milliseconds: exactly 13 digits",
        "16 to 64 characters of A-Z, a-z, 0-9, '_' and '-', new for each "
        "request",
        "0x and 128 hex digits: the 64-byte signature",
    };
    const char *values[] = {h->signer, h->timestamp, h->nonce, h->signature};
    bool good[4];
    size_t i;

    for (i = 0; i < 4; i++)
        if (!values[i]) {
            out->header = names[i];
            snprintf(out->hint, sizeof(out->hint),
                     "%s is missing: a signed request carries all four of "
                     "BT-Signer, BT-Timestamp, BT-Nonce and BT-Signature",
                     names[i]);
            return;
        }
    good[0] = signer_ok(h->signer);
    good[1] = auth_timestamp_ok(h->timestamp);
    good[2] = auth_nonce_ok(h->nonce);
    good[3] = signature_ok(h->signature);
    for (i = 0; i < 4; i++)
        if (!good[i]) {
            out->header = names[i];
            snprintf(out->hint, sizeof(out->hint), "%s must be %s", names[i],
                     rules[i]);
            return;
        }
    snprintf(out->hint, sizeof(out->hint),
             "the request cannot be signed as sent: the method must be "
             "upper-case letters and the target (path and query) 1 to 4096 "
             "printable ASCII bytes without spaces");
}

static void timing(const struct auth *a, const struct auth_headers *h,
                   enum auth_reason reason, struct auth_advice *out)
{
    long long ts = strtoll(h->timestamp, NULL, 10);
    long long off = ts - out->server_ms;

    out->timing = true;
    out->window_ms = a->window_ms;
    out->future_ms = a->future_ms;
    out->accept_after_ms = a->started_ms + a->future_ms;
    if (reason == AUTH_BEFORE_START)
        snprintf(out->hint, sizeof(out->hint),
                 "the server restarted: timestamps up to accept_after_ms may "
                 "repeat requests the previous process took, so they are "
                 "refused; sign the request again now");
    else
        snprintf(out->hint, sizeof(out->hint),
                 "BT-Timestamp is %lld ms %s the server's clock "
                 "(server_time_ms); it may be at most window_ms behind and "
                 "future_ms ahead: sync the clock (NTP) and sign right "
                 "before sending",
                 off < 0 ? -off : off, off < 0 ? "behind" : "ahead of");
}

void auth_advise(const struct auth *a, const struct auth_headers *h,
                 enum auth_reason reason, int64_t now_ms,
                 struct auth_advice *out)
{
    static const char *const hints[AUTH_REASON_COUNT] = {
        [AUTH_MISSING] = "sign the request: BT-Signer, BT-Timestamp, "
                         "BT-Nonce and BT-Signature (computedb call and "
                         "computedb sign do it for you)",
        [AUTH_DUPLICATE] = "send each of BT-Signer, BT-Timestamp, BT-Nonce "
                           "and BT-Signature once",
        [AUTH_EXPIRED] = "the signer's principal has expired: an admin can "
                         "renew it (computedb principal add ... --expires)",
        [AUTH_BAD_SIGNATURE] =
            "the signature does not verify over `signed`, the message this "
            "server built from the request: compare it with the one you "
            "signed (the body's SHA-256 on line 5 differs when the body "
            "changed on the way: use curl --data-binary, not --data; the "
            "target is signed exactly as sent, query order included)",
        [AUTH_REPLAY] = "this nonce was used already: sign every request "
                        "anew, with a fresh BT-Nonce",
        [AUTH_CACHE_FULL] = "too many signed requests from this signer in "
                            "the time window: slow down and retry",
    };

    memset(out, 0, sizeof(*out));
    out->server_ms = now_ms;
    if (reason == AUTH_MALFORMED)
        malformed(h, out);
    else if ((reason == AUTH_STALE || reason == AUTH_BEFORE_START) &&
             h->timestamp)
        timing(a, h, reason, out);
    else if (reason == AUTH_UNKNOWN_SIGNER && h->signer)
        snprintf(out->hint, sizeof(out->hint),
                 "%.48s is not a principal of this server: an admin admits it "
                 "with `computedb principal add --db DB --role reader %.48s` "
                 "(add --scheme sr25519 for a Bittensor hotkey)",
                 h->signer, h->signer);
    else if ((unsigned)reason < AUTH_REASON_COUNT && hints[reason])
        snprintf(out->hint, sizeof(out->hint), "%s", hints[reason]);
}
