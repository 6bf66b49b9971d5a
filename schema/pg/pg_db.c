/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver (libpq), for several computedb replicas serving
 * one database.
 *
 * DESIGN: a fixed pool of sessions (--readers of them) serves reads and
 * writes alike; a lease waits while all are out. Statements are prepared
 * once per session (named c0, c1... in the order first used) from the same
 * SQL text as the SQLite driver, ?N placeholders becoming $N; values travel
 * as text and results come back as text, converted on access.
 * - Reads run in REPEATABLE READ READ ONLY transactions: one snapshot per
 *   request, as SQLite's read transactions.
 * - Writes run one transaction each, first taking a transaction-level
 *   advisory lock that every replica's writes share: writes are
 *   serialised as SQLite serialises them, so read-modify-write rules (the
 *   last admin, keep-4 trims, no_specs_count) hold across replicas. The
 *   session's lock_timeout is --busy-timeout-ms: a write that cannot get
 *   the lock in time is answered 503, as with a busy SQLite file.
 * - Validators come from computedb_versions (statement triggers bump a
 *   table's counter in the writing transaction, whichever replica or
 *   client writes), read before the data: exact per table and across
 *   replicas, at the price of one small query per conditional GET. They
 *   also carry the database's oid: a dump restored into a new database
 *   restarts the counters, and its validators must not match the old ones.
 * - Signed requests' nonces go to computedb_nonces (a unique insert;
 *   expired keys are overwritten and swept), so a request replayed to
 *   another replica is refused too.
 * - A session that fails (server restart, failover, a read-only server)
 *   is re-opened at its next lease on a new connection, so libpq's host
 *   selection runs again: with a multi-host URL and
 *   target_session_attrs=read-write it finds the promoted standby, no
 *   restart needed. The request that saw the failure gets 503 with
 *   Retry-After and may be retried; readiness is 503 until a writable
 *   server answers.
 * - libpq cannot tell an old primary restarted after a failover (read-write
 *   again, on its old timeline) from the new one, and picks the first
 *   writable host. So every connection reads its server's timeline, the
 *   pool keeps the newest seen (with a multi-host URL, probed on every
 *   host at open), and a primary behind it is refused: the hosts are then
 *   tried one by one for one that is not. Validators carry that timeline:
 *   a promotion may lose commits a validator counted (an asynchronous
 *   standby), so none from before it ever matches after it. */
#include "core/log.h"
#include "core/random.h"
#include "core/redact.h"
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Expired nonces are swept this long after their expiry: the clock skew
 * between replicas that replay protection tolerates. */
enum { NONCE_SWEEP_SLACK_MS = 10 * 60 * 1000 };

/* The advisory lock every write holds ("writes" in a 63-bit key). */
static const char lock_writes[] =
    "SELECT pg_advisory_xact_lock(8319104481439490675)";

/* PostgreSQL type oids (pg_type.h) the conversions need. */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700
};

/* SQLSTATE classes: 23 integrity, 40 rollback, 53 resources, 08
 * connection, 57P operator intervention, 55P03 lock timeout, 25006 a
 * read-only server (a standby, or a primary fenced read-only): its session
 * is re-opened at its next lease, so libpq's host selection looks for a
 * writable server again. */
enum svc_rc pg_rc(struct pg_db *db, const PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(db->conn) != CONNECTION_OK) {
        db->broken = true;
        log_warn("postgres: session lost: %s", PQerrorMessage(db->conn));
        return SVC_ERR_BUSY;
    }
    if (!st) {
        log_err("postgres: %s", PQerrorMessage(db->conn));
        return SVC_ERR_DB;
    }
    if (strncmp(st, "23", 2) == 0)
        return SVC_ERR_CONFLICT;
    if (strncmp(st, "40", 2) == 0 || strcmp(st, "55P03") == 0)
        return SVC_ERR_BUSY;
    if (strcmp(st, "53100") == 0)
        return SVC_ERR_FULL;
    if (strcmp(st, "53200") == 0)
        return SVC_ERR_NOMEM;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0 ||
        strcmp(st, "25006") == 0) {
        db->broken = true;
        log_warn("postgres: %s", PQresultErrorMessage(res));
        return SVC_ERR_BUSY;
    }
    log_err("postgres error %s: %s", st, PQresultErrorMessage(res));
    return SVC_ERR_DB;
}

