/* SPDX-License-Identifier: MIT */
/* Hostile input over real sockets, beyond what test_errors.c covers: the
 * connection-level attacks (slowloris on headers and bodies, header floods,
 * 100 MB bodies with and without Content-Length, thousands of idle
 * connections against --conn-limit, malformed request lines) and the body
 * and target attacks that need raw bytes or signatures on odd bytes (NUL
 * bytes, deep nesting, invalid UTF-8 in the path and query, SQL
 * metacharacters in the remaining fields, path tricks in backup names).
 * Each attack must get a clear 4xx (or 503), or a closed connection,
 * within a bounded time; the server keeps answering /healthz; nothing is
 * written. The server runs with --conn-timeout 2 and --conn-limit 100. */
#include "app/config.h"
#include "core/clock.h"
#include "raw.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { CONN_TIMEOUT_S = 2, CONN_LIMIT = 100, MB = 1024 * 1024 };

static void tweak(struct config *cfg)
{
    cfg->conn_timeout_s = CONN_TIMEOUT_S;
    cfg->conn_limit = CONN_LIMIT;
}

/* The answer was a refusal: a 4xx, a 503, or the connection closed without
 * one. Never another 5xx, never silence (read_answer times out). */
static void expect_refused(const struct raw *r, const char *what)
{
    bool ok = r->status == 0 || r->status == 503 ||
              (r->status >= 400 && r->status < 500);

    if (!ok)
        fprintf(stderr, "%s: answered %d: %.300s\n", what, r->status, r->text);
    CHECK(ok);
}

/* The header block of a signed request for body (len bytes). */
static char *signed_head(const char *method, const char *target,
                         const char *body, size_t len)
{
    struct auth_subject s = {"computedb", method, target, body, len};
    struct auth_signed sig;

    CHECK(auth_sign(th_admin()->seed, &s, clock_unix_ms(), &sig) == SVC_OK);
    return tu_strf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "BT-Signer: %s\r\nBT-Timestamp: %s\r\nBT-Nonce: %s\r\n"
                   "BT-Signature: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   method, target, sig.signer, sig.timestamp, sig.nonce,
                   sig.signature, len);
}

/* A signed request with a body of arbitrary bytes. */
static struct raw signed_raw(const char *method, const char *target,
                             const char *body, size_t len)
{
    char *head = signed_head(method, target, body, len);
    char *req = malloc(strlen(head) + len);
    struct raw r;

    CHECK(req != NULL);
    memcpy(req, head, strlen(head));
    memcpy(req + strlen(head), body, len);
    r = exchange(req, strlen(head) + len);
    free(req);
    free(head);
    return r;
}

/* Resident memory of this process (the server runs in it), in bytes. */
static long long rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, resident = 0;

    CHECK(f != NULL);
    CHECK(fscanf(f, "%lld %lld", &pages, &resident) == 2);
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Open file descriptors of this process. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    CHECK(d != NULL);
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the one opendir holds */
}

/* ---- bodies and targets ------------------------------------------------- */

static void test_raw_bytes_in_bodies(void)
{
    /* clang-format off */
#define B(s) {s, sizeof(s) - 1}
    static const struct {
        const char *body;
        size_t len;
    } bodies[] = {
        B("{\"run_id\": \"a\0b\"}"),             /* NUL inside a string */
        B("{\"run_id\": \"a\"}\0"),              /* NUL after the object */
        B("\0"),                                 /* NUL alone */
        B("{\"run_id\"\0: \"a\"}"),              /* NUL between tokens */
        B("\xef\xbb\xbf{\"run_id\": \"bom\"}"),  /* byte order mark */
        B("{\"run_id\": \"\xf4\x90\x80\x80\"}"), /* above U+10FFFF */
        B("{\"run_id\": \"\xc3\"}"),             /* truncated sequence */
    };
#undef B
    /* clang-format on */
    char *path = tu_strf("/wandb-runs/%s", hk(1));

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct tu_snap before = tu_snap_take();
        struct raw r = signed_raw("PUT", path, bodies[i].body, bodies[i].len);

        if (r.status != 400)
            fprintf(stderr, "raw body %zu: %.300s\n", i, r.text);
        CHECK_INT_EQ(r.status, 400);
        CHECK(raw_body(&r) &&
              strstr(raw_body(&r), "\"invalid_argument\"") != NULL);
        CHECK_UNCHANGED(before);
    }
    free(path);
}

