/* SPDX-License-Identifier: MIT */
/* /allocations over real HTTP: the UPSERT keeps the id, 201 + Location on
 * create and 200 on update, details stored as Python json.dumps text,
 * DELETE 204 then 404, and every bad input refused without a write. */
#include "util.h"

/* The upstream allocation.details shape (docs/upstream.md 3.2), key order as
 * the register API writes it. */
static char *details(const char *password)
{
    return tu_strf(
        "{\"username\": \"root\", \"password\": \"%s\", \"port\": 4444, "
        "\"version\": 183, \"ip\": \"203.0.113.7\", \"resource\": \"nvidia "
        "h100 80gb hbm3\", \"regkey\": \"-----BEGIN PUBLIC KEY-----\\nMIIBIj"
        "ANBg\\n-----END PUBLIC KEY-----\\n\", \"ssh_key\": \"ssh-ed25519 "
        "AAAAC3Nza user@host\", \"uuid\": "
        "\"2f6c1e3a-f4b1-11ef-9c1d-0242ac120002\"}",
        password);
}

static struct resp put_alloc(const char *hotkey, const char *det)
{
    char *path = tu_strf("/allocations/%s", hotkey);
    struct resp r = tu_sendf("PUT", path, "{\"details\": %s}", det);

    free(path);
    return r;
}

static int64_t alloc_id(const char *hotkey)
{
    return tu_int("SELECT id FROM allocation WHERE hotkey = %Q", hotkey);
}

static void test_put_get_delete(void)
{
    struct resp r;
    char buf[256], *d1 = details("q8ZrT2mLx0"), *d2 = details("Zz9yY8xX7w");
    char *want, *path;
    int64_t id1, id2;

    r = th_get("/allocations");
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{\"items\": [], \"next\": null}"));
    th_resp_free(&r);

    /* Create: 201, Location, the row; stored as json.dumps text. */
    r = put_alloc(hk(1), d1);
    CHECK_STATUS(r, 201);
    CHECK(th_header(&r, "Location", buf, sizeof(buf)));
    want = tu_strf("/allocations/%s", hk(1));
    CHECK_STR_EQ(buf, want);
    free(want);
    id1 = alloc_id(hk(1));
    CHECK_INT_EQ(tu_jint(r.json, "id"), id1);
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hk(1));
    CHECK(tu_json_is(json_object_get(r.json, "details"), d1));
    CHECK_INT_EQ(json_object_size(r.json), 3);
    th_resp_free(&r);
    CHECK_SQL_TEXT(d1, "SELECT details FROM allocation WHERE hotkey = %Q",
                   hk(1));

    /* Update: 200, no Location, same id, details replaced. */
    r = put_alloc(hk(1), d2);
    CHECK_STATUS(r, 200);
    CHECK(!th_header(&r, "Location", buf, sizeof(buf)));
    CHECK_INT_EQ(tu_jint(r.json, "id"), id1);
    CHECK(tu_json_is(json_object_get(r.json, "details"), d2));
    th_resp_free(&r);
    CHECK_INT_EQ(alloc_id(hk(1)), id1);
    CHECK_INT_EQ(tu_count("allocation"), 1);
    CHECK_SQL_TEXT(d2, "SELECT details FROM allocation WHERE hotkey = %Q",
                   hk(1));

    /* A second hotkey; the list is ordered by id. ssh_key may be "". */
    r = put_alloc(hk(2), "{\"username\": \"root\", \"ssh_key\": \"\"}");
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    id2 = alloc_id(hk(2));
    CHECK(id2 > id1);
    CHECK_SQL_TEXT("{\"username\": \"root\", \"ssh_key\": \"\"}",
                   "SELECT details FROM allocation WHERE hotkey = %Q", hk(2));
    r = th_get("/allocations");
    CHECK_STATUS(r, 200);
    want = tu_strf("{\"items\": [{\"id\": %lld, \"hotkey\": \"%s\", "
                   "\"details\": %s}, {\"id\": %lld, \"hotkey\": \"%s\", "
                   "\"details\": {\"username\": \"root\", \"ssh_key\": "
                   "\"\"}}], \"next\": null}",
                   (long long)id1, hk(1), d2, (long long)id2, hk(2));
    CHECK(tu_json_is(r.json, want));
    free(want);
    th_resp_free(&r);

    r = tu_getf("/allocations/%s", hk(1));
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "id"), id1);
    CHECK(tu_json_is(json_object_get(r.json, "details"), d2));
    th_resp_free(&r);

    /* Delete: 204 with no body, then 404 for DELETE and GET. */
    path = tu_strf("/allocations/%s", hk(1));
    r = th_send("DELETE", path, NULL);
    CHECK_STATUS(r, 204);
    CHECK(r.len == 0);
    th_resp_free(&r);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM allocation WHERE hotkey = %Q", hk(1)), 0);
    CHECK_INT_EQ(tu_count("allocation"), 1);
    tu_reject("DELETE", path, NULL, 404, "not_found", "hotkey");
    tu_reject("GET", path, NULL, 404, "not_found", "hotkey");
    free(path);

    /* Created again: 201 with a new id. */
    r = put_alloc(hk(1), "{}");
    CHECK_STATUS(r, 201);
    CHECK(tu_jint(r.json, "id") != id1);
    CHECK(tu_json_is(json_object_get(r.json, "details"), "{}"));
    th_resp_free(&r);
    CHECK_SQL_TEXT("{}", "SELECT details FROM allocation WHERE hotkey = %Q",
                   hk(1));
    free(d1);
    free(d2);
}

