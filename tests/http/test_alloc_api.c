/* SPDX-License-Identifier: MIT */
/* The upstream allocation API's two reads over real HTTP:
 * /list/allocations_sql (Allocation objects, 404 with a data string, 403
 * on a row upstream cannot read, secrets only with the grant) and
 * /list/resources_sql (Resource objects, reserved from the allocation
 * table, ResourceQuery filters, upstream's pagination arithmetic, stats,
 * FastAPI's 422, 404), and the 501 of the routes that need a miner. */
#include "util.h"

static const char H100[] = "NVIDIA H100 80GB HBM3";

/* miner_details text as the validator stores it. */
static char *specs(int cpu, const char *gpu, int count, double cap_mib,
                   double ram, double disk)
{
    return tu_strf("{\"cpu\": {\"count\": %d, \"frequency\": 2000.0}, "
                   "\"gpu\": {\"count\": %d, \"capacity\": %.1f, \"details\": "
                   "[{\"name\": \"%s\", \"capacity\": 81559.0}]}, "
                   "\"hard_disk\": {\"total\": 1, \"free\": %.0f}, "
                   "\"ram\": {\"total\": 1, \"available\": %.0f}, "
                   "\"has_docker\": true}",
                   cpu, count, cap_mib, gpu, disk, ram);
}

static void add_specs(unsigned seed, const char *text)
{
    tu_exec("INSERT INTO miner_details (hotkey, details, no_specs_count) "
            "VALUES (%Q, %Q, 0)",
            hk(seed), text);
}

static void add_specs_built(unsigned seed, int cpu, const char *gpu, int count,
                            double cap, double ram, double disk)
{
    char *t = specs(cpu, gpu, count, cap, ram, disk);

    add_specs(seed, t);
    free(t);
}

/* POST path (query included) with body (NULL: none); checks status. */
static struct resp post(const char *path, const char *body, long status)
{
    struct resp r = th_request("POST", path, body, NULL, NULL);

    if (r.status != status)
        fprintf(stderr, "POST %s: %ld %s\n", path, r.status, r.body);
    CHECK_INT_EQ(r.status, status);
    return r;
}

static void expect(const char *path, const char *body, long status,
                   const char *want)
{
    struct resp r = post(path, body, status);

    CHECK(tu_json_is(r.json, want));
    th_resp_free(&r);
}

/* ---- /list/allocations_sql ------------------------------------------- */

static void put_alloc(unsigned seed, const char *details)
{
    char *path = tu_strf("/allocations/%s", hk(seed));
    struct resp r = tu_sendf("PUT", path, "{\"details\": %s}", details);

    CHECK(r.status == 201 || r.status == 200);
    th_resp_free(&r);
    free(path);
}

/* upstream's 403 with the exception repr err */
static void expect_403(const char *err)
{
    json_t *want = json_pack("{s:b,s:s,s:s}", "success", 0, "message",
                             "An error occurred while retrieving allocation "
                             "details.",
                             "err_detail", err);
    struct resp r = post("/list/allocations_sql", NULL, 403);

    CHECK(json_equal(r.json, want));
    json_decref(want);
    th_resp_free(&r);
}

