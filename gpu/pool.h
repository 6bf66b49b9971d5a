/* SPDX-License-Identifier: MIT */
/* The PoG worker pool (docs/pog.md 2.8): one worker thread per device, a
 * bounded FIFO per device, jobs with states, cancellation, deadlines, results
 * kept for a TTL, and a state-change hook for persistence. Handlers submit and
 * poll; they never block on GPU work.
 *
 * Job kinds and their results (json, see gpu_pool_status):
 *   info       {"num_gpus", "gpu_names", "device": {...}, "vram"}
 *   benchmark  {"num_gpus", "vram", "vram_gb", "n_fp16", "t_fp16",
 *               "n_fp32", "t_fp32", "tflops_fp16", "tflops_fp32",
 *               "reported_name", "identified": {...} (null on the CPU
 *               backend: no GPU model), "score" (0 there), "line",
 *               "clamped"}
 *   compute    {"gpu", "n", "seed_a", "seed_b", "root", "accum",
 *               "timings": {generation_time, n, multiplication_time,
 *               transfer_back_time, merkle_tree_time, hash_time,
 *               total_time}, "tflops", "verdict"?: {checked, passed, pass}}
 *   proof      {"gpu", "n", "root", "indices": [[i, j]], "rows": [base64 of
 *               n LE float32], "proofs": [[hex siblings, leaf level
 *               first]], "values": [row[j]], "recomputed"}
 *   selftest   {"ok", "device"}
 * All functions are thread-safe. */
#ifndef GPU_POOL_H
#define GPU_POOL_H

#include "core/rc.h"
#include "gpu.h"
#include "pog_parse.h"
#include "pog_table.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

/* The one list of job kinds: X(NAME, "name"), in enum order. The names
 * are what the API, pog_jobs.kind and the metrics' labels say. */
#define GPU_JOB_KIND_LIST(X)                                                   \
    X(INFO, "info")                                                            \
    X(BENCHMARK, "benchmark")                                                  \
    X(COMPUTE, "compute")                                                      \
    X(PROOF, "proof")                                                          \
    X(SELFTEST, "selftest")

/* The one list of job states: X(NAME, "name", final), in enum order. */
#define GPU_JOB_STATE_LIST(X)                                                  \
    X(QUEUED, "queued", false)                                                 \
    X(RUNNING, "running", false)                                               \
    X(DONE, "done", true)                                                      \
    X(FAILED, "failed", true)                                                  \
    X(CANCELLED, "cancelled", true)                                            \
    X(TIMED_OUT, "timed_out", true)

enum gpu_job_kind {
#define X(name, text) GPU_JOB_##name,
    GPU_JOB_KIND_LIST(X)
#undef X
        GPU_JOB_KIND_COUNT
};

enum gpu_job_state {
#define X(name, text, final) GPU_JOB_##name,
    GPU_JOB_STATE_LIST(X)
#undef X
        GPU_JOB_STATE_COUNT
};

/* Lower-case names ("benchmark", "timed_out"; "unknown" out of range) and
 * their parsers (false for an unknown name). */
const char *gpu_job_kind_name(enum gpu_job_kind k);
bool gpu_job_kind_parse(const char *s, enum gpu_job_kind *out);
const char *gpu_job_state_name(enum gpu_job_state s);
bool gpu_job_state_parse(const char *s, enum gpu_job_state *out);
/* DONE, FAILED, CANCELLED and TIMED_OUT are final. */
bool gpu_job_state_is_final(enum gpu_job_state s);
/* True when the job snapshot's "state" names a final state. */
bool gpu_job_json_is_final(const json_t *job);

/* Room for a job error's code: the longest name in core/rc.h, and NUL. */
enum { GPU_ERR_CODE_MAX = 24 };
/* The code a job's error shows for rc, in the API's style: rc's name in
 * the error table without "ERR_", in lower case ("cancelled", "no_vram",
 * "internal"). */
void gpu_job_error_code(enum svc_rc rc, char out[GPU_ERR_CODE_MAX]);
/* A job snapshot read back from pog_jobs in the style stored before the
 * codes changed ({"code": "ERR_CANCELLED"}) gets the code of today
 * ("cancelled"), in place; any other job is left as it is. */
void gpu_job_json_restyle(json_t *job);

/* Room for who submitted a job: an SS58 address (48 characters) and NUL. */
enum { GPU_PRINCIPAL_MAX = 49 };

/* What to run. Zero fields take defaults. */
struct gpu_job_spec {
    enum gpu_job_kind kind;
    char principal[GPU_PRINCIPAL_MAX]; /* who submitted it; "" for no one
                                          (the CLI): recorded, and counted
                                          against principal_cap */
    int device;          /* -1: the least busy device; ignored by proofs of
                            a compute job (they go where it ran) */
    uint32_t timeout_ms; /* deadline from submission; 0: pool default */
    /* benchmark: sizes; 0 derives them from the VRAM estimate (each
     * clamped by its precision's memory, pog_bench_clamp(), and on the CPU
     * by its cap) */
    uint32_t n_fp16, n_fp32;
    /* compute, and proof without compute_job */
    uint32_t n;
    uint64_t seed_a, seed_b;
    enum gpu_accum accum;
    unsigned self_check; /* compute: random challenges verified (0: none) */
    /* proof */
    uint64_t compute_job;       /* a DONE compute job of this pool, or 0 with
                                   n/seeds (and root) given: recompute */
    uint8_t root[POG_HASH_LEN]; /* expected root when has_root */
    bool has_root;
    unsigned n_indices; /* 1..POG_MAX_CHALLENGES */
    struct pog_index indices[POG_MAX_CHALLENGES];
};

