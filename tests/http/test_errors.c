/* SPDX-License-Identifier: MIT */
/* Generic bad input over real HTTP, across resources: malformed JSON,
 * wrong types, unknown fields, invalid UTF-8, NUL, overflowing numbers,
 * uids out of range, invalid SS58, SQL metacharacters (stored verbatim,
 * nothing else changed), the body cap (413), Content-Type (415), missing
 * bodies, 404, 405 + Allow and unknown query parameters. Every refused
 * request is shown to write nothing. */
#include "util.h"

static char *wandb_path(unsigned seed)
{
    return tu_strf("/wandb-runs/%s", hk(seed));
}

static void test_malformed_json(void)
{
    static const char *const bodies[] = {
        "{",
        "{\"run_id\": }",
        "{\"run_id\": \"a\",}",
        "{'run_id': 'a'}",
        "{\"run_id\": \"a\"} {}",
        "{\"run_id\": \"a\"}x",
        "nul",
        "   ",
        "{\"run_id\": \"a\", \"run_id\": \"b\"}",
        "{\"run_id\": \"a\\q\"}",
        "{\"run_id\": \"tab\there\"}",
        "{\"run_id\": NaN}",
        "{\"run_id\": Infinity}",
        "{\"run_id\": 01}",
    };
    /* Valid JSON that is not an object. */
    static const char *const not_object[] = {"[1, 2]", "\"run\"", "1", "null",
                                             "true"};
    char *path = wandb_path(1);

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        tu_bad("PUT", path, bodies[i], NULL);
    for (size_t i = 0; i < sizeof(not_object) / sizeof(not_object[0]); i++)
        tu_bad("PUT", path, not_object[i], NULL);
    tu_bad("PUT", "/miners", "{\"mode\": \"merge\", \"miners\": [", NULL);
    tu_bad("POST", "/challenges", "[]", NULL);
    free(path);
}

static void test_types_and_fields(void)
{
    char *path = wandb_path(1), *b;

    /* Wrong types name the member. */
    tu_bad("PUT", path, "{\"run_id\": 5}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": {\"id\": \"a\"}}", "run_id");
    tu_bad("PUT", path, "{\"run_id\": false}", "run_id");
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": \"0\", "
                "\"hotkey\": \"%s\"}]}",
                hk(1));
    tu_bad("PUT", "/miners", b, "miners[0].uid");
    free(b);
    tu_bad("PUT", "/miners", "{\"mode\": 1, \"miners\": []}", "mode");
    tu_bad("POST", "/blacklist", "{\"hotkeys\": {}}", "hotkeys");

    /* Unknown fields are refused by name, at any depth. */
    tu_bad("PUT", path, "{\"run_id\": \"a\", \"runid\": \"a\"}", "runid");
    tu_bad("PUT", path, "{\"RUN_ID\": \"a\"}", "RUN_ID");
    b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 0, \"hotkey\": "
                "\"%s\"}, {\"uid\": 1, \"hotkey\": \"%s\", \"stake\": 1}]}",
                hk(1), hk(2));
    tu_bad("PUT", "/miners", b, "miners[1].stake");
    free(b);
    b = tu_strf("{\"details\": {\"username\": \"root\", \"passwd\": \"x\"}}");
    free(path);
    path = tu_strf("/allocations/%s", hk(1));
    tu_bad("PUT", path, b, "details.passwd");
    free(b);
    tu_bad("POST", "/allocations/candidates",
           "{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {\"free\": 1}, \"ram\": "
           "{}}",
           "hard_disk.free");
    free(path);
}

static void test_encoding(void)
{
    char *path = wandb_path(1);
    char *b;

    /* Invalid UTF-8: a stray byte, an overlong sequence, a truncated
     * sequence, an encoded surrogate; and an unpaired \u escape. */
    tu_bad("PUT", path, "{\"run_id\": \"a\xff\"}", NULL);
    tu_bad("PUT", path, "{\"run_id\": \"\xc0\xaf\"}", NULL);
    tu_bad("PUT", path, "{\"run_id\": \"\xe2\x82\"}", NULL);
    tu_bad("PUT", path, "{\"run_id\": \"\xed\xa0\x80\"}", NULL);
    tu_bad("PUT", path, "{\"run_id\": \"\\ud800\"}", NULL);
    tu_bad("PUT", path, "{\"run\xff_id\": \"a\"}", NULL);
    /* NUL through \u0000, in a value and in a key. */
    tu_bad("PUT", path, "{\"run_id\": \"a\\u0000b\"}", NULL);
    tu_bad("PUT", path, "{\"run_id\\u0000\": \"a\"}", NULL);
    b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"cpu\": "
                "\"x\\u0000\"}}]}",
                hk(1));
    tu_bad("PUT", "/miners/details", b, NULL);
    free(b);
    free(path);
}

