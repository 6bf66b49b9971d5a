/* SPDX-License-Identifier: MIT */
/* The PoG service: the GPU reference table, the worker pool, and the event
 * hook that writes each job transition to pog_jobs and counts it.
 *
 * DESIGN: the pool calls the hook once per transition, in order for each
 * job, on the thread that made it (an HTTP thread for QUEUED and for a
 * cancel while queued, the device's worker for the rest), with no pool lock
 * held, so the hook writes through db_write() like any request. A job thus
 * reads the same from the pool and from the table, and GET /pog/jobs/{id}
 * falls back to the table once the pool has expired the job. A process
 * that stops, cleanly or not, leaves its unfinished jobs queued or running
 * in the table; the next open (and a clean close) marks them failed with
 * POG_SERVICE_INTERRUPTED, and the pool continues numbering after the
 * largest stored id, so ids are never reused.
 *
 * Pruning keeps pog_jobs bounded (a result may be hundreds of KiB; without
 * it one writer could fill the disk). Where the service owns the jobs, it
 * knows the size of the finished rows (one SUM at open, then kept by every
 * final write and every prune), and each final state is written in one
 * transaction with what it pushes out: the principal's oldest finished
 * jobs past stored_per_principal (a count on an index), jobs finished more
 * than max_age ago (a range of the finished_at index, at most once per
 * AGE_EVERY_MS, or per max_age when that is shorter), then the oldest
 * finished jobs while the total is over max_bytes (the job just finished
 * excepted: a fresh result is never deleted at once). Open runs the same
 * pass over every principal. Queued and running rows are never deleted.
 * prune_lock serializes the final writes, so the total stays exact; it is
 * a leaf lock, taken in the hook (no pool lock held, one job's cb_lock). */
#include "pog_service.h"

#include "core/clock.h"
#include "core/log.h"
#include "pog_parse.h"
#include "pool.h"
#include "schema/db.h"
#include "schema/queries.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    AGE_EVERY_MS = 60000, /* the age limit runs at most this often */
};

/* What pog_jobs may hold (pog_service_options, defaults applied). */
struct prune_limits {
    int64_t max_age_ms; /* finished jobs older than this go */
    int64_t max_bytes;  /* finished rows' size past which the oldest go */
    int64_t keep;       /* finished jobs kept per principal */
};

struct pog_service {
    struct db_pool *db;       /* borrowed; outlives the service */
    pog_job_event_fn *on_job; /* or NULL */
    struct gpu_pool *pool;    /* owned; NULL when this process runs none */
    struct pog_table *table;  /* the table file, owned; NULL: the built-in */
    atomic_bool closing;      /* pog_service_close has begun */
    /* Unfinished jobs in pog_jobs are this process's to mark interrupted
     * (at start and at close): false on a shared database when this
     * replica runs no workers, as they belong to the replica that does
     * (README, Deployment). */
    bool owns_jobs;
    struct prune_limits lim;
    pthread_mutex_t prune_lock; /* orders final writes; guards the two: */
    int64_t stored_bytes;       /* size of the finished rows stored */
    int64_t age_run_ns;         /* when the age limit last ran (mono) */
};

/* The error column of an interrupted job, as the pool renders errors. */
static const char interrupted_json[] =
    "{\"code\":\"internal\",\"message\":\"" POG_SERVICE_INTERRUPTED "\"}";

static int64_t int_of(const json_t *snap, const char *key)
{
    const json_t *v = json_object_get(snap, key);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Member key of snap as compact JSON text (new), NULL for null or absent. */
static char *text_of(const json_t *snap, const char *key)
{
    const json_t *v = json_object_get(snap, key);

    return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT) : NULL;
}

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    return q_pogjobs_put(db, ctx);
}

/* ---- pruning (see DESIGN) ---------------------------------------------- */

/* The limits, in the order a pass applies them. */
enum { BY_PRINCIPAL, BY_AGE, BY_SIZE, N_LIMITS };

/* One pass of the limits over pog_jobs, inside a write transaction. */
struct prune_pass {
    const struct prune_limits *lim;
    const char *principal;        /* whose count to check; NULL: none */
    bool crowded;                 /* every principal over it (at open) */
    int64_t cutoff_ms;            /* finished before this go; 0: not now */
    int64_t over;                 /* bytes over max_bytes before the pass */
    int64_t spare;                /* the size limit deletes ids below it */
    struct q_pruned by[N_LIMITS]; /* what went, per limit */
};

