/* SPDX-License-Identifier: MIT */
/* The PoG backend interface (docs/pog.md 2.1): one vtable, implemented by the
 * CPU backend (always built) and the CUDA/cuBLAS backend (built when nvcc
 * is found), plus backend selection and the round/proof helpers every
 * backend shares. No CUDA type appears here; CUDA headers stay in the .cu
 * files.
 *
 * Threading: a struct gpu_worker belongs to one thread (a pool worker),
 * which makes every call on it. Backend-level calls (device_count,
 * gpu_backend_select) are thread-safe. */
#ifndef GPU_H
#define GPU_H

#include "core/rc.h"
#include "pog_merkle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { GPU_NAME_MAX = 128, GPU_ERR_MAX = 200 };

struct json_t; /* jansson's json_t; kept out so .cu files need no jansson */

enum gpu_prec { GPU_PREC_FP16 = 0, GPU_PREC_FP32 };

/* How C = A x B accumulates (docs/pog.md 1.7). AUTO: fp64 where FP64 runs at
 * full rate (the CPU, A100/H100/H200), else fp32. fp32 never means TF32. */
enum gpu_accum { GPU_ACCUM_AUTO = 0, GPU_ACCUM_FP32, GPU_ACCUM_FP64 };

/* "auto", "fp32", "fp64", and back. */
const char *gpu_accum_name(enum gpu_accum a);
bool gpu_accum_parse(const char *s, enum gpu_accum *out);

struct gpu_device_info {
    char backend[8];         /* "cpu", "cuda" or a test double's name */
    int index;               /* device number within the backend */
    char name[GPU_NAME_MAX]; /* cudaDeviceProp.name, or a CPU description */
    int cc_major, cc_minor;  /* compute capability; 0 on the CPU */
    int sm_count;            /* SMs, or CPU cores */
    uint64_t total_bytes;    /* device (or host) memory */
    uint64_t free_bytes;     /* free now */
    uint32_t max_n;          /* largest compute n this worker accepts now */
    bool fp64_fast;          /* fp64 accumulation chosen by AUTO */
};

/* Worker settings; zero fields take the defaults shown. */
struct gpu_opts {
    uint32_t cpu_max_n;   /* CPU backend: largest n (4096) */
    enum gpu_accum accum; /* default accumulation (AUTO) */
    unsigned panels;      /* row panels per GEMM = cancellation points (8);
                             the CPU backend checks every 8 rows */
};

/* Cooperative cancellation: backends call check(ctx) between stages and
 * GEMM panels and stop with its result (SVC_ERR_CANCELLED, SVC_ERR_TIMEOUT)
 * when it is not SVC_OK. check may be NULL. */
typedef enum svc_rc gpu_stop_fn(void *ctx);
struct gpu_stop {
    gpu_stop_fn *check;
    void *ctx;
};

/* Stage times of one compute round, in seconds (the reference's keys). */
struct gpu_round_times {
    double generate_s; /* generation_time */
    double multiply_s; /* multiplication_time: the GEMM panels */
    double hash_s;     /* leaf hashing of every row of C */
    double transfer_s; /* transfer_back_time: leaves to the host */
    double merkle_s;   /* merkle_tree_time: the levels above the leaves */
    double total_s;    /* wall time of the whole round */
};

struct gpu_worker; /* opaque; each backend defines its own */

/* A backend. Every fallible call returns an svc_rc; the text of the last
 * failure on a worker is last_error(w). */
struct gpu_backend {
    const char *name; /* "cpu", "cuda" */
    /* Devices usable now; 0 (why set) when none. Thread-safe. */
    int (*device_count)(char *why, size_t cap);
    /* Opens device dev for the calling thread: context, stream, handles,
     * warm-up, self-test. Returns a new worker in *out (free it with
     * worker_free) or an error with why set. */
    enum svc_rc (*worker_new)(int dev, const struct gpu_opts *opts,
                              struct gpu_worker **out, char *why, size_t cap);
    void (*worker_free)(struct gpu_worker *w); /* NULL is fine */
    enum svc_rc (*info)(struct gpu_worker *w, struct gpu_device_info *out);
    /* Releases the retained C first, then reads free and total memory. */
    enum svc_rc (*memory)(struct gpu_worker *w, uint64_t *free_bytes,
                          uint64_t *total_bytes);
    /* Times one n x n GEMM on random data (fp16: half in/out, fp32
     * accumulate; fp32: true FP32), after a warm-up. */
    enum svc_rc (*bench)(struct gpu_worker *w, enum gpu_prec prec, uint32_t n,
                         const struct gpu_stop *stop, double *seconds);
    /* One PoG round: A(seed_a), B(seed_b), C = A x B, leaves[i] = SHA-256
     * of row i of C as float32. C stays on the worker for get_row() until
     * release() or the next compute. *used is the accumulation run. */
    enum svc_rc (*compute)(struct gpu_worker *w, uint64_t seed_a,
                           uint64_t seed_b, uint32_t n, enum gpu_accum accum,
                           const struct gpu_stop *stop,
                           uint8_t (*leaves)[POG_HASH_LEN],
                           struct gpu_round_times *t, enum gpu_accum *used);
    /* Row i of the retained C as float32 (n values). */
    enum svc_rc (*get_row)(struct gpu_worker *w, uint32_t i, float *row);
    /* Frees the retained C (no-op when none). */
    void (*release)(struct gpu_worker *w);
    /* Generator and hash kernels against the host code; why on failure. */
    enum svc_rc (*selftest)(struct gpu_worker *w, char *why, size_t cap);
    /* False after a sticky device error: the worker must be re-created. */
    bool (*healthy)(struct gpu_worker *w);
    /* Text of the last failure on w ("" when none); borrowed from w. */
    const char *(*last_error)(struct gpu_worker *w);
    /* For tests (docs/pog.md 5.2): generates the whole n x n matrix for seed on
     * the device (double-of-float when f64), copies row `row` back into
     * row_out (n values) and, when leaves is not NULL, hashes every row of
     * it there too. Frees everything before returning. */
    enum svc_rc (*generate)(struct gpu_worker *w, uint64_t seed, uint32_t n,
                            bool f64, uint32_t row, double *row_out,
                            uint8_t (*leaves)[POG_HASH_LEN]);
    /* For tests (docs/pog.md 5.2, "not TF32"): c = a x b for row-major
     * n x n host matrices through the compute path's fp32 GEMM. NULL where
     * a backend has none (the CPU's loop is for Hankel matrices only). */
    enum svc_rc (*gemm_f32)(struct gpu_worker *w, uint32_t n, const float *a,
                            const float *b, float *c);
};

