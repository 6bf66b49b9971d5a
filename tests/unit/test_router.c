/* SPDX-License-Identifier: MIT */
/* Route matching and the guard order of router_dispatch(), on in-memory
 * requests and a table of the test's own. */
#include "check.h"
#include "server/router.h"

static int calls;

static enum svc_rc h_ok(struct req *req, struct reply *rep)
{
    calls++;
    return reply_json(rep, 200,
                      json_pack("{s:s?}", "id", req_param(req, "id")));
}

/* clang-format off */
static const struct route table[] = {
    {"GET",  "/things",         h_ok, ROLE_READER, 0, NULL},
    {"PUT",  "/things",         h_ok, ROLE_WRITER, ROUTE_JSON, NULL},
    {"GET",  "/things/special", h_ok, ROLE_NONE,   0, NULL},
    {"GET",  "/things/:id",     h_ok, ROLE_READER, 0, NULL},
    {"DELETE", "/things/:id",   h_ok, ROLE_ADMIN,  0, NULL},
};
/* clang-format on */

static const struct router router = {table, sizeof(table) / sizeof(*table),
                                     NULL};

static struct req *mk(const char *method, const char *path, enum role role)
{
    struct req *req = req_new(NULL, method, path);

    CHECK(req != NULL);
    req->role = role;
    return req;
}

static enum svc_rc run(struct req *req, struct reply *rep)
{
    enum svc_rc rc = router_dispatch(&router, req, rep);

    CHECK(rep->status == svc_rc_http(rc) || rc == SVC_OK);
    return rc;
}

static void expect(const char *method, const char *path, enum role role,
                   enum svc_rc want)
{
    struct req *req = mk(method, path, role);
    struct reply rep = {0};

    CHECK_STR_EQ(svc_rc_name(run(req, &rep)), svc_rc_name(want));
    reply_clear(&rep);
    req_free(req);
}

static void check_matching(void)
{
    struct req *req = mk("GET", "/x", ROLE_NONE);

    CHECK(router_match("/things/:id", "/things/42", req));
    CHECK_STR_EQ(req_param(req, "id"), "42");
    CHECK(!router_match("/things/:id", "/things/", NULL));
    CHECK(!router_match("/things/:id", "/things/1/2", NULL));
    CHECK(!router_match("/things", "/things/", NULL));
    CHECK(!router_match("/things", "/thing", NULL));
    CHECK(router_match("/", "/", NULL));
    req_free(req);
}

static void check_guards(void)
{
    struct req *req;
    struct reply rep = {0};
    json_t *err;

    expect("GET", "/nowhere", ROLE_ADMIN, SVC_ERR_NOT_FOUND);
    expect("POST", "/things", ROLE_ADMIN, SVC_ERR_METHOD);
    expect("GET", "/things", ROLE_NONE, SVC_ERR_UNAUTH);
    expect("DELETE", "/things/7", ROLE_WRITER, SVC_ERR_FORBIDDEN);
    expect("GET", "/things/special", ROLE_NONE, SVC_OK);
    /* A literal path outranks a capture, even for another method. */
    expect("DELETE", "/things/special", ROLE_ADMIN, SVC_ERR_METHOD);
    /* No body at all says so, whatever the Content-Type. */
    expect("PUT", "/things", ROLE_WRITER, SVC_ERR_BODY_REQUIRED);
    /* HEAD runs what GET runs, guards and all. */
    expect("HEAD", "/things/7", ROLE_READER, SVC_OK);
    expect("HEAD", "/things/7", ROLE_NONE, SVC_ERR_UNAUTH);
    expect("HEAD", "/nowhere", ROLE_ADMIN, SVC_ERR_NOT_FOUND);

    req = mk("POST", "/things", ROLE_ADMIN);
    CHECK(run(req, &rep) == SVC_ERR_METHOD);
    CHECK_STR_EQ(rep.allow, "GET, HEAD, PUT");
    err = json_object_get(rep.body, "error");
    CHECK_STR_EQ(json_string_value(json_object_get(err, "code")),
                 "method_not_allowed");
    reply_clear(&rep);
    req_free(req);

    /* HEAD is offered wherever GET is. */
    req = mk("PATCH", "/things/7", ROLE_ADMIN);
    CHECK(run(req, &rep) == SVC_ERR_METHOD);
    CHECK_STR_EQ(rep.allow, "GET, HEAD, DELETE");
    reply_clear(&rep);
    req_free(req);
}

static void check_body(const char *body, enum svc_rc want)
{
    struct req *req = mk("PUT", "/things", ROLE_WRITER);
    struct reply rep = {0};

    req->content_type = strdup("application/json; charset=utf-8");
    if (body)
        CHECK(req_append_body(req, body, strlen(body), 64) == SVC_OK);
    CHECK_STR_EQ(svc_rc_name(run(req, &rep)), svc_rc_name(want));
    reply_clear(&rep);
    req_free(req);
}

int main(void)
{
    check_matching();
    check_guards();
    check_body(NULL, SVC_ERR_BODY_REQUIRED);
    check_body("{\"a\": 1}", SVC_OK);
    check_body("[1]", SVC_ERR_INVALID);
    check_body("{\"a\": 1, \"a\": 2}", SVC_ERR_INVALID); /* duplicate key */
    check_body("{\"a\": \"\\u0000\"}", SVC_ERR_INVALID);
    check_body("{\"a\": 1e999}", SVC_ERR_INVALID);
    check_body("{\"a\": \"\xff\"}", SVC_ERR_INVALID); /* invalid UTF-8 */
    check_body("{\"pad\": \"0123456789012345678901234567890123456789"
               "0123456789012345678901234567890123456789\"}",
               SVC_ERR_TOO_LARGE);
    CHECK(calls == 3);
    return 0;
}
