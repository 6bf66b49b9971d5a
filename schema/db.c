/* SPDX-License-Identifier: MIT */
/* Connections, pragmas, the per-connection statement cache and the pool.
 *
 * DESIGN: one writer connection guarded by a mutex runs every write as
 * BEGIN IMMEDIATE ... COMMIT, so our own writers never contend inside
 * SQLite and a second process (the Python validator) is the only source of
 * SQLITE_BUSY, which busy_timeout retries. Readers come from a fixed set of
 * connections handed out under a mutex/condvar; in WAL mode they never block
 * the writer. Each connection caches its prepared statements keyed by the
 * address of the static SQL text, so a statement is prepared once per
 * connection for the life of the process. */
#include "../server/log.h"
#include "db_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { JOURNAL_LIMIT = 64 * 1024 * 1024 };

enum svc_rc db_rc(struct db *db, int src)
{
    switch (src & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return SVC_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SVC_ERR_BUSY;
    case SQLITE_FULL:
        return SVC_ERR_FULL;
    case SQLITE_NOMEM:
        return SVC_ERR_NOMEM;
    case SQLITE_CONSTRAINT:
        return SVC_ERR_CONFLICT;
    default:
        log_err("sqlite error %d: %s", src,
                db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(src));
        return SVC_ERR_DB;
    }
}

enum svc_rc db_stmt(struct db *db, const char *sql, sqlite3_stmt **out)
{
    struct db_stmt_slot *slot;
    int src;

    for (size_t i = 0; i < db->n_cache; i++) {
        if (db->cache[i].sql == sql) {
            sqlite3_reset(db->cache[i].st);
            sqlite3_clear_bindings(db->cache[i].st);
            *out = db->cache[i].st;
            return SVC_OK;
        }
    }
    /* A full cache is a programming error (too many distinct queries). */
    if (db->n_cache == DB_STMT_CACHE) {
        log_err("statement cache full");
        return SVC_ERR_INTERNAL;
    }
    slot = &db->cache[db->n_cache];
    src = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
                             &slot->st, NULL);
    if (src != SQLITE_OK)
        return db_rc(db, src);
    slot->sql = sql;
    db->n_cache++;
    *out = slot->st;
    return SVC_OK;
}

enum svc_rc db_step_done(struct db *db, sqlite3_stmt *st)
{
    int src = sqlite3_step(st);

    sqlite3_reset(st);
    if (src != SQLITE_DONE && src != SQLITE_ROW)
        return db_rc(db, src);
    return SVC_OK;
}

enum svc_rc db_exec(struct db *db, const char *sql)
{
    int src = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

    return src == SQLITE_OK ? SVC_OK : db_rc(db, src);
}

enum svc_rc db_each(struct db *db, sqlite3_stmt *st, db_row_fn *fn, void *ctx)
{
    enum svc_rc rc = SVC_OK;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = fn(st, ctx);
        if (rc != SVC_OK)
            break;
    }
    if (rc == SVC_OK && src != SQLITE_DONE)
        rc = db_rc(db, src);
    sqlite3_reset(st);
    return rc;
}

enum svc_rc db_one(struct db *db, sqlite3_stmt *st, db_row_fn *fn, void *ctx)
{
    int src = sqlite3_step(st);
    enum svc_rc rc;

    if (src == SQLITE_ROW)
        rc = fn(st, ctx);
    else
        rc = src == SQLITE_DONE ? SVC_ERR_NOT_FOUND : db_rc(db, src);
    sqlite3_reset(st);
    return rc;
}

struct array_ctx {
    db_row_fn *fn;
    json_t *arr;
};

static enum svc_rc append_row(sqlite3_stmt *st, void *ctx)
{
    struct array_ctx *a = ctx;
    json_t *row = NULL;
    enum svc_rc rc = a->fn(st, &row);

    if (rc == SVC_OK && json_array_append_new(a->arr, row))
        rc = SVC_ERR_NOMEM;
    return rc;
}

enum svc_rc db_array(struct db *db, const char *sql, db_row_fn *fn,
                     json_t **out)
{
    struct array_ctx a = {fn, json_array()};
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = a.arr ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = db_each(db, st, append_row, &a);
    if (rc != SVC_OK) {
        json_decref(a.arr);
        return rc;
    }
    *out = a.arr;
    return SVC_OK;
}