enum svc_rc pg_exec(struct pg_db *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    enum svc_rc rc =
        s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? SVC_OK : pg_rc(db, res);

    PQclear(res);
    return rc;
}

void pg_rollback(struct pg_db *db)
{
    PQclear(PQexec(db->conn, "ROLLBACK"));
}

/* ---- statements -------------------------------------------------------- */

/* Copies sql into out with ?N placeholders as $N (outside quotes); sets
 * *n to the highest N. False when out is too small. */
static bool translate(const char *sql, char *out, size_t cap, int *n)
{
    char quote = 0;
    size_t o = 0;

    *n = 0;
    for (const char *p = sql; *p; p++) {
        char c = *p;

        if (quote && c == quote)
            quote = 0;
        else if (!quote && (c == '\'' || c == '"'))
            quote = c;
        else if (!quote && c == '?' && p[1] >= '0' && p[1] <= '9') {
            int v = (int)strtol(p + 1, NULL, 10);

            *n = v > *n ? v : *n;
            c = '$';
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static void stmt_clear(struct pg_stmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->n_rows = 0;
    s->bind_rc = SVC_OK;
    for (int i = 0; i < PG_MAX_PARAMS; i++) {
        free(s->params[i]);
        s->params[i] = NULL;
    }
}

/* Forgets every prepared statement (a new session has none). */
static void cache_clear(struct pg_db *db)
{
    for (size_t i = 0; i < db->n_cache; i++)
        stmt_clear(&db->cache[i]);
    db->n_cache = 0;
}

static enum svc_rc op_prepare(struct db *base, const char *sql,
                              struct db_stmt **out)
{
    struct pg_db *db = PG_DB(base);
    struct pg_stmt *s;
    char text[4096];
    PGresult *res;
    enum svc_rc rc;

    for (size_t i = 0; i < db->n_cache; i++)
        if (db->cache[i].sql == sql) {
            stmt_clear(&db->cache[i]);
            *out = &db->cache[i].base;
            return SVC_OK;
        }
    if (db->n_cache == PG_STMT_CACHE) {
        log_err("statement cache full");
        return SVC_ERR_INTERNAL;
    }
    s = &db->cache[db->n_cache];
    memset(s, 0, sizeof(*s));
    if (!translate(sql, text, sizeof(text), &s->n_params) ||
        s->n_params > PG_MAX_PARAMS) {
        log_err("statement too long or with too many parameters: %.60s", sql);
        return SVC_ERR_INTERNAL;
    }
    snprintf(s->name, sizeof(s->name), "c%zu", db->n_cache);
    res = PQprepare(db->conn, s->name, text, 0, NULL);
    rc = PQresultStatus(res) == PGRES_COMMAND_OK ? SVC_OK : pg_rc(db, res);
    PQclear(res);
    if (rc != SVC_OK)
        return rc;
    s->base.db = base;
    s->sql = sql;
    s->row = -1;
    db->n_cache++;
    *out = &s->base;
    return SVC_OK;
}

#define PST(st) ((struct pg_stmt *)(st))

/* Sets parameter idx to v (owned; NULL for SQL NULL). A copy that could
 * not be made (want_value without v) or a bad index fails the next step
 * instead of running with a NULL in its place. */
static void set_param(struct db_stmt *st, int idx, char *v, bool want_value)
{
    struct pg_stmt *s = PST(st);

    if (idx < 1 || idx > PG_MAX_PARAMS) {
        free(v);
        s->bind_rc = SVC_ERR_INTERNAL;
        return;
    }
    if (want_value && !v)
        s->bind_rc = SVC_ERR_NOMEM;
    free(s->params[idx - 1]);
    s->params[idx - 1] = v;
}

static void op_bind_int(struct db_stmt *st, int idx, int64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    set_param(st, idx, strdup(buf), true);
}

static void op_bind_double(struct db_stmt *st, int idx, double v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%.17g", v);
    set_param(st, idx, strdup(buf), true);
}

static void op_bind_text(struct db_stmt *st, int idx, const char *v)
{
    set_param(st, idx, strdup(v), true);
}

static void op_bind_null(struct db_stmt *st, int idx)
{
    set_param(st, idx, NULL, false);
}

static enum svc_rc op_step(struct db_stmt *st, bool *row)
{
    struct pg_stmt *s = PST(st);
    struct pg_db *db = PG_DB(st->db);

    if (s->bind_rc != SVC_OK) {
        *row = false;
        return s->bind_rc;
    }
    if (!s->res) {
        ExecStatusType status;

        s->res = PQexecPrepared(db->conn, s->name, s->n_params,
                                (const char *const *)s->params, NULL, NULL, 0);
        status = PQresultStatus(s->res);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            enum svc_rc rc = pg_rc(db, s->res);

            PQclear(s->res);
            s->res = NULL;
            *row = false;
            return rc;
        }
        s->n_rows = status == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
        db->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
        s->row = -1;
    }
    if (s->row < s->n_rows)
        s->row++;
    *row = s->row < s->n_rows;
    return SVC_OK;
}

static void op_reset(struct db_stmt *st)
{
    stmt_clear(PST(st));
}

static Oid col_oid(struct db_stmt *st, int col)
{
    return PQftype(PST(st)->res, col);
}

static enum db_type op_col_type(struct db_stmt *st, int col)
{
    struct pg_stmt *s = PST(st);

    if (PQgetisnull(s->res, s->row, col))
        return DB_NULL;
    switch (col_oid(st, col)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        return DB_INT;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return DB_FLOAT;
    case OID_BYTEA:
        return DB_BLOB;
    default:
        return DB_TEXT;
    }
}

static const char *op_col_text(struct db_stmt *st, int col)
{
    struct pg_stmt *s = PST(st);

    if (PQgetisnull(s->res, s->row, col))
        return NULL;
    return PQgetvalue(s->res, s->row, col);
}

static double op_col_double(struct db_stmt *st, int col)
{
    const char *v = op_col_text(st, col);

    if (!v)
        return 0;
    if (col_oid(st, col) == OID_BOOL)
        return *v == 't' ? 1 : 0;
    return strtod(v, NULL);
}

static int64_t op_col_int(struct db_stmt *st, int col)
{
    const char *v = op_col_text(st, col);
    Oid t = col_oid(st, col);

    if (!v)
        return 0;
    if (t == OID_BOOL)
        return *v == 't';
    if (t == OID_FLOAT4 || t == OID_FLOAT8 || t == OID_NUMERIC)
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

static size_t op_col_bytes(struct db_stmt *st, int col)
{
    struct pg_stmt *s = PST(st);

    return (size_t)PQgetlength(s->res, s->row, col);
}

static int op_col_count(struct db_stmt *st)
{
    return PQnfields(PST(st)->res);
}

static int64_t op_changes(struct db *db)
{
    return PG_DB(db)->changes;
}

/* ---- sessions ------------------------------------------------------------ */

/* Per-session settings: lock waits as long as --busy-timeout-ms. */
static enum svc_rc session_setup(struct pg_db *db, unsigned busy_timeout_ms)
{
    /* Doubles travel as text: all 17 digits, whatever the server's
     * default; text as UTF-8. */
    static const char sql[] = "SELECT set_config('lock_timeout', $1, false), "
                              "set_config('extra_float_digits', '3', false), "
                              "set_config('client_encoding', 'UTF8', false)";
    char ms[24];
    const char *params[1] = {ms};
    PGresult *res;
    enum svc_rc rc;

    snprintf(ms, sizeof(ms), "%ums", busy_timeout_ms ? busy_timeout_ms : 1);
    res = PQexecParams(db->conn, sql, 1, NULL, params, NULL, NULL, 0);
    rc = PQresultStatus(res) == PGRES_TUPLES_OK ? SVC_OK : pg_rc(db, res);
    PQclear(res);
    return rc;
}

/* Connects to url with defaults the URL may override (keywords before
 * dbname yield to its own): give up connecting after 5 s, and find a
 * server that vanished (its host gone, no reset sent) within about a
 * minute through TCP keepalives and a 30 s limit on unacknowledged data,
 * rather than the system's many minutes, so a lease never hangs while a
 * server is down. With host (and port) not NULL, to that one server
 * instead of the URL's hosts (keywords after dbname override the URL's). */
static PGconn *connect_host(const char *url, const char *host, const char *port)
{
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "tcp_user_timeout",
                                       "dbname",
                                       "host",
                                       "port",
                                       NULL};
    const char *values[] = {"5",     "1", "30", "10", "3",
                            "30000", url, host, port, NULL};

    /* libpq skips keywords whose value is NULL or empty */
    return PQconnectdbParams(keys, values, 1);
}

static PGconn *connect_url(const char *url)
{
    return connect_host(url, NULL, NULL);
}

/* The server's notices ("relation exists, skipping") are for debugging. */
static void on_notice(void *arg, const char *msg)
{
    size_t n = strlen(msg);

    (void)arg;
    while (n && msg[n - 1] == '\n')
        n--;
    log_debug("postgres: %.*s", (int)n, msg);
}

/* Copies item i of the comma-separated list to out; a list of one item
 * serves every i (libpq uses a single port for every host). */
static void list_item(const char *list, unsigned i, char *out, size_t cap)
{
    const char *p = list;

    if (!strchr(list, ','))
        i = 0;
    for (; i > 0 && p; i--) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        p = "";
    snprintf(out, cap, "%.*s", (int)strcspn(p, ","), p);
}

/* Reads the URL's host and port lists (libpq's multi-host syntax) into
 * pool, for connect_nth. A URL with hostaddr keeps libpq's pick only. */
static void read_hosts(struct pg_pool *pool)
{
    PQconninfoOption *opts = PQconninfoParse(pool->url, NULL);
    bool hostaddr = false;

    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            snprintf(pool->hosts, sizeof(pool->hosts), "%s", o->val);
        else if (strcmp(o->keyword, "port") == 0)
            snprintf(pool->ports, sizeof(pool->ports), "%s", o->val);
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = true;
    }
    PQconninfoFree(opts);
    pool->n_hosts = 1;
    for (const char *p = pool->hosts; !hostaddr && *p; p++)
        pool->n_hosts += *p == ',';
}

/* Connects to host i of pool's URL alone (its other settings kept). */
static PGconn *connect_nth(struct pg_pool *pool, unsigned i)
{
    char host[256], port[16];

    list_item(pool->hosts, i, host, sizeof(host));
    list_item(pool->ports, i, port, sizeof(port));
    return connect_host(pool->url, host, port);
}

/* The timeline conn's primary writes on (promotion starts a new one; a
 * restart keeps the old one); 0 for a standby, or where the server does
 * not tell (the functions refused, as some hosted services do: no fence
 * there). -1 when conn failed. */
static long long read_timeline(PGconn *conn)
{
    static const char sql[] =
        "SELECT CASE WHEN pg_is_in_recovery() THEN '0' ELSE "
        "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END";
    PGresult *res = PQexec(conn, sql);
    long long tl = 0;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        tl = strtoll(PQgetvalue(res, 0, 0), NULL, 16);
    else if (PQstatus(conn) != CONNECTION_OK)
        tl = -1;
    else
        log_debug("postgres: no timeline: %s", PQresultErrorMessage(res));
    PQclear(res);
    return tl;
}

/* Whether conn's server may take this process's sessions, raising
 * pool->timeline to its timeline. A standby may (read-only until
 * promoted). A primary may unless its timeline is behind the newest one
 * this process has seen a primary on: that is an old primary restarted
 * after its standby was promoted, and writes there would be lost to the
 * new primary and to every other replica. False too when conn failed. */
static bool timeline_ok(struct pg_pool *pool, PGconn *conn)
{
    long long tl = read_timeline(conn);
    long long seen = atomic_load(&pool->timeline);

    while (tl > seen &&
           !atomic_compare_exchange_weak(&pool->timeline, &seen, tl))
        ;
    if (tl == 0 || tl >= seen)
        return true;
    if (tl < 0 || atomic_exchange(&pool->fenced, tl) == tl)
        return false; /* an old primary is said once: every session meets it */
    log_err("postgres: %s:%s is a primary on timeline %lld, behind timeline "
            "%lld: an old primary back after a failover; not using it",
            PQhost(conn), PQport(conn), tl, seen);
    return false;
}

/* With several hosts in the URL, learns the newest timeline among the
 * primaries reachable now, so that a process started after a failover
 * does not take an old primary that came back for the primary. */
static void probe_hosts(struct pg_pool *pool)
{
    for (unsigned i = 0; pool->n_hosts > 1 && i < pool->n_hosts; i++) {
        PGconn *c = connect_nth(pool, i);

        if (PQstatus(c) == CONNECTION_OK)
            (void)timeline_ok(pool, c);
        PQfinish(c);
    }
}

/* Connects where pool's URL leads (libpq picks the host: the first
 * writable one with target_session_attrs=read-write). A primary behind on
 * timeline is dropped and each host of the URL tried alone for one that
 * is not. Returns the connection (check PQstatus), or NULL when only old
 * primaries answered (logged) or memory ran out. */
static PGconn *connect_writable(struct pg_pool *pool)
{
    PGconn *conn = connect_url(pool->url);

    if (PQstatus(conn) != CONNECTION_OK || timeline_ok(pool, conn))
        return conn;
    for (unsigned i = 0; pool->n_hosts > 1 && i < pool->n_hosts; i++) {
        PQfinish(conn);
        conn = connect_nth(pool, i);
        if (PQstatus(conn) == CONNECTION_OK && timeline_ok(pool, conn))
            return conn;
    }
    PQfinish(conn);
    return NULL;
}

/* Why conn (from connect_writable) is not connected. */
static const char *conn_error(const PGconn *conn)
{
    return conn ? PQerrorMessage(conn)
                : "no primary on the newest timeline answered";
}

/* (Re)connects db through connect_writable and sets it up; false (db
 * broken, to be tried again at its next lease) when that failed. */
static bool session_connect(struct pg_pool *pool, struct pg_db *db)
{
    cache_clear(db);
    PQfinish(db->conn);
    db->conn = connect_writable(pool);
    db->broken = PQstatus(db->conn) != CONNECTION_OK;
    if (!db->broken) {
        PQsetNoticeProcessor(db->conn, on_notice, NULL);
        db->broken = session_setup(db, pool->busy_ms) != SVC_OK;
    }
    return !db->broken;
}

static enum svc_rc session_open(struct pg_pool *pool, struct pg_db *db)
{
    db->base.drv = &pg_driver;
    db->base.pool = &pool->base;
    if (session_connect(pool, db))
        return SVC_OK;
    log_err("cannot connect to %s: %s", pool->shown, conn_error(db->conn));
    return SVC_ERR_DB;
}

static void session_close(struct pg_db *db)
{
    cache_clear(db);
    PQfinish(db->conn);
    db->conn = NULL;
}

/* Returns db to the pool, never inside a transaction: one left open by a
 * path that failed half-way is rolled back, or the session reset at its
 * next lease when even that fails. */
static void give_back(struct pg_pool *pool, struct pg_db *db)
{
    if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        pg_rollback(db);
        if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
            db->broken = true;
    }
    db_leases_put(&pool->leases, &db->base);
}

