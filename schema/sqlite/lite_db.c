/* SPDX-License-Identifier: MIT */
/* The SQLite driver: connections, pragmas, the per-connection statement
 * cache, the pool and the driver table.
 *
 * DESIGN: one writer connection guarded by a mutex runs every write as
 * BEGIN IMMEDIATE ... COMMIT, so our own writers never contend inside
 * SQLite and a second process (the Python validator) is the only source of
 * SQLITE_BUSY, which busy_timeout retries. Readers come from a fixed set of
 * connections handed out under a mutex/condvar; in WAL mode they never block
 * the writer. Each connection caches its prepared statements keyed by the
 * address of the static SQL text, so a statement is prepared once per
 * connection for the life of the process. */
#include "core/clock.h"
#include "core/log.h"
#include "lite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

enum svc_rc lite_rc(struct lite_db *db, int src)
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

/* The cache slot for sql, prepared when new; reset and unbound. */
static enum svc_rc slot_for(struct lite_db *db, const char *sql,
                            struct lite_stmt **out)
{
    struct db_stmt_slot *slot;
    int src;

    for (size_t i = 0; i < db->n_cache; i++) {
        if (db->cache[i].sql == sql) {
            sqlite3_reset(db->cache[i].s.st);
            sqlite3_clear_bindings(db->cache[i].s.st);
            *out = &db->cache[i].s;
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
                             &slot->s.st, NULL);
    if (src != SQLITE_OK)
        return lite_rc(db, src);
    slot->sql = sql;
    slot->s.base.db = &db->base;
    db->n_cache++;
    *out = &slot->s;
    return SVC_OK;
}

enum svc_rc lite_stmt(struct lite_db *db, const char *sql, sqlite3_stmt **out)
{
    struct lite_stmt *s = NULL;
    enum svc_rc rc = slot_for(db, sql, &s);

    if (rc == SVC_OK)
        *out = s->st;
    return rc;
}

enum svc_rc lite_run(struct lite_db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    enum svc_rc rc = lite_stmt(db, sql, &st);
    int src;

    if (rc != SVC_OK)
        return rc;
    src = sqlite3_step(st);
    sqlite3_reset(st);
    return src == SQLITE_DONE || src == SQLITE_ROW ? SVC_OK : lite_rc(db, src);
}

enum svc_rc lite_exec(struct lite_db *db, const char *sql)
{
    int src = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

    return src == SQLITE_OK ? SVC_OK : lite_rc(db, src);
}

/* ---- the statement primitives of struct db_driver -------------------- */

#define LST(st) ((struct lite_stmt *)(st))

static enum svc_rc op_prepare(struct db *db, const char *sql,
                              struct db_stmt **out)
{
    struct lite_stmt *s = NULL;
    enum svc_rc rc = slot_for(LITE_DB(db), sql, &s);

    if (rc == SVC_OK)
        *out = &s->base;
    return rc;
}

static void op_bind_int(struct db_stmt *st, int idx, int64_t v)
{
    sqlite3_bind_int64(LST(st)->st, idx, v);
}

static void op_bind_double(struct db_stmt *st, int idx, double v)
{
    sqlite3_bind_double(LST(st)->st, idx, v);
}

static void op_bind_text(struct db_stmt *st, int idx, const char *s)
{
    sqlite3_bind_text(LST(st)->st, idx, s, -1, SQLITE_TRANSIENT);
}

static void op_bind_null(struct db_stmt *st, int idx)
{
    sqlite3_bind_null(LST(st)->st, idx);
}

static enum svc_rc op_step(struct db_stmt *st, bool *row)
{
    int src = sqlite3_step(LST(st)->st);

