/* SPDX-License-Identifier: MIT */
/* The PoG engine over real HTTP on the CPU backend: the job lifecycle
 * (info, selftest, benchmark, compute with the golden roots, then a proof
 * of that compute job), POST /pog/verify of that proof (pass) and of
 * tampered rows, siblings and indices (fail), the pass threshold, results
 * recorded in pog_stats for a hotkey, cancelling queued and running jobs,
 * 404/400/409 on jobs, a full queue (503), identify_gpu cases, the GPU
 * table, the live scorer, roles, and the jobs in readyz, version, metrics
 * and pog_jobs. */
#include "app/config.h"
#include "gpu/gpu.h"
#include "pog_util.h"

#include <sodium.h>

/* docs/pog.md 5.1 item 8: CPU backend, fp64 accumulation, seeds 42 and 7. */
static const char root_n8[] =
    "2af261549d528104adb5746fdd89f9e5e5974a150f433e43aeae2a2c8dccb3c3";
static const char root_n17[] =
    "dd6bf22a2f4271dab9bbfe288a076a7112af0fddab4647cb2b4438ec0ad6bae1";

static void test_info_selftest_benchmark(void)
{
    json_t *r = pu_run("{\"kind\": \"info\"}");

    CHECK_INT_EQ(tu_jint(r, "num_gpus"), 1);
    CHECK_STR_EQ(tu_jstr(json_object_get(r, "device"), "backend"), "cpu");
    CHECK(tu_jreal(r, "vram") > 0);
    json_decref(r);
    r = pu_run("{\"kind\": \"selftest\"}");
    CHECK(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    r = pu_run("{\"kind\": \"benchmark\", \"n_fp16\": 64, \"n_fp32\": 64}");
    CHECK_INT_EQ(tu_jint(r, "n_fp16"), 64);
    CHECK_INT_EQ(tu_jint(r, "n_fp32"), 64);
    CHECK(strncmp(tu_jstr(r, "line"), "1 ", 2) == 0);
    CHECK(tu_jreal(r, "tflops_fp32") > 0);
    /* The CPU backend claims no GPU model (it used to be "NVIDIA L4"). */
    CHECK(json_is_null(json_object_get(r, "identified")));
    CHECK_REAL_EQ(tu_jreal(r, "score"), 0);
    json_decref(r);
}

static void test_golden_roots(void)
{
    json_t *r = pu_run("{\"kind\": \"compute\", \"n\": 8, \"seed_a\": "
                       "\"42\", \"seed_b\": 7}");

    CHECK_STR_EQ(tu_jstr(r, "root"), root_n8);
    CHECK_STR_EQ(tu_jstr(r, "accum"), "fp64");
    CHECK_INT_EQ(tu_jint(json_object_get(r, "timings"), "n"), 8);
    json_decref(r);
    r = pu_run("{\"kind\": \"compute\", \"n\": 17, \"seed_a\": \"42\", "
               "\"seed_b\": \"7\", \"accum\": \"fp64\"}");
    CHECK_STR_EQ(tu_jstr(r, "root"), root_n17);
    json_decref(r);
}

/* A compute job without seeds draws both at random and shows them: the
 * same seeds given run the same round; another job draws others. */
static void test_drawn_seeds(void)
{
    json_t *job = pu_wait(pu_submit("{\"kind\": \"compute\", \"n\": 8}"));
    json_t *params = json_object_get(job, "params");
    json_t *res = json_object_get(job, "result"), *again, *other;
    char *body;

    CHECK_STR_EQ(tu_jstr(job, "state"), "done");
    CHECK_STR_EQ(tu_jstr(res, "seed_a"), tu_jstr(params, "seed_a"));
    CHECK_STR_EQ(tu_jstr(res, "seed_b"), tu_jstr(params, "seed_b"));
    body = tu_strf("{\"kind\": \"compute\", \"n\": 8, \"seed_a\": \"%s\", "
                   "\"seed_b\": \"%s\"}",
                   tu_jstr(params, "seed_a"), tu_jstr(params, "seed_b"));
    again = pu_run(body);
    free(body);
    CHECK_STR_EQ(tu_jstr(again, "root"), tu_jstr(res, "root"));
    other = pu_run("{\"kind\": \"compute\", \"n\": 8}");
    CHECK(strcmp(tu_jstr(other, "seed_a"), tu_jstr(res, "seed_a")) != 0 ||
          strcmp(tu_jstr(other, "seed_b"), tu_jstr(res, "seed_b")) != 0);
    json_decref(other);
    json_decref(again);
    json_decref(job);
}

/* A compute job of n=64, then a proof of three challenges of it; the proof
 * job's result (new) and the compute job's id. */
static json_t *compute_and_prove(int64_t *compute_id)
{
    json_t *job, *res, *proof;
    char *body;

    *compute_id = pu_submit("{\"kind\": \"compute\", \"n\": 64, \"seed_a\": "
                            "\"12345678901234567890\", \"seed_b\": \"7\", "
                            "\"self_check\": 3}");
    job = pu_wait(*compute_id);
    CHECK_STR_EQ(tu_jstr(job, "state"), "done");
    res = json_object_get(job, "result");
    CHECK(
        json_is_true(json_object_get(json_object_get(res, "verdict"), "pass")));
    CHECK(json_is_object(json_object_get(res, "timings")));
    CHECK_INT_EQ(strlen(tu_jstr(res, "root")), 64);
    body = tu_strf("{\"kind\": \"proof\", \"compute_job\": %lld, \"indices\": "
                   "[[0, 0], [5, 63], [63, 1]]}",
                   (long long)*compute_id);
    proof = pu_run(body);
    free(body);
    CHECK_STR_EQ(tu_jstr(proof, "root"), tu_jstr(res, "root"));
    CHECK_INT_EQ(json_array_size(json_object_get(proof, "rows")), 3);
    CHECK_INT_EQ(
        json_array_size(json_array_get(json_object_get(proof, "proofs"), 0)),
        6);
    json_decref(job);
    return proof;
}

/* The verdict of body, which must be answered 200. */
static json_t *verdict_of(const json_t *body)
{
    struct resp r = pu_verify(body);
    json_t *v;

    CHECK_STATUS(r, 200);
    v = json_incref(r.json);
    th_resp_free(&r);
    return v;
}

static void expect_fail(json_t *body, const char *status, const char *proof)
{
    json_t *v = verdict_of(body);
    json_t *ch = json_array_get(
        json_object_get(json_array_get(json_object_get(v, "gpus"), 0),
                        "challenges"),
        0);

    CHECK(json_is_false(json_object_get(v, "pass")));
    CHECK_INT_EQ(tu_jint(v, "passed"), 0);
    CHECK(json_is_false(json_object_get(ch, "pass")));
    if (status)
        CHECK_STR_EQ(tu_jstr(ch, "status"), status);
    if (proof)
        CHECK_STR_EQ(tu_jstr(ch, "proof"), proof);
    json_decref(v);
    json_decref(body);
}

static json_t *honest(const json_t *proof)
{
    return pu_verify_body(64, pu_claim(proof, 0, "12345678901234567890", "7"));
}

/* Row 0 of challenge 0 with one bit flipped. */
static json_t *tampered_row(const json_t *proof)
{
    json_t *b = honest(proof), *ch = pu_challenge(b, 0, 0);
    const char *row = tu_jstr(ch, "row");
    unsigned char bytes[4 * 64];
    char enc[sizeof(bytes) * 2];
    size_t len = 0;

    CHECK(sodium_base642bin(bytes, sizeof(bytes), row, strlen(row), NULL, &len,
                            NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
    CHECK_INT_EQ(len, sizeof(bytes));
    bytes[8] ^= 0x01;
    sodium_bin2base64(enc, sizeof(enc), bytes, len,
                      sodium_base64_VARIANT_ORIGINAL);
    CHECK(json_object_set_new(ch, "row", json_string(enc)) == 0);
    return b;
}

/* Challenge 0 with sibling 0 changed in one hex digit. */
static json_t *tampered_sibling(const json_t *proof)
{
    json_t *b = honest(proof), *ch = pu_challenge(b, 0, 0);
    json_t *sibs = json_object_get(ch, "proof");
    char hex[65];

    snprintf(hex, sizeof(hex), "%s",
             json_string_value(json_array_get(sibs, 0)));
    hex[10] = hex[10] == '0' ? '1' : '0';
    CHECK(json_array_set_new(sibs, 0, json_string(hex)) == 0);
    return b;
}

static json_t *with_index(const json_t *proof, json_int_t i, json_int_t j)
{
    json_t *b = honest(proof), *ch = pu_challenge(b, 0, 0);

    CHECK(json_object_set_new(ch, "i", json_integer(i)) == 0);
    CHECK(json_object_set_new(ch, "j", json_integer(j)) == 0);
    return b;
}

static json_t *short_proof(const json_t *proof)
{
    json_t *b = honest(proof), *ch = pu_challenge(b, 0, 0);
    json_t *sibs = json_object_get(ch, "proof");

    CHECK(json_array_remove(sibs, json_array_size(sibs) - 1) == 0);
    return b;
}

/* Four GPUs: the honest claim three times and `bad` bad ones. */
static json_t *four_gpus(const json_t *proof, int bad)
{
    json_t *b = json_pack("{s:I,s:[]}", "n", (json_int_t)64, "gpus");
    json_t *list = json_object_get(b, "gpus");

    for (int g = 0; g < 4; g++)
        CHECK(json_array_append_new(list,
                                    pu_claim(proof, g, "12345678901234567890",
                                             g < bad ? "8" : "7")) == 0);
    return b;
}

static void test_verify(const json_t *proof)
{
    json_t *b = honest(proof), *v = verdict_of(b);

    CHECK(json_is_true(json_object_get(v, "pass")));
    CHECK_INT_EQ(tu_jint(v, "passed"), 1);
    CHECK_INT_EQ(tu_jint(v, "required"), 1);
    CHECK(json_object_get(v, "recorded") == NULL);
    json_decref(v);
    json_decref(b);
    expect_fail(tampered_row(proof), "proof", "mismatch");
    expect_fail(tampered_sibling(proof), "proof", "mismatch");
    expect_fail(with_index(proof, 1, 0), NULL, NULL);       /* another row */
    expect_fail(with_index(proof, 64, 0), "bad_row", NULL); /* i >= n */
    expect_fail(short_proof(proof), "proof", "bad_length");
    /* 3 of 4 must pass: one bad GPU is fine, two are not. */
    v = verdict_of(b = four_gpus(proof, 1));
    CHECK(json_is_true(json_object_get(v, "pass")));
    CHECK_INT_EQ(tu_jint(v, "required"), 3);
    json_decref(v);
    json_decref(b);
    v = verdict_of(b = four_gpus(proof, 2));
    CHECK(json_is_false(json_object_get(v, "pass")));
    json_decref(v);
    json_decref(b);
}

/* POSTs body (stolen) to /pog/verify; the response. */
static struct resp verify_steal(json_t *body)
{
    struct resp r = pu_verify(body);

    json_decref(body);
    return r;
}

static json_t *with_members(json_t *body, const char *members)
{
    json_t *extra = json_loads(members, 0, NULL);

    CHECK(extra != NULL);
    CHECK(json_object_update(body, extra) == 0);
    json_decref(extra);
    return body;
}

static void test_verify_records(const json_t *proof)
{
    const char *hotkey = hk(40);
    char *m = tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": \"NVIDIA H100 80GB "
                      "HBM3\", \"num_gpus\": 8}",
                      hotkey);
    struct resp r = verify_steal(with_members(honest(proof), m));
    json_t *rec;

    CHECK_STATUS(r, 200);
    CHECK(json_is_true(json_object_get(r.json, "pass")));
    rec = json_object_get(r.json, "recorded");
    CHECK_STR_EQ(tu_jstr(rec, "hotkey"), hotkey);
    CHECK_STR_EQ(tu_jstr(rec, "gpu_name"), "NVIDIA H100 80GB HBM3");
    CHECK_INT_EQ(tu_jint(rec, "num_gpus"), 8);
    CHECK_SQL_TEXT("NVIDIA H100 80GB HBM3",
                   "SELECT gpu_name FROM pog_stats WHERE id = %lld",
                   (long long)tu_jint(rec, "id"));
    th_resp_free(&r);
    /* A failure records a row of nulls. */
    r = verify_steal(with_members(tampered_row(proof), m));
    CHECK_STATUS(r, 200);
    CHECK(json_is_false(json_object_get(r.json, "pass")));
    rec = json_object_get(r.json, "recorded");
    CHECK(json_is_null(json_object_get(rec, "gpu_name")));
    CHECK(json_is_null(json_object_get(rec, "num_gpus")));
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q AND "
                        "gpu_name IS NULL AND num_gpus IS NULL",
                        hotkey),
                 1);
    th_resp_free(&r);
    free(m);
    /* The name from identify (an H200 line), num_gpus from the claim. */
    m = tu_strf("{\"hotkey\": \"%s\", \"identify\": {\"line\": \"8 68.72 "
                "131072 6.0 65536 10.5\"}}",
                hk(41));
    r = verify_steal(with_members(honest(proof), m));
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(json_object_get(r.json, "identified"), "name"),
                 "NVIDIA H200");
    rec = json_object_get(r.json, "recorded");
    CHECK_STR_EQ(tu_jstr(rec, "gpu_name"), "NVIDIA H200");
    CHECK_INT_EQ(tu_jint(rec, "num_gpus"), 1);
    th_resp_free(&r);
    free(m);
}