enum svc_rc db_row_text(sqlite3_stmt *st, void *ctx)
{
    *(json_t **)ctx = db_col_text(st, 0);
    return *(json_t **)ctx ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc db_row_pair(sqlite3_stmt *st, void *ctx)
{
    const unsigned char *key = sqlite3_column_text(st, 0);

    if (!key)
        return SVC_OK; /* a NULL key cannot be a map key; skip it */
    if (json_object_set_new(ctx, (const char *)key, db_col_text(st, 1)))
        return SVC_ERR_NOMEM;
    return SVC_OK;
}

enum svc_rc db_row_strdup(sqlite3_stmt *st, void *ctx)
{
    const unsigned char *t = sqlite3_column_text(st, 0);
    char **out = ctx;

    *out = strdup(t ? (const char *)t : "");
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc db_pairs(struct db *db, const char *sql, json_t **out)
{
    sqlite3_stmt *st = NULL;
    json_t *map = json_object();
    enum svc_rc rc = map ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = db_each(db, st, db_row_pair, map);
    if (rc != SVC_OK) {
        json_decref(map);
        return rc;
    }
    *out = map;
    return SVC_OK;
}

enum svc_rc db_write_text(struct db *db, const char *sql, const char *text,
                          bool *changed)
{
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, text);
    rc = db_step_done(db, st);
    if (rc == SVC_OK)
        *changed = sqlite3_changes(db->h) > 0;
    return rc;
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

json_t *db_col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (!t)
        return json_null();
    return json_stringn((const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

void db_now_utc(char out[20])
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

void db_now_local_iso(char out[27])
{
    struct timespec ts;
    struct tm tm;
    long us;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(out, 27, "%Y-%m-%dT%H:%M:%S", &tm);
    us = ts.tv_nsec / 1000 % 1000000;
    if (!us)
        return; /* isoformat() omits a zero fraction */
    out[19] = '.';
    for (int i = 25; i > 19; i--, us /= 10)
        out[i] = (char)('0' + us % 10);
    out[26] = '\0';
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Another process holds the lock: wait with a growing back-off until the
 * busy timeout, counting each retry. Returns 0 to give up (SQLITE_BUSY). */
static int on_busy(void *ctx, int count)
{
    static const int delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50};
    struct db *db = ctx;
    int64_t now = now_us();
    int d = delays_ms[count < 11 ? count : 10];
    struct timespec ts = {0, (long)d * 1000000L};

    if (count == 0)
        db->busy_since_us = now;
    if (now - db->busy_since_us >= (int64_t)db->busy_timeout_ms * 1000)
        return 0;
    if (db->pool)
        atomic_fetch_add(&db->pool->busy_retries, 1);
    nanosleep(&ts, NULL);
    return 1;
}

static void conn_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_cache; i++)
        sqlite3_finalize(db->cache[i].st);
    db->n_cache = 0;
    sqlite3_close_v2(db->h);
    db->h = NULL;
}

/* Pragmas for every connection. journal_mode=WAL persists in the file and
 * is what lets readers run beside the writer (and beside Python). */
static enum svc_rc conn_open(struct db *db, const struct db_options *opt,
                             bool reader)
{
    static const char pragmas[] = "PRAGMA journal_mode=WAL;"
                                  "PRAGMA foreign_keys=OFF;"
                                  "PRAGMA journal_size_limit=67108864;";
    /* Each connection is used by one thread at a time (leases, write_lock).
     */
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(opt->path, &db->h, flags, NULL);
    enum svc_rc rc;

    if (src != SQLITE_OK) {
        log_err("cannot open %s: %s", opt->path,
                db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(src));
        conn_close(db);
        return SVC_ERR_DB;
    }
    sqlite3_extended_result_codes(db->h, 1);
    db->busy_timeout_ms = opt->busy_timeout_ms;
    sqlite3_busy_handler(db->h, on_busy, db);
    rc = db_exec(db, pragmas);
    if (rc == SVC_OK)
        rc = db_exec(db, opt->sync_full ? "PRAGMA synchronous=FULL;"
                                        : "PRAGMA synchronous=NORMAL;");
    /* The writer touches hundreds of index pages per batch (the uid-led
     * challenge indexes): a cache that holds them (8 MiB, about 2,000
     * pages) avoids spilling to the WAL and reading back. Readers need less,
     * and map the file: a stats window's few index pages are then read without
     * a system call. */
    if (rc == SVC_OK)
        rc = db_exec(db, reader ? "PRAGMA cache_size=-4096;"
                                  "PRAGMA mmap_size=268435456;"
                                : "PRAGMA cache_size=-8192;");
    if (rc == SVC_OK && reader)
        rc = db_exec(db, "PRAGMA query_only=1;");
    if (rc != SVC_OK)
        conn_close(db);
    return rc;
}

static enum svc_rc open_readers(struct db_pool *pool,
                                const struct db_options *opt)
{
    pool->n_readers = opt->readers ? opt->readers : 1;
    pool->readers = calloc(pool->n_readers, sizeof(*pool->readers));
    if (!pool->readers)
        return SVC_ERR_NOMEM;
    for (unsigned i = 0; i < pool->n_readers; i++) {
        enum svc_rc rc;

        pool->readers[i].pool = pool;
        rc = conn_open(&pool->readers[i], opt, true);

        if (rc != SVC_OK)
            return rc;
        pool->readers[i].next_free = pool->free_readers;
        pool->free_readers = &pool->readers[i];
    }
    return SVC_OK;
}

enum svc_rc db_pool_open(const struct db_options *opt, struct db_pool **out)
{
    struct db_pool *pool = calloc(1, sizeof(*pool));
    enum svc_rc rc = SVC_ERR_NOMEM;

