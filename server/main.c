/* SPDX-License-Identifier: MIT */
/* The computedb binary: subcommand dispatch, and `serve`, which opens the
 * database, starts the HTTP server and waits for SIGINT/SIGTERM. */
#include "../cli/cli.h"
#include "../handlers/pog_service.h"
#include "../schema/db.h"
#include "../schema/queries.h"
#include "auth.h"
#include "auth_ss58.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "router.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *out)
{
    fputs("usage: computedb <command> [flags]\n\n"
          "commands:\n"
          "  serve      serve the validator database over HTTP\n"
          "  config     print the effective configuration (config print)\n"
          "  call       sign and send one request (computedb call GET "
          "/miners)\n"
          "  sign       print signature headers for curl\n"
          "  keygen     make an ed25519 key for signing requests\n"
          "  principal  add, remove or list who may sign requests\n"
          "  backup     copy a database file online (--db PATH --out FILE)\n"
          "  migrate    copy a SQLite database into PostgreSQL (--from "
          "sqlite:PATH\n             --to postgres://URL)\n"
          "  pog        run the Proof-of-GPU engine here: info, benchmark, "
          "selftest\n"
          "  version    print the version\n"
          "  help       this text\n\n"
          "`computedb <command> --help` tells more about each.\n",
          out);
}

/* Creates the parent directory of path when it is missing (one level, as
 * for the default ./data/database.db). */
static int ensure_parent_dir(const char *path)
{
    char dir[4096];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    log_err("cannot create %s: %s", dir, strerror(errno));
    return -1;
}

struct first_admin {
    const char *ss58;
    int64_t existing;
};

static enum svc_rc first_admin_tx(struct db *db, void *ctx)
{
    struct first_admin *f = ctx;
    struct q_principal p = {f->ss58, "admin", "first-run admin", NULL};
    bool created = false;
    enum svc_rc rc = q_principals_count(db, &f->existing);

    if (rc != SVC_OK || f->existing > 0)
        return rc;
    return q_principals_put(db, &p, &created);
}

/* First run: with no principals at all, make the key in --admin-key (or
 * the one already there: a key file is never overwritten) an admin and
 * say how to use it. */
static int bootstrap_admin(struct db_pool *pool, const struct config *cfg)
{
    uint8_t *seed = auth_seed_new();
    char addr[SS58_LEN + 1], err[512];
    struct first_admin f = {addr, 0};
    bool made = false;
    enum svc_rc rc = seed ? SVC_OK : SVC_ERR_NOMEM;
    int code = -1;

    if (rc == SVC_OK && ensure_parent_dir(cfg->admin_key) != 0)
        goto out;
    if (rc == SVC_OK) {
        rc = auth_key_create(cfg->admin_key, seed, err, sizeof(err));
        made = rc == SVC_OK;
        if (rc == SVC_ERR_CONFLICT)
            rc = auth_key_load(cfg->admin_key, seed, err, sizeof(err));
    }
    if (rc != SVC_OK) {
        log_err("%s", rc == SVC_ERR_NOMEM ? "out of memory" : err);
        goto out;
    }
    auth_seed_address(seed, addr);
    if (db_write(pool, first_admin_tx, &f) != SVC_OK)
        goto out;
    code = 0;
    if (f.existing)
        goto out; /* somebody made principals meanwhile */
    log_info("first run: %s key %s is an admin: %s", made ? "new" : "existing",
             cfg->admin_key, addr);
    log_info("try: computedb call --key %s --url http://%s:%u GET /miners",
             cfg->admin_key, cfg->listen_host, (unsigned)cfg->port);
out:
    auth_seed_free(seed);
    return code;
}

static enum svc_rc count_tx(struct db *db, void *ctx)
{
    return q_principals_count(db, ctx);
}

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
static int run_until_stopped(const sigset_t *set, struct config *cfg, int argc,
                             char **argv)
{
    int sig = 0;

    for (;;) {
        sigwait(set, &sig);
        if (sig != SIGHUP)
            return sig;
        if (config_reload(cfg, argc, argv, stderr) != SVC_OK) {
            log_warn("SIGHUP: configuration unchanged (see above)");
            continue;
        }
        log_set_level((enum log_level)cfg->log_level);
        log_set_json(cfg->log_json);
        log_info("SIGHUP: reloaded log level %s, %u CORS origin(s), "
                 "public read %s",
                 log_level_name(cfg->log_level), cfg->n_cors,
                 cfg->public_read ? "on" : "off");
    }
}

/* Graceful stop: no new connections, in-flight requests get up to the
 * shutdown timeout, then the daemon stops, the PoG workers stop (their
 * unfinished jobs recorded as interrupted) and the WAL is folded back. */
