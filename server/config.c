/* SPDX-License-Identifier: MIT */
/* `computedb serve` flags: parsing with strict number checks and the help
 * text, both driven by one table so they cannot drift apart. */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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
     "SQLite database file (default ./data/database.db, created if missing)"},
    {"--audience", OPT_AUDIENCE, OFF(audience), 0, 0,
     "audience signed requests must name (default computedb)"},
    {"--auth-window-ms", OPT_UINT, OFF(auth_window_ms), 1000, 300000,
     "accepted signature timestamp skew, ms (default 30000, max 300000)"},
    {"--replay-capacity", OPT_SIZE, OFF(replay_capacity), 64, 1UL << 24,
     "nonces remembered within the window; 503 when full (default 65536)"},
    {"--public-read", OPT_FLAG, OFF(public_read), 0, 0,
     "allow unsigned GETs of reader routes (secrets stay redacted)"},
    {"--admin-key", OPT_PATH, OFF(admin_key), 0, 0,
     "key file made on first run when there are no principals "
     "(default ./data/admin.key)"},
    {"--cors-origin", OPT_ORIGIN, 0, 0, 0,
     "Origin allowed to call from a browser; repeatable; * for any"},
    {"--threads", OPT_UINT, OFF(threads), 1, 256,
     "HTTP worker threads (default: number of cores)"},
    {"--readers", OPT_UINT, OFF(readers), 1, 256,
     "reader connections (default: same as --threads)"},
    {"--busy-timeout-ms", OPT_UINT, OFF(busy_timeout_ms), 0, 600000,
     "how long a write waits for another process's lock (default 5000)"},
    {"--max-body", OPT_SIZE, OFF(max_body), 1024, 1UL << 30,
     "request body limit in bytes; larger bodies get 413 (default 1048576)"},
    {"--conn-timeout", OPT_UINT, OFF(conn_timeout_s), 1, 3600,
     "idle connection timeout in seconds (default 30)"},
    {"--conn-memory", OPT_SIZE, OFF(conn_memory), 8192, 16UL << 20,
     "per-connection memory for headers in bytes (default 65536)"},
    {"--conn-limit", OPT_UINT, OFF(conn_limit), 1, 100000,
     "most concurrent connections (default 1024)"},
    {"--log-level", OPT_LEVEL, OFF(log_level), 0, 0,
     "error|warn|info|debug (default info)"},
};
/* clang-format on */

void config_defaults(struct config *cfg)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->port = 8080;
    snprintf(cfg->db_path, sizeof(cfg->db_path), "data/database.db");
    snprintf(cfg->audience, sizeof(cfg->audience), "computedb");
    snprintf(cfg->admin_key, sizeof(cfg->admin_key), "data/admin.key");
    cfg->auth_window_ms = 30000;
    cfg->replay_capacity = 65536;
    cfg->threads = cores > 0 ? (unsigned)cores : 2;
    cfg->busy_timeout_ms = 5000;
    cfg->max_body = 1024 * 1024;
    cfg->conn_timeout_s = 30;
    cfg->conn_memory = 64 * 1024;
    cfg->conn_limit = 1024;
    cfg->log_level = LOG_INFO;
}

void config_usage(FILE *out)
{
    fputs("usage: computedb serve [flags]\n\n"
          "Serves the validator database over HTTP.\n\nflags:\n",
          out);
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        fprintf(out, "  %-20s %s\n", opts[i].name, opts[i].help);
    fputs("\nSigned requests (bt-http-auth-v1) are required on every route "
          "but /healthz,\n/readyz, /version and /openapi.json; see "
          "`computedb call --help`.\n",
          out);
    fputs("  --help               this text\n", out);
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

static enum svc_rc apply(struct config *cfg, const struct opt *o,
                         const char *val)
{
    char *field = (char *)cfg + o->offset;
    unsigned long n;
    int level;

    switch (o->kind) {
    case OPT_LISTEN:
        return parse_listen(cfg, val);
    case OPT_PATH:
        if (!*val || strlen(val) >= sizeof(cfg->db_path))
            return SVC_ERR_INVALID;
        snprintf(field, sizeof(cfg->db_path), "%s", val);
        return SVC_OK;
    case OPT_FLAG:
        *(int *)(void *)field = 1;
        return SVC_OK;
    case OPT_AUDIENCE:
        if (!*val || strlen(val) >= sizeof(cfg->audience) ||
            strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._:-") != strlen(val))
            return SVC_ERR_INVALID;
        snprintf(cfg->audience, sizeof(cfg->audience), "%s", val);
        return SVC_OK;
    case OPT_ORIGIN:
        if (!*val || strlen(val) >= sizeof(cfg->cors[0]) ||
            cfg->n_cors == sizeof(cfg->cors) / sizeof(cfg->cors[0]))
            return SVC_ERR_INVALID;
        snprintf(cfg->cors[cfg->n_cors++], sizeof(cfg->cors[0]), "%s", val);
        return SVC_OK;
    case OPT_LEVEL:
        level = log_level_parse(val);
        if (level < 0)
            return SVC_ERR_INVALID;
        cfg->log_level = level;
        return SVC_OK;
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
    }
    return SVC_ERR_INVALID;
}

static const struct opt *lookup(const char *arg, const char **val)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
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

enum svc_rc config_parse(struct config *cfg, int argc, char **argv, int *help,
                         FILE *err)
{
    *help = 0;
    for (int i = 0; i < argc; i++) {
        const char *val = NULL;
        const struct opt *o;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help = 1;
            return SVC_OK;
        }
        o = lookup(argv[i], &val);
        if (!o) {
            fprintf(err, "computedb serve: unknown flag '%s'\n", argv[i]);
            return SVC_ERR_INVALID;
        }
        if (o->kind == OPT_FLAG) {
            if (val) {
                fprintf(err, "computedb serve: %s takes no value\n", o->name);
                return SVC_ERR_INVALID;
            }
            val = "";
        } else if (!val && i + 1 < argc) {
            val = argv[++i];
        }
        if (!val || apply(cfg, o, val) != SVC_OK) {
            fprintf(err, "computedb serve: bad value for %s: '%s'\n", o->name,
                    val ? val : "(missing)");
            return SVC_ERR_INVALID;
        }
    }
    if (!cfg->readers)
        cfg->readers = cfg->threads;
    return SVC_OK;
}

int config_cors_allows(const struct config *cfg, const char *origin)
{
    for (unsigned i = 0; origin && i < cfg->n_cors; i++)
        if (strcmp(cfg->cors[i], "*") == 0 || strcmp(cfg->cors[i], origin) == 0)
            return 1;
    return 0;
}