static void test_verify_refusals(const json_t *proof)
{
    const struct th_key *reader = th_key_new(ROLE_READER);
    struct tu_snap before = tu_snap_take();
    char *m =
        tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": \"NVIDIA H200\"}", hk(42));
    struct resp r;

    th_use(reader);
    r = verify_steal(honest(proof)); /* readers may verify */
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    r = verify_steal(with_members(honest(proof), m)); /* not record */
    th_expect_error(&r, 403, "forbidden", "hotkey");
    th_resp_free(&r);
    th_use(th_admin());
    free(m);
    m = tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": \"x\"}", TU_BAD_SS58);
    r = verify_steal(with_members(honest(proof), m));
    th_expect_error(&r, 400, "invalid_argument", "hotkey");
    th_resp_free(&r);
    free(m);
    m = tu_strf("{\"hotkey\": \"%s\"}", hk(42));
    r = verify_steal(with_members(honest(proof), m));
    th_expect_error(&r, 400, "invalid_argument", "gpu_name");
    th_resp_free(&r);
    r = verify_steal(with_members(honest(proof), "{\"gpu_name\": \"x\"}"));
    th_expect_error(&r, 400, "invalid_argument", "gpu_name");
    th_resp_free(&r);
    r = verify_steal(with_members(honest(proof), "{\"extra\": 1}"));
    th_expect_error(&r, 400, "invalid_argument", NULL);
    th_resp_free(&r);
    tu_bad("POST", "/pog/verify", "{\"n\": 0, \"gpus\": []}", "n");
    free(m);
    CHECK_UNCHANGED(before);
}

