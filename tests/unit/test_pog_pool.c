/* SPDX-License-Identifier: MIT */
/* The worker pool (docs/pog.md 5.1 item 13) with a fake backend whose stages
 * sleep in short slices and can fail: state transitions and their events,
 * events recorded before their state is seen, cancel while queued and while
 * running, deadlines, backpressure, proofs, result expiry, a worker
 * re-opened after a sticky error, a disabled device, and shutdown with work
 * pending. Then a few jobs on the real CPU backend. */
#include "check.h"
#include "gpu/pog_verify.h"
#include "gpu/pool.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* ---- the fake backend --------------------------------------------------- */

static struct {
    int devices;
    int fail_open_dev;      /* worker_new fails for this device (-1: none) */
    atomic_int opens;       /* worker_new calls */
    atomic_int stage_ms;    /* sleep per compute stage (4 stages) */
    atomic_int sticky_once; /* next compute fails with a sticky error */
    atomic_int computes;
} fake = {.devices = 1, .fail_open_dev = -1};

struct gpu_worker {
    int dev;
    bool sick;
    uint32_t n; /* retained C: row i is all (float)i */
    char err[64];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* Sleeps ms in 2 ms slices, polling the stop check between them. */
static enum svc_rc stage(const struct gpu_stop *stop, int ms)
{
    for (int t = 0; t < ms; t += 2) {
        enum svc_rc rc = stop && stop->check ? stop->check(stop->ctx) : SVC_OK;

        if (rc)
            return rc;
        sleep_ms(2);
    }
    return stop && stop->check ? stop->check(stop->ctx) : SVC_OK;
}

static int f_count(char *why, size_t cap)
{
    (void)why;
    (void)cap;
    return fake.devices;
}

static enum svc_rc f_new(int dev, const struct gpu_opts *o,
                         struct gpu_worker **out, char *why, size_t cap)
{
    (void)o;
    atomic_fetch_add(&fake.opens, 1);
    if (dev == fake.fail_open_dev) {
        snprintf(why, cap, "fake device %d is broken", dev);
        return SVC_ERR_GPU;
    }
    *out = calloc(1, sizeof(**out));
    CHECK(*out);
    (*out)->dev = dev;
    return SVC_OK;
}

static void f_free(struct gpu_worker *w)
{
    free(w);
}

static enum svc_rc f_info(struct gpu_worker *w, struct gpu_device_info *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->backend, sizeof(o->backend), "fake");
    snprintf(o->name, sizeof(o->name), "NVIDIA H100 80GB HBM3");
    o->index = w->dev;
    o->max_n = 4096;
    o->free_bytes = 85000000000ull;
    return SVC_OK;
}

static enum svc_rc f_memory(struct gpu_worker *w, uint64_t *fr, uint64_t *tot)
{
    w->n = 0;
    *fr = 85000000000ull;
    *tot = 85899345920ull;
    return SVC_OK;
}

static enum svc_rc f_bench(struct gpu_worker *w, enum gpu_prec p, uint32_t n,
                           const struct gpu_stop *stop, double *sec)
{
    double flops = 2.0 * n * (double)n * n;

    (void)w;
    *sec = flops / (p == GPU_PREC_FP16 ? 720e12 : 51e12); /* an H100 */
    return stage(stop, 2);
}

static enum svc_rc f_compute(struct gpu_worker *w, uint64_t sa, uint64_t sb,
                             uint32_t n, enum gpu_accum accum,
                             const struct gpu_stop *stop,
                             uint8_t (*leaves)[POG_HASH_LEN],
                             struct gpu_round_times *t, enum gpu_accum *used)
{
    int ms = atomic_load(&fake.stage_ms);
    enum svc_rc rc = SVC_OK;

