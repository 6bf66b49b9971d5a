/* SPDX-License-Identifier: MIT */
/* /pog/stats over real HTTP: failure rows (both fields null), the newest
 * 4 rows kept per hotkey by created_at then id, GET of the newest row with
 * both fields set (else 404), created_at as UTC CURRENT_TIMESTAMP text, and
 * bad input refused without a write. */
#include "util.h"

#include <time.h>

static struct resp post(const char *hotkey, const char *name, int num)
{
    if (!name)
        return tu_sendf("POST", "/pog/stats",
                        "{\"hotkey\": \"%s\", \"gpu_name\": null, "
                        "\"num_gpus\": null}",
                        hotkey);
    return tu_sendf("POST", "/pog/stats",
                    "{\"hotkey\": \"%s\", \"gpu_name\": \"%s\", \"num_gpus\": "
                    "%d}",
                    hotkey, name, num);
}

/* POSTs and returns the new row's id. */
static int64_t post_ok(const char *hotkey, const char *name, int num)
{
    struct resp r = post(hotkey, name, num);
    int64_t id;

    CHECK_STATUS(r, 201);
    id = tu_jint(r.json, "id");
    th_resp_free(&r);
    return id;
}

static int64_t rows_of(const char *hotkey)
{
    return tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q", hotkey);
}

static void expect_latest(const char *hotkey, int64_t id, const char *name,
                          int num)
{
    struct resp r = tu_getf("/pog/stats/%s", hotkey);

    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(tu_jint(r.json, "id"), id);
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hotkey);
    CHECK_STR_EQ(tu_jstr(r.json, "gpu_name"), name);
    CHECK_INT_EQ(tu_jint(r.json, "num_gpus"), num);
    th_resp_free(&r);
}

static void test_post_and_latest(void)
{
    struct resp r;
    char buf[256];
    int64_t good, ids[4];

    /* Another hotkey's rows are never touched. */
    post_ok(hk(2), "NVIDIA A100 80GB PCIe", 2);
    post_ok(hk(2), NULL, 0);

    r = post(hk(1), "NVIDIA H100 80GB HBM3", 8);
    CHECK_STATUS(r, 201);
    /* Rows have no URL of their own: no Location. */
    CHECK(!th_header(&r, "Location", buf, sizeof(buf)));
    good = tu_jint(r.json, "id");
    CHECK_STR_EQ(tu_jstr(r.json, "hotkey"), hk(1));
    CHECK_STR_EQ(tu_jstr(r.json, "gpu_name"), "NVIDIA H100 80GB HBM3");
    CHECK_INT_EQ(tu_jint(r.json, "num_gpus"), 8);
    tu_check_utc_now(tu_jstr(r.json, "created_at"));
    CHECK_INT_EQ(json_object_size(r.json), 5);
    th_resp_free(&r);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = %lld AND "
                        "hotkey = %Q AND gpu_name = 'NVIDIA H100 80GB HBM3' "
                        "AND num_gpus = 8 AND typeof(num_gpus) = 'integer'",
                        (long long)good, hk(1)),
                 1);
    expect_latest(hk(1), good, "NVIDIA H100 80GB HBM3", 8);

    /* Three failures: 4 rows, the pass still visible. */
    for (int i = 0; i < 3; i++) {
        r = post(hk(1), NULL, 0);
        CHECK_STATUS(r, 201);
        CHECK(json_is_null(json_object_get(r.json, "gpu_name")));
        CHECK(json_is_null(json_object_get(r.json, "num_gpus")));
        ids[i] = tu_jint(r.json, "id");
        th_resp_free(&r);
        CHECK_INT_EQ(rows_of(hk(1)), 2 + i);
        expect_latest(hk(1), good, "NVIDIA H100 80GB HBM3", 8);
    }
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q "
                        "AND gpu_name IS NULL AND num_gpus IS NULL",
                        hk(1)),
                 3);

    /* A fourth failure pushes the pass out: 404. */
    ids[3] = post_ok(hk(1), NULL, 0);
    CHECK_INT_EQ(rows_of(hk(1)), 4);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = %lld",
                        (long long)good),
                 0);
    for (int i = 0; i < 4; i++)
        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = %lld",
                            (long long)ids[i]),
                     1);
    r = tu_getf("/pog/stats/%s", hk(1));
    th_expect_error(&r, 404, "not_found", "hotkey");
    th_resp_free(&r);

    /* Absent fields are a failure row too. */
    r = tu_sendf("POST", "/pog/stats", "{\"hotkey\": \"%s\"}", hk(1));
    CHECK_STATUS(r, 201);
    CHECK(json_is_null(json_object_get(r.json, "gpu_name")));
    th_resp_free(&r);
    CHECK_INT_EQ(rows_of(hk(1)), 4);

    /* A pass after that is visible at once. */
    good = post_ok(hk(1), "NVIDIA H200", 4);
    expect_latest(hk(1), good, "NVIDIA H200", 4);
    CHECK_INT_EQ(rows_of(hk(2)), 2);

    r = tu_getf("/pog/stats/%s", hk(3));
    th_expect_error(&r, 404, "not_found", "hotkey");
    th_resp_free(&r);
}

