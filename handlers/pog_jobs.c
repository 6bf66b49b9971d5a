/* SPDX-License-Identifier: MIT */
/* /pog/jobs: PoG work through the PoG service (gpu/pog_service.h). A POST
 * queues a job and answers 202 at once; clients poll GET /pog/jobs/{id},
 * which answers from the pool while it holds the job and from pog_jobs once
 * it has let go; DELETE cancels; GET /pog/jobs pages through pog_jobs. No
 * handler waits for GPU work. */
#include "decode.h"
#include "gpu/pog_service.h"
#include "gpu/pool.h"
#include "handlers.h"
#include "pog_job_spec.h"
#include "schema/queries.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { PAGE_DEFAULT = 20, PAGE_MAX = 100 }; /* jobs per page of the list */

/* The ROUTE_GPU rule: 503 while the workers are off, saying how to turn
 * them on. */
static enum svc_rc need_pool(struct req *req)
{
    return pog_service_pool(req->app->pog_service) ? SVC_OK : SVC_ERR_POG_OFF;
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

/* Job id as the pool knows it, else as stored; 404 naming id. */
static enum svc_rc find_job(struct req *req, uint64_t id, json_t **out)
{
    enum svc_rc rc = pog_service_job(req->app->pog_service, id, out);

    if (rc == SVC_ERR_NOT_FOUND)
        req_fail(req, rc, "id", "no job %llu", (unsigned long long)id);
    return rc;
}

/* POST /pog/jobs {"kind", ...} -> 202 + Location with the job; 507 while
 * the disk is short of --min-free-disk (the result is stored), 429 while
 * the signer has --pog-jobs-per-principal jobs unfinished. */
enum svc_rc h_pog_jobs_post(struct req *req, struct reply *rep)
{
    struct gpu_job_spec spec;
    struct svc_err err = {{0}, {0}};
    uint64_t id = 0;
    json_t *job = NULL;
    enum svc_rc rc = need_pool(req);

    if (rc == SVC_OK)
        rc = hx_need_space(req);
    if (rc != SVC_OK)
        return rc;
    rc = pog_job_spec_decode(req->json, &spec, &err);
    /* The workers' role is a round trip: after the body is known good. */
    if (rc == SVC_OK)
        rc = pog_service_submit(req->app->pog_service, req->principal, &spec,
                                &id, &err);
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

/* The names a filter of the list takes, for its error message. */
static const char state_names[] =
#define X(name, text, final) " " text
    GPU_JOB_STATE_LIST(X)
#undef X
    ;
static const char kind_names[] =
#define X(name, text) " " text
    GPU_JOB_KIND_LIST(X)
#undef X
    ;

static bool is_state(const char *s)
{
    enum gpu_job_state st;

    return gpu_job_state_parse(s, &st);
}

static bool is_kind(const char *s)
{
    enum gpu_job_kind k;

    return gpu_job_kind_parse(s, &k);
}

/* Query argument name (a filter): absent (*out NULL), or one of names,
 * which is_known tells. */
static enum svc_rc query_name(struct req *req, const char *name,
                              bool (*is_known)(const char *), const char *names,
                              const char **out)
{
    const char *v = req_query(req, name);

    if (v && !is_known(v))
        return req_fail(req, SVC_ERR_INVALID, name, "must be one of:%s", names);
    *out = v;
    return SVC_OK;
}

/* GET /pog/jobs?state=&kind=&limit=&cursor= -> {"items": [jobs, newest
 * first], "next"}: the jobs pog_jobs holds, as GET /pog/jobs/{id} reads a
 * stored one; pass next back as cursor for the next page. */
enum svc_rc h_pog_jobs_list(struct req *req, struct reply *rep)
{
    struct q_pogjob_filter f = {NULL, NULL, 0, 0};
    int64_t next = 0;
    char next_s[24];
    json_t *items = NULL;
    enum svc_rc rc = query_name(req, "state", is_state, state_names, &f.state);

    if (rc == SVC_OK)
        rc = query_name(req, "kind", is_kind, kind_names, &f.kind);
    if (rc == SVC_OK)
        rc = dec_query_int(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &f.limit,
                           NULL);
    if (rc == SVC_OK)
        rc = dec_query_int(req, "cursor", 0, INT64_MAX, 0, &f.before, NULL);
    if (rc == SVC_OK)
        rc = pog_service_list(req->app->pog_service, &f, &items, &next);
    if (rc != SVC_OK)
        return rc;
    snprintf(next_s, sizeof(next_s), "%lld", (long long)next);
    return reply_json(rep, 200, hx_page(items, next ? next_s : NULL));
}

/* DELETE /pog/jobs/{id} -> 200 with the job when the cancel took effect at
 * once (it was queued), 202 while a running job has yet to stop; 409 when
 * it had already finished. */
enum svc_rc h_pog_jobs_delete(struct req *req, struct reply *rep)
{
    uint64_t id = 0;
    json_t *job = NULL;
    enum svc_rc rc = need_pool(req);

    if (rc == SVC_OK)
        rc = path_id(req, &id);
    if (rc != SVC_OK)
        return rc;
    rc = pog_service_cancel(req->app->pog_service, id);
    if (rc == SVC_ERR_NOT_FOUND)
        return req_fail(req, rc, "id", "no job %llu", (unsigned long long)id);
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "id", "job %llu has already finished",
                        (unsigned long long)id);
    if (rc == SVC_OK)
        rc = find_job(req, id, &job);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, gpu_job_json_is_final(job) ? 200 : 202, job);
}
