/* SPDX-License-Identifier: MIT */
/* /blacklist over real HTTP: batch add (DO NOTHING on conflict) and batch
 * remove with their counts, the list in id order, DELETE of one hotkey
 * (204 then 404), and bad batches that change nothing. */
#include "util.h"

/* GET /blacklist must list exactly these seeds (terminated by -1). */
static void expect_list(const int *seeds)
{
    struct resp r = th_get("/blacklist");
    const json_t *items = json_object_get(r.json, "items");
    size_t n = 0;

    CHECK_STATUS(r, 200);
    CHECK(json_is_null(json_object_get(r.json, "next")));
    CHECK(json_is_array(items));
    for (; seeds[n] >= 0; n++)
        CHECK_STR_EQ(json_string_value(json_array_get(items, n)),
                     hk((unsigned)seeds[n]));
    CHECK_INT_EQ(json_array_size(items), n);
    CHECK_INT_EQ(tu_count("blacklist"), n);
    th_resp_free(&r);
}

static void change(const char *method, const char *keys, const char *want)
{
    struct resp r = tu_sendf(method, "/blacklist", "{\"hotkeys\": [%s]}", keys);

    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, want));
    th_resp_free(&r);
}

static void test_lists(void)
{
    static const int none[] = {-1};
    char *k;

    expect_list(none);
    k = tu_strf("\"%s\", \"%s\", \"%s\"", hk(1), hk(2), hk(1));
    change("POST", k, "{\"added\": 2, \"already_listed\": 1}");
    free(k);
    {
        static const int want[] = {1, 2, -1};
        expect_list(want);
    }
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM blacklist WHERE details IS "
                        "NULL"),
                 2);

    k = tu_strf("\"%s\", \"%s\"", hk(2), hk(3));
    change("POST", k, "{\"added\": 1, \"already_listed\": 1}");
    free(k);
    {
        static const int want[] = {1, 2, 3, -1};
        expect_list(want);
    }

    /* Batch remove: counts removed and not listed. */
    k = tu_strf("\"%s\", \"%s\", \"%s\"", hk(1), hk(4), hk(1));
    change("DELETE", k, "{\"removed\": 1, \"not_listed\": 2}");
    free(k);
    {
        static const int want[] = {2, 3, -1};
        expect_list(want);
    }

    /* One hotkey: 204, then 404. */
    {
        char *path = tu_strf("/blacklist/%s", hk(2));
        struct resp r = th_send("DELETE", path, NULL);

        CHECK_STATUS(r, 204);
        CHECK(r.len == 0);
        th_resp_free(&r);
        tu_reject("DELETE", path, NULL, 404, "not_found", "hotkey");
        free(path);
    }
    {
        static const int want[] = {3, -1};
        expect_list(want);
    }

    /* Re-listed keys go to the end (a new id). */
    k = tu_strf("\"%s\"", hk(1));
    change("POST", k, "{\"added\": 1, \"already_listed\": 0}");
    free(k);
    {
        static const int want[] = {3, 1, -1};
        expect_list(want);
    }

    /* Upstream rows with a details value are listed and removable. */
    tu_exec("INSERT INTO blacklist (hotkey, details) VALUES (%Q, 'x')", hk(5));
    {
        static const int want[] = {3, 1, 5, -1};
        expect_list(want);
    }
    k = tu_strf("\"%s\"", hk(5));
    change("DELETE", k, "{\"removed\": 1, \"not_listed\": 0}");
    free(k);
}

static void test_bad_input(void)
{
    static const char *const methods[] = {"POST", "DELETE"};
    char *b;

    for (size_t m = 0; m < 2; m++) {
        const char *meth = methods[m];

        /* hk(3) is listed: a bad DELETE batch must not remove it, a bad
         * POST batch must not add hk(7). */
        b = tu_strf("{\"hotkeys\": [\"%s\", \"%s\", \"nope\"]}", hk(7), hk(3));
        tu_bad(meth, "/blacklist", b, "hotkeys[2]");
        free(b);
        b = tu_strf("{\"hotkeys\": [\"%s\", 5]}", hk(3));
        tu_bad(meth, "/blacklist", b, "hotkeys[1]");
        free(b);
        b = tu_strf("{\"hotkeys\": [\"%s\", null]}", hk(3));
        tu_bad(meth, "/blacklist", b, "hotkeys[1]");
        free(b);
        b = tu_strf("{\"hotkeys\": [\"%s\"]}", TU_BAD_SS58);
        tu_bad(meth, "/blacklist", b, "hotkeys[0]");
        free(b);
        b = tu_strf("{\"hotkeys\": \"%s\"}", hk(3));
        tu_bad(meth, "/blacklist", b, "hotkeys");
        free(b);
        b = tu_strf("{\"hotkeys\": [\"%s\"], \"reason\": \"spam\"}", hk(3));
        tu_bad(meth, "/blacklist", b, "reason");
        free(b);
        tu_bad(meth, "/blacklist", "{\"hotkeys\": []}", "hotkeys");
        tu_bad(meth, "/blacklist", "{}", "hotkeys");
        tu_reject_ct(meth, "/blacklist", NULL, "application/json", 400,
                     "body_required", NULL);
    }
    tu_bad("DELETE", "/blacklist/nope", NULL, "hotkey");
    b = tu_strf("/blacklist/%s", TU_BAD_SS58);
    tu_bad("DELETE", b, NULL, "hotkey");
    free(b);
    tu_bad("GET", "/blacklist?limit=5", NULL, NULL);
    {
        static const int want[] = {3, 1, -1};
        expect_list(want);
    }
}

int main(void)
{
    tu_start();
    test_lists();
    test_bad_input();
    tu_stop();
    return 0;
}