static void drain(struct http_server *http, struct app *app,
                  const struct config *cfg)
{
    struct timespec tick = {0, 20 * 1000000L};
    long waited_ms = 0, limit_ms = (long)cfg->shutdown_timeout_s * 1000;

    http_quiesce(http);
    while (metrics_in_flight() > 0 && waited_ms < limit_ms) {
        nanosleep(&tick, NULL);
        waited_ms += 20;
    }
    if (metrics_in_flight() > 0)
        log_warn("shutdown: %ld request(s) still running after %u s; "
                 "stopping anyway",
                 metrics_in_flight(), cfg->shutdown_timeout_s);
    http_stop(http);
    pog_service_close(app);
    if (db_checkpoint(app->db) != SVC_OK)
        log_warn("shutdown: WAL checkpoint failed; the WAL stays and is "
                 "replayed on the next open");
}

/* Loads the configuration; returns -1 to go on, else an exit code. */
static int load_config(struct config *cfg, int argc, char **argv)
{
    int help = 0;

    config_defaults(cfg);
    if (config_parse(cfg, argc, argv, &help, stderr) != SVC_OK) {
        fputs("try `computedb serve --help`\n", stderr);
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
    struct db_options dbo;
    struct db_pool *pool = NULL;
    struct http_server *http = NULL;
    struct router router = {svc_routes, svc_routes_count, policy_authenticate};
    struct auth_options ao;
    int64_t principals = 0;
    struct app app = {0};
    char why[256];
    sigset_t set;
    int code = load_config(&cfg, argc, argv), sig;

    if (code >= 0)
        return code;
    code = 1;
    /* Block the signals before any thread starts, so sigwait is their only
     * receiver and MHD's threads never see them. */
    block_signals(&set);
    metrics_init(svc_routes, svc_routes_count);
    if (ss58_init() != SVC_OK ||
        (!db_is_url(cfg.db_path) && ensure_parent_dir(cfg.db_path) != 0))
        goto out;
    dbo = (struct db_options){cfg.db_path,         cfg.readers,
                              cfg.busy_timeout_ms, !cfg.no_group_commit,
                              !cfg.sync_normal,    cfg.wal_max};
    if (db_pool_open(&dbo, &pool) != SVC_OK)
        goto out;
    if (db_write(pool, count_tx, &principals) != SVC_OK ||
        (principals == 0 && bootstrap_admin(pool, &cfg) != 0))
        goto out;
    ao = (struct auth_options){cfg.audience,        cfg.auth_window_ms,
                               cfg.replay_capacity, auth_now_ms(),
                               policy_nonce_claim,  pool};
    app = (struct app){.db = pool,
                       .cfg = &cfg,
                       .started_ms = ao.started_ms,
                       .auth = auth_new(&ao)};
    if (!app.auth)
        goto out;
    if (pog_service_open(&app, &cfg, why, sizeof(why)) != SVC_OK) {
        log_err("%s", why);
        goto out;
    }
    if (http_start(&app, &cfg, &router, &http) != SVC_OK)
        goto out;
    log_info("computedb %s listening on http://%s:%u (db %s, %u threads)",
             COMPUTEDB_VERSION, cfg.listen_host, (unsigned)http_port(http),
             db_pool_path(pool), cfg.threads);
    sig = run_until_stopped(&set, &cfg, argc, argv);
    log_info("stopping on signal %d", sig);
    drain(http, &app, &cfg);
    http = NULL;
    code = 0;
out:
    http_stop(http);
    pog_service_close(&app);
    auth_free(app.auth);
    db_pool_close(pool);
    if (code == 0)
        log_info("stopped cleanly");
    return code;
}

/* computedb config print [serve flags]: the effective configuration. */
static int config_cmd(int argc, char **argv)
{
    struct config cfg;
    int code;

    if (argc < 1 || strcmp(argv[0], "print") != 0) {
        fputs("usage: computedb config print [serve flags]\n\nPrints the "
              "configuration `computedb serve` would run with, from the\n"
              "--config file, COMPUTEDB_* variables and the flags given.\n",
              argc >= 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr);
        return argc >= 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
    }
    code = load_config(&cfg, argc - 1, argv + 1);
    if (code >= 0)
        return code;
    config_print(&cfg, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "config") == 0)
        return config_cmd(argc - 2, argv + 2);
    if (strcmp(argv[1], "call") == 0)
        return cli_call(argc - 2, argv + 2);
    if (strcmp(argv[1], "sign") == 0)
        return cli_sign(argc - 2, argv + 2);
    if (strcmp(argv[1], "keygen") == 0)
        return cli_keygen(argc - 2, argv + 2);
    if (strcmp(argv[1], "principal") == 0)
        return cli_principal(argc - 2, argv + 2);
    if (strcmp(argv[1], "backup") == 0)
        return cli_backup(argc - 2, argv + 2);
    if (strcmp(argv[1], "migrate") == 0)
        return cli_migrate(argc - 2, argv + 2);
    if (strcmp(argv[1], "pog") == 0)
        return cli_pog(argc - 2, argv + 2);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("computedb %s (%s)\n", COMPUTEDB_VERSION, COMPUTEDB_GIT_COMMIT);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "computedb: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
