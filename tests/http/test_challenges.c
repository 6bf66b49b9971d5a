/* SPDX-License-Identifier: MIT */
/* /challenges over real HTTP: bulk insert (with the miner INSERT OR
 * IGNORE), GET /challenges/stats against values computed here from the
 * inserted rows (60-row window per uid, last 20 attempts, last 20
 * successes, ties by insertion order), keyset paging, and bad input. */
#include "util.h"

#include <time.h>

enum { MAX_ROWS = 200 };

struct row {
    int uid;
    unsigned seed; /* hotkey seed */
    int success;
    double elapsed;
    int difficulty;
    char created[32];
    int seq; /* position in the POST, = insertion order */
};

static struct row rows[MAX_ROWS];
static int n_rows;

static void add(int uid, unsigned seed, int success, double elapsed,
                int difficulty, const char *created)
{
    struct row *r = &rows[n_rows++];

    CHECK(n_rows <= MAX_ROWS);
    *r = (struct row){uid, seed, success, elapsed, difficulty, "", 0};
    snprintf(r->created, sizeof(r->created), "%s", created);
}

/* A fixed-seed LCG: the shuffle is the same on every run. */
static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static void build_rows(void)
{
    char at[32];
    unsigned s = 42;

    /* uid 7: 75 rows, one hotkey. Two pairs of rows share a timestamp,
     * one pair across the edge of the 20 newest, one across the edge of
     * the 60-row window, and each pair has one success and one failure:
     * only the insertion-order tie-break gives the expected counts. */
    for (int i = 0; i < 75; i++) {
        int t = i == 54 ? 55 : i == 14 ? 15 : i;

        snprintf(at, sizeof(at), "2024-03-01T10:%02d:%02d.%06d", t / 60, t % 60,
                 (t * 12345) % 1000000);
        add(7, 7, i % 3 != 0, 0.25 * (i % 16) + 0.5, 1 + (i * 7) % 13, at);
    }
    /* uid 8: 30 rows over two hotkeys; the newest uses hotkey 82. Some
     * timestamps carry no fraction (isoformat() drops a zero one). */
    for (int i = 0; i < 30; i++) {
        if (i % 4 == 0)
            snprintf(at, sizeof(at), "2024-03-02T08:00:%02d", i);
        else
            snprintf(at, sizeof(at), "2024-03-02T08:00:%02d.%06d", i, i * 1000);
        add(8, i % 3 == 0 ? 81 : 82, i % 5 != 1, 1.0 + 0.5 * (i % 4),
            10 * (i % 7), at);
    }
    /* uid 9: failures only; uid 10: three successes. */
    for (int i = 0; i < 5; i++) {
        snprintf(at, sizeof(at), "2024-03-03T00:00:0%d.000001", i);
        add(9, 9, 0, 3.0, 5, at);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(at, sizeof(at), "2024-03-04T00:00:0%d.500000", i);
        add(10, 10, 1, 0.75 * (i + 1), 100 + i, at);
    }
    /* Shuffle the POST order (Fisher-Yates) so that insertion order and
     * time order disagree. */
    for (int i = n_rows - 1; i > 0; i--) {
        int j = (int)(lcg(&s) % (unsigned)(i + 1));
        struct row tmp = rows[i];

        rows[i] = rows[j];
        rows[j] = tmp;
    }
    for (int i = 0; i < n_rows; i++)
        rows[i].seq = i;
}

static void post_rows(void)
{
    json_t *arr = json_array();
    char *body;
    struct resp r;

    for (int i = 0; i < n_rows; i++)
        CHECK(
            json_array_append_new(
                arr, json_pack("{s:i,s:s,s:b,s:f,s:i,s:s}", "uid", rows[i].uid,
                               "hotkey", hk(rows[i].seed), "success",
                               rows[i].success, "elapsed_time", rows[i].elapsed,
                               "difficulty", rows[i].difficulty, "created_at",
                               rows[i].created)) == 0);
    arr = json_pack("{s:o}", "challenges", arr);
    body = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    CHECK(body != NULL);
    r = th_send("POST", "/challenges", body);
    CHECK_STATUS(r, 201);
    CHECK_INT_EQ(tu_jint(r.json, "inserted"), n_rows);
    th_resp_free(&r);
    free(body);
}

/* Newest first: created_at DESC, then insertion order DESC. */
static int newest_first(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(y->created, x->created);

    return c ? c : y->seq - x->seq;
}

struct expect {
    unsigned hot; /* hotkey seed of the newest row */
    int attempts, failed, successes, last20_failed;
    double elapsed_sum, diff_sum, last20_diff_sum;
    int success_n, last20_success_n;
};

