/* SPDX-License-Identifier: MIT */
/* The storage interface the rest of the service sees: a pool with one
 * writer connection and several reader connections over one SQLite file
 * that the upstream Python validator may be using at the same time. No
 * SQLite types cross this header. */
#ifndef SCHEMA_DB_H
#define SCHEMA_DB_H

#include "core/rc.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_pool;
struct db; /* one connection and its prepared-statement cache */

/* Our schema version, kept in PRAGMA user_version (SQLite) and in
 * computedb_meta (PostgreSQL); both drivers migrate up to it. Raise it
 * with a new step in each driver's migration list. A macro, not an enum,
 * so that SQL text which cannot take a bound parameter (PRAGMA) is built
 * from the same number: DB_SCHEMA_VERSION_TEXT. */
#define DB_SCHEMA_VERSION      7
#define DB_STRINGIFY_(x)       #x
#define DB_STRINGIFY(x)        DB_STRINGIFY_(x)
#define DB_SCHEMA_VERSION_TEXT DB_STRINGIFY(DB_SCHEMA_VERSION)

struct db_options {
    const char *path;         /* file path, created when missing */
    unsigned readers;         /* reader connections (>= 1) */
    unsigned busy_timeout_ms; /* how long a locked file is retried */
    bool group_commit;        /* batch concurrent writes into one commit */
    bool sync_full;           /* synchronous=FULL: a commit survives power
                                 loss; else NORMAL: it survives a crash */
    size_t wal_max;           /* WAL size that makes the writer fold the
                                 log back and truncate it, in bytes (0:
                                 64 MiB) */
    size_t min_free_disk;     /* bytes db_space_check() wants left free on
                                 the file's disk (0: no check) */
};

/* The one list of the tables whose changes GET validators (ETags) track:
 * X(ENUM, "table"), in enum db_table order. */
#define DB_TABLE_LIST(X)                                                       \
    X(MINER, "miner")                                                          \
    X(MINER_DETAILS, "miner_details")                                          \
    X(CHALLENGES, "challenge_details")                                         \
    X(ALLOCATION, "allocation")                                                \
    X(BLACKLIST, "blacklist")                                                  \
    X(POG_STATS, "pog_stats")                                                  \
    X(STATS, "stats")                                                          \
    X(WANDB, "wandb_runs")                                                     \
    X(PRINCIPALS, "principals")

enum db_table {
#define X(e, name) DB_T_##e,
    DB_TABLE_LIST(X)
#undef X
        DB_T_OTHER, /* any other table */
    DB_T_COUNT
};

/* The table's name ("miner"), "other" for DB_T_OTHER. Static storage. */
const char *db_table_name(enum db_table t);
#define DB_TABLE(t) (1u << (t))

/* Writes a validator (a weak ETag, quoted) into out that changes whenever
 * a committed write through this service touched a table in mask, whenever
 * any other process commits to the file (PRAGMA data_version), and on
 * every restart. Our commits to other tables leave it alone (see
 * lite_writer.c). Computing it reads no table. Take it before reading what it
 * describes. Thread-safe. */
void db_etag(struct db_pool *pool, unsigned mask, char out[64]);

/* Opens (creating when missing) and migrates the database at opt->path,
 * then opens the connections. On success *out is a new pool the caller
 * closes with db_pool_close(). Returns SVC_ERR_DB (logged with the SQLite
 * message), SVC_ERR_BUSY or SVC_ERR_NOMEM. */
SVC_NODISCARD enum svc_rc db_pool_open(const struct db_options *opt,
                                       struct db_pool **out);
/* Closes every connection; NULL-safe. No lease may be outstanding. */
void db_pool_close(struct db_pool *pool);

/* Leases a reader connection and opens a read transaction on it, so every
 * query until db_read_end() sees one snapshot. Blocks while all readers are
 * leased. Returns SVC_ERR_BUSY or SVC_ERR_DB on failure (nothing leased). */
SVC_NODISCARD enum svc_rc db_read_begin(struct db_pool *pool, struct db **out);
/* Ends the read transaction and returns the connection; NULL-safe. */
void db_read_end(struct db_pool *pool, struct db *db);

typedef enum svc_rc db_fn(struct db *db, void *ctx);

/* Runs fn(db, ctx) inside a write transaction (BEGIN IMMEDIATE) on the
 * writer connection: all of fn's changes are committed when it returns
 * SVC_OK, none when it fails. With group commit, the calls that arrive
 * while a commit is running share the next transaction, each in its own
 * savepoint, so one caller's failure undoes only its own changes. Returns
 * after the commit: fn's result, or the failure of BEGIN/COMMIT
 * (SVC_ERR_BUSY when another process held the write lock past
 * busy_timeout, SVC_ERR_FULL when the disk is full). Thread-safe. */
SVC_NODISCARD enum svc_rc db_write(struct db_pool *pool, db_fn *fn, void *ctx);

