/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver's side of a failover, on one test server: a
 * multi-host URL whose first host is down still opens (libpq tries the
 * next); a server that turns read-only under the pool's sessions (as a
 * fenced primary, or a standby reached through a virtual IP, would) makes
 * /readyz unready and writes busy (503), and once it takes writes again the
 * sessions that saw it read-only are re-opened and writes go through, no
 * restart needed. Skipped (77) without a test server (COMPUTEDB_TEST_PG)
 * or driver. e2e.pg_failover runs the real failover. */
#include "check.h"
#include "harness.h"
#include "schema/db.h"

#ifdef COMPUTEDB_HAVE_PG
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

/* Runs sql on url's database through a connection of its own, which
 * writes even while the database's sessions start read-only. */
static void admin(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r;

    CHECK(PQstatus(c) == CONNECTION_OK);
    PQclear(PQexec(c, "SET default_transaction_read_only = off"));
    r = PQexec(c, sql);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK ||
          PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
    PQfinish(c);
}

/* Sets (or with value NULL resets) default_transaction_read_only of url's
 * database, then ends every session on it: new ones see the setting. */
static void read_only(const char *url, const char *value)
{
    const char *name = strrchr(url, '/') + 1;
    char sql[256];

    if (value)
        snprintf(sql, sizeof(sql),
                 "ALTER DATABASE %s SET default_transaction_read_only = %s",
                 name, value);
    else
        snprintf(sql, sizeof(sql),
                 "ALTER DATABASE %s RESET default_transaction_read_only", name);
    admin(url, sql);
}

static void drop_sessions(const char *url)
{
    admin(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE datname = current_database() AND "
               "pid <> pg_backend_pid()");
}

/* url with a first host where nothing listens, before its own. */
static void dead_host_first(const char *url, char *out, size_t len)
{
    const char *at = strchr(url, '@');

    CHECK(at != NULL);
    snprintf(out, len, "%.*s127.0.0.1:1,%s?target_session_attrs=read-write",
             (int)(at - url + 1), url, at + 1);
}

/* Through o->path, while the database is read-only: not ready, writes
 * (nonce claims, keys from tag) busy (503, not 500); once it takes writes
 * again, both go through. */
static void check_read_only(const char *url, const struct db_options *o,
                            const char *tag)
{
    struct db_pool *pool = NULL;
    bool fresh = false;
    char key[32];

    CHECK(db_pool_open(o, &pool) == SVC_OK);
    CHECK(db_ready(pool) == SVC_OK);
    snprintf(key, sizeof(key), "before-%s", tag);
    CHECK(db_nonce_claim(pool, key, 10, 1, &fresh) == SVC_OK);
    CHECK(fresh);
    read_only(url, "on");
    drop_sessions(url);
    CHECK_INT_EQ(db_ready(pool), SVC_ERR_BUSY);
    CHECK_INT_EQ(db_nonce_claim(pool, "during", 10, 1, &fresh), SVC_ERR_BUSY);
    CHECK_INT_EQ(db_nonce_claim(pool, "during", 10, 1, &fresh), SVC_ERR_BUSY);
    read_only(url, NULL);
    snprintf(key, sizeof(key), "after-%s", tag);
    CHECK(db_nonce_claim(pool, key, 10, 1, &fresh) == SVC_OK);
    CHECK(fresh);
    CHECK(db_ready(pool) == SVC_OK);
    db_pool_close(pool);
}

int main(void)
{
    char url[1024], multi[1100];
    struct db_options o = {.readers = 1, .busy_timeout_ms = 2000};

    if (!th_pg_database(url, sizeof(url))) {
        fprintf(stderr, "no PostgreSQL test server; skipped\n");
        return 77;
    }
    /* With target_session_attrs=read-write, libpq itself refuses the
     * read-only server until it takes writes again. */
    dead_host_first(url, multi, sizeof(multi));
    o.path = multi;
    check_read_only(url, &o, "multi");
    /* Without it (one address, a virtual IP), the session reaches the
     * read-only server: the write it fails re-opens it, else it would stay
     * read-only (the setting is taken when the session starts). */
    o.path = url;
    check_read_only(url, &o, "one");
    return 0;
}
#else
int main(void)
{
    return 77; /* built without the PostgreSQL driver */
}
#endif