static void test_allocations(void)
{
    char *want;

    expect("/list/allocations_sql", NULL, 404,
           "{\"success\": false, \"message\": \"No resources found.\", "
           "\"data\": \"No allocated resources found. Allocate a resource "
           "with validator.\"}");
    put_alloc(2, "{\"username\": \"root\", \"password\": \"q8ZrT2mLx0\", "
                 "\"port\": 4444, \"version\": 183, \"ip\": \"203.0.113.7\", "
                 "\"resource\": \"nvidia h100 80gb hbm3\", \"regkey\": \"K\", "
                 "\"ssh_key\": \"ssh-ed25519 AAAA\", \"uuid\": \"u-1\"}");
    put_alloc(1, "{\"username\": \"ubuntu\", \"password\": \"pw\", "
                 "\"port\": 2222, \"ip\": \"198.51.100.2\", "
                 "\"resource\": \"nvidia a100\", \"ssh_key\": \"\", "
                 "\"uuid\": \"u-2\"}");
    /* id order; regkey never shown; version 0 when absent; a body and
     * query-less call are both fine (upstream takes no input) */
    want = tu_strf(
        "{\"success\": true, \"message\": \"List allocations successfully.\", "
        "\"data\": [{\"resource\": \"nvidia h100 80gb hbm3\", \"hotkey\": "
        "\"%s\", \"regkey\": \"\", \"ssh_ip\": \"203.0.113.7\", \"ssh_port\": "
        "4444, \"ssh_username\": \"root\", \"ssh_password\": \"q8ZrT2mLx0\", "
        "\"ssh_command\": \"ssh root@203.0.113.7 -p 4444\", \"ssh_key\": "
        "\"ssh-ed25519 AAAA\", \"uuid_key\": \"u-1\", \"miner_version\": 183}, "
        "{\"resource\": \"nvidia a100\", \"hotkey\": \"%s\", \"regkey\": \"\", "
        "\"ssh_ip\": \"198.51.100.2\", \"ssh_port\": 2222, \"ssh_username\": "
        "\"ubuntu\", \"ssh_password\": \"pw\", \"ssh_command\": \"ssh "
        "ubuntu@198.51.100.2 -p 2222\", \"ssh_key\": \"\", \"uuid_key\": "
        "\"u-2\", \"miner_version\": 0}]}",
        hk(2), hk(1));
    expect("/list/allocations_sql", "{\"ignored\": 1}", 200, want);
    free(want);

    /* a reader without the secrets grant: no password, no ssh_key */
    th_use(th_key_new(ROLE_READER));
    {
        struct resp r = post("/list/allocations_sql", NULL, 200);
        json_t *first = json_array_get(json_object_get(r.json, "data"), 0);

        CHECK(json_object_get(first, "ssh_password") == NULL);
        CHECK(json_object_get(first, "ssh_key") == NULL);
        CHECK_STR_EQ(tu_jstr(first, "ssh_command"),
                     "ssh root@203.0.113.7 -p 4444");
        th_resp_free(&r);
    }
    th_use(th_admin());

    /* a row upstream cannot read fails the whole list with its 403 */
    tu_exec("INSERT INTO allocation (hotkey, details) VALUES (%Q, "
            "'{\"resource\": \"r\", \"username\": \"u\", \"password\": \"p\", "
            "\"port\": 1, \"ip\": \"i\"}')",
            hk(3));
    expect_403("KeyError('uuid')");
    tu_exec("UPDATE allocation SET details = NULL WHERE hotkey = %Q", hk(3));
    expect_403("TypeError('the JSON object must be str, bytes or bytearray, "
               "not NoneType')");
    tu_exec("UPDATE allocation SET details = '[1]' WHERE hotkey = %Q", hk(3));
    expect_403("TypeError('list indices must be integers or slices, not "
               "str')");
    tu_exec("DELETE FROM allocation WHERE hotkey = %Q", hk(3));
}

/* ---- /list/resources_sql --------------------------------------------- */

/* Rows 10..15: three listed (one reserved), placeholders ('{}' and NULL),
 * one that is no JSON, one whose details upstream cannot read; hk(2) holds an
 * allocation from test_allocations. */
static void seed_resources(void)
{
    add_specs_built(10, 64, H100, 8, 652472.0, 2100000000000.0,
                    3500000000000.0);
    add_specs(11, "{}");
    add_specs_built(2, 32, "NVIDIA A100-SXM4-80GB", 4, 327680.0, 536870912000.0,
                    1073741824000.0);
    add_specs(12, "not json");
    tu_exec("INSERT INTO miner_details (hotkey, details) VALUES (%Q, NULL)",
            hk(15));
    add_specs(13, "{\"gpu\": {\"count\": 1}}");
    add_specs_built(14, 8, "NVIDIA GeForce RTX 4090", 1, 24564.0, 68719476736.0,
                    107374182400.0);
}

static char *r10, *r2, *r14; /* the three Resource objects */

static void make_expected(void)
{
    r10 = tu_strf("{\"hotkey\": \"%s\", \"cpu_count\": 64, \"gpu_name\": "
                  "\"nvidia h100 80gb hbm3\", \"gpu_capacity\": 637.18, "
                  "\"gpu_count\": 8, \"ram\": 1955.78, \"hard_disk\": "
                  "3259.63, \"allocate_status\": \"available\"}",
                  hk(10));
    r2 = tu_strf("{\"hotkey\": \"%s\", \"cpu_count\": 32, \"gpu_name\": "
                 "\"nvidia a100-sxm4-80gb\", \"gpu_capacity\": 320.0, "
                 "\"gpu_count\": 4, \"ram\": 500.0, \"hard_disk\": 1000.0, "
                 "\"allocate_status\": \"reserved\"}",
                 hk(2));
    r14 = tu_strf("{\"hotkey\": \"%s\", \"cpu_count\": 8, \"gpu_name\": "
                  "\"nvidia geforce rtx 4090\", \"gpu_capacity\": 23.99, "
                  "\"gpu_count\": 1, \"ram\": 64.0, \"hard_disk\": 100.0, "
                  "\"allocate_status\": \"available\"}",
                  hk(14));
}

