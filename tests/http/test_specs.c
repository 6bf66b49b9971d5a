/* SPDX-License-Identifier: MIT */
/* /miners/details and POST /allocations/candidates over real HTTP: Python
 * json.dumps storage, the no_specs_count rules, ids kept on update, the
 * has_docker filter, and device_requirement matching with its boundaries,
 * malformed rows reported in "skipped" and missing keys as non-matches. */
#include "util.h"

static int64_t row_id(const char *hotkey)
{
    return tu_int("SELECT id FROM miner_details WHERE hotkey = %Q", hotkey);
}

static int64_t no_specs(const char *hotkey)
{
    return tu_int("SELECT no_specs_count FROM miner_details WHERE hotkey = %Q",
                  hotkey);
}

/* PUT one miner's details (a JSON text, "null" or "{}"). */
static void put_one(const char *hotkey, const char *details)
{
    struct resp r =
        tu_sendf("PUT", "/miners/details",
                 "{\"miners\": [{\"hotkey\": \"%s\", \"details\": %s}]}",
                 hotkey, details);

    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{\"updated\": 1}"));
    th_resp_free(&r);
}

static void test_python_text(void)
{
    struct resp r;
    char *path;

    put_one(hk(1), "{\"a\": 1, \"b\": [1.0, 2]}");
    CHECK_SQL_TEXT("{\"a\": 1, \"b\": [1.0, 2]}",
                   "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(1));
    CHECK_INT_EQ(no_specs(hk(1)), 0);

    /* Key order kept, ", " / ": ", ensure_ascii, float repr. */
    put_one(hk(2),
            "{\"z\": \"\\u00e9\\ud83d\\ude00 x\", \"a\": [1e16, 1e-05, 0.1, "
            "1e22, -0.0, 100.0, 12345.678, 1.5e300, 3, -7, 0.5, "
            "123456789.125, 1e-7], \"n\": null, \"t\": true, \"f\": false, "
            "\"nested\": {\"k\": \"q\\\"\\\\/\\n\\t\\u0001\", \"e\": {}, "
            "\"l\": []}, \"r\": [1e15, 0.0001, 123e-7, 2.5e-5, "
            "1.7976931348623157e308, 5e-324, 9007199254740993, -1.5e-10, "
            "0.30000000000000004, 1152921504606846976.0, 0.3333333333333333, "
            "-0, 1E2, \"\\u2028\\u00ff/\"]}");
    CHECK_SQL_TEXT(
        "{\"z\": \"\\u00e9\\ud83d\\ude00 x\", \"a\": [1e+16, 1e-05, 0.1, "
        "1e+22, -0.0, 100.0, 12345.678, 1.5e+300, 3, -7, 0.5, "
        "123456789.125, 1e-07], \"n\": null, \"t\": true, \"f\": false, "
        "\"nested\": {\"k\": \"q\\\"\\\\/\\n\\t\\u0001\", \"e\": {}, \"l\": "
        "[]}, \"r\": [1000000000000000.0, 0.0001, 1.23e-05, 2.5e-05, "
        "1.7976931348623157e+308, 5e-324, 9007199254740993, -1.5e-10, "
        "0.30000000000000004, 1.152921504606847e+18, 0.3333333333333333, 0, "
        "100.0, \"\\u2028\\u00ff/\"]}",
        "SELECT details FROM miner_details WHERE hotkey = %Q", hk(2));

    path = tu_strf("/miners/details/%s", hk(1));
    r = th_get(path);
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "id"), row_id(hk(1)));
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hk(1));
    CHECK(tu_json_is(json_object_get(r.json, "details"),
                     "{\"a\": 1, \"b\": [1.0, 2]}"));
    CHECK_INT_EQ(tu_jint(r.json, "no_specs_count"), 0);
    CHECK_INT_EQ(json_object_size(r.json), 4);
    th_resp_free(&r);
    free(path);
}

