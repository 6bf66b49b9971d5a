/* SPDX-License-Identifier: MIT */
/* Job request decoding (the body of POST /pog/jobs): each kind's members,
 * 64-bit seeds as strings, and strict rejection naming the member. */
#include "check.h"
#include "gpu/pool.h"
#include "handlers/pog_job_spec.h"

static enum svc_rc decode(const char *text, struct gpu_job_spec *s,
                          struct svc_err *err)
{
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    enum svc_rc rc;

    CHECK(body);
    rc = pog_job_spec_decode(body, s, err);
    json_decref(body);
    return rc;
}

static void expect_invalid(const char *text, const char *field)
{
    struct gpu_job_spec s;
    struct svc_err err;

    CHECK(decode(text, &s, &err) == SVC_ERR_INVALID);
    if (strcmp(err.field, field)) {
        fprintf(stderr, "%s: field %s (%s), want %s\n", text, err.field,
                err.msg, field);
        CHECK(0);
    }
}

static void check_valid(void)
{
    struct gpu_job_spec s;
    struct svc_err err;

    CHECK(decode("{\"kind\": \"compute\", \"n\": 20704, \"seed_a\": "
                 "\"18446744073709551615\", \"seed_b\": \"7\", \"accum\": "
                 "\"fp64\", \"self_check\": 2, \"device\": 1, "
                 "\"timeout_ms\": 60000}",
                 &s, &err) == SVC_OK);
    CHECK(s.kind == GPU_JOB_COMPUTE && s.n == 20704 && s.seed_a == UINT64_MAX &&
          s.seed_b == 7 && s.accum == GPU_ACCUM_FP64 && s.self_check == 2 &&
          s.device == 1 && s.timeout_ms == 60000);
    CHECK(decode("{\"kind\": \"proof\", \"compute_job\": 12, \"indices\": "
                 "[[1, 2], [3, 4]]}",
                 &s, &err) == SVC_OK);
    CHECK(s.kind == GPU_JOB_PROOF && s.compute_job == 12 && s.n_indices == 2 &&
          s.indices[1].i == 3 && s.indices[1].j == 4 && s.device == -1 &&
          !s.has_root);
    CHECK(decode("{\"kind\": \"proof\", \"n\": 64, \"seed_a\": \"1\", "
                 "\"seed_b\": 2, \"root\": \"00112233445566778899aabbccddeeff"
                 "00112233445566778899AABBCCDDEEFF\", \"indices\": [[0, 63]]}",
                 &s, &err) == SVC_OK);
    CHECK(s.has_root && s.root[1] == 0x11 && s.root[31] == 0xff);
    CHECK(decode("{\"kind\": \"benchmark\", \"n_fp16\": 1024}", &s, &err) ==
          SVC_OK);
    CHECK(s.kind == GPU_JOB_BENCHMARK && s.n_fp16 == 1024 && s.n_fp32 == 0);
    CHECK(decode("{\"kind\": \"info\"}", &s, &err) == SVC_OK);
    CHECK(decode("{\"kind\": \"selftest\", \"device\": 0}", &s, &err) ==
          SVC_OK);
    CHECK(s.kind == GPU_JOB_SELFTEST && s.device == 0);
}

static void check_invalid(void)
{
    enum gpu_accum a;

    expect_invalid("[]", "");
    expect_invalid("{}", "kind");
    expect_invalid("{\"kind\": \"verify\"}", "kind");
    expect_invalid("{\"kind\": \"info\", \"n\": 5}", "n");
    expect_invalid("{\"kind\": \"compute\"}", "n");
    expect_invalid("{\"kind\": \"compute\", \"n\": 0}", "n");
    expect_invalid("{\"kind\": \"compute\", \"n\": 131073}", "n");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"seed_a\": \"-1\"}",
                   "seed_a");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"seed_b\": 1.5}",
                   "seed_a");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"accum\": \"tf32\"}",
                   "accum");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"device\": 64}",
                   "device");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"self_check\": 17}",
                   "self_check");
    expect_invalid("{\"kind\": \"compute\", \"n\": 8, \"indices\": []}",
                   "indices");
    expect_invalid("{\"kind\": \"proof\", \"compute_job\": 1}", "indices");
    expect_invalid("{\"kind\": \"proof\", \"indices\": [[0, 0]]}",
                   "compute_job");
    expect_invalid("{\"kind\": \"proof\", \"compute_job\": 1, \"indices\": "
                   "[[0]]}",
                   "indices");
    expect_invalid("{\"kind\": \"proof\", \"compute_job\": 1, \"indices\": "
                   "[[-1, 0]]}",
                   "indices");
    expect_invalid("{\"kind\": \"proof\", \"compute_job\": 0, \"indices\": "
                   "[[0, 0]]}",
                   "compute_job");
    expect_invalid("{\"kind\": \"proof\", \"n\": 4, \"root\": \"ab\", "
                   "\"indices\": [[0, 0]]}",
                   "root");
    expect_invalid("{\"kind\": \"benchmark\", \"n_fp32\": 16}", "n_fp32");
    CHECK(gpu_accum_parse("fp32", &a) && a == GPU_ACCUM_FP32);
    CHECK(!gpu_accum_parse("tf32", &a));
}

int main(void)
{
    check_valid();
    check_invalid();
    return 0;
}