static struct expect expected(int uid)
{
    struct row sel[MAX_ROWS];
    struct expect e = {0};
    int n = 0;

    for (int i = 0; i < n_rows; i++)
        if (rows[i].uid == uid)
            sel[n++] = rows[i];
    CHECK(n > 0);
    qsort(sel, (size_t)n, sizeof(sel[0]), newest_first);
    e.hot = sel[0].seed;
    for (int i = 0; i < n && i < 60; i++) {
        if (i < 20 && !sel[i].success)
            e.last20_failed++;
        if (sel[i].seed != e.hot)
            continue;
        e.attempts++;
        e.failed += !sel[i].success;
        if (sel[i].success) {
            e.successes++;
            e.elapsed_sum += sel[i].elapsed;
            e.diff_sum += sel[i].difficulty;
            e.success_n++;
        }
    }
    for (int i = 0; i < n && e.last20_success_n < 20; i++)
        if (sel[i].success) {
            e.last20_diff_sum += sel[i].difficulty;
            e.last20_success_n++;
        }
    return e;
}

static void check_mean(const json_t *rec, const char *key, double sum, int n)
{
    const json_t *v = json_object_get(rec, key);

    if (n == 0) {
        CHECK(json_is_null(v));
        return;
    }
    CHECK(json_is_number(v));
    CHECK_REAL_EQ(json_number_value(v), sum / n);
}

static void check_stats_of(const json_t *all, int uid)
{
    char key[16];
    const json_t *rec;
    struct expect e = expected(uid);

    snprintf(key, sizeof(key), "%d", uid);
    rec = json_object_get(all, key);
    CHECK(json_is_object(rec));
    CHECK_INT_EQ(json_object_size(rec), 8);
    CHECK_STR_EQ(tu_jstr(rec, "ss58_address"), hk(e.hot));
    CHECK_INT_EQ(tu_jint(rec, "challenge_attempts"), e.attempts);
    CHECK_INT_EQ(tu_jint(rec, "challenge_failed"), e.failed);
    CHECK_INT_EQ(tu_jint(rec, "challenge_successes"), e.successes);
    check_mean(rec, "challenge_elapsed_time_avg", e.elapsed_sum, e.success_n);
    check_mean(rec, "challenge_difficulty_avg", e.diff_sum, e.success_n);
    CHECK_INT_EQ(tu_jint(rec, "last_20_challenge_failed"), e.last20_failed);
    check_mean(rec, "last_20_difficulty_avg", e.last20_diff_sum,
               e.last20_success_n);
}

static void test_insert_and_stats(void)
{
    struct resp r;

    /* uid 10 is already registered to another hotkey: it stays. */
    tu_exec("INSERT INTO miner (uid, ss58_address) VALUES (10, %Q)", hk(99));
    build_rows();
    post_rows();
    CHECK_INT_EQ(tu_count("challenge_details"), n_rows);
    for (int i = 0; i < n_rows; i++) {
        const struct row *w = &rows[i];

        CHECK_INT_EQ(tu_int("SELECT COUNT(*) FROM challenge_details WHERE "
                            "rowid = %d AND uid = %d AND ss58_address = %Q "
                            "AND success = %s AND typeof(success) = "
                            "'integer' AND elapsed_time = %.17g AND "
                            "difficulty = %d AND created_at = %Q",
                            i + 1, w->uid, hk(w->seed),
                            w->success ? "TRUE" : "FALSE", w->elapsed,
                            w->difficulty, w->created),
                     1);
    }
    /* miner: the first hotkey seen per uid, pre-existing pairs kept. */
    CHECK_SQL_TEXT(hk(7), "SELECT ss58_address FROM miner WHERE uid = 7");
    CHECK_SQL_TEXT(hk(9), "SELECT ss58_address FROM miner WHERE uid = 9");
    CHECK_SQL_TEXT(hk(99), "SELECT ss58_address FROM miner WHERE uid = 10");
    for (int i = 0; i < n_rows; i++)
        if (rows[i].uid == 8) {
            CHECK_SQL_TEXT(hk(rows[i].seed),
                           "SELECT ss58_address FROM miner WHERE uid = 8");
            break;
        }
    CHECK_INT_EQ(tu_count("miner"), 4);

    r = th_get("/challenges/stats");
    CHECK_STATUS(r, 200);
    CHECK_INT_EQ(json_object_size(r.json), 4);
    check_stats_of(r.json, 7);
    check_stats_of(r.json, 8);
    check_stats_of(r.json, 9);
    check_stats_of(r.json, 10);
    /* Sanity on the fixture: the windows really cut something. */
    CHECK(expected(7).attempts == 60);
    CHECK(expected(8).hot == 82 && expected(8).attempts < 30);
    th_resp_free(&r);
}

