/* SPDX-License-Identifier: MIT */
/* The seam between the storage interface (db.h, queries.h) and the
 * drivers that implement it: SQLite (sqlite/, the default) and
 * PostgreSQL (pg/). Each driver's pool, connection and statement start
 * with the base structs below, so the generic code (pool.c, stmt.c and the
 * query modules) reaches the driver through drv without knowing its types.
 * Only schema/ includes this header. */
#ifndef SCHEMA_DRIVER_H
#define SCHEMA_DRIVER_H

#include "db.h"

#include <jansson.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_driver;

struct db_pool {
    const struct db_driver *drv;
    /* db_table_rows()' cache (pool.c) */
    pthread_mutex_t rows_lock;
    json_t *rows;
    int64_t rows_at_us;
};

/* Sets up and frees the base of a driver's pool. */
void db_pool_base_init(struct db_pool *pool, const struct db_driver *drv);
void db_pool_base_free(struct db_pool *pool);

struct db {
    const struct db_driver *drv;
    struct db_pool *pool;
    struct db *next_free; /* struct db_leases' free list link */
};

/* A fixed set of connections handed out one caller at a time: take()
 * waits while all are out (counting the waits for /metrics), put() gives
 * one back. */
struct db_leases {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct db *free;
    _Atomic unsigned long long waits, wait_us;
};

void db_leases_init(struct db_leases *l);
void db_leases_free(struct db_leases *l);
struct db *db_leases_take(struct db_leases *l);
void db_leases_put(struct db_leases *l, struct db *db);

struct db_stmt {
    struct db *db; /* the connection it was prepared on */
};

/* The type of a result column's value in the current row. */
enum db_type { DB_NULL, DB_INT, DB_FLOAT, DB_TEXT, DB_BLOB };

struct db_driver {
    const char *name; /* "sqlite", "postgres" */
    /* the pool (see db.h for each one's contract) */
    void (*close)(struct db_pool *pool);
    enum svc_rc (*read_begin)(struct db_pool *pool, struct db **out);
    void (*read_end)(struct db_pool *pool, struct db *db);
    enum svc_rc (*write)(struct db_pool *pool, db_fn *fn, void *ctx);
    void (*etag)(struct db_pool *pool, unsigned mask, char out[64]);
    void (*stats)(struct db_pool *pool, struct db_stats *out);
    enum svc_rc (*ready)(struct db_pool *pool);
    enum svc_rc (*checkpoint)(struct db_pool *pool);
    const char *(*where)(const struct db_pool *pool);
    /* Shared replay protection, or NULL when the process owns the
     * database alone (see db_nonce_claim()). */
    enum svc_rc (*nonce_claim)(struct db_pool *pool, const char *key,
                               int64_t expires_ms, int64_t now_ms, bool *fresh);
    /* A role one process among those sharing the database holds, or NULL
     * when the process owns it alone (see db_claim_role()). */
    enum svc_rc (*claim_role)(struct db_pool *pool, const char *role,
                              bool *got);
    /* The free space of the database's disk, or NULL when the disk is
     * not ours to watch (see db_space_check()). */
    enum svc_rc (*space)(struct db_pool *pool, struct db_space *out);
    /* statements: SQL text uses ?1, ?2... placeholders; the statement is
     * cached per connection, keyed by the address of the static text */
    enum svc_rc (*prepare)(struct db *db, const char *sql,
                           struct db_stmt **out);
    void (*bind_int)(struct db_stmt *st, int idx, int64_t v);
    void (*bind_double)(struct db_stmt *st, int idx, double v);
    void (*bind_text)(struct db_stmt *st, int idx, const char *s);
    void (*bind_null)(struct db_stmt *st, int idx);
    /* Runs the statement (first call) or moves to the next row; *row tells
     * whether a row is current. */
    enum svc_rc (*step)(struct db_stmt *st, bool *row);
    /* Ends the run and clears the bindings. */
    void (*reset)(struct db_stmt *st);
    enum db_type (*col_type)(struct db_stmt *st, int col);
    int64_t (*col_int)(struct db_stmt *st, int col);
    double (*col_double)(struct db_stmt *st, int col);
    const char *(*col_text)(struct db_stmt *st, int col); /* NULL: NULL */
    size_t (*col_bytes)(struct db_stmt *st, int col);
    int (*col_count)(struct db_stmt *st); /* columns of the current row */
    /* Rows changed by the last statement run on db. */
    int64_t (*changes)(struct db *db);
};

extern const struct db_driver lite_driver;

/* The SQLite driver's pool (lite_db.c). */
SVC_NODISCARD enum svc_rc lite_pool_open(const struct db_options *opt,
                                         struct db_pool **out);

#ifdef COMPUTEDB_HAVE_PG
extern const struct db_driver pg_driver;
/* The PostgreSQL driver's pool (pg_db.c); opt->path is the URL. */
SVC_NODISCARD enum svc_rc pg_pool_open(const struct db_options *opt,
                                       struct db_pool **out);
/* Copies every table of src (a read transaction on a database at our
 * schema, read through this seam) into the empty PostgreSQL database at
 * url, as db_copy_to_postgres() describes (pg_import.c). */
SVC_NODISCARD enum svc_rc pg_import(struct db *src, const char *url,
                                    db_copy_fn *progress, void *ctx, char *err,
                                    size_t errlen);
#endif

#endif