/* n nested arrays around a value, inside a valid body. */
static char *nested(const char *head, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *b = malloc(h + 2 * n + t + 1);

    CHECK(b != NULL);
    memcpy(b, head, h);
    memset(b + h, '[', n);
    memset(b + h + n, ']', n);
    memcpy(b + h + 2 * n, tail, t + 1);
    return b;
}

static void test_deep_nesting(void)
{
    char *path = tu_strf("/wandb-runs/%s", hk(2)), *b, *head;
    struct raw raw;

    /* Far past any parser limit (30000 levels in a 60 KB body): 400. */
    b = nested("{\"run_id\": ", 30000, "}");
    tu_bad("PUT", path, b, NULL);
    free(b);
    head = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"x\": ",
                   hk(2));
    b = nested(head, 30000, "}}]}");
    tu_bad("PUT", "/miners/details", b, NULL);
    free(b);
    /* Within jansson's limit but deeper than the Python validator reads
     * (CPython's json stops near 1,000): refused before anything is stored
     * (tests/http/test_attacks_depth.c has the exact cap). */
    b = nested(head, 1500, "}}]}");
    tu_bad("PUT", "/miners/details", b, NULL);
    free(b);
    free(head);
    /* Read back off the record: the contract check's Python parser has a
     * smaller nesting limit than ours. */
    raw = signed_raw("GET", "/miners/details", "", 0);
    CHECK_INT_EQ(raw.status, 200);
    tu_exec("DELETE FROM miner_details WHERE hotkey = %Q", hk(2));
    free(path);
}

/* tmpl with every "@HK@" replaced by a valid hotkey (free() it). */
static char *with_hotkey(const char *tmpl)
{
    const char *at = strstr(tmpl, "@HK@");
    char *head, *out;

    if (!at)
        return tu_strf("%s", tmpl);
    head = with_hotkey(at + 4);
    out = tu_strf("%.*s%s%s", (int)(at - tmpl), tmpl, hk(3), head);
    free(head);
    return out;
}

static void test_negative_numbers(void)
{
    static const struct {
        const char *method, *path, *body, *field;
    } cases[] = {
        {"POST", "/challenges",
         "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"@HK@\", \"success\": "
         "true, \"elapsed_time\": -1, \"difficulty\": 1}]}",
         "challenges[0].elapsed_time"},
        {"POST", "/challenges",
         "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"@HK@\", \"success\": "
         "true, \"elapsed_time\": 1, \"difficulty\": -1}]}",
         "challenges[0].difficulty"},
        {"POST", "/pog/stats",
         "{\"hotkey\": \"@HK@\", \"gpu_name\": \"G\", \"num_gpus\": -8}",
         "num_gpus"},
        {"PUT", "/stats",
         "{\"stats\": {\"1\": {\"hotkey\": \"@HK@\", \"score\": -0.5, "
         "\"allocated\": false, \"own_score\": true}}}",
         "stats.1.score"},
        {"PUT", "/stats",
         "{\"stats\": {\"1\": {\"hotkey\": \"@HK@\", \"score\": \"NaN\", "
         "\"allocated\": false, \"own_score\": true}}}",
         "stats.1.score"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *b = with_hotkey(cases[i].body);

        tu_bad(cases[i].method, cases[i].path, b, cases[i].field);
        free(b);
    }
}

/* Invalid UTF-8 in the path or a query key, or a character cut by an
 * error message's truncation, must not turn a 404/400 into a 500. */
static void test_utf8_in_target(void)
{
    char long_path[160], long_key[160];
    const char *targets[] = {"/%FF",          "/healthz?%FF=1",
                             "/miners?%C3=1", "/miners/details?has_docker=%FF",
                             long_path,       long_key,
                             "/stats/%C3%28"};
    static const long want[] = {404, 400, 400, 400, 404, 400, 400};
    size_t failures = 0;

    /* 99 bytes, then a 2-byte character across the 100-byte cut. */
    snprintf(long_path, sizeof(long_path), "/%098d%%C3%%A9", 0);
    /* A 63-byte key, then a 2-byte character across the 64-byte cut. */
    snprintf(long_key, sizeof(long_key), "/miners?%063d%%C3%%A9=1", 0);
    char *alloc = tu_strf("/allocations/%s", hk(5));
    /* Valid UTF-8 bodies whose error text cuts a character: an unknown
     * key cut at the 47-byte field, a parse error quoting half of one. */
    const char *bodies[][2] = {
        {alloc, "{\"details\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "\xc3\xa9\": 1}}"},
        {"/miners", "{\"\\\xc3\xa9\": 1}"},
    };

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct tu_snap before = tu_snap_take();
        struct resp r = th_send("PUT", bodies[i][0], bodies[i][1]);

        if (r.status != 400 || !r.json) {
            fprintf(stderr, "PUT %s %s -> %ld (expected 400): %s\n",
                    bodies[i][0], bodies[i][1], r.status, r.body ? r.body : "");
            failures++;
        }
        th_resp_free(&r);
        CHECK_UNCHANGED(before);
    }
    free(alloc);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct tu_snap before = tu_snap_take();
        struct resp r = th_get(targets[i]);

        if (r.status != want[i] || !r.json) {
            fprintf(stderr, "GET %s -> %ld (expected %ld): %s\n", targets[i],
                    r.status, want[i], r.body ? r.body : "");
            failures++;
        }
        th_resp_free(&r);
        CHECK_UNCHANGED(before);
    }
    CHECK_INT_EQ(failures, 0);
}