static void test_stored_oddities(void)
{
    struct resp r;

    /* Rows another writer left unparsable read back with details null. */
    tu_exec("INSERT INTO allocation (hotkey, details) VALUES (%Q, 'oops'), "
            "(%Q, NULL)",
            hk(3), hk(4));
    r = tu_getf("/allocations/%s", hk(3));
    CHECK_STATUS(r, 200);
    CHECK(json_is_null(json_object_get(r.json, "details")));
    th_resp_free(&r);
    r = tu_getf("/allocations/%s", hk(4));
    CHECK_STATUS(r, 200);
    CHECK(json_is_null(json_object_get(r.json, "details")));
    th_resp_free(&r);

    /* Updating such a row keeps its id. */
    {
        int64_t id = alloc_id(hk(3));

        r = put_alloc(hk(3), "{\"port\": 22}");
        CHECK_STATUS(r, 200);
        th_resp_free(&r);
        CHECK_INT_EQ(alloc_id(hk(3)), id);
        CHECK_SQL_TEXT("{\"port\": 22}",
                       "SELECT details FROM allocation WHERE hotkey = %Q",
                       hk(3));
    }

    /* Non-ASCII is escaped as json.dumps does. */
    r = put_alloc(hk(5), "{\"username\": \"r\\u00f6ot\", \"resource\": "
                         "\"\\u4e2d\"}");
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    CHECK_SQL_TEXT("{\"username\": \"r\\u00f6ot\", \"resource\": \"\\u4e2d\"}",
                   "SELECT details FROM allocation WHERE hotkey = %Q", hk(5));
}

static void bad_put(const char *hotkey, const char *body, const char *field)
{
    char *path = tu_strf("/allocations/%s", hotkey);

    tu_bad("PUT", path, body, field);
    free(path);
}

static void bad_detail(const char *member, const char *value)
{
    /* A valid member beside the bad one (not a duplicate key). */
    char *body = tu_strf("{\"details\": {\"%s\": \"x\", \"%s\": %s}}",
                         strcmp(member, "resource") ? "resource" : "username",
                         member, value);
    char field[64];

    snprintf(field, sizeof(field), "details.%s", member);
    /* hk(2) exists: its row must not change either. */
    bad_put(hk(2), body, field);
    bad_put(hk(9), body, field);
    free(body);
}

static void test_bad_input(void)
{
    char big[16500];
    char *b;

    bad_put(hk(2), "{}", "details");
    bad_put(hk(2), "{\"details\": null}", "details");
    bad_put(hk(2), "{\"details\": \"{}\"}", "details");
    bad_put(hk(2), "{\"details\": [1]}", "details");
    bad_put(hk(2), "{\"details\": {}, \"flag\": true}", "flag");
    bad_detail("cpu", "1");
    bad_detail("port", "70000");
    bad_detail("port", "65536");
    bad_detail("port", "-1");
    bad_detail("port", "\"4444\"");
    bad_detail("port", "44.5");
    bad_detail("port", "null");
    bad_detail("version", "-1");
    bad_detail("version", "2147483648");
    bad_detail("version", "\"183\"");
    bad_detail("username", "null");
    bad_detail("password", "12345");
    bad_detail("ip", "5");
    memset(big, '0', 65);
    big[65] = '\0';
    b = tu_strf("\"%s\"", big);
    bad_detail("ip", b);
    bad_detail("uuid", b);
    free(b);
    bad_detail("ssh_key", "null");
    bad_detail("regkey", "{}");
    memset(big, 'k', 16385);
    big[16385] = '\0';
    b = tu_strf("\"%s\"", big);
    bad_detail("regkey", b);
    free(b);

    /* Exactly the caps pass. */
    {
        struct resp r;
        char ip[70];

        memset(ip, '1', 64);
        ip[64] = '\0';
        big[16384] = '\0';
        b = tu_strf("{\"ip\": \"%s\", \"regkey\": \"%s\", \"port\": 65535, "
                    "\"version\": 2147483647}",
                    ip, big);
        r = put_alloc(hk(6), b);
        CHECK_STATUS(r, 201);
        th_resp_free(&r);
        free(b);
    }

    bad_put("nope", "{\"details\": {}}", "hotkey");
    bad_put(TU_BAD_SS58, "{\"details\": {}}", "hotkey");
    tu_bad("GET", "/allocations/nope", NULL, "hotkey");
    b = tu_strf("/allocations/%s", TU_BAD_SS58);
    tu_bad("DELETE", b, NULL, "hotkey");
    free(b);
    tu_bad("GET", "/allocations?hotkey=x", NULL, NULL);
}

int main(void)
{
    tu_start();
    test_put_get_delete();
    test_stored_oddities();
    test_bad_input();
    tu_stop();
    return 0;
}
