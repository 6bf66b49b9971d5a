/* SPDX-License-Identifier: MIT */
/* Helpers shared by the HTTP tests: requests with printf-built bodies,
 * direct access to the server's database (the SQLite file, or with
 * COMPUTEDB_TEST_DRIVER=postgres its PostgreSQL database), whole-database
 * snapshots that prove a rejected request wrote nothing, and stable
 * hotkeys. Header-only; every function is static inline so a test that
 * uses a few of them compiles without unused-function warnings. */
#ifndef TESTS_HTTP_UTIL_H
#define TESTS_HTTP_UTIL_H

#include "check.h"
#include "harness.h"

#include <jansson.h>
#include <sqlite3.h>
#ifdef COMPUTEDB_HAVE_PG
#include <libpq-fe.h>
#endif

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK_REAL_EQ(a, b)                                                    \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= 1e-9 * (1.0 + fabs(b_)))) {                     \
            fprintf(stderr, "%s:%d: %s == %.17g, expected %s == %.17g\n",      \
                    __FILE__, __LINE__, #a, a_, #b, b_);                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Every table the server may write, for snapshots. */
static const char *const tu_tables[] = {
    "miner",
    "miner_details",
    "tb",
    "challenge_details",
    "blacklist",
    "allocation",
    "wandb_runs",
    "pog_stats",
    "stats",
    "computedb_legacy_miner_details",
    "sqlite_sequence",
};
enum { TU_NTABLES = sizeof(tu_tables) / sizeof(tu_tables[0]) };

static sqlite3 *tu_conn;
#ifdef COMPUTEDB_HAVE_PG
static PGconn *tu_pg; /* instead of tu_conn when the server runs on it */

/* Runs sql on the PostgreSQL database; exits on failure. */
static inline PGresult *tu_pg_run(const char *sql)
{
    PGresult *r = PQexec(tu_pg, sql);
    ExecStatusType st = PQresultStatus(r);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "postgres(%s): %s\n", sql, PQerrorMessage(tu_pg));
        exit(1);
    }
    return r;
}

/* The first value of r as text, or NULL (SQL NULL, no row); booleans read
 * as SQLite stores them, 1 and 0. */
static inline const char *tu_pg_value(const PGresult *r)
{
    const char *v;

    if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0))
        return NULL;
    v = PQgetvalue(r, 0, 0);
    if (PQftype(r, 0) == 16) /* boolean */
        return *v == 't' ? "1" : "0";
    return v;
}
#endif

/* Opens the direct connection on the running server's database. */
static inline void tu_connect(void)
{
#ifdef COMPUTEDB_HAVE_PG
    if (th_postgres()) {
        tu_pg = PQconnectdb(th_db_path());
        CHECK(PQstatus(tu_pg) == CONNECTION_OK);
        return;
    }
#endif
    CHECK(sqlite3_open(th_db_path(), &tu_conn) == SQLITE_OK);
    sqlite3_busy_timeout(tu_conn, 5000);
}

/* Starts the server on a fresh database and opens a direct connection. */
static inline void tu_start(void)
{
    th_start(NULL);
    tu_connect();
}

/* Closes the direct connection and stops the server. */
static inline void tu_stop(void)
{
#ifdef COMPUTEDB_HAVE_PG
    PQfinish(tu_pg);
    tu_pg = NULL;
#endif
    sqlite3_close(tu_conn);
    tu_conn = NULL;
    th_stop();
}

/* sqlite3_vmprintf: %q / %Q quote strings safely. Caller sqlite3_free()s. */
static inline char *tu_vsql(const char *fmt, va_list ap)
{
    char *sql = sqlite3_vmprintf(fmt, ap);

    CHECK(sql != NULL);
    return sql;
}

/* Runs SQL (sqlite3_mprintf format) on the direct connection. */
static inline void tu_exec(const char *fmt, ...)
{
    va_list ap;
    char *sql, *err = NULL;

    va_start(ap, fmt);
    sql = tu_vsql(fmt, ap);
    va_end(ap);
#ifdef COMPUTEDB_HAVE_PG
    if (tu_pg) {
        PQclear(tu_pg_run(sql));
        sqlite3_free(sql);
        return;
    }
#endif
    if (sqlite3_exec(tu_conn, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "tu_exec(%s): %s\n", sql, err ? err : "?");
        exit(1);
    }
    sqlite3_free(sql);
}

