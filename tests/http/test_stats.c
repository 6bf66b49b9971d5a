/* SPDX-License-Identifier: MIT */
/* /stats over real HTTP: the bulk UPSERT (every field replaced, created_at
 * refreshed as UTC text), gpu_specs stored as json.dumps text or verbatim
 * strings, reads coerced as upstream retrieve_stats (NULL score 0.0, NULL
 * booleans false, bad gpu_specs null), and bad batches that write
 * nothing. */
#include "util.h"

#include <time.h>

static void put_ok(const char *body, int updated)
{
    struct resp r = th_send("PUT", "/stats", body);

    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "updated"), updated);
    th_resp_free(&r);
}

static void test_put_and_read(void)
{
    struct resp r;
    char *b, *at;
    const json_t *rec;

    r = th_get("/stats");
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{}"));
    th_resp_free(&r);

    b = tu_strf(
        "{\"stats\": {\"12\": {\"uid\": 12, \"hotkey\": \"%s\", \"gpu_specs\": "
        "{\"gpu_name\": \"NVIDIA H200\", \"num_gpus\": 8}, \"score\": 100.0, "
        "\"allocated\": false, \"own_score\": true, \"reliability_score\": "
        "0}, \"13\": {\"hotkey\": \"%s\", \"gpu_specs\": null, \"score\": 0, "
        "\"allocated\": true, \"own_score\": false}, \"14\": {\"hotkey\": "
        "\"%s\", \"gpu_specs\": \"{\\\"gpu_name\\\": \\\"X\\\", "
        "\\\"num_gpus\\\": 1}\", \"score\": 55.5, \"allocated\": false, "
        "\"own_score\": false, \"reliability_score\": 0.25}}}",
        hk(12), hk(13), hk(14));
    put_ok(b, 3);
    free(b);

    /* Stored as upstream writes it. */
    CHECK_SQL_TEXT("{\"gpu_name\": \"NVIDIA H200\", \"num_gpus\": 8}",
                   "SELECT gpu_specs FROM stats WHERE uid = 12");
    CHECK_SQL_TEXT(NULL, "SELECT gpu_specs FROM stats WHERE uid = 13");
    CHECK_SQL_TEXT("{\"gpu_name\": \"X\", \"num_gpus\": 1}",
                   "SELECT gpu_specs FROM stats WHERE uid = 14");
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = 12 AND "
                        "hotkey = %Q AND score = 100.0 AND typeof(score) = "
                        "'real' AND allocated = FALSE AND own_score = TRUE AND "
                        "typeof(allocated) = 'integer' AND "
                        "typeof(own_score) = 'integer' AND "
                        "reliability_score = 0.0 AND "
                        "typeof(reliability_score) = 'real'",
                        hk(12)),
                 1);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = 13 AND "
                        "score = 0.0 AND typeof(score) = 'real' AND "
                        "allocated = TRUE AND own_score = FALSE AND "
                        "reliability_score IS NULL"),
                 1);
    at = tu_text("SELECT created_at FROM stats WHERE uid = 14");
    tu_check_utc_now(at);
    free(at);

    r = th_get("/stats");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_object_size(r.json), 3);
    rec = json_object_get(r.json, "12");
    CHECK_INT_EQ(json_object_size(rec), 8);
    CHECK_INT_EQ(tu_jint(rec, "uid"), 12);
    CHECK_STR_EQ(tu_jstr(rec, "hotkey"), hk(12));
    CHECK(tu_json_is(json_object_get(rec, "gpu_specs"),
                     "{\"gpu_name\": \"NVIDIA H200\", \"num_gpus\": 8}"));
    CHECK(json_is_real(json_object_get(rec, "score")));
    CHECK_REAL_EQ(tu_jreal(rec, "score"), 100.0);
    CHECK(json_is_false(json_object_get(rec, "allocated")));
    CHECK(json_is_true(json_object_get(rec, "own_score")));
    CHECK_REAL_EQ(tu_jreal(rec, "reliability_score"), 0.0);
    tu_check_utc_now(tu_jstr(rec, "created_at"));
    rec = json_object_get(r.json, "13");
    CHECK(json_is_null(json_object_get(rec, "gpu_specs")));
    CHECK_REAL_EQ(tu_jreal(rec, "score"), 0.0);
    CHECK(json_is_true(json_object_get(rec, "allocated")));
    CHECK(json_is_false(json_object_get(rec, "own_score")));
    CHECK(json_is_null(json_object_get(rec, "reliability_score")));
    rec = json_object_get(r.json, "14");
    CHECK(tu_json_is(json_object_get(rec, "gpu_specs"),
                     "{\"gpu_name\": \"X\", \"num_gpus\": 1}"));
    CHECK_REAL_EQ(tu_jreal(rec, "score"), 55.5);
    CHECK_REAL_EQ(tu_jreal(rec, "reliability_score"), 0.25);
    th_resp_free(&r);

    r = th_get("/stats/13");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "uid"), 13);
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hk(13));
    CHECK(json_is_true(json_object_get(r.json, "allocated")));
    th_resp_free(&r);
    r = th_get("/stats/99");
    th_expect_error(&r, 404, "not_found", "uid");
    th_resp_free(&r);
}