/* Re-opens a session that failed, on a new connection (libpq's host
 * selection runs again: after a failover it finds the promoted server);
 * false when no server can be reached (it stays broken, to be tried again
 * at its next lease). */
static bool reset_session(struct pg_pool *pool, struct pg_db *db)
{
    if (!session_connect(pool, db))
        log_warn("postgres: cannot reconnect to %s: %s", pool->shown,
                 conn_error(db->conn));
    else
        log_info("postgres: reconnected to %s (%s:%s)", pool->shown,
                 PQhost(db->conn), PQport(db->conn));
    return !db->broken;
}

static enum svc_rc lease_ok(struct pg_pool *pool, struct pg_db **out)
{
    struct pg_db *db = PG_DB(db_leases_take(&pool->leases));

    if ((db->broken || PQstatus(db->conn) != CONNECTION_OK) &&
        !reset_session(pool, db)) {
        give_back(pool, db);
        return SVC_ERR_BUSY;
    }
    *out = db;
    return SVC_OK;
}

/* A leased session with a transaction begun (sql: BEGIN ...). An idle session
 * whose server went away (a restart, a failover, a killed backend) only
 * shows it now: it is re-opened and the BEGIN tried once more, so the
 * request does not fail for it. */
static enum svc_rc lease_begin(struct pg_pool *pool, const char *sql,
                               struct pg_db **out)
{
    struct pg_db *db = NULL;
    enum svc_rc rc = lease_ok(pool, &db);