static void test_numbers(void)
{
    static const char *const huge[] = {"1e999", "-1e999", "1E400",
                                       "99999999999999999999",
                                       "-99999999999999999999"};
    char *b;

    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        b = tu_strf("{\"stats\": {\"1\": {\"hotkey\": \"%s\", \"score\": %s, "
                    "\"allocated\": false, \"own_score\": true}}}",
                    hk(1), huge[i]);
        tu_bad("PUT", "/stats", b, NULL);
        free(b);
        b = tu_strf("{\"challenges\": [{\"uid\": 1, \"hotkey\": \"%s\", "
                    "\"success\": true, \"elapsed_time\": %s, \"difficulty\": "
                    "1}]}",
                    hk(1), huge[i]);
        tu_bad("POST", "/challenges", b, NULL);
        free(b);
        b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": %s, "
                    "\"hotkey\": \"%s\"}]}",
                    huge[i], hk(1));
        tu_bad("PUT", "/miners", b, NULL);
        free(b);
        b = tu_strf("{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": %s, "
                    "\"type\": \"\"}, \"hard_disk\": {}, \"ram\": {}}",
                    huge[i]);
        tu_bad("POST", "/allocations/candidates", b, NULL);
        free(b);
    }
    /* Finite but out of range: refused naming the member. */
    b = tu_strf("{\"stats\": {\"1\": {\"hotkey\": \"%s\", \"score\": 1e308, "
                "\"allocated\": false, \"own_score\": true}}}",
                hk(1));
    tu_bad("PUT", "/stats", b, "stats.1.score");
    free(b);
    b = tu_strf("{\"challenges\": [{\"uid\": 1, \"hotkey\": \"%s\", "
                "\"success\": true, \"elapsed_time\": 1, \"difficulty\": "
                "9223372036854775807}]}",
                hk(1));
    tu_bad("POST", "/challenges", b, "challenges[0].difficulty");
    free(b);
}

static void test_uids(void)
{
    static const char *const bad[] = {"-1", "65536", "-65536", "4294967296"};
    char *b;
    struct resp r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        b = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": %s, "
                    "\"hotkey\": \"%s\"}]}",
                    bad[i], hk(1));
        tu_bad("PUT", "/miners", b, "miners[0].uid");
        free(b);
        b = tu_strf("{\"challenges\": [{\"uid\": %s, \"hotkey\": \"%s\", "
                    "\"success\": true, \"elapsed_time\": 1, "
                    "\"difficulty\": 1}]}",
                    bad[i], hk(1));
        tu_bad("POST", "/challenges", b, "challenges[0].uid");
        free(b);
        b = tu_strf("{\"stats\": {\"%s\": {\"hotkey\": \"%s\", \"score\": 1, "
                    "\"allocated\": false, \"own_score\": true}}}",
                    bad[i], hk(1));
        {
            char field[32];

            snprintf(field, sizeof(field), "stats.%s", bad[i]);
            tu_bad("PUT", "/stats", b, field);
        }
        free(b);
        b = tu_strf("/miners/%s?hotkey=%s", bad[i], hk(1));
        tu_bad("DELETE", b, NULL, "uid");
        free(b);
        b = tu_strf("/stats/%s", bad[i]);
        tu_bad("GET", b, NULL, "uid");
        free(b);
        b = tu_strf("/challenges?uid=%s", bad[i]);
        tu_bad("GET", b, NULL, "uid");
        free(b);
    }
    tu_bad("GET", "/stats/+1", NULL, "uid");
    tu_bad("GET", "/stats/%201", NULL, "uid");
    tu_bad("GET", "/stats/0x10", NULL, "uid");
    /* The largest uid is valid (absent here: 404). */
    r = th_get("/stats/65535");
    th_expect_error(&r, 404, "not_found", "uid");
    th_resp_free(&r);
}

