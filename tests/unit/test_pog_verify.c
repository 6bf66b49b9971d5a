/* SPDX-License-Identifier: MIT */
/* The verifier (POST /pog/verify): honest answers from the CPU backend
 * pass; tampered rows, wrong values, bad proofs (the 31-byte sibling),
 * out-of-range indices and wrong roots fail their GPU; the overall verdict
 * follows the pass threshold and the timing gate; malformed bodies are
 * errors naming the field. */
#include "check.h"
#include "gpu/gpu.h"
#include "gpu/pog.h"
#include "gpu/pog_verify.h"
#include "test_pog_oracle.h"

#include <math.h>

enum { N = 48, GPUS = 4 };

static const struct gpu_backend *be;
static struct gpu_worker *w;

static json_t *hex(const uint8_t *b, size_t len)
{
    char buf[129];

    pog_hex_encode(b, len, buf);
    return json_string(buf);
}

/* One challenge answered from round r: row as base64 or numbers. */
static json_t *answer(struct gpu_round *r, uint32_t i, uint32_t j, bool b64)
{
    float row[N];
    uint8_t sib[40][32];
    size_t len;
    json_t *proof = json_array(), *jrow;
    char enc[4 * N * 2];

    CHECK(gpu_round_open(be, w, r, i, row, sib, 40, &len) == SVC_OK);
    for (size_t l = 0; l < len; l++)
        json_array_append_new(proof, hex(sib[l], 32));
    if (b64) {
        pog_base64_encode((const uint8_t *)row, sizeof(row), enc);
        jrow = json_string(enc);
    } else {
        jrow = json_array();
        for (uint32_t k = 0; k < N; k++)
            json_array_append_new(jrow, json_real(row[k]));
    }
    return json_pack("{s:I,s:I,s:o,s:o}", "i", (json_int_t)i, "j",
                     (json_int_t)j, "row", jrow, "proof", proof);
}

/* A verify body for GPUS honest GPUs, seeds (g+1, 100+g). */
static json_t *honest_body(void)
{
    json_t *gpus = json_array();

    for (unsigned g = 0; g < GPUS; g++) {
        struct gpu_round *r = NULL;
        char sa[24];

        snprintf(sa, sizeof(sa), "%u", g + 1);
        CHECK(gpu_round_run(be, w, g + 1, 100 + g, N, GPU_ACCUM_FP64, NULL,
                            &r) == SVC_OK);
        json_array_append_new(
            gpus, json_pack("{s:I,s:s,s:I,s:o,s:[o,o]}", "gpu", (json_int_t)g,
                            "seed_a", sa, "seed_b", (json_int_t)(100 + g),
                            "root", hex(gpu_round_root(r), 32), "challenges",
                            answer(r, 3 + g, 40 - g, g % 2),
                            answer(r, N - 1, 0, g % 2 == 0)));
        gpu_round_free(r);
    }
    return json_pack("{s:I,s:o}", "n", (json_int_t)N, "gpus", gpus);
}

static json_t *verify_ok(json_t *body)
{
    struct svc_err err = {{0}, {0}};
    json_t *v = NULL;

    if (pog_verify_json(body, &v, &err) != SVC_OK) {
        fprintf(stderr, "verify: %s: %s\n", err.field, err.msg);
        CHECK(0);
    }
    return v;
}

static json_t *challenge(json_t *body, size_t g, size_t c)
{
    return json_array_get(
        json_object_get(json_array_get(json_object_get(body, "gpus"), g),
                        "challenges"),
        c);
}

static const char *status_of(json_t *v, size_t g, size_t c)
{
    return json_string_value(json_object_get(challenge(v, g, c), "status"));
}

static void check_honest(void)
{
    json_t *body = honest_body(), *v = verify_ok(body);

    CHECK(json_is_true(json_object_get(v, "pass")));
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "passed")), 4);
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "required")), 3);
    CHECK_STR_EQ(status_of(v, 2, 1), "ok");
    json_decref(v);
    json_decref(body);
}

static void set_row_value(json_t *ch, size_t k, double v)
{
    json_array_set_new(json_object_get(ch, "row"), k, json_real(v));
}

