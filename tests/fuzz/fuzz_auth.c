/* SPDX-License-Identifier: MIT */
/* The signed-request parser (server/auth.c, bt-http-auth-v1) and the key
 * file reader. The first byte picks a mode; the rest is '\n'-separated
 * fields: signer, timestamp, nonce, signature, method, target, then the
 * body (an empty header field is an absent header).
 *   0 verify: auth_verify on the headers as given, at a fixed clock.
 *   1 sign then verify: a request signed by auth_sign_nonce must verify
 *     (or be a replay, or meet a full cache); with one signature byte
 *     changed it must not.
 *   2 key file: the rest is a key file for auth_key_load.
 *   3 message: auth_message must refuse any field that would make the
 *     canonical message ambiguous (exactly 8 lines when it accepts). */
#include "fuzz.h"
#include "server/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int64_t fixed_now = 1700000000000LL;
static int64_t moving_now = 1700000000000LL;
static struct auth *fixed, *moving;
static uint8_t seed[AUTH_SEED_BYTES];
static char key_path[128];

static enum svc_rc lookup(void *ctx, const char *ss58,
                          struct auth_principal *out)
{
    bool expire = *(const bool *)ctx;

    FZ_ASSERT(ss58_is_valid(ss58)); /* no lookup for a malformed signer */
    out->role = ROLE_ADMIN;
    out->scheme = AUTH_SCHEME_ED25519;
    out->found = true;
    out->expired = expire;
    return SVC_OK;
}

static void remove_key(void)
{
    unlink(key_path);
}

static void setup(void)
{
    struct auth_options o = {.audience = "computedb",
                             .window_ms = 30000,
                             .future_ms = 2000,
                             .replay_capacity = 16,
                             .started_ms = fixed_now - 60000};
    int fd;

    fz_init(false);
    fixed = auth_new(&o);
    o.started_ms = 0;
    o.replay_capacity = 64;
    moving = auth_new(&o);
    FZ_ASSERT(fixed && moving);
    for (size_t i = 0; i < sizeof(seed); i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    snprintf(key_path, sizeof(key_path), "/tmp/computedb-fuzz-key-XXXXXX");
    fd = mkstemp(key_path);
    FZ_ASSERT(fd >= 0);
    close(fd);
    atexit(remove_key);
}

struct fields {
    char signer[128], timestamp[32], nonce[128], signature[256];
    char method[32], target[512];
    const uint8_t *body;
    size_t body_len;
};

static void split(const uint8_t *data, size_t size, struct fields *f)
{
    fz_take_line(&data, &size, f->signer, sizeof(f->signer));
    fz_take_line(&data, &size, f->timestamp, sizeof(f->timestamp));
    fz_take_line(&data, &size, f->nonce, sizeof(f->nonce));
    fz_take_line(&data, &size, f->signature, sizeof(f->signature));
    fz_take_line(&data, &size, f->method, sizeof(f->method));
    fz_take_line(&data, &size, f->target, sizeof(f->target));
    f->body = data;
    f->body_len = size;
}

static const char *or_null(const char *s)
{
    return s[0] ? s : NULL;
}

static void verify_as_given(uint8_t flags, const struct fields *f)
{
    struct auth_headers h = {or_null(f->signer), or_null(f->timestamp),
                             or_null(f->nonce), or_null(f->signature),
                             (flags & 0x10) != 0};
    struct auth_subject s = {"computedb", f->method, f->target,
                             (const char *)f->body, f->body_len};
    bool expire = (flags & 0x20) != 0;
    struct auth_principal who = {0};
    enum auth_reason why = AUTH_OK;
    enum svc_rc rc = auth_verify(fixed, &h, &s, fixed_now, ROLE_NONE, lookup,
                                 &expire, &who, &why);

    FZ_ASSERT(rc == SVC_OK || rc == SVC_ERR_UNAUTH || rc == SVC_ERR_OVERLOADED);
    FZ_ASSERT((rc == SVC_OK) == (why == AUTH_OK));
    if (rc == SVC_OK) /* only a real signature of our seed can pass */
        FZ_ASSERT(who.role == ROLE_ADMIN && !expire);
}

static void sign_then_verify(uint8_t flags, const struct fields *f)
{
    struct auth_subject s = {"computedb", f->method, f->target,
                             (const char *)f->body, f->body_len};
    struct auth_signed sig;
    struct auth_headers h = {sig.signer, sig.timestamp, sig.nonce,
                             sig.signature, false};
    bool expire = false;
    struct auth_principal who;
    enum auth_reason why;
    enum svc_rc rc;

    moving_now += 1000; /* old nonces leave the window */
    if (auth_sign_nonce(seed, &s, moving_now, f->nonce, &sig) != SVC_OK)
        return;
    rc = auth_verify(moving, &h, &s, moving_now, ROLE_NONE, lookup, &expire,
                     &who, &why);
    FZ_ASSERT(rc == SVC_OK || why == AUTH_REPLAY || why == AUTH_CACHE_FULL);
    /* Flip one hex digit of the signature: never accepted. */
    {
        size_t at = 2 + flags % (AUTH_SIG_HEX - 2);

        sig.signature[at] = sig.signature[at] == '0' ? '1' : '0';
        rc = auth_verify(moving, &h, &s, moving_now, ROLE_NONE, lookup, &expire,
                         &who, &why);
        FZ_ASSERT(rc != SVC_OK);
    }
}

static void key_file(const uint8_t *data, size_t size)
{
    uint8_t out[AUTH_SEED_BYTES];
    char err[256];
    FILE *f = fopen(key_path, "wb");

    FZ_ASSERT(f != NULL);
    FZ_ASSERT(fwrite(data, 1, size, f) == size);
    FZ_ASSERT(fclose(f) == 0);
    if (auth_key_load(key_path, out, err, sizeof(err)) == SVC_OK) {
        /* 64 hex digits, then nothing or a line end. */
        FZ_ASSERT(size >= 64);
        for (size_t i = 0; i < 64; i++)
            FZ_ASSERT(strchr("0123456789abcdefABCDEF", data[i]) && data[i]);
    }
}

static void message(const struct fields *f)
{
    struct auth_subject s = {"computedb", f->method, f->target,
                             (const char *)f->body, f->body_len};
    char out[AUTH_TARGET_MAX + 512];
    size_t lines = 0;

    if (auth_message(&s, f->timestamp, f->nonce, f->signer, out, sizeof(out)) !=
        SVC_OK)
        return;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    FZ_ASSERT(lines == 7);
    FZ_ASSERT(strncmp(out, "bt-http-auth-v1\ncomputedb\n", 26) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fields f;
    uint8_t mode;

    if (!fixed)
        setup();
    if (size == 0)
        return 0;
    mode = data[0];
    if ((mode & 3) == 2) {
        key_file(data + 1, size - 1);
        return 0;
    }
    split(data + 1, size - 1, &f);
    if ((mode & 3) == 0)
        verify_as_given(mode, &f);
    else if ((mode & 3) == 1)
        sign_then_verify(mode, &f);
    else
        message(&f);
    return 0;
}
