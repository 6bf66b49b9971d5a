/* SPDX-License-Identifier: MIT */
/* The router (server/router.c) with the service's own route table and
 * stub handlers: matching, captures, 404/405 + Allow, the role guard, the
 * query-parameter guard, the Content-Type and JSON-object guards. Input:
 * a role byte, then '\n'-separated method, request-target, Content-Type
 * (empty: none) and the body. A handler runs only for a route that
 * matches the method and path, for a caller with the role, with every
 * capture set; every other request gets the documented refusal. */
#include "fuzz.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

static struct route *stubs;
static struct router router;
static const struct route *expected; /* set by the stub that ran */

/* True when name is one of the items of list, separated by any of sep. */
static bool in_list(const char *list, const char *sep, const char *name)
{
    size_t n = strlen(name);

    while (list && *list) {
        size_t len = strcspn(list, sep);

        if (len == n && strncmp(list, name, n) == 0)
            return true;
        list += len;
        list += strspn(list, sep);
    }
    return false;
}

/* Every ":name" of the pattern has a non-empty value without '/'. */
static void check_captures(const struct req *req)
{
    const char *p = req->route->pattern;

    while ((p = strchr(p, ':')) != NULL) {
        char name[32];
        size_t n = strcspn(p + 1, "/");
        const char *v;

        FZ_ASSERT(n < sizeof(name));
        memcpy(name, p + 1, n);
        name[n] = '\0';
        v = req_param(req, name);
        FZ_ASSERT(v != NULL && v[0] != '\0' && strchr(v, '/') == NULL);
        p += n + 1;
    }
}

static enum svc_rc stub(struct req *req, struct reply *rep)
{
    const struct route *rt = req->route;

    FZ_ASSERT(rt != NULL);
    FZ_ASSERT(strcmp(rt->method, req->method) == 0);
    FZ_ASSERT(router_match(rt->pattern, req->path, NULL));
    FZ_ASSERT(rt->role <= req->role);
    if (rt->flags & ROUTE_JSON)
        FZ_ASSERT(json_is_object(req->json));
    for (size_t i = 0; i < req->n_query; i++)
        FZ_ASSERT(in_list(rt->query, ",", req->query[i].key));
    check_captures(req);
    expected = rt;
    return reply_json(rep, 200, json_object());
}

static void setup(void)
{
    fz_init(false);
    stubs = calloc(svc_routes_count, sizeof(*stubs));
    FZ_ASSERT(stubs != NULL);
    for (size_t i = 0; i < svc_routes_count; i++) {
        stubs[i] = svc_routes[i];
        stubs[i].handler = stub;
    }
    router = (struct router){stubs, svc_routes_count, NULL};
}

/* router_allow never writes past its buffer and always terminates it. */
static void check_allow(const char *path)
{
    char small[8], big[64];

    memset(small, 'x', sizeof(small));
    router_allow(&router, path, small, sizeof(small));
    FZ_ASSERT(memchr(small, '\0', sizeof(small)) != NULL);
    router_allow(&router, path, big, sizeof(big));
    FZ_ASSERT(memchr(big, '\0', sizeof(big)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char method[32], target[1024], ctype[128];
    struct fz_call call;
    struct reply rep;
    struct req *req;

    if (!stubs)
        setup();
    if (size == 0)
        return 0;
    call.role = (enum role)(data[0] % 4);
    data++;
    size--;
    fz_take_line(&data, &size, method, sizeof(method));
    fz_take_line(&data, &size, target, sizeof(target));
    fz_take_line(&data, &size, ctype, sizeof(ctype));
    call = (struct fz_call){method, target, ctype[0] ? ctype : NULL,
                            data,   size,   call.role};
    expected = NULL;
    req = fz_dispatch(&router, &call, &rep);
    if (!req)
        return 0;
    fz_check_reply(req, &rep);
    FZ_ASSERT((rep.status == 200) == (expected != NULL));
    if (rep.status == 405) {
        FZ_ASSERT(rep.allow[0] != '\0');
        FZ_ASSERT(!in_list(rep.allow, ", ", req->method));
    }
    check_allow(req->path);
    reply_clear(&rep);
    req_free(req);
    return 0;
}