static void test_jobs_refused(int64_t info_id, int64_t running_id)
{
    char *b;

    tu_bad("POST", "/pog/jobs", "{\"kind\": \"nope\"}", "kind");
    tu_bad("POST", "/pog/jobs", "{\"kind\": \"compute\"}", "n");
    tu_bad("POST", "/pog/jobs", "{\"kind\": \"info\", \"n\": 4}", "n");
    /* Seeds come in pairs; a proof that recomputes needs the round's. */
    tu_bad("POST", "/pog/jobs",
           "{\"kind\": \"compute\", \"n\": 8, \"seed_a\": \"1\"}", "seed_b");
    tu_bad("POST", "/pog/jobs",
           "{\"kind\": \"compute\", \"n\": 8, \"seed_b\": \"1\"}", "seed_a");
    tu_bad("POST", "/pog/jobs",
           "{\"kind\": \"proof\", \"n\": 8, \"indices\": [[0, 0]]}", "seed_a");
    tu_bad("POST", "/pog/jobs",
           "{\"kind\": \"compute\", \"n\": 8192, \"seed_a\": \"1\", "
           "\"seed_b\": \"2\"}",
           "n"); /* above the CPU's max n */
    tu_reject("POST", "/pog/jobs",
              "{\"kind\": \"proof\", \"compute_job\": 999999, \"indices\": "
              "[[0, 0]]}",
              404, "not_found", "compute_job");
    b = tu_strf("{\"kind\": \"proof\", \"compute_job\": %lld, \"indices\": "
                "[[0, 0]]}",
                (long long)info_id);
    tu_reject("POST", "/pog/jobs", b, 400, "invalid_argument", "compute_job");
    free(b);
    b = tu_strf("{\"kind\": \"proof\", \"compute_job\": %lld, \"indices\": "
                "[[0, 0]]}",
                (long long)running_id);
    tu_reject("POST", "/pog/jobs", b, 409, "conflict", "compute_job");
    free(b);
    tu_reject("GET", "/pog/jobs/999999", NULL, 404, "not_found", "id");
    tu_reject("DELETE", "/pog/jobs/999999", NULL, 404, "not_found", "id");
    tu_reject("GET", "/pog/jobs/0", NULL, 400, "invalid_argument", "id");
    tu_reject("GET", "/pog/jobs/12x", NULL, 400, "invalid_argument", "id");
    tu_reject("PUT", "/pog/jobs", NULL, 405, "method_not_allowed", NULL);
}

