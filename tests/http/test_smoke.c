/* SPDX-License-Identifier: MIT */
/* The server answers over real HTTP: health, request ids, 404/405. */
#include "check.h"
#include "harness.h"

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
    CHECK_STR_EQ(buf, "GET, PUT");
    th_resp_free(&r);
    th_stop();
    return 0;
}
