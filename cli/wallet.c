/* SPDX-License-Identifier: MIT */
/* Signing keys for `computedb call` and `computedb sign`: computedb's own
 * ed25519 key files, and the sr25519 hotkey files a Bittensor wallet
 * writes (DIR/WALLET/hotkeys/HOTKEY), so a validator signs as its hotkey.
 *
 * A hotkey file is JSON: "secretSeed" (0x + the 32-byte mini secret),
 * "privateKey" (0x + 64 bytes: the key scalar || nonce, schnorrkel's own
 * form), "publicKey", "ss58Address", "accountId". The seed is preferred:
 * it is expanded here and must give the public key the file names. */
#include "cli.h"
#include "core/auth_msg.h"
#include "core/sr25519.h"

#include <jansson.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HOTKEY_FILE_MAX = 64 * 1024 };

bool cli_wallet_file(const char *dir, const char *wallet, const char *hotkey,
                     char *out, size_t len)
{
    const char *home = getenv("HOME");
    int n;

    if (dir)
        n = snprintf(out, len, "%s/%s/hotkeys/%s", dir,
                     wallet ? wallet : "default", hotkey ? hotkey : "default");
    else
        n = snprintf(out, len, "%s/.bittensor/wallets/%s/hotkeys/%s",
                     home && *home ? home : ".", wallet ? wallet : "default",
                     hotkey ? hotkey : "default");
    return n > 0 && (size_t)n < len;
}

/* "0x" + hex of exactly n bytes into out; false otherwise. */
static bool hex_field(const json_t *o, const char *name, uint8_t *out, size_t n)
{
    const char *v = json_string_value(json_object_get(o, name));
    size_t got = 0;

    return v && strncmp(v, "0x", 2) == 0 && strlen(v) == 2 + 2 * n &&
           sodium_hex2bin(out, n, v + 2, 2 * n, NULL, &got, NULL) == 0 &&
           got == n;
}

/* Why text is not a hotkey file we can read, for the encrypted forms
 * bittensor writes; NULL when it may be one. */