static inline sqlite3_stmt *tu_prepare(const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(tu_conn, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare(%s): %s\n", sql, sqlite3_errmsg(tu_conn));
        exit(1);
    }
    return st;
}

/* The integer in the first column of the first row of a query. */
static inline int64_t tu_int(const char *fmt, ...)
{
    va_list ap;
    char *sql;
    sqlite3_stmt *st;
    int64_t v;

    va_start(ap, fmt);
    sql = tu_vsql(fmt, ap);
    va_end(ap);
#ifdef COMPUTEDB_HAVE_PG
    if (tu_pg) {
        PGresult *r = tu_pg_run(sql);
        const char *t = tu_pg_value(r);

        if (PQntuples(r) < 1) {
            fprintf(stderr, "tu_int(%s): no row\n", sql);
            exit(1);
        }
        v = t ? (int64_t)strtod(t, NULL) : 0;
        PQclear(r);
        sqlite3_free(sql);
        return v;
    }
#endif
    st = tu_prepare(sql);
    if (sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr, "tu_int(%s): no row\n", sql);
        exit(1);
    }
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return v;
}

/* The first column of the first row as a new string (free() it); NULL
 * when the value is SQL NULL or there is no row. */
static inline char *tu_text(const char *fmt, ...)
{
    va_list ap;
    char *sql, *out = NULL;
    sqlite3_stmt *st;

    va_start(ap, fmt);
    sql = tu_vsql(fmt, ap);
    va_end(ap);
#ifdef COMPUTEDB_HAVE_PG
    if (tu_pg) {
        PGresult *r = tu_pg_run(sql);
        const char *t = tu_pg_value(r);

        out = t ? strdup(t) : NULL;
        PQclear(r);
        sqlite3_free(sql);
        return out;
    }
#endif
    st = tu_prepare(sql);
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL) {
        out = strdup((const char *)sqlite3_column_text(st, 0));
        CHECK(out != NULL);
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return out;
}

/* Checks that a query's first value is the text want (NULL: SQL NULL). */
#define CHECK_SQL_TEXT(want, ...)                                              \
    do {                                                                       \
        char *got_ = tu_text(__VA_ARGS__);                                     \
        const char *want_ = (want);                                            \
        if (want_ == NULL ? got_ != NULL                                       \
                          : (got_ == NULL || strcmp(got_, want_) != 0)) {      \
            fprintf(stderr, "%s:%d: SQL text \"%s\", expected \"%s\"\n",       \
                    __FILE__, __LINE__, got_ ? got_ : "(NULL)",                \
                    want_ ? want_ : "(NULL)");                                 \
            exit(1);                                                           \
        }                                                                      \
        free(got_);                                                            \
    } while (0)

static inline int64_t tu_count(const char *table)
{
#ifdef COMPUTEDB_HAVE_PG
    if (tu_pg && strcmp(table, "sqlite_sequence") == 0)
        return 0; /* SQLite's own */
#endif
    return tu_int("SELECT COUNT(*) FROM \"%w\"", table);
}

/* ---- snapshots ------------------------------------------------------- */

struct tu_snap {
    int64_t counts[TU_NTABLES];
    char *dump; /* every row of every table, typed, in rowid order */
    size_t len;
};

static inline void tu_append(struct tu_snap *s, const char *p, size_t n)
{
    char *grown = realloc(s->dump, s->len + n + 1);

    CHECK(grown != NULL);
    s->dump = grown;
    memcpy(s->dump + s->len, p, n);
    s->len += n;
    s->dump[s->len] = '\0';
}

