/* SPDX-License-Identifier: MIT */
/* `computedb serve` settings: one table drives the flags, the COMPUTEDB_*
 * environment variables, the JSON config file, the help text and
 * `computedb config print`, so they cannot drift apart. What config print
 * writes is a config file that loads back to the same settings. */
#include "config.h"

#include "core/log.h"
#include "core/redact.h"
#include "schema/db.h"

#include <jansson.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum opt_kind {
    OPT_LISTEN,
    OPT_PATH,
    OPT_UINT,
    OPT_SIZE,
    OPT_LEVEL,
    OPT_FLAG,     /* takes no value; sets an int to 1 */
    OPT_AUDIENCE, /* [A-Za-z0-9._:-]{1,64} */
    OPT_ORIGIN,   /* repeatable */
    OPT_FORMAT,   /* text|json */
    OPT_CONFIG,   /* the JSON file itself */
    OPT_SYNC,     /* normal|full */
    OPT_BACKEND,  /* auto|cpu|cuda|off */
};

struct opt {
    const char *name; /* "--db" */
    enum opt_kind kind;
    size_t offset;     /* into struct config */
    unsigned long min; /* for numbers */
    unsigned long max;
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

/* clang-format off */
static const struct opt opts[] = {
    {"--listen", OPT_LISTEN, 0, 0, 0,
     "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks one)"},
    {"--db", OPT_PATH, OFF(db_path), 0, 0,
     "SQLite database file (default ./data/database.db, created if missing), "
     "or a postgres:// URL for replicas sharing one PostgreSQL database"},
    {"--audience", OPT_AUDIENCE, OFF(audience), 0, 0,
     "audience signed requests must name (default computedb)"},
    {"--auth-window-ms", OPT_UINT, OFF(auth_window_ms), 1000, 300000,
     "how old a signature's timestamp may be, ms (default 30000, max 300000)"},
    {"--auth-future-ms", OPT_UINT, OFF(auth_future_ms), 100, 60000,
     "how far ahead of the server clock a signature's timestamp may be, ms; "
     "also how long after start no signed request is taken (default 2000)"},
    {"--replay-capacity", OPT_SIZE, OFF(replay_capacity), 64, 1UL << 24,
     "nonces one signer may have live within the window; past it that "
     "signer gets 429 (default 65536)"},
    {"--public-read", OPT_FLAG, OFF(public_read), 0, 0,
     "allow unsigned GETs of reader routes (secrets stay redacted)"},
    {"--admin-key", OPT_PATH, OFF(admin_key), 0, 0,
     "key file made on first run when there are no principals (default "
     "admin.key in the folder of a SQLite --db; data/admin.key, from the "
     "current folder, for a postgres:// URL)"},
    {"--cors-origin", OPT_ORIGIN, 0, 0, 0,
     "Origin allowed to call from a browser; repeatable; * for any"},
    {"--threads", OPT_UINT, OFF(threads), 1, 256,
     "HTTP worker threads (default: 4 per core)"},
    {"--write-threads", OPT_UINT, OFF(write_threads), 1, 256,
     "threads that run write requests, so that reads never wait behind "
     "a commit (default: same as --threads)"},
    {"--readers", OPT_UINT, OFF(readers), 1, 256,
     "reader connections (default: same as --threads)"},
    {"--synchronous", OPT_SYNC, OFF(sync_normal), 0, 0,
     "full: a 2xx write survives power loss; normal: a process crash "
     "(default full)"},
    {"--no-group-commit", OPT_FLAG, OFF(no_group_commit), 0, 0,
     "one transaction per write request instead of shared commits"},
    {"--no-response-cache", OPT_FLAG, OFF(no_response_cache), 0, 0,
     "render every GET afresh instead of reusing unchanged answers"},
    {"--no-ui", OPT_FLAG, OFF(no_ui), 0, 0,
     "serve no dashboard: GET /, /ui and /ui/ answer 404"},
    {"--busy-timeout-ms", OPT_UINT, OFF(busy_timeout_ms), 0, 600000,
     "how long a write waits for another process's lock (default 5000)"},
    {"--wal-max", OPT_SIZE, OFF(wal_max), 1UL << 20, 1UL << 34,
     "WAL size in bytes past which the writer folds it back and truncates "
     "it, pausing writes briefly (default 67108864)"},
    {"--max-body", OPT_SIZE, OFF(max_body), 1024, 1UL << 30,
     "request body limit in bytes; larger bodies get 413 (default 1048576)"},
    {"--conn-timeout", OPT_UINT, OFF(conn_timeout_s), 1, 3600,
     "idle connection timeout in seconds (default 30)"},
    {"--conn-memory", OPT_SIZE, OFF(conn_memory), 8192, 16UL << 20,
     "per-connection memory for headers in bytes (default 65536)"},
    {"--conn-limit", OPT_UINT, OFF(conn_limit), 1, 100000,
     "most concurrent connections (default 1024)"},
    {"--conn-per-ip", OPT_UINT, OFF(conn_per_ip), 0, 100000,
     "most concurrent connections from one address, 0 for no limit; raise "
     "it or use 0 behind a reverse proxy (default 64)"},
    {"--header-timeout", OPT_UINT, OFF(header_timeout_s), 1, 3600,
     "seconds a request line and headers may take to arrive, however "
     "steadily they trickle in (default 10)"},
    {"--body-timeout", OPT_UINT, OFF(body_timeout_s), 1, 3600,
     "seconds a request body may take to arrive after its headers "
     "(default 60)"},
    {"--log-level", OPT_LEVEL, OFF(log_level), 0, 0,
     "error|warn|info|debug (default info)"},
    {"--log-format", OPT_FORMAT, OFF(log_json), 0, 0,
     "text|json: one line per event, JSON objects with json (default text)"},
    {"--shutdown-timeout", OPT_UINT, OFF(shutdown_timeout_s), 0, 600,
     "seconds in-flight requests get to finish on SIGTERM (default 10)"},
    {"--pog-backend", OPT_BACKEND, OFF(pog_backend), 0, 0,
     "auto|cpu|cuda|off: where PoG jobs run; off answers 503 to them "
     "(default auto: CUDA when a GPU works, else the CPU)"},
    {"--gpu-table", OPT_PATH, OFF(gpu_table), 0, 0,
     "JSON GPU reference table replacing the built-in one (config.yaml's)"},
    {"--pog-cpu-max-n", OPT_UINT, OFF(pog_cpu_max_n), 1, 131072,
     "largest matrix side the CPU backend accepts (default 4096)"},
    {"--pog-queue", OPT_UINT, OFF(pog_queue), 1, 4096,
     "queued PoG jobs per device; more get 503 (default 16)"},
    {"--pog-jobs-max-age", OPT_UINT, OFF(pog_jobs_max_age_s), 60, 315360000,
     "seconds a finished PoG job stays readable before it is pruned "
     "(default 604800: a week)"},
    {"--pog-jobs-max-bytes", OPT_SIZE, OFF(pog_jobs_max_bytes), 1UL << 20,
     1UL << 40,
     "stored PoG jobs kept, in bytes of parameters, results and errors; "
     "the oldest finished go first past it (default 268435456)"},
    {"--pog-jobs-per-principal", OPT_UINT, OFF(pog_jobs_unfinished), 1, 4096,
     "queued or running PoG jobs one principal may have; more get 429 "
     "(default 8)"},
    {"--pog-stored-per-principal", OPT_UINT, OFF(pog_jobs_stored), 1,
     1000000,
     "finished PoG jobs kept per principal; past it its oldest are pruned "
     "(default 1000)"},
    {"--min-free-disk", OPT_SIZE, OFF(min_free_disk), 0, 1UL << 40,
     "bytes that must stay free on the database's disk: PoG jobs and "
     "backups get 507 below it, 0 for no check (default 268435456)"},
    {"--tls-cert", OPT_PATH, OFF(tls_cert), 0, 0,
     "PEM certificate chain (leaf first): the port speaks HTTPS only, "
     "TLS 1.2 and 1.3; reloaded on SIGHUP; needs --tls-key"},
    {"--tls-key", OPT_PATH, OFF(tls_key), 0, 0,
     "PEM private key of --tls-cert (unencrypted; keep it mode 600)"},
    {"--tls-client-ca", OPT_PATH, OFF(tls_client_ca), 0, 0,
     "PEM CA certificates: HTTPS asks for a client certificate, and one "
     "they issued is a principal by its SHA-256 (`computedb principal add "
     "--cert`); needs --tls-cert"},
    {"--config", OPT_CONFIG, OFF(config_file), 0, 0,
     "JSON file of settings keyed by flag name, e.g. {\"threads\": 4}; "
     "`computedb config print` writes one"},
};
/* clang-format on */

enum { N_OPTS = sizeof(opts) / sizeof(opts[0]) };

/* Where a value came from, for error messages. */
enum source_kind { SRC_FILE, SRC_ENV, SRC_FLAG };

struct source {
    const struct config_args *args; /* the label and where to print */
    enum source_kind kind;
    const char *file; /* the config file, for SRC_FILE */
    bool cors_reset;  /* the first origin of a source replaces the list */
};

void config_defaults(struct config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->port = 8080;
    snprintf(cfg->db_path, sizeof(cfg->db_path), "data/database.db");
    snprintf(cfg->audience, sizeof(cfg->audience), "computedb");
    cfg->auth_window_ms = 30000;
    cfg->auth_future_ms = 2000;
    cfg->replay_capacity = 65536;
    /* Four per core: a thread waiting for a commit (an fsync) or a lock
     * then holds up fewer of the connections it serves. */
    cfg->threads = cores > 0 ? 4 * (unsigned)cores : 8;
    cfg->busy_timeout_ms = 5000;
    cfg->max_body = 1024 * 1024;
    cfg->wal_max = 64UL << 20;
    cfg->conn_timeout_s = 30;
    cfg->conn_memory = 64 * 1024;
    cfg->conn_limit = 1024;
    cfg->conn_per_ip = 64;
    cfg->header_timeout_s = 10;
    cfg->body_timeout_s = 60;
    cfg->log_level = LOG_INFO;
    cfg->shutdown_timeout_s = 10;
    snprintf(cfg->pog_backend, sizeof(cfg->pog_backend), "auto");
    cfg->pog_cpu_max_n = 4096;
    cfg->pog_queue = 16;
    cfg->pog_jobs_max_age_s = 7 * 24 * 3600;
    cfg->pog_jobs_max_bytes = 256UL << 20;
    cfg->pog_jobs_unfinished = 8;
    cfg->pog_jobs_stored = 1000;
    cfg->min_free_disk = 256UL << 20;
}

/* "--busy-timeout-ms" -> "COMPUTEDB_BUSY_TIMEOUT_MS" */
static void env_name(const char *flag, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "COMPUTEDB_");