/* Rows or bytes the pass deleted, all limits together. */
static int64_t pass_rows(const struct prune_pass *pp)
{
    return pp->by[BY_PRINCIPAL].rows + pp->by[BY_AGE].rows +
           pp->by[BY_SIZE].rows;
}

static int64_t pass_bytes(const struct prune_pass *pp)
{
    return pp->by[BY_PRINCIPAL].bytes + pp->by[BY_AGE].bytes +
           pp->by[BY_SIZE].bytes;
}

/* The count limit for every principal above it. */
static enum svc_rc prune_crowded(struct db *db, struct prune_pass *pp)
{
    json_t *list = NULL, *who;
    size_t k;
    enum svc_rc rc = q_pogjobs_crowded(db, pp->lim->keep, &list);

    json_array_foreach (list, k, who) {
        if (rc != SVC_OK)
            break;
        rc = q_pogjobs_prune_principal(db, json_string_value(who),
                                       pp->lim->keep, &pp->by[BY_PRINCIPAL]);
    }
    json_decref(list);
    return rc;
}

static enum svc_rc prune_run(struct db *db, struct prune_pass *pp)
{
    enum svc_rc rc = SVC_OK;

    memset(pp->by, 0, sizeof(pp->by)); /* fn may run again on a retry */
    if (pp->principal)
        rc = q_pogjobs_prune_principal(db, pp->principal, pp->lim->keep,
                                       &pp->by[BY_PRINCIPAL]);
    if (rc == SVC_OK && pp->crowded)
        rc = prune_crowded(db, pp);
    if (rc == SVC_OK && pp->cutoff_ms)
        rc = q_pogjobs_prune_age(db, pp->cutoff_ms, &pp->by[BY_AGE]);
    if (rc == SVC_OK && pp->over > pass_bytes(pp))
        rc = q_pogjobs_prune_size(db, pp->over - pass_bytes(pp), pp->spare,
                                  &pp->by[BY_SIZE]);
    return rc;
}

/* The age cutoff when the age limit is due at now_ns, else 0. Under
 * prune_lock. */
static int64_t age_cutoff(const struct pog_service *svc, int64_t now_ns)
{
    int64_t every_ms =
        svc->lim.max_age_ms < AGE_EVERY_MS ? svc->lim.max_age_ms : AGE_EVERY_MS;

    if (svc->age_run_ns && now_ns - svc->age_run_ns < every_ms * 1000000)
        return 0;
    return clock_unix_ms() - svc->lim.max_age_ms;
}

static void log_pruned(const struct prune_pass *pp, const char *when)
{
    if (pass_rows(pp))
        log_info("pog: pruned %lld finished job(s), %lld bytes%s: %lld past "
                 "--pog-stored-per-principal, %lld past --pog-jobs-max-age, "
                 "%lld past --pog-jobs-max-bytes",
                 (long long)pass_rows(pp), (long long)pass_bytes(pp), when,
                 (long long)pp->by[BY_PRINCIPAL].rows,
                 (long long)pp->by[BY_AGE].rows,
                 (long long)pp->by[BY_SIZE].rows);
}

/* A final state: the row and the pass it sets off, in one commit. */
struct final_write {
    const struct q_pogjob *row;
    struct prune_pass pass;
};

static enum svc_rc final_tx(struct db *db, void *ctx)
{
    struct final_write *w = ctx;
    enum svc_rc rc = q_pogjobs_put(db, w->row);

    return rc == SVC_OK ? prune_run(db, &w->pass) : rc;
}

/* Writes the final row (a finished job) and prunes what it pushes out,
 * keeping svc->stored_bytes. Should the pass fail, the row is written
 * alone: the job's outcome matters more than the pruning, which the next
 * final write tries again. */
static enum svc_rc write_final(struct pog_service *svc, struct q_pogjob *row)
{
    int64_t size = q_pogjob_size(row), now_ns = clock_mono_ns();
    struct final_write w = {
        row, {&svc->lim, row->principal, false, 0, 0, row->id, {{0, 0}}}};
    enum svc_rc rc;