#ifdef COMPUTEDB_HAVE_PG
/* PostgreSQL: every row as its text form, in that order. */
static inline void tu_dump_pg(struct tu_snap *s, size_t t)
{
    char *sql = sqlite3_mprintf("SELECT r::text FROM \"%w\" AS r ORDER BY 1",
                                tu_tables[t]);
    PGresult *r;

    CHECK(sql != NULL);
    r = tu_pg_run(sql);
    for (int i = 0; i < PQntuples(r); i++) {
        tu_append(s, "\n", 1);
        tu_append(s, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
    }
    PQclear(r);
    sqlite3_free(sql);
}
#endif

static inline void tu_dump_table(struct tu_snap *s, size_t t)
{
    char *sql =
        sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY rowid", tu_tables[t]);
    sqlite3_stmt *st;
    char tag[32];

    CHECK(sql != NULL);
    snprintf(tag, sizeof(tag), "\n#%zu", t);
    tu_append(s, tag, strlen(tag));
#ifdef COMPUTEDB_HAVE_PG
    if (tu_pg) {
        sqlite3_free(sql);
        if (strcmp(tu_tables[t], "sqlite_sequence") != 0)
            tu_dump_pg(s, t);
        return;
    }
#endif
    st = tu_prepare(sql);
    while (sqlite3_step(st) == SQLITE_ROW) {
        tu_append(s, "\n", 1);
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            int type = sqlite3_column_type(st, c);
            const unsigned char *v = sqlite3_column_text(st, c);

            snprintf(tag, sizeof(tag), "|%d:", type);
            tu_append(s, tag, strlen(tag));
            if (v)
                tu_append(s, (const char *)v,
                          (size_t)sqlite3_column_bytes(st, c));
        }
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
}

static inline struct tu_snap tu_snap_take(void)
{
    struct tu_snap s = {{0}, NULL, 0};

    for (size_t t = 0; t < TU_NTABLES; t++) {
        s.counts[t] = tu_count(tu_tables[t]);
        tu_dump_table(&s, t);
    }
    return s;
}

/* Checks that the database still equals snapshot s (row counts first, for
 * a readable message), then frees s. */
#define CHECK_UNCHANGED(s)                                                     \
    do {                                                                       \
        struct tu_snap now_ = tu_snap_take();                                  \
        for (size_t t_ = 0; t_ < TU_NTABLES; t_++)                             \
            if (now_.counts[t_] != (s).counts[t_]) {                           \
                fprintf(stderr, "%s:%d: table %s has %lld rows, had %lld\n",   \
                        __FILE__, __LINE__, tu_tables[t_],                     \
                        (long long)now_.counts[t_],                            \
                        (long long)(s).counts[t_]);                            \
                exit(1);                                                       \
            }                                                                  \
        if (strcmp(now_.dump, (s).dump) != 0) {                                \
            fprintf(stderr, "%s:%d: database content changed\n", __FILE__,     \
                    __LINE__);                                                 \
            exit(1);                                                           \
        }                                                                      \
        free(now_.dump);                                                       \
        free((s).dump);                                                        \
        (s).dump = NULL;                                                       \
    } while (0)

/* ---- requests -------------------------------------------------------- */

/* A new string from a printf format and its arguments (free() it). */
static inline char *tu_vstrf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
static inline char *tu_vstrf(const char *fmt, va_list ap)
{
    va_list again;
    int n;
    char *s;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    CHECK(n >= 0);
    s = malloc((size_t)n + 1);
    CHECK(s != NULL);
    vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

/* A new string from a printf format (free() it). */
static inline char *tu_strf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline char *tu_strf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = tu_vstrf(fmt, ap);
    va_end(ap);
    return s;
}

/* Sends method path with a printf-built JSON body. */
static inline struct resp tu_sendf(const char *method, const char *path,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline struct resp tu_sendf(const char *method, const char *path,
                                   const char *fmt, ...)
{
    va_list ap;
    char *body;
    struct resp r;

    va_start(ap, fmt);
    body = tu_vstrf(fmt, ap);
    va_end(ap);
    r = th_send(method, path, body);
    free(body);
    return r;
}

/* GET with a printf-built path. */
static inline struct resp tu_getf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline struct resp tu_getf(const char *fmt, ...)
{
    va_list ap;
    char path[1024];

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    return th_get(path);
}

/* Checks the status of r, printing the body when it differs. */
#define CHECK_STATUS(r, want)                                                  \
    do {                                                                       \
        if ((r).status != (want)) {                                            \
            fprintf(stderr, "%s:%d: status %ld, expected %d; body: %s\n",      \
                    __FILE__, __LINE__, (r).status, (int)(want),               \
                    (r).body ? (r).body : "");                                 \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Sends a request that must be refused with status/code/field (field
 * NULL: not checked) and must leave the database exactly as it was. */
static inline void tu_reject_ct(const char *method, const char *path,
                                const char *body, const char *ctype,
                                long status, const char *code,
                                const char *field)
{
    struct tu_snap before = tu_snap_take();
    struct resp r = th_request(method, path, body, ctype, NULL);

    if (r.status != status)
        fprintf(stderr, "rejected request: %s %s %s\n", method, path,
                body ? body : "(no body)");
    th_expect_error(&r, status, code, field);
    th_resp_free(&r);
    CHECK_UNCHANGED(before);
}

static inline void tu_reject(const char *method, const char *path,
                             const char *body, long status, const char *code,
                             const char *field)
{
    tu_reject_ct(method, path, body, NULL, status, code, field);
}

/* 400 invalid_argument naming field; nothing written. */
static inline void tu_bad(const char *method, const char *path,
                          const char *body, const char *field)
{
    tu_reject(method, path, body, 400, "invalid_argument", field);
}

/* ---- JSON ------------------------------------------------------------ */

static inline json_int_t tu_jint(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v)) {
        fprintf(stderr, "member %s is not an integer\n", key);
        exit(1);
    }
    return json_integer_value(v);
}

static inline double tu_jreal(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_number(v)) {
        fprintf(stderr, "member %s is not a number\n", key);
        exit(1);
    }
    return json_number_value(v);
}

static inline const char *tu_jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* True when v equals the JSON text want. */
static inline bool tu_json_is(const json_t *v, const char *want)
{
    json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
    bool same;

    CHECK(w != NULL);
    same = json_equal(v, w);
    if (!same) {
        char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

        fprintf(stderr, "JSON %s, expected %s\n", got ? got : "(null)", want);
        free(got);
    }
    json_decref(w);
    return same;
}

/* ---- hotkeys --------------------------------------------------------- */

/* th_hotkey(seed) with a stable address: th_hotkey reuses a ring of 64
 * buffers, and its keys are distinct only for seeds below 256. */
static inline const char *hk(unsigned seed)
{
    static char cache[256][64];

    CHECK(seed < 256);
    if (!cache[seed][0])
        snprintf(cache[seed], sizeof(cache[seed]), "%s", th_hotkey(seed));
    return cache[seed];
}

/* s is "YYYY-MM-DD HH:MM:SS" in UTC, within a minute of now (a generous
 * bound: only a wrong zone or format is off by more). */
static inline void tu_check_utc_now(const char *s)
{
    struct tm tm = {0};
    time_t now = time(NULL), t;

    CHECK(s && strlen(s) == 19 && s[10] == ' ');
    CHECK(sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm);
    CHECK(t >= now - 60 && t <= now + 60);
}

/* What another writer of the database does: takes the write lock every
 * computedb write needs, on the direct connection, and holds it in an open
 * transaction (with one row written) until tu_exec("ROLLBACK") or "COMMIT".
 * SQLite: the file's write lock. PostgreSQL: the advisory lock each
 * replica's writes take (schema/pg_db.c), as another replica's write. */
static inline void tu_hold_write_lock(void)
{
    if (th_postgres()) {
        tu_exec("BEGIN");
        tu_exec("SELECT pg_advisory_xact_lock(8319104481439490675)");
    } else {
        tu_exec("BEGIN IMMEDIATE");
    }
    tu_exec("INSERT INTO tb (hotkey) VALUES ('held')");
}

/* Whether a computedb write is waiting for the lock tu_hold_write_lock()
 * holds: SQLite's busy retries (from /metrics), PostgreSQL's lock queue. */
static inline bool tu_write_waiting(void)
{
    if (th_postgres())
        return tu_int("SELECT COUNT(*) FROM pg_locks l JOIN pg_database d "
                      "ON d.oid = l.database WHERE l.locktype = 'advisory' "
                      "AND NOT l.granted AND d.datname = "
                      "current_database()") > 0;
    return th_metric("computedb_db_busy_retries_total") > 0;
}

/* The SS58 negative vector: right length and alphabet, bad checksum. */
static const char TU_BAD_SS58[] =
    "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpv";

#endif