    atomic_fetch_add(&fake.computes, 1);
    w->n = 0;
    memset(t, 0, sizeof(*t));
    if (atomic_exchange(&fake.sticky_once, 0)) {
        w->sick = true;
        snprintf(w->err, sizeof(w->err), "cudaErrorIllegalAddress (fake)");
        return SVC_ERR_GPU;
    }
    for (int s = 0; s < 4 && rc == SVC_OK; s++)
        rc = stage(stop, ms);
    if (rc) {
        snprintf(w->err, sizeof(w->err), "stopped");
        return rc;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x[3] = {sa, sb, i};

        pog_sha256(x, sizeof(x), leaves[i]);
    }
    t->multiply_s = 0.004 * ms;
    w->n = n;
    *used = accum == GPU_ACCUM_AUTO ? GPU_ACCUM_FP32 : accum;
    return SVC_OK;
}

static enum svc_rc f_get_row(struct gpu_worker *w, uint32_t i, float *row)
{
    if (i >= w->n)
        return SVC_ERR_NOT_FOUND;
    for (uint32_t k = 0; k < w->n; k++)
        row[k] = (float)i;
    return SVC_OK;
}

static void f_release(struct gpu_worker *w)
{
    w->n = 0;
}

static enum svc_rc f_selftest(struct gpu_worker *w, char *why, size_t cap)
{
    (void)w;
    (void)why;
    (void)cap;
    return SVC_OK;
}

static bool f_healthy(struct gpu_worker *w)
{
    return !w->sick;
}

static const char *f_last_error(struct gpu_worker *w)
{
    return w->err;
}

static const struct gpu_backend fake_be = {
    "fake",     f_count,   f_new,        f_free,    f_info,
    f_memory,   f_bench,   f_compute,    f_get_row, f_release,
    f_selftest, f_healthy, f_last_error, NULL,      NULL,
};

/* ---- event log ---------------------------------------------------------- */

enum { EV_MAX = 256 };

static struct {
    pthread_mutex_t lock;
    int n;
    uint64_t id[EV_MAX];
    enum gpu_job_state st[EV_MAX];
    int seq[EV_MAX];
    atomic_int final_ms; /* a final event takes this long to record */
} ev = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_event(void *ctx, uint64_t id, enum gpu_job_state st,
                     const json_t *snap)
{
    (void)ctx;
    CHECK_STR_EQ(json_string_value(json_object_get(snap, "state")),
                 gpu_job_state_name(st));
    CHECK((uint64_t)json_integer_value(json_object_get(snap, "id")) == id);
    if (gpu_job_state_is_final(st))
        sleep_ms(atomic_load(&ev.final_ms));
    pthread_mutex_lock(&ev.lock);
    if (ev.n < EV_MAX) {
        ev.id[ev.n] = id;
        ev.st[ev.n] = st;
        ev.seq[ev.n] = (int)json_integer_value(json_object_get(snap, "seq"));
        ev.n++;
    }
    pthread_mutex_unlock(&ev.lock);
}

/* The states job id went through, as "queued,running,done". */
static void events_of(uint64_t id, char *out, size_t cap)
{
    int last = 0;

    out[0] = '\0';
    pthread_mutex_lock(&ev.lock);
    for (int k = 0; k < ev.n; k++) {
        if (ev.id[k] != id)
            continue;
        CHECK(ev.seq[k] == last + 1); /* in order, none lost */
        last = ev.seq[k];
        if (out[0])
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, gpu_job_state_name(ev.st[k]), cap - strlen(out) - 1);
    }
    pthread_mutex_unlock(&ev.lock);
}

/* Every event is recorded before its state can be seen, so once a wait
 * has returned the final event is there. */
static void check_events(uint64_t id, const char *want)
{
    char got[128];

    events_of(id, got, sizeof(got));
    CHECK_STR_EQ(got, want);
}

/* ---- helpers ------------------------------------------------------------ */