/* Counters since open, for /metrics. */
struct db_stats {
    unsigned long long reader_waits;   /* leases that had to wait */
    unsigned long long reader_wait_us; /* time spent waiting for them */
    unsigned long long busy_retries;   /* retries on another's lock */
    unsigned long long writes;         /* write transactions run */
    unsigned long long write_failures; /* of which rolled back */
    unsigned long long batches;        /* commits they shared */
    unsigned long long wal_restarts;   /* checkpoints that restarted the WAL */
    long long wal_bytes;               /* size of the -wal file, or -1 */
    long long db_bytes;                /* size of the database file, or -1
                                          (PostgreSQL: not known here) */
};
/* Fills *out. Thread-safe. */
void db_pool_stats(struct db_pool *pool, struct db_stats *out);
/* Checks the file is writable now (BEGIN IMMEDIATE, then ROLLBACK) and
 * that the schema is ours (user_version). Returns SVC_OK, SVC_ERR_BUSY,
 * SVC_ERR_DB (schema) or SVC_ERR_FULL. */
SVC_NODISCARD enum svc_rc db_ready(struct db_pool *pool);
/* Folds the WAL back into the main file and truncates it (a clean
 * shutdown). */
SVC_NODISCARD enum svc_rc db_checkpoint(struct db_pool *pool);
/* Row counts of the upstream tables as {"table": n}; recomputed at most
 * every max_age_s seconds, else the cached copy. New reference. */
SVC_NODISCARD enum svc_rc db_table_rows(struct db_pool *pool,
                                        unsigned max_age_s, json_t **out);

/* What the pool serves: the SQLite file, or the PostgreSQL URL. */
const char *db_pool_path(const struct db_pool *pool);
/* Records key (a signed request's signer and nonce) as used until
 * expires_ms, where every replica sharing the database sees it; *fresh is
 * false when it was used before and has not expired. With SQLite (one
 * process owns the file) nothing is stored and *fresh is true: the
 * in-memory replay cache decides alone. */
SVC_NODISCARD enum svc_rc db_nonce_claim(struct db_pool *pool, const char *key,
                                         int64_t expires_ms, int64_t now_ms,
                                         bool *fresh);
/* Claims role (e.g. "pog-workers") for this process among all that share
 * the database, for as long as the pool stays open; *got is false when
 * another process holds it. With SQLite (one process owns the file) *got
 * is always true. PostgreSQL: a session advisory lock on a connection of
 * its own, so it ends with the process (or that connection). */
SVC_NODISCARD enum svc_rc db_claim_role(struct db_pool *pool, const char *role,
                                        bool *got);
/* True when other computedb processes may serve the same database
 * (PostgreSQL replicas), false when this process owns it (SQLite). */
bool db_shared(const struct db_pool *pool);
/* "sqlite" or "postgres". */
const char *db_driver_name(const struct db_pool *pool);
/* True when where is a PostgreSQL URL (postgres:// or postgresql://). */
bool db_is_url(const char *where);

/* ---- online backup (sqlite/lite_backup.c) ------------------------------ */

/* Copies a consistent snapshot of the database at src_path (another
 * process or our own writer may keep writing) into dest_path, which must
 * not exist: written to a temporary file of its own beside it (mkstemp,
 * mode 0600) and linked into place, so a partial copy is never visible,
 * two copies to one name never share a file, and no file is replaced.
 * *bytes is the finished copy's size. Returns SVC_ERR_CONFLICT when
 * dest_path exists (or another copy got there first), SVC_ERR_FULL, or
 * SVC_ERR_DB (logged). */
SVC_NODISCARD enum svc_rc
db_backup_file(const char *src_path, const char *dest_path, long long *bytes);
/* The free space of the disk the database is on, as db_space_check()
 * measured it. */
struct db_space {
    unsigned long long free_bytes; /* available to this process */
    unsigned long long min_free;   /* db_options.min_free_disk */
};
/* Checks that writing more (a PoG job, a backup) leaves the disk of the
 * database file at least min_free_disk bytes free (statvfs on its folder).
 * SVC_OK when it does, when min_free_disk is 0, and for PostgreSQL (the
 * server's disk, not ours); SVC_ERR_FULL when it does not. out (may be
 * NULL) gets what was measured whatever the answer (zeros when nothing
 * was). A cheap system call, no lock: thread-safe. */
SVC_NODISCARD enum svc_rc db_space_check(struct db_pool *pool,
                                         struct db_space *out);
/* True when name is a safe backup file name: [A-Za-z0-9][A-Za-z0-9._-]*,
 * at most 64 bytes, no path separators. */
bool db_backup_name_ok(const char *name);
/* Writes into out the folder backups of pool go to: "backups" beside the
 * database file, created when missing. Returns SVC_ERR_DB when it cannot
 * be made, SVC_ERR_CONFLICT for a PostgreSQL database (backed up with its
 * own tools). */
SVC_NODISCARD enum svc_rc db_backup_dir(const struct db_pool *pool, char *out,
                                        size_t len);

/* ---- migration to PostgreSQL (pg_import.c) ----------------------------- */

/* Called after each table is copied, with its row count. */
typedef void db_copy_fn(const char *table, long long rows, void *ctx);
/* Copies the SQLite database at sqlite_path (upgraded to our schema
 * first) into the PostgreSQL database at url, which must have no rows:
 * every table, ids included, in one transaction, checking row counts on
 * both sides. Returns SVC_ERR_CONFLICT when the destination has rows,
 * SVC_ERR_INVALID when this build has no PostgreSQL driver, else a
 * storage error; err then says why. */
SVC_NODISCARD enum svc_rc db_copy_to_postgres(const char *sqlite_path,
                                              const char *url,
                                              db_copy_fn *progress, void *ctx,
                                              char *err, size_t errlen);

/* The SQLite library version ("3.40.1"); static storage. */
const char *db_sqlite_version(void);

#endif
