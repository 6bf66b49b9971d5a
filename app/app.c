/* SPDX-License-Identifier: MIT */
/* app_open/app_close: the process's parts, opened in dependency order and
 * closed in the reverse one.
 *
 * DESIGN: every part is opened here and nowhere else, each from the
 * configuration through its own options struct (designated initializers),
 * so `computedb serve` and the test harness run the same server. The run
 * owns the database pool, the live settings, the verifier, the PoG service
 * and the HTTP server; requests borrow them through run->app until
 * app_drain() or app_close() has stopped HTTP. */
#include "app.h"

#include "core/auth_msg.h"
#include "core/clock.h"
#include "core/log.h"
#include "gpu/pog_service.h"
#include "handlers/handlers.h"
#include "schema/db.h"
#include "schema/queries.h"
#include "server/auth.h"
#include "server/http.h"
#include "server/live.h"
#include "server/metrics.h"
#include "server/policy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Creates the parent directory of path when it is missing (one level, as
 * for the default ./data/database.db). */
static enum svc_rc ensure_parent_dir(const char *path)
{
    char dir[4096];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return SVC_OK;
    *slash = '\0';
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return SVC_OK;
    log_err("cannot create %s: %s", dir, strerror(errno));
    return SVC_ERR_INVALID;
}

struct first_admin {
    const char *ss58;
    int64_t existing;
};

static enum svc_rc first_admin_tx(struct db *db, void *ctx)
{
    struct first_admin *f = ctx;
    struct q_principal p = {.ss58 = f->ss58,
                            .role = "admin",
                            .label = "first-run admin",
                            .scheme = "ed25519",
                            .secrets = -1};
    bool created = false;
    enum svc_rc rc = q_principals_count(db, &f->existing);

    if (rc != SVC_OK || f->existing > 0)
        return rc;
    return q_principals_put(db, &p, &created);
}

/* Warns when others than the owner may read the key file at path. */
static void warn_if_readable(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && (st.st_mode & 077))
        log_warn("%s may be read by others (mode %03o) and holds an admin "
                 "key: chmod 600 %s",
                 path, (unsigned)(st.st_mode & 0777), path);
}

/* Makes the key in cfg->admin_key (or the one already there: a key file is
 * never overwritten) the admin of a database without principals; the
 * command to try it is said once the port is bound (say_try). */
static enum svc_rc bootstrap_admin(struct app_run *run)
{
    struct db_pool *pool = run->app.db;
    const struct config *cfg = run->cfg;
    uint8_t *seed = auth_seed_new();
    char addr[SS58_LEN + 1], err[512];
    struct first_admin f = {addr, 0};
    bool made = false;
    enum svc_rc rc = seed ? ensure_parent_dir(cfg->admin_key) : SVC_ERR_NOMEM;

    if (rc == SVC_OK) {
        rc = auth_key_create(cfg->admin_key, seed, err, sizeof(err));
        made = rc == SVC_OK;
        if (rc == SVC_ERR_CONFLICT) {
            warn_if_readable(cfg->admin_key);
            rc = auth_key_load(cfg->admin_key, seed, err, sizeof(err));
        }
        if (rc != SVC_OK)
            log_err("%s", err);
    }
    if (rc == SVC_OK) {
        auth_seed_address(seed, addr);
        rc = db_write(pool, first_admin_tx, &f);
    }
    if (rc == SVC_OK && !f.existing) { /* else others made principals */
        log_info("first run: %s key %s is an admin: %s",
                 made ? "new" : "existing", cfg->admin_key, addr);
        run->first_run = true;
    }
    auth_seed_free(seed);
    return rc;
}

static enum svc_rc count_tx(struct db *db, void *ctx)
{
    return q_principals_count(db, ctx);
}

static enum svc_rc open_db(struct app_run *run)
{
    const struct config *cfg = run->cfg;
    struct db_options o = {
        .path = cfg->db_path,
        .readers = cfg->readers,
        .busy_timeout_ms = cfg->busy_timeout_ms,
        .group_commit = !cfg->no_group_commit,
        .sync_full = !cfg->sync_normal,
        .wal_max = cfg->wal_max,
        .min_free_disk = cfg->min_free_disk,
    };
    int64_t principals = 0;
    enum svc_rc rc =
        db_is_url(cfg->db_path) ? SVC_OK : ensure_parent_dir(cfg->db_path);

    if (rc == SVC_OK)
        rc = db_pool_open(&o, &run->app.db);
    if (rc == SVC_OK && cfg->admin_key[0])
        rc = db_write(run->app.db, count_tx, &principals);
    if (rc == SVC_OK && cfg->admin_key[0] && principals == 0)
        rc = bootstrap_admin(run);
    return rc;
}

