/* SPDX-License-Identifier: MIT */
/* Doubles reach clients as Python's repr(float) writes them (49.6, not
 * 49.600000000000001): the formatter against values Python printed, the
 * rewrite of a JSON text, then every route that renders stored or computed
 * floats, fresh and from the answer cache: /pog/gpus (a GPU table file),
 * /scores, /stats, /stats/{uid} (gpu_specs objects too), /challenges and
 * /challenges/stats. */
#include "app/config.h"
#include "core/num.h"
#include "util.h"

#include <math.h>
#include <unistd.h>

static void check_repr(void)
{
    /* Each right-hand side is what CPython 3.11 printed for repr(x). */
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {49.6, "49.6"},
        {0.825, "0.825"},
        {0.1, "0.1"},
        {1e-7, "1e-07"},
        {1e22, "1e+22"},
        {5e-324, "5e-324"},
        {-0.0, "-0.0"},
        {2000.0, "2000.0"},
        {1e15, "1000000000000000.0"},
        {1e16, "1e+16"},
        {0.0001, "0.0001"},
        {1.5e-5, "1.5e-05"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        /* 2^-1017: the nearest 16 digits do not read back, the next ones
         * up do (a power of two's interval is wider above). */
        {0x1p-1017, "7.120236347223045e-307"},
        {0x1p-44, "5.684341886080802e-14"},
        /* Subnormals: 15 digits read back here without being the
         * shortest (their interval is wider than a normal's). */
        {3.6993799826786e-310, "3.6993799826786e-310"},
        {1e-323, "1e-323"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {0.3, "0.3"},
        {9007199254740993.0, "9007199254740992.0"},
    };
    char out[NUM_REPR_MAX];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(num_repr(cases[i].d, out, sizeof(out)));
        CHECK_STR_EQ(out, cases[i].want);
    }
    CHECK(!num_repr(NAN, out, sizeof(out)));
    CHECK(!num_repr(-INFINITY, out, sizeof(out)));
}

static void check_rewrite(const char *in, const char *want)
{
    char *text = strdup(in);
    size_t len = 0;

    CHECK(text != NULL);
    CHECK(num_json_shortest(&text, &len) == SVC_OK);
    CHECK_STR_EQ(text, want);
    CHECK_INT_EQ(len, strlen(want));
    free(text);
}

static void check_rewrites(void)
{
    /* Reals rewritten; integers, strings (escaped quotes included) and
     * layout kept. */
    check_rewrite("{\"a\":49.600000000000001,\"s\":\"49.600000000000001\","
                  "\"q\":\"\\\"0.10000000000000001\",\"i\":[12,-3,0],"
                  "\"n\":4.9406564584124654e-324,\"x\":1E+22,"
                  "\"neg\":-0.82499999999999996}",
                  "{\"a\":49.6,\"s\":\"49.600000000000001\","
                  "\"q\":\"\\\"0.10000000000000001\",\"i\":[12,-3,0],"
                  "\"n\":5e-324,\"x\":1e+22,\"neg\":-0.825}");
    check_rewrite("[\n  0.10000000000000001,\n  2\n]", "[\n  0.1,\n  2\n]");
    check_rewrite("{\"none\":[1,2,\"3.5\"]}", "{\"none\":[1,2,\"3.5\"]}");
    check_rewrite("", "");
}

/* True when body holds token as a whole number ("49.6" is not in
 * "49.600000000000001"). */
static bool has_token(const char *body, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = strstr(body, token); p; p = strstr(p + 1, token))
        if (!strchr("0123456789.eE+-", p[n]) || !p[n])
            return true;
    return false;
}

/* GETs path twice (the second may come from the answer cache) and checks
 * that each body holds every token of want and no 17-digit real. */
static void expect_tokens(const char *path, const char *const *want)
{
    for (int round = 0; round < 2; round++) {
        struct resp r = th_get(path);

        CHECK_STATUS(r, 200);
        for (size_t i = 0; want[i]; i++)
            if (!has_token(r.body, want[i])) {
                fprintf(stderr, "GET %s: no %s in %s\n", path, want[i], r.body);
                exit(1);
            }
        CHECK(!strstr(r.body, "0000000000") && !strstr(r.body, "9999999999"));
        th_resp_free(&r);
    }
}

