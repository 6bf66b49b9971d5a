/* SPDX-License-Identifier: MIT */
/* Route matching and the guard sequence every request goes through. A
 * linear scan is fine for the few dozen routes we serve. */
#include "router.h"

#include "gpu/pog_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');

    return slash ? (size_t)(slash - s) : strlen(s);
}

static bool capture(struct req *req, const char *name, size_t nlen,
                    const char *val, size_t vlen)
{
    struct kv *kv;

    if (!req)
        return true;
    if (req->n_params == REQ_MAX_PARAMS)
        return false;
    kv = &req->params[req->n_params];
    kv->key = strndup(name, nlen);
    kv->value = strndup(val, vlen);
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        kv->key = kv->value = NULL;
        return false;
    }
    req->n_params++;
    return true;
}

bool router_match(const char *pattern, const char *path, struct req *req)
{
    while (*pattern == '/' && *path == '/') {
        size_t plen, slen;

        pattern++;
        path++;
        plen = seg_len(pattern);
        slen = seg_len(path);
        if (pattern[0] == ':') {
            if (slen == 0 || !capture(req, pattern + 1, plen - 1, path, slen))
                return false;
        } else if (plen != slen || memcmp(pattern, path, plen) != 0) {
            return false;
        }
        pattern += plen;
        path += slen;
    }
    return *pattern == '\0' && *path == '\0';
}

static bool is_literal(const char *pattern)
{
    return strchr(pattern, ':') == NULL;
}

/* True when a request with method runs rt: HEAD runs what GET runs, and
 * the HTTP layer sends its headers without the body (RFC 9110 9.3.2). */
