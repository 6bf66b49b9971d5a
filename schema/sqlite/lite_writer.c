/* SPDX-License-Identifier: MIT */
/* The write path: group commit on the one writer connection, and the
 * change tracking behind GET validators.
 *
 * DESIGN: a caller of db_write() queues its job. If no caller is running
 * batches, it becomes the leader: it takes every queued job, runs them in
 * one BEGIN IMMEDIATE ... COMMIT (each in a SAVEPOINT, so a job that fails
 * undoes only itself), wakes their callers, and repeats while jobs keep
 * arriving; then it steps down. Callers that arrive during a commit wait and
 * share the next one, so under load many writes pay for one commit (one
 * fsync with synchronous=FULL). Without group commit each job is its own
 * transaction, serialised by write_lock, the simple design it is measured
 * against. Nobody's call returns before its changes are committed.
 *
 * Validators (ETags) are per table and exact for our own commits, and
 * conservative for everyone else's:
 * - An update hook on the writer collects the tables each transaction
 *   changes; after its COMMIT, their counters (tver) go up.
 * - Other processes (the Python validator, sqlite3, a second computedb)
 *   are caught by the writer connection's PRAGMA data_version, which
 *   changes only for commits made by other connections.
 * - "Accounting" ties the two together: right after each commit, and once
 *   a second from the checkpointer, the writer takes the write lock
 *   (BEGIN IMMEDIATE, never waiting: no commit by anyone can happen while
 *   it is held), counts other processes' commits into ext from its own
 *   data_version, and records the data_version of a separate watcher
 *   connection (acc_dv), which changes after any commit at all.
 * - db_etag() reads the watcher. When it still equals acc_dv, every commit
 *   so far has been accounted for and the validator is (boot, ext, sum of
 *   the counters of the tables asked for): it changes exactly when one of
 *   those tables changed, or another process committed anything. Otherwise
 *   some commit is not accounted for yet (ours between COMMIT and the
 *   accounting, or another process's) and the validator is (boot, epoch),
 *   the epoch going up each time the watcher's data_version changes: any
 *   commit renews it, as if every table had changed.
 * A commit is visible before the watcher can see it change, and the
 * counters go up before acc_dv moves past it, so a validator never
 * outlives the rows it describes. The watcher never touches the writer
 * connection, so a GET never waits for a commit (or its fsync).
 *
 * Checkpoints: SQLite would fold the WAL back into the database inside the
 * commit that crosses 1000 pages, with the write lock held and an fsync of
 * the database file, stalling every write behind it. The writer's WAL hook
 * instead wakes a checkpointer thread, which runs PASSIVE checkpoints on a
 * connection of its own (they never block writers or readers); it also
 * runs one a second while there is anything to fold. */
#include "core/clock.h"
#include "core/log.h"
#include "core/prio.h"
#include "core/random.h"
#include "lite.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct write_job {
    db_fn *fn;
    void *ctx;
    enum svc_rc rc;
    bool done;
    struct write_job *next;
};

/* The watcher's PRAGMA data_version into *out; false when it could not be
 * read (then nothing may be assumed unchanged). */
static bool data_version(struct lite_pool *pool, long long *out)
{
    bool ok = sqlite3_step(pool->dv_stmt) == SQLITE_ROW;

    if (ok)
        *out = sqlite3_column_int64(pool->dv_stmt, 0);
    sqlite3_reset(pool->dv_stmt);
    return ok;
}

static void on_update(void *arg, int op, const char *dbname, const char *table,
                      sqlite3_int64 rowid)
{
    struct lite_pool *pool = arg;
    unsigned t = DB_T_OTHER;

    (void)op;
    (void)dbname;
    (void)rowid;
    for (unsigned i = 0; i < DB_T_OTHER; i++)
        if (strcmp(table, db_table_name((enum db_table)i)) == 0)
            t = i;
    pool->txn_mask |= DB_TABLE(t);
}

/* Notes a change of the watcher's data_version (dv_lock held). When it
 * cannot be read, anything may have changed: the epoch moves and exact
 * validators wait for the next accounting. */
static bool watch(struct lite_pool *pool)
{
    long long dv = 0;

    if (!data_version(pool, &dv)) {
        pool->acc_valid = false;
        atomic_fetch_add(&pool->epoch, 1);
        return false;
    }
    if (dv != pool->last_dv) {
        pool->last_dv = dv;
        atomic_fetch_add(&pool->epoch, 1);
    }
    return true;
}

