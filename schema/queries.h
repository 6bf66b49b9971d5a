/* SPDX-License-Identifier: MIT */
/* Query modules, one group per upstream table. Every function runs on a
 * connection from db_read_begin() or inside db_write(); none starts or ends
 * a transaction. Results come back as new jansson values the caller owns.
 * All return SVC_OK, SVC_ERR_NOT_FOUND where stated, or the storage errors
 * of db_rc() (SVC_ERR_BUSY, SVC_ERR_FULL, SVC_ERR_DB, SVC_ERR_NOMEM). */
#ifndef SCHEMA_QUERIES_H
#define SCHEMA_QUERIES_H

#include "db.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

/* ---- miner (uid <-> hotkey) ------------------------------------------ */

/* {"<uid>": "<hotkey>", ...} ordered by uid. */
SVC_NODISCARD enum svc_rc q_miners_list(struct db *db, json_t **out);
/* INSERT OR IGNORE; *inserted tells whether a row was added. */
SVC_NODISCARD enum svc_rc q_miners_insert(struct db *db, int64_t uid,
                                          const char *hotkey, bool *inserted);
/* The hotkey stored for uid, as a new string, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_miners_hotkey(struct db *db, int64_t uid,
                                          char **out);
/* Upstream purge_miner_entries: deletes the uid+hotkey rows of miner,
 * challenge_details and stats and the hotkey rows of miner_details and
 * pog_stats. *out is {"miner": n, "challenge_details": n, ...}. */
SVC_NODISCARD enum svc_rc q_miners_purge(struct db *db, int64_t uid,
                                         const char *hotkey, json_t **out);

/* ---- miner_details (hardware specs) ---------------------------------- */

enum q_docker { Q_DOCKER_ANY, Q_DOCKER_YES, Q_DOCKER_NO };

/* {"<hotkey>": details, ...}; empty, NULL or unparsable details read as
 * {}. Q_DOCKER_YES keeps rows whose details have has_docker == true,
 * Q_DOCKER_NO the others. */
SVC_NODISCARD enum svc_rc q_specs_list(struct db *db, enum q_docker docker,
                                       json_t **out);
/* {"id", "hotkey", "details", "no_specs_count"} or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_specs_get(struct db *db, const char *hotkey,
                                      json_t **out);
/* Upstream update_miner_details for one miner. A non-empty details object
 * is stored (Python json.dumps text) with no_specs_count = 0; NULL or an
 * empty object stores '{}' and counts up, capped at 5 (new rows start at
 * 1). The id of an existing row is kept. */
SVC_NODISCARD enum svc_rc q_specs_upsert(struct db *db, const char *hotkey,
                                         const json_t *details);

/* Called once per miner_details row with its hotkey and raw details text
 * (either may be NULL); a non-OK return stops the scan and is returned. */
typedef enum svc_rc q_specs_row_fn(const char *hotkey, const char *details,
                                   void *ctx);
SVC_NODISCARD enum svc_rc q_specs_scan(struct db *db, q_specs_row_fn *fn,
                                       void *ctx);

/* ---- challenge_details ----------------------------------------------- */

struct q_challenge {
    int64_t uid;
    const char *hotkey;
    bool success;
    double elapsed_time;
    int64_t difficulty;
    const char *created_at; /* NULL: now, local ISO-8601 as upstream */
};

/* Inserts the (uid, hotkey) pair into miner with INSERT OR IGNORE, then
 * the challenge row. */
SVC_NODISCARD enum svc_rc q_challenges_insert(struct db *db,
                                              const struct q_challenge *c);
/* Upstream select_challenge_stats: {"<uid>": {8 fields}}. Reads at most
 * the 60 newest rows and the 20 newest successes per uid. */
SVC_NODISCARD enum svc_rc q_challenges_stats(struct db *db, json_t **out);
/* One keyset page in rowid order: rows with rowid > after (and uid when
 * has_uid), at most limit. *next is the cursor for the next page or 0. */
SVC_NODISCARD enum svc_rc q_challenges_page(struct db *db, bool has_uid,
                                            int64_t uid, int64_t after,
                                            int64_t limit, json_t **items,
                                            int64_t *next);

/* ---- allocation ------------------------------------------------------ */

/* [{"id", "hotkey", "details"}] ordered by id; details parsed (null when
 * unparsable). With redact, password/ssh_key/regkey are removed. */
SVC_NODISCARD enum svc_rc q_alloc_list(struct db *db, bool redact,
                                       json_t **out);
/* One row as above, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_alloc_get(struct db *db, const char *hotkey,
                                      bool redact, json_t **out);
/* UPSERT by hotkey keeping the id; *created tells whether it was new. */
SVC_NODISCARD enum svc_rc q_alloc_put(struct db *db, const char *hotkey,
                                      const json_t *details, bool *created);
