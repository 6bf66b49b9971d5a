/* SPDX-License-Identifier: MIT */
/* Online backups: POST /admin/backup while another thread keeps writing;
 * the copy passes integrity_check and holds every row acknowledged before
 * the backup began; GET /admin/backup streams it byte for byte; names are
 * validated (no paths) and never overwritten. */
#include "check.h"
#include "core/clock.h"
#include "harness.h"
#include "util.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static atomic_long acked;

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}
static atomic_bool stop_writer;
static char base[64];

/* A second client (its own curl handle) posting batches of 50 rows, signed
 * with the admin key, counting the rows acknowledged. */
static void *writer(void *arg)
{
    const struct th_key *k = arg;
    CURL *c = curl_easy_init();
    char body[16384];
    int batch = 0;

    while (c && !atomic_load(&stop_writer) && batch < 400) {
        struct auth_subject s = {"computedb", "POST", "/challenges", body, 0};
        struct auth_signed sig;
        struct curl_slist *hl = NULL;
        char h[4][200], url[128];
        long status = 0;
        size_t n = (size_t)snprintf(body, sizeof(body), "{\"challenges\": [");

        for (int i = 0; i < 50; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n,
                                  "%s{\"uid\": %d, \"hotkey\": \"%s\", "
                                  "\"success\": true, \"elapsed_time\": 1.0, "
                                  "\"difficulty\": 3}",
                                  i ? ", " : "", batch % 200, th_hotkey(7));
        n += (size_t)snprintf(body + n, sizeof(body) - n, "]}");
        s.body_len = n;
        CHECK(auth_sign(k->seed, &s, clock_unix_ms(), &sig) == SVC_OK);
        snprintf(h[0], sizeof(h[0]), "BT-Signer: %s", sig.signer);
        snprintf(h[1], sizeof(h[1]), "BT-Timestamp: %s", sig.timestamp);
        snprintf(h[2], sizeof(h[2]), "BT-Nonce: %s", sig.nonce);
        snprintf(h[3], sizeof(h[3]), "BT-Signature: %s", sig.signature);
        for (int i = 0; i < 4; i++)
            hl = curl_slist_append(hl, h[i]);
        hl = curl_slist_append(hl, "Content-Type: application/json");
        snprintf(url, sizeof(url), "%s/challenges", base);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        CHECK(curl_easy_perform(c) == CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hl);
        CHECK_INT_EQ(status, 201);
        atomic_fetch_add(&acked, 50);
        batch++;
    }
    curl_easy_cleanup(c);
    return NULL;
}

static long rows_in(const char *path, const char *check)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long n;

    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), check);
    sqlite3_finalize(st);
    CHECK(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM challenge_details", -1,
                             &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void check_concurrent_backup(void)
{
    pthread_t t;
    struct resp r;
    long before, in_copy;
    char path[512];

    snprintf(base, sizeof(base), "%s", th_base());
    CHECK(pthread_create(&t, NULL, writer, (void *)(uintptr_t)th_admin()) == 0);
    while (atomic_load(&acked) < 2000) { /* let the writer get going */
        struct timespec ms = {0, 1000000L};

        nanosleep(&ms, NULL);
    }
    before = atomic_load(&acked);
    r = th_send("POST", "/admin/backup", "{\"name\": \"during-writes.db\"}");
    CHECK_INT_EQ(r.status, 201);
    CHECK(json_integer_value(json_object_get(r.json, "bytes")) > 0);
    th_resp_free(&r);
    atomic_store(&stop_writer, true);
    pthread_join(t, NULL);
    snprintf(path, sizeof(path), "%s/backups/during-writes.db", th_dir());
    in_copy = rows_in(path, "ok");
    fprintf(stderr,
            "acknowledged before backup: %ld, in the copy: %ld, "
            "acknowledged in all: %ld\n",
            before, in_copy, (long)atomic_load(&acked));
    CHECK(in_copy >= before);
    CHECK(in_copy <= atomic_load(&acked));
    CHECK_INT_EQ(in_copy % 50, 0); /* no batch half in */
}

static void check_download_and_names(void)
{
    struct resp r;
    char path[512], buf[128];
    FILE *f;
    long size;

    r = th_get("/admin/backup?name=during-writes.db");
    CHECK_INT_EQ(r.status, 200);
    CHECK(th_header(&r, "Content-Type", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "application/vnd.sqlite3");
    snprintf(path, sizeof(path), "%s/backups/during-writes.db", th_dir());
    f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    CHECK_INT_EQ((long)r.len, size);
    CHECK(memcmp(r.body, "SQLite format 3", 15) == 0);
    th_resp_free(&r);
    r = th_get("/admin/backup"); /* the newest */
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    tu_reject("POST", "/admin/backup", "{\"name\": \"during-writes.db\"}", 409,
              "conflict", "name"); /* never overwritten */
}

static void check_bad_names(void)
{
    static const char *const names[] = {"../escape.db",
                                        "a/b.db",
                                        ".hidden",
                                        "-x.db",
                                        "",
                                        "0123456789012345678901234567890123"
                                        "4567890123456789012345678901234"};
    struct resp r;
    char body[256];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(body, sizeof(body), "{\"name\": \"%s\"}", names[i]);
        r = th_send("POST", "/admin/backup", body);
        th_expect_error(&r, 400, "invalid_argument", "name");
        th_resp_free(&r);
    }
    r = th_get("/admin/backup?name=..%2Fdatabase.db");
    th_expect_error(&r, 400, "invalid_argument", "name");
    th_resp_free(&r);
    r = th_get("/admin/backup?name=missing.db");
    th_expect_error(&r, 404, "not_found", "name");
    th_resp_free(&r);
    r = th_send("POST", "/admin/backup", "{}");
    CHECK_INT_EQ(r.status, 201);
    th_resp_free(&r);
}

/* A PostgreSQL database is backed up with its own tools: both backup
 * routes answer 409 and say so. */
static void check_postgres_refusal(void)
{
    struct resp r = th_send("POST", "/admin/backup", "{}");

    th_expect_error(&r, 409, "conflict", NULL);
    CHECK(strstr(r.body, "pg_dump") != NULL);
    th_resp_free(&r);
    r = th_get("/admin/backup");
    th_expect_error(&r, 409, "conflict", NULL);
    th_resp_free(&r);
}

int main(void)
{
    tu_start();
    if (th_postgres()) {
        check_postgres_refusal();
        tu_stop();
        return 0;
    }
    check_concurrent_backup();
    check_bad_names();
    check_download_and_names();
    tu_stop();
    return 0;
}