static void check_tampered(void)
{
    json_t *body = honest_body(), *v, *ch;
    char bad31[63];

    /* GPU 0: row[j] off by 1 (numbers form). 3 of 4 still pass. */
    ch = challenge(body, 0, 0);
    set_row_value(
        ch, 40,
        json_real_value(json_array_get(json_object_get(ch, "row"), 40)) + 1.0);
    v = verify_ok(body);
    CHECK_STR_EQ(status_of(v, 0, 0), "value_mismatch");
    CHECK(json_is_false(json_object_get(
        json_array_get(json_object_get(v, "gpus"), 0), "pass")));
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "passed")), 3);
    CHECK(json_is_true(json_object_get(v, "pass")));
    json_decref(v);
    /* GPU 1: a 31-byte sibling (numpy's stripped NUL). Now 2 of 4. */
    memset(bad31, 'a', 62);
    bad31[62] = '\0';
    json_array_set_new(json_object_get(challenge(body, 1, 0), "proof"), 1,
                       json_string(bad31));
    /* GPU 2: i out of range. GPU 3: a flipped bit away from j. */
    json_object_set_new(challenge(body, 2, 1), "i", json_integer(N));
    ch = challenge(body, 3, 1); /* numbers form */
    set_row_value(
        ch, 5,
        json_real_value(json_array_get(json_object_get(ch, "row"), 5)) *
            (1 + 1e-6));
    v = verify_ok(body);
    CHECK_STR_EQ(status_of(v, 1, 0), "proof");
    CHECK_STR_EQ(
        json_string_value(json_object_get(challenge(v, 1, 0), "proof")),
        "bad_sibling");
    CHECK_STR_EQ(status_of(v, 2, 1), "bad_row");
    CHECK(json_is_null(json_object_get(challenge(v, 2, 1), "expected")));
    CHECK_STR_EQ(status_of(v, 3, 1), "proof");
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "passed")), 0);
    CHECK(json_is_false(json_object_get(v, "pass")));
    json_decref(v);
    json_decref(body);
}

static void check_roots_rows(void)
{
    json_t *body = honest_body(), *v,
           *g0 = json_array_get(json_object_get(body, "gpus"), 0);
    char root[65];

    /* A wrong root fails every challenge's proof. */
    snprintf(root, sizeof(root), "%s",
             json_string_value(json_object_get(g0, "root")));
    root[0] = root[0] == '0' ? '1' : '0';
    json_object_set_new(g0, "root", json_string(root));
    /* A short row (numbers form) is a bad row, a short base64 one too. */
    json_array_remove(json_object_get(challenge(body, 2, 0), "row"), 0);
    json_object_set_new(challenge(body, 1, 0), "row", json_string("AAAA"));
    v = verify_ok(body);
    CHECK_STR_EQ(status_of(v, 0, 0), "proof");
    CHECK_STR_EQ(
        json_string_value(json_object_get(challenge(v, 0, 1), "proof")),
        "mismatch");
    CHECK_STR_EQ(status_of(v, 2, 0), "bad_row");
    CHECK_STR_EQ(status_of(v, 1, 0), "bad_row");
    CHECK_INT_EQ(json_integer_value(json_object_get(v, "passed")), 1);
    json_decref(v);
    json_decref(body);
}

static void check_timing(void)
{
    json_t *body = honest_body(), *v;

    json_object_set_new(body, "timing",
                        json_pack("{s:f,s:f,s:[f,f,f,f]}", "elapsed", 6.0,
                                  "t_fp32", 4.0, "multiplication_times", 0.3,
                                  0.3, 0.3, 0.3));
    v = verify_ok(body);
    CHECK(json_is_true(json_object_get(v, "timing_ok")));
    CHECK(json_is_true(json_object_get(v, "pass")));
    json_decref(v);
    json_object_set_new(json_object_get(body, "timing"), "elapsed",
                        json_real(30.0));
    v = verify_ok(body);
    CHECK(json_is_false(json_object_get(v, "timing_ok")));
    CHECK(json_is_false(json_object_get(v, "pass")));
    json_decref(v);
    json_decref(body);
}

/* body with path member replaced by text (JSON), expecting a 400 naming
 * field. */