    if (rc != SVC_OK)
        return rc;
    rc = pg_exec(db, sql);
    if (rc != SVC_OK && db->broken && reset_session(pool, db))
        rc = pg_exec(db, sql);
    if (rc != SVC_OK) {
        give_back(pool, db);
        return rc;
    }
    *out = db;
    return SVC_OK;
}

/* Runs sql on db, its rows to fn: each of them, or exactly one. */
static enum svc_rc query_rows(struct pg_db *db, const char *sql, bool each,
                              db_row_fn *fn, void *ctx)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(&db->base, sql, &st);

    if (rc == SVC_OK)
        rc = each ? db_each(st, fn, ctx) : db_one(st, fn, ctx);
    return rc;
}

/* query_rows outside a transaction, on a leased session. A session found
 * dead is re-opened and the query run once more, as lease_begin does for
 * BEGIN: libpq delivers a result whole, so the failed run gave fn no row.
 * A session still busy after that (a read-only server, for pg_ready) is
 * re-opened at its next lease, where host selection may find another. */
static enum svc_rc lease_query(struct pg_pool *pool, const char *sql, bool each,
                               db_row_fn *fn, void *ctx)
{
    struct pg_db *db = NULL;
    enum svc_rc rc = lease_ok(pool, &db);

    if (rc != SVC_OK)
        return rc;
    rc = query_rows(db, sql, each, fn, ctx);
    if (rc != SVC_OK && db->broken && reset_session(pool, db))
        rc = query_rows(db, sql, each, fn, ctx);
    if (rc == SVC_ERR_BUSY)
        db->broken = true;
    give_back(pool, db);
    return rc;
}