    for (const char *p = flag + 2; *p && o + 1 < len; p++)
        out[o++] = *p == '-'
                       ? '_'
                       : (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    out[o] = '\0';
}

void config_usage(FILE *out)
{
    fputs("usage: computedb serve [flags]\n\n"
          "Serves the validator database over HTTP.\n\nflags:\n",
          out);
    for (size_t i = 0; i < N_OPTS; i++)
        fprintf(out, "  %-20s %s\n", opts[i].name, opts[i].help);
    fputs("  --help               this text\n\n"
          "Every flag can also be set in the environment as COMPUTEDB_<NAME>\n"
          "(--busy-timeout-ms is COMPUTEDB_BUSY_TIMEOUT_MS; a switch takes 1 "
          "or 0)\nor in the --config file (COMPUTEDB_CONFIG) under its name "
          "without dashes\n(\"busy-timeout-ms\": 5000; \"cors-origin\" takes a "
          "list; null is the default).\nA later source wins: defaults < the "
          "--config file < COMPUTEDB_* < flags.\n`computedb config print` "
          "shows the result as a config file that loads back\nunchanged. "
          "SIGHUP re-reads the log level and format, --cors-origin and\n"
          "--public-read.\n\n"
          "Signed requests (bt-http-auth-v1) are required on every route but "
          "/healthz,\n/readyz, /version, /metrics and /openapi.json; see "
          "`computedb call --help`.\n",
          out);
}

static enum svc_rc parse_number(const char *s, unsigned long min,
                                unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long long v;

    if (!*s || *s == '-' || *s == '+')
        return SVC_ERR_INVALID;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return SVC_ERR_INVALID;
    *out = (unsigned long)v;
    return SVC_OK;
}

static enum svc_rc parse_listen(struct config *cfg, const char *s)
{
    const char *colon = strrchr(s, ':');
    const char *host = s;
    size_t hlen;
    unsigned long port;