/* Bumped whenever struct gpu_backend or what it points at changes, so a
 * CUDA module built from other sources is refused rather than called. */
#define GPU_BACKEND_ABI 2
/* The CUDA module's file name and its two entry points (extern "C"). */
#define GPU_CUDA_MODULE    "computedb-cuda.so"
#define GPU_CUDA_ENTRY     "computedb_cuda_backend"
#define GPU_CUDA_ABI_ENTRY "computedb_cuda_abi"

/* The CPU backend (always available, one device). */
const struct gpu_backend *gpu_backend_cpu(void);
/* The CUDA backend from the loadable module (gpu_cuda.cu, built where
 * nvcc is found), loaded on first use: $COMPUTEDB_CUDA_MODULE when set,
 * else computedb-cuda.so beside the executable, else in
 * ../lib/computedb/ from it; found there, it is loaded only on a host with
 * the NVIDIA driver (a module named in the environment is loaded anyway).
 * NULL when there is none or it does not load; gpu_cuda_why() then says
 * why. Only this maps the CUDA libraries, so a process that never asks for
 * the CUDA backend, or runs where no driver is, never loads them.
 * Thread-safe. */
const struct gpu_backend *gpu_backend_cuda(void);
/* Why gpu_backend_cuda() returned NULL ("" before it was called or when
 * it loaded); static storage. */
const char *gpu_cuda_why(void);
/* True when a CUDA module file is where gpu_backend_cuda() looks, without
 * loading it (for GET /version). */
bool gpu_cuda_present(void);

/* Chooses a backend. pref is "cpu", "cuda", "auto" or NULL (then the
 * environment's COMPUTEDB_POG_BACKEND, else "auto"). auto takes CUDA when it
 * is compiled in, sees a device and device 0 passes its self-test, and
 * otherwise the CPU, logging why. "cuda" without a usable device is
 * SVC_ERR_NO_GPU (why says why); an unknown name is SVC_ERR_INVALID.
 * *n_devices gets the backend's device count. */
SVC_NODISCARD enum svc_rc gpu_backend_select(const char *pref,
                                             const struct gpu_backend **out,
                                             int *n_devices, char *why,
                                             size_t cap);

/* The retained result of one compute round on a worker: parameters, Merkle
 * tree and stage times. C itself stays in the backend. */
struct gpu_round {
    uint64_t seed_a, seed_b;
    uint32_t n;
    enum gpu_accum accum; /* what ran */
    struct pog_merkle *tree;
    struct gpu_round_times t;
};

/* Runs backend compute, then builds the Merkle tree on the host. Returns a
 * new round in *out (free with gpu_round_free) or the backend's error. */
SVC_NODISCARD enum svc_rc gpu_round_run(const struct gpu_backend *be,
                                        struct gpu_worker *w, uint64_t seed_a,
                                        uint64_t seed_b, uint32_t n,
                                        enum gpu_accum accum,
                                        const struct gpu_stop *stop,
                                        struct gpu_round **out);
void gpu_round_free(struct gpu_round *r); /* NULL is fine */
const uint8_t *gpu_round_root(const struct gpu_round *r);

/* Opens challenge row i of the round retained on w: row (n floats) and its
 * proof (depth(n) siblings into sib[cap]). SVC_ERR_INVALID for i >= n. */
SVC_NODISCARD enum svc_rc
gpu_round_open(const struct gpu_backend *be, struct gpu_worker *w,
               const struct gpu_round *r, uint32_t i, float *row,
               uint8_t (*sib)[POG_HASH_LEN], size_t cap, size_t *n_sib);

/* Device info as a new JSON object, or NULL on out of memory. */
struct json_t *gpu_device_info_json(const struct gpu_device_info *d);
/* Stage times as the reference's Timings object plus our extra keys. */
struct json_t *gpu_round_times_json(const struct gpu_round_times *t,
                                    uint32_t n);

#ifdef __cplusplus
}
#endif

#endif
