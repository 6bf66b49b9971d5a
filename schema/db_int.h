/* SPDX-License-Identifier: MIT */
/* schema/ internals: the connection struct, the statement cache and the
 * helpers every query module uses. Only the schema sources include it. */
#ifndef SCHEMA_DB_INT_H
#define SCHEMA_DB_INT_H

#include "db.h"

#include <jansson.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum { DB_STMT_CACHE = 64 };

struct db_stmt_slot {
    const char *sql;  /* identity key: the static SQL text of one query */
    sqlite3_stmt *st; /* prepared once with SQLITE_PREPARE_PERSISTENT */
};

struct db {
    sqlite3 *h;
    struct db_pool *pool;  /* owner, for the counters */
    int64_t busy_since_us; /* start of the current lock wait */
    unsigned busy_timeout_ms;
    struct db_stmt_slot cache[DB_STMT_CACHE];
    size_t n_cache;
    struct db *next_free; /* pool free list link */
};

/* The pool (db.c), with the write path's state (writer.c). */
struct db_pool {
    char path[4096];
    char wal_path[4200];
    _Atomic unsigned long long reader_waits, reader_wait_us, busy_retries,
        writes, write_failures, batches, wal_restarts;
    pthread_mutex_t rows_lock; /* guards the row-count cache */
    json_t *rows;
    int64_t rows_at_us;
    struct db *writer;
    pthread_mutex_t write_lock; /* the writer connection's transactions */
    struct db *readers;         /* all reader connections, array */
    unsigned n_readers;
    struct db *free_readers; /* free list */
    pthread_mutex_t read_lock;
    pthread_cond_t read_cond;
    /* writer.c: group commit queue */
    bool group_commit;
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct write_job *q_head, *q_tail;
    bool q_leader; /* a caller is running batches */
    /* writer.c: what changed, for validators */
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
    /* writer.c: checkpoints off the commit path */
    sqlite3 *ckpt; /* the checkpointer's own connection */
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    bool ckpt_due, ckpt_stop;
};

/* writer.c: sets up the write path on an open pool (group commit queue,
 * change tracking on the writer connection). */
SVC_NODISCARD enum svc_rc db_writer_init(struct db_pool *pool,
                                         const struct db_options *opt);
void db_writer_free(struct db_pool *pool);

/* Runs a statement without results on db (cached). */
SVC_NODISCARD enum svc_rc db_run(struct db *db, const char *sql);

/* Translates a SQLite result code into the service's table, logging the
 * connection's message for codes that become 5xx. */
enum svc_rc db_rc(struct db *db, int src);

/* Returns in *out the cached statement for sql (keyed by the pointer, so
 * pass the static array itself), reset and with bindings cleared. The
 * statement stays owned by db. */
SVC_NODISCARD enum svc_rc db_stmt(struct db *db, const char *sql,
                                  sqlite3_stmt **out);
/* Steps st to completion (SQLITE_DONE) and resets it. */
SVC_NODISCARD enum svc_rc db_step_done(struct db *db, sqlite3_stmt *st);
/* Runs one or more statements without results (DDL, pragmas). */
SVC_NODISCARD enum svc_rc db_exec(struct db *db, const char *sql);

/* Called for each result row; a non-OK return stops the scan. */
typedef enum svc_rc db_row_fn(sqlite3_stmt *st, void *ctx);
/* Steps st through every row, calling fn on each, then resets st. */
SVC_NODISCARD enum svc_rc db_each(struct db *db, sqlite3_stmt *st,
                                  db_row_fn *fn, void *ctx);
/* Steps st once: fn on the row, or SVC_ERR_NOT_FOUND when there is none.
 * Resets st. */
SVC_NODISCARD enum svc_rc db_one(struct db *db, sqlite3_stmt *st, db_row_fn *fn,
                                 void *ctx);
/* Runs sql (no parameters) and sets *out to a new array of the rows, each
 * made by fn(st, &row) as for db_one() with a json_t ** context. */
SVC_NODISCARD enum svc_rc db_array(struct db *db, const char *sql,
                                   db_row_fn *fn, json_t **out);
/* Row callback: *(json_t **)ctx = column 0 as a string or null. */
enum svc_rc db_row_text(sqlite3_stmt *st, void *ctx);
/* Row callback that sets the object key ctx (json_t *) from column 0
 * (as text) to the text of column 1. */
enum svc_rc db_row_pair(sqlite3_stmt *st, void *ctx);
/* Row callback: *(char **)ctx = new copy of column 0 ("" for NULL). */
enum svc_rc db_row_strdup(sqlite3_stmt *st, void *ctx);
/* Runs a keyed-map query: *out = {col0: col1, ...}. */
SVC_NODISCARD enum svc_rc db_pairs(struct db *db, const char *sql,
                                   json_t **out);

/* Runs a write whose only parameter ?1 is text; *changed tells whether
 * it changed a row. */
SVC_NODISCARD enum svc_rc db_write_text(struct db *db, const char *sql,
                                        const char *text, bool *changed);

/* Binds text (copied) or NULL when s is NULL. Returns the SQLite code. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Column helpers: a new JSON value for column col of the current row:
 * string (copied) or null. */
json_t *db_col_text(sqlite3_stmt *st, int col);

/* Sets out to the current UTC time as "YYYY-MM-DD HH:MM:SS" (what SQLite's
 * CURRENT_TIMESTAMP writes). */
void db_now_utc(char out[20]);
/* Sets out to the local time as Python's datetime.now().isoformat() writes
 * it: "YYYY-MM-DDTHH:MM:SS.ffffff", without the fraction when it is 0. */
void db_now_local_iso(char out[27]);

/* Migrations (migrate.c): creates the upstream tables that are missing,
 * upgrades a legacy miner_details, adds our indexes and tables, and sets
 * PRAGMA user_version. Runs inside its own transaction. */
SVC_NODISCARD enum svc_rc db_migrate(struct db *db);

#endif