static struct resp del_job(int64_t id)
{
    char path[64];

    snprintf(path, sizeof(path), "/pog/jobs/%lld", (long long)id);
    return th_request("DELETE", path, NULL, NULL, NULL);
}

/* DELETE of a running job: 202 "running" while it runs on to its next stop
 * check, or 200 "cancelled" when it got there before the answer was made
 * (a busy machine). */
static void expect_stopping(int64_t id)
{
    struct resp r = del_job(id);
    const char *state = tu_jstr(r.json, "state");

    if (r.status == 200)
        CHECK_STR_EQ(state, "cancelled");
    else {
        CHECK_STATUS(r, 202);
        CHECK_STR_EQ(state, "running");
    }
    th_resp_free(&r);
}

/* A long job running, a second queued behind it: cancel both. */
static void test_cancel(int64_t info_id)
{
    int64_t running = pu_submit(PU_LONG_JOB), queued;
    struct resp r;
    json_t *job;

    pu_wait_state(running, "running");
    queued = pu_submit("{\"kind\": \"compute\", \"n\": 16, \"seed_a\": \"1\", "
                       "\"seed_b\": \"2\"}");
    job = pu_job(queued);
    CHECK_STR_EQ(tu_jstr(job, "state"), "queued");
    json_decref(job);
    test_jobs_refused(info_id, running);
    r = del_job(queued); /* at once */
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(r.json, "state"), "cancelled");
    CHECK_STR_EQ(tu_jstr(json_object_get(r.json, "error"), "code"),
                 "cancelled");
    th_resp_free(&r);
    r = del_job(queued);
    th_expect_error(&r, 409, "conflict", "id");
    th_resp_free(&r);
    r = del_job(info_id);
    th_expect_error(&r, 409, "conflict", "id");
    th_resp_free(&r);
    expect_stopping(running); /* at its next panel */
    job = pu_wait(running);
    CHECK_STR_EQ(tu_jstr(job, "state"), "cancelled");
    json_decref(job);
    CHECK_SQL_TEXT("cancelled", "SELECT state FROM pog_jobs WHERE id = %lld",
                   (long long)running);
}