/* State-change hook: called once per transition (QUEUED on submit, RUNNING,
 * the final state), in order for each job, from the thread that made the
 * change, with no pool lock held. snapshot is what gpu_pool_status will
 * return, borrowed for the call. A RUNNING or final state is applied only
 * after the hook returns, so gpu_pool_status, gpu_pool_wait and
 * gpu_pool_cancel never show a state the hook has not seen; a QUEUED job is
 * visible from submit on, and submit returns after its hook. It must not
 * call gpu_pool_* functions. */
typedef void gpu_job_event_fn(void *ctx, uint64_t id, enum gpu_job_state st,
                              const json_t *snapshot);

struct gpu_pool_opts {
    const struct gpu_backend *backend; /* NULL: gpu_backend_select() */
    const char *backend_name;          /* for select: cpu|cuda|auto|NULL */
    int max_devices;                   /* 0: every device of the backend */
    struct gpu_opts worker;            /* per-worker settings */
    unsigned queue_cap;                /* queued jobs per device (16) */
    uint32_t default_timeout_ms;       /* job deadline (120000) */
    uint32_t result_ttl_ms;            /* finished jobs kept (600000) */
    uint32_t retain_ttl_ms;            /* C kept for proofs (600000) */
    unsigned max_finished;             /* finished jobs kept at most (64) */
    unsigned principal_cap;            /* queued or running jobs one
                                          principal may have (0: any) */
    uint64_t first_id;                 /* first job id (1): continue after
                                          ids persisted by an earlier run */
    const struct pog_table *table;     /* identify/score; NULL: default */
    gpu_job_event_fn *on_event;        /* may be NULL */
    void *event_ctx;
};

struct gpu_pool; /* opaque */

/* Starts the pool: picks the backend, one worker thread per device, and
 * returns once every worker has opened its device (for CUDA: context,
 * warm-up and self-test, about a second). Returns SVC_OK with a new pool in
 * *out, or SVC_ERR_NO_GPU / SVC_ERR_INVALID (why set), SVC_ERR_NOMEM.
 * Devices whose worker fails to start are disabled (see gpu_pool_info); the
 * pool still runs. */
SVC_NODISCARD enum svc_rc gpu_pool_new(const struct gpu_pool_opts *opts,
                                       struct gpu_pool **out, char *why,
                                       size_t cap);
/* Cancels queued jobs, asks running ones to stop at their next check,
 * joins the workers and frees everything. NULL is fine. */
void gpu_pool_free(struct gpu_pool *p);

/* Queues a job; *id gets its id. SVC_ERR_RATE when spec->principal has
 * principal_cap jobs queued or running already, SVC_ERR_QUEUE_FULL when
 * the device's queue is full (backpressure), SVC_ERR_NO_GPU when the
 * device is disabled or absent, SVC_ERR_INVALID for bad parameters,
 * SVC_ERR_NOT_FOUND for a proof of an unknown compute job,
 * SVC_ERR_CONFLICT when that job is not DONE. On failure err (may be
 * NULL) names the field and says why, ready for req_fail(). */
SVC_NODISCARD enum svc_rc gpu_pool_submit(struct gpu_pool *p,
                                          const struct gpu_job_spec *spec,
                                          uint64_t *id, struct svc_err *err);
/* One compute job per GPU line of seeds (gpu k on device k), all or none;
 * ids[k] gets the id for GPU k. Errors as gpu_pool_submit. */
SVC_NODISCARD enum svc_rc
gpu_pool_submit_seeds(struct gpu_pool *p, const struct pog_seeds *seeds,
                      enum gpu_accum accum, uint32_t timeout_ms, uint64_t *ids,
                      struct svc_err *err);
/* A new snapshot of job id: {"id", "kind", "state", "device", "seq",
 * "principal" (SS58 or null), "submitted_at", "started_at", "finished_at"
 * (unix ms or null), "params", "error": null|{"code" (gpu_job_error_code),
 * "message"},
 * "result": null|{...}}.
 * SVC_ERR_NOT_FOUND when unknown or expired. */
SVC_NODISCARD enum svc_rc gpu_pool_status(struct gpu_pool *p, uint64_t id,
                                          json_t **out);
/* Waits up to timeout_ms for job id to reach a final state; *state gets the
 * state either way. SVC_OK when final, SVC_ERR_TIMEOUT when not yet,
 * SVC_ERR_NOT_FOUND. For tests and the CLI; handlers poll instead. */
SVC_NODISCARD enum svc_rc gpu_pool_wait(struct gpu_pool *p, uint64_t id,
                                        uint32_t timeout_ms,
                                        enum gpu_job_state *state);
/* Cancels job id: a queued job is CANCELLED at once, a running one at its
 * next stage or GEMM panel. SVC_ERR_CONFLICT when it already finished,
 * SVC_ERR_NOT_FOUND when unknown. */
SVC_NODISCARD enum svc_rc gpu_pool_cancel(struct gpu_pool *p, uint64_t id);

/* A new object {"backend", "devices": [{"index", "state": "starting"|
 * "ready"|"disabled", "reason"?, "queued", "running", "info"?}]}. */
json_t *gpu_pool_info(struct gpu_pool *p);
/* Devices in the pool (disabled ones included). */
int gpu_pool_devices(const struct gpu_pool *p);
/* The backend's name ("cpu", "cuda"). */
const char *gpu_pool_backend(const struct gpu_pool *p);

#endif