static bool serves(const struct route *rt, const char *method)
{
    return strcmp(rt->method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

static bool literal_match(const struct router *r, const char *path)
{
    for (size_t i = 0; i < r->n_routes; i++)
        if (is_literal(r->routes[i].pattern) &&
            strcmp(r->routes[i].pattern, path) == 0)
            return true;
    return false;
}

void router_allow(const struct router *r, const char *path, char *buf,
                  size_t len)
{
    size_t used = 0;
    bool literal = literal_match(r, path);

    buf[0] = '\0';
    for (size_t i = 0; i < r->n_routes; i++) {
        const struct route *rt = &r->routes[i];
        int n;

        if (!router_match(rt->pattern, path, NULL) ||
            (literal && !is_literal(rt->pattern)) || strstr(buf, rt->method))
            continue;
        n = snprintf(buf + used, len - used, "%s%s%s", used ? ", " : "",
                     rt->method, serves(rt, "HEAD") ? ", HEAD" : "");
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static void clear_params(struct req *req)
{
    for (size_t i = 0; i < req->n_params; i++) {
        free(req->params[i].key);
        free(req->params[i].value);
    }
    req->n_params = 0;
}

/* Finds the route for req; sets *path_known when any method matched the
 * path. A literal pattern ("/miners/details") outranks a capture
 * ("/miners/:uid") for the same path, whatever the method. */
static const struct route *find(const struct router *r, struct req *req,
                                bool *path_known)
{
    bool literal = literal_match(r, req->path);
    const struct route *hit = NULL;

    *path_known = false;
    for (size_t i = 0; i < r->n_routes && !hit; i++) {
        const struct route *rt = &r->routes[i];

        if ((literal && !is_literal(rt->pattern)) ||
            !router_match(rt->pattern, req->path, NULL))
            continue;
        *path_known = true;
        if (serves(rt, req->method))
            hit = rt;
    }
    if (!hit)
        return NULL;
    clear_params(req);
    return router_match(hit->pattern, req->path, req) ? hit : NULL;
}

static bool is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;

    if (!ct || strncasecmp(ct, want, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The deepest nesting of request bodies, and so of any JSON we store.
 * CPython 3.11's json.loads (the validator's reader) raises RecursionError
 * past 994 levels with its C scanner at the default recursion limit of
 * 1000, and past 497 with its pure-Python scanner (two frames a level);
 * a caller already deep in its own stack gets less. 256 leaves that
 * margin, and jansson's own compile-time limit (2048) is far above it. */
static const size_t ROUTER_MAX_JSON_DEPTH = 256;

/* The deepest nesting of arrays and objects in text, what is inside
 * strings skipped. Not a validator: json_loadb judges the text next. */
static size_t json_depth(const char *p, size_t len)
{
    size_t depth = 0, max = 0;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = p[i];

        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character, which may be a quote */
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
            max = depth > max ? depth : max;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

static enum svc_rc parse_body(struct req *req)
{
    json_error_t jerr;
    size_t depth;

    /* No body at all is the likelier mistake than a wrong type for it:
     * say what to send. */
    if (req->body.len == 0)
        return req_fail(req, SVC_ERR_BODY_REQUIRED, NULL,
                        "%s %.60s needs a JSON object body with Content-Type: "
                        "application/json (GET /openapi.json has its shape)",
                        req->method, req->route->pattern);
    if (!is_json_type(req->content_type))
        return req_fail(req, SVC_ERR_MEDIA_TYPE, NULL,
                        "Content-Type must be application/json");
    /* Before parsing: jansson recurses once per level. */
    depth = json_depth(req->body.p, req->body.len);
    if (depth > ROUTER_MAX_JSON_DEPTH)
        return req_fail(req, SVC_ERR_INVALID, NULL,
                        "JSON nested %zu levels deep; the limit is %zu", depth,
                        ROUTER_MAX_JSON_DEPTH);
    req->json =
        json_loadb(req->body.p, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->json)
        return req_fail(req, SVC_ERR_INVALID, NULL,
                        "invalid JSON at line %d column %d: %s", jerr.line,
                        jerr.column, jerr.text);
    if (!json_is_object(req->json))
        return req_fail(req, SVC_ERR_INVALID, NULL,
                        "the body must be a JSON object");
    return SVC_OK;
}

/* True when name is one of the comma-separated names in list. */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; p && *p;
         p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

static enum svc_rc check_query(const struct route *rt, struct req *req)
{
    if (req->query_overflow)
        return req_fail(req, SVC_ERR_INVALID, NULL, "too many query arguments");
    for (size_t i = 0; i < req->n_query; i++)
        if (!in_list(rt->query, req->query[i].key))
            return req_fail(req, SVC_ERR_INVALID, req->query[i].key,
                            "unknown query parameter '%.64s'",
                            req->query[i].key);
    return SVC_OK;
}

static enum svc_rc guard(const struct router *r, struct req *req,
                         struct reply *rep)
{
    bool known;
    const struct route *rt = find(r, req, &known);
    enum svc_rc rc;

    if (!rt && !known)
        return req_fail(req, SVC_ERR_NOT_FOUND, NULL, "no route for %.100s",
                        req->path);
    if (!rt) {
        router_allow(r, req->path, rep->allow, sizeof(rep->allow));
        return req_fail(req, SVC_ERR_METHOD, NULL,
                        "%s is not allowed here; allowed: %s", req->method,
                        rep->allow);
    }
    req->route = rt;
    /* A body we refused to read cannot be authenticated: 413 first. */
    if (req->body_too_large)
        return req_fail(req, SVC_ERR_TOO_LARGE, NULL,
                        "request body exceeds the configured limit");
    if (rt->role > ROLE_NONE && r->authenticate) {
        rc = r->authenticate(req);
        if (rc != SVC_OK)
            return rc;
    }
    if (rt->role > req->role)
        return req_fail(
            req, req->role == ROLE_NONE ? SVC_ERR_UNAUTH : SVC_ERR_FORBIDDEN,
            NULL, "%s",
            req->role == ROLE_NONE ? "signature_required" : "role_required");
    rc = check_query(rt, req);
    if (rc == SVC_OK && (rt->flags & ROUTE_JSON))
        rc = parse_body(req);
    if (rc == SVC_OK && (rt->flags & ROUTE_GPU) &&
        !(req->app && pog_service_pool(req->app->pog_service)))
        rc = SVC_ERR_POG_OFF; /* a 503: its table text says what to do */
    return rc;
}

enum svc_rc router_dispatch(const struct router *r, struct req *req,
                            struct reply *rep)
{
    enum svc_rc rc = guard(r, req, rep);

    if (rc == SVC_OK)
        rc = req->route->handler(req, rep);
    if (rc != SVC_OK) {
        reply_error(rep, req, rc);
        return rc;
    }
    if (rep->status == 0)
        rep->status = 200;
    rep->rc = SVC_OK;
    return SVC_OK;
}