/* POST /pog/identify of body: 200 with name (and the tolerance swap). */
static json_t *identified(const char *body, const char *name)
{
    struct resp r = th_send("POST", "/pog/identify", body);
    json_t *v;

    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(r.json, "name"), name);
    v = json_incref(r.json);
    th_resp_free(&r);
    return v;
}

/* docs/pog.md 1.3: the identify_gpu cases. */
static void test_identify(void)
{
    json_t *v = identified("{\"tflops_fp16\": 570, \"tflops_fp32\": 49, "
                           "\"vram\": 34.36}",
                           "NVIDIA H100 80GB HBM3");

    CHECK(tu_jreal(v, "score") < 1e-9);
    CHECK_STR_EQ(tu_jstr(v, "runner_up"), "NVIDIA H200");
    CHECK(json_object_get(v, "pog_score") == NULL);
    json_decref(v);
    json_decref(identified("{\"tflops_fp16\": 720, \"tflops_fp32\": 51, "
                           "\"vram\": 34.36}",
                           "NVIDIA H100 80GB HBM3"));
    json_decref(identified("{\"tflops_fp16\": 760, \"tflops_fp32\": 51, "
                           "\"vram\": 68.72}",
                           "NVIDIA H200"));
    /* Raw free memory instead of the quantised estimate: wrongly H200. */
    json_decref(identified("{\"tflops_fp16\": 720, \"tflops_fp32\": 51, "
                           "\"vram\": 84.9}",
                           "NVIDIA H200"));
    v = identified(
        "{\"tflops_fp16\": 570, \"tflops_fp32\": 49, \"vram\": "
        "34.36, \"reported_name\": \"NVIDIA H100\", \"num_gpus\": 8}",
        "NVIDIA H100");
    CHECK(json_is_true(json_object_get(v, "tolerance_swap")));
    CHECK_STR_EQ(tu_jstr(v, "best"), "NVIDIA H100 80GB HBM3");
    CHECK_REAL_EQ(tu_jreal(v, "pog_score"), 0.7); /* 2.8 x 8 / 32 */
    json_decref(v);
    v = identified("{\"line\": \"8 34.36 92672 2.1 46336 3.9\"}",
                   "NVIDIA H100 80GB HBM3");
    CHECK_INT_EQ(tu_jint(v, "num_gpus"), 8);
    CHECK_REAL_EQ(tu_jreal(v, "pog_score"), 0.825);
    CHECK_REAL_EQ(tu_jreal(v, "tflops_fp16"),
                  2.0 * 92672.0 * 92672.0 * 92672.0 / 2.1 / 1e12);
    json_decref(v);
    tu_bad("POST", "/pog/identify",
           "{\"tflops_fp16\": -1, \"tflops_fp32\": 49, \"vram\": 34.36}",
           "tflops_fp16");
    tu_bad("POST", "/pog/identify", "{\"tflops_fp16\": 1, \"tflops_fp32\": 49}",
           "vram");
    tu_bad("POST", "/pog/identify", "{\"line\": \"8 34.36 92672 2.1 46336\"}",
           "line");
    tu_bad("POST", "/pog/identify", "{\"line\": \"8 34.36 92672 -2 46336 3\"}",
           "line");
    tu_bad("POST", "/pog/identify",
           "{\"line\": \"8 34.36 92672 2.1 46336 3.9\", \"vram\": 1}", "line");
    tu_bad("POST", "/pog/identify", "{\"vram\": 1, \"gpu\": 1}", "gpu");
}