/* Expects a 200 page of the given items. */
static void expect_page(const char *path, const char *body, const char *items,
                        long page, long size, const char *next)
{
    char *want = tu_strf("{\"success\": true, \"message\": \"List resources "
                         "successfully\", \"data\": {\"page_items\": [%s], "
                         "\"page_number\": %ld, \"page_size\": %ld, "
                         "\"next_page_number\": %s}}",
                         items, page, size, next);

    expect(path, body, 200, want);
    free(want);
}

static void test_resources_paging(void)
{
    char *all = tu_strf("%s, %s, %s", r10, r2, r14);
    char *two = tu_strf("%s, %s", r10, r2);

    expect_page("/list/resources_sql", NULL, all, 1, 3, "null");
    expect_page("/list/resources_sql", "null", all, 1, 3, "null");
    expect_page("/list/resources_sql?page_number=0", "{}", all, 1, 3, "null");
    expect_page("/list/resources_sql?page_number=1&page_size=2", NULL, two, 1,
                2, "2");
    expect_page("/list/resources_sql?page_number=2&page_size=2", NULL, r14, 2,
                2, "null");
    expect_page("/list/resources_sql?page_number=3&page_size=2", NULL, "", 3, 2,
                "null");
    /* page_size absent or 0 is 50 */
    expect_page("/list/resources_sql?page_number=1&page_size=0", NULL, all, 1,
                50, "null");
    /* Python slicing: page -1 of 2 is items[-4:-2], and -2 < 3 has next */
    expect_page("/list/resources_sql?page_number=-1&page_size=2", NULL, r10, -1,
                2, "0");
    /* pydantic's integers: " 2 ", "1.0", "1_0" */
    expect_page("/list/resources_sql?page_number=1.0&page_size=%202%20", NULL,
                two, 1, 2, "2");
    free(all);
    free(two);
}

static void test_resources_filters(void)
{
    char *both = tu_strf("%s, %s", r10, r2);

    expect_page("/list/resources_sql", "{\"gpu_name\": \"H100\"}", r10, 1, 1,
                "null");
    expect_page("/list/resources_sql",
                "{\"cpu_count_min\": 32, \"gpu_capacity_max\": 637.18}", both,
                1, 2, "null");
    expect_page("/list/resources_sql",
                "{\"cpu_count_max\": \"8\", \"ram_total_min\": 64, "
                "\"unknown\": 1}",
                r14, 1, 1, "null");
    expect_page("/list/resources_sql",
                "{\"hard_disk_total_min\": 1000.0, \"hard_disk_total_max\": "
                "1000.0}",
                r2, 1, 1, "null");
    free(both);
    both = tu_strf("%s, %s, %s", r10, r2, r14);
    expect_page("/list/resources_sql",
                "{\"gpu_name\": \"\", \"gpu_capacity_min\": null}", both, 1, 3,
                "null");
    expect("/list/resources_sql?stats=true", "{\"cpu_count_min\": 16}", 200,
           "{\"success\": true, \"message\": \"List resources successfully\", "
           "\"data\": {\"stats\": {\"available\": 1, \"reserved\": 1, "
           "\"total\": 2}}}");
    expect("/list/resources_sql?stats=on&page_number=1&page_size=1", NULL, 200,
           "{\"success\": true, \"message\": \"List resources successfully\", "
           "\"data\": {\"stats\": {\"available\": 2, \"reserved\": 1, "
           "\"total\": 3}}}");
    free(both);
}

static const char V422[] = "{\"success\": false, \"message\": \"Validation "
                           "Error, Please check the request body.\", "
                           "\"err_detail\": [%s]}";

static void expect_422(const char *path, const char *body, const char *errs)
{
    char *want = tu_strf(V422, errs);

    expect(path, body, 422, want);
    free(want);
}

