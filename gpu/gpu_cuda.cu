/* SPDX-License-Identifier: MIT */
/* The CUDA/cuBLAS backend (docs/pog.md 2.2-2.7): the generator and row SHA-256
 * kernels run the shared POG_HD code from pog_prng.h and pog_sha256.h,
 * GEMMs are cuBLAS with default math (never TF32 or emulation), C stays on
 * the device for proofs, VRAM is checked before every allocation, and every
 * CUDA and cuBLAS status goes through CUDA_TRY. Row-major C = A x B is the
 * column-major product C^T = B^T A^T, so the operands go in swapped. A
 * worker is used by one thread; device_count() is thread-safe. */
extern "C" {
#include "core/clock.h"
#include "pog.h" /* the pure arithmetic, gpu/pog.c */
}
#include "gpu.h"
#include "pog_prng.h"
#include "pog_sha256.h"

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

namespace
{

constexpr size_t WORKSPACE = 32u << 20;  /* cuBLAS workspace, as torch */
constexpr size_t VRAM_SLACK = 64u << 20; /* kept free for the runtime */
constexpr unsigned PROBE_N = 2048;       /* fp64-rate probe size */

} // namespace

struct gpu_worker {
    int dev;
    struct gpu_opts o;
    cudaStream_t stream;
    cublasHandle_t blas;
    void *workspace;
    cudaEvent_t ev0, ev1;
    cudaEvent_t pe[2];           /* the ends of two GEMM panels in flight */
    struct gpu_device_info info; /* static properties */
    bool sticky;                 /* a sticky error: re-create the worker */
    void *c;                     /* retained C (float or double) */
    uint32_t n;
    bool c_f64;
    char err[GPU_ERR_MAX];
};

/* ---- status handling ---------------------------------------------------- */

