/* SPDX-License-Identifier: MIT */
/* Backend selection (docs/pog.md 5.1 item 14): cpu|cuda|auto from the argument
 * or COMPUTEDB_POG_BACKEND; auto falls back to the CPU where CUDA is not
 * built or no device works (this CI machine: no driver, error 35); asking
 * for cuda without a device is a clear error. */
#include "check.h"
#include "gpu/gpu.h"
#include "gpu/pool.h"

#include <stdlib.h>

static bool cuda_usable(void)
{
    const struct gpu_backend *cuda = gpu_backend_cuda();
    char why[GPU_ERR_MAX];

    return cuda && cuda->device_count(why, sizeof(why)) > 0;
}

int main(void)
{
    const struct gpu_backend *be = NULL;
    struct gpu_pool_opts o = {.backend_name = "cuda"};
    struct gpu_pool *p = NULL;
    char why[GPU_ERR_MAX];
    int n = 0;

    unsetenv("COMPUTEDB_POG_BACKEND");
    CHECK(gpu_backend_select("cpu", &be, &n, why, sizeof(why)) == SVC_OK);
    CHECK_STR_EQ(be->name, "cpu");
    CHECK_INT_EQ(n, 1);
    CHECK(gpu_backend_select("opencl", &be, &n, why, sizeof(why)) ==
          SVC_ERR_INVALID);
    CHECK(strstr(why, "opencl") != NULL);
    setenv("COMPUTEDB_POG_BACKEND", "cpu", 1);
    CHECK(gpu_backend_select(NULL, &be, &n, why, sizeof(why)) == SVC_OK);
    CHECK_STR_EQ(be->name, "cpu");
    setenv("COMPUTEDB_POG_BACKEND", "bogus", 1);
    CHECK(gpu_backend_select(NULL, &be, &n, why, sizeof(why)) ==
          SVC_ERR_INVALID);
    unsetenv("COMPUTEDB_POG_BACKEND");
    if (cuda_usable()) {
        fprintf(stderr, "note: a CUDA device is present\n");
        CHECK(gpu_backend_select("auto", &be, &n, why, sizeof(why)) == SVC_OK);
        CHECK_STR_EQ(be->name, "cuda");
        return 0;
    }
    /* No usable CUDA: auto is the CPU, cuda is an error that says why. */
    CHECK(gpu_backend_select("auto", &be, &n, why, sizeof(why)) == SVC_OK);
    CHECK_STR_EQ(be->name, "cpu");
    CHECK(gpu_backend_select(NULL, &be, &n, why, sizeof(why)) == SVC_OK);
    CHECK_STR_EQ(be->name, "cpu");
    CHECK(gpu_backend_select("cuda", &be, &n, why, sizeof(why)) ==
          SVC_ERR_NO_GPU);
    CHECK(why[0] != '\0');
    fprintf(stderr, "cuda unavailable: %s\n", why);
    if (gpu_backend_cuda())
        CHECK(strstr(why, "CUDA") != NULL);
    CHECK(gpu_pool_new(&o, &p, why, sizeof(why)) == SVC_ERR_NO_GPU);
    CHECK(p == NULL);
    return 0;
}