    if (!colon || parse_number(colon + 1, 0, 65535, &port) != SVC_OK)
        return SVC_ERR_INVALID;
    hlen = (size_t)(colon - s);
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof(cfg->listen_host))
        return SVC_ERR_INVALID;
    memcpy(cfg->listen_host, host, hlen);
    cfg->listen_host[hlen] = '\0';
    cfg->port = (uint16_t)port;
    return SVC_OK;
}

static enum svc_rc apply_switch(int *field, const char *val)
{
    if (!*val || strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0)
        *field = 1;
    else if (strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0)
        *field = 0;
    else
        return SVC_ERR_INVALID;
    return SVC_OK;
}

static enum svc_rc apply_text(struct config *cfg, const struct opt *o,
                              const char *val, struct source *src)
{
    char *field = (char *)cfg + o->offset;

    switch (o->kind) {
    case OPT_PATH:
    case OPT_CONFIG:
        if (!*val || strlen(val) >= sizeof(cfg->db_path))
            return SVC_ERR_INVALID;
        snprintf(field, sizeof(cfg->db_path), "%s", val);
        return SVC_OK;
    case OPT_AUDIENCE:
        if (!*val || strlen(val) >= sizeof(cfg->audience) ||
            strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._:-") != strlen(val))
            return SVC_ERR_INVALID;
        snprintf(cfg->audience, sizeof(cfg->audience), "%s", val);
        return SVC_OK;
    case OPT_ORIGIN:
        if (src->cors_reset) {
            cfg->n_cors = 0;
            src->cors_reset = false;
        }
        if (!*val || strlen(val) >= sizeof(cfg->cors[0]) ||
            cfg->n_cors == sizeof(cfg->cors) / sizeof(cfg->cors[0]))
            return SVC_ERR_INVALID;
        snprintf(cfg->cors[cfg->n_cors++], sizeof(cfg->cors[0]), "%s", val);
        return SVC_OK;
    default:
        return SVC_ERR_INVALID;
    }
}

static enum svc_rc apply(struct config *cfg, const struct opt *o,
                         const char *val, struct source *src)
{
    char *field = (char *)cfg + o->offset;
    unsigned long n;
    int level;

    switch (o->kind) {
    case OPT_LISTEN:
        return parse_listen(cfg, val);
    case OPT_LEVEL:
        level = log_level_parse(val);
        if (level < 0)
            return SVC_ERR_INVALID;
        cfg->log_level = level;
        return SVC_OK;
    case OPT_FORMAT:
        if (strcmp(val, "json") && strcmp(val, "text"))
            return SVC_ERR_INVALID;
        cfg->log_json = strcmp(val, "json") == 0;
        return SVC_OK;
    case OPT_SYNC:
        if (strcmp(val, "normal") && strcmp(val, "full"))
            return SVC_ERR_INVALID;
        cfg->sync_normal = strcmp(val, "normal") == 0;
        return SVC_OK;
    case OPT_BACKEND:
        if (strcmp(val, "auto") && strcmp(val, "cpu") && strcmp(val, "cuda") &&
            strcmp(val, "off"))
            return SVC_ERR_INVALID;
        snprintf(cfg->pog_backend, sizeof(cfg->pog_backend), "%s", val);
        return SVC_OK;
    case OPT_FLAG:
        return apply_switch((int *)(void *)field, val);
    case OPT_UINT:
        if (parse_number(val, o->min, o->max, &n) != SVC_OK)
            return SVC_ERR_INVALID;
        *(unsigned *)(void *)field = (unsigned)n;
        return SVC_OK;
    case OPT_SIZE:
        if (parse_number(val, o->min, o->max, &n) != SVC_OK)
            return SVC_ERR_INVALID;
        *(size_t *)(void *)field = n;
        return SVC_OK;
    default:
        return apply_text(cfg, o, val, src);
    }
}

static void say(const struct config_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints one problem, labelled by the subcommand running. */
static void say(const struct config_args *a, const char *fmt, ...)
{
    va_list ap;

    fprintf(a->err, "computedb %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(a->err, fmt, ap);
    va_end(ap);
    fputc('\n', a->err);
}

/* What o takes, for error messages. */
static void expected(const struct opt *o, char *out, size_t len)
{
    static const char *const text[] = {
        [OPT_LISTEN] = "HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
        [OPT_PATH] = "a path of 1 to 4095 bytes",
        [OPT_LEVEL] = "error, warn, info or debug",
        [OPT_FLAG] = "1, 0, true or false",
        [OPT_AUDIENCE] = "1 to 64 of the characters A-Z a-z 0-9 . _ : -",
        [OPT_FORMAT] = "text or json",
        [OPT_CONFIG] = "a path of 1 to 4095 bytes",
        [OPT_SYNC] = "full or normal",
        [OPT_BACKEND] = "auto, cpu, cuda or off",
    };

    if (o->kind == OPT_UINT || o->kind == OPT_SIZE)
        snprintf(out, len, "a whole number from %lu to %lu", o->min, o->max);
    else if (o->kind == OPT_ORIGIN)
        snprintf(out, len,
                 "an Origin such as https://dash.example, or *; at "
                 "most %d of them",
                 LIVE_MAX_CORS);
    else
        snprintf(out, len, "%s", text[o->kind]);
}

/* Names where o's value came from: `flag --threads`, `environment variable
 * COMPUTEDB_THREADS` or `c.json, key "threads"`. */
static void where(const struct source *src, const struct opt *o, char *out,
                  size_t len)
{
    char env[64];

    if (src->kind == SRC_FILE) {
        snprintf(out, len, "%s, key \"%s\"", src->file, o->name + 2);
    } else if (src->kind == SRC_ENV) {
        env_name(o->name, env, sizeof(env));
        snprintf(out, len, "environment variable %s", env);
    } else {
        snprintf(out, len, "flag %s", o->name);
    }
}

static enum svc_rc apply_or_say(struct config *cfg, const struct opt *o,
                                const char *val, struct source *src)
{
    char at[4200], want[128];

    if (apply(cfg, o, val, src) == SVC_OK)
        return SVC_OK;
    where(src, o, at, sizeof(at));
    expected(o, want, sizeof(want));
    say(src->args, "%s: bad value '%s'; expected %s", at, val, want);
    return SVC_ERR_INVALID;
}

static const struct opt *lookup(const char *arg, const char **val)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        size_t n = strlen(opts[i].name);

        if (strncmp(arg, opts[i].name, n) != 0)
            continue;
        if (arg[n] == '\0' || arg[n] == '=') {
            *val = arg[n] == '=' ? arg + n + 1 : NULL;
            return &opts[i];
        }
    }
    return NULL;
}

/* ---- the JSON file --------------------------------------------------- */

/* "an array", "true", ...: what a file gave, for error messages. */
static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return "null";
    }
}

