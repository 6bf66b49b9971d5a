/* SPDX-License-Identifier: MIT */
/* GET /pog/jobs: keyset pages over pog_jobs, newest first, filtered by
 * state and kind; the same jobs GET /pog/jobs/{id} reads, with job error
 * codes in the API's style (also for rows stored in the old one); readers
 * may list; and the list still answers while the workers are off. */
#include "app/config.h"
#include "pog_util.h"

enum { N_DONE = 4 }; /* finished jobs the test runs first */

/* GET path (printf-built), which must answer 200 with a page: the page. */
static json_t *page(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *page(const char *fmt, ...)
{
    char path[256];
    va_list ap;
    struct resp r;
    json_t *p;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    r = th_get(path);
    CHECK_STATUS(r, 200);
    CHECK(json_is_array(json_object_get(r.json, "items")));
    CHECK(json_object_get(r.json, "next") != NULL);
    p = json_incref(r.json);
    th_resp_free(&r);
    return p;
}

/* Item k's id. */
static int64_t id_at(const json_t *p, size_t k)
{
    return tu_jint(json_array_get(json_object_get(p, "items"), k), "id");
}

static size_t n_items(const json_t *p)
{
    return json_array_size(json_object_get(p, "items"));
}

/* Every item of p has member key equal to want. */
static void all_are(const json_t *p, const char *key, const char *want)
{
    const json_t *job;
    size_t k;

    json_array_foreach (json_object_get(p, "items"), k, job)
        CHECK_STR_EQ(tu_jstr(job, key), want);
}

/* Finished jobs of three kinds; ids[] gets them in submission order. */
static void run_jobs(int64_t ids[N_DONE])
{
    static const char *const bodies[N_DONE] = {
        "{\"kind\": \"info\"}",
        "{\"kind\": \"compute\", \"n\": 8, \"seed_a\": \"1\", \"seed_b\": "
        "\"2\"}",
        "{\"kind\": \"selftest\"}",
        "{\"kind\": \"info\"}",
    };

    for (size_t k = 0; k < N_DONE; k++) {
        ids[k] = pu_submit(bodies[k]);
        json_decref(pu_wait(ids[k]));
    }
}

/* The whole list, newest first, then walked two at a time by the cursor:
 * the same ids, each once. */
static void test_pages(const int64_t ids[N_DONE])
{
    json_t *all = page("/pog/jobs"), *p;
    size_t seen = 0;
    const char *next;
    char cursor[24] = "0";

    CHECK_INT_EQ(n_items(all), N_DONE);
    CHECK(json_is_null(json_object_get(all, "next")));
    for (size_t k = 0; k < N_DONE; k++)
        CHECK_INT_EQ(id_at(all, k), ids[N_DONE - 1 - k]);
    do {
        p = page("/pog/jobs?limit=2&cursor=%s", cursor);
        for (size_t k = 0; k < n_items(p); k++)
            CHECK_INT_EQ(id_at(p, k), id_at(all, seen++));
        next = tu_jstr(p, "next");
        if (next) {
            CHECK_INT_EQ(n_items(p), 2);
            CHECK_INT_EQ(strtoll(next, NULL, 10), id_at(p, 1));
            snprintf(cursor, sizeof(cursor), "%s", next);
        }
        json_decref(p);
    } while (next);
    CHECK_INT_EQ(seen, N_DONE);
    json_decref(all);
}

/* The items are the jobs as GET /pog/jobs/{id} reads them. */
static void test_same_as_get(const int64_t ids[N_DONE])
{
    json_t *p = page("/pog/jobs?kind=compute");
    json_t *item = json_array_get(json_object_get(p, "items"), 0);
    json_t *job = pu_job(ids[1]);

    CHECK_INT_EQ(n_items(p), 1);
    json_object_del(job, "seq"); /* the pool's; a stored job has none */
    CHECK(json_equal(item, job));
    json_decref(job);
    json_decref(p);
}

static void test_filters(const int64_t ids[N_DONE])
{
    json_t *p = page("/pog/jobs?kind=info&state=done");

    CHECK_INT_EQ(n_items(p), 2);
    CHECK_INT_EQ(id_at(p, 0), ids[3]);
    CHECK_INT_EQ(id_at(p, 1), ids[0]);
    all_are(p, "kind", "info");
    json_decref(p);
    p = page("/pog/jobs?state=done");
    CHECK_INT_EQ(n_items(p), N_DONE);
    all_are(p, "state", "done");
    json_decref(p);
    p = page("/pog/jobs?state=failed");
    CHECK_INT_EQ(n_items(p), 0);
    CHECK(json_is_null(json_object_get(p, "next")));
    json_decref(p);
    p = page("/pog/jobs?kind=benchmark&cursor=%lld", (long long)ids[3]);
    CHECK_INT_EQ(n_items(p), 0);
    json_decref(p);
}

/* DELETE /pog/jobs/{id}: the answer's status. */
static long cancel(int64_t id)
{
    char path[64];
    struct resp r;
    long status;

    snprintf(path, sizeof(path), "/pog/jobs/%lld", (long long)id);
    r = th_request("DELETE", path, NULL, NULL, NULL);
    status = r.status;
    th_resp_free(&r);
    return status;
}

/* One job running and one queued behind it, found by state; then the
 * cancelled one shows the API-style code. */
static void test_unfinished(void)
{
    int64_t running = pu_submit(PU_LONG_JOB), queued;
    json_t *p, *err;

    pu_wait_state(running, "running");
    queued = pu_submit("{\"kind\": \"info\"}");
    p = page("/pog/jobs?state=running");
    CHECK_INT_EQ(n_items(p), 1);
    CHECK_INT_EQ(id_at(p, 0), running);
    json_decref(p);
    p = page("/pog/jobs?state=queued");
    CHECK_INT_EQ(n_items(p), 1);
    CHECK_INT_EQ(id_at(p, 0), queued);
    json_decref(p);
    CHECK_INT_EQ(cancel(queued), 200); /* at once */
    p = page("/pog/jobs?state=cancelled");
    CHECK_INT_EQ(n_items(p), 1);
    err = json_object_get(json_array_get(json_object_get(p, "items"), 0),
                          "error");
    CHECK_STR_EQ(tu_jstr(err, "code"), "cancelled");
    json_decref(p);
    CHECK(cancel(running) / 100 == 2); /* 200, or 202 while it stops */
    json_decref(pu_wait(running));
}

static void test_refused(void)
{
    const struct th_key *reader = th_key_new(ROLE_READER);
    struct resp r;

    tu_bad("GET", "/pog/jobs?state=finished", NULL, "state");
    tu_bad("GET", "/pog/jobs?kind=verify", NULL, "kind");
    tu_bad("GET", "/pog/jobs?state=", NULL, "state");
    tu_bad("GET", "/pog/jobs?limit=0", NULL, "limit");
    tu_bad("GET", "/pog/jobs?limit=101", NULL, "limit");
    tu_bad("GET", "/pog/jobs?cursor=-1", NULL, "cursor");
    tu_bad("GET", "/pog/jobs?cursor=x", NULL, "cursor");
    tu_bad("GET", "/pog/jobs?principal=x", NULL, "principal");
    th_use(reader); /* readers may list, as they may read one job */
    json_decref(page("/pog/jobs?limit=1"));
    th_use(NULL);
    r = th_get("/pog/jobs");
    th_expect_error(&r, 401, "unauthenticated", NULL);
    th_resp_free(&r);
    th_use(th_admin());
}

/* A row stored with the old code style ("ERR_TIMEOUT") reads in the new
 * one, listed and alone; the stored text stays as it was. */
static void test_old_style(int64_t id)
{
    json_t *p, *job;

    tu_exec("INSERT INTO pog_jobs (id, kind, state, device, params, error, "
            "submitted_at, finished_at) VALUES (%lld, 'compute', "
            "'timed_out', 0, '{}', '{\"code\":\"ERR_TIMEOUT\",\"message\":"
            "\"the job ran past its deadline\"}', 1, 2)",
            (long long)id);
    p = page("/pog/jobs?state=timed_out");
    CHECK_INT_EQ(n_items(p), 1);
    CHECK_INT_EQ(id_at(p, 0), id);
    CHECK_STR_EQ(
        tu_jstr(json_object_get(json_array_get(json_object_get(p, "items"), 0),
                                "error"),
                "code"),
        "timeout");
    json_decref(p);
    job = pu_job(id);
    CHECK_STR_EQ(tu_jstr(json_object_get(job, "error"), "code"), "timeout");
    json_decref(job);
}

static void workers_off(struct config *cfg)
{
    snprintf(cfg->pog_backend, sizeof(cfg->pog_backend), "off");
}

/* With --pog-backend off the stored jobs still list. */
static void test_workers_off(void)
{
    char db[512];
    json_t *p;

    snprintf(db, sizeof(db), "%s", th_db_path());
    tu_stop();
    th_start_with(db, workers_off);
    p = page("/pog/jobs?kind=compute&state=done");
    CHECK_INT_EQ(n_items(p), 1);
    json_decref(p);
    th_stop();
}

int main(void)
{
    int64_t ids[N_DONE];

    tu_start();
    json_decref(page("/pog/jobs")); /* none yet */
    run_jobs(ids);
    test_pages(ids);
    test_same_as_get(ids);
    test_filters(ids);
    test_unfinished();
    test_refused();
    test_old_style(ids[N_DONE - 1] + 100);
    test_workers_off();
    puts("test_pog_jobs_list: ok");
    return 0;
}
