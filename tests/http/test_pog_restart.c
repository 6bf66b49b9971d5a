/* SPDX-License-Identifier: MIT */
/* PoG jobs across restarts: a running and a queued job read failed
 * ("interrupted by a restart") after the server stops and starts again on
 * the same database, as do jobs a crashed process left running; finished jobs
 * keep their results, ids continue after the stored ones, and a proof of a
 * compute job of the previous run is recomputed. Then the workers off
 * (--pog-backend off: 503 for job routes, stored jobs still readable) and a
 * --gpu-table replacing the built-in table. */
#include "app/config.h"
#include "pog_util.h"

#include <sqlite3.h>

static char db_path[512];
static char table_path[600];

/* Opens the direct connection of util.h on the database (the file, or the
 * PostgreSQL database with COMPUTEDB_TEST_DRIVER=postgres). */
static void open_direct(void)
{
#ifdef COMPUTEDB_HAVE_PG
    if (th_postgres()) {
        tu_pg = PQconnectdb(db_path);
        CHECK(PQstatus(tu_pg) == CONNECTION_OK);
        return;
    }
#endif
    CHECK(sqlite3_open(db_path, &tu_conn) == SQLITE_OK);
    sqlite3_busy_timeout(tu_conn, 5000);
}

static void close_direct(void)
{
#ifdef COMPUTEDB_HAVE_PG
    PQfinish(tu_pg);
    tu_pg = NULL;
#endif
    sqlite3_close(tu_conn);
    tu_conn = NULL;
}

static void expect_interrupted(int64_t id)
{
    json_t *job = pu_job(id), *err = json_object_get(job, "error");

    CHECK_STR_EQ(tu_jstr(job, "state"), "failed");
    CHECK_STR_EQ(tu_jstr(err, "code"), "internal");
    CHECK_STR_EQ(tu_jstr(err, "message"), "interrupted by a restart");
    CHECK(json_is_null(json_object_get(job, "result")));
    CHECK(json_object_get(job, "finished_at") != NULL);
    json_decref(job);
}

/* The first run: a finished compute job, then one running and one queued
 * when the server stops. */
static void first_run(int64_t *done, int64_t *running, int64_t *queued,
                      char root[65])
{
    json_t *job;

    th_start(NULL);
    snprintf(db_path, sizeof(db_path), "%s", th_db_path());
    *done = pu_submit("{\"kind\": \"compute\", \"n\": 16, \"seed_a\": \"42\", "
                      "\"seed_b\": \"7\"}");
    job = pu_wait(*done);
    snprintf(root, 65, "%s", tu_jstr(json_object_get(job, "result"), "root"));
    json_decref(job);
    *running = pu_submit(PU_LONG_JOB);
    pu_wait_state(*running, "running");
    *queued = pu_submit("{\"kind\": \"selftest\"}");
    th_stop();
    open_direct();
    CHECK_SQL_TEXT("failed", "SELECT state FROM pog_jobs WHERE id = %lld",
                   (long long)*running);
    CHECK_SQL_TEXT("failed", "SELECT state FROM pog_jobs WHERE id = %lld",
                   (long long)*queued);
    /* What a crash leaves: a row still running. */
    tu_exec("INSERT INTO pog_jobs (id, kind, state, device, params, "
            "submitted_at, started_at) VALUES (%lld, 'compute', 'running', 0, "
            "'{}', 1, 2)",
            (long long)*queued + 10);
    close_direct();
}

static void proof_after_restart(int64_t compute, const char *root)
{
    char *body = tu_strf("{\"kind\": \"proof\", \"compute_job\": %lld, "
                         "\"indices\": [[3, 4], [15, 0]]}",
                         (long long)compute);
    json_t *proof = pu_run(body), *b, *v;
    struct resp r;

    free(body);
    CHECK(json_is_true(json_object_get(proof, "recomputed")));
    CHECK_STR_EQ(tu_jstr(proof, "root"), root);
    b = pu_verify_body(16, pu_claim(proof, 0, "42", "7"));
    r = pu_verify(b);
    CHECK_STATUS(r, 200);
    v = json_object_get(r.json, "pass");
    CHECK(json_is_true(v));
    th_resp_free(&r);
    json_decref(b);
    json_decref(proof);
}