/* The JSON a file may give for o. */
static const char *json_form(const struct opt *o)
{
    if (o->kind == OPT_UINT || o->kind == OPT_SIZE)
        return "a JSON number or string";
    if (o->kind == OPT_FLAG)
        return "true or false";
    if (o->kind == OPT_ORIGIN)
        return "a string or a list of them";
    return "a JSON string";
}

static enum svc_rc wrong_type(const struct opt *o, const json_t *v,
                              const struct source *src)
{
    char at[4200], want[128];

    where(src, o, at, sizeof(at));
    expected(o, want, sizeof(want));
    say(src->args,
        "%s: %s is the wrong type; give %s (%s), or null for the default", at,
        json_kind(v), json_form(o), want);
    return SVC_ERR_INVALID;
}

/* A list of origins replaces the list so far (an empty one empties it). */
static enum svc_rc file_origins(struct config *cfg, const struct opt *o,
                                const json_t *list, struct source *src)
{
    size_t i;
    json_t *el;
    enum svc_rc rc = SVC_OK;

    cfg->n_cors = 0;
    src->cors_reset = false;
    json_array_foreach (list, i, el) {
        if (rc == SVC_OK)
            rc = json_is_string(el)
                     ? apply_or_say(cfg, o, json_string_value(el), src)
                     : wrong_type(o, el, src);
    }
    return rc;
}