static void test_no_specs_count(void)
{
    int64_t id;
    struct resp r;

    /* New rows start at 1 and count up to 5 whether null or {} is sent. */
    put_one(hk(3), "null");
    id = row_id(hk(3));
    CHECK_SQL_TEXT("{}", "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(3));
    CHECK_INT_EQ(no_specs(hk(3)), 1);
    for (int want = 2; want <= 7; want++) {
        put_one(hk(3), want % 2 ? "{}" : "null");
        CHECK_INT_EQ(no_specs(hk(3)), want < 5 ? want : 5);
        CHECK_INT_EQ(row_id(hk(3)), id);
        CHECK_SQL_TEXT(
            "{}", "SELECT details FROM miner_details WHERE hotkey = %Q", hk(3));
    }
    /* Specs again: count back to 0, same id. */
    put_one(hk(3), "{\"cpu\": {\"count\": 4}}");
    CHECK_INT_EQ(no_specs(hk(3)), 0);
    CHECK_INT_EQ(row_id(hk(3)), id);
    CHECK_SQL_TEXT("{\"cpu\": {\"count\": 4}}",
                   "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(3));

    /* A row with specs loses them on the no-specs path (upstream). */
    id = row_id(hk(1));
    put_one(hk(1), "{}");
    CHECK_INT_EQ(no_specs(hk(1)), 1);
    CHECK_INT_EQ(row_id(hk(1)), id);
    CHECK_SQL_TEXT("{}", "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(1));

    /* A legacy NULL count counts from 0. */
    tu_exec("INSERT INTO miner_details (hotkey, details, no_specs_count) "
            "VALUES (%Q, '{}', NULL)",
            hk(4));
    put_one(hk(4), "null");
    CHECK_INT_EQ(no_specs(hk(4)), 1);

    /* One batch, applied in order. */
    r = tu_sendf("PUT", "/miners/details",
                 "{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"x\": "
                 "1}}, {\"hotkey\": \"%s\", \"details\": null}, {\"hotkey\": "
                 "\"%s\", \"details\": {}}]}",
                 hk(5), hk(6), hk(5));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{\"updated\": 3}"));
    th_resp_free(&r);
    CHECK_INT_EQ(no_specs(hk(5)), 1);
    CHECK_INT_EQ(no_specs(hk(6)), 1);
    CHECK(row_id(hk(5)) < row_id(hk(6)));
}

static void test_list_and_docker(void)
{
    struct resp r;
    char *want;

    tu_exec("DELETE FROM miner_details");
    put_one(hk(20), "{\"has_docker\": true, \"cpu\": {\"count\": 2}}");
    put_one(hk(21), "{\"has_docker\": false}");
    put_one(hk(22), "{\"has_docker\": \"true\"}");
    put_one(hk(23), "{\"has_docker\": 1}");
    tu_exec("INSERT INTO miner_details (hotkey, details) VALUES "
            "(%Q, NULL), (%Q, ''), (%Q, 'not json'), (%Q, '[1, 2]'), "
            "(%Q, '\"s\"'), (NULL, '{\"has_docker\": true}')",
            hk(24), hk(25), hk(26), hk(27), hk(28));

    r = th_get("/miners/details");
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"%s\": {\"has_docker\": true, \"cpu\": {\"count\": 2}}, "
                   "\"%s\": {\"has_docker\": false}, \"%s\": {\"has_docker\": "
                   "\"true\"}, \"%s\": {\"has_docker\": 1}, \"%s\": {}, "
                   "\"%s\": {}, \"%s\": {}, \"%s\": {}, \"%s\": {}}",
                   hk(20), hk(21), hk(22), hk(23), hk(24), hk(25), hk(26),
                   hk(27), hk(28));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);

    r = th_get("/miners/details?has_docker=true");
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"%s\": {\"has_docker\": true, \"cpu\": {\"count\": 2}}}",
                   hk(20));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);

    r = th_get("/miners/details?has_docker=false");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_object_size(r.json), 8);
    CHECK(json_object_get(r.json, hk(20)) == NULL);
    CHECK(tu_json_is(json_object_get(r.json, hk(22)),
                     "{\"has_docker\": \"true\"}"));
    CHECK(tu_json_is(json_object_get(r.json, hk(26)), "{}"));
    th_resp_free(&r);

    /* One row with unusable details reads as {} too. */
    r = tu_getf("/miners/details/%s", hk(26));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(json_object_get(r.json, "details"), "{}"));
    th_resp_free(&r);
    r = tu_getf("/miners/details/%s", hk(24));
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(json_object_get(r.json, "details"), "{}"));
    th_resp_free(&r);

    r = tu_getf("/miners/details/%s", hk(99));
    th_expect_error(&r, 404, "not_found", "hotkey");
    th_resp_free(&r);
}