/* Pages through GET /challenges with query q (may be "") and limit,
 * checking each item against the posted row it must be; returns how many
 * items came back. */
static int page_all(const char *q, int limit, int uid)
{
    char cursor[32] = "";
    int seen = 0, pages = 0, next_row = 0;

    for (;;) {
        struct resp r = tu_getf("/challenges?limit=%d%s%s%s", limit, q,
                                cursor[0] ? "&cursor=" : "", cursor);
        const json_t *items = json_object_get(r.json, "items");
        const json_t *next = json_object_get(r.json, "next");
        size_t i;
        const json_t *it;

        CHECK_STATUS(r, 200);
        CHECK(json_is_array(items));
        CHECK((int)json_array_size(items) <= limit);
        json_array_foreach (items, i, it) {
            const struct row *w;

            while (next_row < n_rows && uid >= 0 && rows[next_row].uid != uid)
                next_row++;
            CHECK(next_row < n_rows);
            w = &rows[next_row++];
            CHECK_INT_EQ(tu_jint(it, "id"), w->seq + 1);
            CHECK_INT_EQ(tu_jint(it, "uid"), w->uid);
            CHECK_STR_EQ(tu_jstr(it, "ss58_address"), hk(w->seed));
            CHECK(json_is_boolean(json_object_get(it, "success")));
            CHECK_INT_EQ(json_is_true(json_object_get(it, "success")),
                         w->success);
            CHECK_REAL_EQ(tu_jreal(it, "elapsed_time"), w->elapsed);
            CHECK_INT_EQ(tu_jint(it, "difficulty"), w->difficulty);
            CHECK_STR_EQ(tu_jstr(it, "created_at"), w->created);
            seen++;
        }
        pages++;
        if (json_is_null(next)) {
            th_resp_free(&r);
            break;
        }
        CHECK(json_is_string(next));
        snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
        CHECK((int)json_array_size(items) == limit);
        th_resp_free(&r);
        CHECK(pages < 1000);
    }
    /* Every row of the selection, each exactly once, in order. */
    while (next_row < n_rows && uid >= 0 && rows[next_row].uid != uid)
        next_row++;
    CHECK_INT_EQ(next_row, n_rows);
    return seen;
}

static int rows_of(int uid)
{
    int n = 0;

    for (int i = 0; i < n_rows; i++)
        n += rows[i].uid == uid;
    return n;
}

static void test_paging(void)
{
    struct resp r;
    const json_t *items;

    CHECK_INT_EQ(page_all("", 7, -1), n_rows);
    CHECK_INT_EQ(page_all("", 1, -1), n_rows);
    CHECK_INT_EQ(page_all("", 1000, -1), n_rows);
    CHECK_INT_EQ(page_all("&uid=7", 10, 7), rows_of(7));
    CHECK_INT_EQ(page_all("&uid=8", 30, 8), rows_of(8));
    /* An exact multiple: a full page, then an empty one with next null. */
    CHECK_INT_EQ(page_all("&uid=10", 3, 10), 3);
    CHECK_INT_EQ(page_all("&uid=10", 1, 10), 3);
    CHECK_INT_EQ(page_all("&uid=11", 5, 11), 0);

    /* Default limit 100. */
    r = th_get("/challenges");
    CHECK_STATUS(r, 200);
    items = json_object_get(r.json, "items");
    CHECK_INT_EQ(json_array_size(items), 100);
    CHECK_STR_EQ(tu_jstr(r.json, "next"), "100");
    th_resp_free(&r);

    r = th_get("/challenges?cursor=100000");
    CHECK_STATUS(r, 200);
    CHECK(tu_json_is(r.json, "{\"items\": [], \"next\": null}"));
    th_resp_free(&r);
}

static bool is_iso_local(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddd";
    size_t n = strlen(s);

    if (n != 19 && n != 26)
        return false;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    return true;
}

