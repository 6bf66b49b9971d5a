/* SPDX-License-Identifier: MIT */
/* db.h's pool functions: the driver is chosen by the --db value (a
 * postgres:// or postgresql:// URL selects PostgreSQL, anything else is a
 * SQLite file) and every call goes to it. */
#include "../server/log.h"
#include "stmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

bool db_is_url(const char *where)
{
    return strncmp(where, "postgres://", 11) == 0 ||
           strncmp(where, "postgresql://", 13) == 0;
}

/* Appends n bytes of s to out (len bytes, *used of them taken),
 * truncating; out stays terminated. */
static void put_text(char *out, size_t len, size_t *used, const char *s,
                     size_t n)
{
    while (n-- && *used + 1 < len)
        out[(*used)++] = *s++;
    out[*used] = '\0';
}

/* Copies the query string q (after '?') with each password=VALUE
 * parameter's value hidden. */
static void put_query(char *out, size_t len, size_t *used, const char *q)
{
    static const char key[] = "password=";

    while (*q) {
        size_t n = strcspn(q, "&");

        if (strncmp(q, key, sizeof(key) - 1) == 0) {
            put_text(out, len, used, key, sizeof(key) - 1);
            put_text(out, len, used, "***", 3);
        } else {
            put_text(out, len, used, q, n);
        }
        q += n;
        if (*q == '&')
            put_text(out, len, used, q++, 1);
    }
}

void db_where_shown(const char *where, char *out, size_t len)
{
    const char *scheme = db_is_url(where) ? strstr(where, "://") : NULL;
    const char *auth = scheme ? scheme + 3 : NULL;
    size_t auth_len = auth ? strcspn(auth, "/") : 0;
    const char *at = NULL; /* the last '@': hides an unencoded one too */
    const char *colon, *rest, *query;
    size_t used = 0;

    if (!len)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            at = auth + i;
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    rest = colon ? at : where;
    if (!scheme) {
        put_text(out, len, &used, where, strlen(where));
        return;
    }
    if (colon) { /* user:PASSWORD@ */
        put_text(out, len, &used, where, (size_t)(colon - where));
        put_text(out, len, &used, ":***", 4);
    }
    query = strchr(rest, '?');
    put_text(out, len, &used, rest,
             query ? (size_t)(query + 1 - rest) : strlen(rest));
    if (query)
        put_query(out, len, &used, query + 1);
}

#ifndef COMPUTEDB_HAVE_PG
enum svc_rc db_copy_to_postgres(const char *sqlite_path, const char *url,
                                db_copy_fn *progress, void *ctx, char *err,
                                size_t errlen)
{
    (void)sqlite_path;
    (void)url;
    (void)progress;
    (void)ctx;
    snprintf(err, errlen,
             "this build has no PostgreSQL driver (libpq was "
             "not found when it was built)");
    return SVC_ERR_INVALID;
}
#endif

enum svc_rc db_pool_open(const struct db_options *opt, struct db_pool **out)
{
    if (!db_is_url(opt->path))
        return lite_pool_open(opt, out);
#ifdef COMPUTEDB_HAVE_PG
    return pg_pool_open(opt, out);
#else
    log_err("this build has no PostgreSQL driver (libpq was not found when "
            "it was built); use a SQLite file");
    return SVC_ERR_INVALID;
#endif
}

void db_pool_base_init(struct db_pool *pool, const struct db_driver *drv)
{
    pool->drv = drv;
    pthread_mutex_init(&pool->rows_lock, NULL);
    pool->rows = NULL;
    pool->rows_at_us = 0;
}

void db_pool_base_free(struct db_pool *pool)
{
    json_decref(pool->rows);
    pool->rows = NULL;
    pthread_mutex_destroy(&pool->rows_lock);
}

void db_pool_close(struct db_pool *pool)
{
    if (pool)
        pool->drv->close(pool);
}

enum svc_rc db_read_begin(struct db_pool *pool, struct db **out)
{
    return pool->drv->read_begin(pool, out);
}

void db_read_end(struct db_pool *pool, struct db *db)
{
    if (db)
        pool->drv->read_end(pool, db);
}

enum svc_rc db_write(struct db_pool *pool, db_fn *fn, void *ctx)
{
    return pool->drv->write(pool, fn, ctx);
}

void db_etag(struct db_pool *pool, unsigned mask, char out[64])
{
    pool->drv->etag(pool, mask, out);
}

void db_pool_stats(struct db_pool *pool, struct db_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->wal_bytes = -1;
    pool->drv->stats(pool, out);
}

enum svc_rc db_ready(struct db_pool *pool)
{
    return pool->drv->ready(pool);
}

enum svc_rc db_checkpoint(struct db_pool *pool)
{
    return pool->drv->checkpoint(pool);
}

const char *db_pool_path(const struct db_pool *pool)
{
    return pool->drv->where(pool);
}

enum svc_rc db_nonce_claim(struct db_pool *pool, const char *key,
                           int64_t expires_ms, int64_t now_ms, bool *fresh)
{
    *fresh = true;
    if (!pool->drv->nonce_claim)
        return SVC_OK;
    return pool->drv->nonce_claim(pool, key, expires_ms, now_ms, fresh);
}

enum svc_rc db_claim_role(struct db_pool *pool, const char *role, bool *got)
{
    *got = true;
    if (!pool->drv->claim_role)
        return SVC_OK;
    return pool->drv->claim_role(pool, role, got);
}

bool db_shared(const struct db_pool *pool)
{
    return pool->drv->nonce_claim != NULL;
}

const char *db_driver_name(const struct db_pool *pool)
{
    return pool->drv->name;
}

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
        struct db_stmt *st = NULL;
        int64_t n = 0;

        rc = db_stmt(db, sql[i][1], &st);
        if (rc == SVC_OK)
            rc = db_one(st, db_row_int, &n);
        if (rc == SVC_OK &&
            json_object_set_new(out, sql[i][0], json_integer(n)))
            rc = SVC_ERR_NOMEM;
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
        mono_us() - pool->rows_at_us < (int64_t)max_age_s * 1000000)
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
    pool->rows_at_us = mono_us();
out:
    if (rc == SVC_OK)
        *out = json_incref(pool->rows);
    pthread_mutex_unlock(&pool->rows_lock);
    return rc;
}

void db_leases_init(struct db_leases *l)
{
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    l->free = NULL;
    atomic_init(&l->waits, 0);
    atomic_init(&l->wait_us, 0);
}

void db_leases_free(struct db_leases *l)
{
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
}

struct db *db_leases_take(struct db_leases *l)
{
    struct db *db;

    pthread_mutex_lock(&l->lock);
    if (!l->free) {
        int64_t t0 = mono_us();

        while (!l->free)
            pthread_cond_wait(&l->cond, &l->lock);
        atomic_fetch_add(&l->waits, 1);
        atomic_fetch_add(&l->wait_us, (unsigned long long)(mono_us() - t0));
    }
    db = l->free;
    l->free = db->next_free;
    pthread_mutex_unlock(&l->lock);
    return db;
}

void db_leases_put(struct db_leases *l, struct db *db)
{
    pthread_mutex_lock(&l->lock);
    db->next_free = l->free;
    l->free = db;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
}