static enum svc_rc failf(struct gpu_worker *w, enum svc_rc rc, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

static enum svc_rc failf(struct gpu_worker *w, enum svc_rc rc, const char *fmt,
                         ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->err, sizeof(w->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* Errors after which the context is unusable until a reset. */
static bool is_sticky(cudaError_t e)
{
    switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorECCUncorrectable:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
        return true;
    default:
        return false;
    }
}

/* The one place a cudaError_t becomes an svc_rc. */
static enum svc_rc check(struct gpu_worker *w, cudaError_t e, const char *what,
                         int line)
{
    if (e == cudaSuccess)
        return SVC_OK;
    (void)cudaGetLastError(); /* clear a non-sticky error */
    if (is_sticky(e))
        w->sticky = true;
    if (!w->err[0]) /* keep the first failure of an operation: the cause */
        failf(w, SVC_ERR_GPU, "%s: %s (gpu_cuda.cu:%d)", cudaGetErrorName(e),
              what, line);
    return e == cudaErrorMemoryAllocation ? SVC_ERR_NO_VRAM : SVC_ERR_GPU;
}

/* cuBLAS failures that leave the handle or the device unusable. */
static bool is_sticky(cublasStatus_t s)
{
    switch (s) {
    case CUBLAS_STATUS_NOT_INITIALIZED:
    case CUBLAS_STATUS_EXECUTION_FAILED:
    case CUBLAS_STATUS_INTERNAL_ERROR:
    case CUBLAS_STATUS_MAPPING_ERROR:
    case CUBLAS_STATUS_ARCH_MISMATCH:
        return true;
    default:
        return false;
    }
}

/* ... and the one place a cublasStatus_t does: a broken handle marks the
 * worker unhealthy as a sticky CUDA error does, so the pool re-opens it. */
static enum svc_rc check(struct gpu_worker *w, cublasStatus_t s,
                         const char *what, int line)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return SVC_OK;
    if (is_sticky(s))
        w->sticky = true;
    if (!w->err[0])
        failf(w, SVC_ERR_GPU, "%s: %s (gpu_cuda.cu:%d)", cublasGetStatusName(s),
              what, line);
    return s == CUBLAS_STATUS_ALLOC_FAILED ? SVC_ERR_NO_VRAM : SVC_ERR_GPU;
}

/* Every backend operation starts here, so a failure reports its own cause
 * and never an older operation's (check() keeps the first error). */
static void begin(struct gpu_worker *w)
{
    w->err[0] = '\0';
}

/* Every CUDA runtime and cuBLAS call goes through here; needs `rc`, `w` and
 * an `out:` label in the caller. Kernel launches are followed by
 * CUDA_TRY(cudaGetLastError()). */
#define CUDA_TRY(call)                                                         \
    do {                                                                       \
        rc = check(w, (call), #call, __LINE__);                                \
        if (rc != SVC_OK)                                                      \
            goto out;                                                          \
    } while (0)

/* ---- kernels ------------------------------------------------------------ */

__device__ static inline void store(float *p, float v)
{
    *p = v;
}

__device__ static inline void store(double *p, float v)
{
    *p = (double)v; /* fp64 mode: the float32-rounded value, widened */
}

/* m[i][j] = f(xs^10(seed + i + j)); x over columns, y strides over rows. */
template <typename T>
__global__ void gen_kernel(T *m, uint64_t seed, uint32_t n)
{
    uint32_t j = blockIdx.x * blockDim.x + threadIdx.x;

    if (j >= n)
        return;
    for (uint32_t i = blockIdx.y; i < n; i += gridDim.y)
        store(&m[(size_t)i * n + j], pog_prng_elem(seed, i, j));
}

__device__ static inline void leaf(const float *row, uint32_t n, uint8_t *out)
{
    pog_leaf_f32(row, n, out);
}

__device__ static inline void leaf(const double *row, uint32_t n, uint8_t *out)
{
    pog_leaf_f64(row, n, out);
}

/* One thread per row: leaves[i] = SHA-256(row i as float32). */
template <typename T>
__global__ void hash_kernel(const T *c, uint32_t n, uint8_t *leaves)
{
    uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    uint8_t d[POG_HASH_LEN];

    if (i >= n)
        return;
    leaf(c + (size_t)i * n, n, d);
    for (int t = 0; t < POG_HASH_LEN; t++)
        leaves[(size_t)i * POG_HASH_LEN + t] = d[t];
}

__device__ static inline float bench_value(uint64_t k)
{
    uint64_t z = (k + 1) * 0x9e3779b97f4a7c15ull;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (float)((double)((z >> 40) | 1) / 8388608.0 - 1.0); /* != 0 */
}

__device__ static inline void put(float *p, float v)
{
    *p = v;
}

__device__ static inline void put(__half *p, float v)
{
    *p = __float2half_rn(v);
}

__device__ static inline void put(double *p, float v)
{
    *p = (double)v;
}

/* Uniform [-1, 1) benchmark data, never zero (zeros run faster). */
template <typename T>
__global__ void fill_kernel(T *m, uint64_t count, uint64_t salt)
{
    uint64_t stride = (uint64_t)gridDim.x * blockDim.x;

    for (uint64_t k = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
         k < count; k += stride)
        put(&m[k], bench_value(k ^ salt));
}

/* ---- host helpers ------------------------------------------------------- */

/* cudaMalloc after checking free memory, so a job fails with "insufficient
 * VRAM" instead of the allocator's error deep inside a stage. */
static enum svc_rc dev_alloc(struct gpu_worker *w, void **p, size_t bytes,
                             const char *what)
{
    size_t fr = 0, tot = 0;
    enum svc_rc rc = SVC_OK;

    CUDA_TRY(cudaMemGetInfo(&fr, &tot));
    if (bytes > fr || fr - bytes < VRAM_SLACK) {
        rc = failf(w, SVC_ERR_NO_VRAM,
                   "insufficient VRAM for %s: need %zu bytes, %zu free", what,
                   bytes, fr);
        goto out;
    }
    CUDA_TRY(cudaMalloc(p, bytes));
out:
    return rc;
}

/* cudaFree through the status check; keeps the caller's rc. */
static void dev_free(struct gpu_worker *w, void **p)
{
    if (*p)
        (void)check(w, cudaFree(*p), "cudaFree", __LINE__);
    *p = NULL;
}

/* Drains the stream (a stopped operation may still have work queued),
 * then frees a, b and c; keeps the caller's rc. */
static void drain_free(struct gpu_worker *w, void **a, void **b, void **c)
{
    (void)check(w, cudaStreamSynchronize(w->stream), "sync", __LINE__);
    dev_free(w, a);
    dev_free(w, b);
    dev_free(w, c);
}

/* Waits for ev on the worker's stream, polling every millisecond. */
static enum svc_rc wait_event(struct gpu_worker *w, cudaEvent_t ev)
{
    struct timespec ms = {0, 1000000};
    cudaError_t e;

    while ((e = cudaEventQuery(ev)) == cudaErrorNotReady)
        nanosleep(&ms, NULL);
    return check(w, e, "cudaEventQuery", __LINE__);
}

/* ms from e0 to e1 (both complete), added to *acc in seconds. */
static enum svc_rc add_elapsed(struct gpu_worker *w, cudaEvent_t e0,
                               cudaEvent_t e1, double *acc)
{
    enum svc_rc rc = SVC_OK;
    float ms = 0;

    CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
    *acc += ms / 1e3;
out:
    return rc;
}

/* Records ev1, waits for it and adds ev0 -> ev1 to *acc (seconds). */
static enum svc_rc timed_wait(struct gpu_worker *w, double *acc)
{
    enum svc_rc rc = SVC_OK;

    CUDA_TRY(cudaEventRecord(w->ev1, w->stream));
    if ((rc = wait_event(w, w->ev1)) == SVC_OK)
        rc = add_elapsed(w, w->ev0, w->ev1, acc);
out:
    return rc;
}

static enum svc_rc stop_check(const struct gpu_stop *stop)
{
    return stop && stop->check ? stop->check(stop->ctx) : SVC_OK;
}

template <typename T>
static enum svc_rc launch_gen(struct gpu_worker *w, T *m, uint64_t seed,
                              uint32_t n)
{
    dim3 block(256), grid((n + 255) / 256, n < 4096 ? n : 4096);
    enum svc_rc rc = SVC_OK;

    gen_kernel<T><<<grid, block, 0, w->stream>>>(m, seed, n);
    CUDA_TRY(cudaGetLastError());
out:
    return rc;
}

template <typename T>
static enum svc_rc launch_hash(struct gpu_worker *w, const T *c, uint32_t n,
                               uint8_t *leaves)
{
    enum svc_rc rc = SVC_OK;

    hash_kernel<T><<<(n + 63) / 64, 64, 0, w->stream>>>(c, n, leaves);
    CUDA_TRY(cudaGetLastError());
out:
    return rc;
}

template <typename T>
static enum svc_rc launch_fill(struct gpu_worker *w, T *m, uint64_t count,
                               uint64_t salt)
{
    enum svc_rc rc = SVC_OK;

    fill_kernel<T><<<1024, 256, 0, w->stream>>>(m, count, salt);
    CUDA_TRY(cudaGetLastError());
out:
    return rc;
}

/* Rows r0..r0+rows of row-major C = A x B. In column-major terms that is
 * C^T (n x rows) = B^T (n x n) * A^T (n x rows): B goes first. */
static cublasStatus_t gemm_rows(struct gpu_worker *w, bool f64, const void *a,
                                const void *b, void *c, uint32_t n, uint32_t r0,
                                uint32_t rows)
{
    const int ni = (int)n, ri = (int)rows;
    const size_t off = (size_t)r0 * n;

    if (f64) {
        const double one = 1.0, zero = 0.0;

        return cublasDgemm(w->blas, CUBLAS_OP_N, CUBLAS_OP_N, ni, ri, ni, &one,
                           (const double *)b, ni, (const double *)a + off, ni,
                           &zero, (double *)c + off, ni);
    }
    const float one = 1.0f, zero = 0.0f;

    return cublasSgemm(w->blas, CUBLAS_OP_N, CUBLAS_OP_N, ni, ri, ni, &one,
                       (const float *)b, ni, (const float *)a + off, ni, &zero,
                       (float *)c + off, ni);
}

/* The benchmark GEMM: fp16 in and out with fp32 accumulation (what torch
 * runs), or true FP32. */
static cublasStatus_t gemm_bench(struct gpu_worker *w, enum gpu_prec prec,
                                 const void *a, const void *b, void *c,
                                 uint32_t n)
{
    const float one = 1.0f, zero = 0.0f;
    const int ni = (int)n;

    if (prec == GPU_PREC_FP16)
        return cublasGemmEx(w->blas, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &one,
                            b, CUDA_R_16F, ni, a, CUDA_R_16F, ni, &zero, c,
                            CUDA_R_16F, ni, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT);
    return gemm_rows(w, false, a, b, c, n, 0, n);
}

/* ---- worker lifecycle --------------------------------------------------- */

static void cuda_release(struct gpu_worker *w)
{
    dev_free(w, &w->c);
    w->n = 0;
}

/* Device, stream, cuBLAS handle (default math: no TF32, no emulation),
 * workspace and events. */
static enum svc_rc open_device(struct gpu_worker *w)
{
    cudaDeviceProp prop;
    enum svc_rc rc = SVC_OK;
    cudaError_t e;
    size_t len;

    CUDA_TRY(cudaSetDevice(w->dev));
    e = cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync);
    if (e == cudaErrorSetOnActiveProcess) {
        /* The context exists already (flags fixed): clear it, go on. */
        (void)cudaGetLastError();
        e = cudaSuccess;
    }
    CUDA_TRY(e);
    CUDA_TRY(cudaGetDeviceProperties(&prop, w->dev));
    snprintf(w->info.backend, sizeof(w->info.backend), "cuda");
    len = strnlen(prop.name, sizeof(prop.name));
    if (len >= sizeof(w->info.name))
        len = sizeof(w->info.name) - 1;
    memcpy(w->info.name, prop.name, len);
    w->info.name[len] = '\0';
    w->info.index = w->dev;
    w->info.cc_major = prop.major;
    w->info.cc_minor = prop.minor;
    w->info.sm_count = prop.multiProcessorCount;
    w->info.total_bytes = prop.totalGlobalMem;
    CUDA_TRY(cudaStreamCreateWithFlags(&w->stream, cudaStreamNonBlocking));
    CUDA_TRY(cublasCreate(&w->blas));
    CUDA_TRY(cublasSetStream(w->blas, w->stream));
    CUDA_TRY(cublasSetMathMode(w->blas, CUBLAS_DEFAULT_MATH));
    rc = dev_alloc(w, &w->workspace, WORKSPACE, "the cuBLAS workspace");
    if (rc)
        goto out;
    CUDA_TRY(cublasSetWorkspace(w->blas, w->workspace, WORKSPACE));
    CUDA_TRY(cudaEventCreate(&w->ev0));
    CUDA_TRY(cudaEventCreate(&w->ev1));
    CUDA_TRY(cudaEventCreate(&w->pe[0]));
    CUDA_TRY(cudaEventCreate(&w->pe[1]));
out:
    return rc;
}

/* Times reps GEMMs of PROBE_N (fp64 or fp32) on the probe buffers. */
static enum svc_rc probe_time(struct gpu_worker *w, bool f64, void *a, void *b,
                              void *c, double *sec)
{
    enum svc_rc rc = SVC_OK;

    CUDA_TRY(gemm_rows(w, f64, a, b, c, PROBE_N, 0, PROBE_N)); /* warm-up */
    CUDA_TRY(cudaEventRecord(w->ev0, w->stream));
    for (int r = 0; r < 3; r++)
        CUDA_TRY(gemm_rows(w, f64, a, b, c, PROBE_N, 0, PROBE_N));
    rc = timed_wait(w, sec);
out:
    return rc;
}

/* A and B of the probe as T (the stream orders it after earlier use). */
template <typename T>
static enum svc_rc probe_fill(struct gpu_worker *w, void *a, void *b)
{
    const uint64_t cnt = (uint64_t)PROBE_N * PROBE_N;
    enum svc_rc rc = launch_fill(w, (T *)a, cnt, 1);

    return rc ? rc : launch_fill(w, (T *)b, cnt, 2);
}

/* Loads the GEMM kernels (lazy module loading) and decides fp64_fast from
 * an SGEMM on float and a DGEMM on double data (pog_fp64_fast()). */
static enum svc_rc warm_up(struct gpu_worker *w)
{
    size_t bytes = (size_t)PROBE_N * PROBE_N * sizeof(double);
    void *a = NULL, *b = NULL, *c = NULL;
    double ts = 0, td = 0;
    enum svc_rc rc = SVC_OK;

    if ((rc = dev_alloc(w, &a, bytes, "the warm-up")) ||
        (rc = dev_alloc(w, &b, bytes, "the warm-up")) ||
        (rc = dev_alloc(w, &c, bytes, "the warm-up")) ||
        (rc = probe_fill<__half>(w, a, b)))
        goto out;
    CUDA_TRY(gemm_bench(w, GPU_PREC_FP16, a, b, c, 256));
    if ((rc = probe_fill<float>(w, a, b)) ||
        (rc = probe_time(w, false, a, b, c, &ts)) ||
        (rc = probe_fill<double>(w, a, b)) ||
        (rc = probe_time(w, true, a, b, c, &td)))
        goto out;
    w->info.fp64_fast = pog_fp64_fast(ts, td);
out:
    drain_free(w, &a, &b, &c);
    return rc;
}

/* Generates, hashes and copies back an n x n matrix on the device and
 * compares every element and leaf with the host code, bit for bit. */
static enum svc_rc selftest_n(struct gpu_worker *w, uint32_t n, uint64_t seed)
{
    size_t cnt = (size_t)n * n;
    void *dm = NULL, *dd = NULL, *dl = NULL;
    float *hm = (float *)malloc(cnt * sizeof(float));
    double *hd = (double *)malloc(cnt * sizeof(double));
    uint8_t *hl = (uint8_t *)malloc((size_t)n * POG_HASH_LEN), ref[32];
    enum svc_rc rc = SVC_OK;

    if (!hm || !hd || !hl) {
        rc = failf(w, SVC_ERR_NOMEM, "self-test: out of memory");
        goto out;
    }
    if ((rc = dev_alloc(w, &dm, cnt * 4, "the self-test")) ||
        (rc = dev_alloc(w, &dd, cnt * 8, "the self-test")) ||
        (rc = dev_alloc(w, &dl, (size_t)n * POG_HASH_LEN, "the self-test")) ||
        (rc = launch_gen(w, (float *)dm, seed, n)) ||
        (rc = launch_gen(w, (double *)dd, seed, n)) ||
        (rc = launch_hash(w, (const double *)dd, n, (uint8_t *)dl)))
        goto out;
    CUDA_TRY(
        cudaMemcpyAsync(hm, dm, cnt * 4, cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(
        cudaMemcpyAsync(hd, dd, cnt * 8, cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(cudaMemcpyAsync(hl, dl, (size_t)n * POG_HASH_LEN,
                             cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    for (size_t k = 0; k < cnt && rc == SVC_OK; k++)
        if (pog_f32_bits(hm[k]) !=
                pog_f32_bits(pog_prng_elem(seed, 0, k / n + k % n)) ||
            hd[k] != (double)hm[k])
            rc = failf(w, SVC_ERR_GPU,
                       "self-test: generator differs at "
                       "n=%u element %zu",
                       n, k);
    for (uint32_t i = 0; i < n && rc == SVC_OK; i++) {
        pog_leaf_f32(hm + (size_t)i * n, n, ref);
        if (memcmp(ref, hl + (size_t)i * POG_HASH_LEN, POG_HASH_LEN))
            rc = failf(w, SVC_ERR_GPU,
                       "self-test: leaf differs at n=%u row "
                       "%u",
                       n, i);
    }
out:
    dev_free(w, &dm);
    dev_free(w, &dd);
    dev_free(w, &dl);
    free(hm);
    free(hd);
    free(hl);
    return rc;
}

static enum svc_rc cuda_selftest(struct gpu_worker *w, char *why, size_t cap)
{
    /* 64: whole blocks; 14 and 17: the extra padding block and a tail. */
    static const uint32_t sizes[] = {64, 14, 17, 1};
    static const uint64_t seeds[] = {42, 0xffffffffffffffffull, 4294967295u, 7};
    enum svc_rc rc = SVC_OK;

    begin(w);
    for (size_t k = 0; k < 4 && rc == SVC_OK; k++)
        rc = selftest_n(w, sizes[k], seeds[k]);
    if (rc)
        snprintf(why, cap, "%s", w->err);
    return rc;
}

static void cuda_worker_free(struct gpu_worker *w)
{
    if (!w)
        return;
    if (w->stream)
        (void)check(w, cudaStreamSynchronize(w->stream), "sync", __LINE__);
    cuda_release(w);
    dev_free(w, &w->workspace);
    if (w->ev0)
        (void)check(w, cudaEventDestroy(w->ev0), "event", __LINE__);
    if (w->ev1)
        (void)check(w, cudaEventDestroy(w->ev1), "event", __LINE__);
    for (int k = 0; k < 2; k++)
        if (w->pe[k])
            (void)check(w, cudaEventDestroy(w->pe[k]), "event", __LINE__);
    if (w->blas)
        (void)check(w, cublasDestroy(w->blas), "cublasDestroy", __LINE__);
    if (w->stream)
        (void)check(w, cudaStreamDestroy(w->stream), "stream", __LINE__);
    /* A sticky error poisons the context: reset so a new worker starts
     * clean (one worker per device, so nobody else is using it). */
    if (w->sticky)
        (void)check(w, cudaDeviceReset(), "cudaDeviceReset", __LINE__);
    free(w);
}

static enum svc_rc cuda_worker_new(int dev, const struct gpu_opts *opts,
                                   struct gpu_worker **out, char *why,
                                   size_t cap)
{
    struct gpu_worker *w = (struct gpu_worker *)calloc(1, sizeof(*w));
    enum svc_rc rc;

    if (!w)
        return SVC_ERR_NOMEM;
    w->dev = dev;
    w->o = *opts;
    if (!w->o.panels)
        w->o.panels = 8;
    rc = open_device(w);
    if (rc == SVC_OK)
        rc = warm_up(w);
    if (rc == SVC_OK)
        rc = cuda_selftest(w, why, cap);
    if (rc) {
        snprintf(why, cap, "%s", w->err);
        cuda_worker_free(w);
        return rc;
    }
    *out = w;
    return SVC_OK;
}

/* ---- backend operations ------------------------------------------------- */

static int cuda_device_count(char *why, size_t cap)
{
    cudaError_t e;
    int n = 0;

    /* No worker yet, so no CUDA_TRY: no driver gives 35 (insufficient
     * driver), a driver without a GPU 100 (no device). */
    e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        int drv = 0;

        /* Say which side is too old: 0 when no driver is installed. */
        (void)cudaDriverGetVersion(&drv);
        snprintf(why, cap,
                 "CUDA: %s: %s (the driver supports CUDA %d.%d; this build's "
                 "runtime, CUDART_VERSION %d, needs CUDA %d.%d)",
                 cudaGetErrorName(e), cudaGetErrorString(e), drv / 1000,
                 drv % 1000 / 10, CUDART_VERSION, CUDART_VERSION / 1000,
                 CUDART_VERSION % 1000 / 10);
        (void)cudaGetLastError();
        return 0;
    }
    if (n == 0)
        snprintf(why, cap, "CUDA: no device");
    return n;
}

static enum svc_rc cuda_info(struct gpu_worker *w, struct gpu_device_info *out)
{
    size_t fr = 0, tot = 0;
    enum svc_rc rc = SVC_OK;
    double side;

    begin(w);
    CUDA_TRY(cudaMemGetInfo(&fr, &tot));
    *out = w->info;
    out->free_bytes = fr;
    /* fp32 compute needs A, B and C: 12 n^2 bytes of the whole card. */
    side = sqrt((double)w->info.total_bytes / 12.0);
    out->max_n = side >= POG_MAX_N ? (uint32_t)POG_MAX_N : (uint32_t)side;
out:
    return rc;
}

static enum svc_rc cuda_memory(struct gpu_worker *w, uint64_t *free_bytes,
                               uint64_t *total_bytes)
{
    size_t fr = 0, tot = 0;
    enum svc_rc rc = SVC_OK;

    begin(w);
    cuda_release(w);
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    CUDA_TRY(cudaMemGetInfo(&fr, &tot));
    *free_bytes = fr;
    *total_bytes = tot;
out:
    return rc;
}

/* Starts an operation on three n x n device matrices (A, B, C) of bytes
 * each: a clean error text, no retained C, n in range, the memory. */
static enum svc_rc start_three(struct gpu_worker *w, uint32_t n, size_t bytes,
                               void **a, void **b, void **c)
{
    enum svc_rc rc;

    begin(w);
    cuda_release(w);
    if (n == 0 || n > POG_MAX_N)
        return failf(w, SVC_ERR_INVALID, "n=%u out of range", n);
    if ((rc = dev_alloc(w, a, bytes, "A")) ||
        (rc = dev_alloc(w, b, bytes, "B")))
        return rc;
    return dev_alloc(w, c, bytes, "C");
}

static enum svc_rc cuda_bench(struct gpu_worker *w, enum gpu_prec prec,
                              uint32_t n, const struct gpu_stop *stop,
                              double *seconds)
{
    size_t es = prec == GPU_PREC_FP16 ? 2 : 4, cnt = (size_t)n * n;
    void *a = NULL, *b = NULL, *c = NULL;
    double t = 0;
    enum svc_rc rc = SVC_OK;

    if ((rc = start_three(w, n, cnt * es, &a, &b, &c)))
        goto out;
    rc = prec == GPU_PREC_FP16 ? launch_fill(w, (__half *)a, cnt, 11)
                               : launch_fill(w, (float *)a, cnt, 11);
    if (rc ||
        (rc = prec == GPU_PREC_FP16 ? launch_fill(w, (__half *)b, cnt, 12)
                                    : launch_fill(w, (float *)b, cnt, 12)))
        goto out;
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    if ((rc = stop_check(stop)))
        goto out;
    /* A warm-up of the same shape loads the kernel and settles cuBLAS's
     * choice; the start event follows it on the stream, so the timed GEMM
     * is queued behind running work and the window holds only its run. */
    CUDA_TRY(gemm_bench(w, prec, a, b, c, n));
    CUDA_TRY(cudaEventRecord(w->ev0, w->stream));
    CUDA_TRY(gemm_bench(w, prec, a, b, c, n));
    if ((rc = timed_wait(w, &t)))
        goto out;
    *seconds = t;
out:
    drain_free(w, &a, &b, &c);
    return rc;
}

/* fp64 where asked, or where AUTO picks it (full-rate FP64) and it fits. */
static enum gpu_accum pick_accum(struct gpu_worker *w, enum gpu_accum a,
                                 uint32_t n, size_t free_b)
{
    size_t need64 = 3 * (size_t)n * n * 8 + (size_t)n * 32 + VRAM_SLACK;

    if (a != GPU_ACCUM_AUTO)
        return a;
    if (w->o.accum != GPU_ACCUM_AUTO)
        return w->o.accum;
    return w->info.fp64_fast && need64 <= free_b ? GPU_ACCUM_FP64
                                                 : GPU_ACCUM_FP32;
}

struct round_bufs {
    void *a, *b, *leaves;
};

/* Generates A and B, then C = A x B in row panels. Each panel is queued
 * behind running work (the generation or the previous panel) before the
 * host waits for that work and checks the stop, so the stream never idles
 * between stages, a panel's launch overhead stays out of the GPU's
 * timeline, and a cancel is seen within two panels. The GEMM's time runs
 * from the end of the generation to the end of the last panel. */
static enum svc_rc gen_gemm(struct gpu_worker *w, struct round_bufs *rb,
                            bool f64, uint64_t sa, uint64_t sb, uint32_t n,
                            const struct gpu_stop *stop,
                            struct gpu_round_times *t)
{
    uint32_t step = (n + w->o.panels - 1) / w->o.panels, k = 0;
    cudaEvent_t prev = w->ev1;
    enum svc_rc rc = SVC_OK;

    CUDA_TRY(cudaEventRecord(w->ev0, w->stream));
    if (f64)
        rc = launch_gen(w, (double *)rb->a, sa, n);
    else
        rc = launch_gen(w, (float *)rb->a, sa, n);
    if (rc == SVC_OK)
        rc = f64 ? launch_gen(w, (double *)rb->b, sb, n)
                 : launch_gen(w, (float *)rb->b, sb, n);
    if (rc)
        goto out;
    CUDA_TRY(cudaEventRecord(w->ev1, w->stream));
    for (uint32_t r0 = 0; r0 < n; r0 += step, k++) {
        uint32_t rows = n - r0 < step ? n - r0 : step;

        CUDA_TRY(gemm_rows(w, f64, rb->a, rb->b, w->c, n, r0, rows));
        CUDA_TRY(cudaEventRecord(w->pe[k & 1], w->stream));
        if ((rc = wait_event(w, prev)) || (rc = stop_check(stop)))
            goto out;
        prev = w->pe[k & 1];
    }
    if ((rc = wait_event(w, prev)) ||
        (rc = add_elapsed(w, w->ev0, w->ev1, &t->generate_s)) ||
        (rc = add_elapsed(w, w->ev1, prev, &t->multiply_s)))
        goto out;
out:
    return rc;
}

/* Row hashes on the device, then the leaves (32n bytes) to the host. */
static enum svc_rc hash_rows(struct gpu_worker *w, struct round_bufs *rb,
                             uint32_t n, uint8_t (*leaves)[POG_HASH_LEN],
                             struct gpu_round_times *t)
{
    enum svc_rc rc = SVC_OK;
    double h0;

    CUDA_TRY(cudaEventRecord(w->ev0, w->stream));
    rc = w->c_f64
             ? launch_hash(w, (const double *)w->c, n, (uint8_t *)rb->leaves)
             : launch_hash(w, (const float *)w->c, n, (uint8_t *)rb->leaves);
    if (rc || (rc = timed_wait(w, &t->hash_s)))
        goto out;
    h0 = clock_mono_s();
    CUDA_TRY(cudaMemcpyAsync(leaves, rb->leaves, (size_t)n * POG_HASH_LEN,
                             cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    t->transfer_s = clock_mono_s() - h0;
out:
    return rc;
}

static enum svc_rc cuda_compute(struct gpu_worker *w, uint64_t seed_a,
                                uint64_t seed_b, uint32_t n,
                                enum gpu_accum accum,
                                const struct gpu_stop *stop,
                                uint8_t (*leaves)[POG_HASH_LEN],
                                struct gpu_round_times *t, enum gpu_accum *used)
{
    struct round_bufs rb = {NULL, NULL, NULL};
    size_t fr = 0, tot = 0, bytes;
    enum svc_rc rc = SVC_OK;

    begin(w);
    cuda_release(w);
    memset(t, 0, sizeof(*t));
    if (n == 0 || n > POG_MAX_N) {
        rc = failf(w, SVC_ERR_INVALID, "n=%u out of range", n);
        goto out;
    }
    CUDA_TRY(cudaMemGetInfo(&fr, &tot));
    accum = pick_accum(w, accum, n, fr);
    w->c_f64 = accum == GPU_ACCUM_FP64;
    bytes = (size_t)n * n * (w->c_f64 ? 8 : 4);
    if ((rc = dev_alloc(w, &rb.a, bytes, "A")) ||
        (rc = dev_alloc(w, &rb.b, bytes, "B")) ||
        (rc = dev_alloc(w, &w->c, bytes, "C")) ||
        (rc = dev_alloc(w, &rb.leaves, (size_t)n * POG_HASH_LEN, "leaves")))
        goto out;
    w->n = n;
    if ((rc = gen_gemm(w, &rb, w->c_f64, seed_a, seed_b, n, stop, t)))
        goto out;
    dev_free(w, &rb.a); /* A and B are done with; C stays for proofs */
    dev_free(w, &rb.b);
    if ((rc = hash_rows(w, &rb, n, leaves, t)))
        goto out;
    *used = accum;
out:
    drain_free(w, &rb.a, &rb.b, &rb.leaves);
    if (rc)
        cuda_release(w);
    return rc;
}

static enum svc_rc cuda_get_row(struct gpu_worker *w, uint32_t i, float *row)
{
    size_t n = w->n;
    double *tmp = NULL;
    enum svc_rc rc = SVC_OK;

    begin(w);
    if (!w->c || i >= w->n) {
        rc = failf(w, SVC_ERR_NOT_FOUND, "no retained row %u", i);
        goto out;
    }
    if (!w->c_f64) {
        CUDA_TRY(cudaMemcpyAsync(row, (const float *)w->c + (size_t)i * n,
                                 n * sizeof(float), cudaMemcpyDeviceToHost,
                                 w->stream));
        CUDA_TRY(cudaStreamSynchronize(w->stream));
        goto out;
    }
    tmp = (double *)malloc(n * sizeof(double));
    if (!tmp) {
        rc = failf(w, SVC_ERR_NOMEM, "out of memory");
        goto out;
    }
    CUDA_TRY(cudaMemcpyAsync(tmp, (const double *)w->c + (size_t)i * n,
                             n * sizeof(double), cudaMemcpyDeviceToHost,
                             w->stream));
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    for (size_t k = 0; k < n; k++)
        row[k] = (float)tmp[k]; /* as the hash kernel rounds */
out:
    free(tmp);
    return rc;
}

/* Test hook: the whole matrix on the device, one row and all leaves back. */
static enum svc_rc cuda_generate(struct gpu_worker *w, uint64_t seed,
                                 uint32_t n, bool f64, uint32_t row,
                                 double *row_out,
                                 uint8_t (*leaves)[POG_HASH_LEN])
{
    size_t es = f64 ? 8 : 4, off = (size_t)row * n;
    void *m = NULL, *dl = NULL;
    float *tmp = (float *)malloc((size_t)n * sizeof(float));
    enum svc_rc rc = SVC_OK;

    begin(w);
    cuda_release(w);
    if (!tmp || n == 0 || n > POG_MAX_N || row >= n) {
        rc = failf(w, SVC_ERR_INVALID, "generate: bad n=%u or row=%u", n, row);
        goto out;
    }
    if ((rc = dev_alloc(w, &m, (size_t)n * n * es, "the matrix")) ||
        (leaves &&
         (rc = dev_alloc(w, &dl, (size_t)n * POG_HASH_LEN, "leaves"))) ||
        (rc = f64 ? launch_gen(w, (double *)m, seed, n)
                  : launch_gen(w, (float *)m, seed, n)))
        goto out;
    if (leaves &&
        (rc = f64 ? launch_hash(w, (const double *)m, n, (uint8_t *)dl)
                  : launch_hash(w, (const float *)m, n, (uint8_t *)dl)))
        goto out;
    if (f64)
        CUDA_TRY(cudaMemcpyAsync(row_out, (const double *)m + off, n * es,
                                 cudaMemcpyDeviceToHost, w->stream));
    else
        CUDA_TRY(cudaMemcpyAsync(tmp, (const float *)m + off, n * es,
                                 cudaMemcpyDeviceToHost, w->stream));
    if (leaves)
        CUDA_TRY(cudaMemcpyAsync(leaves, dl, (size_t)n * POG_HASH_LEN,
                                 cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(cudaStreamSynchronize(w->stream));
    for (uint32_t k = 0; !f64 && k < n; k++)
        row_out[k] = tmp[k];
out:
    (void)check(w, cudaStreamSynchronize(w->stream), "sync", __LINE__);
    dev_free(w, &m);
    dev_free(w, &dl);
    free(tmp);
    return rc;
}

/* Test hook: c = a x b (row-major n x n, host memory) by gemm_rows(). */
static enum svc_rc cuda_gemm_f32(struct gpu_worker *w, uint32_t n,
                                 const float *a, const float *b, float *c)
{
    size_t bytes = (size_t)n * n * sizeof(float);
    void *da = NULL, *db = NULL, *dc = NULL;
    enum svc_rc rc = SVC_OK;

    if ((rc = start_three(w, n, bytes, &da, &db, &dc)))
        goto out;
    CUDA_TRY(cudaMemcpyAsync(da, a, bytes, cudaMemcpyHostToDevice, w->stream));
    CUDA_TRY(cudaMemcpyAsync(db, b, bytes, cudaMemcpyHostToDevice, w->stream));
    CUDA_TRY(gemm_rows(w, false, da, db, dc, n, 0, n));
    CUDA_TRY(cudaMemcpyAsync(c, dc, bytes, cudaMemcpyDeviceToHost, w->stream));
    CUDA_TRY(cudaStreamSynchronize(w->stream));
out:
    drain_free(w, &da, &db, &dc);
    return rc;
}

static bool cuda_healthy(struct gpu_worker *w)
{
    return !w->sticky;
}

static const char *cuda_last_error(struct gpu_worker *w)
{
    return w->err;
}

static const struct gpu_backend cuda_backend = {
    "cuda",          cuda_device_count, cuda_worker_new, cuda_worker_free,
    cuda_info,       cuda_memory,       cuda_bench,      cuda_compute,
    cuda_get_row,    cuda_release,      cuda_selftest,   cuda_healthy,
    cuda_last_error, cuda_generate,     cuda_gemm_f32,
};

/* The module's entry points, found by gpu/gpu_module.c with dlsym. */
extern "C" __attribute__((visibility("default"))) unsigned
computedb_cuda_abi(void)
{
    return GPU_BACKEND_ABI;
}

extern "C" __attribute__((visibility("default"))) const struct gpu_backend *
computedb_cuda_backend(void)
{
    return &cuda_backend;
}
