/* SPDX-License-Identifier: MIT */
/* The GPU table, identify_gpu and calc_score_pog (docs/pog.md 1.3 and 5.1 item
 * 11, docs/upstream.md 5.1): the five identification cases, ties, tolerance
 * swaps, the live scorer's examples, and loading a replacement table. */
#include "check.h"
#include "gpu/pog_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define H200  "NVIDIA H200"
#define H100S "NVIDIA H100 80GB HBM3"
#define H100P "NVIDIA H100"

static void check_identify_case(double f16, double f32, double vram,
                                const char *best, double score,
                                const char *second, double second_score)
{
    struct pog_identity id;

    CHECK(pog_identify(pog_table_default(), f16, f32, vram, NULL, &id) ==
          SVC_OK);
    CHECK_STR_EQ(id.name, best);
    CHECK_STR_EQ(id.runner_up, second);
    CHECK(fabs(id.score - score) < 0.0005);
    CHECK(fabs(id.runner_up_score - second_score) < 0.0005);
    CHECK(!id.tolerance_swap);
}

static void check_default_table(void)
{
    const struct pog_table *t = pog_table_default();

    CHECK_INT_EQ(pog_table_count(t), 17);
    CHECK_STR_EQ(pog_table_at(t, 0)->name, H200);
    CHECK_STR_EQ(pog_table_at(t, 16)->name, "NVIDIA L4");
    CHECK(pog_table_at(t, 17) == NULL);
    CHECK(pog_table_find(t, H100S)->fp16 == 570);
    CHECK(pog_table_find(t, H100S)->avram == 34.36);
    CHECK(!pog_table_find(t, "NVIDIA RTX 4000 Ada Generation")->has_score);
    CHECK(pog_table_tolerated(t, H100P, H100S));
    CHECK(pog_table_tolerated(t, H100S, H100P));
    CHECK(pog_table_tolerated(t, "NVIDIA RTX A6000", "NVIDIA A40"));
    CHECK(!pog_table_tolerated(t, H200, H100S));
}

static void check_identify(void)
{
    struct pog_identity id;

    check_identify_case(570, 49, 34.36, H100S, 0.000, H200, 0.193);
    check_identify_case(720, 51, 34.36, H100S, 0.101, H200, 0.236);
    check_identify_case(760, 51, 68.72, H200, 0.091, H100S, 0.458);
    /* Raw free memory instead of the quantised estimate: wrongly H200. */
    check_identify_case(720, 51, 84.9, H200, 0.148, H100S, 0.592);
    /* fp32 run as TF32: still H100, but nearly a coin flip. */
    check_identify_case(720, 400, 34.36, H100S, 2.475, H200, 2.582);
    /* Tolerance pair: the reported name wins, either direction. */
    CHECK(pog_identify(pog_table_default(), 570, 49, 34.36, H100P, &id) ==
          SVC_OK);
    CHECK_STR_EQ(id.name, H100P);
    CHECK_STR_EQ(id.best, H100S);
    CHECK(id.tolerance_swap);
    /* A reported name outside the pair changes nothing. */
    CHECK(pog_identify(pog_table_default(), 570, 49, 34.36,
                       "NVIDIA GeForce RTX 4090", &id) == SVC_OK);
    CHECK_STR_EQ(id.name, H100S);
    CHECK(pog_identify(pog_table_default(), NAN, 49, 34.36, NULL, &id) ==
          SVC_ERR_INVALID);
}

static void check_tie(void)
{
    static const char doc[] =
        "{\"gpus\": [{\"name\": \"A\", \"fp16\": 100, \"fp32\": 10, "
        "\"avram\": 8.59}, {\"name\": \"B\", \"fp16\": 100, \"fp32\": 10, "
        "\"avram\": 8.59}, {\"name\": \"C\", \"fp16\": 50, \"fp32\": 5, "
        "\"avram\": 8.59, \"score\": 1}]}";
    struct pog_table *t = NULL;
    struct pog_identity id;
    struct svc_err err;

    CHECK(pog_table_parse(doc, strlen(doc), &t, &err) == SVC_OK);
    CHECK(pog_identify(t, 100, 10, 8.59, NULL, &id) == SVC_OK);
    CHECK_STR_EQ(id.name, "A"); /* a tie goes to the earlier entry */
    CHECK_STR_EQ(id.runner_up, "B");
    CHECK(id.score == id.runner_up_score);
    CHECK(pog_table_score(t, "C", 8) == 1.0);
    CHECK(pog_table_score(t, "A", 8) == 0); /* no score: 0 */
    pog_table_free(t);
}