/* Applies one value of the file: null leaves the default (what config
 * print writes for an unset path); numbers and booleans go through the
 * text a flag would take. */
static enum svc_rc file_value(struct config *cfg, const struct opt *o,
                              const json_t *v, struct source *src)
{
    char num[32];

    if (json_is_null(v))
        return SVC_OK;
    if (json_is_array(v) && o->kind == OPT_ORIGIN)
        return file_origins(cfg, o, v, src);
    if (json_is_boolean(v) && o->kind == OPT_FLAG)
        return apply_or_say(cfg, o, json_is_true(v) ? "1" : "0", src);
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return apply_or_say(cfg, o, num, src);
    }
    if (json_is_string(v))
        return apply_or_say(cfg, o, json_string_value(v), src);
    return wrong_type(o, v, src);
}

/* One key of the file: a flag's name without its dashes. */
static enum svc_rc file_key(struct config *cfg, const char *key,
                            const json_t *v, struct source *src)
{
    char flag[64];
    const char *val = NULL;
    const struct opt *o;

    snprintf(flag, sizeof(flag), "--%s", key);
    o = lookup(flag, &val);
    if (!o || val) {
        say(src->args,
            "%s: unknown setting \"%s\"; the keys are the flags of "
            "`computedb serve --help` without their dashes",
            src->file, key);
        return SVC_ERR_INVALID;
    }
    /* config print leaves --config out; one file never names another. */
    if (o->kind == OPT_CONFIG && !json_is_null(v)) {
        say(src->args,
            "%s, key \"config\": a config file cannot name another; remove "
            "the key and name the file with --config or COMPUTEDB_CONFIG",
            src->file);
        return SVC_ERR_INVALID;
    }
    return file_value(cfg, o, v, src);
}

