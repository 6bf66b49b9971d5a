/* SPDX-License-Identifier: MIT */
/* Every handler in the route table, and the small helpers they share.
 * Handlers decode -> call schema/ -> encode; they see no MHD types, run no
 * SQL and never check roles (the router did). */
#ifndef HANDLERS_H
#define HANDLERS_H

#include "schema/db.h"
#include "server/router.h"

/* Ends the read transaction on db, then replies 200 with out (stolen) when
 * rc is SVC_OK; otherwise returns rc. */
enum svc_rc hx_read_reply(struct req *req, struct reply *rep, struct db *db,
                          enum svc_rc rc, json_t *out);
/* Sets rep->location to the printf-formatted path. */
void hx_location(struct reply *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* {"items": items, "next": next or null}; steals items. */
json_t *hx_page(json_t *items, const char *next);

/* A query that reads everything of one kind: *out is a new value. */
typedef enum svc_rc hx_query_fn(struct db *db, json_t **out);
/* GET of a whole collection that reads the tables in mask (DB_TABLE
 * bits): answers 304 to a matching If-None-Match, else the cached answer
 * while the tables are unchanged, else runs fn in a read transaction and
 * answers 200 with its value (as {"items", "next": null} when paged), with
 * an ETag either way. */
enum svc_rc hx_read_all(struct req *req, struct reply *rep, hx_query_fn *fn,
                        bool paged, unsigned mask);
/* The conditional part alone, for handlers with their own query: takes the
 * validator of mask into etag and answers 304 (returns true) when the
 * client has it. */
bool hx_conditional(struct req *req, struct reply *rep, unsigned mask,
                    char etag[64]);

/* A query for the one record of a hotkey (or SS58 principal). */
typedef enum svc_rc hx_query_key_fn(struct db *db, const char *key,
                                    json_t **out);
/* GET of one record by the SS58 path capture param: 400 for a bad address,
 * 404 with missing as the message when fn finds nothing. */
enum svc_rc hx_read_by_key(struct req *req, struct reply *rep,
                           const char *param, hx_query_key_fn *fn,
                           const char *missing, unsigned mask);

/* A delete of the one record of a hotkey (or SS58 principal), run inside
 * db_write(): *deleted tells whether a row went. */
typedef enum svc_rc hx_delete_key_fn(struct db *db, const char *key,
                                     bool *deleted);
/* DELETE of one record by the SS58 path capture param: 400 for a bad
 * address; runs fn in a write transaction and answers 204, or 404 with
 * missing as the message when nothing was deleted (or fn returned
 * SVC_ERR_NOT_FOUND). Any other error of fn is returned with no detail, for
 * the caller to name. */
SVC_NODISCARD enum svc_rc hx_delete_by_key(struct req *req, struct reply *rep,
                                           const char *param,
                                           hx_delete_key_fn *fn,
                                           const char *missing);

/* A batch write: the body is {"<member>": [row, ...]} (1..4096 rows); each
 * row is decoded first (the error names the row), then all are applied in
 * one write transaction, all or nothing. */
struct hx_batch {
    const char *member; /* the body's only member */
    size_t row_size;    /* bytes of one decoded row */
    /* Decodes element i into row (zeroed); records the error in req. */
    enum svc_rc (*decode)(struct req *req, const json_t *el, size_t i,
                          void *row);
    /* Applies one row inside the transaction; ctx is hx_batch_write's. */
    enum svc_rc (*apply)(struct db *db, const void *row, void *ctx);
};
/* Decodes and applies b; *n is the number of rows. */
enum svc_rc hx_batch_write(struct req *req, const struct hx_batch *b, void *ctx,
                           size_t *n);

/* The GPU reference table in use: --gpu-table's, else the built-in. */
const struct pog_table *hx_pog_table(const struct req *req);

/* Before work that grows the disk (a PoG job, a backup): SVC_OK while the
 * database's disk keeps --min-free-disk free, else SVC_ERR_FULL (507)
 * with a message naming the free bytes and the flag. */
SVC_NODISCARD enum svc_rc hx_need_space(struct req *req);

/* system.c */
handler_fn h_health_get, h_ready_get, h_version_get, h_openapi_get,
    h_metrics_get;
/* miners.c */
handler_fn h_miners_list, h_miners_put, h_miners_delete;
/* miner_details.c */
handler_fn h_specs_list, h_specs_get, h_specs_put;
/* candidates.c */
handler_fn h_candidates_post;
/* challenges.c */
handler_fn h_challenges_post, h_challenges_stats, h_challenges_list;
/* allocations.c */
handler_fn h_alloc_list, h_alloc_get, h_alloc_put, h_alloc_delete;
/* blacklist.c */
handler_fn h_blacklist_list, h_blacklist_post, h_blacklist_delete,
    h_blacklist_delete_one;
/* pog_stats.c */
handler_fn h_pog_stats_post, h_pog_stats_list, h_pog_stats_get;
/* pog_jobs.c */
handler_fn h_pog_jobs_post, h_pog_jobs_list, h_pog_jobs_get, h_pog_jobs_delete;
/* pog_engine.c */
handler_fn h_pog_verify_post, h_pog_identify_post, h_pog_gpus_get;
/* scores.c */
handler_fn h_scores_list;
/* stats.c */
handler_fn h_stats_list, h_stats_get, h_stats_put;
/* admin.c */
handler_fn h_principals_list, h_principals_get, h_principals_put,
    h_principals_delete, h_backup_post, h_backup_get;
/* wandb.c */
handler_fn h_wandb_list, h_wandb_get, h_wandb_put, h_wandb_delete;
/* alloc_api.c: the upstream allocation API's database reads */
handler_fn h_aapi_allocations, h_aapi_resources, h_aapi_service;
/* ui.c: the dashboard's files and who the caller is (its sign-in) */
handler_fn h_ui_get, h_whoami_get;
/* Turns the dashboard routes on (the default) or off (serve --no-ui: they
 * answer 404). Called before serving; thread-safe. */
void hx_ui_serve(bool on);

/* One file of the dashboard compiled into the binary (the table
 * ui_assets[] is generated by CMakeLists.txt from web/ui/). */
struct ui_asset {
    const char *name;         /* served at /ui/<name> */
    const char *data;         /* its bytes (NUL-terminated copy) */
    const unsigned long *len; /* its byte count */
};
extern const struct ui_asset ui_assets[];
extern const unsigned long ui_assets_count;

#endif
