/* SPDX-License-Identifier: MIT */
/* The computedb binary: the subcommand table, and `serve`, which opens the
 * server (app.c), waits for SIGINT/SIGTERM and reloads on SIGHUP. */
#include "app.h"
#include "cli/cli.h"
#include "config.h"
#include "core/log.h"
#include "schema/db.h"
#include "version.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Serves until SIGINT or SIGTERM; SIGHUP re-reads what can change live. */
static int run_until_stopped(const sigset_t *set, struct app_run *run,
                             struct config *cfg, const struct config_args *args)
{
    int sig = 0;

    for (;;) {
        sigwait(set, &sig);
        if (sig != SIGHUP)
            return sig;
        if (config_reload(cfg, args) != SVC_OK) {
            log_warn("SIGHUP: configuration unchanged (see above)");
            continue;
        }
        log_set_level((enum log_level)cfg->log_level);
        log_set_json(cfg->log_json);
        app_reload(run, cfg);
        log_info("SIGHUP: reloaded log level %s, %u CORS origin(s), "
                 "public read %s",
                 log_level_name(cfg->log_level), cfg->n_cors,
                 cfg->public_read ? "on" : "off");
    }
}

/* Loads the configuration; returns -1 to go on, else an exit code. */
static int load_config(struct config *cfg, const struct config_args *args)
{
    int help = 0;

    config_defaults(cfg);
    if (config_parse(cfg, args, &help) != SVC_OK) {
        fprintf(stderr,
                "computedb %s: every setting is in `computedb serve "
                "--help`\n",
                args->cmd);
        return 2;
    }
    if (help) {
        config_usage(stdout);
        return 0;
    }
    log_set_level((enum log_level)cfg->log_level);
    log_set_json(cfg->log_json);
    return -1;
}

static int serve(int argc, char **argv)
{
    struct config cfg;
    struct config_args args = {"serve", argc, argv, stderr};
    struct app_run *run = NULL;
    sigset_t set;
    int code = load_config(&cfg, &args), sig;

    if (code >= 0)
        return code;
    /* Block the signals before any thread starts, so sigwait is their only
     * receiver and MHD's threads never see them. */
    block_signals(&set);
    if (app_open(&cfg, &run) != SVC_OK)
        return 1;
    log_info("computedb %s listening on %s://%s:%u (db %s, %u threads)",
             COMPUTEDB_VERSION, cfg.tls_cert[0] ? "https" : "http",
             cfg.listen_host, (unsigned)app_port(run),
             db_pool_path(run->app.db), cfg.threads);
    sig = run_until_stopped(&set, run, &cfg, &args);
    log_info("stopping on signal %d", sig);
    app_drain(run);
    app_close(run);
    log_info("stopped cleanly");
    return 0;
}

/* computedb config print [serve flags]: the effective configuration. */
static int config_cmd(int argc, char **argv)
{
    struct config cfg;
    struct config_args args = {"config", argc - 1, argv + 1, stderr};
    int code;

    if (argc < 1 || strcmp(argv[0], "print") != 0) {
        fputs("usage: computedb config print [serve flags]\n\nPrints the "
              "configuration `computedb serve` would run with, from the\n"
              "--config file, COMPUTEDB_* variables and the flags given, as "
              "a config\nfile: `computedb config print > c.json` then "
              "`--config c.json` runs with\nthe same settings.\n",
              argc >= 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr);
        return argc >= 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
    }
    code = load_config(&cfg, &args);
    if (code >= 0)
        return code;
    config_print(&cfg, stdout);
    return 0;
}

static int version_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("computedb %s (%s)\n", COMPUTEDB_VERSION, COMPUTEDB_GIT_COMMIT);
    return 0;
}

static int help_cmd(int argc, char **argv);

/* Runs a subcommand with the arguments after its name; returns the exit
 * code. */
typedef int command_fn(int argc, char **argv);

/* clang-format off */
/* The subcommands, by every name each answers to; help is the line usage
 * prints (NULL: an alias, not listed). */
static const struct command {
    const char *name;
    command_fn *run;
    const char *help;
} commands[] = {
    {"serve",     serve,         "serve the validator database over HTTP"},
    {"config",    config_cmd,    "print the effective configuration (config print)"},
    {"call",      cli_call,      "sign and send one request (computedb call GET /miners)"},
    {"sign",      cli_sign,      "print signature headers for curl"},
    {"keygen",    cli_keygen,    "make a key for signing requests (ed25519 or sr25519)"},
    {"key",       cli_key,       "show the address of a key file (key show FILE)"},
    {"principal", cli_principal, "add, remove or list who may sign requests"},
    {"backup",    cli_backup,    "copy a database file online (--db PATH --out FILE)"},
    {"migrate",   cli_migrate,   "copy a SQLite database into PostgreSQL (--from sqlite:PATH\n"
                                 "             --to postgres://URL)"},
    {"pog",       cli_pog,       "run the Proof-of-GPU engine here: info, benchmark, selftest"},
    {"tls",       cli_tls,       "make a self-signed HTTPS certificate (tls selfsigned --out DIR)"},
    {"version",   version_cmd,   "print the version"},
    {"--version", version_cmd,   NULL},
    {"help",      help_cmd,      "this text"},
    {"--help",    help_cmd,      NULL},
    {"-h",        help_cmd,      NULL},
};
/* clang-format on */

static void usage(FILE *out)
{
    fputs("usage: computedb <command> [flags]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].help)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fputs("\n`computedb <command> --help` tells more about each.\n", out);
}

static int help_cmd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "computedb: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
