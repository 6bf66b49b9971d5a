/* SPDX-License-Identifier: MIT */
/* The server answers over real HTTP: health, request ids, 404/405. */
#include "check.h"
#include "harness.h"

/* Large JSON comes gzip-compressed to a client that asks for it, and
 * decodes to the same bytes; small answers and other clients get plain. */
static void check_gzip(void)
{
    static const char *const no[] = {"Accept-Encoding: gzip;q=0", NULL};
    struct resp plain = th_get("/openapi.json"), r;
    char buf[64];

    CHECK_INT_EQ(plain.status, 200);
    CHECK(!th_header(&plain, "Content-Encoding", buf, sizeof(buf)));
    /* Compressed once and kept (the first request makes the gzip form, the
     * others send it): every answer decodes to the document. */
    for (int i = 0; i < 3; i++) {
        th_gzip(true);
        r = th_get("/openapi.json");
        th_gzip(false);
        CHECK(th_header(&r, "Content-Encoding", buf, sizeof(buf)));
        CHECK_STR_EQ(buf, "gzip");
        CHECK(th_header(&r, "Vary", buf, sizeof(buf)));
        CHECK_INT_EQ(r.len, plain.len); /* curl decoded it */
        CHECK(memcmp(r.body, plain.body, plain.len) == 0);
        th_resp_free(&r);
    }
    r = th_request("GET", "/openapi.json", NULL, NULL, no);
    CHECK(!th_header(&r, "Content-Encoding", buf, sizeof(buf)));
    th_resp_free(&r);
    th_gzip(true);
    r = th_get("/healthz"); /* too small to be worth it */
    th_gzip(false);
    CHECK(!th_header(&r, "Content-Encoding", buf, sizeof(buf)));
    th_resp_free(&r);
    th_resp_free(&plain);
}

int main(void)
{
    struct resp r;
    char buf[128];
    static const char *const rid[] = {"X-Request-Id: abc-123", NULL};

    th_start(NULL);
    r = th_get("/healthz");
    CHECK_INT_EQ(r.status, 200);
    CHECK_STR_EQ(json_string_value(json_object_get(r.json, "status")), "ok");
    CHECK(th_header(&r, "X-Request-Id", buf, sizeof(buf)) && buf[0]);
    th_resp_free(&r);

    r = th_request("GET", "/healthz", NULL, NULL, rid);
    CHECK(th_header(&r, "X-Request-Id", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "abc-123");
    th_resp_free(&r);

    r = th_get("/no-such-route");
    th_expect_error(&r, 404, "not_found", NULL);
    th_resp_free(&r);

    r = th_send("POST", "/miners", "{}");
    th_expect_error(&r, 405, "method_not_allowed", NULL);
    CHECK(th_header(&r, "Allow", buf, sizeof(buf)));
    CHECK_STR_EQ(buf, "GET, HEAD, PUT");
    th_resp_free(&r);
    check_gzip();
    th_stop();
    return 0;
}