static void test_upsert(void)
{
    char *b;
    struct resp r;

    /* Age two rows, update one: only it gets a new created_at, and every
     * field is replaced (absent gpu_specs / reliability become NULL). */
    tu_exec("UPDATE stats SET created_at = '2000-01-01 00:00:00' "
            "WHERE uid IN (12, 13)");
    b = tu_strf("{\"stats\": {\"12\": {\"hotkey\": \"%s\", \"score\": 50, "
                "\"allocated\": true, \"own_score\": false, \"created_at\": "
                "\"1999-01-01 00:00:00\"}}}",
                hk(15));
    put_ok(b, 1);
    free(b);
    CHECK_INT_EQ(tu_count("stats"), 3);
    CHECK_SQL_TEXT("2000-01-01 00:00:00",
                   "SELECT created_at FROM stats WHERE uid = 13");
    {
        char *at = tu_text("SELECT created_at FROM stats WHERE uid = 12");

        tu_check_utc_now(at);
        free(at);
    }
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = 12 AND "
                        "hotkey = %Q AND gpu_specs IS NULL AND score = 50.0 "
                        "AND typeof(score) = 'real' AND allocated = TRUE AND "
                        "own_score = FALSE AND reliability_score IS NULL",
                        hk(15)),
                 1);

    /* A string gpu_specs is stored verbatim even when it is not JSON, and
     * reads back as null. */
    b = tu_strf("{\"stats\": {\"16\": {\"hotkey\": \"%s\", \"score\": 1, "
                "\"allocated\": false, \"own_score\": true, \"gpu_specs\": "
                "\"garbage{\"}}}",
                hk(16));
    put_ok(b, 1);
    free(b);
    CHECK_SQL_TEXT("garbage{", "SELECT gpu_specs FROM stats WHERE uid = 16");
    r = th_get("/stats/16");
    CHECK_STATUS(r, 200);
    CHECK(json_is_null(json_object_get(r.json, "gpu_specs")));
    th_resp_free(&r);

    /* 256 uids in one batch. */
    {
        size_t cap = 256 * 200, used = 0;
        char *big = malloc(cap);

        CHECK(big != NULL);
        used += (size_t)snprintf(big, cap, "{\"stats\": {");
        for (unsigned i = 0; i < 256; i++)
            used += (size_t)snprintf(
                big + used, cap - used,
                "%s\"%u\": {\"hotkey\": \"%s\", \"score\": %u.5, "
                "\"allocated\": false, \"own_score\": true}",
                i ? ", " : "", 1000 + i, hk(i), i % 100);
        snprintf(big + used, cap - used, "}}");
        put_ok(big, 256);
        free(big);
        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid >= 1000"),
                     256);
        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM stats WHERE uid = 1255 AND "
                            "hotkey = %Q AND score = 55.5",
                            hk(255)),
                     1);
    }
}

static void test_coercion(void)
{
    struct resp r;
    const json_t *rec;

    /* Rows another writer left with NULLs or bad JSON. */
    tu_exec("INSERT INTO stats (uid, hotkey) VALUES (20, %Q)", hk(20));
    tu_exec("INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, "
            "own_score, reliability_score, created_at) VALUES "
            "(21, %Q, '{\"gpu_name\": ', 7.0, TRUE, TRUE, 3.5, "
            "'2025-02-26 10:31:05')",
            hk(21));
    r = th_get("/stats/20");
    CHECK_STATUS(r, 200);
    CHECK(json_is_real(json_object_get(r.json, "score")));
    CHECK_REAL_EQ(tu_jreal(r.json, "score"), 0.0);
    CHECK(json_is_false(json_object_get(r.json, "allocated")));
    CHECK(json_is_false(json_object_get(r.json, "own_score")));
    CHECK(json_is_null(json_object_get(r.json, "gpu_specs")));
    CHECK(json_is_null(json_object_get(r.json, "reliability_score")));
    tu_check_utc_now(tu_jstr(r.json, "created_at"));
    th_resp_free(&r);

    r = th_get("/stats");
    CHECK_STATUS(r, 200);
    rec = json_object_get(r.json, "21");
    CHECK(json_is_null(json_object_get(rec, "gpu_specs")));
    CHECK_REAL_EQ(tu_jreal(rec, "score"), 7.0);
    CHECK(json_is_true(json_object_get(rec, "allocated")));
    CHECK_REAL_EQ(tu_jreal(rec, "reliability_score"), 3.5);
    CHECK_STR_EQ(tu_jstr(rec, "created_at"), "2025-02-26 10:31:05");
    rec = json_object_get(r.json, "20");
    CHECK(json_is_false(json_object_get(rec, "own_score")));
    th_resp_free(&r);
}