static void test_keep_four(void)
{
    int64_t ids[6];
    char name[16];

    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "G%d", i + 1);
        ids[i] = post_ok(hk(4), name, i + 1);
        CHECK_INT_EQ(rows_of(hk(4)), i < 4 ? i + 1 : 4);
    }
    for (int i = 0; i < 6; i++)
        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = %lld",
                            (long long)ids[i]),
                     i >= 2);
    expect_latest(hk(4), ids[5], "G6", 6);
    /* AUTOINCREMENT: ids only grow. */
    for (int i = 1; i < 6; i++)
        CHECK(ids[i] > ids[i - 1]);
}

static void test_time_order(void)
{
    struct resp r;
    int64_t d, e;

    /* created_at decides, not id: the highest id is the oldest row. */
    tu_exec("INSERT INTO pog_stats (id, hotkey, gpu_name, num_gpus, "
            "created_at) VALUES "
            "(1000, %Q, 'OLDEST', 1, '2024-01-01 00:00:00'), "
            "(999, %Q, 'NEWEST', 2, '2024-06-01 00:00:00'), "
            "(998, %Q, 'MIDDLE', 3, '2024-03-01 00:00:00')",
            hk(5), hk(5), hk(5));
    expect_latest(hk(5), 999, "NEWEST", 2);
    /* Ties on created_at go to the higher id. */
    tu_exec("INSERT INTO pog_stats (id, hotkey, gpu_name, num_gpus, "
            "created_at) VALUES (997, %Q, 'TIE', 4, '2024-06-01 00:00:00')",
            hk(6));
    tu_exec("INSERT INTO pog_stats (id, hotkey, gpu_name, num_gpus, "
            "created_at) VALUES (996, %Q, 'TIE-LOW', 5, "
            "'2024-06-01 00:00:00')",
            hk(6));
    expect_latest(hk(6), 997, "TIE", 4);
    /* SQLite's AUTOINCREMENT moves past ids a client picked; PostgreSQL's
     * identity sequence must be moved by that client (README, Deployment). */
    if (th_postgres())
        tu_exec("SELECT setval(pg_get_serial_sequence('pog_stats', 'id'), "
                "(SELECT MAX(id) FROM pog_stats))");

    d = post_ok(hk(5), "D", 1);
    CHECK(d > 1000);
    expect_latest(hk(5), d, "D", 1);
    /* A fifth row trims the oldest by time (id 1000), not the lowest id. */
    e = post_ok(hk(5), NULL, 0);
    CHECK_INT_EQ(rows_of(hk(5)), 4);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = 1000"), 0);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM pog_stats WHERE id IN (998, 999)"), 2);
    CHECK_INT_EQ(
        tu_int("SELECT COUNT(*) FROM pog_stats WHERE id = %lld", (long long)e),
        1);
    expect_latest(hk(5), d, "D", 1);

    /* The list: by hotkey, newest first, as the table orders them. */
    r = th_get("/pog/stats");
    CHECK_STATUS(r, 200);
    CHECK(json_is_null(json_object_get(r.json, "next")));
    {
        const json_t *items = json_object_get(r.json, "items");
        int64_t n = tu_count("pog_stats");

        CHECK_INT_EQ(json_array_size(items), n);
        for (int64_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(items, (size_t)i);
            int64_t id = tu_int("SELECT id FROM pog_stats ORDER BY hotkey, "
                                "created_at DESC, id DESC LIMIT 1 OFFSET %lld",
                                (long long)i);
            char *gpu = tu_text("SELECT gpu_name FROM pog_stats WHERE id = "
                                "%lld",
                                (long long)id);
            char *num = tu_text("SELECT num_gpus FROM pog_stats WHERE id = "
                                "%lld",
                                (long long)id);

            CHECK_INT_EQ(tu_jint(it, "id"), id);
            CHECK_SQL_TEXT(tu_jstr(it, "hotkey"),
                           "SELECT hotkey FROM pog_stats WHERE id = %lld",
                           (long long)id);
            if (!gpu)
                CHECK(json_is_null(json_object_get(it, "gpu_name")));
            else
                CHECK_STR_EQ(tu_jstr(it, "gpu_name"), gpu);
            if (!num)
                CHECK(json_is_null(json_object_get(it, "num_gpus")));
            else
                CHECK_INT_EQ(tu_jint(it, "num_gpus"), strtoll(num, NULL, 10));
            CHECK_SQL_TEXT(tu_jstr(it, "created_at"),
                           "SELECT created_at FROM pog_stats WHERE id = %lld",
                           (long long)id);
            free(gpu);
            free(num);
        }
    }
    th_resp_free(&r);
}