    *row = src == SQLITE_ROW;
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        return SVC_OK;
    return lite_rc(LITE_DB(st->db), src);
}

static void op_reset(struct db_stmt *st)
{
    sqlite3_reset(LST(st)->st);
    sqlite3_clear_bindings(LST(st)->st);
}

static enum db_type op_col_type(struct db_stmt *st, int col)
{
    switch (sqlite3_column_type(LST(st)->st, col)) {
    case SQLITE_INTEGER:
        return DB_INT;
    case SQLITE_FLOAT:
        return DB_FLOAT;
    case SQLITE_TEXT:
        return DB_TEXT;
    case SQLITE_BLOB:
        return DB_BLOB;
    default:
        return DB_NULL;
    }
}

static int64_t op_col_int(struct db_stmt *st, int col)
{
    return sqlite3_column_int64(LST(st)->st, col);
}

static double op_col_double(struct db_stmt *st, int col)
{
    return sqlite3_column_double(LST(st)->st, col);
}

static const char *op_col_text(struct db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(LST(st)->st, col);
}

static size_t op_col_bytes(struct db_stmt *st, int col)
{
    return (size_t)sqlite3_column_bytes(LST(st)->st, col);
}

static int op_col_count(struct db_stmt *st)
{
    return sqlite3_column_count(LST(st)->st);
}

static int64_t op_changes(struct db *db)
{
    return sqlite3_changes64(LITE_DB(db)->h);
}

/* ---- connections ------------------------------------------------------ */

/* Another process holds the lock: wait with a growing back-off until the
 * busy timeout, counting each retry. Returns 0 to give up (SQLITE_BUSY). */
static int on_busy(void *ctx, int count)
{
    static const int delays_ms[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50};
    struct lite_db *db = ctx;
    int64_t now = clock_mono_us();
    int d = delays_ms[count < 11 ? count : 10];
    struct timespec ts = {0, (long)d * 1000000L};

    if (count == 0)
        db->busy_since_us = now;
    if (now - db->busy_since_us >= (int64_t)db->busy_timeout_ms * 1000)
        return 0;
    if (db->owner)
        atomic_fetch_add(&db->owner->busy_retries, 1);
    nanosleep(&ts, NULL);
    return 1;
}

static void conn_close(struct lite_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_cache; i++)
        sqlite3_finalize(db->cache[i].s.st);
    db->n_cache = 0;
    sqlite3_close_v2(db->h);
    db->h = NULL;
}

/* Pragmas for every connection. journal_mode=WAL persists in the file and
 * is what lets readers run beside the writer (and beside Python). */
static enum svc_rc conn_open(struct lite_db *db, struct lite_pool *pool,
                             const struct db_options *opt, bool reader)
{
    static const char pragmas[] = "PRAGMA journal_mode=WAL;"
                                  "PRAGMA foreign_keys=OFF;"
                                  "PRAGMA journal_size_limit=67108864;";
    /* Each connection is used by one thread at a time (leases, write_lock).
     */
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int src;
    enum svc_rc rc;

    db->base.drv = &lite_driver;
    db->base.pool = &pool->base;
    db->owner = pool;
    src = sqlite3_open_v2(opt->path, &db->h, flags, NULL);
    if (src != SQLITE_OK) {
        log_err("cannot open %s: %s", opt->path,
                db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(src));
        conn_close(db);
        return SVC_ERR_DB;
    }
    sqlite3_extended_result_codes(db->h, 1);
    db->busy_timeout_ms = opt->busy_timeout_ms;
    sqlite3_busy_handler(db->h, on_busy, db);
    rc = lite_exec(db, pragmas);
    if (rc == SVC_OK)
        rc = lite_exec(db, opt->sync_full ? "PRAGMA synchronous=FULL;"
                                          : "PRAGMA synchronous=NORMAL;");
    /* The writer touches hundreds of index pages per batch (the uid-led
     * challenge indexes): a cache that holds them (8 MiB, about 2,000
     * pages) avoids spilling to the WAL and reading back. Readers need
     * less, and map the file: a stats window's few index pages are then
     * read without a system call. */
    if (rc == SVC_OK)
        rc = lite_exec(db, reader ? "PRAGMA cache_size=-4096;"
                                    "PRAGMA mmap_size=268435456;"
                                  : "PRAGMA cache_size=-8192;");
    if (rc == SVC_OK && reader)
        rc = lite_exec(db, "PRAGMA query_only=1;");
    if (rc != SVC_OK)
        conn_close(db);
    return rc;
}

/* The database holds every password, ssh_key, regkey and principal, so a
 * database we create is 0600 whatever the umask: made empty here (SQLite
 * takes an empty file as a new database), and SQLite gives the -wal and
 * -shm it creates the database's mode. An existing file keeps its mode, so
 * a validator sharing it through a group is never tightened under it.
 * ":memory:" and "file:" URIs are left to SQLite. A failure here is left
 * to sqlite3_open_v2 to report. */
static void create_private(const char *path)
{
    int fd;

    if (path[0] == '\0' || path[0] == ':' || strncmp(path, "file:", 5) == 0)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (fchmod(fd, 0600) != 0) /* a umask that masks the owner's bits */
        log_warn("cannot chmod 600 %s: %s", path, strerror(errno));
    close(fd);
}

/* Warns, once for the files and once for the folder, when other users may
 * open the database, its -wal or -shm, or list or enter its folder, with
 * the command that fixes it. Never changes a mode: the operator decides. */