static struct live_options live_of(const struct config *cfg)
{
    struct live_options o = {.public_read = cfg->public_read != 0,
                             .n_cors = cfg->n_cors};

    memcpy(o.cors, cfg->cors, sizeof(o.cors));
    return o;
}

static enum svc_rc open_auth(struct app_run *run)
{
    const struct config *cfg = run->cfg;
    struct auth_options o = {
        .audience = cfg->audience,
        .window_ms = cfg->auth_window_ms,
        .future_ms = cfg->auth_future_ms,
        .replay_capacity = cfg->replay_capacity,
        .started_ms = run->app.started_ms,
        .shared = policy_nonce_claim,
        .shared_ctx = run->app.db,
    };

    run->app.auth = auth_new(&o);
    return run->app.auth ? SVC_OK : SVC_ERR_NOMEM;
}

static enum svc_rc open_pog(struct app_run *run)
{
    const struct config *cfg = run->cfg;
    struct pog_service_options o = {
        .db = run->app.db,
        .backend = cfg->pog_backend,
        .gpu_table = cfg->gpu_table,
        .cpu_max_n = cfg->pog_cpu_max_n,
        .queue_cap = cfg->pog_queue,
        .max_age_s = cfg->pog_jobs_max_age_s,
        .max_bytes = cfg->pog_jobs_max_bytes,
        .unfinished_per_principal = cfg->pog_jobs_unfinished,
        .stored_per_principal = cfg->pog_jobs_stored,
        .on_job = metrics_pog_job,
    };
    char why[256];
    enum svc_rc rc =
        pog_service_open(&o, &run->app.pog_service, why, sizeof(why));

    if (rc != SVC_OK) {
        log_err("%s", why);
        return rc;
    }
    return SVC_OK;
}

static struct http_options http_of(const struct app_run *run)
{
    const struct config *cfg = run->cfg;
    struct http_options o = {
        .listen_host = cfg->listen_host,
        .port = cfg->port,
        .threads = cfg->threads,
        .write_threads = cfg->write_threads,
        .conn_timeout_s = cfg->conn_timeout_s,
        .conn_memory = cfg->conn_memory,
        .conn_limit = cfg->conn_limit,
        .conn_per_ip = cfg->conn_per_ip,
        .header_timeout_s = cfg->header_timeout_s,
        .body_timeout_s = cfg->body_timeout_s,
        .max_body = cfg->max_body,
        .tls_cert = cfg->tls_cert,
        .tls_key = cfg->tls_key,
        .tls_client_ca = cfg->tls_client_ca[0] ? cfg->tls_client_ca : NULL,
        .bound = run->bound_fd >= 0,
        .bound_fd = run->bound_fd,
    };

    return o;
}

/* The port first: a taken one stops the start before the database or the
 * first-run key is touched. */
static enum svc_rc bind_port(struct app_run *run)
{
    struct http_options o = http_of(run);

    return http_bind(&o, &run->bound_fd);
}

static enum svc_rc open_http(struct app_run *run)
{
    struct http_options o = http_of(run);

    run->bound_fd = -1; /* http_start owns it now, whatever it answers */
    return http_start(&run->app, &o, &run->router, &run->http);
}

/* A signed request made before started_ms + --auth-future-ms cannot be
 * told from one the previous process accepted ahead of its clock (its
 * nonces died with it), so it is refused (server/auth.c). Listening only
 * after that moment means clients sign after it too. */