static void test_bad_input(void)
{
    static const struct {
        const char *tail, *field;
    } cases[] = {
        {"\"gpu_name\": \"H100\", \"num_gpus\": null", "num_gpus"},
        {"\"gpu_name\": \"H100\"", "num_gpus"},
        {"\"gpu_name\": null, \"num_gpus\": 8", "gpu_name"},
        {"\"num_gpus\": 8", "gpu_name"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": 0", "num_gpus"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": -1", "num_gpus"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": 1025", "num_gpus"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": \"8\"", "num_gpus"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": 2.5", "num_gpus"},
        {"\"gpu_name\": \"\", \"num_gpus\": 1", "gpu_name"},
        {"\"gpu_name\": 5, \"num_gpus\": 1", "gpu_name"},
        {"\"gpu_name\": [\"H100\"], \"num_gpus\": 1", "gpu_name"},
        {"\"gpu_name\": \"H100\", \"num_gpus\": 1, \"score\": 1", "score"},
    };
    char *b, name[200];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b = tu_strf("{\"hotkey\": \"%s\", %s}", hk(1), cases[i].tail);
        tu_bad("POST", "/pog/stats", b, cases[i].field);
        free(b);
    }
    memset(name, 'x', 129);
    name[129] = '\0';
    b = tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": \"%s\", \"num_gpus\": 1}",
                hk(1), name);
    tu_bad("POST", "/pog/stats", b, "gpu_name");
    free(b);
    tu_bad("POST", "/pog/stats", "{\"gpu_name\": \"H100\", \"num_gpus\": 1}",
           "hotkey");
    tu_bad("POST", "/pog/stats",
           "{\"hotkey\": \"nope\", \"gpu_name\": \"H100\", \"num_gpus\": 1}",
           "hotkey");
    b = tu_strf("{\"hotkey\": \"%s\", \"gpu_name\": null, \"num_gpus\": null}",
                TU_BAD_SS58);
    tu_bad("POST", "/pog/stats", b, "hotkey");
    free(b);
    tu_bad("GET", "/pog/stats/nope", NULL, "hotkey");
    tu_bad("GET", "/pog/stats?hotkey=x", NULL, NULL);

    /* 128 bytes and 1024 GPUs are the inclusive caps. */
    memset(name, 'y', 128);
    name[128] = '\0';
    post_ok(hk(7), name, 1024);
}

/* Rows dated in the future (clock stepped back) make a new row the
 * oldest, so it is trimmed at once; the POST itself still succeeded. */
static void test_future_rows(void)
{
    struct resp r;

    tu_exec("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
            "VALUES (%Q, 'F1', 1, '2999-01-01 00:00:01'), "
            "(%Q, 'F2', 1, '2999-01-01 00:00:02'), "
            "(%Q, 'F3', 1, '2999-01-01 00:00:03'), "
            "(%Q, 'F4', 1, '2999-01-01 00:00:04')",
            hk(8), hk(8), hk(8), hk(8));
    r = post(hk(8), "NOW", 1);
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    CHECK_INT_EQ(rows_of(hk(8)), 4);
    CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM pog_stats WHERE hotkey = %Q "
                        "AND gpu_name LIKE 'F%%'",
                        hk(8)),
                 4);
}

int main(void)
{
    tu_start();
    test_post_and_latest();
    test_keep_four();
    test_time_order();
    test_bad_input();
    test_future_rows();
    tu_stop();
    return 0;
}
