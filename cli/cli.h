/* SPDX-License-Identifier: MIT */
/* Client-side subcommands of the computedb binary. Each takes the
 * arguments after its own name and returns the process exit code: 0 on
 * success, 1 on a failed operation (HTTP error, bad key file), 2 on a
 * usage error. */
#ifndef CLI_H
#define CLI_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int cli_keygen(int argc, char **argv);
/* computedb key show FILE: the address of an existing key. */
int cli_key(int argc, char **argv);
int cli_sign(int argc, char **argv);
int cli_call(int argc, char **argv);
int cli_principal(int argc, char **argv);
int cli_backup(int argc, char **argv);
/* computedb migrate --from sqlite:PATH --to postgres://...: copies a
 * database into PostgreSQL. */
int cli_migrate(int argc, char **argv);
/* computedb pog info|benchmark|selftest: the PoG engine, no server. */
int cli_pog(int argc, char **argv);
/* computedb tls selfsigned --out DIR: a key and a self-signed certificate
 * for serve --tls-cert/--tls-key. */
int cli_tls(int argc, char **argv);

/* ---- shared argument parsing (args.c) --------------------------------- */

struct cli_opt {
    const char *name;   /* "--key" */
    const char **value; /* set to the argument; NULL for a flag */
    int *flag;          /* set to 1 for a flag */
};

/* Parses argv: options from opts (either "--name value" or
 * "--name=value"), the rest positional into pos (at most max_pos).
 * Returns the number of positionals, or -1 after printing the problem
 * prefixed with cmd. */
int cli_parse(const char *cmd, int argc, char **argv,
              const struct cli_opt *opts, const char **pos, int max_pos);

/* A command with one subcommand (`key show`, `tls selfsigned`): runs
 * fn(argc - 1, argv + 1) when argv[0] is name; prints usage on stdout for
 * --help (0) and on stderr otherwise (2). */
int cli_subcommand(int argc, char **argv, const char *name,
                   int (*fn)(int argc, char **argv), const char *usage);

/* The key file to use: --key, else $COMPUTEDB_KEY, else data/admin.key. */
const char *cli_key_path(const char *flag);

/* Prints v on stdout, indented, numbers as the server writes them (the
 * shortest form that reads back: 49.6, not 49.600000000000001), and a
 * newline. */
void cli_print_json(const json_t *v);

/* ---- signing keys (wallet.c) ------------------------------------------- */

struct auth_key;

/* Where a Bittensor wallet keeps a hotkey: DIR/WALLET/hotkeys/HOTKEY, with
 * DIR defaulting to ~/.bittensor/wallets and both names to "default" (as
 * btcli does). false when it does not fit out. */
bool cli_wallet_file(const char *dir, const char *wallet, const char *hotkey,
                     char *out, size_t len);
/* Loads the signing key in path: a computedb key file (ed25519, 64 hex
 * digits) or a Bittensor hotkey file (JSON with "secretSeed" or
 * "privateKey" and "publicKey": sr25519). Warns on stderr when others may
 * read it. false after printing why, naming the file. */
bool cli_key_open(const char *path, struct auth_key *k);
/* Parses the text of a hotkey file into k (sr25519); SVC_ERR_INVALID with
 * a message in err for an encrypted, malformed or inconsistent file. */
int cli_hotkey_parse(const char *text, size_t len, struct auth_key *k,
                     char *err, size_t errlen);

#endif