/* See DESIGN: with write_lock held, accounts for every commit so far, or
 * does nothing when another process holds the write lock. */
static void account(struct lite_pool *pool)
{
    static const char sql[] = "PRAGMA data_version";
    struct lite_db *db = pool->writer;
    unsigned patience = db->busy_timeout_ms;
    sqlite3_stmt *st = NULL;
    long long wdv;
    int src;

    db->busy_timeout_ms = 0; /* never wait: accounting can come later */
    src = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    db->busy_timeout_ms = patience;
    if (src != SQLITE_OK)
        return;
    if (lite_stmt(db, sql, &st) == SVC_OK && sqlite3_step(st) == SQLITE_ROW) {
        wdv = sqlite3_column_int64(st, 0);
        pthread_mutex_lock(&pool->dv_lock);
        if (!pool->acc_valid || wdv != pool->writer_dv)
            pool->ext++;
        pool->writer_dv = wdv;
        if (watch(pool)) {
            pool->acc_dv = pool->last_dv;
            pool->acc_valid = true;
        }
        pthread_mutex_unlock(&pool->dv_lock);
    }
    if (st)
        sqlite3_reset(st);
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* Accounts for other processes' commits without waiting for our next
 * write, unless a write is running (it accounts when it ends). */
static void catch_up(struct lite_pool *pool)
{
    bool behind;

    pthread_mutex_lock(&pool->dv_lock);
    watch(pool);
    behind = !pool->acc_valid || pool->last_dv != pool->acc_dv;
    pthread_mutex_unlock(&pool->dv_lock);
    if (behind && pthread_mutex_trylock(&pool->write_lock) == 0) {
        account(pool);
        pthread_mutex_unlock(&pool->write_lock);
    }
}

void lite_etag(struct db_pool *base, unsigned mask, char out[64])
{
    struct lite_pool *pool = LITE_POOL(base);
    unsigned long long ext, sum = 0;
    bool exact;

    pthread_mutex_lock(&pool->dv_lock);
    watch(pool);
    exact = pool->acc_valid && pool->last_dv == pool->acc_dv;
    ext = pool->ext;
    pthread_mutex_unlock(&pool->dv_lock);
    if (!exact) {
        snprintf(out, 64, "W/\"%s-e%llx\"", pool->boot,
                 (unsigned long long)atomic_load(&pool->epoch));
        return;
    }
    for (unsigned t = 0; t < DB_T_COUNT; t++)
        if (mask & DB_TABLE(t))
            sum += atomic_load(&pool->tver[t]);
    snprintf(out, 64, "W/\"%s-%llx.%llx\"", pool->boot, ext, sum);
}

enum { CKPT_PAGES = 1000 };

static size_t wal_max(const struct db_options *opt)
{
    return opt->wal_max ? opt->wal_max : (size_t)64 << 20;
}

static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct lite_pool *pool = arg;
    int log_pages = 0, done = 0;

    /* Writing back to back, the writer can outrun the passive checkpoints
     * and the WAL never starts over (it grew by gigabytes in the bench).
     * Past wal_restart_pages (--wal-max) the writer itself, right after its
     * commit, folds everything back and truncates the log (waiting, within
     * the busy timeout, for readers of old snapshots). Its next writes wait
     * for that, rarely. */
    if (pages >= pool->wal_restart_pages &&
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE,
                                  &log_pages, &done) == SQLITE_OK) {
        atomic_fetch_add(&pool->wal_restarts, 1);
        return SQLITE_OK;
    }
    if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&pool->ckpt_lock);
        pool->ckpt_due = true;
        pthread_cond_signal(&pool->ckpt_cond);
        pthread_mutex_unlock(&pool->ckpt_lock);
    }
    return SQLITE_OK;
}

/* Checkpoints copy the WAL into the file off every request's path, below
 * the priority of the threads that answer requests. */
enum { CKPT_NICE = 10 };

static void *checkpointer(void *arg)
{
    struct lite_pool *pool = arg;

    prio_background(CKPT_NICE);
    pthread_mutex_lock(&pool->ckpt_lock);
    while (!pool->ckpt_stop) {
        struct timespec until = clock_deadline_ms(1000);
        int log_pages = 0, done = 0;

        if (!pool->ckpt_due)
            pthread_cond_timedwait(&pool->ckpt_cond, &pool->ckpt_lock, &until);
        pool->ckpt_due = false;
        if (pool->ckpt_stop)
            break;
        pthread_mutex_unlock(&pool->ckpt_lock);
        sqlite3_wal_checkpoint_v2(pool->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  &log_pages, &done);
        catch_up(pool);
        pthread_mutex_lock(&pool->ckpt_lock);
    }
    pthread_mutex_unlock(&pool->ckpt_lock);
    return NULL;
}