static void warn_if_exposed(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char file[4200], exposed[3 * 4200] = "", dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat st;

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        size_t n = strlen(exposed);

        snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
        if (stat(file, &st) == 0 && (st.st_mode & S_IRWXO))
            snprintf(exposed + n, sizeof(exposed) - n, " %s", file);
    }
    if (exposed[0])
        log_warn("other users may open the database, which holds every "
                 "secret; run: chmod o-rwx%s",
                 exposed);
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
             slash ? path : ".");
    if (dir[0] == '\0' || stat(dir, &st) != 0 ||
        !(st.st_mode & (S_IROTH | S_IXOTH)))
        return;
    /* Never advise closing a shared folder such as /tmp. */
    if (st.st_mode & S_ISVTX)
        log_warn("the database folder %s is shared with other users; move "
                 "the database to a folder of its own (chmod 700)",
                 dir);
    else
        log_warn("the database folder %s is open to other users (mode %03o); "
                 "run: chmod o-rwx %s",
                 dir, (unsigned)(st.st_mode & 0777), dir);
}

static enum svc_rc open_readers(struct lite_pool *pool,
                                const struct db_options *opt)
{
    pool->n_readers = opt->readers ? opt->readers : 1;
    pool->readers = calloc(pool->n_readers, sizeof(*pool->readers));
    if (!pool->readers)
        return SVC_ERR_NOMEM;
    for (unsigned i = 0; i < pool->n_readers; i++) {
        enum svc_rc rc = conn_open(&pool->readers[i], pool, opt, true);

        if (rc != SVC_OK)
            return rc;
        db_leases_put(&pool->leases, &pool->readers[i].base);
    }
    return SVC_OK;
}

static void lite_close(struct db_pool *base)
{
    struct lite_pool *pool = LITE_POOL(base);

    lite_writer_free(pool);
    for (unsigned i = 0; pool->readers && i < pool->n_readers; i++)
        conn_close(&pool->readers[i]);
    free(pool->readers);
    conn_close(pool->writer);
    free(pool->writer);
    pthread_mutex_destroy(&pool->write_lock);
    db_leases_free(&pool->leases);
    db_pool_base_free(&pool->base);
    free(pool);
}

enum svc_rc lite_pool_open(const struct db_options *opt, struct db_pool **out)
{
    struct lite_pool *pool = calloc(1, sizeof(*pool));
    enum svc_rc rc = SVC_ERR_NOMEM;

    if (!pool)
        return SVC_ERR_NOMEM;
    db_pool_base_init(&pool->base, &lite_driver);
    pthread_mutex_init(&pool->write_lock, NULL);
    db_leases_init(&pool->leases);
    snprintf(pool->path, sizeof(pool->path), "%s", opt->path);
    snprintf(pool->wal_path, sizeof(pool->wal_path), "%s-wal", opt->path);
    pool->min_free = opt->min_free_disk;
    pool->writer = calloc(1, sizeof(*pool->writer));
    if (!pool->writer)
        goto out;
    create_private(opt->path);
    rc = conn_open(pool->writer, pool, opt, false);
    if (rc == SVC_OK)
        warn_if_exposed(opt->path);
    if (rc == SVC_OK)
        rc = lite_migrate(pool->writer);
    if (rc == SVC_OK)
        rc = lite_writer_init(pool, opt);
    if (rc == SVC_OK)
        rc = open_readers(pool, opt);
out:
    if (rc != SVC_OK) {
        lite_close(&pool->base);
        return rc;
    }
    *out = &pool->base;
    return SVC_OK;
}

static void lite_read_end(struct db_pool *base, struct db *conn)
{
    static const char commit[] = "COMMIT";
    struct lite_pool *pool = LITE_POOL(base);
    struct lite_db *db = LITE_DB(conn);

    if (!sqlite3_get_autocommit(db->h) && lite_run(db, commit) != SVC_OK)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    db_leases_put(&pool->leases, &db->base);
}

static enum svc_rc lite_read_begin(struct db_pool *base, struct db **out)
{
    static const char begin[] = "BEGIN";
    struct lite_pool *pool = LITE_POOL(base);
    struct lite_db *db;
    enum svc_rc rc;

    db = LITE_DB(db_leases_take(&pool->leases));
    rc = lite_run(db, begin);
    if (rc != SVC_OK) {
        lite_read_end(base, &db->base);
        return rc;
    }
    *out = &db->base;
    return SVC_OK;
}

const char *db_sqlite_version(void)
{
    return sqlite3_libversion();
}

static void lite_stats(struct db_pool *base, struct db_stats *out)
{
    struct lite_pool *pool = LITE_POOL(base);
    struct stat st;

    out->reader_waits = atomic_load(&pool->leases.waits);
    out->reader_wait_us = atomic_load(&pool->leases.wait_us);
    out->busy_retries = atomic_load(&pool->busy_retries);
    out->writes = atomic_load(&pool->writes);
    out->write_failures = atomic_load(&pool->write_failures);
    out->batches = atomic_load(&pool->batches);
    out->wal_restarts = atomic_load(&pool->wal_restarts);
    out->wal_bytes =
        stat(pool->wal_path, &st) == 0 ? (long long)st.st_size : -1;
    out->db_bytes = stat(pool->path, &st) == 0 ? (long long)st.st_size : -1;
}

