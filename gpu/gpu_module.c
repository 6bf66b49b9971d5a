/* SPDX-License-Identifier: MIT */
/* Loads the CUDA backend, a shared module (computedb-cuda.so) built from
 * gpu_cuda.cu where nvcc is found, so one computedb binary runs on CPU-only
 * and GPU hosts and maps no CUDA library until the CUDA backend is asked
 * for.
 *
 * DESIGN: the first gpu_backend_cuda() call (under pthread_once) looks for
 * the module and, unless it was named in COMPUTEDB_CUDA_MODULE, first for
 * the NVIDIA driver (libcuda.so.1): on a host without one, loading the
 * module would map cuBLAS (about 150 MiB resident) only to fail, so it is
 * not loaded. Then it dlopens the module with RTLD_LOCAL (its copies of
 * our helpers stay its own), checks its ABI number and takes its backend
 * table. The result and the reason for a failure are then fixed for the
 * life of the process and read without locks. Nothing is unloaded: the
 * CUDA runtime inside the module may have started threads. */
#include "gpu.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct gpu_backend *loaded;
static char why_not[512];

/* The folder of the running executable, with a trailing '/'. */
static bool exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    char *slash;

    if (n <= 0 || (size_t)n >= cap - 1)
        return false;
    out[n] = '\0';
    slash = strrchr(out, '/');
    if (!slash)
        return false;
    slash[1] = '\0';
    return true;
}

/* Where the module is: the first candidate that exists, or false. */
static bool find_module(char *out, size_t cap)
{
    static const char *const beside[] = {"", "../lib/computedb/"};
    const char *env = getenv("COMPUTEDB_CUDA_MODULE");
    char dir[PATH_MAX];

    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return access(out, R_OK) == 0;
    }
    if (!exe_dir(dir, sizeof(dir)))
        return false;
    for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
        int n = snprintf(out, cap, "%s%s" GPU_CUDA_MODULE, dir, beside[i]);

        if (n > 0 && (size_t)n < cap && access(out, R_OK) == 0)
            return true;
    }
    return false;
}

typedef const struct gpu_backend *entry_fn(void);
typedef unsigned abi_fn(void);

/* The function named name in h, or NULL. ISO C has no conversion from
 * dlsym's void * to a function pointer; POSIX guarantees the bytes are
 * one, so they are copied. */
static void *symbol(void *h, const char *name, size_t fn_size)
{
    void *p = dlsym(h, name);

    return p && fn_size == sizeof(p) ? p : NULL;
}

/* True when the NVIDIA driver's library loads; why says why not. It stays
 * loaded: the module's CUDA runtime opens it again. */
static bool have_driver(void)
{
    if (dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL))
        return true;
    snprintf(why_not, sizeof(why_not),
             "no NVIDIA driver on this host (%.200s); the CUDA module was "
             "not loaded",
             dlerror());
    return false;
}

static void load(void)
{
    char path[PATH_MAX + 32];
    void *h, *p_abi, *p_entry;
    entry_fn *entry;
    abi_fn *abi;
    const char *named = getenv("COMPUTEDB_CUDA_MODULE");

    if (!find_module(path, sizeof(path))) {
        snprintf(why_not, sizeof(why_not),
                 "no CUDA backend: %.300s not found (built where nvcc is; "
                 "set COMPUTEDB_CUDA_MODULE to its path)",
                 named ? path : GPU_CUDA_MODULE);
        return;
    }
    if (!(named && *named) && !have_driver())
        return;
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why_not, sizeof(why_not),
                 "CUDA backend %.300s does not load: %.160s", path, dlerror());
        return;
    }
    p_abi = symbol(h, GPU_CUDA_ABI_ENTRY, sizeof(abi));
    p_entry = symbol(h, GPU_CUDA_ENTRY, sizeof(entry));
    memcpy(&abi, &p_abi, sizeof(abi));
    memcpy(&entry, &p_entry, sizeof(entry));
    if (!abi || !entry || abi() != GPU_BACKEND_ABI) {
        snprintf(why_not, sizeof(why_not),
                 "CUDA backend %.300s is from another build of computedb "
                 "(backend ABI %u, want %u); rebuild it with this one",
                 path, abi ? abi() : 0u, (unsigned)GPU_BACKEND_ABI);
        dlclose(h);
        return;
    }
    loaded = entry();
}

const struct gpu_backend *gpu_backend_cuda(void)
{
    pthread_once(&once, load);
    return loaded;
}

const char *gpu_cuda_why(void)
{
    return why_not;
}

bool gpu_cuda_present(void)
{
    char path[PATH_MAX + 32];

    return find_module(path, sizeof(path));
}