static struct gpu_pool *pool_of(const struct gpu_backend *be, unsigned cap,
                                uint32_t ttl_ms)
{
    struct gpu_pool_opts o = {.backend = be,
                              .queue_cap = cap,
                              .result_ttl_ms = ttl_ms,
                              .first_id = 1000,
                              .on_event = on_event};
    struct gpu_pool *p = NULL;
    char why[GPU_ERR_MAX];

    pthread_mutex_lock(&ev.lock); /* ids restart with every pool */
    ev.n = 0;
    pthread_mutex_unlock(&ev.lock);
    CHECK(gpu_pool_new(&o, &p, why, sizeof(why)) == SVC_OK);
    return p;
}

static uint64_t submit(struct gpu_pool *p, const struct gpu_job_spec *s)
{
    uint64_t id = 0;

    CHECK(gpu_pool_submit(p, s, &id, NULL) == SVC_OK);
    return id;
}

static struct gpu_job_spec compute_spec(int dev, uint32_t n)
{
    struct gpu_job_spec s = {.kind = GPU_JOB_COMPUTE,
                             .device = dev,
                             .n = n,
                             .seed_a = 11,
                             .seed_b = 22};

    return s;
}

static enum gpu_job_state wait_final(struct gpu_pool *p, uint64_t id)
{
    enum gpu_job_state st;

    CHECK(gpu_pool_wait(p, id, 10000, &st) == SVC_OK);
    return st;
}

static json_t *status(struct gpu_pool *p, uint64_t id)
{
    json_t *s = NULL;

    CHECK(gpu_pool_status(p, id, &s) == SVC_OK);
    return s;
}

static void expect_state(struct gpu_pool *p, uint64_t id, const char *state)
{
    json_t *s = status(p, id);

    CHECK_STR_EQ(json_string_value(json_object_get(s, "state")), state);
    json_decref(s);
}

/* Waits until job id is RUNNING. */
/* Diagnostics for a failed timing expectation. */
static void dump(struct gpu_pool *p, uint64_t id)
{
    json_t *info = gpu_pool_info(p), *st = NULL;
    char *a = json_dumps(info, JSON_COMPACT), *b;

    fprintf(stderr, "pool: %s\n", a);
    free(a);
    json_decref(info);
    for (uint64_t k = 1000; k <= id; k++) {
        if (gpu_pool_status(p, k, &st) != SVC_OK)
            continue;
        json_object_del(st, "params");
        b = json_dumps(st, JSON_COMPACT);
        fprintf(stderr, "job: %s\n", b);
        free(b);
        json_decref(st);
    }
}

static void await_running(struct gpu_pool *p, uint64_t id)
{
    char state[32] = "";

    for (int t = 0; t < 5000; t++) {
        json_t *s = status(p, id);

        snprintf(state, sizeof(state), "%s",
                 json_string_value(json_object_get(s, "state")));
        json_decref(s);
        if (!strcmp(state, "running"))
            return;
        sleep_ms(1);
    }
    fprintf(stderr, "job %llu is still %s\n", (unsigned long long)id, state);
    dump(p, id);
    CHECK(!"job never started");
}

/* ---- cases -------------------------------------------------------------- */

