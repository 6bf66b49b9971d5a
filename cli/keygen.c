/* SPDX-License-Identifier: MIT */
/* computedb keygen: a new key for signing requests, ed25519 (a computedb
 * key file) or sr25519 (a hotkey file as a Bittensor wallet writes it). */
#include "cli.h"
#include "core/auth_msg.h"
#include "core/sr25519.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: computedb keygen [--scheme ed25519|sr25519] [--out FILE]\n\n"
    "Makes a new key: ed25519 (the default; a file of 64 hex digits) or "
    "sr25519\n(a hotkey file in the JSON a Bittensor wallet writes, which "
    "`computedb call\n--key FILE` and btcli read). With --out, writes FILE "
    "(mode 0600; an existing\nfile is never replaced) and prints the key's "
    "SS58 address. Without it, prints\nthe key file on stdout and the "
    "address on stderr.\nMake the address a principal with `computedb "
    "principal add [--scheme S]` or\nPUT /admin/principals/{ss58}.\n";

/* The JSON of a hotkey file for seed, into out (guarded, len bytes); the
 * address into addr. */
static enum svc_rc hotkey_json(const uint8_t seed[SR25519_SEED_BYTES],
                               char *out, size_t len, char *addr)
{
    uint8_t *secret = sodium_malloc(SR25519_SECRET_BYTES);
    uint8_t pk[SR25519_PUBLIC_BYTES];
    char *hex = sodium_malloc(2 * SR25519_SECRET_BYTES + 1);
    char pk_hex[2 * SR25519_PUBLIC_BYTES + 1];
    enum svc_rc rc = secret && hex ? SVC_OK : SVC_ERR_NOMEM;
    int n;

    if (rc == SVC_OK)
        rc = sr25519_keypair_from_seed(seed, secret, pk);
    if (rc != SVC_OK)
        goto out;
    ss58_encode(pk, addr);
    sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
    n = snprintf(out, len,
                 "{\"accountId\": \"0x%s\", \"publicKey\": \"0x%s\", "
                 "\"privateKey\": \"0x",
                 pk_hex, pk_hex);
    sodium_bin2hex(hex, 2 * SR25519_SECRET_BYTES + 1, secret,
                   SR25519_SECRET_BYTES);
    n += snprintf(out + n, len - (size_t)n,
                  "%s\", \"secretPhrase\": null, \"secretSeed\": \"0x", hex);
    sodium_bin2hex(hex, 2 * SR25519_SECRET_BYTES + 1, seed, SR25519_SEED_BYTES);
    snprintf(out + n, len - (size_t)n, "%s\", \"ss58Address\": \"%s\"}\n", hex,
             addr);
out:
    sodium_free(secret);
    sodium_free(hex);
    return rc;
}

/* A new sr25519 hotkey file at path (NULL: stdout), 0600, never over an
 * existing file. */
static int sr25519_key(const char *path)
{
    uint8_t *seed = sodium_malloc(SR25519_SEED_BYTES);
    char *json = sodium_malloc(1024), addr[SS58_LEN + 1];
    int fd = -1, code = 1;
    size_t len;

    if (!seed || !json)
        goto out;
    randombytes_buf(seed, SR25519_SEED_BYTES);
    if (hotkey_json(seed, json, 1024, addr) != SVC_OK)
        goto out;
    len = strlen(json);
    if (!path) {
        code = fwrite(json, 1, len, stdout) == len ? 0 : 1;
        fprintf(stderr, "%s\n", addr);
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, json, len) != (ssize_t)len || fsync(fd) != 0) {
        fprintf(stderr, "computedb keygen: cannot write %s: %s\n", path,
                errno == EEXIST ? "it exists (a key is never replaced)"
                                : strerror(errno));
        if (fd >= 0)
            unlink(path);
        goto out;
    }
    printf("%s\n", addr);
    code = 0;
out:
    if (fd >= 0)
        close(fd);
    sodium_free(seed);
    sodium_free(json);
    return code;
}

static int to_stdout(void)
{
    uint8_t *seed = auth_seed_new();
    char hex[2 * AUTH_SEED_BYTES + 1], addr[SS58_LEN + 1];

    if (!seed)
        return 1;
    randombytes_buf(seed, AUTH_SEED_BYTES);
    sodium_bin2hex(hex, sizeof(hex), seed, AUTH_SEED_BYTES);
    auth_seed_address(seed, addr);
    auth_seed_free(seed);
    printf("%s\n", hex);
    sodium_memzero(hex, sizeof(hex));
    fprintf(stderr, "%s\n", addr);
    return 0;
}

int cli_keygen(int argc, char **argv)
{
    const char *out = NULL, *scheme_name = NULL;
    enum auth_scheme scheme = AUTH_SCHEME_ED25519;
    int help = 0;
    const struct cli_opt opts[] = {{"--out", &out, NULL},
                                   {"--scheme", &scheme_name, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    char err[512], addr[SS58_LEN + 1];
    uint8_t *seed;
    enum svc_rc rc;

    if (cli_parse("computedb keygen", argc, argv, opts, NULL, 0) < 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    if (scheme_name && !auth_scheme_parse(scheme_name, &scheme)) {
        fprintf(stderr, "computedb keygen: --scheme must be ed25519 or "
                        "sr25519\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    if (scheme == AUTH_SCHEME_SR25519)
        return sr25519_key(out);
    if (!out)
        return to_stdout();
    seed = auth_seed_new();
    if (!seed)
        return 1;
    rc = auth_key_create(out, seed, err, sizeof(err));
    if (rc == SVC_OK)
        auth_seed_address(seed, addr);
    auth_seed_free(seed);
    if (rc != SVC_OK) {
        fprintf(stderr, "computedb keygen: %s\n", err);
        return 1;
    }
    printf("%s\n", addr);
    return 0;
}
