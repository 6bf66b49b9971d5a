/* SPDX-License-Identifier: MIT */
/* The nesting depth of request bodies is capped at 256 levels (the
 * server's ROUTER_MAX_JSON_DEPTH), well inside what CPython's json.loads
 * reads, so the validator never meets a stored row it cannot parse: 256
 * levels are taken and read back by python3, 257 and the 1,500 of the
 * original report are 400 invalid_argument naming the depth, with nothing
 * written. Brackets inside strings do not count, and escapes inside
 * strings neither hide nor invent levels. */
#include "util.h"

#include <stdio.h>
#include <sys/wait.h>

enum { LIMIT = 256, ENVELOPE = 4 }; /* {"miners": [{"details": {"x": */

/* A PUT /miners/details body whose details hold member x: n nested arrays;
 * before (a JSON text of members, may be "") goes ahead of x. The body is
 * ENVELOPE + n levels deep. free() it. */
static char *deep_body(const char *before, size_t n)
{
    char *open = malloc(n + 1), *close = malloc(n + 1), *b;

    CHECK(open != NULL && close != NULL);
    memset(open, '[', n);
    memset(close, ']', n);
    open[n] = close[n] = '\0';
    b = tu_strf("{\"miners\": [{\"hotkey\": \"%s\", \"details\": {%s\"x\": "
                "%s%s}}]}",
                hk(2), before, open, close);
    free(open);
    free(close);
    return b;
}

/* Sends body, which must be refused as `depth` levels deep, unwritten. */
static void refused(const char *body, size_t depth)
{
    struct tu_snap before = tu_snap_take();
    struct resp r = th_send("PUT", "/miners/details", body);
    const char *msg;
    char want[64];

    th_expect_error(&r, 400, "invalid_argument", NULL);
    msg = json_string_value(
        json_object_get(json_object_get(r.json, "error"), "message"));
    snprintf(want, sizeof(want), "%zu levels deep; the limit is %d", depth,
             LIMIT);
    if (!msg || !strstr(msg, want))
        fprintf(stderr, "message %s, want \"%s\"\n", msg ? msg : "(none)",
                want);
    CHECK(msg && strstr(msg, want));
    th_resp_free(&r);
    CHECK_UNCHANGED(before);
}

static void accepted(const char *body)
{
    struct resp r = th_send("PUT", "/miners/details", body);

    CHECK_STATUS(r, 200);
    th_resp_free(&r);
}

/* python3's json.loads reads the whole collection back; skipped (true)
 * without python3. */
static bool python_reads(const char *text)
{
    FILE *p = popen("command -v python3 >/dev/null || exit 77; "
                    "python3 -c 'import json, sys; json.load(sys.stdin)'",
                    "w");
    int st;

    CHECK(p != NULL);
    fputs(text, p);
    st = pclose(p);
    return WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77);
}

static void test_limit(void)
{
    char *b = deep_body("", LIMIT - ENVELOPE);
    struct resp r;

    accepted(b);
    free(b);
    r = th_get("/miners/details");
    CHECK_STATUS(r, 200);
    CHECK(python_reads(r.body));
    th_resp_free(&r);

    b = deep_body("", LIMIT - ENVELOPE + 1);
    refused(b, LIMIT + 1);
    free(b);
    /* The report: specs 1,500 deep, past CPython's ~1,000. */
    b = deep_body("", 1500);
    refused(b, 1500 + ENVELOPE);
    free(b);
}

static void test_strings(void)
{
    char *many = malloc(2001), *before, *b;

    CHECK(many != NULL);
    memset(many, '[', 2000);
    many[2000] = '\0';
    /* 2,000 brackets in a string after an escaped quote: no levels. */
    before = tu_strf("\"s\": \"\\\"%s{{\", ", many);
    b = deep_body(before, LIMIT - ENVELOPE);
    accepted(b);
    free(b);
    free(before);
    /* A string ending in an escaped backslash ends there: the arrays after
     * it count, so one level too many is still refused. */
    b = deep_body("\"s\": \"\\\\\", ", LIMIT - ENVELOPE + 1);
    refused(b, LIMIT + 1);
    free(b);
    free(many);
}

int main(void)
{
    tu_start();
    test_limit();
    test_strings();
    tu_exec("DELETE FROM miner_details WHERE hotkey = %Q", hk(2));
    tu_stop();
    return 0;
}