static void check_lifecycle(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(-1, 64);
    uint64_t id, pid;
    json_t *st, *res;

    fake.devices = 1;
    atomic_store(&fake.stage_ms, 2);
    p = pool_of(&fake_be, 4, 0);
    CHECK_STR_EQ(gpu_pool_backend(p), "fake");
    CHECK_INT_EQ(gpu_pool_devices(p), 1);
    id = submit(p, &s);
    CHECK(id == 1000); /* first_id */
    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    check_events(id, "queued,running,done");
    st = status(p, id);
    res = json_object_get(st, "result");
    CHECK_STR_EQ(json_string_value(json_object_get(st, "kind")), "compute");
    CHECK(json_is_null(json_object_get(st, "error")));
    CHECK(json_integer_value(json_object_get(st, "finished_at")) > 0);
    CHECK_INT_EQ(strlen(json_string_value(json_object_get(res, "root"))), 64);
    CHECK_STR_EQ(json_string_value(json_object_get(res, "seed_a")), "11");
    CHECK(json_object_get(json_object_get(res, "timings"),
                          "multiplication_time") != NULL);
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(st, "params"), "seed_b")),
                 "22");
    /* A proof of it opens the retained C. */
    s = (struct gpu_job_spec){.kind = GPU_JOB_PROOF,
                              .compute_job = id,
                              .n_indices = 2,
                              .indices = {{3, 4}, {63, 0}}};
    pid = submit(p, &s);
    CHECK(wait_final(p, pid) == GPU_JOB_DONE);
    json_decref(st);
    st = status(p, pid);
    res = json_object_get(st, "result");
    CHECK(json_is_false(json_object_get(res, "recomputed")));
    CHECK_INT_EQ(json_array_size(json_object_get(res, "rows")), 2);
    CHECK_INT_EQ(
        json_array_size(json_array_get(json_object_get(res, "proofs"), 0)), 6);
    CHECK(json_real_value(json_array_get(json_object_get(res, "values"), 1)) ==
          63.0);
    json_decref(st);
    /* After another compute evicts it, the proof recomputes and checks
     * the root. */
    s = compute_spec(0, 32);
    CHECK(wait_final(p, submit(p, &s)) == GPU_JOB_DONE);
    s = (struct gpu_job_spec){.kind = GPU_JOB_PROOF,
                              .compute_job = id,
                              .n_indices = 1,
                              .indices = {{1, 1}}};
    pid = submit(p, &s);
    CHECK(wait_final(p, pid) == GPU_JOB_DONE);
    st = status(p, pid);
    CHECK(json_is_true(
        json_object_get(json_object_get(st, "result"), "recomputed")));
    json_decref(st);
    gpu_pool_free(p);
}

static void check_bad_submissions(void)
{
    struct gpu_pool *p = pool_of(&fake_be, 4, 0);
    struct gpu_job_spec s = compute_spec(0, 0);
    enum gpu_job_state state;
    struct svc_err err;
    uint64_t id = 0;

    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_INVALID);
    s.n = 5000; /* above the device's max_n */
    CHECK(gpu_pool_submit(p, &s, &id, &err) == SVC_ERR_INVALID);
    CHECK_STR_EQ(err.field, "n");
    CHECK(strstr(err.msg, "4096") != NULL);
    s = compute_spec(3, 64);
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_NO_GPU);
    s = (struct gpu_job_spec){
        .kind = GPU_JOB_PROOF, .compute_job = 424242, .n_indices = 1};
    CHECK(gpu_pool_submit(p, &s, &id, &err) == SVC_ERR_NOT_FOUND);
    CHECK_STR_EQ(err.field, "compute_job");
    s = (struct gpu_job_spec){
        .kind = GPU_JOB_PROOF, .n = 8, .n_indices = 1, .indices = {{8, 0}}};
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_INVALID);
    s = (struct gpu_job_spec){.kind = GPU_JOB_PROOF, .n = 8, .n_indices = 0};
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_INVALID);
    s = (struct gpu_job_spec){.kind = (enum gpu_job_kind)9};
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_INVALID);
    CHECK(id == 0);
    CHECK(gpu_pool_status(p, 1, &(json_t *){NULL}) == SVC_ERR_NOT_FOUND);
    CHECK(gpu_pool_cancel(p, 1) == SVC_ERR_NOT_FOUND);
    CHECK(gpu_pool_wait(p, 1, 1, &state) == SVC_ERR_NOT_FOUND);
    gpu_pool_free(p);
}

