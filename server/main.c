/* SPDX-License-Identifier: MIT */
/* The computedb binary: subcommand dispatch, and `serve`, which opens the
 * database, starts the HTTP server and waits for SIGINT/SIGTERM. */
#include "auth_ss58.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "router.h"
#include "version.h"

#include "../schema/db.h"

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
          "  version    print the version\n"
          "  help       this text\n\n"
          "`computedb serve --help` lists the server flags.\n",
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

static int wait_for_signal(void)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigwait(&set, &sig);
    return sig;
}

static int serve(int argc, char **argv)
{
    struct config cfg;
    struct db_options dbo;
    struct db_pool *pool = NULL;
    struct http_server *http = NULL;
    struct router router = {svc_routes, svc_routes_count};
    struct app app = {0};
    sigset_t set;
    int help = 0, code = 1;

    config_defaults(&cfg);
    if (config_parse(&cfg, argc, argv, &help, stderr) != SVC_OK) {
        fputs("try `computedb serve --help`\n", stderr);
        return 2;
    }
    if (help) {
        config_usage(stdout);
        return 0;
    }
    log_set_level((enum log_level)cfg.log_level);
    /* Block the stop signals before any thread starts, so sigwait below is
     * their only receiver and MHD's threads never see them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (ss58_init() != SVC_OK || ensure_parent_dir(cfg.db_path) != 0)
        goto out;
    dbo = (struct db_options){cfg.db_path, cfg.readers, cfg.busy_timeout_ms};
    if (db_pool_open(&dbo, &pool) != SVC_OK)
        goto out;
    app = (struct app){pool, &cfg, (int64_t)time(NULL) * 1000};
    if (http_start(&app, &cfg, &router, &http) != SVC_OK)
        goto out;
    log_info("computedb %s listening on http://%s:%u (db %s, %u threads)",
             SVC_VERSION, cfg.listen_host, (unsigned)http_port(http),
             cfg.db_path, cfg.threads);
    log_info("stopping on signal %d", wait_for_signal());
    code = 0;
out:
    http_stop(http);
    db_pool_close(pool);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "version") == 0 ||
        strcmp(argv[1], "--version") == 0) {
        printf("computedb %s (%s)\n", SVC_VERSION, SVC_GIT_COMMIT);
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