    pthread_mutex_lock(&svc->prune_lock);
    w.pass.cutoff_ms = age_cutoff(svc, now_ns);
    w.pass.over = svc->stored_bytes + size - svc->lim.max_bytes;
    rc = db_write(svc->db, final_tx, &w);
    if (rc == SVC_OK) {
        svc->stored_bytes += size - pass_bytes(&w.pass);
        if (w.pass.cutoff_ms)
            svc->age_run_ns = now_ns;
    } else if (rc != SVC_ERR_FULL) {
        log_warn("pog: pruning pog_jobs failed (%s); recording job %lld "
                 "without it",
                 svc_rc_text(rc), (long long)row->id);
        memset(w.pass.by, 0, sizeof(w.pass.by));
        rc = db_write(svc->db, put_tx, row);
        if (rc == SVC_OK)
            svc->stored_bytes += size;
    }
    pthread_mutex_unlock(&svc->prune_lock);
    if (rc == SVC_OK)
        log_pruned(&w.pass, "");
    return rc;
}

/* At open: the stored size, then the limits over every principal. */
struct open_prune {
    int64_t stored; /* size of the finished rows before the pass */
    struct prune_pass pass;
};

static enum svc_rc open_prune_tx(struct db *db, void *ctx)
{
    struct open_prune *o = ctx;
    enum svc_rc rc = q_pogjobs_finished_size(db, &o->stored);

    o->pass.over = o->stored - o->pass.lim->max_bytes;
    return rc == SVC_OK ? prune_run(db, &o->pass) : rc;
}

static enum svc_rc prune_at_open(struct pog_service *svc)
{
    struct open_prune o = {0,
                           {&svc->lim, NULL, true, 0, 0, INT64_MAX, {{0, 0}}}};
    enum svc_rc rc;

    o.pass.cutoff_ms = clock_unix_ms() - svc->lim.max_age_ms;
    rc = db_write(svc->db, open_prune_tx, &o);
    if (rc != SVC_OK)
        return rc;
    svc->stored_bytes = o.stored - pass_bytes(&o.pass);
    svc->age_run_ns = clock_mono_ns();
    log_pruned(&o.pass, " at start");
    return SVC_OK;
}

static void limits_of(const struct pog_service_options *o,
                      struct prune_limits *lim)
{
    lim->max_age_ms =
        (int64_t)(o->max_age_s ? o->max_age_s : 7 * 24 * 3600) * 1000;
    lim->max_bytes = o->max_bytes ? (int64_t)o->max_bytes : 256LL << 20;
    lim->keep = o->stored_per_principal ? o->stored_per_principal : 1000;
}

/* ---- the event hook ------------------------------------------------------ */

/* Writes the snapshot of job id into pog_jobs (a final state with its
 * pruning); a failure is logged (the job itself goes on). */
static void persist(struct pog_service *svc, uint64_t id, enum gpu_job_state st,
                    const json_t *snap)
{
    char *params = text_of(snap, "params"), *result = text_of(snap, "result");
    char *error = text_of(snap, "error");
    struct q_pogjob row = {
        .id = (int64_t)id,
        .kind = json_string_value(json_object_get(snap, "kind")),
        .state = gpu_job_state_name(st),
        .device = int_of(snap, "device"),
        .params = params,
        .result = result,
        .error = error,
        .submitted_at = int_of(snap, "submitted_at"),
        .started_at = int_of(snap, "started_at"),
        .finished_at = int_of(snap, "finished_at"),
        .principal = json_string_value(json_object_get(snap, "principal")),
    };
    enum svc_rc rc = SVC_ERR_INTERNAL;

    if (row.kind && gpu_job_state_is_final(st) && svc->owns_jobs)
        rc = write_final(svc, &row);
    else if (row.kind)
        rc = db_write(svc->db, put_tx, &row);
    if (rc != SVC_OK)
        log_warn("pog: job %llu (%s) not recorded: %s", (unsigned long long)id,
                 row.state, svc_rc_text(rc));
    free(params);
    free(result);
    free(error);
}

/* The pool's event hook (gpu_job_event_fn). */
static void on_event(void *ctx, uint64_t id, enum gpu_job_state st,
                     const json_t *snap)
{
    struct pog_service *svc = ctx;
    int64_t started = int_of(snap, "started_at");
    int64_t finished = int_of(snap, "finished_at");
    bool ran = gpu_job_state_is_final(st) && started > 0 && finished >= started;

    if (svc->on_job)
        svc->on_job(json_string_value(json_object_get(snap, "kind")),
                    gpu_job_state_name(st),
                    ran ? (double)(finished - started) / 1000.0 : -1.0);
    /* While closing, the pool cancels what is queued and stops what runs:
     * those rows stay unfinished and are marked interrupted afterwards. A
     * job that still completes keeps its result. */
    if (atomic_load(&svc->closing) && st != GPU_JOB_DONE)
        return;
    persist(svc, id, st, snap);
}

