/* SPDX-License-Identifier: MIT */
/* GET /metrics for dashboards: requests counted under their real status
 * code (a PoG submission's 202 matches status=~"2.."; a code outside
 * 100..599 is status="other"), the standard process_* metrics, and the
 * counters of challenge outcomes, PoG verdicts and recorded PoG results
 * as they are written. */
#include "pog_util.h"
#include "server/metrics.h"

#include <time.h>

#define REQS "computedb_http_requests_total"

/* The sample of a labelled metric: name{labels}, 0 while absent. */
static double sample(const char *body, const char *name_labels)
{
    size_t n = strlen(name_labels);

    for (const char *p = body; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncmp(p, name_labels, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return 0;
}

/* The current sample of name_labels in GET /metrics. */
static double metric(const char *name_labels)
{
    struct resp r = th_get("/metrics");
    double v;

    CHECK_STATUS(r, 200);
    v = sample(r.body, name_labels);
    th_resp_free(&r);
    return v;
}

/* Every code as itself: 202 and 201 of the PoG routes, a code of no route
 * (418 through the counter's own entry), and codes no HTTP status can be
 * as "other". */
static void test_status_codes(void)
{
    json_t *job;

    job = pu_wait(pu_submit("{\"kind\": \"info\"}"));
    json_decref(job);
    CHECK_REAL_EQ(
        metric(REQS "{route=\"/pog/jobs\",method=\"POST\",status=\"202\"}"), 1);
    CHECK(metric(REQS "{route=\"/pog/jobs/:id\",method=\"GET\","
                      "status=\"200\"}") >= 1);
    metrics_request_end(NULL, 418, 0.001);
    metrics_request_end(NULL, 99, 0.001);
    metrics_request_end(NULL, 600, 0.001);
    metrics_request_end(NULL, -1, 0.001);
    CHECK_REAL_EQ(
        metric(REQS "{route=\"unmatched\",method=\"\",status=\"418\"}"), 1);
    CHECK_REAL_EQ(
        metric(REQS "{route=\"unmatched\",method=\"\",status=\"other\"}"), 3);
}

/* The standard names and types, with values a live process has. */
static void test_process(void)
{
    static const char *const types[] = {
        "# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
        "# TYPE process_open_fds gauge\n",
        "# TYPE process_max_fds gauge\n",
    };
    struct resp r = th_get("/metrics");
    double rss, start, fds;

    CHECK_STATUS(r, 200);
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
        CHECK(strstr(r.body, types[k]) != NULL);
    rss = sample(r.body, "process_resident_memory_bytes");
    CHECK(rss > 0);
    CHECK(sample(r.body, "process_virtual_memory_bytes") >= rss);
    CHECK(sample(r.body, "process_cpu_seconds_total") >= 0);
    /* This test's own process: started before now, and not long ago. */
    start = sample(r.body, "process_start_time_seconds");
    CHECK(start <= (double)time(NULL) + 1);
    CHECK(start > (double)time(NULL) - 3600);
    fds = sample(r.body, "process_open_fds");
    CHECK(fds >= 3);
    CHECK(sample(r.body, "process_max_fds") >= fds);
    /* The old computedb_process_* duplicates are gone. */
    CHECK(strstr(r.body, "computedb_process_resident_memory_bytes") == NULL);
    th_resp_free(&r);
}

/* Two successes and a failure; a refused batch counts nothing. */
static void test_challenges(void)
{
    struct resp r = tu_sendf(
        "POST", "/challenges",
        "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"%s\", \"success\": true, "
        "\"elapsed_time\": 1.5, \"difficulty\": 3}, {\"uid\": 2, \"hotkey\": "
        "\"%s\", \"success\": true, \"elapsed_time\": 2, \"difficulty\": 3}, "
        "{\"uid\": 3, \"hotkey\": \"%s\", \"success\": false, "
        "\"elapsed_time\": 9, \"difficulty\": 3}]}",
        th_hotkey(1), th_hotkey(2), th_hotkey(3));

    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    r = tu_sendf("POST", "/challenges",
                 "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"%s\", "
                 "\"success\": true, \"elapsed_time\": 1, \"difficulty\": 3}, "
                 "{\"uid\": 2, \"success\": false}]}",
                 th_hotkey(1));
    CHECK_STATUS(r, 400);
    th_resp_free(&r);
    CHECK_REAL_EQ(metric("computedb_challenges_total{outcome=\"success\"}"), 2);
    CHECK_REAL_EQ(metric("computedb_challenges_total{outcome=\"failure\"}"), 1);
}

/* POSTs a verification of proof claiming seed_a sa (the round's seeds
 * are 1 and 2), recorded for hotkey when it is set; the verdict's pass. */
static bool verify(const json_t *proof, const char *sa, const char *hotkey)
{
    json_t *body = pu_verify_body(8, pu_claim(proof, 0, sa, "2"));
    struct resp r;
    bool pass;

    if (hotkey)
        CHECK(json_object_set_new(body, "hotkey", json_string(hotkey)) == 0 &&
              json_object_set_new(body, "gpu_name",
                                  json_string("NVIDIA H100")) == 0);
    r = pu_verify(body);
    CHECK_STATUS(r, 200);
    pass = json_is_true(json_object_get(r.json, "pass"));
    th_resp_free(&r);
    json_decref(body);
    return pass;
}

/* Verdicts of POST /pog/verify; results recorded by it (with a hotkey) and
 * by POST /pog/stats. */
static void test_pog(void)
{
    int64_t id = pu_submit(
        "{\"kind\": \"compute\", \"n\": 8, \"seed_a\": \"1\", \"seed_b\": "
        "\"2\"}");
    char *body = tu_strf(
        "{\"kind\": \"proof\", \"compute_job\": %lld, \"indices\": [[1, 2]]}",
        (long long)id);
    json_t *proof;
    struct resp r;

    json_decref(pu_wait(id));
    proof = pu_run(body);
    free(body);
    CHECK(verify(proof, "1", NULL));
    CHECK(!verify(proof, "3", NULL));
    CHECK(verify(proof, "1", th_hotkey(4)));
    json_decref(proof);
    r = tu_sendf("POST", "/pog/stats",
                 "{\"hotkey\": \"%s\", \"gpu_name\": null, \"num_gpus\": null}",
                 th_hotkey(5));
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    CHECK_REAL_EQ(metric("computedb_pog_verdicts_total{verdict=\"pass\"}"), 2);
    CHECK_REAL_EQ(metric("computedb_pog_verdicts_total{verdict=\"fail\"}"), 1);
    CHECK_REAL_EQ(metric("computedb_pog_results_total{outcome=\"pass\"}"), 1);
    CHECK_REAL_EQ(metric("computedb_pog_results_total{outcome=\"fail\"}"), 1);
    CHECK_REAL_EQ(
        metric(REQS "{route=\"/pog/jobs\",method=\"POST\",status=\"202\"}"), 3);
}

/* The disk the SQLite file is on: free bytes and the --min-free-disk
 * floor, for the disk alert (none on PostgreSQL). */
static void test_disk(void)
{
    if (th_postgres())
        return;
    CHECK(th_metric("computedb_db_disk_free_bytes") > 0);
    CHECK(th_metric("computedb_db_disk_min_free_bytes") == 268435456.0);
}

int main(void)
{
    tu_start();
    test_disk();
    test_status_codes();
    test_process();
    test_challenges();
    test_pog();
    tu_stop();
    puts("test_metrics_codes: ok");
    return 0;
}