static void expect_invalid(const char *text, const char *field)
{
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr), *v = NULL;
    struct svc_err err = {{0}, {0}};

    CHECK(body);
    CHECK(pog_verify_json(body, &v, &err) == SVC_ERR_INVALID);
    CHECK(v == NULL);
    if (strcmp(err.field, field)) {
        fprintf(stderr, "field %s, want %s (%s)\n", err.field, field, err.msg);
        CHECK(0);
    }
    json_decref(body);
}

static void check_malformed(void)
{
    const char *root = "\"0000000000000000000000000000000000000000000000000000"
                       "000000000000\"";
    char doc[512];

    expect_invalid("[]", "");
    expect_invalid("{\"gpus\": []}", "n");
    expect_invalid("{\"n\": 0, \"gpus\": []}", "n");
    expect_invalid("{\"n\": 4, \"gpus\": []}", "gpus");
    expect_invalid("{\"n\": 4, \"gpus\": [], \"x\": 1}", "");
    snprintf(doc, sizeof(doc),
             "{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": \"-1\", "
             "\"seed_b\": 1, \"root\": %s, \"challenges\": []}]}",
             root);
    expect_invalid(doc, "gpus[0]");
    expect_invalid("{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, "
                   "\"seed_b\": 1, \"root\": \"xyz\", \"challenges\": []}]}",
                   "gpus[0]");
    snprintf(doc, sizeof(doc),
             "{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, \"seed_b\": "
             "1, \"root\": %s, \"challenges\": []}]}",
             root);
    expect_invalid(doc, "gpus[0]");
    snprintf(doc, sizeof(doc),
             "{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, \"seed_b\": "
             "1, \"root\": %s, \"challenges\": [{\"i\": 0, \"j\": 0, "
             "\"row\": [1, \"x\", 3, 4], \"proof\": []}]}]}",
             root);
    expect_invalid(doc, "gpus[0].challenges[0]");
    snprintf(doc, sizeof(doc),
             "{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, \"seed_b\": "
             "1, \"root\": %s, \"challenges\": [{\"i\": -1, \"j\": 0, "
             "\"row\": [], \"proof\": []}]}]}",
             root);
    expect_invalid(doc, "gpus[0].challenges[0]");
    snprintf(doc, sizeof(doc),
             "{\"n\": 4, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, \"seed_b\": "
             "1, \"root\": %s, \"challenges\": [{\"i\": 0, \"j\": 0, "
             "\"row\": \"!!!!!!!!!!!!!!!!!!!!!!!!\", \"proof\": []}]}]}",
             root);
    expect_invalid(doc, "gpus[0].challenges[0]");
    snprintf(doc, sizeof(doc),
             "{\"n\": 1, \"gpus\": [{\"gpu\": 0, \"seed_a\": 1, \"seed_b\": "
             "1, \"root\": %s, \"challenges\": [{\"i\": 0, \"j\": 0, "
             "\"row\": [1], \"proof\": []}]}, {\"gpu\": 0}]}",
             root);
    expect_invalid(doc, "gpus");
    expect_invalid("{\"n\": 4, \"gpus\": [1], \"timing\": {\"elapsed\": 1}}",
                   "timing");
}

static void check_c_api(void)
{
    double *c = oracle_c(3, 4, 40);
    struct pog_claim claim = {.seed_a = 3, .seed_b = 4, .n_ch = 0};
    struct pog_check res;

    for (uint32_t i = 0; i < 40; i += 13)
        for (uint32_t j = 0; j < 40; j += 7)
            CHECK(
                pog_isclose(pog_expected_value(3, 4, 40, i, j), c[i * 40 + j]));
    CHECK(!pog_verify_claim(40, &claim, &res)); /* no challenge: no pass */
    CHECK_STR_EQ(pog_check_status_name(POG_CHECK_VALUE), "value_mismatch");
    free(c);
}

int main(void)
{
    struct gpu_opts o = {0};
    char why[GPU_ERR_MAX];

    be = gpu_backend_cpu();
    CHECK(be->worker_new(0, &o, &w, why, sizeof(why)) == SVC_OK);
    check_honest();
    check_tampered();
    check_roots_rows();
    check_timing();
    check_malformed();
    check_c_api();
    be->worker_free(w);
    return 0;
}
