/* SPDX-License-Identifier: MIT */
/* PostgreSQL sessions that the server dropped (a restart, a failover, a
 * killed backend) are re-opened when next used, and the transaction that
 * found one dead still begins: reads, writes, nonce claims, readiness and
 * validators go through. Writes waiting for another replica's write lock
 * never take every session: reads go on meanwhile. Skipped (77) without a
 * test server (COMPUTEDB_TEST_PG) or driver. */
#include "check.h"
#include "harness.h"
#include "schema/db.h"

#ifdef COMPUTEDB_HAVE_PG
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

/* Terminates every session of the database but this one. */
static void drop_sessions(const char *url)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r;

    CHECK(PQstatus(c) == CONNECTION_OK);
    r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND "
                  "pid <> pg_backend_pid()");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    CHECK(PQntuples(r) >= 1); /* the pool's sessions */
    PQclear(r);
    PQfinish(c);
}

static enum svc_rc nothing(struct db *db, void *ctx)
{
    (void)db;
    (void)ctx;
    return SVC_OK;
}

static struct db_pool *shared_pool;

static void *writer(void *arg)
{
    /* Waits for the lock another session holds (busy timeout 10 s): it
     * gets it once released, or answers busy. */
    enum svc_rc rc = db_write(shared_pool, nothing, NULL);

    *(bool *)arg = rc == SVC_OK || rc == SVC_ERR_BUSY;
    return NULL;
}

/* Three writers wait behind a lock held elsewhere (another replica); the
 * pool has two sessions; a read must still get one at once, not when a
 * writer gives up after the 10 s busy timeout. */
static void check_writes_leave_sessions(const char *url, struct db_pool *pool)
{
    struct timespec settle = {0, 200 * 1000000L};
    PGconn *other = PQconnectdb(url);
    PGresult *r;
    pthread_t t[3];
    bool ok[3] = {false, false, false};
    struct db *db = NULL;
    double t0, took;

    CHECK(PQstatus(other) == CONNECTION_OK);
    r = PQexec(other, "SELECT pg_advisory_lock(8319104481439490675)");
    CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
    shared_pool = pool;
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&t[i], NULL, writer, &ok[i]) == 0);
    nanosleep(&settle, NULL);
    t0 = check_now_s();
    CHECK(db_read_begin(pool, &db) == SVC_OK);
    took = check_now_s() - t0;
    db_read_end(pool, db);
    fprintf(stderr, "read beside waiting writes: %.3f s\n", took);
    CHECK(took < 5.0);
    PQclear(PQexec(other, "SELECT pg_advisory_unlock_all()"));
    for (int i = 0; i < 3; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(ok[i]);
    }
    PQfinish(other);
}

int main(void)
{
    char url[1024];
    struct db_options o = {
        .path = url, .readers = 2, .busy_timeout_ms = 10000, .sync_full = true};
    struct db_pool *pool = NULL;
    struct db *db = NULL;
    bool fresh = false;
    char e1[64], e2[64];

    if (!th_pg_database(url, sizeof(url))) {
        fprintf(stderr, "no PostgreSQL test server; skipped\n");
        return 77;
    }
    CHECK(db_pool_open(&o, &pool) == SVC_OK);
    drop_sessions(url);
    for (int i = 0; i < 4; i++) { /* both sessions, twice */
        CHECK(db_read_begin(pool, &db) == SVC_OK);
        db_read_end(pool, db);
    }
    drop_sessions(url);
    CHECK(db_write(pool, nothing, NULL) == SVC_OK);
    CHECK(db_write(pool, nothing, NULL) == SVC_OK);
    drop_sessions(url);
    CHECK(db_nonce_claim(pool, "k1", 10, 1, &fresh) == SVC_OK);
    CHECK(fresh);
    CHECK(db_nonce_claim(pool, "k1", 10, 1, &fresh) == SVC_OK);
    CHECK(!fresh);
    CHECK(db_ready(pool) == SVC_OK);
    /* Readiness and validators, asked first after a drop, still answer
     * (a load balancer must not see a restart as an outage). */
    db_etag(pool, DB_TABLE(DB_T_MINER), e1);
    drop_sessions(url);
    CHECK(db_ready(pool) == SVC_OK);
    drop_sessions(url);
    db_etag(pool, DB_TABLE(DB_T_MINER), e2);
    CHECK_STR_EQ(e2, e1);
    check_writes_leave_sessions(url, pool);
    db_pool_close(pool);
    return 0;
}
#else
int main(void)
{
    return 77; /* built without the PostgreSQL driver */
}
#endif
