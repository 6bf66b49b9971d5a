/* SPDX-License-Identifier: MIT */
/* db.h's pool functions over an open pool: every call goes to the pool's
 * driver (schema/open.c picked it). */
#include "core/clock.h"
#include "core/log.h"
#include "stmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

bool db_is_url(const char *where)
{
    return strncmp(where, "postgres://", 11) == 0 ||
           strncmp(where, "postgresql://", 13) == 0;
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

const char *db_table_name(enum db_table t)
{
    static const char *const names[DB_T_COUNT] = {
#define X(e, name) [DB_T_##e] = name,
        DB_TABLE_LIST(X)
#undef X
            [DB_T_OTHER] = "other",
    };

    return (unsigned)t < DB_T_COUNT ? names[t] : "other";
}

static enum svc_rc count_rows(struct db *db, json_t *out)
{
    /* One static statement per table: names cannot be bound (and
     * tests/lint/check_sql.sh wants SQL as literals, not macro output). */
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
        clock_mono_us() - pool->rows_at_us < (int64_t)max_age_s * 1000000)
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
    pool->rows_at_us = clock_mono_us();
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
        int64_t t0 = clock_mono_us();

        while (!l->free)
            pthread_cond_wait(&l->cond, &l->lock);
        atomic_fetch_add(&l->waits, 1);
        atomic_fetch_add(&l->wait_us,
                         (unsigned long long)(clock_mono_us() - t0));
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