/* DELETE by hotkey; *deleted tells whether there was a row. */
SVC_NODISCARD enum svc_rc q_alloc_delete(struct db *db, const char *hotkey,
                                         bool *deleted);

/* ---- the upstream allocation API's reads (q_alloc_api.c) -------------- */

/* [[hotkey, details], ...] of allocation / miner_details in id order, each
 * value the stored text (unparsed) or null. */
SVC_NODISCARD enum svc_rc q_alloc_api_allocations(struct db *db,
                                                  json_t **out);
SVC_NODISCARD enum svc_rc q_alloc_api_specs(struct db *db, json_t **out);

/* ---- blacklist ------------------------------------------------------- */

/* ["<hotkey>", ...] ordered by id. */
SVC_NODISCARD enum svc_rc q_blacklist_list(struct db *db, json_t **out);
/* INSERT ... ON CONFLICT DO NOTHING (details NULL). */
SVC_NODISCARD enum svc_rc q_blacklist_add(struct db *db, const char *hotkey,
                                          bool *added);
/* DELETE by hotkey; *removed tells whether it was listed. */
SVC_NODISCARD enum svc_rc q_blacklist_remove(struct db *db, const char *hotkey,
                                             bool *removed);

/* ---- pog_stats ------------------------------------------------------- */

/* Inserts (gpu_name and num_gpus both NULL for a failure row: pass NULL
 * and num_gpus < 0) with created_at now (UTC), then keeps the 4 newest
 * rows of the hotkey (created_at DESC, id DESC). *out is the new row. */
SVC_NODISCARD enum svc_rc q_pog_insert(struct db *db, const char *hotkey,
                                       const char *gpu_name, int64_t num_gpus,
                                       json_t **out);
/* Newest row of hotkey with both fields set, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_pog_latest(struct db *db, const char *hotkey,
                                       json_t **out);
/* Every row, by hotkey then newest first. */
SVC_NODISCARD enum svc_rc q_pog_list(struct db *db, json_t **out);
/* The newest passing row of every hotkey that has one, by hotkey:
 * [{"hotkey", "uid" (from miner, or null), "gpu_name", "num_gpus",
 * "created_at"}]. */
SVC_NODISCARD enum svc_rc q_pog_passing(struct db *db, json_t **out);

/* ---- pog_jobs (computedb's own) --------------------------------------- */

/* One job as the pool last reported it. */
struct q_pogjob {
    int64_t id;
    const char *kind;   /* "compute", ... */
    const char *state;  /* "queued", "running", "done", ... */
    int64_t device;     /* the device it was placed on */
    const char *params; /* JSON text, or NULL */
    const char *result; /* JSON text, or NULL */
    const char *error;  /* JSON text, or NULL */
    int64_t submitted_at, started_at, finished_at; /* unix ms; 0: unset */
    const char *principal; /* SS58 of who submitted it, or NULL */
};

/* Inserts or replaces job j->id. */
SVC_NODISCARD enum svc_rc q_pogjobs_put(struct db *db,
                                        const struct q_pogjob *j);
/* {"id", "kind", "state", "device", "principal", "submitted_at",
 * "started_at", "finished_at", "params", "error", "result"} with the JSON
 * columns parsed (null when unparsable), or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_pogjobs_get(struct db *db, int64_t id,
                                        json_t **out);
/* Which jobs a page of q_pogjobs_page() shows. */
struct q_pogjob_filter {
    const char *state; /* only jobs in this state; NULL: any */
    const char *kind;  /* only jobs of this kind; NULL: any */
    int64_t before;    /* only ids below this (the cursor); 0: none */
    int64_t limit;     /* at most this many, >= 1 */
};
/* Up to f->limit jobs as q_pogjobs_get() reads them, newest (largest id)
 * first: *items is a new array and *next the cursor of the next page (the
 * last id given), 0 when this page was not full. */
SVC_NODISCARD enum svc_rc q_pogjobs_page(struct db *db,
                                         const struct q_pogjob_filter *f,
                                         json_t **items, int64_t *next);
/* Marks every queued or running job failed with error (JSON text) at
 * now_ms; *changed is the number of jobs marked. */
SVC_NODISCARD enum svc_rc q_pogjobs_interrupt(struct db *db, const char *error,
                                              int64_t now_ms, int64_t *changed);
/* The largest job id stored, 0 when none. */
SVC_NODISCARD enum svc_rc q_pogjobs_max_id(struct db *db, int64_t *out);

/* The size of a stored job, as the pruning counts it: the characters of
 * its params, result and error text (LENGTH() in SQL; bytes for ASCII). */
int64_t q_pogjob_size(const struct q_pogjob *j);
/* Rows deleted and their size, added to by the prune functions. */
struct q_pruned {
    int64_t rows, bytes;
};
/* The size of every finished (not queued or running) job stored. Reads
 * the whole table: once, at open. */