/* A batch whose record key holds rec (a JSON text) next to a good record;
 * it must be refused naming field and write neither. */
static void bad_record(const char *key, const char *rec, const char *field)
{
    char *b = tu_strf("{\"stats\": {\"30\": {\"hotkey\": \"%s\", \"score\": "
                      "1, \"allocated\": false, \"own_score\": true}, \"%s\": "
                      "%s}}",
                      hk(30), key, rec);

    tu_bad("PUT", "/stats", b, field);
    free(b);
}

/* The good record for key 12 (it exists) with member name = value. */
static void bad_member(const char *name, const char *value)
{
    static const char *const names[] = {"hotkey", "score", "allocated",
                                        "own_score"};
    char hot[64], rec[512], field[64];
    const char *defaults[] = {hot, "1.0", "false", "true"};
    size_t used = 0;
    bool seen = false;

    snprintf(hot, sizeof(hot), "\"%s\"", hk(12));
    used += (size_t)snprintf(rec, sizeof(rec), "{");
    for (size_t i = 0; i < 4; i++) {
        bool mine = strcmp(names[i], name) == 0;

        seen |= mine;
        used += (size_t)snprintf(rec + used, sizeof(rec) - used, "%s\"%s\": %s",
                                 i ? ", " : "", names[i],
                                 mine ? value : defaults[i]);
    }
    if (!seen)
        used += (size_t)snprintf(rec + used, sizeof(rec) - used, ", \"%s\": %s",
                                 name, value);
    snprintf(rec + used, sizeof(rec) - used, "}");
    snprintf(field, sizeof(field), "stats.12.%s", name);
    bad_record("12", rec, field);
}

static void test_bad_input(void)
{
    char *good;

    bad_member("hotkey", "\"nope\"");
    bad_member("hotkey",
               "\"5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpv\"");
    bad_member("hotkey", "null");
    bad_member("score", "100.5");
    bad_member("score", "-0.1");
    bad_member("score", "\"50\"");
    bad_member("score", "null");
    bad_member("allocated", "1");
    bad_member("allocated", "null");
    bad_member("own_score", "\"true\"");
    bad_member("reliability_score", "\"x\"");
    bad_member("reliability_score", "true");
    bad_member("gpu_specs", "5");
    bad_member("gpu_specs", "[\"H100\"]");
    bad_member("gpu_specs", "true");
    bad_member("uid", "13");
    bad_member("uid", "\"12\"");
    bad_member("weight", "1");

    good = tu_strf("{\"hotkey\": \"%s\", \"score\": 1, \"allocated\": false, "
                   "\"own_score\": true}",
                   hk(31));
    bad_record("abc", good, "stats.abc");
    bad_record("65536", good, "stats.65536");
    bad_record("-1", good, "stats.-1");
    bad_record("1.0", good, "stats.1.0");
    bad_record("", good, "stats.");
    free(good);
    bad_record("12", "[]", "stats.12");
    bad_record("12", "null", "stats.12");
    tu_bad("PUT", "/stats", "{\"stats\": {}}", "stats");
    tu_bad("PUT", "/stats", "{\"stats\": []}", "stats");
    tu_bad("PUT", "/stats", "{\"stats\": null}", "stats");
    tu_bad("PUT", "/stats", "{}", "stats");
    good = tu_strf("{\"stats\": {\"12\": {\"hotkey\": \"%s\", \"score\": 1, "
                   "\"allocated\": false, \"own_score\": true}}, \"round\": 1}",
                   hk(12));
    tu_bad("PUT", "/stats", good, "round");
    free(good);

    tu_bad("GET", "/stats/abc", NULL, "uid");
    tu_bad("GET", "/stats/-1", NULL, "uid");
    tu_bad("GET", "/stats/65536", NULL, "uid");
    tu_bad("GET", "/stats?uid=1", NULL, NULL);
}

int main(void)
{
    tu_start();
    test_put_and_read();
    test_upsert();
    test_coercion();
    test_bad_input();
    tu_stop();
    return 0;
}
