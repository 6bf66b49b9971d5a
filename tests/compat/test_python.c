/* SPDX-License-Identifier: MIT */
/* Round trip with the upstream Python code path: python3's sqlite3 module
 * writes rows the validator's way and computedb serves them; computedb
 * writes and Python reads them back byte for byte; then both write the same
 * file at once and nothing is lost. Skipped (77) without python3. */
#include "check.h"
#include "harness.h"
#include "upstream.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *hk[4];

static bool py_missing(void)
{
    FILE *p = popen("python3 -c 'import sqlite3, json' 2>/dev/null", "r");

    return !p || pclose(p) != 0;
}
static char script[1024];

/* Runs the helper script in mode; returns its exit status and, when out is
 * given, the first line it printed. */
static int py(const char *mode, const char *extra, char *out, size_t len)
{
    char cmd[2048], line[256] = "";
    FILE *p;
    int status;

    snprintf(cmd, sizeof(cmd), "python3 %s %s %s %s %s %s %s %s", script, mode,
             th_db_path(), extra ? extra : "", hk[0], hk[1], hk[2], hk[3]);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!fgets(line, sizeof(line), p))
        line[0] = '\0';
    status = pclose(p);
    if (out)
        snprintf(out, len, "%s", line);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void python_writes_computedb_serves(void)
{
    char path[160];
    struct resp r;
    json_t *d;

    CHECK_INT_EQ(py("write", NULL, NULL, 0), 0);
    r = th_get("/miners");
    CHECK_STR_EQ(json_string_value(json_object_get(r.json, "41")), hk[1]);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/miners/details/%s", hk[0]);
    r = th_get(path);
    d = json_object_get(r.json, "details");
    CHECK_STR_EQ(json_string_value(json_object_get(d, "note")), "caf\xc3\xa9");
    CHECK(json_is_true(json_object_get(d, "has_docker")));
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/pog/stats/%s", hk[0]);
    r = th_get(path); /* the NULL row is newer; the pass is still found */
    CHECK_INT_EQ(r.status, 200);
    CHECK_INT_EQ(json_integer_value(json_object_get(r.json, "num_gpus")), 8);
    th_resp_free(&r);
    r = th_get("/stats/40");
    CHECK(json_real_value(json_object_get(r.json, "score")) == 70.0);
    CHECK(json_is_true(json_object_get(r.json, "allocated")));
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/wandb-runs/%s", hk[1]);
    r = th_get(path);
    CHECK_STR_EQ(json_string_value(json_object_get(r.json, "run_id")),
                 "run-py");
    th_resp_free(&r);
}

static void send_ok(const char *method, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_ok(const char *method, const char *path, const char *fmt, ...)
{
    char body[1024];
    struct resp r;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    r = th_send(method, path, body);
    if (r.status / 100 != 2)
        fprintf(stderr, "%s %s: %ld %s\n", method, path, r.status, r.body);
    CHECK(r.status / 100 == 2);
    th_resp_free(&r);
}

static void computedb_writes_python_reads(void)
{
    char path[160];

    send_ok("PUT", "/miners",
            "{\"mode\": \"merge\", \"miners\": "
            "[{\"uid\": 50, \"hotkey\": \"%s\"}]}",
            hk[2]);
    send_ok("PUT", "/miners/details",
            "{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"cpu\": "
            "{\"count\": 8, \"frequency\": 2400.5}, \"has_docker\": false, "
            "\"gpu\": {\"count\": 0}, \"name\": \"\\u00fcber\"}}]}",
            hk[2]);
    send_ok("PUT", "/stats",
            "{\"stats\": {\"51\": {\"hotkey\": \"%s\", \"gpu_specs\": "
            "{\"gpu_name\": \"NVIDIA H200\", \"num_gpus\": 2}, \"score\": 25, "
            "\"allocated\": true, \"own_score\": false}}}",
            hk[2]);
    send_ok("POST", "/pog/stats",
            "{\"hotkey\": \"%s\", \"gpu_name\": \"NVIDIA H200\", "
            "\"num_gpus\": 2}",
            hk[2]);
    snprintf(path, sizeof(path), "/allocations/%s", hk[2]);
    send_ok("PUT", path, "{\"details\": {\"uuid\": \"u-2\"}}");
    CHECK_INT_EQ(py("check", NULL, NULL, 0), 0);
}

/* Python commits 300 transactions while we post 100 batches of 20 rows.
 * Every batch must be 201 or a 503 with Retry-After; the file must hold
 * exactly the acknowledged rows of both writers. */
static void both_write_at_once(void)
{
    char cmd[2048], line[64] = "";
    long ok_batches = 0, py_ok;
    FILE *p;
    sqlite3 *db;
    char buf[32];

    snprintf(cmd, sizeof(cmd), "python3 %s hammer %s 300 %s %s %s %s", script,
             th_db_path(), hk[0], hk[1], hk[2], hk[3]);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    for (int b = 0; b < 100; b++) {
        char body[8192];
        size_t n = (size_t)snprintf(body, sizeof(body), "{\"challenges\": [");
        struct resp r;

        for (int i = 0; i < 20; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n,
                                  "%s{\"uid\": %d, \"hotkey\": \"%s\", "
                                  "\"success\": true, \"elapsed_time\": 1.0, "
                                  "\"difficulty\": 5}",
                                  i ? ", " : "", 200 + b % 5, hk[3]);
        snprintf(body + n, sizeof(body) - n, "]}");
        r = th_send("POST", "/challenges", body);
        CHECK(r.status == 201 ||
              (r.status == 503 &&
               th_header(&r, "Retry-After", buf, sizeof(buf))));
        ok_batches += r.status == 201;
        th_resp_free(&r);
    }
    CHECK(fgets(line, sizeof(line), p) != NULL);
    CHECK_INT_EQ(pclose(p), 0);
    py_ok = strtol(line, NULL, 10);
    CHECK(py_ok > 0 && ok_batches > 0);
    db = up_open(th_db_path());
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM challenge_details "
                            "WHERE uid >= 200"),
                 ok_batches * 20);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM tb"), py_ok);
    CHECK_STR_EQ(up_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    sqlite3_close(db);
    fprintf(stderr, "concurrent: computedb %ld/100 batches, python %ld/300\n",
            ok_batches, py_ok);
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");

    if (!src || py_missing())
        SKIP("python3 is not installed");
    snprintf(script, sizeof(script), "%s/tests/compat/upstream_py.py", src);
    for (unsigned i = 0; i < 4; i++)
        hk[i] = th_hotkey(300 + i);
    th_start(NULL);
    python_writes_computedb_serves();
    computedb_writes_python_reads();
    both_write_at_once();
    th_stop();
    return 0;
}
