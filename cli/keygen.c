/* SPDX-License-Identifier: MIT */
/* computedb keygen: a new ed25519 key for signing requests. */
#include "cli.h"
#include "core/auth_msg.h"

#include <sodium.h>

#include <string.h>

static const char usage[] =
    "usage: computedb keygen [--out FILE]\n\n"
    "Makes a new ed25519 key. With --out, writes FILE (mode 0600; an "
    "existing\nfile is never replaced) and prints the key's SS58 address. "
    "Without it,\nprints the key file line on stdout and the address on "
    "stderr.\nMake the address a principal with `computedb principal add` "
    "or\nPUT /admin/principals/{ss58}.\n";

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
    const char *out = NULL;
    int help = 0;
    const struct cli_opt opts[] = {
        {"--out", &out, NULL}, {"--help", NULL, &help}, {NULL, NULL, NULL}};
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
    if (sodium_init() < 0)
        return 1;
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