/* The file could not be read or parsed: say where, by line and column. */
static void file_error(const char *path, const json_error_t *e,
                       const struct config_args *a)
{
    if (json_error_code(e) == json_error_cannot_open_file)
        say(a, "%s; check the file named by --config or COMPUTEDB_CONFIG",
            e->text);
    else
        say(a,
            "%s:%d:%d: %s; the file must be one JSON object keyed by flag "
            "name (`computedb config print` writes one)",
            path, e->line, e->column, e->text);
}

/* Applies every key of the file and reports every bad one. */
static enum svc_rc load_file(struct config *cfg, const char *path,
                             const struct config_args *a)
{
    struct source src = {a, SRC_FILE, path, true};
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    enum svc_rc rc = SVC_OK;

    snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", path);
    if (!doc) {
        file_error(path, &jerr, a);
        return SVC_ERR_INVALID;
    }
    if (!json_is_object(doc)) {
        say(a,
            "%s: %s, not an object keyed by flag name, e.g. {\"threads\": 4}",
            path, json_kind(doc));
        rc = SVC_ERR_INVALID;
        goto out;
    }
    json_object_foreach (doc, key, v) {
        if (file_key(cfg, key, v, &src) != SVC_OK)
            rc = SVC_ERR_INVALID;
    }
out:
    json_decref(doc);
    return rc;
}