static void test_bad_specs(void)
{
    char *b, *p;

    b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"a\": 1}}, "
                "{\"hotkey\": \"%s\", \"details\": null}]}",
                hk(30), TU_BAD_SS58);
    tu_bad("PUT", "/miners/details", b, "miners[1].hotkey");
    free(b);
    b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {\"a\": 1}}, "
                "{\"hotkey\": \"%s\"}]}",
                hk(30), hk(31));
    tu_bad("PUT", "/miners/details", b, "miners[1].details");
    free(b);
    static const char *const wrong[] = {"\"{}\"", "[]", "1", "true"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": %s}]}",
                    hk(30), wrong[i]);
        tu_bad("PUT", "/miners/details", b, "miners[0].details");
        free(b);
    }
    b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {}, "
                "\"specs\": {}}]}",
                hk(30));
    tu_bad("PUT", "/miners/details", b, "miners[0].specs");
    free(b);
    b = tu_strf("{\"miners\": [{\"details\": {}}]}");
    tu_bad("PUT", "/miners/details", b, "miners[0].hotkey");
    free(b);
    tu_bad("PUT", "/miners/details", "{\"miners\": []}", "miners");
    tu_bad("PUT", "/miners/details", "{\"miners\": [\"x\"]}", "miners[0]");
    tu_bad("PUT", "/miners/details", "{}", "miners");
    b = tu_strf("{\"keys\": [1], \"miners\": [{\"hotkey\": \"%s\", "
                "\"details\": {}}]}",
                hk(30));
    tu_bad("PUT", "/miners/details", b, "keys");
    free(b);
    tu_bad("GET", "/miners/details?has_docker=yes", NULL, "has_docker");
    tu_bad("GET", "/miners/details?has_docker=", NULL, "has_docker");
    tu_bad("GET", "/miners/details?docker=true", NULL, NULL);
    tu_bad("GET", "/miners/details/nope", NULL, "hotkey");
    p = tu_strf("/miners/details/%s", TU_BAD_SS58);
    tu_bad("GET", p, NULL, "hotkey");
    free(p);
}

/* ---- POST /allocations/candidates ------------------------------------ */

/* A miner_details text with the four components. */
static char *spec(int cpus, int gpus, double gpu_mib, const char *gpu0,
                  const char *gpu1, double disk_free, double ram_avail)
{
    return tu_strf(
        "{\"cpu\": {\"count\": %d, \"frequency\": 2000.0}, \"gpu\": "
        "{\"count\": %d, \"capacity\": %.1f, \"details\": [{\"name\": "
        "\"%s\", \"capacity\": 1.0}, {\"name\": \"%s\", \"capacity\": 1.0}]}, "
        "\"hard_disk\": {\"total\": 1, \"free\": %.1f}, \"ram\": {\"total\": "
        "1, \"available\": %.1f}, \"has_docker\": true}",
        cpus, gpus, gpu_mib, gpu0, gpu1, disk_free, ram_avail);
}

static void insert_details(unsigned seed, const char *text)
{
    tu_exec("INSERT INTO miner_details (hotkey, details, no_specs_count) "
            "VALUES (%Q, %Q, 0)",
            hk(seed), text);
}

