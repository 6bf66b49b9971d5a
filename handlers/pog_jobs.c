/* SPDX-License-Identifier: MIT */
/* /pog/jobs: PoG work on the worker pool (gpu/pool.h). A POST queues a job
 * and answers 202 at once; clients poll GET /pog/jobs/{id}, which answers
 * from the pool while it holds the job and from pog_jobs (written at every
 * transition by pog_service.c) once it has let go; DELETE cancels. No
 * handler waits for GPU work. */
#include "gpu/pog_service.h"
#include "gpu/pool.h"
#include "handlers.h"
#include "schema/queries.h"

#include <stdint.h>
#include <string.h>

/* The ROUTE_GPU rule: 503 while the workers are off. */
static enum svc_rc need_pool(struct req *req, struct gpu_pool **out)
{
    if (!req->app->pog)
        return req_fail(req, SVC_ERR_NO_GPU, NULL,
                        "the PoG workers are off (--pog-backend off)");
    *out = req->app->pog;
    return SVC_OK;
}

/* New jobs only where the workers' role is still held: a replica whose
 * claim ended (PostgreSQL restarted) while another took it must not number
 * jobs beside it. */
static enum svc_rc still_workers(struct req *req)
{
    bool held = true;
    enum svc_rc rc = pog_service_holds_workers(req->app->pog_service, &held);

    if (rc != SVC_OK)
        return req_fail(req, rc, NULL,
                        "cannot confirm this replica still runs the PoG "
                        "workers");
    if (!held)
        return req_fail(req, SVC_ERR_CONFLICT, NULL,
                        "another replica now runs the PoG workers of this "
                        "database; submit jobs there");
    return SVC_OK;
}

/* Records a gpu/ refusal (field and reason) as the request's error. */
static enum svc_rc pog_fail(struct req *req, enum svc_rc rc,
                            const struct svc_err *e)
{
    return req_fail(req, rc, e->field, "%s",
                    e->msg[0] ? e->msg : svc_rc_text(rc));
}

/* The :id capture: a decimal job id in 1..2^63-1. */
static enum svc_rc path_id(struct req *req, uint64_t *out)
{
    const char *s = req_param(req, "id");
    uint64_t id = 0;

    if (!s || !pog_parse_u64(s, &id) || id == 0 || id > INT64_MAX)
        return req_fail(req, SVC_ERR_INVALID, "id",
                        "must be a job id (a positive integer)");
    *out = id;
    return SVC_OK;
}

/* Job id as pog_jobs holds it (a new object), or SVC_ERR_NOT_FOUND. */
static enum svc_rc stored_job(struct req *req, uint64_t id, json_t **out)
{
    struct db *db;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_pogjobs_get(db, (int64_t)id, out);
    db_read_end(req->app->db, db);
    return rc;
}

/* Job id as the pool knows it, else as stored; 404 naming id. */
static enum svc_rc find_job(struct req *req, uint64_t id, json_t **out)
{
    enum svc_rc rc = SVC_ERR_NOT_FOUND;

    if (req->app->pog)
        rc = gpu_pool_status(req->app->pog, id, out);
    if (rc == SVC_ERR_NOT_FOUND)
        rc = stored_job(req, id, out);
    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "id", "no job %llu", (unsigned long long)id);
    return rc;
}

static bool is_final(const json_t *job)
{
    const char *st = json_string_value(json_object_get(job, "state"));

    return st && strcmp(st, "queued") != 0 && strcmp(st, "running") != 0;
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

/* A proof of a compute job the pool has let go of (expired, or run before
 * a restart): rewritten to recompute the stored round on the same device,
 * where the pool insists on the stored root. */
static enum svc_rc proof_from_table(struct req *req, struct gpu_job_spec *s)
{
    unsigned long long cid = (unsigned long long)s->compute_job;
    json_t *job = NULL;
    const char *kind, *state;
    enum svc_rc rc = stored_job(req, s->compute_job, &job);

    if (rc == SVC_ERR_NOT_FOUND)
        return req_fail(req, rc, "compute_job", "no job %llu", cid);
    if (rc != SVC_OK)
        return rc;
    kind = json_string_value(json_object_get(job, "kind"));
    state = json_string_value(json_object_get(job, "state"));
    if (!kind || strcmp(kind, "compute") != 0)
        rc = req_fail(req, SVC_ERR_INVALID, "compute_job",
                      "job %llu is not a compute job", cid);
    else if (!state || strcmp(state, "done") != 0)
        rc = req_fail(req, SVC_ERR_CONFLICT, "compute_job",
                      "job %llu is %.16s, not done", cid,
                      state ? state : "unknown");
    else if (!stored_round(job, s))
        rc = req_fail(req, SVC_ERR_INTERNAL, "compute_job",
                      "the stored job %llu is unreadable", cid);
    json_decref(job);
    return rc;
}

/* POST /pog/jobs {"kind", ...} -> 202 + Location with the job. */
enum svc_rc h_pog_jobs_post(struct req *req, struct reply *rep)
{
    struct gpu_pool *pool = NULL;
    struct gpu_job_spec spec;
    struct svc_err err = {{0}, {0}};
    uint64_t id = 0;
    json_t *job = NULL;
    enum svc_rc rc = need_pool(req, &pool);

    if (rc != SVC_OK)
        return rc;
    rc = gpu_job_spec_decode(req->json, &spec, &err);
    if (rc != SVC_OK)
        return pog_fail(req, rc, &err);
    rc = still_workers(req); /* a round trip: after the body is known good */
    if (rc != SVC_OK)
        return rc;
    rc = gpu_pool_submit(pool, &spec, &id, &err);
    if (rc == SVC_ERR_NOT_FOUND && spec.kind == GPU_JOB_PROOF &&
        spec.compute_job) {
        rc = proof_from_table(req, &spec);
        if (rc != SVC_OK)
            return rc;
        rc = gpu_pool_submit(pool, &spec, &id, &err);
    }
    if (rc != SVC_OK)
        return pog_fail(req, rc, &err);
    rc = find_job(req, id, &job);
    if (rc != SVC_OK)
        return rc;
    hx_location(rep, "/pog/jobs/%llu", (unsigned long long)id);
    return reply_json(rep, 202, job);
}

/* GET /pog/jobs/{id} -> the job: state, stage timings, result. */
enum svc_rc h_pog_jobs_get(struct req *req, struct reply *rep)
{
    uint64_t id = 0;
    json_t *job = NULL;
    enum svc_rc rc = path_id(req, &id);

    if (rc == SVC_OK)
        rc = find_job(req, id, &job);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200, job);
}

/* DELETE /pog/jobs/{id} -> 200 with the job when the cancel took effect at
 * once (it was queued), 202 while a running job has yet to stop; 409 when
 * it had already finished. */
enum svc_rc h_pog_jobs_delete(struct req *req, struct reply *rep)
{
    struct gpu_pool *pool = NULL;
    uint64_t id = 0;
    json_t *job = NULL;
    enum svc_rc rc = need_pool(req, &pool);

    if (rc == SVC_OK)
        rc = path_id(req, &id);
    if (rc != SVC_OK)
        return rc;
    rc = gpu_pool_cancel(pool, id);
    if (rc == SVC_ERR_NOT_FOUND) {
        /* Forgotten by the pool: stored jobs are all finished. */
        rc = find_job(req, id, &job);
        json_decref(job);
        if (rc == SVC_OK)
            rc = SVC_ERR_CONFLICT;
    }
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "id", "job %llu has already finished",
                        (unsigned long long)id);
    if (rc == SVC_OK)
        rc = find_job(req, id, &job);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, is_final(job) ? 200 : 202, job);
}