static void test_sql_in_remaining_fields(void)
{
    static const char *const bad_queries[] = {
        "/challenges?uid=1%20OR%201=1",
        "/challenges?cursor=1;DROP%20TABLE%20miner",
        "/challenges?limit=1'--",
        "/miners/details?has_docker=true'--",
        "/admin/backup?name=x'%20OR%20'1'='1",
        "/stats/1%20OR%201=1",
    };
    static const char raw[] = "x'); DROP TABLE computedb_principals; --";
    char *path, *b;
    struct resp r;

    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++)
        if (!th_postgres() || strncmp(bad_queries[i], "/admin/backup", 13))
            tu_bad("GET", bad_queries[i], NULL, NULL); /* 409 on PostgreSQL */
    b = tu_strf("/miners/1?hotkey=%s", "'%20OR%20''='");
    tu_bad("DELETE", b, NULL, "hotkey");
    free(b);
    tu_bad("POST", "/blacklist", "{\"hotkeys\": [\"' OR 1=1 --\"]}",
           "hotkeys[0]");
    /* A principal's label is free text: stored verbatim, nothing else. */
    path = tu_strf("/admin/principals/%s", hk(4));
    b = tu_strf("{\"role\": \"reader\", \"label\": \"%s\"}", raw);
    r = th_send("PUT", path, b);
    CHECK(r.status == 200 || r.status == 201);
    th_resp_free(&r);
    r = th_get(path);
    CHECK_STATUS(r, 200);
    CHECK_STR_EQ(tu_jstr(r.json, "label"), raw);
    th_resp_free(&r);
    r = th_get("/admin/principals");
    CHECK_STATUS(r, 200); /* the table is still there */
    th_resp_free(&r);
    r = th_send("DELETE", path, NULL);
    CHECK(r.status == 204 || r.status == 200);
    th_resp_free(&r);
    free(b);
    free(path);
}

/* Folder entries of dir, sorted into one string, for a before/after. */
static char *listing(const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    char *out = tu_strf("%s", "");

    CHECK(n >= 0);
    for (int i = 0; i < n; i++) {
        char *next = tu_strf("%s%s\n", out, list[i]->d_name);

        free(out);
        out = next;
        free(list[i]);
    }
    free(list);
    return out;
}