static void seed_candidates(void)
{
    char *s;

    tu_exec("DELETE FROM miner_details");
    /* 40: 8 x H100 */
    s = spec(64, 8, 652472.0, "NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3",
             3.5e12, 2.1e12);
    insert_details(40, s);
    free(s);
    /* 41: 1 x 4090 */
    s = spec(16, 1, 24564.0, "NVIDIA GeForce RTX 4090", "", 1e12, 6.4e10);
    insert_details(41, s);
    free(s);
    /* 42: no GPU (the component probe failed: {}) */
    insert_details(42, "{\"cpu\": {\"count\": 8}, \"gpu\": {}, \"hard_disk\": "
                       "{\"free\": 1e12}, \"ram\": {\"available\": 1e12}}");
    /* 43: no "ram" key at all: a plain non-match */
    insert_details(43, "{\"cpu\": {\"count\": 128}, \"gpu\": {\"count\": 8, "
                       "\"capacity\": 1e6, \"details\": [{\"name\": \"NVIDIA "
                       "H100\"}]}, \"hard_disk\": {\"free\": 1e13}}");
    /* 44: unparsable */
    insert_details(44, "{\"cpu\": {\"count\": 8}, \"gpu\": ");
    /* 45: a wrong-typed GPU capacity */
    insert_details(45, "{\"cpu\": {\"count\": 128}, \"gpu\": {\"count\": 8, "
                       "\"capacity\": \"lots\", \"details\": [{\"name\": "
                       "\"NVIDIA H100\"}]}, \"hard_disk\": {\"free\": 1e13}, "
                       "\"ram\": {\"available\": 1e13}}");
    /* 46: the no-specs placeholder */
    insert_details(46, "{}");
    /* 47: NULL, 48: empty text, 49: not an object */
    tu_exec("INSERT INTO miner_details (hotkey, details) VALUES (%Q, NULL), "
            "(%Q, ''), (%Q, '[1, 2]')",
            hk(47), hk(48), hk(49));
    /* 50: the first GPU is an A6000, the second an H100 */
    s = spec(32, 2, 100000.0, "NVIDIA RTX A6000", "NVIDIA H100 80GB HBM3", 2e12,
             5e11);
    insert_details(50, s);
    free(s);
    /* 51: missing the gpu "details" list: a non-match */
    insert_details(51, "{\"cpu\": {\"count\": 128}, \"gpu\": {\"count\": 8, "
                       "\"capacity\": 1e6}, \"hard_disk\": {\"free\": 1e13}, "
                       "\"ram\": {\"available\": 1e13}}");
}

/* POSTs requirement and checks items and skipped against seed lists
 * (terminated by -1). */
static void expect_candidates(const char *requirement, const int *items,
                              const int *skipped)
{
    struct resp r = th_send("POST", "/allocations/candidates", requirement);
    const json_t *it, *sk;
    size_t n = 0;

    CHECK_STATUS(r, 200);
    it = json_object_get(r.json, "items");
    sk = json_object_get(r.json, "skipped");
    CHECK(json_is_array(it) && json_is_array(sk));
    CHECK(json_is_null(json_object_get(r.json, "next")));
    for (; items[n] >= 0; n++) {
        if (!json_array_get(it, n) ||
            strcmp(json_string_value(json_array_get(it, n)),
                   hk((unsigned)items[n])) != 0)
            fprintf(stderr, "for %s\ngot %s\n", requirement, r.body);
        CHECK_STR_EQ(json_string_value(json_array_get(it, n)),
                     hk((unsigned)items[n]));
    }
    if (json_array_size(it) != n)
        fprintf(stderr, "for %s\ngot %s\n", requirement, r.body);
    CHECK_INT_EQ(json_array_size(it), n);
    for (n = 0; skipped[n] >= 0; n++) {
        const json_t *e = json_array_get(sk, n);

        if (!e || !tu_jstr(e, "hotkey") ||
            strcmp(tu_jstr(e, "hotkey"), hk((unsigned)skipped[n])) != 0)
            fprintf(stderr, "for %s\ngot %s\n", requirement, r.body);
        CHECK_STR_EQ(tu_jstr(e, "hotkey"), hk((unsigned)skipped[n]));
        CHECK(tu_jstr(e, "reason") && tu_jstr(e, "reason")[0]);
    }
    CHECK_INT_EQ(json_array_size(sk), n);
    th_resp_free(&r);
}