static void test_ss58(void)
{
    char bad[6][64];
    char *b;

    snprintf(bad[0], sizeof(bad[0]), "%s", TU_BAD_SS58);
    snprintf(bad[1], sizeof(bad[1]), "%.47s", hk(1));   /* too short */
    snprintf(bad[2], sizeof(bad[2]), "%sA", hk(1));     /* too long */
    snprintf(bad[3], sizeof(bad[3]), "0%s", hk(1) + 1); /* not base58 */
    snprintf(bad[4], sizeof(bad[4]), "%s", hk(1));
    bad[4][47] = bad[4][47] == 'a' ? 'b' : 'a'; /* checksum */
    snprintf(bad[5], sizeof(bad[5]), "%s", "x");
    for (size_t i = 0; i < 6; i++) {
        b = tu_strf("/wandb-runs/%s", bad[i]);
        tu_bad("PUT", b, "{\"run_id\": \"a\"}", "hotkey");
        free(b);
        b = tu_strf("/allocations/%s", bad[i]);
        tu_bad("PUT", b, "{\"details\": {}}", "hotkey");
        free(b);
        b = tu_strf("{\"hotkeys\": [\"%s\", \"%s\"]}", hk(1), bad[i]);
        tu_bad("POST", "/blacklist", b, "hotkeys[1]");
        free(b);
        b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {}}]}",
                    bad[i]);
        tu_bad("PUT", "/miners/details", b, "miners[0].hotkey");
        free(b);
        b = tu_strf("{\"hotkey\": \"%s\"}", bad[i]);
        tu_bad("POST", "/pog/stats", b, "hotkey");
        free(b);
        b = tu_strf("/miners/0?hotkey=%s", bad[i]);
        tu_bad("DELETE", b, NULL, "hotkey");
        free(b);
    }
}

/* The row written by one request is the only change: snapshot, write,
 * check the stored text, delete the row, compare. */
