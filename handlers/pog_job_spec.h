/* SPDX-License-Identifier: MIT */
/* The body of POST /pog/jobs, decoded into what the worker pool runs. */
#ifndef HANDLERS_POG_JOB_SPEC_H
#define HANDLERS_POG_JOB_SPEC_H

#include "core/err.h"
#include "gpu/pool.h"

#include <jansson.h>

/* Decodes a job request (the body of POST /pog/jobs) into *out:
 *   {"kind": "info"|"benchmark"|"compute"|"proof"|"selftest",
 *    "device"?: -1..63, "timeout_ms"?: int,
 *    benchmark: "n_fp16"?, "n_fp32"?;
 *    compute:   "n", "seed_a"?, "seed_b"? (decimal strings; both, or
 *               neither: then both are drawn at random), "accum"?:
 *               "auto"|"fp32"|"fp64", "self_check"?: 0..16;
 *    proof:     "indices": [[i, j], ...] and either "compute_job": id or
 *               "n", "seed_a", "seed_b", "accum"?, "root"?: 64 hex}
 * Unknown members are rejected. Returns SVC_OK or SVC_ERR_INVALID with err
 * naming the member; range checks against the pool happen at submit. */
SVC_NODISCARD enum svc_rc pog_job_spec_decode(json_t *body,
                                              struct gpu_job_spec *out,
                                              struct svc_err *err);

#endif