    if (!pool)
        goto out;
    pthread_mutex_init(&pool->write_lock, NULL);
    pthread_mutex_init(&pool->read_lock, NULL);
    pthread_mutex_init(&pool->rows_lock, NULL);
    snprintf(pool->path, sizeof(pool->path), "%s", opt->path);
    snprintf(pool->wal_path, sizeof(pool->wal_path), "%s-wal", opt->path);
    pthread_cond_init(&pool->read_cond, NULL);
    pool->writer = calloc(1, sizeof(*pool->writer));
    if (!pool->writer)
        goto out;
    pool->writer->pool = pool;
    rc = conn_open(pool->writer, opt, false);
    if (rc == SVC_OK)
        rc = db_migrate(pool->writer);
    if (rc == SVC_OK)
        rc = db_writer_init(pool, opt);
    if (rc == SVC_OK)
        rc = open_readers(pool, opt);
out:
    if (rc != SVC_OK) {
        db_pool_close(pool);
        return rc;
    }
    *out = pool;
    return SVC_OK;
}

void db_pool_close(struct db_pool *pool)
{
    if (!pool)
        return;
    db_writer_free(pool);
    for (unsigned i = 0; pool->readers && i < pool->n_readers; i++)
        conn_close(&pool->readers[i]);
    free(pool->readers);
    conn_close(pool->writer);
    free(pool->writer);
    json_decref(pool->rows);
    pthread_mutex_destroy(&pool->write_lock);
    pthread_mutex_destroy(&pool->read_lock);
    pthread_mutex_destroy(&pool->rows_lock);
    pthread_cond_destroy(&pool->read_cond);
    free(pool);
}

enum svc_rc db_read_begin(struct db_pool *pool, struct db **out)
{
    static const char begin[] = "BEGIN";
    struct db *db;
    sqlite3_stmt *st = NULL;
    enum svc_rc rc;

    pthread_mutex_lock(&pool->read_lock);
    if (!pool->free_readers) {
        int64_t t0 = now_us();

        while (!pool->free_readers)
            pthread_cond_wait(&pool->read_cond, &pool->read_lock);
        atomic_fetch_add(&pool->reader_waits, 1);
        atomic_fetch_add(&pool->reader_wait_us,
                         (unsigned long long)(now_us() - t0));
    }
    db = pool->free_readers;
    pool->free_readers = db->next_free;
    pthread_mutex_unlock(&pool->read_lock);
    rc = db_stmt(db, begin, &st);
    if (rc == SVC_OK)
        rc = db_step_done(db, st);
    if (rc != SVC_OK) {
        db_read_end(pool, db);
        return rc;
    }
    *out = db;
    return SVC_OK;
}

void db_read_end(struct db_pool *pool, struct db *db)
{
    static const char commit[] = "COMMIT";
    sqlite3_stmt *st = NULL;

    if (!db)
        return;
    if (!sqlite3_get_autocommit(db->h) &&
        (db_stmt(db, commit, &st) != SVC_OK || db_step_done(db, st) != SVC_OK))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&pool->read_lock);
    db->next_free = pool->free_readers;
    pool->free_readers = db;
    pthread_cond_signal(&pool->read_cond);
    pthread_mutex_unlock(&pool->read_lock);
}

enum svc_rc db_run(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    return rc == SVC_OK ? db_step_done(db, st) : rc;
}

const char *db_sqlite_version(void)
{
    return sqlite3_libversion();
}

void db_pool_stats(struct db_pool *pool, struct db_stats *out)
{
    struct stat st;

    out->reader_waits = atomic_load(&pool->reader_waits);
    out->reader_wait_us = atomic_load(&pool->reader_wait_us);
    out->busy_retries = atomic_load(&pool->busy_retries);
    out->writes = atomic_load(&pool->writes);
    out->write_failures = atomic_load(&pool->write_failures);
    out->batches = atomic_load(&pool->batches);
    out->wal_restarts = atomic_load(&pool->wal_restarts);
    out->wal_bytes =
        stat(pool->wal_path, &st) == 0 ? (long long)st.st_size : -1;
}

enum svc_rc db_ready(struct db_pool *pool)
{
    static const char begin[] = "BEGIN IMMEDIATE";
    static const char version[] = "PRAGMA user_version";
    struct db *db = pool->writer;
    sqlite3_stmt *st = NULL;
    enum svc_rc rc;
    int src;