static void test_backup_path_tricks(void)
{
    static const char *const names[] = {"..",          ".",
                                        "/etc/passwd", "a\\\\b",
                                        "x\\ny",       "caf\\u00e9.db",
                                        " lead.db",    "trail.db ",
                                        "a:b",         "..\\\\..\\\\x",
                                        "~/x"};
    static const char *const queries[] = {"..%2F..%2Fetc%2Fpasswd",
                                          "%2Fetc%2Fpasswd",
                                          "..%5Cdatabase.db",
                                          "%00",
                                          ".%2Fdatabase.db",
                                          "database.db%00.db",
                                          "..",
                                          ".",
                                          "%2e%2e%2fdatabase.db"};
    char body[256], path[256], *before, *after, *long_name;
    struct resp r;

    before = listing(th_dir());
    /* A NUL fails JSON parsing itself: no field to name. */
    tu_reject("POST", "/admin/backup", "{\"name\": \"x\\u0000y\"}", 400,
              "invalid_argument", NULL);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(body, sizeof(body), "{\"name\": \"%s\"}", names[i]);
        tu_reject("POST", "/admin/backup", body, 400, "invalid_argument",
                  "name");
    }
    long_name = malloc(20000);
    CHECK(long_name != NULL);
    memset(long_name, 'a', 19990);
    snprintf(long_name + 19990, 10, ".db");
    {
        char *b = tu_strf("{\"name\": \"%s\"}", long_name);

        tu_reject("POST", "/admin/backup", b, 400, "invalid_argument", "name");
        free(b);
    }
    free(long_name);
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        snprintf(path, sizeof(path), "/admin/backup?name=%s", queries[i]);
        r = th_get(path);
        if (r.status != 400 && r.status != 404)
            fprintf(stderr, "GET %s -> %ld\n", path, r.status);
        CHECK(r.status == 400 || r.status == 404);
        th_resp_free(&r);
    }
    after = listing(th_dir());
    CHECK_STR_EQ(after, before); /* nothing created beside the database */
    free(before);
    free(after);
}

/* ---- connections --------------------------------------------------------- */

static void test_malformed_requests(void)
{
    /* clang-format off */
#define J(s, lenient) {s, sizeof(s) - 1, lenient}
    /* lenient: libmicrohttpd may also serve it (harmless for /healthz). */
    static const struct {
        const char *bytes;
        size_t len;
        bool lenient;
    } junk[] = {
        J("GARBAGE\r\n\r\n", false),
        J("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", false),
        J("\r\n\r\n\r\n\r\n", false),
        J("GET\r\n\r\n", false),
        J("GET /healthz\r\n\r\n", false),
        J("GET /healthz HTTP/1.1\r\nNoColonHere\r\n\r\n", true),
        J("GET /healthz HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n", true),
        J("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
          false),
        J("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
          false),
        J("POST /blacklist HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
          "Content-Length: 7\r\n\r\n1234567",
          false),
        J("POST /blacklist HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          false),
        J("POST /blacklist HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
          "chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
          false),
        J("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: "
          "99999999999999999999999\r\n\r\n",
          false),
        J("GET /healthz HTTP/1.1\r\nHo\0st: t\r\n\r\n", true),
        J("GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", false),
        J("GET /healthz HTTP/1.1\r\nHost: t\r\nBT-Signer: \xff\xfe\r\n\r\n",
          true),
        J("GET /admin/backup/../database.db HTTP/1.1\r\nHost: t\r\n\r\n",
          false),
        J("GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n", false), /* last */
    };
#undef J
    /* clang-format on */
    static const char long_path_head[] = "GET /";
    static const char long_path_tail[] = " HTTP/1.1\r\nHost: t\r\n\r\n";
    char *big;
    struct raw r;

    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        struct tu_snap before = tu_snap_take();
        double t0 = check_now_s();

        r = exchange(junk[i].bytes, junk[i].len);
        /* 505 is the HTTP answer to an unknown version (libmicrohttpd). */
        if (i == sizeof(junk) / sizeof(junk[0]) - 1 && r.status == 505)
            r.status = 0;
        if (!(junk[i].lenient && r.status == 200))
            expect_refused(&r, junk[i].bytes);
        CHECK(check_now_s() - t0 < 5);
        CHECK_UNCHANGED(before);
    }
    /* A 100 KB request line. */
    big = malloc(100 * 1024 + 64);
    CHECK(big != NULL);
    memcpy(big, long_path_head, sizeof(long_path_head) - 1);
    memset(big + 5, 'a', 100 * 1024);
    memcpy(big + 5 + 100 * 1024, long_path_tail, sizeof(long_path_tail));
    r = exchange(big, 5 + 100 * 1024 + sizeof(long_path_tail) - 1);
    expect_refused(&r, "100 KB request line");
    free(big);
    expect_alive("malformed requests");
}