static void check_cancel(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 64), pr;
    enum gpu_job_state state;
    uint64_t a, b, id;
    double t0;

    atomic_store(&fake.stage_ms, 1000); /* 4 s per compute: never ends */
    p = pool_of(&fake_be, 4, 0);
    a = submit(p, &s);
    b = submit(p, &s);
    await_running(p, a);
    /* A proof of a job that is not DONE is a conflict. */
    pr = (struct gpu_job_spec){
        .kind = GPU_JOB_PROOF, .compute_job = a, .n_indices = 1};
    CHECK(gpu_pool_submit(p, &pr, &id, NULL) == SVC_ERR_CONFLICT);
    CHECK(gpu_pool_wait(p, a, 5, &state) == SVC_ERR_TIMEOUT);
    CHECK(state == GPU_JOB_RUNNING);
    /* Queued: cancelled at once, never runs. */
    CHECK(gpu_pool_cancel(p, b) == SVC_OK);
    expect_state(p, b, "cancelled");
    check_events(b, "queued,cancelled");
    /* Running: seen at the next check (2 ms), well before its 4 s end. */
    t0 = check_now_s();
    CHECK(gpu_pool_cancel(p, a) == SVC_OK);
    CHECK(wait_final(p, a) == GPU_JOB_CANCELLED);
    CHECK(check_now_s() - t0 < 2.0);
    check_events(a, "queued,running,cancelled");
    CHECK(gpu_pool_cancel(p, a) == SVC_ERR_CONFLICT);
    gpu_pool_free(p);
}

static void check_deadlines(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 64);
    uint64_t a, b;
    json_t *st;

    atomic_store(&fake.stage_ms, 500); /* 2 s per compute */
    p = pool_of(&fake_be, 4, 0);
    s.timeout_ms = 1000;
    a = submit(p, &s); /* times out while running */
    s.timeout_ms = 300;
    b = submit(p, &s); /* times out while queued behind a */
    CHECK(wait_final(p, a) == GPU_JOB_TIMED_OUT);
    CHECK(wait_final(p, b) == GPU_JOB_TIMED_OUT);
    check_events(a, "queued,running,timed_out");
    check_events(b, "queued,timed_out");
    st = status(p, b);
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(st, "error"), "code")),
                 "timeout");
    json_decref(st);
    gpu_pool_free(p);
}

static void check_backpressure(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(-1, 64);
    struct svc_err err;
    uint64_t ids[4], extra;

    fake.devices = 2;
    atomic_store(&fake.stage_ms, 1000);
    p = pool_of(&fake_be, 1, 0);
    ids[0] = submit(p, &s); /* device 0 runs it */
    ids[1] = submit(p, &s); /* device 1, the less loaded */
    await_running(p, ids[0]);
    await_running(p, ids[1]);
    ids[2] = submit(p, &s); /* one queued per device: the cap */
    ids[3] = submit(p, &s);
    CHECK(gpu_pool_submit(p, &s, &extra, &err) == SVC_ERR_QUEUE_FULL);
    CHECK(strstr(err.msg, "full") != NULL);
    s.device = 1;
    CHECK(gpu_pool_submit(p, &s, &extra, NULL) == SVC_ERR_QUEUE_FULL);
    for (int k = 0; k < 4; k++)
        if (gpu_pool_cancel(p, ids[k]) != SVC_OK) {
            dump(p, ids[3]);
            CHECK(!"cancel failed");
        }
    for (int k = 0; k < 4; k++)
        CHECK(wait_final(p, ids[k]) == GPU_JOB_CANCELLED);
    /* Room again. */
    atomic_store(&fake.stage_ms, 1);
    CHECK(wait_final(p, submit(p, &s)) == GPU_JOB_DONE);
    gpu_pool_free(p);
    fake.devices = 1;
}

static void check_ttl(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 16);
    json_t *st = NULL;
    uint64_t id;
    int t = 0;

    atomic_store(&fake.stage_ms, 1);
    p = pool_of(&fake_be, 4, 50);
    id = submit(p, &s);
    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    while (gpu_pool_status(p, id, &st) == SVC_OK && t++ < 500) {
        json_decref(st);
        sleep_ms(5);
    }
    CHECK(t < 500); /* gone after its 50 ms TTL */
    gpu_pool_free(p);
}

