/* SPDX-License-Identifier: MIT */
/* The PoG worker pool: threads, per-device queues, the job table and the
 * job state machine (see pool.h). What a job does is in pool_jobs.c.
 *
 * DESIGN: one worker thread per device opens the device (context, stream,
 * handles, self-test) and then serves a bounded FIFO, one job at a time: a
 * PoG run measures the whole GPU, and the fp16 benchmark needs most of its
 * memory. Devices run in parallel. A job is owned by the pool from submit
 * to expiry; the table, a running worker and any caller in flight each hold
 * a reference (refs, under the pool lock). States move QUEUED -> RUNNING ->
 * DONE | FAILED | CANCELLED | TIMED_OUT; only the worker moves a job out of
 * RUNNING, and cancel() or a deadline sweep may finish a QUEUED one. Every
 * transition takes the job's cb_lock, builds the snapshot of the new state
 * under the pool lock, drops it, calls the event hook and only then applies
 * the state. So each job's events arrive in order, the hook may take its
 * time (a database write) without blocking the pool, and no change of state
 * is seen before it is recorded. Cancellation and deadlines are
 * cooperative: backends poll a stop check between stages and
 * GEMM panels. Idle workers wake every 250 ms to expire finished jobs
 * (result TTL), queued jobs past their deadline and a retained C past its
 * TTL. A worker whose backend reports a sticky error is re-opened; if that
 * fails the device is disabled and its queue fails. */
#include "core/clock.h"
#include "core/log.h"
#include "pool_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    IDLE_WAKE_MS = 250,
    SWEEP_MAX = 64, /* queued jobs timed out per sweep */
};

static const char *const kind_names[] = {
#define X(name, text) [GPU_JOB_##name] = text,
    GPU_JOB_KIND_LIST(X)
#undef X
};

static const struct {
    const char *name;
    bool final;
} states[] = {
#define X(name, text, fin) [GPU_JOB_##name] = {text, fin},
    GPU_JOB_STATE_LIST(X)
#undef X
};

const char *gpu_job_kind_name(enum gpu_job_kind k)
{
    return (unsigned)k < GPU_JOB_KIND_COUNT ? kind_names[k] : "unknown";
}

bool gpu_job_kind_parse(const char *s, enum gpu_job_kind *out)
{
    for (unsigned k = 0; s && k < GPU_JOB_KIND_COUNT; k++) {
        if (!strcmp(s, kind_names[k])) {
            *out = (enum gpu_job_kind)k;
            return true;
        }
    }
    return false;
}

const char *gpu_job_state_name(enum gpu_job_state s)
{
    return (unsigned)s < GPU_JOB_STATE_COUNT ? states[s].name : "unknown";
}

bool gpu_job_state_parse(const char *s, enum gpu_job_state *out)
{
    for (unsigned k = 0; s && k < GPU_JOB_STATE_COUNT; k++) {
        if (!strcmp(s, states[k].name)) {
            *out = (enum gpu_job_state)k;
            return true;
        }
    }
    return false;
}

bool gpu_job_state_is_final(enum gpu_job_state s)
{
    return (unsigned)s < GPU_JOB_STATE_COUNT && states[s].final;
}

bool gpu_job_json_is_final(const json_t *job)
{
    enum gpu_job_state st;

    return gpu_job_state_parse(json_string_value(json_object_get(job, "state")),
                               &st) &&
           gpu_job_state_is_final(st);
}

/* An error table name ("ERR_NO_VRAM") as a job error code ("no_vram"). */
static void restyle(const char *name, char out[GPU_ERR_CODE_MAX])
{
    size_t k = 0;

    if (!strncmp(name, "ERR_", 4))
        name += 4;
    for (; name[k] && k + 1 < GPU_ERR_CODE_MAX; k++)
        out[k] = (char)tolower((unsigned char)name[k]);
    out[k] = '\0';
}

void gpu_job_error_code(enum svc_rc rc, char out[GPU_ERR_CODE_MAX])
{
    restyle(svc_rc_name(rc), out);
}

void gpu_job_json_restyle(json_t *job)
{
    json_t *err = json_object_get(job, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    char now[GPU_ERR_CODE_MAX];

    if (!code || strncmp(code, "ERR_", 4) != 0)
        return;
    restyle(code, now);
    /* Out of memory leaves the old code: still a code, in the old style. */
    (void)json_object_set_new(err, "code", json_string(now));
}

static bool cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    bool ok;

    if (pthread_condattr_init(&a))
        return false;
    ok = !pthread_condattr_setclock(&a, CLOCK_MONOTONIC) &&
         !pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return ok;
}

/* ---- jobs, table and queues (callers hold the pool lock) -------------- */

static struct job *job_new(const struct gpu_job_spec *spec)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    if (pthread_mutex_init(&j->cb_lock, NULL)) {
        free(j);
        return NULL;
    }
    j->spec = *spec;
    atomic_init(&j->cancel, false);
    return j;
}

static void job_free(struct job *j)
{
    pthread_mutex_destroy(&j->cb_lock);
    json_decref(j->result);
    free(j);
}