struct recover {
    int64_t marked; /* jobs marked interrupted */
    int64_t max_id; /* largest stored id */
};

static enum svc_rc recover_tx(struct db *db, void *ctx)
{
    struct recover *r = ctx;
    enum svc_rc rc =
        q_pogjobs_interrupt(db, interrupted_json, clock_unix_ms(), &r->marked);

    if (rc == SVC_OK)
        rc = q_pogjobs_max_id(db, &r->max_id);
    return rc;
}

/* At open, where the service owns the jobs: the unfinished ones marked
 * interrupted, the largest id, then the pruning. */
static enum svc_rc recover_jobs(struct pog_service *svc, struct recover *r,
                                char *why, size_t cap)
{
    enum svc_rc rc = db_write(svc->db, recover_tx, r);

    if (rc == SVC_OK && r->marked)
        log_warn("pog: %lld job(s) left unfinished by the last run marked "
                 "failed (" POG_SERVICE_INTERRUPTED ")",
                 (long long)r->marked);
    if (rc == SVC_OK)
        rc = prune_at_open(svc);
    if (rc != SVC_OK)
        snprintf(why, cap, "pog_jobs: %s", svc_rc_text(rc));
    return rc;
}

/* Loads --gpu-table into svc->table, when one is configured. */
static enum svc_rc load_table(struct pog_service *svc, const char *path,
                              char *why, size_t cap)
{
    struct svc_err err = {{0}, {0}};
    enum svc_rc rc;

    if (!path[0])
        return SVC_OK;
    rc = pog_table_load(path, &svc->table, &err);
    if (rc != SVC_OK)
        snprintf(why, cap, "--gpu-table %s: %s%s%s", path, err.field,
                 err.field[0] ? ": " : "",
                 err.msg[0] ? err.msg : svc_rc_text(rc));
    return rc;
}

static enum svc_rc start_pool(struct pog_service *svc,
                              const struct pog_service_options *cfg,
                              int64_t max_id, char *why, size_t cap)
{
    struct gpu_pool_opts o = {0};
    enum svc_rc rc;

    o.backend_name = cfg->backend;
    o.worker.cpu_max_n = cfg->cpu_max_n;
    o.queue_cap = cfg->queue_cap;
    o.first_id = (uint64_t)max_id + 1;
    o.principal_cap =
        cfg->unfinished_per_principal ? cfg->unfinished_per_principal : 8;
    o.table = svc->table;
    o.on_event = on_event;
    o.event_ctx = svc;
    rc = gpu_pool_new(&o, &svc->pool, why, cap);
    if (rc != SVC_OK && !why[0])
        snprintf(why, cap, "PoG workers: %s", svc_rc_text(rc));
    return rc;
}

/* The role the replica running PoG workers claims (db_claim_role). */
static const char workers_role[] = "computedb pog-workers";

/* pog_service_holds_workers() before svc exists. */
static enum svc_rc holds_workers(struct db_pool *db, bool *held)
{
    *held = true;
    return db_shared(db) ? db_claim_role(db, workers_role, held) : SVC_OK;
}

enum svc_rc pog_service_holds_workers(struct pog_service *svc, bool *held)
{
    return holds_workers(svc->db, held);
}

struct gpu_pool *pog_service_pool(const struct pog_service *svc)
{
    return svc ? svc->pool : NULL;
}

const struct pog_table *pog_service_table(const struct pog_service *svc)
{
    return svc ? svc->table : NULL;
}

/* Whether this process runs PoG workers. On a shared database only one
 * replica may (job ids are numbered by it): the first to claim the role.
 * Another one asked for a backend by name refuses to start; with "auto"
 * it runs none. */
static enum svc_rc want_workers(const struct pog_service_options *cfg,
                                bool *workers, char *why, size_t cap)
{
    bool got = true;
    enum svc_rc rc;

    *workers = strcmp(cfg->backend, "off") != 0;
    if (!*workers)
        return SVC_OK;
    rc = holds_workers(cfg->db, &got);
    if (rc != SVC_OK) {
        snprintf(why, cap, "pog: cannot claim the PoG workers: %s",
                 svc_rc_text(rc));
        return rc;
    }
    if (got)
        return SVC_OK;
    *workers = false;
    if (strcmp(cfg->backend, "auto") == 0) {
        log_warn("pog: another replica runs the PoG workers of this "
                 "database; this one runs none");
        return SVC_OK;
    }
    snprintf(why, cap,
             "pog: another replica already runs the PoG workers of this "
             "database; start this one with --pog-backend off");
    return SVC_ERR_CONFLICT;
}