/* ---- the sources in order -------------------------------------------- */

/* The --config value among the flags, else COMPUTEDB_CONFIG. */
static const char *config_path(int argc, char **argv)
{
    const char *val = NULL;

    for (int i = 0; i < argc; i++) {
        const struct opt *o = lookup(argv[i], &val);

        if (o && o->kind == OPT_CONFIG)
            return val ? val : (i + 1 < argc ? argv[i + 1] : NULL);
    }
    val = getenv("COMPUTEDB_CONFIG");
    return val && *val ? val : NULL;
}

/* Applies every COMPUTEDB_* variable set and reports every bad one. */
static enum svc_rc load_env(struct config *cfg, const struct config_args *a)
{
    struct source src = {a, SRC_ENV, NULL, true};
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; i < N_OPTS; i++) {
        char name[64];
        const char *val;

        if (opts[i].kind == OPT_CONFIG)
            continue;
        env_name(opts[i].name, name, sizeof(name));
        val = getenv(name);
        if (val && apply_or_say(cfg, &opts[i], val, &src) != SVC_OK)
            rc = SVC_ERR_INVALID;
    }
    return rc;
}

static enum svc_rc load_flags(struct config *cfg, const struct config_args *a,
                              int *help)
{
    struct source src = {a, SRC_FLAG, NULL, true};

    for (int i = 0; i < a->argc; i++) {
        const char *val = NULL;
        const struct opt *o;

        if (strcmp(a->argv[i], "--help") == 0 ||
            strcmp(a->argv[i], "-h") == 0) {
            *help = 1;
            return SVC_OK;
        }
        o = lookup(a->argv[i], &val);
        if (!o) {
            say(a, "unknown flag '%s'", a->argv[i]);
            return SVC_ERR_INVALID;
        }
        if (o->kind == OPT_FLAG && !val)
            val = "1";
        else if (!val && i + 1 < a->argc)
            val = a->argv[++i];
        if (!val) {
            say(a, "flag %s needs a value", o->name);
            return SVC_ERR_INVALID;
        }
        if (apply_or_say(cfg, o, val, &src) != SVC_OK)
            return SVC_ERR_INVALID;
    }
    return SVC_OK;
}

/* --admin-key's default, once --db is known: admin.key in the folder of a
 * SQLite file, data/admin.key (from the current folder) for a URL. */
static enum svc_rc default_admin_key(struct config *cfg,
                                     const struct config_args *a)
{
    const char *db = cfg->db_path, *slash = strrchr(db, '/');
    size_t len = sizeof(cfg->admin_key);
    int n;

    if (cfg->admin_key[0])
        return SVC_OK;
    if (db_is_url(db) || db[0] == ':' || strncmp(db, "file:", 5) == 0)
        n = snprintf(cfg->admin_key, len, "data/admin.key");
    else if (!slash)
        n = snprintf(cfg->admin_key, len, "admin.key");
    else
        n = snprintf(cfg->admin_key, len, "%.*s/admin.key", (int)(slash - db),
                     db);
    if (n > 0 && (size_t)n < len)
        return SVC_OK;
    say(a, "--db's folder is too long for admin.key beside it; give "
           "--admin-key");
    return SVC_ERR_INVALID;
}