static void check_restart(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 16);
    json_t *st;
    uint64_t id;
    int opens;

    atomic_store(&fake.stage_ms, 1);
    p = pool_of(&fake_be, 4, 0);
    id = submit(p, &s);
    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    opens = atomic_load(&fake.opens);
    atomic_store(&fake.sticky_once, 1);
    id = submit(p, &s);
    CHECK(wait_final(p, id) == GPU_JOB_FAILED);
    st = status(p, id);
    CHECK(strstr(json_string_value(
                     json_object_get(json_object_get(st, "error"), "message")),
                 "IllegalAddress") != NULL);
    json_decref(st);
    /* The worker was re-opened and serves the next job. */
    id = submit(p, &s);
    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    CHECK_INT_EQ(atomic_load(&fake.opens), opens + 1);
    gpu_pool_free(p);
}

static void check_disabled_device(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(1, 16);
    json_t *info, *d1;
    uint64_t id;

    fake.devices = 2;
    fake.fail_open_dev = 1;
    p = pool_of(&fake_be, 4, 0);
    for (int t = 0; t < 1000; t++) { /* the worker gives up at start */
        info = gpu_pool_info(p);
        d1 = json_array_get(json_object_get(info, "devices"), 1);
        if (!strcmp(json_string_value(json_object_get(d1, "state")),
                    "disabled"))
            break;
        json_decref(info);
        info = NULL;
        sleep_ms(2);
    }
    CHECK(info);
    CHECK(strstr(json_string_value(json_object_get(d1, "reason")), "broken"));
    json_decref(info);
    CHECK(gpu_pool_submit(p, &s, &id, NULL) == SVC_ERR_NO_GPU);
    s.device = -1; /* "any" goes to the healthy one */
    id = submit(p, &s);
    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    gpu_pool_free(p);
    fake.devices = 1;
    fake.fail_open_dev = -1;
}

static void check_seeds(void)
{
    struct pog_seeds seeds = {.n = 32, .count = 2};
    struct gpu_pool *p;
    uint64_t ids[3];
    json_t *st;

    fake.devices = 2;
    atomic_store(&fake.stage_ms, 1);
    p = pool_of(&fake_be, 4, 0);
    seeds.gpu[0] = (struct pog_seed){0, 5, 6};
    seeds.gpu[1] = (struct pog_seed){1, UINT64_MAX, 8};
    CHECK(gpu_pool_submit_seeds(p, &seeds, GPU_ACCUM_AUTO, 0, ids, NULL) ==
          SVC_OK);
    CHECK(ids[1] == ids[0] + 1);
    for (int k = 0; k < 2; k++) {
        CHECK(wait_final(p, ids[k]) == GPU_JOB_DONE);
        st = status(p, ids[k]);
        CHECK_INT_EQ(json_integer_value(json_object_get(st, "device")), k);
        json_decref(st);
    }
    st = status(p, ids[1]);
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(st, "result"), "seed_a")),
                 "18446744073709551615");
    json_decref(st);
    /* Three GPUs on a two-device pool: nothing is queued. */
    seeds.count = 3;
    seeds.gpu[2] = (struct pog_seed){2, 1, 1};
    CHECK(gpu_pool_submit_seeds(p, &seeds, GPU_ACCUM_AUTO, 0, ids, NULL) ==
          SVC_ERR_NO_GPU);
    CHECK(gpu_pool_status(p, ids[1] + 1, &st) == SVC_ERR_NOT_FOUND);
    gpu_pool_free(p);
    fake.devices = 1;
}

/* A slow event hook (a database write) holds each state back until it is
 * recorded: a cancel returns, and a wait wakes, only after the final event. */
