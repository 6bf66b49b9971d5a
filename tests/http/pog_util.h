/* SPDX-License-Identifier: MIT */
/* Helpers of the PoG engine's HTTP tests: submit a job, wait for it, and
 * turn a proof job's result into a POST /pog/verify body. Header-only,
 * static inline, as util.h. */
#ifndef TESTS_HTTP_POG_UTIL_H
#define TESTS_HTTP_POG_UTIL_H

#include "util.h"

#include <time.h>

/* Large enough to run for seconds on the CPU backend in any build, and
 * cancelled within one 8-row panel. */
#define PU_LONG_JOB                                                            \
    "{\"kind\": \"compute\", \"n\": 4096, \"seed_a\": \"1\", \"seed_b\": "     \
    "\"2\"}"

static inline void pu_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* POSTs body to /pog/jobs, checks 202 and Location, returns the id. */
static inline int64_t pu_submit(const char *body)
{
    struct resp r = th_send("POST", "/pog/jobs", body);
    char loc[64], want[64];
    int64_t id;

    CHECK_STATUS(r, 202);
    id = tu_jint(r.json, "id");
    CHECK(id > 0);
    snprintf(want, sizeof(want), "/pog/jobs/%lld", (long long)id);
    CHECK(th_header(&r, "Location", loc, sizeof(loc)));
    CHECK_STR_EQ(loc, want);
    th_resp_free(&r);
    return id;
}

/* GET /pog/jobs/{id}, which must answer 200: the job (json_decref it). */
static inline json_t *pu_job(int64_t id)
{
    struct resp r = tu_getf("/pog/jobs/%lld", (long long)id);
    json_t *job;

    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "id"), id);
    job = json_incref(r.json);
    th_resp_free(&r);
    return job;
}

static inline bool pu_final(const char *state)
{
    return strcmp(state, "queued") != 0 && strcmp(state, "running") != 0;
}

/* Polls job id until its state is final (at most 120 s); the job. */
static inline json_t *pu_wait(int64_t id)
{
    for (int i = 0; i < 6000; i++) {
        json_t *job = pu_job(id);

        if (pu_final(tu_jstr(job, "state")))
            return job;
        json_decref(job);
        pu_sleep_ms(20);
    }
    fprintf(stderr, "job %lld did not finish\n", (long long)id);
    exit(1);
}

/* Polls job id until it is in state (at most 60 s). */
static inline void pu_wait_state(int64_t id, const char *state)
{
    for (int i = 0; i < 3000; i++) {
        json_t *job = pu_job(id);
        bool there = strcmp(tu_jstr(job, "state"), state) == 0;

        json_decref(job);
        if (there)
            return;
        pu_sleep_ms(20);
    }
    fprintf(stderr, "job %lld never reached %s\n", (long long)id, state);
    exit(1);
}

/* Runs body to its end; it must be done. Returns its result (a new
 * reference). */
static inline json_t *pu_run(const char *body)
{
    json_t *job = pu_wait(pu_submit(body)), *res;

    if (strcmp(tu_jstr(job, "state"), "done") != 0) {
        char *s = json_dumps(job, JSON_COMPACT);

        fprintf(stderr, "job not done: %s\n", s ? s : "?");
        exit(1);
    }
    res = json_incref(json_object_get(job, "result"));
    json_decref(job);
    return res;
}

/* One GPU entry of a verification body from a proof job's result; the
 * proof lists are copies, so a test may tamper with them. */
static inline json_t *pu_claim(const json_t *proof, int gpu, const char *sa,
                               const char *sb)
{
    json_t *chs = json_array(), *idx;
    size_t k;

    CHECK(chs != NULL);
    json_array_foreach (json_object_get(proof, "indices"), k, idx) {
        CHECK(json_array_append_new(
                  chs,
                  json_pack("{s:O,s:O,s:O,s:o}", "i", json_array_get(idx, 0),
                            "j", json_array_get(idx, 1), "row",
                            json_array_get(json_object_get(proof, "rows"), k),
                            "proof",
                            json_deep_copy(json_array_get(
                                json_object_get(proof, "proofs"), k)))) == 0);
    }
    return json_pack("{s:i,s:s,s:s,s:O,s:o}", "gpu", gpu, "seed_a", sa,
                     "seed_b", sb, "root", json_object_get(proof, "root"),
                     "challenges", chs);
}

/* {"n": n, "gpus": [claim]} (claim stolen). */
static inline json_t *pu_verify_body(json_int_t n, json_t *claim)
{
    json_t *b = json_pack("{s:I,s:[o]}", "n", n, "gpus", claim);

    CHECK(b != NULL);
    return b;
}

/* POSTs body (borrowed) to /pog/verify; the response. */
static inline struct resp pu_verify(const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    struct resp r;

    CHECK(text != NULL);
    r = th_send("POST", "/pog/verify", text);
    free(text);
    return r;
}

/* Challenge k of GPU g of a verification body (borrowed). */
static inline json_t *pu_challenge(json_t *body, size_t g, size_t k)
{
    json_t *gpu = json_array_get(json_object_get(body, "gpus"), g);

    return json_array_get(json_object_get(gpu, "challenges"), k);
}

#endif
