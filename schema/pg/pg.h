/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver's internals (pg_*.c): its connection, statement
 * and pool structs. The query modules do not include it; they use
 * stmt.h. */
#ifndef SCHEMA_PG_H
#define SCHEMA_PG_H

#include "schema/stmt.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

enum { PG_STMT_CACHE = 128, PG_MAX_PARAMS = 16 };

struct pg_stmt {
    struct db_stmt base;
    const char *sql; /* identity key: the static SQL text */
    char name[16];   /* the prepared statement's name on the session */
    int n_params;    /* the highest ?N in the text */
    char *params[PG_MAX_PARAMS]; /* owned text values; NULL for NULL */
    PGresult *res;               /* the current run's rows, or NULL */
    int row, n_rows;             /* the current row, -1 before the first */
    enum svc_rc bind_rc;         /* a bind that failed: the run's answer */
};

struct pg_db {
    struct db base;
    PGconn *conn;
    struct pg_stmt cache[PG_STMT_CACHE];
    size_t n_cache;
    int64_t changes; /* rows changed by the last statement */
    bool broken;     /* the session failed: reset before the next lease */
};

struct pg_pool {
    struct db_pool base;
    char url[1024];   /* as given */
    char shown[1024]; /* the URL without its password, for logs */
    struct pg_db *conns;
    unsigned n_conns;
    struct db_leases leases;
    /* One write at a time takes a session: writes wait for the advisory
     * lock anyway, and waiting writers must not hold every session while
     * reads need one. */
    pthread_mutex_t write_gate;
    char boot[17]; /* random per open, for validators that match nothing */
    int64_t dbid;  /* the database's oid: validators name their database */
    PGconn *roles; /* holds the advisory locks of claimed roles */
    pthread_mutex_t roles_lock; /* one claim at a time on roles */
    unsigned busy_ms;           /* lock_timeout of every session */
    char hosts[1024];           /* the URL's host list ("h1,h2"), or "" */
    char ports[256];            /* its port list, or "" */
    unsigned n_hosts;           /* hosts tried one by one (1: libpq's pick) */
    /* The newest timeline this process has seen a primary on: a primary
     * behind it is an old one that came back after a failover. */
    _Atomic long long timeline;
    _Atomic long long fenced; /* the timeline last logged as refused */
    _Atomic unsigned long long writes, write_failures;
};

#define PG_POOL(p) ((struct pg_pool *)(p))
#define PG_DB(d)   ((struct pg_db *)(d))

/* Translates a failed result (or, with res NULL, the connection's state)
 * into the service's table; logs what becomes a 5xx and marks the
 * connection broken when the session is gone. */
enum svc_rc pg_rc(struct pg_db *db, const PGresult *res);
/* Runs sql (no parameters, one or more statements) on db. */
SVC_NODISCARD enum svc_rc pg_exec(struct pg_db *db, const char *sql);

/* Ends the open transaction, if any, without its changes. */
void pg_rollback(struct pg_db *db);

/* Migrations (pg_migrate.c): creates what is missing, under an advisory
 * lock so replicas starting together take turns, and records the schema
 * version in computedb_schema. */
SVC_NODISCARD enum svc_rc pg_migrate(struct pg_db *db);

#endif