static void unref_locked(struct job *j)
{
    if (--j->refs == 0)
        job_free(j);
}

static void unref(struct gpu_pool *p, struct job *j)
{
    pthread_mutex_lock(&p->lock);
    unref_locked(j);
    pthread_mutex_unlock(&p->lock);
}

static struct job *find_locked(struct gpu_pool *p, uint64_t id)
{
    for (struct job *j = p->tail; j; j = j->prev)
        if (j->id == id)
            return j;
    return NULL;
}

static void list_add(struct gpu_pool *p, struct job *j)
{
    j->prev = p->tail;
    j->next = NULL;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    j->listed = true;
    j->refs++;
}

static void list_remove(struct gpu_pool *p, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        p->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        p->tail = j->prev;
    j->listed = false;
    if (gpu_job_state_is_final(j->state))
        p->n_finished--;
    unref_locked(j);
}

static void q_push(struct device *d, struct job *j)
{
    j->q_next = NULL;
    if (d->q_tail)
        d->q_tail->q_next = j;
    else
        d->q_head = j;
    d->q_tail = j;
    d->q_len++;
    j->in_queue = true;
}

static void q_remove(struct device *d, struct job *j)
{
    struct job **pp = &d->q_head, *prev = NULL;

    while (*pp && *pp != j) {
        prev = *pp;
        pp = &(*pp)->q_next;
    }
    if (!*pp)
        return;
    *pp = j->q_next;
    if (d->q_tail == j)
        d->q_tail = prev;
    d->q_len--;
    j->in_queue = false;
}

/* ---- snapshots and transitions ---------------------------------------- */

static json_t *u64_str(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return json_string(buf);
}