static void test_default_time(void)
{
    struct resp r;
    char *at;
    struct tm tm = {0};
    time_t now = time(NULL), t;

    r = tu_sendf("POST", "/challenges",
                 "{\"challenges\": [{\"uid\": 11, \"hotkey\": \"%s\", "
                 "\"success\": true, \"elapsed_time\": 0, \"difficulty\": "
                 "0}]}",
                 hk(11));
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    at = tu_text("SELECT created_at FROM challenge_details WHERE uid = 11");
    CHECK(at && is_iso_local(at));
    /* Local time, as datetime.now().isoformat(). */
    CHECK(sscanf(at, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    t = mktime(&tm);
    CHECK(t >= now - 60 && t <= now + 60);
    free(at);
    CHECK_SQL_TEXT(hk(11), "SELECT ss58_address FROM miner WHERE uid = 11");
}

static void bad_row(const char *row, const char *field)
{
    char *b = tu_strf("{\"challenges\": [{\"uid\": 12, \"hotkey\": \"%s\", "
                      "\"success\": true, \"elapsed_time\": 1.0, "
                      "\"difficulty\": 1}, %s]}",
                      hk(12), row);

    tu_bad("POST", "/challenges", b, field);
    free(b);
}

/* A second row that is valid but for member name set to value. */
static void bad_member(const char *name, const char *value)
{
    static const char *const names[] = {
        "uid", "hotkey", "success", "elapsed_time", "difficulty", "created_at"};
    char hot[64], row[512], field[64];
    const char *defaults[] = {"12",  hot, "false",
                              "2.5", "3", "\"2024-01-01T00:00:00\""};
    size_t used = 0;

    snprintf(hot, sizeof(hot), "\"%s\"", hk(12));
    used += (size_t)snprintf(row, sizeof(row), "{");
    for (size_t i = 0; i < 6; i++)
        used += (size_t)snprintf(
            row + used, sizeof(row) - used, "%s\"%s\": %s", i ? ", " : "",
            names[i], strcmp(names[i], name) == 0 ? value : defaults[i]);
    snprintf(row + used, sizeof(row) - used, "}");
    snprintf(field, sizeof(field), "challenges[1].%s", name);
    bad_row(row, field);
}

static void test_bad_posts(void)
{
    char *b;

    bad_member("uid", "-1");
    bad_member("uid", "65536");
    bad_member("uid", "\"12\"");
    bad_member("hotkey",
               "\"5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpv\"");
    bad_member("hotkey", "\"\"");
    bad_member("hotkey", "null");
    bad_member("success", "1");
    bad_member("success", "\"true\"");
    bad_member("success", "null");
    bad_member("elapsed_time", "-0.5");
    bad_member("elapsed_time", "\"1\"");
    bad_member("elapsed_time", "1000000001");
    bad_member("difficulty", "1.5");
    bad_member("difficulty", "-1");
    bad_member("difficulty", "1000001");
    bad_member("created_at", "\"2024-01-01 00:00:00\"");
    bad_member("created_at", "\"2024-01-01T00:00:00.12\"");
    bad_member("created_at", "\"2024-01-01T00:00:00Z\"");
    bad_member("created_at", "\"2024-01-01T00:00:00.1234567\"");
    bad_member("created_at", "\"\"");
    bad_member("created_at", "1704067200");
    bad_row("{\"uid\": 12, \"hotkey\": \"x\", \"success\": true, "
            "\"elapsed_time\": 1, \"difficulty\": 1, \"round\": 3}",
            "challenges[1].round");
    bad_row("[]", "challenges[1]");
    tu_bad("POST", "/challenges", "{\"challenges\": []}", "challenges");
    tu_bad("POST", "/challenges", "{\"challenges\": {}}", "challenges");
    tu_bad("POST", "/challenges", "{}", "challenges");
    b = tu_strf("{\"challenges\": [{\"uid\": 12, \"hotkey\": \"%s\", "
                "\"success\": true, \"elapsed_time\": 1.0, \"difficulty\": "
                "1}], \"source\": \"pow\"}",
                hk(12));
    tu_bad("POST", "/challenges", b, "source");
    free(b);

    tu_bad("GET", "/challenges?limit=0", NULL, "limit");
    tu_bad("GET", "/challenges?limit=1001", NULL, "limit");
    tu_bad("GET", "/challenges?limit=ten", NULL, "limit");
    tu_bad("GET", "/challenges?limit=", NULL, "limit");
    tu_bad("GET", "/challenges?cursor=-1", NULL, "cursor");
    tu_bad("GET", "/challenges?cursor=99999999999999999999", NULL, "cursor");
    tu_bad("GET", "/challenges?uid=65536", NULL, "uid");
    tu_bad("GET", "/challenges?uid=-1", NULL, "uid");
    tu_bad("GET", "/challenges?uid=x", NULL, "uid");
    tu_bad("GET", "/challenges?page=2", NULL, NULL);
    tu_bad("GET", "/challenges/stats?uid=7", NULL, NULL);
}

/* Shape-valid but impossible timestamps must not be stored either. */
static void test_impossible_times(void)
{
    bad_member("created_at", "\"2024-13-01T00:00:00\"");
    bad_member("created_at", "\"2024-02-30T00:00:00\"");
    bad_member("created_at", "\"2024-01-01T24:61:61.000000\"");
}

int main(void)
{
    tu_start();
    test_insert_and_stats();
    test_paging();
    test_default_time();
    test_bad_posts();
    test_impossible_times();
    tu_stop();
    return 0;
}