static void test_header_flood(void)
{
    size_t cap = 200 * 1024, n;
    char *req = malloc(cap);
    struct raw r;
    double t0;

    CHECK(req != NULL);
    /* One 100 KB header value: over the 64 KiB per-connection memory. */
    n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: t\r\nX: ");
    memset(req + n, 'v', 100 * 1024);
    n += 100 * 1024;
    n += (size_t)snprintf(req + n, cap - n, "\r\n\r\n");
    t0 = check_now_s();
    r = exchange(req, n);
    expect_refused(&r, "100 KB header");
    CHECK(check_now_s() - t0 < 5);
    /* 6000 small headers, 90 KB in all. */
    n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 6000; i++)
        n += (size_t)snprintf(req + n, cap - n, "X-%05d: v\r\n", i);
    n += (size_t)snprintf(req + n, cap - n, "\r\n");
    t0 = check_now_s();
    r = exchange(req, n);
    expect_refused(&r, "6000 headers");
    CHECK(check_now_s() - t0 < 5);
    /* 300 headers (6 KB) are fine: the limit, not the count, refuses. */
    n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(req + n, cap - n, "X-%05d: v\r\n", i);
    n += (size_t)snprintf(req + n, cap - n, "Connection: close\r\n\r\n");
    r = exchange(req, n);
    CHECK_INT_EQ(r.status, 200);
    free(req);
    expect_alive("header floods");
}

/* Streams total bytes of spaces in chunks; false when the server closed. */
static bool stream(int fd, size_t total, bool chunked)
{
    static char block[MB];
    char size_line[32];

    memset(block, ' ', sizeof(block));
    for (size_t sent = 0; sent < total; sent += sizeof(block)) {
        if (chunked) {
            snprintf(size_line, sizeof(size_line), "%zx\r\n", sizeof(block));
            if (!send_str(fd, size_line))
                return false;
        }
        if (!send_all(fd, block, sizeof(block)) ||
            (chunked && !send_str(fd, "\r\n")))
            return false;
    }
    return !chunked || send_str(fd, "0\r\n\r\n");
}