static json_t *indices_json(const struct gpu_job_spec *s)
{
    json_t *a = json_array();

    for (unsigned k = 0; a && k < s->n_indices; k++)
        if (json_array_append_new(a, json_pack("[I,I]",
                                               (json_int_t)s->indices[k].i,
                                               (json_int_t)s->indices[k].j))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The request parameters that matter for the job's kind. */
static json_t *params_json(const struct job *j)
{
    const struct gpu_job_spec *s = &j->spec;

    switch (s->kind) {
    case GPU_JOB_BENCHMARK:
        return json_pack("{s:I,s:I}", "n_fp16", (json_int_t)s->n_fp16, "n_fp32",
                         (json_int_t)s->n_fp32);
    case GPU_JOB_COMPUTE:
        return json_pack("{s:I,s:o,s:o,s:s,s:I}", "n", (json_int_t)s->n,
                         "seed_a", u64_str(s->seed_a), "seed_b",
                         u64_str(s->seed_b), "accum", gpu_accum_name(s->accum),
                         "self_check", (json_int_t)s->self_check);
    case GPU_JOB_PROOF:
        return json_pack("{s:I,s:I,s:o,s:o,s:o}", "compute_job",
                         (json_int_t)s->compute_job, "n", (json_int_t)s->n,
                         "seed_a", u64_str(s->seed_a), "seed_b",
                         u64_str(s->seed_b), "indices", indices_json(s));
    default:
        return json_object();
    }
}

static json_t *ms_or_null(int64_t ms)
{
    return ms ? json_integer(ms) : json_null();
}

/* The fields a snapshot shows: a job's own, or those a transition is about
 * to give it. */
struct view {
    enum gpu_job_state state;
    uint64_t seq;
    int64_t started_ms, finished_ms;
    enum svc_rc rc;
    const char *error;
    const json_t *result;
};

/* One transition's new fields, computed before anything changes. */
struct change {
    enum gpu_job_state to;
    int64_t at_ms;
    json_t *result; /* owned until applied */
    enum svc_rc rc;
    const char *err;
};

static json_t *error_json(enum svc_rc rc, const char *error)
{
    char code[GPU_ERR_CODE_MAX];

    if (rc == SVC_OK)
        return json_null();
    gpu_job_error_code(rc, code);
    return json_pack("{s:s,s:s}", "code", code, "message",
                     error && error[0] ? error : svc_rc_text(rc));
}

static json_t *snapshot_view(const struct job *j, const struct view *v)
{
    const char *who = j->spec.principal[0] ? j->spec.principal : NULL;

    return json_pack("{s:I,s:s,s:s,s:i,s:I,s:s?,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
                     (json_int_t)j->id, "kind", gpu_job_kind_name(j->spec.kind),
                     "state", gpu_job_state_name(v->state), "device", j->device,
                     "seq", (json_int_t)v->seq, "principal", who,
                     "submitted_at", ms_or_null(j->submitted_ms), "started_at",
                     ms_or_null(v->started_ms), "finished_at",
                     ms_or_null(v->finished_ms), "params", params_json(j),
                     "error", error_json(v->rc, v->error), "result",
                     v->result ? json_deep_copy(v->result) : json_null());
}

/* A new snapshot of j (see gpu_pool_status). Pool lock held. */
static json_t *snapshot_locked(const struct job *j)
{
    struct view v = {j->state, j->seq,   j->started_ms, j->finished_ms,
                     j->rc,    j->error, j->result};

    return snapshot_view(j, &v);
}

/* The snapshot j will have once c is applied. Pool lock held. */
static json_t *snapshot_after_locked(const struct job *j,
                                     const struct change *c)
{
    bool final = gpu_job_state_is_final(c->to);
    struct view v = {
        .state = c->to,
        .seq = j->seq + 1,
        .started_ms = c->to == GPU_JOB_RUNNING ? c->at_ms : j->started_ms,
        .finished_ms = final ? c->at_ms : j->finished_ms,
        .rc = final ? c->rc : j->rc,
        .error = final ? c->err : j->error,
        .result = final ? c->result : j->result,
    };

    return snapshot_view(j, &v);
}

/* State bookkeeping of one transition; takes c->result. Pool lock held. */
static void apply_locked(struct gpu_pool *p, struct job *j,
                         const struct change *c)
{
    struct device *d = &p->dev[j->device];

    if (j->in_queue)
        q_remove(d, j);
    j->state = c->to;
    j->seq++;
    if (c->to == GPU_JOB_RUNNING) {
        j->started_ms = c->at_ms;
        d->running = j;
        return;
    }
    j->finished_ms = c->at_ms;
    j->finished_ns = (uint64_t)clock_mono_ns();
    j->result = c->result;
    j->rc = c->rc;
    snprintf(j->error, sizeof(j->error), "%s", c->err ? c->err : "");
    if (d->running == j)
        d->running = NULL;
    if (j->listed)
        p->n_finished++;
    pthread_cond_broadcast(&p->done);
}

/* Moves j from state `from` (-1: any non-final state) to `to`, installing
 * result (stolen), rc and err with a final state. The event hook records the
 * new state before it is applied, so whatever a reader of the pool sees (a
 * status, a wait returning) has already been recorded. Holding cb_lock keeps
 * every other transition of j out meanwhile. Returns false, changing
 * nothing, when j is not in `from`. */
static bool transition(struct gpu_pool *p, struct job *j, int from,
                       enum gpu_job_state to, json_t *result, enum svc_rc rc,
                       const char *err)
{
    struct change c = {to, clock_unix_ms(), result, rc, err};
    json_t *snap = NULL;
    bool moved;

    pthread_mutex_lock(&j->cb_lock);
    pthread_mutex_lock(&p->lock);
    moved = from < 0 ? !gpu_job_state_is_final(j->state)
                     : j->state == (enum gpu_job_state)from;
    if (moved && p->o.on_event)
        snap = snapshot_after_locked(j, &c);
    pthread_mutex_unlock(&p->lock);
    if (snap) {
        p->o.on_event(p->o.event_ctx, j->id, to, snap);
        json_decref(snap);
    }
    if (moved) {
        pthread_mutex_lock(&p->lock);
        apply_locked(p, j, &c);
        pthread_mutex_unlock(&p->lock);
        result = NULL;
    }
    pthread_mutex_unlock(&j->cb_lock);
    json_decref(result);
    return moved;
}

/* Finishes every job of list (QUEUED, taken off their queues, one reference
 * each held) with state `to`, then drops the references. */
static void finish_all(struct gpu_pool *p, struct job **list, size_t n,
                       enum gpu_job_state to, enum svc_rc rc, const char *err)
{
    for (size_t k = 0; k < n; k++) {
        transition(p, list[k], GPU_JOB_QUEUED, to, NULL, rc, err);
        unref(p, list[k]);
    }
}

/* Expires finished jobs (TTL, max_finished) and collects up to cap queued
 * jobs past their deadline into late[], a reference each. Pool lock held. */
static size_t sweep_locked(struct gpu_pool *p, struct job **late, size_t cap)
{
    uint64_t now = (uint64_t)clock_mono_ns(),
             ttl = (uint64_t)p->o.result_ttl_ms * 1000000u;
    struct job *j = p->head, *next;
    size_t n = 0;

    for (; j; j = next) {
        next = j->next;
        if (gpu_job_state_is_final(j->state) &&
            (now - j->finished_ns >= ttl ||
             p->n_finished > p->o.max_finished)) {
            list_remove(p, j);
        } else if (j->state == GPU_JOB_QUEUED && j->in_queue &&
                   now >= j->deadline_ns && n < cap) {
            j->refs++;
            late[n++] = j;
        }
    }
    return n;
}

static void sweep(struct gpu_pool *p)
{
    struct job *late[SWEEP_MAX];
    size_t n;

    pthread_mutex_lock(&p->lock);
    n = sweep_locked(p, late, SWEEP_MAX);
    pthread_mutex_unlock(&p->lock);
    finish_all(p, late, n, GPU_JOB_TIMED_OUT, SVC_ERR_TIMEOUT,
               "deadline passed while queued");
}

/* ---- submission (pool lock held) --------------------------------------- */

/* Fills err (may be NULL) and returns rc. */
static enum svc_rc reject(struct svc_err *err, enum svc_rc rc,
                          const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum svc_rc reject(struct svc_err *err, enum svc_rc rc,
                          const char *field, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return rc;
    snprintf(err->field, sizeof(err->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

/* A proof of compute job src: copy what it ran. */
static enum svc_rc from_compute_locked(struct gpu_pool *p, struct job *j,
                                       struct svc_err *err)
{
    unsigned long long sid = (unsigned long long)j->spec.compute_job;
    struct job *src = find_locked(p, j->spec.compute_job);

    if (!src)
        return reject(err, SVC_ERR_NOT_FOUND, "compute_job",
                      "no job %llu (unknown or expired)", sid);
    if (src->spec.kind != GPU_JOB_COMPUTE)
        return reject(err, SVC_ERR_INVALID, "compute_job",
                      "job %llu is not a compute job", sid);
    if (src->state != GPU_JOB_DONE)
        return reject(err, SVC_ERR_CONFLICT, "compute_job",
                      "job %llu is %s, not done", sid,
                      gpu_job_state_name(src->state));
    j->spec.n = src->spec.n;
    j->spec.seed_a = src->spec.seed_a;
    j->spec.seed_b = src->spec.seed_b;
    j->spec.accum = src->accum_used;
    memcpy(j->spec.root, src->root, POG_HASH_LEN);
    j->spec.has_root = true;
    j->spec.device = src->device;
    return SVC_OK;
}

/* Proof indices: 1..POG_MAX_CHALLENGES pairs inside the matrix. */
static enum svc_rc check_indices(const struct gpu_job_spec *s,
                                 struct svc_err *err)
{
    if (s->n_indices == 0 || s->n_indices > POG_MAX_CHALLENGES)
        return reject(err, SVC_ERR_INVALID, "indices",
                      "give 1..%d (i, j) pairs", POG_MAX_CHALLENGES);
    for (unsigned k = 0; k < s->n_indices; k++)
        if (s->indices[k].i >= s->n || s->indices[k].j >= s->n)
            return reject(err, SVC_ERR_INVALID, "indices",
                          "(%u, %u) is outside n=%u", s->indices[k].i,
                          s->indices[k].j, s->n);
    return SVC_OK;
}

/* Kind-specific parameter checks. */
static enum svc_rc check_spec_locked(struct gpu_pool *p, struct job *j,
                                     struct svc_err *err)
{
    struct gpu_job_spec *s = &j->spec;
    enum svc_rc rc = SVC_OK;

    if ((unsigned)s->kind > GPU_JOB_SELFTEST)
        return reject(err, SVC_ERR_INVALID, "kind", "unknown job kind");
    if ((unsigned)s->accum > GPU_ACCUM_FP64)
        return reject(err, SVC_ERR_INVALID, "accum", "unknown accumulation");
    if (s->kind == GPU_JOB_BENCHMARK &&
        (s->n_fp16 > POG_MAX_N || s->n_fp32 > POG_MAX_N))
        return reject(err, SVC_ERR_INVALID, "n_fp16",
                      "benchmark sizes must be at most %d", POG_MAX_N);
    if (s->kind == GPU_JOB_PROOF && s->compute_job)
        rc = from_compute_locked(p, j, err);
    if (rc || (s->kind != GPU_JOB_COMPUTE && s->kind != GPU_JOB_PROOF))
        return rc;
    if (s->n == 0 || s->n > POG_MAX_N)
        return reject(err, SVC_ERR_INVALID, "n", "n must be in 1..%d",
                      POG_MAX_N);
    return s->kind == GPU_JOB_PROOF ? check_indices(s, err) : SVC_OK;
}

static unsigned load(const struct device *d, const unsigned *pending)
{
    return d->q_len + pending[d->index] + (d->running != NULL);
}

/* The least loaded usable device among j's candidates, or -1. */
static int least_loaded(struct gpu_pool *p, int want, const unsigned *pending)
{
    int best = -1;

    for (int k = want >= 0 ? want : 0; k < (want >= 0 ? want + 1 : p->n_dev);
         k++) {
        if (p->dev[k].state == DEV_DISABLED)
            continue;
        if (best < 0 ||
            load(&p->dev[k], pending) < load(&p->dev[best], pending))
            best = k;
    }
    return best;
}

/* Picks the device of j (its own or the least loaded), honouring the queue
 * cap given the jobs of this batch already placed (pending). */
static enum svc_rc place_locked(struct gpu_pool *p, struct job *j,
                                unsigned *pending, struct svc_err *err)
{
    int want = j->spec.device, best;
    const struct device *d;

    if (want >= p->n_dev)
        return reject(err, SVC_ERR_NO_GPU, "device",
                      "no device %d: the pool has %d", want, p->n_dev);
    best = least_loaded(p, want, pending);
    if (best < 0)
        return reject(err, SVC_ERR_NO_GPU, "device", "%s",
                      want >= 0 ? p->dev[want].why
                                : "every device is disabled");
    d = &p->dev[best];
    if (d->q_len + pending[best] >= p->o.queue_cap)
        return reject(err, SVC_ERR_QUEUE_FULL, "device",
                      "the queue of device %d is full (%u jobs)", best,
                      p->o.queue_cap);
    if (d->state == DEV_READY && d->info.max_n &&
        (j->spec.kind == GPU_JOB_COMPUTE || j->spec.kind == GPU_JOB_PROOF) &&
        j->spec.n > d->info.max_n)
        return reject(err, SVC_ERR_INVALID, "n",
                      "n=%u exceeds the limit of device %d (%u)", j->spec.n,
                      best, d->info.max_n);
    j->device = best;
    pending[best]++;
    return SVC_OK;
}

/* True when who (non-empty) is the principal of j. */
static bool submitted_by(const struct job *j, const char *who)
{
    return strcmp(j->spec.principal, who) == 0;
}

/* principal_cap: job k of the batch is refused when its principal already
 * has that many jobs queued or running, counting the batch's earlier
 * ones. The table holds every unfinished job (and a bounded number of
 * finished ones), so the count is a short walk. */
static enum svc_rc check_principal_locked(struct gpu_pool *p, struct job **jobs,
                                          size_t k, struct svc_err *err)
{
    const char *who = jobs[k]->spec.principal;
    unsigned n = 0;

    if (!p->o.principal_cap || !who[0])
        return SVC_OK;
    for (const struct job *j = p->head; j; j = j->next)
        n += !gpu_job_state_is_final(j->state) && submitted_by(j, who);
    for (size_t b = 0; b < k; b++)
        n += submitted_by(jobs[b], who);
    if (n < p->o.principal_cap)
        return SVC_OK;
    return reject(err, SVC_ERR_RATE, "",
                  "principal %s has %u PoG jobs queued or running "
                  "(--pog-jobs-per-principal); wait for one to finish",
                  who, n);
}

/* Validates and places every job of the batch, all or none. */
static enum svc_rc admit_locked(struct gpu_pool *p, struct job **jobs, size_t n,
                                struct svc_err *err)
{
    unsigned pending[POG_MAX_GPUS] = {0};
    enum svc_rc rc = SVC_OK;
    uint64_t now = (uint64_t)clock_mono_ns();

    if (p->stopping)
        return reject(err, SVC_ERR_NO_GPU, "", "the pool is shutting down");
    for (size_t k = 0; rc == SVC_OK && k < n; k++) {
        struct gpu_job_spec *s = &jobs[k]->spec;

        rc = check_principal_locked(p, jobs, k, err);
        if (rc == SVC_OK)
            rc = check_spec_locked(p, jobs[k], err);
        if (rc == SVC_OK)
            rc = place_locked(p, jobs[k], pending, err);
        jobs[k]->deadline_ns =
            now + (uint64_t)(s->timeout_ms ? s->timeout_ms
                                           : p->o.default_timeout_ms) *
                      1000000u;
    }
    return rc;
}

/* Queues a batch of new jobs atomically and emits their QUEUED events.
 * Takes the jobs: on failure they are freed. */
static enum svc_rc submit_batch(struct gpu_pool *p, struct job **jobs, size_t n,
                                uint64_t *ids, struct svc_err *err)
{
    json_t *snap[POG_MAX_GPUS] = {NULL};
    enum svc_rc rc;

    for (size_t k = 0; k < n; k++)
        pthread_mutex_lock(&jobs[k]->cb_lock);
    pthread_mutex_lock(&p->lock);
    rc = admit_locked(p, jobs, n, err);
    for (size_t k = 0; rc == SVC_OK && k < n; k++) {
        struct job *j = jobs[k];

        j->id = ids[k] = p->next_id++;
        j->state = GPU_JOB_QUEUED;
        j->seq = 1;
        j->submitted_ms = clock_unix_ms();
        list_add(p, j);
        q_push(&p->dev[j->device], j);
        pthread_cond_signal(&p->dev[j->device].wake);
        if (p->o.on_event)
            snap[k] = snapshot_locked(j);
    }
    pthread_mutex_unlock(&p->lock);
    for (size_t k = 0; k < n; k++) {
        if (snap[k]) {
            p->o.on_event(p->o.event_ctx, jobs[k]->id, GPU_JOB_QUEUED, snap[k]);
            json_decref(snap[k]);
        }
        pthread_mutex_unlock(&jobs[k]->cb_lock);
        if (rc)
            job_free(jobs[k]);
    }
    return rc;
}

enum svc_rc gpu_pool_submit(struct gpu_pool *p, const struct gpu_job_spec *spec,
                            uint64_t *id, struct svc_err *err)
{
    struct job *j;

    sweep(p);
    j = job_new(spec);
    if (!j)
        return SVC_ERR_NOMEM;
    return submit_batch(p, &j, 1, id, err);
}

enum svc_rc gpu_pool_submit_seeds(struct gpu_pool *p,
                                  const struct pog_seeds *seeds,
                                  enum gpu_accum accum, uint32_t timeout_ms,
                                  uint64_t *ids, struct svc_err *err)
{
    struct job *jobs[POG_MAX_GPUS];
    size_t n = 0;

    if (seeds->count == 0 || seeds->count > POG_MAX_GPUS)
        return reject(err, SVC_ERR_INVALID, "seeds", "1..%d GPUs",
                      POG_MAX_GPUS);
    sweep(p);
    for (; n < seeds->count; n++) {
        struct gpu_job_spec s = {.kind = GPU_JOB_COMPUTE,
                                 .device = (int)seeds->gpu[n].gpu,
                                 .timeout_ms = timeout_ms,
                                 .n = seeds->n,
                                 .seed_a = seeds->gpu[n].seed_a,
                                 .seed_b = seeds->gpu[n].seed_b,
                                 .accum = accum};

        if (!(jobs[n] = job_new(&s)))
            break;
    }
    if (n < seeds->count) {
        while (n)
            job_free(jobs[--n]);
        return SVC_ERR_NOMEM;
    }
    return submit_batch(p, jobs, n, ids, err);
}

/* ---- queries ------------------------------------------------------------ */

enum svc_rc gpu_pool_status(struct gpu_pool *p, uint64_t id, json_t **out)
{
    enum svc_rc rc = SVC_ERR_NOT_FOUND;
    struct job *j;

    sweep(p);
    pthread_mutex_lock(&p->lock);
    j = find_locked(p, id);
    if (j) {
        *out = snapshot_locked(j);
        rc = *out ? SVC_OK : SVC_ERR_NOMEM;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum svc_rc gpu_pool_wait(struct gpu_pool *p, uint64_t id, uint32_t timeout_ms,
                          enum gpu_job_state *state)
{
    struct timespec until = clock_mono_deadline_ms(timeout_ms);
    enum svc_rc rc = SVC_OK;
    struct job *j;

    pthread_mutex_lock(&p->lock);
    j = find_locked(p, id);
    if (!j) {
        pthread_mutex_unlock(&p->lock);
        return SVC_ERR_NOT_FOUND;
    }
    j->refs++;
    while (!gpu_job_state_is_final(j->state) && rc == SVC_OK)
        if (pthread_cond_timedwait(&p->done, &p->lock, &until) == ETIMEDOUT)
            rc = SVC_ERR_TIMEOUT;
    if (gpu_job_state_is_final(j->state))
        rc = SVC_OK;
    *state = j->state;
    unref_locked(j);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

enum svc_rc gpu_pool_cancel(struct gpu_pool *p, uint64_t id)
{
    struct job *j;

    pthread_mutex_lock(&p->lock);
    j = find_locked(p, id);
    if (!j || gpu_job_state_is_final(j->state)) {
        pthread_mutex_unlock(&p->lock);
        return j ? SVC_ERR_CONFLICT : SVC_ERR_NOT_FOUND;
    }
    j->refs++;
    atomic_store(&j->cancel, true); /* a running job sees it at a check */
    pthread_mutex_unlock(&p->lock);
    transition(p, j, GPU_JOB_QUEUED, GPU_JOB_CANCELLED, NULL, SVC_ERR_CANCELLED,
               "cancelled while queued");
    unref(p, j);
    return SVC_OK;
}

static const char *device_state_name(enum device_state s)
{
    return s == DEV_READY      ? "ready"
           : s == DEV_DISABLED ? "disabled"
                               : "starting";
}

static json_t *device_json_locked(const struct device *d)
{
    json_t *o = json_pack("{s:i,s:s,s:I,s:b}", "index", d->index, "state",
                          device_state_name(d->state), "queued",
                          (json_int_t)d->q_len, "running", d->running != NULL);

    if (o && d->state == DEV_DISABLED)
        json_object_set_new(o, "reason", json_string(d->why));
    if (o && d->state == DEV_READY)
        json_object_set_new(o, "info", gpu_device_info_json(&d->info));
    return o;
}

json_t *gpu_pool_info(struct gpu_pool *p)
{
    json_t *devs = json_array();

    pthread_mutex_lock(&p->lock);
    for (int k = 0; devs && k < p->n_dev; k++)
        if (json_array_append_new(devs, device_json_locked(&p->dev[k]))) {
            json_decref(devs);
            devs = NULL;
        }
    pthread_mutex_unlock(&p->lock);
    if (!devs)
        return NULL;
    return json_pack("{s:s,s:o}", "backend", p->be->name, "devices", devs);
}

int gpu_pool_devices(const struct gpu_pool *p)
{
    return p->n_dev;
}

const char *gpu_pool_backend(const struct gpu_pool *p)
{
    return p->be->name;
}

/* ---- workers ------------------------------------------------------------ */

/* Marks d disabled and fails its queue. */
static void disable(struct device *d, const char *why)
{
    struct gpu_pool *p = d->pool;
    struct job *list[64], *j;
    char err[GPU_ERR_MAX + 32];
    size_t n;

    log_err("pog: %s device %d disabled: %s", p->be->name, d->index, why);
    snprintf(err, sizeof(err), "device disabled: %s", why);
    pthread_mutex_lock(&p->lock);
    d->state = DEV_DISABLED;
    snprintf(d->why, sizeof(d->why), "%s", why);
    pthread_cond_broadcast(&p->done);
    do {
        for (n = 0; n < 64 && (j = d->q_head); n++) {
            q_remove(d, j);
            j->refs++;
            list[n] = j;
        }
        pthread_mutex_unlock(&p->lock);
        finish_all(p, list, n, GPU_JOB_FAILED, SVC_ERR_NO_GPU, err);
        pthread_mutex_lock(&p->lock);
    } while (d->q_head);
    pthread_mutex_unlock(&p->lock);
}

/* Opens the backend worker of d; false (d disabled) on failure. */
static bool open_worker(struct device *d)
{
    struct gpu_pool *p = d->pool;
    struct gpu_device_info info;
    char why[GPU_ERR_MAX] = "";

    if (p->be->worker_new(d->index, &p->o.worker, &d->w, why, sizeof(why)) ||
        p->be->info(d->w, &info)) {
        if (d->w && !why[0])
            snprintf(why, sizeof(why), "%s", p->be->last_error(d->w));
        p->be->worker_free(d->w);
        d->w = NULL;
        disable(d, why[0] ? why : "worker start failed");
        return false;
    }
    pthread_mutex_lock(&p->lock);
    d->info = info;
    d->state = DEV_READY;
    pthread_cond_broadcast(&p->done); /* gpu_pool_new waits for this */
    pthread_mutex_unlock(&p->lock);
    return true;
}

/* Worker-side housekeeping while idle: a retained C past its TTL, then the
 * pool-wide sweep. */
static void idle_work(struct device *d)
{
    uint64_t ttl = (uint64_t)d->pool->o.retain_ttl_ms * 1000000u;

    if (d->retained && (uint64_t)clock_mono_ns() - d->retained_ns >= ttl)
        pool_release_retained(d);
    sweep(d->pool);
}

/* Blocks for d's next job (a reference held) or NULL when stopping. */
static struct job *next_job(struct device *d)
{
    struct gpu_pool *p = d->pool;
    struct timespec until;
    struct job *j;

    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->stopping) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        j = d->q_head;
        if (j) {
            q_remove(d, j);
            j->refs++;
            d->running = j; /* busy from now: placement counts it */
            pthread_mutex_unlock(&p->lock);
            return j;
        }
        until = clock_mono_deadline_ms(IDLE_WAKE_MS);
        pthread_cond_timedwait(&d->wake, &p->lock, &until);
        pthread_mutex_unlock(&p->lock);
        idle_work(d);
    }
}

static enum gpu_job_state final_state(enum svc_rc rc)
{
    if (rc == SVC_OK)
        return GPU_JOB_DONE;
    if (rc == SVC_ERR_CANCELLED)
        return GPU_JOB_CANCELLED;
    if (rc == SVC_ERR_TIMEOUT)
        return GPU_JOB_TIMED_OUT;
    return GPU_JOB_FAILED;
}

static void run_one(struct device *d, struct job *j)
{
    struct gpu_pool *p = d->pool;
    char err[GPU_ERR_MAX] = "";
    json_t *result = NULL;
    enum svc_rc rc;

    if ((uint64_t)clock_mono_ns() >= j->deadline_ns) {
        transition(p, j, GPU_JOB_QUEUED, GPU_JOB_TIMED_OUT, NULL,
                   SVC_ERR_TIMEOUT, "deadline passed while queued");
        return;
    }
    if (!transition(p, j, GPU_JOB_QUEUED, GPU_JOB_RUNNING, NULL, SVC_OK, NULL))
        return; /* cancelled after it left the queue */
    rc = pool_run_job(d, j, &result, err, sizeof(err));
    if (rc == SVC_OK && !result) {
        rc = SVC_ERR_NOMEM;
        snprintf(err, sizeof(err), "out of memory for the result");
    }
    transition(p, j, GPU_JOB_RUNNING, final_state(rc), rc ? NULL : result, rc,
               err);
    if (rc)
        json_decref(result);
}

/* After a sticky device error: re-open the worker (and its self-test). */
static bool reopen(struct device *d)
{
    struct gpu_pool *p = d->pool;

    log_warn("pog: %s device %d unhealthy (%s); re-opening", p->be->name,
             d->index, p->be->last_error(d->w));
    pool_release_retained(d);
    p->be->worker_free(d->w);
    d->w = NULL;
    return open_worker(d);
}

static void *worker_main(void *arg)
{
    struct device *d = arg;
    struct gpu_pool *p = d->pool;
    struct job *j;

    if (!open_worker(d))
        return NULL;
    while ((j = next_job(d)) != NULL) {
        run_one(d, j);
        unref(p, j);
        if (!p->be->healthy(d->w) && !reopen(d))
            return NULL;
    }
    pool_release_retained(d);
    p->be->worker_free(d->w);
    d->w = NULL;
    return NULL;
}

/* ---- lifetime ----------------------------------------------------------- */

static void apply_defaults(struct gpu_pool_opts *o)
{
    if (!o->queue_cap)
        o->queue_cap = 16;
    if (!o->default_timeout_ms)
        o->default_timeout_ms = 120000;
    /* Finished jobs are in pog_jobs too (where a caller finds them once
     * the pool lets go), so the pool keeps few, and not for long: a
     * result may be hundreds of KiB. */
    if (!o->result_ttl_ms)
        o->result_ttl_ms = 600000;
    if (!o->retain_ttl_ms)
        o->retain_ttl_ms = 600000;
    if (!o->max_finished)
        o->max_finished = 64;
    if (!o->first_id)
        o->first_id = 1;
}

/* Backend and device count from the options. */
static enum svc_rc pick_backend(struct gpu_pool *p, char *why, size_t cap)
{
    enum svc_rc rc = SVC_OK;
    int n;

    if (p->o.backend) {
        p->be = p->o.backend;
        n = p->be->device_count(why, cap);
    } else {
        rc = gpu_backend_select(p->o.backend_name, &p->be, &n, why, cap);
    }
    if (rc)
        return rc;
    if (n <= 0)
        return SVC_ERR_NO_GPU;
    if (p->o.max_devices > 0 && n > p->o.max_devices)
        n = p->o.max_devices;
    p->n_dev = n < POG_MAX_GPUS ? n : POG_MAX_GPUS;
    return SVC_OK;
}

static enum svc_rc start_workers(struct gpu_pool *p)
{
    for (int k = 0; k < p->n_dev; k++) {
        struct device *d = &p->dev[k];

        d->index = k;
        if (!cond_init(&d->wake))
            return SVC_ERR_NOMEM;
        d->pool = p; /* marks the condition variable live */
        if (pthread_create(&d->thread, NULL, worker_main, d)) {
            d->state = DEV_DISABLED;
            snprintf(d->why, sizeof(d->why), "cannot start a thread");
            continue;
        }
        d->started = true;
    }
    return SVC_OK;
}

/* Blocks until every worker has opened its device or given up, so the
 * pool starts with known device states (and max_n). */
static void wait_started(struct gpu_pool *p)
{
    bool starting = true;

    pthread_mutex_lock(&p->lock);
    while (starting) {
        starting = false;
        for (int k = 0; k < p->n_dev; k++)
            starting = starting || p->dev[k].state == DEV_STARTING;
        if (starting)
            pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}

enum svc_rc gpu_pool_new(const struct gpu_pool_opts *opts,
                         struct gpu_pool **out, char *why, size_t cap)
{
    struct gpu_pool *p = calloc(1, sizeof(*p));
    enum svc_rc rc;

    why[0] = '\0';
    if (!p)
        return SVC_ERR_NOMEM;
    p->o = *opts;
    apply_defaults(&p->o);
    p->next_id = p->o.first_id;
    p->table = p->o.table ? p->o.table : pog_table_default();
    atomic_init(&p->halt, false);
    if (pthread_mutex_init(&p->lock, NULL) || !cond_init(&p->done)) {
        free(p);
        return SVC_ERR_NOMEM;
    }
    rc = pick_backend(p, why, cap);
    if (rc == SVC_OK && !(p->dev = calloc((size_t)p->n_dev, sizeof(*p->dev))))
        rc = SVC_ERR_NOMEM;
    if (rc == SVC_OK)
        rc = start_workers(p);
    if (rc) {
        gpu_pool_free(p);
        return rc;
    }
    wait_started(p);
    log_info("pog: %s backend, %d device(s)", p->be->name, p->n_dev);
    *out = p;
    return SVC_OK;
}

/* Stops intake, cancels the queues and asks running jobs to stop. */
static void stop_all(struct gpu_pool *p)
{
    struct job *list[64], *j;
    size_t n;

    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    atomic_store(&p->halt, true); /* jobs between queue and RUNNING */
    do {
        n = 0;
        for (int k = 0; k < p->n_dev; k++) {
            struct device *d = &p->dev[k];

            if (d->running)
                atomic_store(&d->running->cancel, true);
            pthread_cond_broadcast(&d->wake);
            while (n < 64 && (j = d->q_head)) {
                q_remove(d, j);
                j->refs++;
                list[n++] = j;
            }
        }
        pthread_mutex_unlock(&p->lock);
        finish_all(p, list, n, GPU_JOB_CANCELLED, SVC_ERR_CANCELLED,
                   "the pool shut down");
        pthread_mutex_lock(&p->lock);
    } while (n);
    pthread_mutex_unlock(&p->lock);
}

void gpu_pool_free(struct gpu_pool *p)
{
    if (!p)
        return;
    if (p->dev) {
        stop_all(p);
        for (int k = 0; k < p->n_dev; k++) {
            if (p->dev[k].started)
                pthread_join(p->dev[k].thread, NULL);
            if (p->dev[k].pool)
                pthread_cond_destroy(&p->dev[k].wake);
        }
    }
    while (p->head)
        list_remove(p, p->head);
    free(p->dev);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