static void test_sql_metacharacters(void)
{
    static const char raw[] = "x'); DROP TABLE miner; -- \" \\ % _ ;";
    static const char esc[] = "x'); DROP TABLE miner; -- \\\" \\\\ % _ ;";
    struct tu_snap before;
    struct resp r;
    char *path, *b, *seq;

    tu_exec("INSERT INTO miner VALUES (1, %Q)", hk(1));
    tu_exec("INSERT INTO stats (uid, hotkey, score) VALUES (1, %Q, 5.0)",
            hk(1));

    before = tu_snap_take();
    path = wandb_path(40);
    b = tu_strf("{\"run_id\": \"%s\"}", esc);
    r = th_send("PUT", path, b);
    CHECK_STATUS(r, 201);
    CHECK_STR_EQ(tu_jstr(r.json, "run_id"), raw);
    th_resp_free(&r);
    free(b);
    CHECK_SQL_TEXT(raw, "SELECT run_id FROM wandb_runs WHERE hotkey = %Q",
                   hk(40));
    r = th_get(path);
    CHECK_STR_EQ(tu_jstr(r.json, "run_id"), raw);
    th_resp_free(&r);
    free(path);
    tu_exec("DELETE FROM wandb_runs WHERE hotkey = %Q", hk(40));
    CHECK_UNCHANGED(before);

    before = tu_snap_take();
    path = tu_strf("/allocations/%s", hk(41));
    r = tu_sendf("PUT", path,
                 "{\"details\": {\"username\": \"' OR '1'='1\", \"resource\": "
                 "\"%s\"}}",
                 esc);
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    free(path);
    b = tu_strf("{\"username\": \"' OR '1'='1\", \"resource\": \"%s\"}", esc);
    CHECK_SQL_TEXT(b, "SELECT details FROM allocation WHERE hotkey = %Q",
                   hk(41));
    free(b);
    tu_exec("DELETE FROM allocation WHERE hotkey = %Q", hk(41));
    CHECK_UNCHANGED(before);

    before = tu_snap_take();
    r = tu_sendf("PUT", "/miners/details",
                 "{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"'; DROP "
                 "TABLE miner_details; --\": \"%s\"}}]}",
                 hk(42), esc);
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    b = tu_strf("{\"'; DROP TABLE miner_details; --\": \"%s\"}", esc);
    CHECK_SQL_TEXT(b, "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(42));
    free(b);
    tu_exec("DELETE FROM miner_details WHERE hotkey = %Q", hk(42));
    CHECK_UNCHANGED(before);

    before = tu_snap_take();
    /* SQLite counts pog_stats ids in sqlite_sequence (a table the snapshot
     * covers); PostgreSQL's sequence is not a table. */
    seq = th_postgres() ? NULL
                        : tu_text("SELECT seq FROM sqlite_sequence WHERE "
                                  "name = 'pog_stats'");
    r = tu_sendf("POST", "/pog/stats",
                 "{\"hotkey\": \"%s\", \"gpu_name\": \"%s\", \"num_gpus\": 1}",
                 hk(43), esc);
    CHECK_STATUS(r, 201);
    CHECK_STR_EQ(tu_jstr(r.json, "gpu_name"), raw);
    th_resp_free(&r);
    CHECK_SQL_TEXT(raw, "SELECT gpu_name FROM pog_stats WHERE hotkey = %Q",
                   hk(43));
    tu_exec("DELETE FROM pog_stats WHERE hotkey = %Q", hk(43));
    if (seq)
        tu_exec("UPDATE sqlite_sequence SET seq = %s WHERE name = "
                "'pog_stats'",
                seq);
    else if (!th_postgres())
        tu_exec("DELETE FROM sqlite_sequence WHERE name = 'pog_stats'");
    free(seq);
    CHECK_UNCHANGED(before);

    before = tu_snap_take();
    r = tu_sendf("PUT", "/stats",
                 "{\"stats\": {\"2\": {\"hotkey\": \"%s\", \"score\": 5, "
                 "\"allocated\": false, \"own_score\": false, \"gpu_specs\": "
                 "\"%s\"}}}",
                 hk(1), esc);
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    CHECK_SQL_TEXT(raw, "SELECT gpu_specs FROM stats WHERE uid = 2");
    tu_exec("DELETE FROM stats WHERE uid = 2");
    CHECK_UNCHANGED(before);
}

/* A body of exactly n bytes: a valid wandb PUT padded with spaces. */
static char *padded(size_t n, const char *run_id)
{
    char *b = malloc(n + 1);
    int head;

    CHECK(b != NULL);
    head = snprintf(b, n + 1, "{\"run_id\": \"%s\"}", run_id);
    CHECK(head > 0 && (size_t)head <= n);
    memset(b + head, ' ', n - (size_t)head);
    b[n] = '\0';
    return b;
}

static void test_body_cap(void)
{
    static const char *const declared[] = {"Content-Length: 10000000", NULL};
    char *path = wandb_path(50), *b;
    struct tu_snap before;
    struct resp r;
    char buf[128];

    /* One byte over the 64 KiB cap (declared by curl's Content-Length). */
    b = padded(64 * 1024 + 1, "over");
    tu_reject("PUT", path, b, 413, "payload_too_large", NULL);
    free(b);

    /* A declared length far over the cap is refused before the body is
     * read, with the error JSON. */
    before = tu_snap_take();
    r = th_request("PUT", path, "{\"run_id\": \"declared\"}", NULL, declared);
    th_expect_error(&r, 413, "payload_too_large", NULL);
    CHECK(th_header(&r, "Content-Type", buf, sizeof(buf)));
    CHECK(strncmp(buf, "application/json", 16) == 0);
    th_resp_free(&r);
    CHECK_UNCHANGED(before);

    /* A chunked body (no declared length) is cut off at the cap. */
    {
        static const char *const chunked[] = {"Transfer-Encoding: chunked",
                                              NULL};

        before = tu_snap_take();
        b = padded(70 * 1024, "chunked");
        r = th_request("PUT", path, b, NULL, chunked);
        th_expect_error(&r, 413, "payload_too_large", NULL);
        th_resp_free(&r);
        free(b);
        CHECK_UNCHANGED(before);
    }

    /* The cap applies to routes without a JSON body too. */
    b = padded(70 * 1024, "get");
    tu_reject("GET", "/miners", b, 413, "payload_too_large", NULL);
    free(b);

    /* Exactly the cap is accepted. */
    b = padded(64 * 1024, "exact");
    r = th_send("PUT", path, b);
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    free(b);
    CHECK_SQL_TEXT("exact", "SELECT run_id FROM wandb_runs WHERE hotkey = %Q",
                   hk(50));
    free(path);

    /* The server still answers normally afterwards. */
    r = th_get("/healthz");
    CHECK_STATUS(r, 200);
    th_resp_free(&r);
}

/* The message names the route and what to send. */
static void check_body_required_message(void)
{
    struct resp r = th_request("PUT", "/miners", NULL, "", NULL);
    const char *msg = tu_jstr(json_object_get(r.json, "error"), "message");

    th_expect_error(&r, 400, "body_required", NULL);
    CHECK_STR_EQ(msg, "PUT /miners needs a JSON object body with "
                      "Content-Type: application/json (GET /openapi.json "
                      "has its shape)");
    th_resp_free(&r);
}

static void test_content_type_and_body(void)
{
    static const char *const wrong[] = {"text/plain",
                                        "",
                                        "application/x-www-form-urlencoded",
                                        "application/jsonx",
                                        "application/json-patch+json",
                                        "multipart/form-data",
                                        "text/json"};
    static const char *const right[] = {"application/json; charset=utf-8",
                                        "APPLICATION/JSON",
                                        "application/json;charset=UTF-8"};
    char *path = wandb_path(51);

    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
        tu_reject_ct("PUT", path, "{\"run_id\": \"a\"}", wrong[i], 415,
                     "unsupported_media_type", NULL);
    tu_reject_ct("POST", "/blacklist", "{\"hotkeys\": []}", "text/plain", 415,
                 "unsupported_media_type", NULL);
    for (size_t i = 0; i < sizeof(right) / sizeof(right[0]); i++) {
        struct resp r =
            th_request("PUT", path, "{\"run_id\": \"ct\"}", right[i], NULL);

        if (r.status != 201 && r.status != 200)
            fprintf(stderr, "Content-Type %s: %s\n", right[i], r.body);
        CHECK(r.status == 201 || r.status == 200);
        th_resp_free(&r);
    }

    /* Missing or empty body: 400 body_required, whatever the Content-Type
     * (none, as `curl -X PUT` sends, included), saying what to send. */
    tu_reject_ct("PUT", path, NULL, "application/json", 400, "body_required",
                 NULL);
    tu_reject_ct("PUT", path, "", "application/json", 400, "body_required",
                 NULL);
    tu_reject_ct("PUT", path, "", "text/plain", 400, "body_required", NULL);
    tu_reject_ct("PUT", "/miners", NULL, "", 400, "body_required", NULL);
    tu_reject_ct("POST", "/allocations/candidates", NULL, "application/json",
                 400, "body_required", NULL);
    check_body_required_message();
    free(path);
}

static void test_routes(void)
{
    static const struct {
        const char *method, *path, *allow;
    } wrong_method[] = {
        {"POST", "/miners", "GET, HEAD, PUT"},
        {"DELETE", "/miners", "GET, HEAD, PUT"},
        {"GET", "/miners/5", "DELETE"},
        {"DELETE", "/miners/details", "GET, HEAD, PUT"},
        {"POST", "/miners/details", "GET, HEAD, PUT"},
        {"GET", "/allocations/candidates", "POST"},
        {"PUT", "/blacklist", "GET, HEAD, POST, DELETE"},
        {"PATCH", "/stats", "GET, HEAD, PUT"},
        {"DELETE", "/stats/1", "GET, HEAD"},
        {"PUT", "/challenges/stats", "GET, HEAD"},
        {"DELETE", "/challenges", "GET, HEAD, POST"},
        {"PUT", "/pog/stats", "GET, HEAD, POST"},
        {"POST", "/wandb-runs", "GET, HEAD"},
        {"POST", "/healthz", "GET, HEAD"},
    };
    static const char *const unknown[] = {
        "/nope",         "/ui/a/b",    "/miners/", "/miners/details/x/y",
        "/stats/1/2",    "/v1/miners", "/MINERS",  "/wandb-runs/",
        "/blacklist/a/b"};
    char buf[128];

    for (size_t i = 0; i < sizeof(wrong_method) / sizeof(wrong_method[0]);
         i++) {
        struct tu_snap before = tu_snap_take();
        struct resp r = th_request(wrong_method[i].method, wrong_method[i].path,
                                   "{}", NULL, NULL);

        th_expect_error(&r, 405, "method_not_allowed", NULL);
        CHECK(th_header(&r, "Allow", buf, sizeof(buf)));
        if (strcmp(buf, wrong_method[i].allow) != 0)
            fprintf(stderr, "%s %s\n", wrong_method[i].method,
                    wrong_method[i].path);
        CHECK_STR_EQ(buf, wrong_method[i].allow);
        th_resp_free(&r);
        CHECK_UNCHANGED(before);
    }
    {
        char *p = tu_strf("/allocations/%s", hk(1));
        struct resp r = th_send("POST", p, "{\"details\": {}}");

        th_expect_error(&r, 405, "method_not_allowed", NULL);
        CHECK(th_header(&r, "Allow", buf, sizeof(buf)));
        CHECK_STR_EQ(buf, "GET, HEAD, PUT, DELETE");
        th_resp_free(&r);
        free(p);
    }
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        tu_reject("GET", unknown[i], NULL, 404, "not_found", NULL);
        tu_reject("PUT", unknown[i], "{}", 404, "not_found", NULL);
    }
    /* The route is decided before the body: 404/405 win over 415/400. */
    tu_reject_ct("POST", "/nope", "garbage", "text/plain", 404, "not_found",
                 NULL);
    tu_reject_ct("POST", "/miners", "garbage", "text/plain", 405,
                 "method_not_allowed", NULL);
}