static void wait_out_future_skew(const struct app_run *run)
{
    int64_t left =
        run->app.started_ms + run->cfg->auth_future_ms + 1 - clock_unix_ms();
    struct timespec ts;

    if (left <= 0)
        return;
    if (left >= 500)
        log_info("listening in %.1f s: requests signed before then could "
                 "repeat ones a previous process took (--auth-future-ms)",
                 (double)left / 1000);
    ts.tv_sec = (time_t)(left / 1000);
    ts.tv_nsec = (long)(left % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* path, absolute when it can be made so, into out; single-quoted for a
 * shell when it holds anything but [A-Za-z0-9/._+-]. */
static void shell_path(const char *path, char *out, size_t len)
{
    char abs[PATH_MAX];
    const char *p = realpath(path, abs) ? abs : path;

    if (strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789/._+-") == strlen(p) &&
        p[0])
        snprintf(out, len, "%s", p);
    else if (!strchr(p, '\''))
        snprintf(out, len, "'%s'", p);
    else
        snprintf(out, len, "%s", path); /* rare: leave it as given */
}

/* The first run's next step, as a command that runs as printed from any
 * folder: absolute paths, the bound port, and an address a local client
 * reaches (a wildcard listen address is not one). */
static void say_try(const struct app_run *run)
{
    const char *host = run->cfg->listen_host;
    char exe[PATH_MAX + 2], key[PATH_MAX + 2], url_host[80];

    if (!run->first_run)
        return;
    shell_path("/proc/self/exe", exe, sizeof(exe));
    shell_path(run->cfg->admin_key, key, sizeof(key));
    if (!host[0] || strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(url_host, sizeof(url_host), strchr(host, ':') ? "[%s]" : "%s",
             host);
    log_info("try: %s call --key %s --url %s://%s:%u GET /miners", exe, key,
             run->cfg->tls_cert[0] ? "https" : "http", url_host,
             (unsigned)app_port(run));
}

enum svc_rc app_open(const struct config *cfg, struct app_run **out)
{
    struct app_run *run = calloc(1, sizeof(*run));
    struct live_options lo = live_of(cfg);
    enum svc_rc rc = run ? SVC_OK : SVC_ERR_NOMEM;

    if (rc != SVC_OK)
        return rc;
    run->cfg = cfg;
    run->bound_fd = -1;
    run->router = (struct router){.routes = svc_routes,
                                  .n_routes = svc_routes_count,
                                  .authenticate = policy_authenticate};
    run->app.started_ms = clock_unix_ms();
    run->app.response_cache = !cfg->no_response_cache;
    hx_ui_serve(!cfg->no_ui);
    metrics_init(svc_routes, svc_routes_count);
    rc = ss58_init();
    if (rc == SVC_OK)
        rc = bind_port(run);
    if (rc == SVC_OK)
        rc = open_db(run);
    if (rc == SVC_OK)
        rc = (run->app.live = live_new(&lo)) ? SVC_OK : SVC_ERR_NOMEM;
    if (rc == SVC_OK)
        rc = open_auth(run);
    if (rc == SVC_OK)
        rc = open_pog(run);
    if (rc == SVC_OK) {
        wait_out_future_skew(run);
        rc = open_http(run);
    }
    if (rc == SVC_OK)
        say_try(run);
    if (rc != SVC_OK) {
        app_close(run);
        return rc;
    }
    *out = run;
    return SVC_OK;
}

uint16_t app_port(const struct app_run *run)
{
    return run->http ? http_port(run->http) : 0;
}

void app_reload(struct app_run *run, const struct config *cfg)
{
    struct live_options lo = live_of(cfg);
    char fp[8];

    live_set(run->app.live, &lo);
    http_tls_fingerprint(run->http, fp, sizeof(fp));
    if (!cfg->tls_cert[0]) {
        if (fp[0])
            log_warn("SIGHUP: --tls-cert is no longer set; the server goes "
                     "on with HTTPS until restarted");
        return;
    }
    /* a failure is logged and keeps the certificate served now */
    if (http_tls_reload(run->http,
                        &(struct http_options){
                            .tls_cert = cfg->tls_cert,
                            .tls_key = cfg->tls_key,
                            .tls_client_ca = cfg->tls_client_ca[0]
                                                 ? cfg->tls_client_ca
                                                 : NULL}) == SVC_ERR_CONFLICT)
        log_warn("SIGHUP: --tls-cert is set now, but HTTPS starts only with "
                 "the server; restart it to serve HTTPS");
}

void app_drain(struct app_run *run)
{
    struct timespec tick = {0, 20 * 1000000L};
    long waited_ms = 0, limit_ms = (long)run->cfg->shutdown_timeout_s * 1000;

    http_quiesce(run->http);
    while (metrics_in_flight() > 0 && waited_ms < limit_ms) {
        nanosleep(&tick, NULL);
        waited_ms += 20;
    }
    if (metrics_in_flight() > 0)
        log_warn("shutdown: %ld request(s) still running after %u s; "
                 "stopping anyway",
                 metrics_in_flight(), run->cfg->shutdown_timeout_s);
    http_stop(run->http);
    run->http = NULL;
    pog_service_close(run->app.pog_service);
    run->app.pog_service = NULL;
    if (db_checkpoint(run->app.db) != SVC_OK)
        log_warn("shutdown: WAL checkpoint failed; the WAL stays and is "
                 "replayed on the next open");
}

void app_close(struct app_run *run)
{
    if (!run)
        return;
    if (run->bound_fd >= 0)
        close(run->bound_fd);
    http_stop(run->http);
    pog_service_close(run->app.pog_service);
    auth_free(run->app.auth);
    live_free(run->app.live);
    db_pool_close(run->app.db);
    free(run);
}