enum svc_rc pog_service_open(const struct pog_service_options *o,
                             struct pog_service **out, char *why, size_t cap)
{
    struct pog_service *svc = calloc(1, sizeof(*svc));
    struct recover r = {0, 0};
    bool workers = false;
    enum svc_rc rc = svc ? SVC_OK : SVC_ERR_NOMEM;

    why[0] = '\0';
    if (rc != SVC_OK) {
        snprintf(why, cap, "out of memory");
        return rc;
    }
    svc->db = o->db;
    svc->on_job = o->on_job;
    atomic_init(&svc->closing, false);
    limits_of(o, &svc->lim);
    pthread_mutex_init(&svc->prune_lock, NULL);
    rc = want_workers(o, &workers, why, cap);
    svc->owns_jobs = workers || !db_shared(o->db);
    if (rc == SVC_OK)
        rc = load_table(svc, o->gpu_table, why, cap);
    if (rc == SVC_OK && svc->owns_jobs)
        rc = recover_jobs(svc, &r, why, cap);
    if (rc == SVC_OK && workers)
        rc = start_pool(svc, o, r.max_id, why, cap);
    else if (rc == SVC_OK)
        log_info("pog: workers off");
    if (rc != SVC_OK) {
        pthread_mutex_destroy(&svc->prune_lock);
        pog_table_free(svc->table);
        free(svc);
        return rc;
    }
    *out = svc;
    return SVC_OK;
}

static enum svc_rc stored_job(struct db_pool *pool, uint64_t id, json_t **out)
{
    struct db *db;
    enum svc_rc rc = db_read_begin(pool, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_pogjobs_get(db, (int64_t)id, out);
    db_read_end(pool, db);
    if (rc == SVC_OK)
        gpu_job_json_restyle(*out);
    return rc;
}

enum svc_rc pog_service_job(struct pog_service *svc, uint64_t id, json_t **out)
{
    enum svc_rc rc = SVC_ERR_NOT_FOUND;