static void check_stats(void)
{
    static const char *const want[] = {
        "\"score\":49.6",  "\"reliability_score\":0.825",
        "\"fp32\":49.6",   "\"big\":1e+22",
        "\"tiny\":5e-324", "\"small\":1e-07",
        "\"score\":0.1",   "\"reliability_score\":1e-07",
        "\"avram\":34.36", NULL};
    static const char *const one[] = {"\"score\":49.6", "\"tiny\":5e-324",
                                      NULL};
    struct resp r = tu_sendf(
        "PUT", "/stats",
        "{\"stats\": {\"1\": {\"hotkey\": \"%s\", \"score\": 49.6, "
        "\"allocated\": false, \"own_score\": true, \"reliability_score\": "
        "0.825, \"gpu_specs\": {\"fp32\": 49.6, \"big\": 1e22, \"tiny\": "
        "5e-324, \"small\": 1e-7, \"avram\": 34.36}}, \"2\": {\"hotkey\": "
        "\"%s\", \"score\": 0.1, \"allocated\": false, \"own_score\": true, "
        "\"reliability_score\": 1e-7}}}",
        hk(1), hk(2));

    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    expect_tokens("/stats", want);
    expect_tokens("/stats/1", one);
}

static void check_challenges(void)
{
    static const char *const rows[] = {"\"elapsed_time\":0.825",
                                       "\"elapsed_time\":49.6", NULL};
    static const char *const three[] = {"\"elapsed_time\":0.825", NULL};
    static const char *const stats[] = {"\"challenge_elapsed_time_avg\":0.825",
                                        NULL};
    struct resp r = tu_sendf(
        "POST", "/challenges",
        "{\"challenges\": [{\"uid\": 3, \"hotkey\": \"%s\", \"success\": true, "
        "\"elapsed_time\": 0.825, \"difficulty\": 7}, {\"uid\": 4, "
        "\"hotkey\": \"%s\", \"success\": true, \"elapsed_time\": 49.6, "
        "\"difficulty\": 7}]}",
        hk(3), hk(4));

    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    expect_tokens("/challenges?uid=3", three);
    expect_tokens("/challenges", rows);
    expect_tokens("/challenges/stats", stats);
}

/* The GPU table's own numbers, and the live score they give: 3.3 of a
 * best 4.0 with 8 GPUs scores 0.825 (upstream's calc_score_pog). */
static void check_pog(void)
{
    static const char *const gpus[] = {
        "\"fp16\":1e+22",  "\"fp32\":49.6",  "\"avram\":0.1",
        "\"fp16\":5e-324", "\"fp32\":1e-07", "\"avram\":0.825",
        "\"score\":3.3",   "\"score\":4.0",  NULL};
    static const char *const scores[] = {"\"score\":0.825", NULL};
    struct resp r = tu_sendf(
        "PUT", "/miners",
        "{\"mode\": \"merge\", \"miners\": [{\"uid\": 7, \"hotkey\": \"%s\"}]}",
        hk(7));

    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    r = tu_sendf("POST", "/pog/stats",
                 "{\"hotkey\": \"%s\", \"gpu_name\": \"NVIDIA H100 80GB "
                 "HBM3\", \"num_gpus\": 8}",
                 hk(7));
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    expect_tokens("/pog/gpus", gpus);
    expect_tokens("/scores", scores);
}

static char table_path[64];

static void use_table(struct config *cfg)
{
    snprintf(cfg->gpu_table, sizeof(cfg->gpu_table), "%s", table_path);
}

static void write_table(void)
{
    static const char table[] =
        "{\"gpus\": [{\"name\": \"NVIDIA H200\", \"fp16\": 1e22, \"fp32\": "
        "49.6, \"avram\": 0.1, \"score\": 4.0}, {\"name\": \"NVIDIA H100 "
        "80GB HBM3\", \"fp16\": 5e-324, \"fp32\": 1e-7, \"avram\": 0.825, "
        "\"score\": 3.3}]}";
    int fd;

    snprintf(table_path, sizeof(table_path), "/tmp/computedb-gpus-XXXXXX");
    fd = mkstemp(table_path);
    CHECK(fd >= 0);
    CHECK(write(fd, table, sizeof(table) - 1) == (ssize_t)(sizeof(table) - 1));
    close(fd);
}

int main(void)
{
    check_repr();
    check_rewrites();
    write_table();
    th_start_with(NULL, use_table);
    check_stats();
    check_challenges();
    check_pog();
    th_stop();
    unlink(table_path);
    return 0;
}