static void test_resources_422(void)
{
    struct resp r;

    /* query errors first, then the body's in ResourceQuery's order */
    expect_422(
        "/list/resources_sql?stats=maybe&page_size=x",
        "{\"ram_total_max\": [1], \"cpu_count_min\": 1.5, \"gpu_name\": 5}",
        "{\"field\": \"stats\", \"message\": \"Input should be a valid "
        "boolean, unable to interpret input\"}, {\"field\": \"page_size\", "
        "\"message\": \"Input should be a valid integer, unable to parse "
        "string as an integer\"}, {\"field\": \"gpu_name\", \"message\": "
        "\"Input should be a valid string\"}, {\"field\": \"cpu_count_min\", "
        "\"message\": \"Input should be a valid integer, got a number with a "
        "fractional part\"}, {\"field\": \"ram_total_max\", \"message\": "
        "\"Input should be a valid number\"}");
    expect_422("/list/resources_sql", "[1]",
               "{\"field\": \"body\", \"message\": \"Input should be a valid "
               "dictionary or object to extract fields from\"}");
    expect_422("/list/resources_sql?page_number=1.5",
               "{\"gpu_capacity_min\": \"lots\"}",
               "{\"field\": \"page_number\", \"message\": \"Input should be a "
               "valid integer, unable to parse string as an integer\"}, "
               "{\"field\": \"gpu_capacity_min\", \"message\": \"Input should "
               "be a valid number, unable to parse string as a number\"}");
    /* a body that is no JSON: one error, its field the position */
    r = post("/list/resources_sql?stats=maybe", "{\"gpu_name\" 1}", 422);
    CHECK_INT_EQ(json_array_size(json_object_get(r.json, "err_detail")), 1);
    {
        json_t *e = json_array_get(json_object_get(r.json, "err_detail"), 0);

        CHECK(json_is_integer(json_object_get(e, "field")));
        CHECK_STR_EQ(tu_jstr(e, "message"), "JSON decode error");
    }
    th_resp_free(&r);
    /* a body FastAPI does not read as JSON is bytes: not a dict */
    r = th_request("POST", "/list/resources_sql", "{}", "text/plain", NULL);
    CHECK_INT_EQ(r.status, 422);
    CHECK_STR_EQ(
        tu_jstr(json_array_get(json_object_get(r.json, "err_detail"), 0),
                "field"),
        "body");
    th_resp_free(&r);
    /* an unknown query parameter is computedb's 400 (upstream ignores it) */
    r = post("/list/resources_sql?pagesize=1", NULL, 400);
    th_resp_free(&r);
}

static void test_resources(void)
{
    /* no miner_details rows: 404, even with allocations */
    expect("/list/resources_sql", NULL, 404,
           "{\"success\": false, \"message\": \"There is no resource "
           "available\", \"err_detail\": \"No resources found.\"}");
    /* only rows upstream lists nothing of: 200 and an empty page */
    add_specs(11, "{}");
    expect_page("/list/resources_sql", NULL, "", 1, 0, "null");
    tu_exec("DELETE FROM miner_details");
    seed_resources();
    make_expected();
    test_resources_paging();
    test_resources_filters();
    test_resources_422();
    free(r10);
    free(r2);
    free(r14);
}

/* ---- the routes that need a miner, and roles ------------------------- */

static void test_service_and_roles(void)
{
    struct resp r = post("/service/deallocate?hotkey=x&uuid_key=y&"
                         "notify_flag=true",
                         NULL, 501);

    CHECK(json_is_false(json_object_get(r.json, "success")));
    CHECK_STR_EQ(tu_jstr(r.json, "message"),
                 "Not implemented: this route needs a miner and stays with "
                 "the allocation API.");
    CHECK(strstr(tu_jstr(r.json, "err_detail"), "/service/deallocate") != NULL);
    th_resp_free(&r);
    r = post("/service/allocate_spec",
             "{\"requirements\": {}, \"docker_requirement\": {}}", 501);
    th_resp_free(&r);
    r = post("/service/nope", NULL, 404);
    th_expect_error(&r, 404, "not_found", "action");
    th_resp_free(&r);

    th_use(NULL);
    r = post("/list/resources_sql", NULL, 401);
    th_resp_free(&r);
    r = post("/list/allocations_sql", NULL, 401);
    th_resp_free(&r);
    th_use(th_key_new(ROLE_READER));
    r = post("/list/resources_sql?stats=1", NULL, 200);
    th_resp_free(&r);
    th_use(th_admin());
}

int main(void)
{
    tu_start();
    test_allocations();
    test_resources();
    test_service_and_roles();
    tu_stop();
    return 0;
}