    if (svc->pool)
        rc = gpu_pool_status(svc->pool, id, out);
    if (rc == SVC_ERR_NOT_FOUND)
        rc = stored_job(svc->db, id, out);
    return rc;
}

enum svc_rc pog_service_list(struct pog_service *svc,
                             const struct q_pogjob_filter *f, json_t **items,
                             int64_t *next)
{
    struct db *db;
    json_t *job;
    size_t k;
    enum svc_rc rc = db_read_begin(svc->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_pogjobs_page(db, f, items, next);
    db_read_end(svc->db, db);
    if (rc != SVC_OK)
        return rc;
    json_array_foreach (*items, k, job)
        gpu_job_json_restyle(job);
    return SVC_OK;
}

/* What a stored compute job ran, into the recompute form of a proof. */
static bool stored_round(const json_t *job, struct gpu_job_spec *s)
{
    const json_t *res = json_object_get(job, "result");
    const json_t *n = json_object_get(res, "n");
    const json_t *dev = json_object_get(job, "device");
    const char *root = json_string_value(json_object_get(res, "root"));
    size_t len = 0;

    if (!json_is_integer(n) || json_integer_value(n) < 1 ||
        json_integer_value(n) > POG_MAX_N || !json_is_integer(dev) ||
        json_integer_value(dev) < 0 ||
        json_integer_value(dev) >= POG_MAX_GPUS || !root ||
        strlen(root) != 2 * POG_HASH_LEN ||
        !pog_hex_decode(root, s->root, sizeof(s->root), &len) ||
        !pog_json_u64(json_object_get(res, "seed_a"), &s->seed_a) ||
        !pog_json_u64(json_object_get(res, "seed_b"), &s->seed_b) ||
        !gpu_accum_parse(json_string_value(json_object_get(res, "accum")),
                         &s->accum))
        return false;
    s->n = (uint32_t)json_integer_value(n);
    s->device = (int)json_integer_value(dev);
    s->has_root = true;
    s->compute_job = 0;
    return true;
}

/* Checks the stored job behind a proof's compute_job and rewrites s into
 * the recompute form of its round. */
static enum svc_rc proof_from_table(struct pog_service *svc,
                                    struct gpu_job_spec *s, struct svc_err *err)
{
    unsigned long long cid = (unsigned long long)s->compute_job;
    json_t *job = NULL;
    enum gpu_job_kind kind;
    enum gpu_job_state state;
    const char *state_name;
    enum svc_rc rc = stored_job(svc->db, s->compute_job, &job);

    if (rc == SVC_ERR_NOT_FOUND)
        return svc_err_set(err, rc, "compute_job", "no job %llu", cid);
    if (rc != SVC_OK)
        return rc;
    state_name = json_string_value(json_object_get(job, "state"));
    if (!gpu_job_kind_parse(json_string_value(json_object_get(job, "kind")),
                            &kind) ||
        kind != GPU_JOB_COMPUTE)
        rc = svc_err_set(err, SVC_ERR_INVALID, "compute_job",
                         "job %llu is not a compute job", cid);
    else if (!gpu_job_state_parse(state_name, &state) || state != GPU_JOB_DONE)
        rc = svc_err_set(err, SVC_ERR_CONFLICT, "compute_job",
                         "job %llu is %.16s, not done", cid,
                         state_name ? state_name : "unknown");
    else if (!stored_round(job, s))
        rc = svc_err_set(err, SVC_ERR_INTERNAL, "compute_job",
                         "the stored job %llu is unreadable", cid);
    json_decref(job);
    return rc;
}

/* New jobs only where the workers' role is still held: a replica whose
 * claim ended (PostgreSQL restarted) while another took it must not number
 * jobs beside it. */
static enum svc_rc still_workers(struct pog_service *svc, struct svc_err *err)
{
    bool held = true;
    enum svc_rc rc = pog_service_holds_workers(svc, &held);

    if (rc != SVC_OK)
        return svc_err_set(err, rc, NULL,
                           "cannot confirm this replica still runs the PoG "
                           "workers");
    if (!held)
        return svc_err_set(err, SVC_ERR_CONFLICT, NULL,
                           "another replica now runs the PoG workers of "
                           "this database; submit jobs there");
    return SVC_OK;
}

enum svc_rc pog_service_submit(struct pog_service *svc, const char *principal,
                               struct gpu_job_spec *spec, uint64_t *id,
                               struct svc_err *err)
{
    enum svc_rc rc = still_workers(svc, err);

    if (rc != SVC_OK)
        return rc;
    snprintf(spec->principal, sizeof(spec->principal), "%s",
             principal ? principal : "");
    rc = gpu_pool_submit(svc->pool, spec, id, err);
    if (rc == SVC_ERR_NOT_FOUND && spec->kind == GPU_JOB_PROOF &&
        spec->compute_job) {
        rc = proof_from_table(svc, spec, err);
        if (rc == SVC_OK)
            rc = gpu_pool_submit(svc->pool, spec, id, err);
    }
    return rc;
}

enum svc_rc pog_service_cancel(struct pog_service *svc, uint64_t id)
{
    json_t *job = NULL;
    enum svc_rc rc =
        svc->pool ? gpu_pool_cancel(svc->pool, id) : SVC_ERR_NOT_FOUND;

    if (rc != SVC_ERR_NOT_FOUND)
        return rc;
    /* Forgotten by the pool: stored jobs are all finished. */
    rc = stored_job(svc->db, id, &job);
    json_decref(job);
    return rc == SVC_OK ? SVC_ERR_CONFLICT : rc;
}

/* At close: the unfinished jobs this process owns are marked interrupted. */
static void mark_unfinished(struct pog_service *svc)
{
    struct recover r = {0, 0};

    if (!svc->owns_jobs || !svc->db)
        return;
    if (db_write(svc->db, recover_tx, &r) != SVC_OK)
        log_warn("pog: unfinished jobs not marked; the next start marks "
                 "them");
    else if (r.marked)
        log_info(
            "pog: %lld unfinished job(s) recorded as " POG_SERVICE_INTERRUPTED,
            (long long)r.marked);
}

void pog_service_close(struct pog_service *svc)
{
    if (!svc)
        return;
    atomic_store(&svc->closing, true);
    gpu_pool_free(svc->pool); /* joins the workers: no event after this */
    svc->pool = NULL;
    mark_unfinished(svc);
    pthread_mutex_destroy(&svc->prune_lock);
    pog_table_free(svc->table);
    free(svc);
}
