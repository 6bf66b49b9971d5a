/* SPDX-License-Identifier: MIT */
/* Helpers shared by the handlers. */
#include "core/clock.h"
#include "core/log.h"
#include "decode.h"
#include "gpu/pog_service.h"
#include "gpu/pog_table.h"
#include "handlers.h"
#include "server/cache.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum svc_rc hx_read_reply(struct req *req, struct reply *rep, struct db *db,
                          enum svc_rc rc, json_t *out)
{
    db_read_end(req->app->db, db);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200, out);
}

void hx_location(struct reply *rep, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rep->location, sizeof(rep->location), fmt, ap);
    va_end(ap);
}

json_t *hx_page(json_t *items, const char *next)
{
    if (!items)
        return NULL;
    return json_pack("{s:o,s:s?}", "items", items, "next", next);
}

bool hx_conditional(struct req *req, struct reply *rep, unsigned mask,
                    char etag[64])
{
    db_etag(req->app->db, mask, etag);
    return cache_not_modified(req, rep, etag);
}

/* The cache key: path and query as sent, and whether secrets are hidden. */
static void cache_key(const struct req *req, char *out, size_t len)
{
    snprintf(out, len, "%s|%s", req->target ? req->target : req->path,
             req->secrets ? "full" : "redacted");
}

enum svc_rc hx_read_all(struct req *req, struct reply *rep, hx_query_fn *fn,
                        bool paged, unsigned mask)
{
    bool caching = req->app->response_cache, filling = false;
    char etag[64], key[256];
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc;

    if (hx_conditional(req, rep, mask, etag))
        return SVC_OK;
    cache_key(req, key, sizeof(key));
    if (caching && cache_get(key, etag, rep, &filling))
        return SVC_OK;
    rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        goto out;
    rc = fn(db, &out);
    if (rc == SVC_OK && paged)
        out = hx_page(out, NULL);
    rc = hx_read_reply(req, rep, db, rc, out);
    if (rc != SVC_OK)
        goto out;
    if (caching)
        return cache_put(key, etag, rep, filling);
    snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
out:
    if (filling)
        cache_abandon(key);
    return rc;
}

enum svc_rc hx_read_by_key(struct req *req, struct reply *rep,
                           const char *param, hx_query_key_fn *fn,
                           const char *missing, unsigned mask)
{
    const char *key;
    char etag[64];
    struct db *db;
    json_t *out = NULL;
    enum svc_rc rc = dec_path_key(req, param, &key);

    if (rc != SVC_OK || hx_conditional(req, rep, mask, etag))
        return rc;
    rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = fn(db, key, &out);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, param, "%s", missing);
    rc = hx_read_reply(req, rep, db, rc, out);
    if (rc == SVC_OK)
        snprintf(rep->etag, sizeof(rep->etag), "%s", etag);
    return rc;
}

struct delete_run {
    hx_delete_key_fn *fn;
    const char *key;
};

static enum svc_rc delete_tx(struct db *db, void *ctx)
{
    const struct delete_run *run = ctx;
    bool deleted = false;
    enum svc_rc rc = run->fn(db, run->key, &deleted);

    return rc == SVC_OK && !deleted ? SVC_ERR_NOT_FOUND : rc;
}

enum svc_rc hx_delete_by_key(struct req *req, struct reply *rep,
                             const char *param, hx_delete_key_fn *fn,
                             const char *missing)
{
    struct delete_run run = {fn, NULL};
    enum svc_rc rc = dec_path_key(req, param, &run.key);

    if (rc == SVC_OK)
        rc = db_write(req->app->db, delete_tx, &run);
    if (rc == SVC_ERR_NOT_FOUND)
        return req_fail(req, rc, param, "%s", missing);
    if (rc != SVC_OK)
        return rc;
    return reply_empty(rep, 204);
}

struct batch_run {
    const struct hx_batch *b;
    char *rows;
    size_t n;
    void *ctx;
};

static enum svc_rc batch_tx(struct db *db, void *arg)
{
    struct batch_run *run = arg;
    enum svc_rc rc = SVC_OK;

    for (size_t i = 0; rc == SVC_OK && i < run->n; i++)
        rc = run->b->apply(db, run->rows + i * run->b->row_size, run->ctx);
    return rc;
}

enum svc_rc hx_batch_write(struct req *req, const struct hx_batch *b, void *ctx,
                           size_t *n)
{
    const char *const fields[] = {b->member, NULL};
    struct batch_run run = {b, NULL, 0, ctx};
    const json_t *arr, *el;
    size_t i;
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc == SVC_OK)
        rc = dec_array(req, req->json, b->member, DEC_BATCH_MAX, &arr);
    if (rc != SVC_OK)
        return rc;
    run.rows = calloc(json_array_size(arr), b->row_size);
    if (!run.rows)
        return SVC_ERR_NOMEM;
    json_array_foreach (arr, i, el) {
        rc = b->decode(req, el, i, run.rows + i * b->row_size);
        if (rc != SVC_OK)
            goto out;
        run.n++;
    }
    rc = db_write(req->app->db, batch_tx, &run);
    if (rc == SVC_OK)
        *n = run.n;
out:
    free(run.rows);
    return rc;
}

const struct pog_table *hx_pog_table(const struct req *req)
{
    const struct pog_table *t = pog_service_table(req->app->pog_service);

    return t ? t : pog_table_default();
}

enum svc_rc hx_need_space(struct req *req)
{
    /* The access log carries no message: the operator hears of the disk
     * here too, at most once a minute. */
    static _Atomic int64_t warned_ns;
    int64_t now = clock_mono_ns(), last = atomic_load(&warned_ns);
    struct db_space sp;

    if (db_space_check(req->app->db, &sp) == SVC_OK)
        return SVC_OK;
    if ((!last || now - last >= 60 * 1000000000LL) &&
        atomic_compare_exchange_strong(&warned_ns, &last, now))
        log_warn("%llu bytes free on the database's disk, below "
                 "--min-free-disk %llu: PoG jobs and backups are refused "
                 "(507) until space is freed",
                 sp.free_bytes, sp.min_free);
    return req_fail(req, SVC_ERR_FULL, NULL,
                    "%llu bytes free on the database's disk, below "
                    "--min-free-disk %llu: free some space first",
                    sp.free_bytes, sp.min_free);
}
