/* SPDX-License-Identifier: MIT */
/* computedb key show: the address of an existing signing key (a computedb
 * key file or a Bittensor hotkey), so an operator can make it a principal
 * without signing anything. */
#include "cli.h"
#include "core/auth_msg.h"

#include <sodium.h>

#include <string.h>

static const char usage[] =
    "usage: computedb key show (FILE | --wallet W [--hotkey H] "
    "[--wallet-path DIR])\n\n"
    "Prints the SS58 address of a signing key on stdout, and on stderr its "
    "scheme and\nthe command that makes it a principal. FILE is a computedb "
    "key file (ed25519,\nas `computedb keygen` writes) or a Bittensor hotkey "
    "file (sr25519); --wallet\nnames a wallet's hotkey as btcli does "
    "(--hotkey default, --wallet-path\n~/.bittensor/wallets). A key file "
    "that others may read is reported: chmod 600.\n";

/* Opens the key named by a file or a wallet; false after printing why. */
static bool open_named(const char *file, const char *wallet, const char *hotkey,
                       const char *wallet_path, struct auth_key *k)
{
    char path[4096];

    if (file)
        return cli_key_open(file, k);
    if (!cli_wallet_file(wallet_path, wallet, hotkey, path, sizeof(path))) {
        fprintf(stderr, "computedb key: the wallet path is too long\n");
        return false;
    }
    return cli_key_open(path, k);
}

static int show(int argc, char **argv)
{
    const char *wallet = NULL, *hotkey = NULL, *wallet_path = NULL, *pos[1];
    int help = 0, n;
    const struct cli_opt opts[] = {{"--wallet", &wallet, NULL},
                                   {"--hotkey", &hotkey, NULL},
                                   {"--wallet-path", &wallet_path, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    bool by_wallet;
    struct auth_key k;
    char addr[SS58_LEN + 1];

    n = cli_parse("computedb key show", argc, argv, opts, pos, 1);
    by_wallet = wallet || hotkey || wallet_path;
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    if (n < 0 || (n == 1) == by_wallet) {
        fputs(usage, stderr);
        return 2;
    }
    if (sodium_init() < 0 ||
        !open_named(n == 1 ? pos[0] : NULL, wallet, hotkey, wallet_path, &k))
        return 1;
    ss58_encode(k.pk, addr);
    printf("%s\n", addr);
    fprintf(stderr,
            "scheme %s; an admin makes it a principal with:\n  computedb "
            "principal add --db DB --role reader%s %s\n",
            auth_scheme_name(k.scheme),
            k.scheme == AUTH_SCHEME_SR25519 ? " --scheme sr25519" : "", addr);
    auth_key_clear(&k);
    return 0;
}

int cli_key(int argc, char **argv)
{
    return cli_subcommand(argc, argv, "show", show, usage);
}