SVC_NODISCARD enum svc_rc q_pogjobs_finished_size(struct db *db, int64_t *out);
/* Deletes the finished jobs that finished before cutoff_ms. */
SVC_NODISCARD enum svc_rc q_pogjobs_prune_age(struct db *db, int64_t cutoff_ms,
                                              struct q_pruned *p);
/* Deletes the oldest (lowest id) finished jobs of principal past the
 * newest keep of them. */
SVC_NODISCARD enum svc_rc q_pogjobs_prune_principal(struct db *db,
                                                    const char *principal,
                                                    int64_t keep,
                                                    struct q_pruned *p);
/* Deletes the oldest finished jobs, below id spare, until at least bytes
 * of them are gone or none is left. */
SVC_NODISCARD enum svc_rc q_pogjobs_prune_size(struct db *db, int64_t bytes,
                                               int64_t spare,
                                               struct q_pruned *p);
/* *out: a new array of the principals with more than keep finished jobs
 * stored. */
SVC_NODISCARD enum svc_rc q_pogjobs_crowded(struct db *db, int64_t keep,
                                            json_t **out);

/* ---- stats ----------------------------------------------------------- */

struct q_stat {
    int64_t uid;
    const char *hotkey;
    const char *gpu_specs; /* JSON text or NULL */
    bool has_score;
    double score;
    bool allocated;
    bool own_score;
    bool has_reliability;
    double reliability_score;
};

/* {"<uid>": record} coerced as upstream retrieve_stats reads it. */
SVC_NODISCARD enum svc_rc q_stats_list(struct db *db, json_t **out);
/* One record, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_stats_get(struct db *db, int64_t uid, json_t **out);
/* UPSERT on uid of every column, created_at refreshed to now (UTC). */
SVC_NODISCARD enum svc_rc q_stats_put(struct db *db, const struct q_stat *s);

/* ---- wandb_runs ------------------------------------------------------ */

/* {"<hotkey>": "<run_id>"}. */
SVC_NODISCARD enum svc_rc q_wandb_list(struct db *db, json_t **out);
/* The run id of hotkey as a new string, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_wandb_get(struct db *db, const char *hotkey,
                                      char **out);
/* Inserts when absent (never updates); *created tells which. */
SVC_NODISCARD enum svc_rc q_wandb_insert(struct db *db, const char *hotkey,
                                         const char *run_id, bool *created);
/* DELETE by hotkey; *deleted tells whether there was a run. */
SVC_NODISCARD enum svc_rc q_wandb_delete(struct db *db, const char *hotkey,
                                         bool *deleted);

/* ---- principals (signed-request identities) ------------------------- */

struct q_principal {
    const char *ss58;
    const char *role;       /* "reader" | "writer" | "admin" */
    const char *label;      /* may be NULL */
    const char *expires_at; /* "YYYY-MM-DD HH:MM:SS" UTC, or NULL */
    const char *scheme;     /* "ed25519" | "sr25519"; NULL: ed25519 for a
                               new principal, unchanged for one that is */
    int secrets;            /* may read allocation secrets: 1 or 0; -1:
                               no for a new principal, unchanged else */
};

/* [{"ss58", "scheme", "role", "secrets", "label", "created_at",
 * "expires_at"}] by created_at. */
SVC_NODISCARD enum svc_rc q_principals_list(struct db *db, json_t **out);
/* One principal as above, or SVC_ERR_NOT_FOUND. */
SVC_NODISCARD enum svc_rc q_principals_get(struct db *db, const char *ss58,
                                           json_t **out);
/* The role of ss58 into role (16 bytes), its expiry into expires (20
 * bytes, "" for never), its scheme into scheme (16 bytes) and its secrets
 * grant into *secrets; SVC_ERR_NOT_FOUND when it is no principal. */
SVC_NODISCARD enum svc_rc q_principals_lookup(struct db *db, const char *ss58,
                                              char role[16], char expires[20],
                                              char scheme[16], bool *secrets);
/* Inserts or replaces (created_at kept); *created tells whether it is
 * new. Put and delete never leave no live admin (role admin, expires_at
 * NULL or after now) where there was one: such a change is refused with
 * SVC_ERR_CONFLICT from inside the caller's write transaction, which
 * db_write then undoes. Put refuses demoting or expiring the last one. */
SVC_NODISCARD enum svc_rc
q_principals_put(struct db *db, const struct q_principal *p, bool *created);
/* Deletes; SVC_ERR_NOT_FOUND when absent, SVC_ERR_CONFLICT for the last
 * live admin. */
SVC_NODISCARD enum svc_rc q_principals_delete(struct db *db, const char *ss58);
/* How many principals exist. */
SVC_NODISCARD enum svc_rc q_principals_count(struct db *db, int64_t *out);

#endif
