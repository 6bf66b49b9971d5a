/* SPDX-License-Identifier: MIT */
/* db.h's pool functions over an open pool: every call goes to the pool's
 * driver (schema/open.c picked it). */
#include "driver.h"

#include <string.h>

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
    out->db_bytes = -1;
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

enum svc_rc db_space_check(struct db_pool *pool, struct db_space *out)
{
    struct db_space none = {0, 0};

    if (!out)
        out = &none;
    *out = none;
    if (!pool->drv->space)
        return SVC_OK;
    return pool->drv->space(pool, out);
}

bool db_shared(const struct db_pool *pool)
{
    return pool->drv->nonce_claim != NULL;
}

const char *db_driver_name(const struct db_pool *pool)
{
    return pool->drv->name;
}