/* ---- the pool -------------------------------------------------------------
 */

/* The oid of the database the sessions serve (pool->dbid). */
static enum svc_rc read_dbid(struct pg_pool *pool, struct pg_db *db)
{
    static const char sql[] = "SELECT oid::bigint FROM pg_database "
                              "WHERE datname = current_database()";

    return query_rows(db, sql, false, db_row_int, &pool->dbid);
}

static void pg_close(struct db_pool *base)
{
    struct pg_pool *pool = PG_POOL(base);

    for (unsigned i = 0; pool->conns && i < pool->n_conns; i++)
        session_close(&pool->conns[i]);
    PQfinish(pool->roles);
    free(pool->conns);
    db_leases_free(&pool->leases);
    pthread_mutex_destroy(&pool->write_gate);
    pthread_mutex_destroy(&pool->roles_lock);
    db_pool_base_free(&pool->base);
    free(pool);
}

enum svc_rc pg_pool_open(const struct db_options *opt, struct db_pool **out)
{
    struct pg_pool *pool = calloc(1, sizeof(*pool));
    enum svc_rc rc = SVC_OK;

    if (!pool)
        return SVC_ERR_NOMEM;
    db_pool_base_init(&pool->base, &pg_driver);
    db_leases_init(&pool->leases);
    pthread_mutex_init(&pool->write_gate, NULL);
    pthread_mutex_init(&pool->roles_lock, NULL);
    random_hex(pool->boot, sizeof(pool->boot));
    snprintf(pool->url, sizeof(pool->url), "%s", opt->path);
    url_redact(opt->path, pool->shown, sizeof(pool->shown));
    pool->busy_ms = opt->busy_timeout_ms;
    read_hosts(pool);
    probe_hosts(pool);
    pool->n_conns = opt->readers ? opt->readers : 1;
    pool->conns = calloc(pool->n_conns, sizeof(*pool->conns));
    if (!pool->conns)
        rc = SVC_ERR_NOMEM;
    for (unsigned i = 0; rc == SVC_OK && i < pool->n_conns; i++) {
        rc = session_open(pool, &pool->conns[i]);
        if (rc == SVC_OK && i == 0)
            rc = pg_migrate(&pool->conns[0]);
        if (rc == SVC_OK && i == 0)
            rc = read_dbid(pool, &pool->conns[0]);
        db_leases_put(&pool->leases, &pool->conns[i].base);
    }
    if (rc != SVC_OK) {
        pg_close(&pool->base);
        return rc;
    }
    *out = &pool->base;
    return SVC_OK;
}