/* A requirement with each component given as JSON text. */
static char *req4(const char *cpu, const char *gpu, const char *disk,
                  const char *ram)
{
    return tu_strf("{\"cpu\": %s, \"gpu\": %s, \"hard_disk\": %s, \"ram\": %s}",
                   cpu, gpu, disk, ram);
}

static void expect4(const char *cpu, const char *gpu, const char *disk,
                    const char *ram, const int *items, const int *skipped)
{
    char *q = req4(cpu, gpu, disk, ram);

    expect_candidates(q, items, skipped);
    free(q);
}

static void test_candidates(void)
{
    static const int malformed[] = {44, 47, 49, -1};
    static const int malformed_gpu[] = {44, 45, 47, 49, -1};
    static const int none[] = {-1};

    seed_candidates();
    {
        static const int all[] = {40, 41, 42, 45, 50, 51, -1};
        expect4("{}", "{}", "{}", "{}", all, malformed);
    }
    {
        /* testing is accepted and changes nothing */
        static const int all[] = {40, 41, 42, 45, 50, 51, -1};
        expect_candidates("{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, "
                          "\"ram\": {}, \"testing\": true}",
                          all, malformed);
    }
    {
        /* gpu capacity is strict: 24564.0 does not beat 24564.0 */
        static const int want[] = {40, 50, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 24564.0, \"type\": \"\"}",
                "{}", "{}", want, malformed_gpu);
    }
    {
        static const int want[] = {40, 41, 50, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 24563.9, \"type\": \"\"}",
                "{}", "{}", want, malformed_gpu);
    }
    {
        /* gpu count is >=: 8 matches 8 */
        static const int want[] = {40, -1};
        expect4("{}", "{\"count\": 8, \"capacity\": 0, \"type\": \"\"}", "{}",
                "{}", want, malformed_gpu);
    }
    {
        static const int want[] = {-1};
        expect4("{}", "{\"count\": 9, \"capacity\": 0, \"type\": \"\"}", "{}",
                "{}", want, malformed_gpu);
    }
    {
        /* type: case-insensitive substring of the FIRST gpu's name */
        static const int want[] = {40, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 0, \"type\": \"h100\"}",
                "{}", "{}", want, malformed_gpu);
        expect4("{}",
                "{\"count\": 1, \"capacity\": 0, \"type\": \"H100 80gb\"}",
                "{}", "{}", want, malformed_gpu);
    }
    {
        static const int want[] = {41, 50, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 0, \"type\": \"RTX\"}",
                "{}", "{}", want, malformed_gpu);
    }
    {
        static const int want[] = {50, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 0, \"type\": \"a6000\"}",
                "{}", "{}", want, malformed_gpu);
    }
    expect4("{}", "{\"count\": 1, \"capacity\": 0, \"type\": \"gpu\"}", "{}",
            "{}", none, malformed_gpu);
    {
        /* cpu count is >= */
        static const int want[] = {40, 45, 51, -1};
        static const int want2[] = {45, 51, -1};
        expect4("{\"count\": 64}", "{}", "{}", "{}", want, malformed);
        expect4("{\"count\": 65}", "{}", "{}", "{}", want2, malformed);
    }
    {
        /* hard_disk.free >= capacity */
        static const int want[] = {40, 45, 51, -1};
        static const int want2[] = {45, 51, -1};
        expect4("{}", "{}", "{\"capacity\": 3500000000000}", "{}", want,
                malformed);
        expect4("{}", "{}", "{\"capacity\": 3500000000001}", "{}", want2,
                malformed);
    }
    {
        /* ram.available >= capacity */
        static const int want[] = {40, 41, 42, 45, 50, 51, -1};
        static const int want2[] = {40, 42, 45, 50, 51, -1};
        expect4("{}", "{}", "{}", "{\"capacity\": 64000000000}", want,
                malformed);
        expect4("{}", "{}", "{}", "{\"capacity\": 64000000000.5}", want2,
                malformed);
    }
    {
        /* all four at once */
        static const int want[] = {41, -1};
        expect4("{\"count\": 16}",
                "{\"count\": 1, \"capacity\": 20000, \"type\": \"4090\"}",
                "{\"capacity\": 1000000000000}", "{\"capacity\": 64000000000}",
                want, malformed_gpu);
    }
}

