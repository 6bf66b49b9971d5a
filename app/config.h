/* SPDX-License-Identifier: MIT */
/* The effective configuration of `computedb serve`: defaults, then an
 * optional JSON file (--config or COMPUTEDB_CONFIG), then COMPUTEDB_*
 * environment variables, then flags; a later source wins. What
 * `computedb config print` writes loads back unchanged with --config. */
#ifndef SVC_CONFIG_H
#define SVC_CONFIG_H

#include "core/rc.h"
#include "server/live.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config {
    char listen_host[64];      /* IPv4/IPv6 literal or "localhost" */
    uint16_t port;             /* 0 picks a free port */
    char db_path[4096];        /* SQLite file or postgres:// URL */
    unsigned threads;          /* HTTP worker threads (default: cores) */
    unsigned readers;          /* reader connections (default: threads) */
    unsigned write_threads;    /* threads running write requests */
    unsigned busy_timeout_ms;  /* SQLite busy timeout */
    size_t max_body;           /* request body cap in bytes */
    size_t wal_max;            /* WAL size that restarts the log */
    unsigned conn_timeout_s;   /* idle connection timeout */
    size_t conn_memory;        /* per-connection memory limit for headers */
    unsigned conn_limit;       /* concurrent connections */
    unsigned conn_per_ip;      /* concurrent connections per address, 0: any */
    unsigned header_timeout_s; /* deadline for a request's head */
    unsigned body_timeout_s;   /* deadline for a request's body */
    int log_level;             /* enum log_level */
    char audience[65];         /* signed-request audience */
    unsigned auth_window_ms;   /* accepted timestamp skew either way */
    unsigned auth_future_ms;   /* accepted timestamp skew ahead of us */
    size_t replay_capacity;    /* live nonces remembered per signer */
    int public_read;           /* unsigned GETs of reader routes allowed */
    char admin_key[4096];      /* first-run key file; default: beside db */
    char cors[LIVE_MAX_CORS][LIVE_ORIGIN_MAX]; /* allowed Origins ("*": any) */
    unsigned n_cors;
    int log_json;                 /* --log-format json */
    unsigned shutdown_timeout_s;  /* how long in-flight requests may finish */
    char config_file[4096];       /* the JSON file read, "" for none */
    int sync_normal;              /* --synchronous normal (default full) */
    int no_group_commit;          /* one transaction per write request */
    int no_response_cache;        /* never reuse a rendered GET answer */
    int no_ui;                    /* --no-ui: no dashboard at /ui/ */
    char pog_backend[8];          /* auto|cpu|cuda|off: the PoG workers */
    char gpu_table[4096];         /* --gpu-table file, "" for the built-in */
    unsigned pog_cpu_max_n;       /* largest n the CPU backend accepts */
    unsigned pog_queue;           /* queued PoG jobs per device */
    unsigned pog_jobs_max_age_s;  /* finished jobs kept this long */
    size_t pog_jobs_max_bytes;    /* stored job rows kept, in bytes */
    unsigned pog_jobs_unfinished; /* queued or running jobs per principal */
    unsigned pog_jobs_stored;     /* stored jobs per principal */
    size_t min_free_disk;         /* bytes PoG jobs and backups leave free */
    char tls_cert[4096];          /* PEM certificate chain, "" for plain HTTP */
    char tls_key[4096];           /* its PEM private key */
    char tls_client_ca[4096];     /* CAs of client certificates, "" for none */
};

/* Fills cfg with the defaults. */
void config_defaults(struct config *cfg);

/* Where config_parse reads the flags and reports problems. */
struct config_args {
    const char *cmd; /* the subcommand running ("serve", "config"): every
                        message starts `computedb <cmd>:` */
    int argc;        /* the flags, after the subcommand's name */
    char **argv;
    FILE *err; /* where problems are printed */
};

/* Builds cfg from the file, the environment and the flags of args, in that
 * order, then fills the defaults that depend on other settings (--readers,
 * --write-threads, --admin-key). Returns SVC_OK, or SVC_ERR_INVALID after
 * printing each problem (naming the setting, its source and what it takes)
 * to args->err. *help is set when --help was given. */
SVC_NODISCARD enum svc_rc
config_parse(struct config *cfg, const struct config_args *args, int *help);

/* Reads the settings that are safe to change while serving (log level
 * and format, CORS origins, --public-read, the --tls-cert and --tls-key
 * paths, whose files app_reload loads again) from the same sources again
 * into live; the caller hands them on to the running server (app_reload).
 * Returns SVC_ERR_INVALID, changing nothing, on a bad source. Not
 * thread-safe: the main thread's. */
SVC_NODISCARD enum svc_rc config_reload(struct config *live,
                                        const struct config_args *args);

/* Writes cfg as a JSON object keyed by flag name (what `computedb config
 * print` shows): every setting but --config itself, unset paths as null,
 * a --db URL's password as "***". Loaded back with --config it gives the
 * same cfg (a URL's password aside), so it prints the same again. */
void config_print(const struct config *cfg, FILE *out);

/* Prints the `serve` usage text with every flag and its default. */
void config_usage(FILE *out);

#endif