static void test_error_shape(void)
{
    static const char *const rid[] = {"X-Request-Id: shape-1", NULL};
    struct resp r = th_request("PUT", "/stats", "{\"stats\": 5}", NULL, rid);
    const json_t *err = json_object_get(r.json, "error");
    char buf[128];

    th_expect_error(&r, 400, "invalid_argument", "stats");
    CHECK_INT_EQ(json_object_size(r.json), 1);
    CHECK_STR_EQ(tu_jstr(err, "request_id"), "shape-1");
    CHECK(th_header(&r, "X-Request-Id", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "shape-1");
    CHECK(th_header(&r, "Content-Type", buf, sizeof(buf)));
    CHECK(strncmp(buf, "application/json", 16) == 0);
    th_resp_free(&r);

    /* No field member when no single field is to blame. */
    r = th_send("PUT", "/stats", "{");
    th_expect_error(&r, 400, "invalid_argument", NULL);
    CHECK(json_object_get(json_object_get(r.json, "error"), "field") == NULL);
    th_resp_free(&r);
}

static void test_list_query_params(void)
{
    static const char *const lists[] = {
        "/miners",           "/miners/details", "/challenges",
        "/challenges/stats", "/allocations",    "/blacklist",
        "/pog/stats",        "/stats",          "/wandb-runs"};
    char path[128];
    struct resp r;

    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        snprintf(path, sizeof(path), "%s?zzz=1", lists[i]);
        r = th_get(path);
        th_expect_error(&r, 400, "invalid_argument", "zzz");
        CHECK(strstr(tu_jstr(json_object_get(r.json, "error"), "message"),
                     "zzz") != NULL);
        th_resp_free(&r);
    }
    /* More than 16 arguments. */
    tu_bad("GET",
           "/challenges?a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&"
           "n=1&o=1&p=1&q=1",
           NULL, NULL);
}

