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
 * largest stored id, so ids are never reused. */
#include "pog_service.h"

#include "../gpu/pool.h"
#include "../schema/queries.h"
#include "../server/log.h"
#include "../server/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pog_service {
    struct app *app;         /* borrowed; outlives the service */
    struct pog_table *table; /* --gpu-table, owned; NULL: the built-in */
    atomic_bool closing;     /* pog_service_close has begun */
    /* Unfinished jobs in pog_jobs are this process's to mark interrupted
     * (at start and at close): false on a shared database when this
     * replica runs no workers, as they belong to the replica that does
     * (README, Deployment). */
    bool owns_jobs;
};

/* The error column of an interrupted job, as the pool renders errors. */
static const char interrupted_json[] =
    "{\"code\":\"ERR_INTERNAL\",\"message\":\"" POG_SERVICE_INTERRUPTED "\"}";

static int64_t unix_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Writes the snapshot of job id into pog_jobs; a failure is logged (the
 * job itself goes on). */
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
    };
    enum svc_rc rc =
        row.kind ? db_write(svc->app->db, put_tx, &row) : SVC_ERR_INTERNAL;

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

    metrics_pog_job(json_string_value(json_object_get(snap, "kind")),
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
        q_pogjobs_interrupt(db, interrupted_json, unix_ms(), &r->marked);

    if (rc == SVC_OK)
        rc = q_pogjobs_max_id(db, &r->max_id);
    return rc;
}

/* Loads --gpu-table into svc->table, when one is configured. */
static enum svc_rc load_table(struct pog_service *svc, const char *path,
                              char *why, size_t cap)
{
    struct pog_err err = {{0}, {0}};
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

static enum svc_rc start_pool(struct app *app, struct pog_service *svc,
                              const struct config *cfg, int64_t max_id,
                              char *why, size_t cap)
{
    struct gpu_pool_opts o = {0};
    enum svc_rc rc;

    o.backend_name = cfg->pog_backend;
    o.worker.cpu_max_n = cfg->pog_cpu_max_n;
    o.queue_cap = cfg->pog_queue;
    o.first_id = (uint64_t)max_id + 1;
    o.table = svc->table;
    o.on_event = on_event;
    o.event_ctx = svc;
    rc = gpu_pool_new(&o, &app->pog, why, cap);
    if (rc != SVC_OK && !why[0])
        snprintf(why, cap, "PoG workers: %s", svc_rc_text(rc));
    return rc;
}

/* The role the replica running PoG workers claims (db_claim_role). */
static const char workers_role[] = "computedb pog-workers";

enum svc_rc pog_service_holds_workers(struct app *app, bool *held)
{
    *held = true;
    return db_shared(app->db) ? db_claim_role(app->db, workers_role, held)
                              : SVC_OK;
}

/* Whether this process runs PoG workers. On a shared database only one
 * replica may (job ids are numbered by it): the first to claim the role.
 * Another one asked for a backend by name refuses to start; with "auto"
 * it runs none. */
static enum svc_rc want_workers(struct app *app, const struct config *cfg,
                                bool *workers, char *why, size_t cap)
{
    bool got = true;
    enum svc_rc rc;

    *workers = strcmp(cfg->pog_backend, "off") != 0;
    if (!*workers)
        return SVC_OK;
    rc = pog_service_holds_workers(app, &got);
    if (rc != SVC_OK) {
        snprintf(why, cap, "pog: cannot claim the PoG workers: %s",
                 svc_rc_text(rc));
        return rc;
    }
    if (got)
        return SVC_OK;
    *workers = false;
    if (strcmp(cfg->pog_backend, "auto") == 0) {
        log_warn("pog: another replica runs the PoG workers of this "
                 "database; this one runs none");
        return SVC_OK;
    }
    snprintf(why, cap,
             "pog: another replica already runs the PoG workers of this "
             "database; start this one with --pog-backend off");
    return SVC_ERR_CONFLICT;
}

enum svc_rc pog_service_open(struct app *app, const struct config *cfg,
                             char *why, size_t cap)
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
    svc->app = app;
    atomic_init(&svc->closing, false);
    rc = want_workers(app, cfg, &workers, why, cap);
    svc->owns_jobs = workers || !db_shared(app->db);
    if (rc == SVC_OK)
        rc = load_table(svc, cfg->gpu_table, why, cap);
    if (rc == SVC_OK && svc->owns_jobs &&
        (rc = db_write(app->db, recover_tx, &r)) != SVC_OK)
        snprintf(why, cap, "pog_jobs: %s", svc_rc_text(rc));
    if (rc == SVC_OK && r.marked)
        log_warn("pog: %lld job(s) left unfinished by the last run marked "
                 "failed (" POG_SERVICE_INTERRUPTED ")",
                 (long long)r.marked);
    if (rc == SVC_OK && workers)
        rc = start_pool(app, svc, cfg, r.max_id, why, cap);
    else if (rc == SVC_OK)
        log_info("pog: workers off");
    if (rc != SVC_OK) {
        pog_table_free(svc->table);
        free(svc);
        return rc;
    }
    app->pog_service = svc;
    app->pog_table = svc->table;
    return SVC_OK;
}

/* At close: the unfinished jobs this process owns are marked interrupted. */
static void mark_unfinished(struct pog_service *svc)
{
    struct recover r = {0, 0};

    if (!svc->owns_jobs || !svc->app->db)
        return;
    if (db_write(svc->app->db, recover_tx, &r) != SVC_OK)
        log_warn("pog: unfinished jobs not marked; the next start marks "
                 "them");
    else if (r.marked)
        log_info(
            "pog: %lld unfinished job(s) recorded as " POG_SERVICE_INTERRUPTED,
            (long long)r.marked);
}

void pog_service_close(struct app *app)
{
    struct pog_service *svc = app->pog_service;

    if (svc)
        atomic_store(&svc->closing, true);
    gpu_pool_free(app->pog); /* joins the workers: no event after this */
    app->pog = NULL;
    if (!svc)
        return;
    mark_unfinished(svc);
    app->pog_table = NULL;
    app->pog_service = NULL;
    pog_table_free(svc->table);
    free(svc);
}
