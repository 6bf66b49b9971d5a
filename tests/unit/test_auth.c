/* SPDX-License-Identifier: MIT */
/* bt-http-auth-v1 pieces without a server: the docs/protocol.md worked vector
 * byte for byte, message field rules, verification order and the replay cache.
 */
#include "check.h"
#include "server/auth.h"
#include "server/auth_replay.h"

#include <sodium.h>

/* docs/protocol.md section 7, worked vector: //Alice ed25519. */
static const char alice_seed[] =
    "abf8e5bdbe30c65656c0a3cbd181ff8a56294a69dfedd27982aace4a76909115";
static const char alice_ss58[] =
    "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu";
static const char vector_sig[] =
    "0x0a2d8210f6f4d05c667fc18728d0617fdf425aaacdada2ed2262d6ddc00c266119cfab"
    "acdc2c987b65d26cc2731c340b0b07d0905fc550b51a38cdc7d3272b09";
static const char body[] = "{\"gpu\":\"h100\",\"count\":1}";

static struct auth_subject vector_subject(void)
{
    return (struct auth_subject){"example-service", "POST",
                                 "/v1/jobs?dry_run=1", body, sizeof(body) - 1};
}

/* The verifier the vectors are checked with: their audience, the default
 * window and skew, started a minute before ts. */
static struct auth_options vector_options(int64_t ts)
{
    return (struct auth_options){.audience = "example-service",
                                 .window_ms = 30000,
                                 .future_ms = 2000,
                                 .replay_capacity = 64,
                                 .started_ms = ts - 60000};
}

static void seed_of(const char *hex, uint8_t seed[AUTH_SEED_BYTES])
{
    size_t n = 0;

    CHECK(sodium_hex2bin(seed, AUTH_SEED_BYTES, hex, 64, NULL, &n, NULL) == 0);
    CHECK(n == AUTH_SEED_BYTES);
}

static void check_worked_vector(void)
{
    struct auth_subject s = vector_subject();
    struct auth_signed sig;
    uint8_t seed[AUTH_SEED_BYTES];
    char msg[1024], addr[SS58_LEN + 1];

    seed_of(alice_seed, seed);
    auth_seed_address(seed, addr);
    CHECK_STR_EQ(addr, alice_ss58);
    CHECK(auth_message(&s, "1700000000000", "0123456789abcdef0123456789abcdef",
                       alice_ss58, msg, sizeof(msg)) == SVC_OK);
    CHECK_STR_EQ(msg, "bt-http-auth-v1\nexample-service\nPOST\n"
                      "/v1/jobs?dry_run=1\n"
                      "ebc047fd9ba6e87146eed4e531aedef93e204d41876f37045397f9"
                      "358ad8e0d1\n1700000000000\n"
                      "0123456789abcdef0123456789abcdef\n"
                      "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu");
    CHECK(auth_sign_nonce(seed, &s, 1700000000000,
                          "0123456789abcdef0123456789abcdef", &sig) == SVC_OK);
    CHECK_STR_EQ(sig.signature, vector_sig);
    CHECK_STR_EQ(sig.signer, alice_ss58);
    CHECK_STR_EQ(sig.timestamp, "1700000000000");
}