/* Every endpoint refuses a query parameter it does not define, like the
 * list endpoints do; a write endpoint must not act on such a request. */
static void test_every_route_query_params(void)
{
    char hot[64], *bodies[32];
    struct {
        const char *method;
        char path[160];
        const char *body;
    } calls[32];
    size_t n = 0, failures = 0;

    snprintf(hot, sizeof(hot), "%s", hk(60));
    /* Resources the requests would act on, so each would succeed. */
    tu_exec("INSERT INTO miner_details (hotkey, details) VALUES (%Q, '{}')",
            hot);
    tu_exec("INSERT INTO allocation (hotkey, details) VALUES (%Q, '{}')", hot);
    tu_exec("INSERT INTO blacklist (hotkey) VALUES (%Q)", hot);
    tu_exec("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus) VALUES "
            "(%Q, 'G', 1)",
            hot);
    tu_exec("INSERT INTO stats (uid, hotkey, score) VALUES (60, %Q, 1.0)", hot);
    tu_exec("INSERT INTO wandb_runs (hotkey, run_id) VALUES (%Q, 'r')", hot);

#define CALL(m, b, ...)                                                        \
    do {                                                                       \
        calls[n].method = (m);                                                 \
        snprintf(calls[n].path, sizeof(calls[n].path), __VA_ARGS__);           \
        calls[n].body = (b);                                                   \
        n++;                                                                   \
    } while (0)
    bodies[0] = tu_strf("{\"mode\": \"merge\", \"miners\": [{\"uid\": 61, "
                        "\"hotkey\": \"%s\"}]}",
                        hk(61));
    bodies[1] = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": "
                        "{\"a\": 1}}]}",
                        hk(61));
    bodies[2] = tu_strf("{\"challenges\": [{\"uid\": 61, \"hotkey\": \"%s\", "
                        "\"success\": true, \"elapsed_time\": 1, "
                        "\"difficulty\": 1}]}",
                        hk(61));
    bodies[3] = tu_strf("{\"hotkeys\": [\"%s\"]}", hk(61));
    bodies[4] = tu_strf("{\"hotkeys\": [\"%s\"]}", hot);
    bodies[5] = tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": \"G\", "
                        "\"num_gpus\": 1}",
                        hk(61));
    bodies[6] = tu_strf("{\"stats\": {\"61\": {\"hotkey\": \"%s\", "
                        "\"score\": 1, \"allocated\": false, \"own_score\": "
                        "true}}}",
                        hk(61));
    CALL("PUT", bodies[0], "/miners?zzz=1");
    CALL("DELETE", NULL, "/miners/60?hotkey=%s&zzz=1", hot);
    CALL("PUT", bodies[1], "/miners/details?zzz=1");
    CALL("GET", NULL, "/miners/details/%s?zzz=1", hot);
    CALL("POST", "{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, \"ram\": {}}",
         "/allocations/candidates?zzz=1");
    CALL("POST", bodies[2], "/challenges?zzz=1");
    CALL("GET", NULL, "/allocations/%s?zzz=1", hot);
    CALL("PUT", "{\"details\": {\"port\": 1}}", "/allocations/%s?zzz=1", hot);
    CALL("DELETE", NULL, "/allocations/%s?zzz=1", hot);
    CALL("POST", bodies[3], "/blacklist?zzz=1");
    CALL("DELETE", bodies[4], "/blacklist?zzz=1");
    CALL("DELETE", NULL, "/blacklist/%s?zzz=1", hot);
    CALL("POST", bodies[5], "/pog/stats?zzz=1");
    CALL("GET", NULL, "/pog/stats/%s?zzz=1", hot);
    CALL("PUT", bodies[6], "/stats?zzz=1");
    CALL("GET", NULL, "/stats/60?zzz=1");
    CALL("GET", NULL, "/wandb-runs/%s?zzz=1", hot);
    CALL("PUT", "{\"run_id\": \"other\"}", "/wandb-runs/%s?zzz=1", hk(61));
    CALL("DELETE", NULL, "/wandb-runs/%s?zzz=1", hot);
#undef CALL

    for (size_t i = 0; i < n; i++) {
        struct tu_snap before = tu_snap_take();
        struct resp r = th_send(calls[i].method, calls[i].path, calls[i].body);
        struct tu_snap after = tu_snap_take();
        bool changed = strcmp(before.dump, after.dump) != 0;

        const char *field = tu_jstr(json_object_get(r.json, "error"), "field");

        if (r.status != 400 || changed || !field || strcmp(field, "zzz")) {
            fprintf(stderr, "unknown query parameter: %s %s -> %ld%s\n",
                    calls[i].method, calls[i].path, r.status,
                    changed ? " and the database changed" : "");
            failures++;
        }
        th_resp_free(&r);
        free(before.dump);
        free(after.dump);
    }
    for (size_t i = 0; i < 7; i++)
        free(bodies[i]);
    CHECK_INT_EQ(failures, 0);
}

int main(void)
{
    tu_start();
    test_malformed_json();
    test_types_and_fields();
    test_encoding();
    test_numbers();
    test_uids();
    test_ss58();
    test_sql_metacharacters();
    test_body_cap();
    test_content_type_and_body();
    test_routes();
    test_error_shape();
    test_list_query_params();
    test_every_route_query_params();
    tu_stop();
    return 0;
}