/* statvfs on the folder of the file (the file itself may not be there
 * yet for a moment, its folder is): the blocks an unprivileged writer may
 * still use. A folder that cannot be measured counts as room enough: the
 * writes themselves then report a full disk. */
static enum svc_rc lite_space(struct db_pool *base, struct db_space *out)
{
    const struct lite_pool *pool = LITE_POOL(base);
    const char *slash = strrchr(pool->path, '/');
    char dir[sizeof(pool->path)];
    struct statvfs vfs;

    if (!pool->min_free)
        return SVC_OK;
    if (slash == pool->path)
        snprintf(dir, sizeof(dir), "/");
    else if (slash)
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - pool->path),
                 pool->path);
    else
        snprintf(dir, sizeof(dir), ".");
    if (statvfs(dir, &vfs) != 0) {
        log_warn("statvfs %s: %s; free space not checked", dir,
                 strerror(errno));
        return SVC_OK;
    }
    out->free_bytes = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    out->min_free = pool->min_free;
    return out->free_bytes < pool->min_free ? SVC_ERR_FULL : SVC_OK;
}

/* Whether the file takes writes and is at our schema, without waiting:
 * /readyz runs on an HTTP thread, so it must never sit behind the writer
 * or another process's lock (that froze the threads reads need). Another
 * process holding the lock is SVC_ERR_BUSY at once, not after the busy
 * timeout; while our writer's mutex is taken (a write, or the
 * checkpointer's accounting), the last probe's answer stands. */
static enum svc_rc lite_ready(struct db_pool *base)
{
    static const char begin[] = "BEGIN IMMEDIATE";
    static const char version[] = "PRAGMA user_version";
    struct lite_pool *pool = LITE_POOL(base);
    struct lite_db *db = pool->writer;
    sqlite3_stmt *st = NULL;
    enum svc_rc rc;
    int src;

    /* BEGIN and ROLLBACK need no space: a full disk shows in writes. */
    if (atomic_load(&pool->full))
        return SVC_ERR_FULL;
    if (pthread_mutex_trylock(&pool->write_lock) != 0)
        return (enum svc_rc)atomic_load(&pool->ready_rc);
    sqlite3_busy_handler(db->h, NULL, NULL); /* no retries for the probe */
    rc = lite_run(db, begin); /* takes the write lock: the file is writable */
    sqlite3_busy_handler(db->h, on_busy, db);
    if (rc != SVC_OK)
        goto out;
    rc = lite_stmt(db, version, &st);
    if (rc == SVC_OK) {
        src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            rc = lite_rc(db, src);
        else if (sqlite3_column_int(st, 0) != DB_SCHEMA_VERSION)
            rc = SVC_ERR_DB;
        sqlite3_reset(st);
    }
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL); /* never writes */
out:
    atomic_store(&pool->ready_rc, (int)rc);
    pthread_mutex_unlock(&pool->write_lock);
    return rc;
}

static enum svc_rc lite_checkpoint(struct db_pool *base)
{
    struct lite_pool *pool = LITE_POOL(base);
    enum svc_rc rc;
    int src;

    pthread_mutex_lock(&pool->write_lock);
    src = sqlite3_wal_checkpoint_v2(pool->writer->h, NULL,
                                    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    rc = src == SQLITE_OK ? SVC_OK : lite_rc(pool->writer, src);
    pthread_mutex_unlock(&pool->write_lock);
    return rc;
}

static const char *lite_where(const struct db_pool *base)
{
    return ((const struct lite_pool *)base)->path;
}

const struct db_driver lite_driver = {
    .name = "sqlite",
    .close = lite_close,
    .read_begin = lite_read_begin,
    .read_end = lite_read_end,
    .write = lite_write,
    .etag = lite_etag,
    .stats = lite_stats,
    .ready = lite_ready,
    .checkpoint = lite_checkpoint,
    .where = lite_where,
    .space = lite_space,
    .prepare = op_prepare,
    .bind_int = op_bind_int,
    .bind_double = op_bind_double,
    .bind_text = op_bind_text,
    .bind_null = op_bind_null,
    .step = op_step,
    .reset = op_reset,
    .col_type = op_col_type,
    .col_int = op_col_int,
    .col_double = op_col_double,
    .col_text = op_col_text,
    .col_bytes = op_col_bytes,
    .col_count = op_col_count,
    .changes = op_changes,
};