    /* BEGIN and ROLLBACK need no space: a full disk shows in writes. */
    if (atomic_load(&pool->full))
        return SVC_ERR_FULL;
    pthread_mutex_lock(&pool->write_lock);
    rc = db_run(db, begin); /* takes the write lock: the file is writable */
    if (rc != SVC_OK)
        goto out;
    rc = db_stmt(db, version, &st);
    if (rc == SVC_OK) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            rc = db_rc(db, src);
        else if (sqlite3_column_int(st, 0) != db_schema_version())
            rc = SVC_ERR_DB;
        sqlite3_reset(st);
    }
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL); /* never writes */
out:
    pthread_mutex_unlock(&pool->write_lock);
    return rc;
}

enum svc_rc db_checkpoint(struct db_pool *pool)
{
    enum svc_rc rc;
    int src;

    pthread_mutex_lock(&pool->write_lock);
    src = sqlite3_wal_checkpoint_v2(pool->writer->h, NULL,
                                    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    rc = src == SQLITE_OK ? SVC_OK : db_rc(pool->writer, src);
    pthread_mutex_unlock(&pool->write_lock);
    return rc;
}

static enum svc_rc count_rows(struct db *db, json_t *out)
{
    /* One static statement per table: names cannot be bound. */
    static const char *const sql[][2] = {
        {"miner", "SELECT COUNT(*) FROM miner"},
        {"miner_details", "SELECT COUNT(*) FROM miner_details"},
        {"challenge_details", "SELECT COUNT(*) FROM challenge_details"},
        {"allocation", "SELECT COUNT(*) FROM allocation"},
        {"blacklist", "SELECT COUNT(*) FROM blacklist"},
        {"pog_stats", "SELECT COUNT(*) FROM pog_stats"},
        {"stats", "SELECT COUNT(*) FROM stats"},
        {"wandb_runs", "SELECT COUNT(*) FROM wandb_runs"},
        {"principals", "SELECT COUNT(*) FROM principals"},
        {"pog_jobs", "SELECT COUNT(*) FROM pog_jobs"},
    };
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; rc == SVC_OK && i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *st = NULL;
        int src;

        rc = db_stmt(db, sql[i][1], &st);
        if (rc != SVC_OK)
            break;
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            json_object_set_new(out, sql[i][0],
                                json_integer(sqlite3_column_int64(st, 0)));
        else
            rc = db_rc(db, src);
        sqlite3_reset(st);
    }
    return rc;
}

enum svc_rc db_table_rows(struct db_pool *pool, unsigned max_age_s,
                          json_t **out)
{
    struct db *db;
    json_t *fresh;
    enum svc_rc rc = SVC_OK;

    pthread_mutex_lock(&pool->rows_lock);
    if (pool->rows &&
        now_us() - pool->rows_at_us < (int64_t)max_age_s * 1000000)
        goto out;
    fresh = json_object();
    rc = fresh ? db_read_begin(pool, &db) : SVC_ERR_NOMEM;
    if (rc == SVC_OK) {
        rc = count_rows(db, fresh);
        db_read_end(pool, db);
    }
    if (rc != SVC_OK) {
        json_decref(fresh);
        goto out;
    }
    json_decref(pool->rows);
    pool->rows = fresh;
    pool->rows_at_us = now_us();
out:
    if (rc == SVC_OK)
        *out = json_incref(pool->rows);
    pthread_mutex_unlock(&pool->rows_lock);
    return rc;
}

const char *db_pool_path(const struct db_pool *pool)
{
    return pool->path;
}