static const char *encrypted(const char *text, size_t len)
{
    static const struct {
        const char *prefix, *what;
    } kinds[] = {
        {"$NACL", "encrypted (NaCl, bittensor's password-protected format)"},
        {"$BTWALLET", "encrypted (bittensor's password-protected format)"},
        {"$ANSIBLE_VAULT", "encrypted (Ansible vault, an old bittensor "
                           "format)"},
        {"gAAAAA", "encrypted (Fernet, an old bittensor format)"},
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (len >= strlen(kinds[i].prefix) &&
            memcmp(text, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
            return kinds[i].what;
    return NULL;
}

/* Whether secret signs for pk: a privateKey is taken only when a
 * signature made with it verifies under the file's publicKey. */
static bool key_signs(const uint8_t *secret, const uint8_t *pk)
{
    static const uint8_t probe[] = "computedb hotkey check";
    uint8_t sig[SR25519_SIGNATURE_BYTES];

    return sr25519_sign(sig, probe, sizeof(probe) - 1, secret, pk) == SVC_OK &&
           sr25519_verify(sig, probe, sizeof(probe) - 1, pk);
}

/* The key from the seed, or from privateKey; the public key must match
 * what the file says. secret is guarded memory of SR25519_SECRET_BYTES. */
static int derive(const json_t *o, uint8_t *secret,
                  uint8_t pk[SR25519_PUBLIC_BYTES], char *err, size_t errlen)
{
    uint8_t seed[SR25519_SEED_BYTES], named[SR25519_PUBLIC_BYTES];
    bool has_named = hex_field(o, "publicKey", named, sizeof(named));
    int rc = SVC_ERR_INVALID;

    if (hex_field(o, "secretSeed", seed, sizeof(seed))) {
        rc = sr25519_keypair_from_seed(seed, secret, pk);
        sodium_memzero(seed, sizeof(seed));
    } else if (has_named &&
               hex_field(o, "privateKey", secret, SR25519_SECRET_BYTES)) {
        memcpy(pk, named, sizeof(named));
        rc = key_signs(secret, pk) ? SVC_OK : SVC_ERR_CONFLICT;
    } else {
        snprintf(err, errlen,
                 "has neither \"secretSeed\" (0x + 64 hex digits) nor "
                 "\"privateKey\" (0x + 128) with \"publicKey\"");
        return SVC_ERR_INVALID;
    }
    if (rc == SVC_OK && has_named && sodium_memcmp(pk, named, sizeof(named)))
        rc = SVC_ERR_CONFLICT;
    if (rc != SVC_OK)
        snprintf(err, errlen, "its secret does not give its \"publicKey\"");
    return rc;
}

int cli_hotkey_parse(const char *text, size_t len, struct auth_key *k,
                     char *err, size_t errlen)
{
    const char *why = encrypted(text, len);
    char addr[SS58_LEN + 1];
    const char *named;
    json_t *o = NULL;
    int rc = SVC_ERR_INVALID;

    memset(k, 0, sizeof(*k));
    if (why) {
        snprintf(err, errlen,
                 "is %s; computedb reads unencrypted hotkey files (btcli "
                 "writes hotkeys unencrypted unless asked)",
                 why);
        goto out;
    }
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "is not a hotkey file (a JSON object)");
        goto out;
    }
    k->scheme = AUTH_SCHEME_SR25519;
    k->secret = sodium_malloc(SR25519_SECRET_BYTES);
    if (!k->secret) {
        snprintf(err, errlen, "out of memory");
        rc = SVC_ERR_NOMEM;
        goto out;
    }
    rc = derive(o, k->secret, k->pk, err, errlen);
    named = json_string_value(json_object_get(o, "ss58Address"));
    if (rc == SVC_OK && named) {
        ss58_encode(k->pk, addr);
        if (strcmp(addr, named) != 0) {
            snprintf(err, errlen, "names %.60s but its key is %s", named, addr);
            rc = SVC_ERR_INVALID;
        }
    }
out:
    json_decref(o);
    if (rc != SVC_OK)
        auth_key_clear(k);
    return rc;
}

/* Reads up to HOTKEY_FILE_MAX bytes of fd into a new NUL-terminated
 * buffer in guarded memory; NULL on error or an oversized file. */
static char *read_guarded(int fd, size_t *len)
{
    char *buf = sodium_malloc(HOTKEY_FILE_MAX + 1);
    size_t n = 0;
    ssize_t got = 1;

    if (!buf)
        return NULL;
    while (n < HOTKEY_FILE_MAX + 1 && got > 0) {
        got = read(fd, buf + n, HOTKEY_FILE_MAX + 1 - n);
        if (got > 0)
            n += (size_t)got;
    }
    if (got < 0 || n > HOTKEY_FILE_MAX) {
        sodium_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void warn_if_open(const char *path, int fd)
{
    struct stat st;

    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr,
                "computedb: warning: %s may be read by others (mode %03o); "
                "it holds a secret key: chmod 600 %s\n",
                path, (unsigned)(st.st_mode & 0777), path);
}

/* An ed25519 key file into k. */
static bool open_ed25519(const char *path, struct auth_key *k)
{
    uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    char err[512];
    bool ok = false;

    k->scheme = AUTH_SCHEME_ED25519;
    k->secret = auth_seed_new();
    if (!k->secret || !sk)
        fprintf(stderr, "computedb: out of memory\n");
    else if (auth_key_load(path, k->secret, err, sizeof(err)) != SVC_OK)
        fprintf(stderr, "computedb: %s\n", err);
    else
        ok = crypto_sign_seed_keypair(k->pk, sk, k->secret) == 0;
    sodium_free(sk);
    if (!ok)
        auth_key_clear(k);
    return ok;
}

bool cli_key_open(const char *path, struct auth_key *k)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char err[256];
    size_t len = 0;
    char *text;
    bool ok;

    memset(k, 0, sizeof(*k));
    if (fd < 0) {
        fprintf(stderr, "computedb: cannot open key file %s: %s\n", path,
                strerror(errno));
        return false;
    }
    warn_if_open(path, fd);
    text = read_guarded(fd, &len);
    close(fd);
    if (!text) {
        fprintf(stderr, "computedb: cannot read key file %s (over 64 KiB?)\n",
                path);
        return false;
    }
    /* A hotkey file is JSON or one of bittensor's encrypted forms; a key
     * file is hex digits. */
    if (text[0] == '{' || text[0] == '$' || text[0] == 'g') {
        ok = cli_hotkey_parse(text, len, k, err, sizeof(err)) == SVC_OK;
        if (!ok)
            fprintf(stderr, "computedb: hotkey file %s %s\n", path, err);
    } else {
        ok = open_ed25519(path, k);
    }
    sodium_free(text);
    return ok;
}