static void test_candidates_wrong_types(void)
{
    char *s;

    /* A wrong-typed value in any component is reported, and a row that
     * fails an earlier component is a plain non-match. */
    tu_exec("DELETE FROM miner_details");
    s = spec(4, 1, 10000.0, "NVIDIA L4", "", 1e11, 1e10);
    insert_details(60, s);
    free(s);
    insert_details(61, "{\"cpu\": {\"count\": \"4\"}, \"gpu\": {}, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "{\"available\": 1e10}}");
    insert_details(62, "{\"cpu\": {\"count\": 4}, \"gpu\": {}, "
                       "\"hard_disk\": {\"free\": \"1e11\"}, \"ram\": "
                       "{\"available\": 1e10}}");
    insert_details(63, "{\"cpu\": {\"count\": 4}, \"gpu\": {}, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "{\"available\": null}}");
    insert_details(64, "{\"cpu\": {\"count\": 4}, \"gpu\": {\"count\": 1, "
                       "\"capacity\": 1e5, \"details\": [{\"name\": 7}]}, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "{\"available\": 1e10}}");
    {
        static const int want[] = {60, 64, -1};
        static const int bad[] = {61, 62, 63, -1};
        expect4("{\"count\": 1}", "{}", "{\"capacity\": 1}",
                "{\"capacity\": 1}", want, bad);
    }
    {
        static const int want[] = {60, -1};
        static const int bad[] = {64, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 1, \"type\": \"\"}", "{}",
                "{}", want, bad);
    }
    {
        /* cpu is checked first: 61's bad count is reported, 62..64 (count
         * 4 < 8) fail before their bad values are read */
        static const int none[] = {-1};
        static const int bad[] = {61, -1};
        expect4("{\"count\": 8}", "{}", "{}", "{}", none, bad);
    }
}

static void test_bad_candidates(void)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"cpu\": {}, \"hard_disk\": {}, \"ram\": {}}", "gpu"},
        {"{\"gpu\": {}, \"hard_disk\": {}, \"ram\": {}}", "cpu"},
        {"{\"cpu\": {}, \"gpu\": {}, \"ram\": {}}", "hard_disk"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}}", "ram"},
        {"{\"cpu\": {\"count\": \"4\"}, \"gpu\": {}, \"hard_disk\": {}, "
         "\"ram\": {}}",
         "cpu.count"},
        {"{\"cpu\": {\"cores\": 4}, \"gpu\": {}, \"hard_disk\": {}, "
         "\"ram\": {}}",
         "cpu.cores"},
        {"{\"cpu\": null, \"gpu\": {}, \"hard_disk\": {}, \"ram\": {}}", "cpu"},
        {"{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": 1}, "
         "\"hard_disk\": {}, \"ram\": {}}",
         "gpu.type"},
        {"{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": 1, \"type\": "
         "5}, \"hard_disk\": {}, \"ram\": {}}",
         "gpu.type"},
        {"{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": -1, \"type\": "
         "\"\"}, \"hard_disk\": {}, \"ram\": {}}",
         "gpu.capacity"},
        {"{\"cpu\": {}, \"gpu\": {\"capacity\": 1, \"type\": \"\"}, "
         "\"hard_disk\": {}, \"ram\": {}}",
         "gpu.count"},
        {"{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": 1, \"type\": "
         "\"\", \"vram\": 1}, \"hard_disk\": {}, \"ram\": {}}",
         "gpu.vram"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {\"capacity\": null}, "
         "\"ram\": {}}",
         "hard_disk.capacity"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, \"ram\": []}", "ram"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, \"ram\": "
         "{\"capacity\": true}}",
         "ram.capacity"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, \"ram\": {}, "
         "\"testing\": \"yes\"}",
         "testing"},
        {"{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, \"ram\": {}, "
         "\"disk\": {}}",
         "disk"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tu_bad("POST", "/allocations/candidates", cases[i].body,
               cases[i].field);
    /* A type of 128 bytes or more is refused. */
    {
        char type[200];
        char *b;

        memset(type, 'a', 150);
        type[150] = '\0';
        b = tu_strf("{\"cpu\": {}, \"gpu\": {\"count\": 1, \"capacity\": 1, "
                    "\"type\": \"%s\"}, \"hard_disk\": {}, \"ram\": {}}",
                    type);
        tu_bad("POST", "/allocations/candidates", b, "gpu.type");
        free(b);
    }
}

/* json.dumps(ensure_ascii=True) escapes everything outside ' '..'~',
 * DEL (0x7f) included: {"a": "\x7f"} is written {"a": "\u007f"}. */
static void test_python_del(void)
{
    put_one(hk(70), "{\"a\": \"x\\u007fy\"}");
    CHECK_SQL_TEXT("{\"a\": \"x\\u007fy\"}",
                   "SELECT details FROM miner_details WHERE hotkey = %Q",
                   hk(70));
}

/* A component of the wrong type (a truthy non-object, where upstream's
 * details["cpu"]["count"] raised TypeError) is a wrong-typed value: the
 * row is reported in skipped, like a wrong-typed leaf. Falsy values ({},
 * [], "", 0, null) stay plain non-matches, as upstream's "not cpu_miner"
 * test made them. */
static void test_candidates_component_types(void)
{
    tu_exec("DELETE FROM miner_details");
    insert_details(80, "{\"cpu\": {\"count\": 4}, \"gpu\": {\"count\": 1, "
                       "\"capacity\": 1e5, \"details\": [{\"name\": "
                       "\"NVIDIA L4\"}]}, \"hard_disk\": {\"free\": 1e11}, "
                       "\"ram\": {\"available\": 1e10}}");
    insert_details(81, "{\"cpu\": \"4 cores\", \"gpu\": {}, \"hard_disk\": "
                       "{\"free\": 1e11}, \"ram\": {\"available\": 1e10}}");
    insert_details(82, "{\"cpu\": [], \"gpu\": {}, \"hard_disk\": "
                       "{\"free\": 1e11}, \"ram\": {\"available\": 1e10}}");
    insert_details(83, "{\"cpu\": {\"count\": 4}, \"gpu\": 8, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "{\"available\": 1e10}}");
    insert_details(84, "{\"cpu\": {\"count\": 4}, \"gpu\": null, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "{\"available\": 1e10}}");
    insert_details(85, "{\"cpu\": {\"count\": 4}, \"gpu\": {}, "
                       "\"hard_disk\": {\"free\": 1e11}, \"ram\": "
                       "\"16 GB\"}");
    {
        static const int want[] = {80, 83, 84, 85, -1};
        static const int bad[] = {81, -1};
        expect4("{\"count\": 1}", "{}", "{}", "{}", want, bad);
    }
    {
        static const int want[] = {80, -1};
        static const int bad[] = {83, -1};
        expect4("{}", "{\"count\": 1, \"capacity\": 1, \"type\": \"\"}", "{}",
                "{}", want, bad);
    }
    {
        static const int want[] = {80, 81, 82, 83, 84, -1};
        static const int bad[] = {85, -1};
        expect4("{}", "{}", "{}", "{\"capacity\": 1}", want, bad);
    }
}

int main(void)
{
    tu_start();
    test_python_text();
    test_no_specs_count();
    test_list_and_docker();
    test_bad_specs();
    test_candidates();
    test_candidates_wrong_types();
    test_bad_candidates();
    test_candidates_component_types();
    test_python_del();
    tu_stop();
    return 0;
}