static void test_gpus(void)
{
    struct resp r = th_get("/pog/gpus");
    json_t *gpus;

    CHECK_STATUS(r, 200);
    gpus = json_object_get(r.json, "gpus");
    CHECK_INT_EQ(json_array_size(gpus), 17);
    CHECK_STR_EQ(tu_jstr(json_array_get(gpus, 0), "name"), "NVIDIA H200");
    CHECK_REAL_EQ(tu_jreal(json_array_get(gpus, 0), "score"), 4.0);
    CHECK_INT_EQ(json_array_size(json_object_get(r.json, "tolerance_pairs")),
                 5);
    th_resp_free(&r);
}

static double score_of(const json_t *items, const char *hotkey, json_t **uid)
{
    size_t i;
    json_t *row;

    json_array_foreach ((json_t *)(uintptr_t)items, i, row) {
        if (strcmp(tu_jstr(row, "hotkey"), hotkey) == 0) {
            *uid = json_object_get(row, "uid");
            return tu_jreal(row, "score");
        }
    }
    return -1;
}

static void pog_row(const char *hotkey, const char *name, int num,
                    const char *when)
{
    if (name)
        tu_exec("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, "
                "created_at) VALUES (%Q, %Q, %d, %Q)",
                hotkey, name, num, when);
    else
        tu_exec("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, "
                "created_at) VALUES (%Q, NULL, NULL, %Q)",
                hotkey, when);
}

