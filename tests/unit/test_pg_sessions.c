/* SPDX-License-Identifier: MIT */
/* PostgreSQL sessions that the server dropped (a restart, a failover, a
 * killed backend) are re-opened when next used, and the transaction that
 * found one dead still begins: reads, writes and nonce claims go through.
 * Skipped (77) without a test server (COMPUTEDB_TEST_PG) or driver. */
#include "check.h"
#include "harness.h"
#include "schema/db.h"

#ifdef COMPUTEDB_HAVE_PG
#include <libpq-fe.h>
#include <stdio.h>

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

int main(void)
{
    char url[1024];
    struct db_options o = {url, 2, 1000, false, true, 0};
    struct db_pool *pool = NULL;
    struct db *db = NULL;
    bool fresh = false;

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
    db_pool_close(pool);
    return 0;
}
#else
int main(void)
{
    return 77; /* built without the PostgreSQL driver */
}
#endif
