/* SPDX-License-Identifier: MIT */
/* Whether tests/gpu/test_cuda.c runs, skips or fails (docs/pog.md 5.2): it
 * may skip (exit 77) only where this host has no NVIDIA GPU or this build
 * has no CUDA module. A host that shows a GPU (nvidia-smi -L lists one or
 * /dev/nvidia0 exists) but where CUDA does not start (no driver library, a
 * driver older than the toolkit, no device answering) fails, so a broken
 * GPU host never reads "skipped". Pure: the unit test feeds it fakes. */
#ifndef TESTS_GPU_CUDA_START_H
#define TESTS_GPU_CUDA_START_H

#include <stdbool.h>

enum cuda_start_verdict {
    CUDA_START_RUN,  /* the backend loaded and counts devices */
    CUDA_START_SKIP, /* exit 77: nothing here to test */
    CUDA_START_FAIL, /* exit 1: a GPU is here but CUDA does not start */
};

struct cuda_start_facts {
    bool gpu_present;  /* nvidia-smi -L lists a GPU, or /dev/nvidia0 exists */
    bool module_built; /* this build has the CUDA module */
    bool loaded;       /* gpu_backend_cuda() returned the backend */
    int devices;       /* its device_count(); ignored when not loaded */
};

static inline enum cuda_start_verdict
cuda_start_decide(const struct cuda_start_facts *f)
{
    if (f->module_built && f->loaded && f->devices > 0)
        return CUDA_START_RUN;
    if (!f->module_built || !f->gpu_present)
        return CUDA_START_SKIP;
    return CUDA_START_FAIL;
}

#endif
