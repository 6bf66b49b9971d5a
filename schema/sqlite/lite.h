/* SPDX-License-Identifier: MIT */
/* The SQLite driver's internals: its connection, statement and pool
 * structs and the helpers its files share (lite_*.c). The query modules do
 * not include it; they use stmt.h. */
#ifndef SCHEMA_LITE_H
#define SCHEMA_LITE_H

#include "schema/stmt.h"

#include <jansson.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum { DB_STMT_CACHE = 128 };

struct lite_stmt {
    struct db_stmt base;
    sqlite3_stmt *st; /* prepared once with SQLITE_PREPARE_PERSISTENT */
};

struct db_stmt_slot {
    const char *sql; /* identity key: the static SQL text of one query */
    struct lite_stmt s;
};

struct lite_db {
    struct db base;
    sqlite3 *h;
    struct lite_pool *owner; /* for the counters */
    int64_t busy_since_us;   /* start of the current lock wait */
    unsigned busy_timeout_ms;
    struct db_stmt_slot cache[DB_STMT_CACHE];
    size_t n_cache;
};

#define LITE_POOL(p) ((struct lite_pool *)(p))
#define LITE_DB(d)   ((struct lite_db *)(d))

/* The pool (lite_db.c), with the write path's state (lite_writer.c). */
struct lite_pool {
    struct db_pool base;
    char path[4096];
    char wal_path[4200];
    _Atomic unsigned long long busy_retries, writes, write_failures, batches,
        wal_restarts;
    struct lite_db *writer;
    pthread_mutex_t write_lock; /* the writer connection's transactions */
    struct lite_db *readers;    /* all reader connections, array */
    unsigned n_readers;
    struct db_leases leases; /* of the readers */
    /* lite_writer.c: group commit queue */
    bool group_commit;
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct write_job *q_head, *q_tail;
    bool q_leader; /* a caller is running batches */
    /* lite_writer.c: what changed, for validators */
    _Atomic unsigned long long epoch; /* commits seen by the watcher */
    sqlite3 *watch;                   /* read-only, for data_version */
    pthread_mutex_t dv_lock; /* guards watch, dv_stmt, last_dv, ext, acc_* */
    sqlite3_stmt *dv_stmt;   /* PRAGMA data_version on watch */
    long long last_dv;
    _Atomic unsigned long long tver[DB_T_COUNT]; /* our commits per table */
    int wal_restart_pages;  /* WAL pages that make the writer restart it */
    unsigned txn_mask;      /* tables the open write transaction changed */
    long long writer_dv;    /* the writer's data_version: others' commits */
    unsigned long long ext; /* others' commits found by accounting */
    long long acc_dv;       /* the watcher's data_version when every commit
                               was accounted for */
    bool acc_valid;         /* acc_dv is set */
    char boot[9];      /* random per open: validators never survive a restart */
    bool writer_ready; /* db_writer_init ran */
    atomic_bool full;  /* the last write failed for want of space */
    unsigned long long min_free; /* db_options.min_free_disk */
    atomic_int ready_rc; /* the last readiness probe's enum svc_rc (0 before
                            any): what /readyz says while the writer is
                            busy */
    /* lite_writer.c: checkpoints off the commit path */
    sqlite3 *ckpt; /* the checkpointer's own connection */
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    bool ckpt_due, ckpt_stop;
};

/* lite_writer.c: sets up the write path on an open pool (group commit
 * queue, change tracking on the writer connection), and the driver entries
 * it implements. */
SVC_NODISCARD enum svc_rc lite_writer_init(struct lite_pool *pool,
                                           const struct db_options *opt);
void lite_writer_free(struct lite_pool *pool);
enum svc_rc lite_write(struct db_pool *pool, db_fn *fn, void *ctx);
void lite_etag(struct db_pool *pool, unsigned mask, char out[64]);

/* Translates a SQLite result code into the service's table, logging the
 * connection's message for codes that become 5xx. */
enum svc_rc lite_rc(struct lite_db *db, int src);
/* The cached SQLite statement for sql (as db_stmt()). */
SVC_NODISCARD enum svc_rc lite_stmt(struct lite_db *db, const char *sql,
                                    sqlite3_stmt **out);
/* Runs a cached statement without results. */
SVC_NODISCARD enum svc_rc lite_run(struct lite_db *db, const char *sql);
/* Runs one or more statements without results (DDL, pragmas). */
SVC_NODISCARD enum svc_rc lite_exec(struct lite_db *db, const char *sql);

/* Migrations (lite_migrate.c): creates the upstream tables that are
 * missing, upgrades a legacy miner_details, adds our indexes and tables,
 * and sets PRAGMA user_version. Runs inside its own transaction. */
SVC_NODISCARD enum svc_rc lite_migrate(struct lite_db *db);

#endif