static void check_recorded_first(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 16);
    uint64_t a, b;

    atomic_store(&fake.stage_ms, 250); /* 1 s per compute */
    atomic_store(&ev.final_ms, 300);
    p = pool_of(&fake_be, 4, 0);
    a = submit(p, &s);
    await_running(p, a);
    b = submit(p, &s); /* queued behind a */
    CHECK(gpu_pool_cancel(p, b) == SVC_OK);
    check_events(b, "queued,cancelled");
    expect_state(p, b, "cancelled");
    CHECK(wait_final(p, a) == GPU_JOB_DONE);
    check_events(a, "queued,running,done");
    atomic_store(&ev.final_ms, 0);
    gpu_pool_free(p);
}

/* Shutdown with one job running and two queued: all end CANCELLED. */
static void check_shutdown(void)
{
    struct gpu_pool *p;
    struct gpu_job_spec s = compute_spec(0, 16);
    uint64_t ids[3];
    double t0;

    atomic_store(&fake.stage_ms, 1000); /* 4 s per compute */
    p = pool_of(&fake_be, 4, 0);
    for (int k = 0; k < 3; k++)
        ids[k] = submit(p, &s);
    await_running(p, ids[0]);
    t0 = check_now_s();
    gpu_pool_free(p); /* stops the running job at its next check */
    CHECK(check_now_s() - t0 < 2.0);
    check_events(ids[0], "queued,running,cancelled");
    check_events(ids[1], "queued,cancelled");
    check_events(ids[2], "queued,cancelled");
}

/* Compute -> proof -> verify on the real CPU backend: the proof job's
 * output, passed to pog_verify_json, passes. */
static void verify_proof(json_t *compute, json_t *proof)
{
    json_t *ch = json_array(), *body, *v = NULL;
    struct svc_err err;
    size_t k;
    json_t *idx;

    json_array_foreach (json_object_get(proof, "indices"), k, idx)
        json_array_append_new(
            ch, json_pack("{s:O,s:O,s:O,s:O}", "i", json_array_get(idx, 0), "j",
                          json_array_get(idx, 1), "row",
                          json_array_get(json_object_get(proof, "rows"), k),
                          "proof",
                          json_array_get(json_object_get(proof, "proofs"), k)));
    body = json_pack("{s:O,s:[{s:i,s:O,s:O,s:O,s:o}]}", "n",
                     json_object_get(compute, "n"), "gpus", "gpu", 0, "seed_a",
                     json_object_get(compute, "seed_a"), "seed_b",
                     json_object_get(compute, "seed_b"), "root",
                     json_object_get(compute, "root"), "challenges", ch);
    CHECK(pog_verify_json(body, &v, &err) == SVC_OK);
    CHECK(json_is_true(json_object_get(v, "pass")));
    json_decref(v);
    json_decref(body);
}

static json_t *cpu_job(struct gpu_pool *p, struct gpu_job_spec *s)
{
    uint64_t id = submit(p, s);
    json_t *st, *res;

    CHECK(wait_final(p, id) == GPU_JOB_DONE);
    st = status(p, id);
    res = json_incref(json_object_get(st, "result"));
    json_decref(st);
    return res;
}