enum svc_rc config_parse(struct config *cfg, const struct config_args *args,
                         int *help)
{
    const char *file = config_path(args->argc, args->argv);

    *help = 0;
    if (file && load_file(cfg, file, args) != SVC_OK)
        return SVC_ERR_INVALID;
    if (load_env(cfg, args) != SVC_OK || load_flags(cfg, args, help) != SVC_OK)
        return SVC_ERR_INVALID;
    if (!cfg->readers)
        cfg->readers = cfg->threads;
    if (!cfg->write_threads)
        cfg->write_threads = cfg->threads;
    if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
        say(args, "--tls-cert and --tls-key go together: give both for "
                  "HTTPS, or neither for plain HTTP");
        return SVC_ERR_INVALID;
    }
    if (cfg->tls_client_ca[0] && !cfg->tls_cert[0]) {
        say(args, "--tls-client-ca needs HTTPS: give --tls-cert and "
                  "--tls-key too");
        return SVC_ERR_INVALID;
    }
    return default_admin_key(cfg, args);
}

enum svc_rc config_reload(struct config *live, const struct config_args *args)
{
    struct config fresh;
    int help = 0;

    config_defaults(&fresh);
    if (config_parse(&fresh, args, &help) != SVC_OK)
        return SVC_ERR_INVALID;
    live->log_level = fresh.log_level;
    live->log_json = fresh.log_json;
    live->public_read = fresh.public_read;
    memcpy(live->cors, fresh.cors, sizeof(live->cors));
    live->n_cors = fresh.n_cors;
    memcpy(live->tls_cert, fresh.tls_cert, sizeof(live->tls_cert));
    memcpy(live->tls_key, fresh.tls_key, sizeof(live->tls_key));
    memcpy(live->tls_client_ca, fresh.tls_client_ca,
           sizeof(live->tls_client_ca));
    return SVC_OK;
}

static json_t *opt_value(const struct config *cfg, const struct opt *o)
{
    const char *field = (const char *)cfg + o->offset;
    char listen[96], shown[sizeof(cfg->db_path)];
    json_t *arr;

    switch (o->kind) {
    case OPT_LISTEN:
        snprintf(listen, sizeof(listen),
                 strchr(cfg->listen_host, ':') ? "[%s]:%u" : "%s:%u",
                 cfg->listen_host, (unsigned)cfg->port);
        return json_string(listen);
    case OPT_UINT:
        return json_integer(*(const unsigned *)(const void *)field);
    case OPT_SIZE:
        return json_integer((json_int_t) * (const size_t *)(const void *)field);
    case OPT_FLAG:
        return json_boolean(*(const int *)(const void *)field);
    case OPT_LEVEL:
        return json_string(log_level_name(cfg->log_level));
    case OPT_FORMAT:
        return json_string(cfg->log_json ? "json" : "text");
    case OPT_SYNC:
        return json_string(cfg->sync_normal ? "normal" : "full");
    case OPT_ORIGIN:
        arr = json_array();
        for (unsigned i = 0; arr && i < cfg->n_cors; i++)
            json_array_append_new(arr, json_string(cfg->cors[i]));
        return arr;
    case OPT_PATH: /* --db may be a URL with a password */
        url_redact(field, shown, sizeof(shown));
        return *field ? json_string(shown) : json_null();
    default:
        return *field ? json_string(field) : json_null();
    }
}

void config_print(const struct config *cfg, FILE *out)
{
    json_t *doc = json_object();

    for (size_t i = 0; doc && i < N_OPTS; i++)
        if (opts[i].kind != OPT_CONFIG) /* where settings come from */
            json_object_set_new(doc, opts[i].name + 2,
                                opt_value(cfg, &opts[i]));
    if (doc)
        json_dumpf(doc, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(doc);
}
