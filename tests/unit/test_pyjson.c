/* SPDX-License-Identifier: MIT */
/* pyjson_dumps() writes what CPython's json.dumps() writes. The expected
 * strings are CPython's output for the same values. */
#include "check.h"
#include "schema/pyjson.h"

#include <math.h>
#include <stdlib.h>

struct float_case {
    double d;
    const char *repr;
};

static const struct float_case floats[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {2000.0, "2000.0"},
    {0.1, "0.1"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.5e-05, "1.5e-05"},
    {0.0001, "0.0001"},
    {0.00012345, "0.00012345"},
    {123.456, "123.456"},
    {652472.0, "652472.0"},
    {1e15, "1000000000000000.0"},
    {1e16, "1e+16"},
    {1.2345678901234568e+17, "1.2345678901234568e+17"},
    {-3.25, "-3.25"},
    {1.7976931348623157e+308, "1.7976931348623157e+308"},
    {5e-324, "5e-324"},
    {3500000000000.0, "3500000000000.0"},
    {91000.5, "91000.5"},
    {1e100, "1e+100"},
};

static void check_floats(void)
{
    char buf[40];

    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
        CHECK(pyjson_float(floats[i].d, buf, sizeof(buf)));
        CHECK_STR_EQ(buf, floats[i].repr);
    }
    CHECK(!pyjson_float(NAN, buf, sizeof(buf)));
    CHECK(!pyjson_float(INFINITY, buf, sizeof(buf)));
}

static void check_doc(const char *in, const char *want)
{
    json_error_t err;
    json_t *v = json_loads(in, JSON_DECODE_ANY, &err);
    char *got;

    CHECK(v != NULL);
    got = pyjson_dumps(v);
    CHECK_STR_EQ(got, want);
    free(got);
    json_decref(v);
}

int main(void)
{
    check_floats();
    check_doc("{}", "{}");
    check_doc("[]", "[]");
    check_doc(
        "{\"cpu\":{\"count\":64,\"frequency\":2000.0},\"has_docker\":true,"
        "\"x\":null,\"l\":[1,2.5,\"s\"]}",
        "{\"cpu\": {\"count\": 64, \"frequency\": 2000.0}, "
        "\"has_docker\": true, \"x\": null, \"l\": [1, 2.5, \"s\"]}");
    /* ensure_ascii: non-ASCII as \uXXXX (lower-case hex), astral planes
     * as surrogate pairs, controls and DEL (outside ' '..'~') escaped. */
    check_doc("\"caf\\u00e9 \\ud83d\\ude00\"", "\"caf\\u00e9 \\ud83d\\ude00\"");
    check_doc("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u001f\\u007f/\"",
              "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u001f\\u007f/\"");
    check_doc("-9223372036854775808", "-9223372036854775808");
    return 0;
}