static void second_run(int64_t done, int64_t running, int64_t queued,
                       const char *root)
{
    json_t *job;

    th_start(db_path);
    expect_interrupted(running);
    expect_interrupted(queued);
    expect_interrupted(queued + 10); /* the crash */
    job = pu_job(done);
    CHECK_STR_EQ(tu_jstr(job, "state"), "done");
    CHECK_STR_EQ(tu_jstr(json_object_get(job, "result"), "root"), root);
    CHECK(json_object_get(job, "seq") == NULL); /* read from pog_jobs */
    json_decref(job);
    /* Ids go on after the largest stored one. */
    CHECK_INT_EQ(pu_submit("{\"kind\": \"info\"}"), queued + 11);
    proof_after_restart(done, root);
    th_stop();
}

static void workers_off(struct config *cfg)
{
    snprintf(cfg->pog_backend, sizeof(cfg->pog_backend), "off");
}

/* The 503 of a job route while the workers are off: it says they are off
 * and how to turn them on (not "no GPU backend is available"). */
static void expect_off(const struct resp *r)
{
    const char *msg = tu_jstr(json_object_get(r->json, "error"), "message");

    th_expect_error(r, 503, "unavailable", NULL);
    CHECK(msg && strstr(msg, "PoG workers are off") != NULL);
    CHECK(strstr(msg, "--pog-backend auto") != NULL);
}

static void off_run(int64_t done)
{
    struct resp r;
    json_t *job;

    th_start_with(db_path, workers_off);
    r = th_send("POST", "/pog/jobs", "{\"kind\": \"info\"}");
    expect_off(&r);
    th_resp_free(&r);
    r = th_request("DELETE", "/pog/jobs/1", NULL, NULL, NULL);
    expect_off(&r);
    th_resp_free(&r);
    job = pu_job(done);
    CHECK_STR_EQ(tu_jstr(job, "state"), "done");
    json_decref(job);
    r = th_get("/readyz");
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(json_object_get(r.json, "pog"), "backend"), "off");
    CHECK_INT_EQ(tu_jint(json_object_get(r.json, "pog"), "devices"), 0);
    th_resp_free(&r);
    r = th_get("/version");
    CHECK_STR_EQ(tu_jstr(r.json, "pog_backend"), "off");
    th_resp_free(&r);
    r = th_send("POST", "/pog/identify",
                "{\"tflops_fp16\": 760, \"tflops_fp32\": 51, \"vram\": 68.72}");
    CHECK_STATUS(r, 200); /* no workers needed */
    th_resp_free(&r);
    th_stop();
}

static void own_table(struct config *cfg)
{
    snprintf(cfg->gpu_table, sizeof(cfg->gpu_table), "%s", table_path);
}

/* --gpu-table: GET /pog/gpus, identification and scores follow it. */
static void table_run(void)
{
    FILE *f;
    struct resp r;
    json_t *items;

    snprintf(table_path, sizeof(table_path), "%s/table.json", th_dir());
    f = fopen(table_path, "w");
    CHECK(f != NULL);
    fputs("{\"gpus\": [{\"name\": \"Test GPU A\", \"fp16\": 100, \"fp32\": 10, "
          "\"avram\": 8.59, \"score\": 2.0}, {\"name\": \"Test GPU B\", "
          "\"fp16\": 200, \"fp32\": 20, \"avram\": 17.18, \"score\": 1.0}]}",
          f);
    CHECK(fclose(f) == 0);
    th_start_with(db_path, own_table);
    r = th_get("/pog/gpus");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_array_size(json_object_get(r.json, "gpus")), 2);
    th_resp_free(&r);
    r = th_send("POST", "/pog/identify",
                "{\"tflops_fp16\": 190, \"tflops_fp32\": 21, \"vram\": 17.18, "
                "\"num_gpus\": 4}");
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(r.json, "name"), "Test GPU B");
    CHECK_REAL_EQ(tu_jreal(r.json, "pog_score"), 0.25); /* 1 x 4 / 16 */
    th_resp_free(&r);
    r = tu_sendf("POST", "/pog/stats",
                 "{\"hotkey\": \"%s\", \"gpu_name\": \"Test GPU A\", "
                 "\"num_gpus\": 2}",
                 hk(1));
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    r = th_get("/scores");
    CHECK_STATUS(r, 200);
    items = json_object_get(r.json, "items");
    CHECK_INT_EQ(json_array_size(items), 1);
    CHECK_REAL_EQ(tu_jreal(json_array_get(items, 0), "score"), 0.25);
    th_resp_free(&r);
    th_stop();
    remove(table_path);
}

int main(void)
{
    int64_t done, running, queued;
    char root[65];

    first_run(&done, &running, &queued, root);
    second_run(done, running, queued, root);
    off_run(done);
    table_run();
    puts("test_pog_restart: ok");
    return 0;
}
