/* SPDX-License-Identifier: MIT */
/* A second writer under load: python3's sqlite3 module writes the file the
 * way the upstream validator does (tests/compat/second_writer.py: implicit
 * transactions, the default 5 s busy timeout) while four client threads
 * keep computedb busy with signed batch writes and reads. Every answer
 * must be a 2xx, or the documented 503 with Retry-After; Python must never
 * meet "database is locked"; afterwards the file holds exactly what each
 * side committed, and PRAGMA integrity_check is ok. Runs for
 * COMPUTEDB_SECOND_WRITER_S seconds (default 5). Skipped (77) without
 * python3. */
#include "check.h"
#include "core/clock.h"
#include "harness.h"
#include "upstream.h"

#include <curl/curl.h>

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, ROWS = 10, KEYS = 20 };

static char py_hotkey[64];
static char keys[KEYS][64];
static double seconds = 5.0;

struct worker {
    int id;
    CURL *curl;
    long batches;    /* writes answered 2xx */
    long reads;      /* reads answered 200 */
    long busy;       /* 503 with Retry-After */
    long bad;        /* anything else */
    long last[KEYS]; /* specs worker: last sequence number per key */
    char why[256];
};

struct answer {
    long status;
    bool retry_after;
};

static bool py_missing(void)
{
    FILE *p = popen("python3 -c 'import sqlite3, json' 2>/dev/null", "r");

    return !p || pclose(p) != 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct answer *a = ctx;

    if (size * n >= 12 && strncasecmp(data, "Retry-After:", 12) == 0)
        a->retry_after = true;
    return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* Sends one signed request; the answer's status and Retry-After. */
static struct answer call(CURL *c, const char *method, const char *path,
                          const char *body)
{
    struct auth_subject s = {"computedb", method, path, body,
                             body ? strlen(body) : 0};
    struct auth_signed sig;
    struct curl_slist *hl = NULL;
    struct answer a = {0, false};
    char url[512], h[256];

    CHECK(auth_sign(th_admin()->seed, &s, clock_unix_ms(), &sig) == SVC_OK);
    snprintf(h, sizeof(h), "BT-Signer: %s", sig.signer);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Timestamp: %s", sig.timestamp);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Nonce: %s", sig.nonce);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Signature: %s", sig.signature);
    hl = curl_slist_append(hl, h);
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    snprintf(url, sizeof(url), "%s%s", th_base(), path);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_slist_free_all(hl);
    return a;
}

/* Counts the answer; true when it was a success. */
static bool tally(struct worker *w, const char *what, struct answer a)
{
    if (a.status >= 200 && a.status < 300)
        return true;
    if (a.status == 503 && a.retry_after) {
        w->busy++;
        return false;
    }
    w->bad++;
    snprintf(w->why, sizeof(w->why), "%s answered %ld%s", what, a.status,
             a.status == 503 ? " without Retry-After" : "");
    return false;
}

static void challenges(struct worker *w, long seq, char *body, size_t cap)
{
    size_t n = (size_t)snprintf(body, cap, "{\"challenges\": [");

    for (int i = 0; i < ROWS; i++)
        n += (size_t)snprintf(body + n, cap - n,
                              "%s{\"uid\": %d, \"hotkey\": \"%s\", "
                              "\"success\": %s, \"elapsed_time\": %d.5, "
                              "\"difficulty\": %ld}",
                              i ? ", " : "", 100 + w->id, keys[0],
                              i % 2 ? "true" : "false", i, seq % 1000000);
    snprintf(body + n, cap - n, "]}");
    if (tally(w, "POST /challenges",
              call(w->curl, "POST", "/challenges", body)))
        w->batches++;
    if (seq % 4 == 0 && tally(w, "GET /challenges/stats",
                              call(w->curl, "GET", "/challenges/stats", NULL)))
        w->reads++;
}

static void specs(struct worker *w, long seq, char *body, size_t cap)
{
    size_t k = (size_t)seq % KEYS;

    snprintf(body, cap,
             "{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"seq\": %ld, "
             "\"gpu\": {\"count\": 1}}}]}",
             keys[k], seq);
    if (tally(w, "PUT /miners/details",
              call(w->curl, "PUT", "/miners/details", body))) {
        w->batches++;
        w->last[k] = seq;
    }
    if (seq % 3 == 0 && tally(w, "GET /miners/details",
                              call(w->curl, "GET", "/miners/details", NULL)))
        w->reads++;
}