static void check_cpu_backend(void)
{
    struct gpu_pool_opts o = {.backend = gpu_backend_cpu(),
                              .worker = {.cpu_max_n = 128}};
    struct gpu_job_spec s = {.kind = GPU_JOB_COMPUTE,
                             .device = -1,
                             .n = 64,
                             .seed_a = 12345678901234567890u,
                             .seed_b = 42,
                             .self_check = 3};
    struct gpu_pool *p = NULL;
    json_t *comp, *proof, *r;
    char why[GPU_ERR_MAX];

    CHECK(gpu_pool_new(&o, &p, why, sizeof(why)) == SVC_OK);
    comp = cpu_job(p, &s);
    CHECK_STR_EQ(json_string_value(json_object_get(comp, "accum")), "fp64");
    CHECK(json_is_true(
        json_object_get(json_object_get(comp, "verdict"), "pass")));
    s = (struct gpu_job_spec){.kind = GPU_JOB_PROOF,
                              .compute_job = 1,
                              .n_indices = 2,
                              .indices = {{0, 63}, {37, 5}}};
    proof = cpu_job(p, &s);
    verify_proof(comp, proof);
    json_decref(comp);
    json_decref(proof);
    s = (struct gpu_job_spec){.kind = GPU_JOB_INFO, .device = -1};
    r = cpu_job(p, &s);
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "num_gpus")), 1);
    CHECK_INT_EQ(json_array_size(json_object_get(r, "gpu_names")), 1);
    json_decref(r);
    s = (struct gpu_job_spec){.kind = GPU_JOB_SELFTEST, .device = -1};
    r = cpu_job(p, &s);
    CHECK(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    s = (struct gpu_job_spec){.kind = GPU_JOB_BENCHMARK, .device = -1};
    r = cpu_job(p, &s);
    CHECK(json_is_true(json_object_get(r, "clamped")));
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "n_fp16")), 128);
    /* The CPU is no GPU: nothing identified, nothing scored. */
    CHECK(json_is_null(json_object_get(r, "identified")));
    CHECK(json_real_value(json_object_get(r, "score")) == 0);
    CHECK(strncmp(json_string_value(json_object_get(r, "line")), "1 ", 2) == 0);
    json_decref(r);
    gpu_pool_free(p);
}

/* Fake benchmark: 720/51 TFLOPS at 34.36 GB identifies an H100 SXM. */
static void check_fake_benchmark(void)
{
    struct gpu_pool *p = pool_of(&fake_be, 4, 0);
    struct gpu_job_spec s = {.kind = GPU_JOB_BENCHMARK, .device = 0};
    json_t *r = cpu_job(p, &s);

    CHECK(json_real_value(json_object_get(r, "vram")) == 34.36);
    /* Each precision is clamped by its own memory rule, not by max_n (the
     * fp32 compute limit, 4096 here): an H100 runs the protocol sizes. */
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "n_fp16")), 92672);
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "n_fp32")), 46336);
    CHECK(json_is_false(json_object_get(r, "clamped")));
    json_decref(r);
    /* fp32 at the fp16 size needs 103 GB of the 85 free: clamped. */
    s.n_fp32 = 92672;
    r = cpu_job(p, &s);
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "n_fp16")), 92672);
    CHECK_INT_EQ(json_integer_value(json_object_get(r, "n_fp32")),
                 pog_bench_max_n(85000000000ull, 4));
    CHECK(json_is_true(json_object_get(r, "clamped")));
    CHECK_STR_EQ(json_string_value(
                     json_object_get(json_object_get(r, "identified"), "name")),
                 "NVIDIA H100 80GB HBM3");
    CHECK(fabs(json_real_value(json_object_get(r, "score")) - 0.103125) < 1e-9);
    json_decref(r);
    gpu_pool_free(p);
}

int main(void)
{
    CHECK_STR_EQ(gpu_job_state_name(GPU_JOB_TIMED_OUT), "timed_out");
    CHECK(gpu_job_state_is_final(GPU_JOB_CANCELLED));
    CHECK(!gpu_job_state_is_final(GPU_JOB_RUNNING));
    {
        enum gpu_job_kind k;

        CHECK(gpu_job_kind_parse("benchmark", &k) && k == GPU_JOB_BENCHMARK);
        CHECK(!gpu_job_kind_parse("verify", &k));
    }
    check_lifecycle();
    check_bad_submissions();
    check_cancel();
    check_deadlines();
    check_backpressure();
    check_ttl();
    check_restart();
    check_disabled_device();
    check_seeds();
    check_recorded_first();
    check_shutdown();
    check_cpu_backend();
    check_fake_benchmark();
    return 0;
}