/* docs/upstream.md 5.1 over rows written straight into pog_stats. */
static void test_scores(void)
{
    struct resp r;
    json_t *uid = NULL;
    char etag[128], inm[160];
    const char *hdr[2] = {inm, NULL};

    tu_exec("DELETE FROM pog_stats");
    tu_exec("INSERT INTO miner (uid, ss58_address) VALUES (3, %Q)", hk(50));
    pog_row(hk(50), "NVIDIA H200", 8, "2025-02-26 10:00:00");
    pog_row(hk(51), "NVIDIA H100 80GB HBM3", 8, "2025-02-26 10:00:00");
    pog_row(hk(51), NULL, 0, "2025-02-26 11:00:00"); /* newer failure */
    pog_row(hk(52), NULL, 0, "2025-02-26 10:00:00"); /* failures only */
    pog_row(hk(53), "NVIDIA RTX 4000 Ada Generation", 1, "2025-02-26 10:00:00");
    pog_row(hk(54), "NVIDIA H200", 1, "2025-02-26 09:00:00");
    pog_row(hk(54), "NVIDIA H100", 16, "2025-02-26 10:00:00");
    r = th_get("/scores");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_array_size(json_object_get(r.json, "items")), 4);
    CHECK_REAL_EQ(score_of(json_object_get(r.json, "items"), hk(50), &uid),
                  1.0);
    CHECK_INT_EQ(json_integer_value(uid), 3);
    CHECK_REAL_EQ(score_of(json_object_get(r.json, "items"), hk(51), &uid),
                  0.825);
    CHECK(json_is_null(uid));
    CHECK_REAL_EQ(score_of(json_object_get(r.json, "items"), hk(52), &uid), -1);
    CHECK_REAL_EQ(score_of(json_object_get(r.json, "items"), hk(53), &uid),
                  0.0);
    CHECK_REAL_EQ(score_of(json_object_get(r.json, "items"), hk(54), &uid),
                  0.7); /* the newest pass, min(16, 8) */
    CHECK(th_header(&r, "ETag", etag, sizeof(etag)));
    th_resp_free(&r);
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    r = th_request("GET", "/scores", NULL, NULL, hdr);
    CHECK_STATUS(r, 304);
    th_resp_free(&r);
}

static void test_roles(void)
{
    const struct th_key *reader = th_key_new(ROLE_READER);
    struct resp r;

    th_use(reader);
    r = th_send("POST", "/pog/jobs", "{\"kind\": \"info\"}");
    th_expect_error(&r, 403, "forbidden", NULL);
    th_resp_free(&r);
    r = th_request("DELETE", "/pog/jobs/1", NULL, NULL, NULL);
    th_expect_error(&r, 403, "forbidden", NULL);
    th_resp_free(&r);
    json_decref(pu_job(1)); /* readers may read jobs */
    r = th_get("/pog/gpus");
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    th_use(NULL);
    r = th_get("/scores");
    th_expect_error(&r, 401, "unauthenticated", NULL);
    th_resp_free(&r);
    th_use(th_admin());
}