static void test_huge_bodies(void)
{
    /* A write route (the 413 comes before authentication) and an open one. */
    static const char *const targets[] = {"PUT /wandb-runs/x", "GET /healthz"};
    long long rss0 = rss();

    for (size_t t = 0; t < 2; t++) {
        struct tu_snap before = tu_snap_take();
        char *head;
        struct raw r;
        double t0 = check_now_s();
        int fd = dial();

        /* Declared: refused from the headers alone, before any body. */
        CHECK(fd >= 0);
        head = tu_strf("%s HTTP/1.1\r\nHost: t\r\nContent-Type: "
                       "application/json\r\nContent-Length: %d\r\n\r\n",
                       targets[t], 100 * MB);
        CHECK(send_str(fd, head));
        free(head);
        r = read_answer(fd);
        CHECK_INT_EQ(r.status, 413);
        CHECK(raw_body(&r) &&
              strstr(raw_body(&r), "payload_too_large") != NULL);
        CHECK(check_now_s() - t0 < 3);
        stream(fd, 100 * MB, false); /* the server may hang up meanwhile */
        close(fd);

        /* Chunked, no declared length: read and dropped past the cap. */
        fd = dial();
        CHECK(fd >= 0);
        head = tu_strf("%s HTTP/1.1\r\nHost: t\r\nContent-Type: "
                       "application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                       targets[t]);
        CHECK(send_str(fd, head));
        free(head);
        t0 = check_now_s();
        if (stream(fd, 100 * MB, true)) {
            r = read_answer(fd);
            expect_refused(&r, "100 MB chunked body");
        }
        close(fd);
        CHECK(check_now_s() - t0 < 60);
        CHECK_UNCHANGED(before);
    }
    /* The bodies were never held: the process grew by far less. */
    if (rss() - rss0 > 64LL * MB)
        fprintf(stderr, "RSS grew by %lld MB\n", (rss() - rss0) / MB);
    CHECK(rss() - rss0 <= 64LL * MB);
    expect_alive("100 MB bodies");
}

static void test_slowloris(void)
{
    enum { SLOW = 40 };
    int fds[SLOW];
    double t0 = check_now_s();
    size_t closed = 0;

    for (int i = 0; i < SLOW; i++) {
        fds[i] = dial();
        CHECK(fds[i] >= 0);
        if (i % 2)
            CHECK(send_str(fds[i], "GET /healthz HTTP/1.1\r\nHost: t\r\n"));
        else /* complete headers, a body that never comes in full */
            CHECK(send_str(fds[i], "PUT /wandb-runs/x HTTP/1.1\r\nHost: "
                                   "t\r\nContent-Length: 100\r\n\r\n{"));
    }
    /* Trickle a byte or a header every 250 ms for 3 s; others get served
     * promptly meanwhile. */
    while (check_now_s() - t0 < 3) {
        double probe = check_now_s();

        for (int i = 0; i < SLOW; i++)
            send_str(fds[i], i % 2 ? "X-Slow: 1\r\n" : " ");
        CHECK_INT_EQ(healthz(), 200);
        CHECK(check_now_s() - probe < 2.5); /* loaded machines are slow */
        usleep(250 * 1000);
    }
    /* Gone quiet: each is closed once idle for --conn-timeout. */
    for (int i = 0; i < SLOW; i++) {
        closed += closed_by_server(fds[i], (CONN_TIMEOUT_S + 3) * 1000);
        close(fds[i]);
    }
    if (closed != SLOW)
        fprintf(stderr, "slowloris: %zu of %d idle connections closed\n",
                closed, SLOW);
    CHECK_INT_EQ(closed, SLOW);
    expect_alive("slowloris");
}

/* Opens up to n connections without blocking on a full backlog; returns
 * how many are connected (their descriptors in fds). */
static int dial_many(int *fds, int n)
{
    struct sockaddr_in sa = {0};
    int ok = 0;

    sa.sin_family = AF_INET;
    sa.sin_port = htons(raw_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct pollfd p = {fd, POLLOUT, 0};

        CHECK(fd >= 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
            (errno == EINPROGRESS && poll(&p, 1, 200) == 1 &&
             !(p.revents & (POLLERR | POLLHUP))))
            fds[ok++] = fd;
        else
            close(fd);
    }
    return ok;
}

static void test_idle_flood(void)
{
    enum { IDLE = 3000 };
    struct rlimit rl;
    int *fds = calloc(IDLE, sizeof(int));
    int base, n, server_side, status;
    double t0;

    CHECK(fds != NULL);
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_max < 2 * IDLE + 256) {
        fprintf(stderr, "idle flood skipped: RLIMIT_NOFILE hard limit %llu\n",
                (unsigned long long)rl.rlim_max);
        free(fds);
        return;
    }
    rl.rlim_cur = rl.rlim_max;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    base = open_fds();
    n = dial_many(fds, IDLE);
    usleep(500 * 1000);
    /* The server holds at most --conn-limit of them. */
    server_side = open_fds() - base - n;
    fprintf(stderr, "idle flood: %d connected, server holds %d\n", n,
            server_side);
    CHECK(server_side <= CONN_LIMIT + 4);
    /* Over the limit, libmicrohttpd stops accepting: further clients wait
     * in the listen backlog (they are not refused) until a held connection
     * closes or idles out. Still within the limit after a timeout round. */
    usleep((CONN_TIMEOUT_S + 1) * 1000 * 1000);
    server_side = open_fds() - base - n;
    CHECK(server_side <= CONN_LIMIT + 4);
    /* Once the flood lets go, new clients are served at once. */
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    t0 = check_now_s();
    while ((status = healthz()) != 200 && check_now_s() - t0 < 3)
        usleep(100 * 1000);
    if (status != 200)
        fprintf(stderr, "idle flood: /healthz %d %.1f s after closing\n",
                status, check_now_s() - t0);
    CHECK_INT_EQ(status, 200);
}

int main(void)
{
    const char *base;

    signal(SIGPIPE, SIG_IGN);
    th_start_with(NULL, tweak);
    tu_connect();
    base = strrchr(th_base(), ':');
    CHECK(base != NULL);
    raw_port = (uint16_t)strtoul(base + 1, NULL, 10);

    test_raw_bytes_in_bodies();
    test_deep_nesting();
    test_negative_numbers();
    test_sql_in_remaining_fields();
    if (!th_postgres()) /* no backup folder: test_backup checks the 409 */
        test_backup_path_tricks();
    test_malformed_requests();
    test_header_flood();
    test_huge_bodies();
    test_slowloris();
    test_idle_flood();
    test_utf8_in_target(); /* last: fails until the 500 is fixed */
    expect_alive("every attack");
    tu_stop();
    return 0;
}