static enum svc_rc pg_read_begin(struct db_pool *base, struct db **out)
{
    struct pg_db *db = NULL;
    enum svc_rc rc = lease_begin(
        PG_POOL(base), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", &db);

    if (rc == SVC_OK)
        *out = &db->base;
    return rc;
}

static void pg_read_end(struct db_pool *base, struct db *conn)
{
    struct pg_db *db = PG_DB(conn);

    if (pg_exec(db, "COMMIT") != SVC_OK)
        pg_rollback(db);
    give_back(PG_POOL(base), db);
}

static enum svc_rc pg_write(struct db_pool *base, db_fn *fn, void *ctx)
{
    struct pg_pool *pool = PG_POOL(base);
    struct pg_db *db = NULL;
    enum svc_rc rc;

    pthread_mutex_lock(&pool->write_gate);
    rc = lease_begin(pool, "BEGIN", &db);
    if (rc != SVC_OK) {
        pthread_mutex_unlock(&pool->write_gate);
        return rc;
    }
    rc = pg_exec(db, lock_writes);
    if (rc == SVC_OK)
        rc = fn(&db->base, ctx);
    if (rc == SVC_OK) {
        rc = pg_exec(db, "COMMIT");
        /* The server may have committed before the session was lost: the
         * answer (503) cannot say, so the log does. */
        if (rc != SVC_OK && db->broken)
            log_warn("postgres: session lost during COMMIT; the write may "
                     "have been applied");
    }
    if (rc != SVC_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        pg_rollback(db);
    atomic_fetch_add(&pool->writes, 1);
    if (rc != SVC_OK)
        atomic_fetch_add(&pool->write_failures, 1);
    give_back(pool, db);
    pthread_mutex_unlock(&pool->write_gate);
    return rc;
}

struct version_sum {
    unsigned mask;
    unsigned long long sum;
};

static enum svc_rc add_version(struct db_stmt *st, void *ctx)
{
    struct version_sum *v = ctx;
    const char *name = db_col_str(st, 0);