static void test_system(void)
{
    struct resp r = th_get("/readyz");
    json_t *pog;

    CHECK_STATUS(r, 200);
    pog = json_object_get(r.json, "pog");
    CHECK_STR_EQ(tu_jstr(pog, "backend"), "cpu");
    CHECK_INT_EQ(tu_jint(pog, "devices"), 1);
    CHECK_INT_EQ(tu_jint(pog, "ready"), 1);
    th_resp_free(&r);
    r = th_get("/version");
    CHECK_STATUS(r, 200);
    CHECK(json_is_boolean(json_object_get(r.json, "cuda")));
    CHECK(json_is_true(json_object_get(r.json, "cuda")) ==
          (gpu_backend_cuda() != NULL));
    CHECK_STR_EQ(tu_jstr(r.json, "pog_backend"), "cpu");
    th_resp_free(&r);
    r = th_get("/metrics");
    CHECK_STATUS(r, 200);
    CHECK(strstr(r.body, "computedb_pog_jobs_total{kind=\"compute\","
                         "state=\"done\"} ") != NULL);
    CHECK(strstr(r.body, "computedb_pog_jobs_total{kind=\"compute\","
                         "state=\"done\"} 0\n") == NULL);
    CHECK(strstr(r.body, "computedb_pog_job_duration_seconds_count{kind="
                         "\"compute\"} ") != NULL);
    th_resp_free(&r);
}

/* Every job is in pog_jobs, as the pool last reported it. */
static void test_table(int64_t compute_id)
{
    char *root;
    json_t *stored;
    json_t *job = pu_job(compute_id);

    CHECK_SQL_TEXT("done", "SELECT state FROM pog_jobs WHERE id = %lld",
                   (long long)compute_id);
    CHECK_SQL_TEXT("compute", "SELECT kind FROM pog_jobs WHERE id = %lld",
                   (long long)compute_id);
    root = tu_text("SELECT result FROM pog_jobs WHERE id = %lld",
                   (long long)compute_id);
    stored = root ? json_loads(root, 0, NULL) : NULL;
    CHECK(stored != NULL);
    CHECK_STR_EQ(tu_jstr(stored, "root"),
                 tu_jstr(json_object_get(job, "result"), "root"));
    json_decref(stored);
    free(root);
    json_decref(job);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_jobs WHERE state IN "
                        "('queued', 'running')"),
                 0);
}

static void tiny_queue(struct config *cfg)
{
    cfg->pog_queue = 1;
}

/* --pog-queue 1: one job running, one queued, the next refused. */
static void test_queue_full(void)
{
    int64_t running, queued;
    struct resp r;

    tu_stop();
    th_start_with(NULL, tiny_queue);
    running = pu_submit(PU_LONG_JOB);
    pu_wait_state(running, "running");
    queued = pu_submit("{\"kind\": \"info\"}");
    r = th_send("POST", "/pog/jobs", "{\"kind\": \"info\"}");
    th_expect_error(&r, 503, "unavailable", NULL);
    th_resp_free(&r);
    r = del_job(queued);
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    expect_stopping(running);
    th_stop();
}

int main(void)
{
    int64_t info_id, compute_id;
    json_t *proof, *r;

    tu_start();
    test_info_selftest_benchmark();
    test_golden_roots();
    test_drawn_seeds();
    proof = compute_and_prove(&compute_id);
    test_verify(proof);
    test_verify_records(proof);
    test_verify_refusals(proof);
    json_decref(proof);
    info_id = pu_submit("{\"kind\": \"info\"}");
    r = pu_wait(info_id);
    json_decref(r);
    test_cancel(info_id);
    test_identify();
    test_gpus();
    test_scores();
    test_roles();
    test_system();
    test_table(compute_id);
    test_queue_full();
    puts("test_pog_jobs: ok");
    return 0;
}