static void check_fields(void)
{
    struct auth_subject s = vector_subject();
    char msg[1024];
    const char *nonce = "0123456789abcdef";

    s.method = "post";
    CHECK(auth_message(&s, "1700000000000", nonce, alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    s = vector_subject();
    s.target = "/a\nb";
    CHECK(auth_message(&s, "1700000000000", nonce, alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    s = vector_subject();
    s.audience = "bad audience";
    CHECK(auth_message(&s, "1700000000000", nonce, alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    s = vector_subject();
    CHECK(auth_message(&s, "0700000000000", nonce, alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    CHECK(auth_message(&s, "170000000000", nonce, alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    CHECK(auth_message(&s, "1700000000000", "short", alice_ss58, msg,
                       sizeof(msg)) == SVC_ERR_INVALID);
    CHECK(auth_message(&s, "1700000000000", "0123456789abcdef!", alice_ss58,
                       msg, sizeof(msg)) == SVC_ERR_INVALID);
    CHECK(auth_message(&s, "1700000000000", nonce, alice_ss58, msg, 64) ==
          SVC_ERR_INVALID); /* does not fit */
}

static enum svc_rc alice_is_writer(void *ctx, const char *ss58,
                                   struct auth_principal *out)
{
    (*(int *)ctx)++;
    out->found = strcmp(ss58, alice_ss58) == 0;
    out->expired = false;
    out->role = ROLE_WRITER;
    out->scheme = AUTH_SCHEME_ED25519;
    return SVC_OK;
}

/* Verifies as a route needing role need would. */
static enum auth_reason verify_for(struct auth *a, const struct auth_headers *h,
                                   int64_t now, enum role need, int *lookups)
{
    struct auth_subject s = vector_subject();
    enum auth_reason reason = AUTH_OK;
    struct auth_principal who = {0};
    enum svc_rc rc = auth_verify(a, h, &s, now, need, alice_is_writer, lookups,
                                 &who, &reason);

    CHECK((rc == SVC_OK) == (reason == AUTH_OK));
    if (rc == SVC_OK)
        CHECK(who.role == ROLE_WRITER);
    return reason;
}

static enum auth_reason verify(struct auth *a, const struct auth_headers *h,
                               int64_t now, int *lookups)
{
    return verify_for(a, h, now, ROLE_READER, lookups);
}

static void check_verify(void)
{
    const int64_t ts = 1700000000000;
    struct auth_options o = vector_options(ts);
    struct auth *a = auth_new(&o);
    struct auth_headers h = {alice_ss58, "1700000000000",
                             "0123456789abcdef0123456789abcdef", vector_sig,
                             false};
    struct auth_headers t;
    char bad_sig[sizeof(vector_sig)];
    int lookups = 0;

    CHECK(a != NULL);
    /* A writer's request to an admin route (the caller answers 403) spends
     * no nonce: the same request is still good for a writer route. */
    CHECK(verify_for(a, &h, ts + 30000, ROLE_ADMIN, &lookups) == AUTH_OK);
    CHECK(verify_for(a, &h, ts + 30000, ROLE_ADMIN, &lookups) == AUTH_OK);
    CHECK(verify(a, &h, ts + 30000, &lookups) == AUTH_OK);
    CHECK(verify(a, &h, ts + 1000, &lookups) == AUTH_REPLAY);
    /* Time is checked before any look-up or crypto. */
    lookups = 0;
    CHECK(verify(a, &h, ts + 30001, &lookups) == AUTH_STALE);
    CHECK(verify(a, &h, ts - 30001, &lookups) == AUTH_STALE);
    /* Ahead of the clock: only future_ms, far less than the window. */
    CHECK(verify(a, &h, ts - 2001, &lookups) == AUTH_STALE);
    CHECK(lookups == 0);
    t = h;
    t.signer = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    CHECK(verify(a, &t, ts, &lookups) == AUTH_UNKNOWN_SIGNER);
    memcpy(bad_sig, vector_sig, sizeof(bad_sig));
    bad_sig[10] = bad_sig[10] == 'a' ? 'b' : 'a';
    t = h;
    t.nonce = "another-nonce-0001";
    t.signature = bad_sig;
    CHECK(verify(a, &t, ts, &lookups) == AUTH_BAD_SIGNATURE);
    t = h;
    t.duplicated = true;
    CHECK(verify(a, &t, ts, &lookups) == AUTH_DUPLICATE);
    t = (struct auth_headers){0};
    CHECK(verify(a, &t, ts, &lookups) == AUTH_MISSING);
    t = h;
    t.nonce = NULL;
    CHECK(verify(a, &t, ts, &lookups) == AUTH_MALFORMED);
    t = h;
    t.signature = vector_sig + 2; /* without 0x */
    CHECK(verify(a, &t, ts, &lookups) == AUTH_MALFORMED);
    auth_free(a);
    /* A timestamp before the process started is refused even in window,
     * and so is one the process before may have accepted ahead of its
     * clock: up to future_ms after this one started. */
    o.started_ms = ts + 1;
    a = auth_new(&o);
    CHECK(verify(a, &h, ts + 10, &lookups) == AUTH_BEFORE_START);
    auth_free(a);
    o.started_ms = ts - 2000;
    a = auth_new(&o);
    CHECK(verify(a, &h, ts + 10, &lookups) == AUTH_BEFORE_START);
    auth_free(a);
    o.started_ms = ts - 2001;
    a = auth_new(&o);
    CHECK(verify(a, &h, ts + 10, &lookups) == AUTH_OK);
    auth_free(a);
}

/* A shared nonce store (replicas) that is down on its first call. */
struct store {
    int calls;
    char seen[8][40];
    int n;
};

static enum svc_rc flaky_store(void *ctx, const char *key, int64_t expires_ms,
                               int64_t now_ms, bool *fresh)
{
    struct store *s = ctx;

    (void)expires_ms;
    (void)now_ms;
    if (s->calls++ == 0)
        return SVC_ERR_BUSY;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->seen[i], key) == 0) {
            *fresh = false;
            return SVC_OK;
        }
    CHECK(s->n < 8);
    snprintf(s->seen[s->n++], sizeof(s->seen[0]), "%s", key);
    *fresh = true;
    return SVC_OK;
}

/* With a shared store: a request it could not record (503) is accepted on
 * retry; once recorded, a replay is refused whichever process sees it
 * (a second verifier stands for another replica). */
static void check_shared_store(void)
{
    const int64_t ts = 1700000000000;
    struct store store = {0, {{0}}, 0};
    struct auth_options o = vector_options(ts);
    struct auth *a, *b;
    struct auth_headers h = {alice_ss58, "1700000000000",
                             "0123456789abcdef0123456789abcdef", vector_sig,
                             false};
    struct auth_subject s = vector_subject();
    enum auth_reason reason = AUTH_OK;
    struct auth_principal who = {0};
    int lookups = 0;

    o.shared = flaky_store;
    o.shared_ctx = &store;
    a = auth_new(&o);
    b = auth_new(&o);
    CHECK(a != NULL && b != NULL);
    CHECK(auth_verify(a, &h, &s, ts, ROLE_READER, alice_is_writer, &lookups,
                      &who, &reason) == SVC_ERR_BUSY);
    CHECK(verify(a, &h, ts, &lookups) == AUTH_OK); /* the retry */
    CHECK(verify(a, &h, ts, &lookups) == AUTH_REPLAY);
    CHECK(verify(b, &h, ts, &lookups) == AUTH_REPLAY); /* another replica */
    CHECK_INT_EQ(store.n, 1);
    auth_free(a);
    auth_free(b);
}

/* //Alice's sr25519 key, whatever scheme the test gives it. */
static const char alice_sr_ss58[] =
    "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
static enum auth_scheme alice_sr_scheme;

static enum svc_rc alice_sr_is_reader(void *ctx, const char *ss58,
                                      struct auth_principal *out)
{
    (void)ctx;
    out->found = strcmp(ss58, alice_sr_ss58) == 0;
    out->expired = false;
    out->role = ROLE_READER;
    out->scheme = alice_sr_scheme;
    return SVC_OK;
}

/* docs/protocol.md section 7.7, vector 4: a signature @polkadot/util-crypto
 * made over vector 1's request. It passes for an sr25519 principal only:
 * under ed25519 the same bytes are a bad signature. */
static void check_sr25519_vector(void)
{
    static const char sig[] =
        "0x3aaa418d5d48f5500d651d7cb567eb99f0951ae239053f316d9f784dee8ab969"
        "4779aded85c4929dc7e8e5b7b5b63301885aacb6ace02150e939d82df52a4a8f";
    const int64_t ts = 1700000000000;
    struct auth_options o = vector_options(ts);
    struct auth_headers h = {alice_sr_ss58, "1700000000000",
                             "0123456789abcdef0123456789abcdef", sig, false};
    struct auth_subject s = vector_subject();
    enum auth_reason reason = AUTH_OK;
    struct auth_principal who = {0};
    struct auth *a = auth_new(&o);

    CHECK(a != NULL);
    alice_sr_scheme = AUTH_SCHEME_ED25519;
    CHECK(auth_verify(a, &h, &s, ts, ROLE_READER, alice_sr_is_reader, NULL,
                      &who, &reason) == SVC_ERR_UNAUTH);
    CHECK(reason == AUTH_BAD_SIGNATURE);
    alice_sr_scheme = AUTH_SCHEME_SR25519;
    CHECK(auth_verify(a, &h, &s, ts, ROLE_READER, alice_sr_is_reader, NULL,
                      &who, &reason) == SVC_OK);
    CHECK(who.role == ROLE_READER && who.scheme == AUTH_SCHEME_SR25519);
    auth_free(a);
}

/* A random nonce of 32 hex characters. */
static void new_nonce(char out[33])
{
    uint8_t b[16];

    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(out, 33, b, sizeof(b));
}

static void check_replay_cache(void)
{
    static const char *const a = "signer-a", *const b = "signer-b";
    struct replay *r = replay_new(64);
    char nonce[33];

    CHECK(r != NULL);
    for (unsigned i = 0; i < 64; i++) {
        new_nonce(nonce);
        CHECK(replay_insert(r, a, nonce, 2000, 1000) == REPLAY_FRESH);
    }
    CHECK(replay_insert(r, a, nonce, 2000, 1000) == REPLAY_SEEN);
    /* The same nonce from another signer is another request. */
    CHECK(replay_insert(r, b, nonce, 2000, 1000) == REPLAY_FRESH);
    /* a's share is full of live entries: a is refused, nothing evicted,
     * and b goes on with a share of its own. */
    new_nonce(nonce);
    CHECK(replay_insert(r, a, nonce, 2000, 1000) == REPLAY_FULL);
    CHECK(replay_insert(r, a, nonce, 2000, 1999) == REPLAY_FULL);
    for (unsigned i = 0; i < 63; i++) {
        new_nonce(nonce);
        CHECK(replay_insert(r, b, nonce, 2000, 1000) == REPLAY_FRESH);
    }
    new_nonce(nonce);
    CHECK(replay_insert(r, b, nonce, 2000, 1000) == REPLAY_FULL);
    /* Once they expire the space comes back. */
    for (unsigned i = 0; i < 200; i++) {
        new_nonce(nonce);
        CHECK(replay_insert(r, a, nonce, 2010 + i, 2000 + i) == REPLAY_FRESH);
    }
    replay_free(r);
}

/* Many signers, each with a few nonces: shares are made as signers come,
 * and none is lost as the map grows. */
static void check_replay_signers(void)
{
    struct replay *r = replay_new(8);
    char signer[32], nonce[32];

    CHECK(r != NULL);
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(signer, sizeof(signer), "signer-%u", i);
        for (unsigned k = 0; k < 3; k++) {
            snprintf(nonce, sizeof(nonce), "nonce-%u", k);
            CHECK(replay_insert(r, signer, nonce, 5000, 1000) == REPLAY_FRESH);
        }
    }
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(signer, sizeof(signer), "signer-%u", i);
        CHECK(replay_insert(r, signer, "nonce-1", 5000, 1000) == REPLAY_SEEN);
    }
    replay_free(r);
}

int main(void)
{
    CHECK(ss58_init() == SVC_OK);
    check_worked_vector();
    check_fields();
    check_verify();
    check_shared_store();
    check_replay_cache();
    check_replay_signers();
    check_sr25519_vector();
    return 0;
}