static enum svc_rc start_checkpointer(struct lite_pool *pool,
                                      const struct db_options *opt)
{
    int src =
        sqlite3_open_v2(opt->path, &pool->ckpt,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

    if (src != SQLITE_OK) {
        sqlite3_close_v2(pool->ckpt);
        pool->ckpt = NULL;
        return SVC_ERR_DB;
    }
    sqlite3_busy_timeout(pool->ckpt, 100);
    pthread_mutex_init(&pool->ckpt_lock, NULL);
    pthread_cond_init(&pool->ckpt_cond, NULL);
    if (pthread_create(&pool->ckpt_thread, NULL, checkpointer, pool) != 0) {
        sqlite3_close_v2(pool->ckpt);
        pool->ckpt = NULL;
        return SVC_ERR_INTERNAL;
    }
    /* Replaces SQLite's own auto-checkpoint on the writer. */
    sqlite3_wal_hook(pool->writer->h, on_wal, pool);
    return SVC_OK;
}

static void stop_checkpointer(struct lite_pool *pool)
{
    if (!pool->ckpt)
        return;
    pthread_mutex_lock(&pool->ckpt_lock);
    pool->ckpt_stop = true;
    pthread_cond_signal(&pool->ckpt_cond);
    pthread_mutex_unlock(&pool->ckpt_lock);
    pthread_join(pool->ckpt_thread, NULL);
    sqlite3_wal_hook(pool->writer->h, NULL, NULL);
    sqlite3_close_v2(pool->ckpt);
    pool->ckpt = NULL;
    pthread_mutex_destroy(&pool->ckpt_lock);
    pthread_cond_destroy(&pool->ckpt_cond);
}

/* --wal-max in pages of this file. */
static void wal_pages(struct lite_pool *pool, const struct db_options *opt)
{
    static const char sql[] = "PRAGMA page_size";
    sqlite3_stmt *st = NULL;
    size_t page = 4096, n;

    if (lite_stmt(pool->writer, sql, &st) == SVC_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
        page = (size_t)sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    n = wal_max(opt) / page;
    pool->wal_restart_pages = n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

enum svc_rc lite_writer_init(struct lite_pool *pool,
                             const struct db_options *opt)
{
    int src = sqlite3_open_v2(opt->path, &pool->watch,
                              SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);

    if (src == SQLITE_OK)
        src =
            sqlite3_prepare_v3(pool->watch, "PRAGMA data_version", -1,
                               SQLITE_PREPARE_PERSISTENT, &pool->dv_stmt, NULL);
    if (src != SQLITE_OK) {
        log_err("cannot open the change watcher: %s",
                pool->watch ? sqlite3_errmsg(pool->watch)
                            : sqlite3_errstr(src));
        sqlite3_close_v2(pool->watch);
        pool->watch = NULL;
        return SVC_ERR_DB;
    }
    pthread_mutex_init(&pool->q_lock, NULL);
    pthread_cond_init(&pool->q_cond, NULL);
    pthread_mutex_init(&pool->dv_lock, NULL);
    pool->group_commit = opt->group_commit;
    if (!data_version(pool, &pool->last_dv))
        pool->last_dv = -1; /* the first successful read is a change */
    random_hex(pool->boot, sizeof(pool->boot));
    sqlite3_update_hook(pool->writer->h, on_update, pool);
    wal_pages(pool, opt);
    pthread_mutex_lock(&pool->write_lock);
    account(pool);
    pthread_mutex_unlock(&pool->write_lock);
    pool->writer_ready = true;
    return start_checkpointer(pool, opt);
}

void lite_writer_free(struct lite_pool *pool)
{
    if (!pool->writer_ready)
        return;
    stop_checkpointer(pool);
    sqlite3_update_hook(pool->writer->h, NULL, NULL);
    sqlite3_finalize(pool->dv_stmt);
    pool->dv_stmt = NULL;
    sqlite3_close_v2(pool->watch);
    pool->watch = NULL;
    pthread_mutex_destroy(&pool->q_lock);
    pthread_cond_destroy(&pool->q_cond);
    pthread_mutex_destroy(&pool->dv_lock);
    pool->writer_ready = false;
}

/* Runs one job inside the open transaction; in a savepoint when it shares
 * the transaction with others. */
static void run_job(struct lite_db *db, struct write_job *job, bool shared)
{
    static const char save[] = "SAVEPOINT job";
    static const char undo[] = "ROLLBACK TO job";
    static const char release[] = "RELEASE job";

    if (shared) {
        job->rc = lite_run(db, save);
        if (job->rc != SVC_OK)
            return;
    }
    job->rc = job->fn(&db->base, job->ctx);
    /* A failure that ended the whole transaction (disk full) leaves no
     * savepoint to roll back to; the batch sees autocommit and fails. */
    if (!shared || sqlite3_get_autocommit(db->h))
        return;
    if (job->rc != SVC_OK && lite_run(db, undo) != SVC_OK)
        log_err("rollback to savepoint failed");
    if (lite_run(db, release) != SVC_OK)
        log_err("release savepoint failed");
}

static void fail_all(struct write_job *jobs, enum svc_rc rc)
{
    for (struct write_job *j = jobs; j; j = j->next)
        if (j->rc == SVC_OK)
            j->rc = rc;
}

/* One transaction for the jobs; sets every job's rc. */
static void run_batch(struct lite_pool *pool, struct write_job *jobs)
{
    static const char begin[] = "BEGIN IMMEDIATE";
    static const char commit[] = "COMMIT";
    struct lite_db *db = pool->writer;
    bool shared = jobs->next != NULL, any_ok = false;
    enum svc_rc rc;

    pthread_mutex_lock(&pool->write_lock);
    for (struct write_job *j = jobs; j; j = j->next)
        j->rc = SVC_OK;
    pool->txn_mask = 0;
    rc = lite_run(db, begin);
    for (struct write_job *j = jobs; rc == SVC_OK && j; j = j->next) {
        run_job(db, j, shared);
        any_ok |= j->rc == SVC_OK;
        if (sqlite3_get_autocommit(db->h)) /* the transaction is gone */
            rc = j->rc != SVC_OK ? j->rc : SVC_ERR_DB;
    }
    if (rc == SVC_OK && any_ok)
        rc = lite_run(db, commit);
    if ((rc != SVC_OK || !any_ok) && !sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    /* Whatever the outcome (a rollback only makes this conservative). */
    for (unsigned t = 0; t < DB_T_COUNT; t++)
        if (pool->txn_mask & DB_TABLE(t))
            atomic_fetch_add(&pool->tver[t], 1);
    if (pool->txn_mask)
        account(pool);
    pthread_mutex_unlock(&pool->write_lock);
    fail_all(jobs, rc);
    /* Readiness reports a full disk until a commit succeeds again. */
    for (struct write_job *j = jobs; j; j = j->next)
        if (j->rc == SVC_ERR_FULL)
            atomic_store(&pool->full, true);
    if (rc == SVC_OK && any_ok)
        atomic_store(&pool->full, false);
    atomic_fetch_add(&pool->batches, 1);
    for (struct write_job *j = jobs; j; j = j->next) {
        atomic_fetch_add(&pool->writes, 1);
        if (j->rc != SVC_OK)
            atomic_fetch_add(&pool->write_failures, 1);
    }
}

/* Leader loop: runs batches until the queue is empty. Called and returns
 * with q_lock held. */
static void lead(struct lite_pool *pool)
{
    pool->q_leader = true;
    while (pool->q_head) {
        struct write_job *batch = pool->q_head;

        pool->q_head = pool->q_tail = NULL;
        pthread_mutex_unlock(&pool->q_lock);
        run_batch(pool, batch);
        pthread_mutex_lock(&pool->q_lock);
        for (struct write_job *j = batch; j; j = j->next)
            j->done = true;
        pthread_cond_broadcast(&pool->q_cond);
    }
    pool->q_leader = false;
}

enum svc_rc lite_write(struct db_pool *base, db_fn *fn, void *ctx)
{
    struct lite_pool *pool = LITE_POOL(base);
    struct write_job job = {fn, ctx, SVC_OK, false, NULL};

    if (!pool->group_commit) {
        run_batch(pool, &job);
        return job.rc;
    }
    pthread_mutex_lock(&pool->q_lock);
    if (pool->q_tail)
        pool->q_tail->next = &job;
    else
        pool->q_head = &job;
    pool->q_tail = &job;
    while (!job.done) {
        if (!pool->q_leader)
            lead(pool);
        else
            pthread_cond_wait(&pool->q_cond, &pool->q_lock);
    }
    pthread_mutex_unlock(&pool->q_lock);
    return job.rc;
}