static void stats(struct worker *w, long seq, char *body, size_t cap)
{
    size_t n = (size_t)snprintf(body, cap, "{\"stats\": {");

    for (int u = 0; u < ROWS; u++)
        n += (size_t)snprintf(body + n, cap - n,
                              "%s\"%d\": {\"hotkey\": \"%s\", \"score\": 5, "
                              "\"reliability_score\": %ld, \"allocated\": "
                              "false, \"own_score\": true}",
                              u ? ", " : "", 200 + u, keys[1], seq);
    snprintf(body + n, cap - n, "}}");
    if (tally(w, "PUT /stats", call(w->curl, "PUT", "/stats", body))) {
        w->batches++;
        w->last[0] = seq;
    }
    if (seq % 3 == 0 &&
        tally(w, "GET /stats", call(w->curl, "GET", "/stats", NULL)))
        w->reads++;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    double end = check_now_s() + seconds;
    char body[4096];

    w->curl = curl_easy_init();
    CHECK(w->curl != NULL);
    for (long seq = 1; check_now_s() < end && w->bad == 0; seq++) {
        if (w->id < 2)
            challenges(w, seq, body, sizeof(body));
        else if (w->id == 2)
            specs(w, seq, body, sizeof(body));
        else
            stats(w, seq, body, sizeof(body));
    }
    curl_easy_cleanup(w->curl);
    return NULL;
}

/* What second_writer.py committed (its one JSON line). */
struct py_result {
    long transactions, challenge_rows, tb_rows, locked;
};

static struct py_result py_finish(FILE *p)
{
    char line[2048] = "";
    json_t *j;
    struct py_result r;

    CHECK(fgets(line, sizeof(line), p) != NULL);
    CHECK_INT_EQ(pclose(p), 0);
    j = json_loads(line, 0, NULL);
    CHECK(j != NULL);
    r.transactions =
        (long)json_integer_value(json_object_get(j, "transactions"));
    r.challenge_rows =
        (long)json_integer_value(json_object_get(j, "challenge_rows"));
    r.tb_rows = (long)json_integer_value(json_object_get(j, "tb_rows"));
    r.locked = (long)json_integer_value(json_object_get(j, "locked"));
    if (r.locked)
        fprintf(stderr, "python lost writes: %s", line);
    json_decref(j);
    return r;
}

static void check_file(const struct worker *w, const struct py_result *py)
{
    sqlite3 *db = up_open(th_db_path());
    char sql[256], buf[64];

    /* computedb's side: every acknowledged batch, whole. */
    for (int i = 0; i < 2; i++) {
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM challenge_details WHERE uid = %d",
                 100 + i);
        CHECK_INT_EQ(up_int(db, sql), w[i].batches * ROWS);
    }
    for (int k = 0; k < KEYS; k++) {
        if (!w[2].last[k])
            continue;
        snprintf(sql, sizeof(sql),
                 "SELECT json_extract(details, '$.seq') FROM miner_details "
                 "WHERE hotkey = '%s'",
                 keys[k]);
        CHECK_INT_EQ(up_int(db, sql), w[2].last[k]);
    }
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(DISTINCT reliability_score) FROM "
                            "stats WHERE uid BETWEEN 200 AND 209"),
                 1);
    CHECK_INT_EQ(up_int(db, "SELECT MIN(reliability_score) FROM stats WHERE "
                            "uid BETWEEN 200 AND 209"),
                 w[3].last[0]);
    /* Python's side: every committed transaction. */
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM challenge_details WHERE "
                            "uid BETWEEN 60000 AND 60009"),
                 py->challenge_rows);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM tb WHERE hotkey = '%s'",
             py_hotkey);
    CHECK_INT_EQ(up_int(db, sql), py->tb_rows);
    CHECK_STR_EQ(up_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    sqlite3_close(db);
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");
    const char *secs = getenv("COMPUTEDB_SECOND_WRITER_S");
    struct worker w[WORKERS] = {{0}};
    pthread_t t[WORKERS];
    struct py_result py;
    char cmd[2048];
    long batches = 0, reads = 0, busy = 0, bad = 0;
    FILE *p;

    if (!src || py_missing())
        SKIP("python3 is not installed");
    if (secs)
        seconds = strtod(secs, NULL);
    snprintf(py_hotkey, sizeof(py_hotkey), "%s", th_hotkey(900));
    for (int k = 0; k < KEYS; k++)
        snprintf(keys[k], sizeof(keys[k]), "%s", th_hotkey(910 + (unsigned)k));
    th_start(NULL);
    snprintf(cmd, sizeof(cmd),
             "python3 %s/tests/compat/second_writer.py %s %g %s", src,
             th_db_path(), seconds, py_hotkey);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    for (int i = 0; i < WORKERS; i++) {
        w[i].id = i;
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        if (w[i].bad)
            fprintf(stderr, "worker %d: %s\n", i, w[i].why);
        batches += w[i].batches;
        reads += w[i].reads;
        busy += w[i].busy;
        bad += w[i].bad;
    }
    py = py_finish(p);
    fprintf(stderr,
            "second writer: computedb %ld batches, %ld reads, %ld x 503; "
            "python %ld transactions, %ld locked\n",
            batches, reads, busy, py.transactions, py.locked);
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(py.locked, 0);
    CHECK(batches > 0 && py.transactions > 0);
    check_file(w, &py);
    th_stop();
    return 0;
}
