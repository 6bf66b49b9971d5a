/* SPDX-License-Identifier: MIT */
/* POST /list/allocations_sql and /list/resources_sql answer what the
 * upstream allocation API answers over the same rows: alloc_api_upstream.py
 * (a restatement of its row-to-object logic and the FastAPI binding in
 * front of it) writes each row set into the server's file as upstream
 * writes it and computes upstream's answer to every case; each case is
 * sent to computedb and the two answers must be equal, status and JSON.
 * Cases where computedb differs on purpose compare with upstream's answer
 * over the rows without the quirk rows, and check that upstream's answer
 * over all of them really is different. Skipped (77) without python3. */
#include "check.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char script[1024];

/* Runs the script with args; returns its output parsed (exits on error). */
static json_t *py_json(const char *args)
{
    char cmd[2048];
    json_error_t err;
    json_t *out;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "python3 %s %s", script, args);
    p = popen(cmd, "r");
    CHECK(p != NULL);
    out = json_loadf(p, 0, &err);
    if (!out)
        fprintf(stderr, "%s: %s\n", cmd, err.text);
    CHECK(pclose(p) == 0);
    CHECK(out != NULL);
    return out;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void show(const char *what, const json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    fprintf(stderr, "  %s: %s\n", what, t ? t : "(null)");
    free(t);
}

/* An exception's class: err_detail up to its '('. */
static bool same_class(const json_t *a, const json_t *b)
{
    const char *x = str(a, "err_detail"), *y = str(b, "err_detail");

    return x && y && strcspn(x, "(") == strcspn(y, "(") &&
           strncmp(x, y, strcspn(x, "(")) == 0;
}

/* Loose: the same status, success and message, the same exception class
 * (malformed JSON: upstream's message is Python's parser's own). */
static bool loose_equal(const json_t *got, const json_t *want)
{
    return json_equal(json_object_get(got, "success"),
                      json_object_get(want, "success")) &&
           json_equal(json_object_get(got, "message"),
                      json_object_get(want, "message")) &&
           same_class(got, want);
}

static int check_case(const char *set, const json_t *c)
{
    const json_t *want = json_object_get(c, "answer");
    const json_t *all = json_object_get(c, "upstream_all");
    struct resp r = th_request("POST", str(c, "path"), str(c, "body"),
                               str(c, "ctype"), NULL);
    bool ok = r.status == json_integer_value(json_object_get(c, "status"));

    if (ok && json_is_true(json_object_get(c, "loose")))
        ok = loose_equal(r.json, want);
    else if (ok)
        ok = r.json && json_equal(r.json, want);
    /* a deliberate difference must be one */
    if (ok && all && json_equal(r.json, all)) {
        fprintf(stderr,
                "%s POST %s: upstream over every row answers the "
                "same; the quirk rows changed nothing\n",
                set, str(c, "path"));
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "%s POST %s body %s: computedb %ld, upstream %lld\n",
                set, str(c, "path"), str(c, "body") ? str(c, "body") : "-",
                r.status,
                (long long)json_integer_value(json_object_get(c, "status")));
        show("computedb", r.json);
        show("upstream", want);
    }
    th_resp_free(&r);
    return ok ? 0 : 1;
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");
    FILE *p = popen("python3 -c 'import sqlite3, json' 2>/dev/null", "r");
    json_t *sets, *cases;
    const json_t *name, *c;
    size_t i, j, n = 0;
    int failed = 0;
    char args[1536];

    if (!p || pclose(p) != 0 || !src) {
        fprintf(stderr, "python3 or COMPUTEDB_SOURCE_DIR missing: skipped\n");
        return 77;
    }
    snprintf(script, sizeof(script), "%s/tests/compat/alloc_api_upstream.py",
             src);
    th_start(NULL);
    sets = py_json("sets");
    json_array_foreach (sets, i, name) {
        snprintf(args, sizeof(args), "run '%s' %s", th_db_path(),
                 json_string_value(name));
        cases = py_json(args);
        json_array_foreach (cases, j, c) {
            failed += check_case(json_string_value(name), c);
            n++;
        }
        json_decref(cases);
    }
    json_decref(sets);
    th_stop();
    fprintf(stderr, "%zu cases, %d different\n", n, failed);
    CHECK_INT_EQ(failed, 0);
    CHECK(n >= 70); /* the plan ran, not an empty one */
    return 0;
}