    for (unsigned t = 0; name && t < DB_T_COUNT; t++)
        if ((v->mask & DB_TABLE(t)) &&
            strcmp(name, db_table_name((enum db_table)t)) == 0)
            v->sum += (unsigned long long)db_col_int(st, 1);
    return SVC_OK;
}

static void pg_etag(struct db_pool *base, unsigned mask, char out[64])
{
    static const char sql[] = "SELECT tbl, version FROM computedb_versions";
    static atomic_ulong failures;
    struct pg_pool *pool = PG_POOL(base);
    struct version_sum v = {mask, 0};
    enum svc_rc rc = lease_query(pool, sql, true, add_version, &v);

    if (rc != SVC_OK) {
        /* Unknown: a validator no other answer carries (random per open,
         * then counted), so it never earns a 304. */
        snprintf(out, 64, "W/\"pg-x%s-%lx\"", pool->boot,
                 atomic_fetch_add(&failures, 1));
        return;
    }
    snprintf(out, 64, "W/\"pg-%llx-%llx-%llx\"", (unsigned long long)pool->dbid,
             (unsigned long long)atomic_load(&pool->timeline), v.sum);
}

static void pg_stats(struct db_pool *base, struct db_stats *out)
{
    struct pg_pool *pool = PG_POOL(base);

    out->reader_waits = atomic_load(&pool->leases.waits);
    out->reader_wait_us = atomic_load(&pool->leases.wait_us);
    out->writes = atomic_load(&pool->writes);
    out->write_failures = atomic_load(&pool->write_failures);
    out->batches = out->writes;
}

/* The schema is ours (else SVC_ERR_DB) and the session takes writes
 * (SVC_ERR_BUSY while read-only: a standby until it is promoted, or a
 * server set default_transaction_read_only, as some failover tools fence
 * an old primary; lease_query then re-opens the session at its next
 * lease, so host selection runs again). */
static enum svc_rc version_row(struct db_stmt *st, void *ctx)
{
    (void)ctx;
    if (db_col_int(st, 0) != DB_SCHEMA_VERSION)
        return SVC_ERR_DB;
    return db_col_int(st, 1) == 0 ? SVC_OK : SVC_ERR_BUSY;
}

static enum svc_rc pg_ready(struct db_pool *base)
{
    static const char sql[] =
        "SELECT (SELECT MAX(version) FROM computedb_schema), "
        "CASE WHEN current_setting('transaction_read_only') = 'on' "
        "THEN 1 ELSE 0 END";

