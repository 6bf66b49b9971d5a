/* SPDX-License-Identifier: MIT */
/* The write path: group commit keeps each caller's all-or-nothing while
 * sharing commits, and validators move on every commit (ours or another
 * connection's, i.e. another process's) and on nothing else. */
#include "check.h"
#include "schema/sqlite/lite.h" /* lite_exec for the test's own SQL */

#include <sqlite3.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 8, PER_THREAD = 150 };

struct job {
    unsigned thread, i;
};

/* Inserts a row; every 10th call then fails, which must undo it. */
static enum svc_rc insert_tx(struct db *db, void *ctx)
{
    struct job *j = ctx;
    char sql[128];
    enum svc_rc rc;

    snprintf(sql, sizeof(sql),
             "INSERT INTO tb (hotkey, details) VALUES ('t%u', '%u-%u')",
             j->thread, j->thread, j->i % 10);
    rc = lite_exec(LITE_DB(db), sql);
    return rc == SVC_OK && j->i % 10 == 9 ? SVC_ERR_INVALID : rc;
}

static struct db_pool *pool;
static char path[256];

static void *writer(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;

    for (unsigned i = 0; i < PER_THREAD; i++) {
        struct job j = {t, i};
        enum svc_rc rc = db_write(pool, insert_tx, &j);

        CHECK(rc == (i % 10 == 9 ? SVC_ERR_INVALID : SVC_OK));
    }
    return NULL;
}

static long long count(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long n;

    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void check_group_commit(void)
{
    pthread_t t[THREADS];
    struct db_stats st;

    for (unsigned i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, writer, (void *)(uintptr_t)i) == 0);
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_INT_EQ(count("SELECT COUNT(*) FROM tb"),
                 THREADS * PER_THREAD * 9 / 10);
    CHECK_INT_EQ(count("SELECT COUNT(*) FROM tb WHERE details LIKE '%-9'"), 0);
    db_pool_stats(pool, &st);
    CHECK_INT_EQ(st.writes, THREADS * PER_THREAD);
    CHECK_INT_EQ(st.write_failures, THREADS * PER_THREAD / 10);
    fprintf(stderr, "%llu writes in %llu commits\n", st.writes, st.batches);
    CHECK(st.batches < st.writes); /* commits were shared */
}

static void external_write(const char *sql)
{
    sqlite3 *db;

    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
}

static enum svc_rc stats_tx(struct db *db, void *ctx)
{
    (void)ctx;
    return lite_exec(LITE_DB(db), "INSERT OR REPLACE INTO stats (uid, hotkey) "
                                  "VALUES (1, 'h')");
}

static void check_validators(void)
{
    char m1[64], m2[64], s1[64], s2[64], m3[64], s3[64];
    const unsigned miner = DB_TABLE(DB_T_MINER), stats = DB_TABLE(DB_T_STATS);

    db_etag(pool, miner, m1);
    db_etag(pool, stats, s1);
    db_etag(pool, miner, m2);
    CHECK_STR_EQ(m2, m1); /* nothing committed: the same validator */
    CHECK(db_write(pool, stats_tx, NULL) == SVC_OK);
    db_etag(pool, miner, m2);
    db_etag(pool, stats, s2);
    CHECK(strcmp(s2, s1) != 0); /* our commit renews its table's */
    CHECK_STR_EQ(m2, m1);       /* and only those */
    /* Another process's commit changes every validator... */
    external_write("INSERT INTO miner (uid, ss58_address) VALUES (9, 'x')");
    db_etag(pool, miner, m3);
    db_etag(pool, stats, s3);
    CHECK(strcmp(m3, m2) != 0);
    CHECK(strcmp(s3, s2) != 0);
    /* ...and still after our next commit (to another table) has made the
     * validators exact again. */
    CHECK(db_write(pool, stats_tx, NULL) == SVC_OK);
    db_etag(pool, miner, m1);
    CHECK(strcmp(m1, m2) != 0);
    CHECK(strcmp(m1, m3) != 0);
    /* A write that changed nothing (rolled back, table tb) leaves the
     * validators of other tables alone. */
    {
        struct job j = {0, 9};

        CHECK(db_write(pool, insert_tx, &j) == SVC_ERR_INVALID);
    }
    db_etag(pool, miner, m2);
    CHECK_STR_EQ(m2, m1);
}

/* Commits by another process while we write nothing are accounted for
 * within a second or two (the checkpointer; the test allows 20 s for a
 * loaded machine): validators become exact again and still tell the
 * external commit apart. */
static void check_catch_up(void)
{
    struct timespec tick = {0, 100 * 1000000L};
    char m1[64], m2[64], s1[64], s2[64];
    const unsigned miner = DB_TABLE(DB_T_MINER), stats = DB_TABLE(DB_T_STATS);

    db_etag(pool, miner, m1);
    db_etag(pool, stats, s1);
    external_write("INSERT INTO miner (uid, ss58_address) VALUES (10, 'y')");
    db_etag(pool, miner, m2);
    CHECK(strcmp(m1, m2) != 0);
    for (int i = 0; i < 200 && strchr(m2, '.') == NULL; i++) {
        nanosleep(&tick, NULL);
        db_etag(pool, miner, m2);
    }
    CHECK(strchr(m2, '.') != NULL); /* exact again */
    CHECK(strcmp(m1, m2) != 0);
    db_etag(pool, stats, s2);
    CHECK(strcmp(s1, s2) != 0);
}

int main(void)
{
    struct db_options o = {.path = path,
                           .readers = 2,
                           .busy_timeout_ms = 2000,
                           .group_commit = true};

    snprintf(path, sizeof(path), "/tmp/computedb-writer-%d.db", (int)getpid());
    CHECK(db_pool_open(&o, &pool) == SVC_OK);
    check_group_commit();
    check_validators();
    check_catch_up();
    db_pool_close(pool);
    unlink(path);
    return 0;
}