static void check_scores(void)
{
    const struct pog_table *t = pog_table_default();

    CHECK(fabs(pog_table_score(t, H200, 8) - 1.0) < 1e-12);
    CHECK(fabs(pog_table_score(t, H100S, 8) - 0.825) < 1e-12);
    CHECK(fabs(pog_table_score(t, H100P, 8) - 0.70) < 1e-12);
    CHECK(fabs(pog_table_score(t, "NVIDIA A100-SXM4-80GB", 8) - 0.475) < 1e-12);
    CHECK(fabs(pog_table_score(t, H200, 1) - 0.125) < 1e-12);
    CHECK(fabs(pog_table_score(t, H200, 64) - 1.0) < 1e-12); /* min(n, 8) */
    CHECK(pog_table_score(t, H200, 0) == 0);
    CHECK(pog_table_score(t, "NVIDIA RTX 4000 Ada Generation", 8) == 0);
    CHECK(pog_table_score(t, "NVIDIA L4", 8) == 0);
    CHECK(pog_table_score(t, "no such GPU", 8) == 0);
    CHECK(pog_table_score(t, NULL, 8) == 0);
}

static enum svc_rc parse(const char *doc, struct svc_err *err)
{
    struct pog_table *t = NULL;
    enum svc_rc rc = pog_table_parse(doc, strlen(doc), &t, err);

    pog_table_free(t);
    return rc;
}

static void check_bad_tables(void)
{
    struct svc_err err;

    CHECK(parse("[]", &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": []}", &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": 1, \"fp32\": 1}]}",
                &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": -1, \"fp32\": 1, "
                "\"avram\": 1}]}",
                &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": 1, \"fp32\": 1, "
                "\"avram\": 1, \"fp8\": 2}]}",
                &err) == SVC_ERR_INVALID);
    CHECK(strstr(err.msg, "fp8") != NULL);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": 1, \"fp32\": 1, "
                "\"avram\": 1}, {\"name\": \"A\", \"fp16\": 1, \"fp32\": 1, "
                "\"avram\": 1}]}",
                &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": 1, \"fp32\": 1, "
                "\"avram\": 1}], \"tolerance_pairs\": [[\"A\"]]}",
                &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": [{\"name\": \"A\", \"fp16\": 1, \"fp32\": 1, "
                "\"avram\": 1, \"score\": -2}]}",
                &err) == SVC_ERR_INVALID);
    CHECK(parse("{\"gpus\": 1, \"gpus\": 2}", &err) == SVC_ERR_INVALID);
}

static void check_load(void)
{
    char path[] = "/tmp/pog_table_XXXXXX";
    struct pog_table *t = NULL;
    struct svc_err err;
    json_t *doc = pog_table_json(pog_table_default());
    int fd = mkstemp(path);
    FILE *f;

    CHECK(doc && fd >= 0);
    f = fdopen(fd, "w");
    CHECK(f && json_dumpf(doc, f, 0) == 0);
    fclose(f);
    /* The rendering round-trips through a file. */
    CHECK(pog_table_load(path, &t, &err) == SVC_OK);
    CHECK_INT_EQ(pog_table_count(t), 17);
    CHECK(pog_table_tolerated(t, H100P, H100S));
    CHECK(fabs(pog_table_score(t, H100S, 8) - 0.825) < 1e-12);
    pog_table_free(t);
    unlink(path);
    json_decref(doc);
    CHECK(pog_table_load("/nonexistent/table.json", &t, &err) ==
          SVC_ERR_NOT_FOUND);
}

int main(void)
{
    check_default_table();
    check_identify();
    check_tie();
    check_scores();
    check_bad_tables();
    check_load();
    return 0;
}