    return lease_query(PG_POOL(base), sql, false, version_row, NULL);
}

static enum svc_rc pg_checkpoint(struct db_pool *base)
{
    (void)base; /* the server's own business */
    return SVC_OK;
}

static const char *pg_where(const struct db_pool *base)
{
    return ((const struct pg_pool *)base)->shown;
}

static enum svc_rc pg_nonce_claim(struct db_pool *base, const char *key,
                                  int64_t expires_ms, int64_t now_ms,
                                  bool *fresh)
{
    /* A key whose time ran out is taken over; an unexpired one stays. A
     * lost nonce (the server crashed within its commit delay) could only
     * be replayed within the window: not worth an fsync per request, so
     * this one transaction commits asynchronously (begun in the same round
     * trip). */
    static const char begin[] = "BEGIN; SET LOCAL synchronous_commit = off";
    static const char claim[] =
        "INSERT INTO computedb_nonces (key, expires_ms) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET expires_ms = excluded.expires_ms "
        "WHERE computedb_nonces.expires_ms < ?3";
    static const char sweep[] =
        "DELETE FROM computedb_nonces WHERE expires_ms < ?1";
    static atomic_ulong claims;
    struct pg_pool *pool = PG_POOL(base);
    struct db_stmt *st = NULL;
    struct pg_db *db = NULL;
    enum svc_rc rc = lease_begin(pool, begin, &db);

    if (rc != SVC_OK)
        return rc;
    rc = db_stmt(&db->base, claim, &st);
    if (rc == SVC_OK) {
        db_bind_text(st, 1, key);
        db_bind_int(st, 2, expires_ms);
        db_bind_int(st, 3, now_ms);
        rc = db_step_done(st);
    }
    if (rc == SVC_OK)
        *fresh = db_changes(&db->base) == 1;
    if (rc == SVC_OK)
        rc = pg_exec(db, "COMMIT");
    if (rc != SVC_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        pg_rollback(db);
    if (rc == SVC_OK && atomic_fetch_add(&claims, 1) % 4096 == 4095 &&
        db_stmt(&db->base, sweep, &st) == SVC_OK) {
        /* Replicas' clocks differ: a key is swept only long after it
         * expired by ours, so one that is still live by a slower clock
         * stays and its replay is still refused there. */
        db_bind_int(st, 1, now_ms - NONCE_SWEEP_SLACK_MS);
        if (db_step_done(st) != SVC_OK)
            log_warn("postgres: sweeping expired nonces failed");
    }
    give_back(pool, db);
    return rc;
}

/* Runs sql (one parameter) on the roles connection: its one boolean. */
static enum svc_rc roles_bool(struct pg_pool *pool, const char *sql,
                              const char *param, bool *out)
{
    PGresult *res =
        PQexecParams(pool->roles, sql, 1, NULL, &param, NULL, NULL, 0);
    enum svc_rc rc = SVC_ERR_DB;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        *out = *PQgetvalue(res, 0, 0) == 't';
        rc = SVC_OK;
    }
    PQclear(res);
    return rc;
}

/* A session-level advisory lock keyed by the role's name, on a connection
 * that does nothing else: a pooled session may be reset, which would drop
 * the lock unnoticed. Asked again, a holder keeps it (and takes no second
 * count); a connection that died (PostgreSQL restarted, releasing the
 * lock) is re-opened and the lock tried anew. The connection holds only
 * role locks, so any advisory lock of its own is this one: one role per
 * process today. */
static enum svc_rc pg_claim_role(struct db_pool *base, const char *role,
                                 bool *got)
{
    static const char sql[] =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = "
        "'advisory' AND pid = pg_backend_pid() AND granted) THEN TRUE ELSE "
        "pg_try_advisory_lock(hashtextextended($1, 0)) END";
    struct pg_pool *pool = PG_POOL(base);
    enum svc_rc rc = SVC_ERR_DB;

    pthread_mutex_lock(&pool->roles_lock);
    if (PQstatus(pool->roles) == CONNECTION_OK)
        rc = roles_bool(pool, sql, role, got);
    if (rc != SVC_OK) {
        PQfinish(pool->roles);
        pool->roles = connect_writable(pool);
        if (PQstatus(pool->roles) == CONNECTION_OK)
            rc = roles_bool(pool, sql, role, got);
    }
    if (rc != SVC_OK)
        log_err("postgres: claiming %s on %s: %s", role, pool->shown,
                conn_error(pool->roles));
    pthread_mutex_unlock(&pool->roles_lock);
    return rc;
}

const struct db_driver pg_driver = {
    .name = "postgres",
    .close = pg_close,
    .read_begin = pg_read_begin,
    .read_end = pg_read_end,
    .write = pg_write,
    .etag = pg_etag,
    .stats = pg_stats,
    .ready = pg_ready,
    .checkpoint = pg_checkpoint,
    .where = pg_where,
    .claim_role = pg_claim_role,
    .nonce_claim = pg_nonce_claim,
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
