/* SPDX-License-Identifier: MIT */
/* The contract against the route table: openapi/openapi.json documents
 * exactly the routes of handlers/routes.c (roles, path parameters, JSON
 * bodies), every local $ref resolves, and the copy compiled into the binary
 * is the file byte for byte. Also checks the table's own rules. Every
 * problem is reported by name before the test fails. */
#include "check.h"
#include "server/router.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char openapi_doc[];
extern const unsigned long openapi_doc_len;

enum { TEXT_MAX = 256, REF_HOPS = 16, WALK_DEPTH = 64 };

static const char *const op_methods[] = {
    "get", "put", "post", "delete", "options", "head", "patch", "trace", NULL,
};

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("test_openapi: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

static bool listed(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* The x-computedb-role spelling of r; NULL for a value outside the enum. */
static const char *doc_role(enum role r)
{
    switch (r) {
    case ROLE_NONE:
        return "none";
    case ROLE_READER:
        return "reader";
    case ROLE_WRITER:
        return "writer";
    case ROLE_ADMIN:
        return "admin";
    }
    return NULL;
}

/* "/miners/:uid" -> "/miners/{uid}". False when out is too small. */
static bool openapi_path(const char *pattern, char *out, size_t len)
{
    size_t n = 0;
    bool capture = false;

    for (const char *p = pattern;; p++) {
        if (capture && (*p == '/' || *p == '\0')) {
            if (n + 1 >= len)
                return false;
            out[n++] = '}';
            capture = false;
        }
        if (*p == '\0')
            break;
        if (n + 1 >= len)
            return false;
        if (*p == ':' && p > pattern && p[-1] == '/') {
            out[n++] = '{';
            capture = true;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return true;
}

/* "GET" -> "get". False when out is too small. */
static bool lower(const char *in, char *out, size_t len)
{
    size_t i = 0;

    for (; in[i] && i + 1 < len; i++)
        out[i] =
            (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
    return in[i] == '\0';
}

/* "get" -> "GET" into out (truncated to fit); returns out. */
static const char *upper(const char *in, char *out, size_t len)
{
    size_t i = 0;

    for (; in[i] && i + 1 < len; i++)
        out[i] =
            (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 'a' + 'A' : in[i]);
    out[i] = '\0';
    return out;
}

/* ---- the route table --------------------------------------------------- */

static bool is_capture_segment(const char *seg)
{
    return seg[0] == ':';
}

/* True when patterns a and b match the same paths (captures compared by
 * position, whatever their names). */
static bool same_shape(const char *a, const char *b)
{
    while (*a && *b) {
        size_t la = strcspn(a + 1, "/") + 1, lb = strcspn(b + 1, "/") + 1;
        bool ca = is_capture_segment(a + 1), cb = is_capture_segment(b + 1);

        if (ca != cb || (!ca && (la != lb || memcmp(a, b, la) != 0)))
            return false;
        a += la;
        b += lb;
    }
    return *a == '\0' && *b == '\0';
}

static void check_route(size_t i)
{
    static const char *const methods[] = {"GET",   "PUT",  "POST",    "DELETE",
                                          "PATCH", "HEAD", "OPTIONS", NULL};
    static const char *const body_methods[] = {"POST", "PUT", "PATCH", "DELETE",
                                               NULL};
    const struct route *rt = &svc_routes[i];

    if (!rt->method || !rt->pattern) {
        fail("route %zu: NULL method or pattern", i);
        return;
    }
    if (!listed(rt->method, methods))
        fail("route %s %s: unknown method", rt->method, rt->pattern);
    if (rt->pattern[0] != '/')
        fail("route %s %s: pattern must start with '/'", rt->method,
             rt->pattern);
    if (!rt->handler)
        fail("route %s %s: NULL handler", rt->method, rt->pattern);
    if (!doc_role(rt->role))
        fail("route %s %s: role %d is not a role", rt->method, rt->pattern,
             (int)rt->role);
    if ((rt->flags & ROUTE_JSON) && !listed(rt->method, body_methods))
        fail("route %s %s: ROUTE_JSON on a method without a body", rt->method,
             rt->pattern);
    for (size_t j = 0; j < i; j++) {
        const struct route *o = &svc_routes[j];

        if (!o->method || !o->pattern || strcmp(o->method, rt->method) != 0)
            continue;
        if (strcmp(o->pattern, rt->pattern) == 0)
            fail("route %s %s: listed twice", rt->method, rt->pattern);
        else if (same_shape(o->pattern, rt->pattern))
            fail("route %s %s: matches the same paths as %s", rt->method,
                 rt->pattern, o->pattern);
    }
}

static void check_route_table(void)
{
    CHECK(svc_routes_count > 0);
    for (size_t i = 0; i < svc_routes_count; i++)
        check_route(i);
}

/* ---- loading and $ref ----------------------------------------------- */

/* Returns the malloc'd bytes of path (NUL-terminated) and their count. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f) {
        fprintf(stderr, "test_openapi: cannot open %s\n", path);
        exit(1);
    }
    CHECK(fseek(f, 0, SEEK_END) == 0);
    n = ftell(f);
    CHECK(n >= 0);
    CHECK(fseek(f, 0, SEEK_SET) == 0);
    buf = malloc((size_t)n + 1);
    CHECK(buf != NULL);
    CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The value at local reference ref ("#/components/schemas/Error"), or
 * NULL when it does not resolve. Handles the ~0/~1 escapes. */
static json_t *pointer(json_t *doc, const char *ref)
{
    json_t *v = doc;
    const char *p = ref;

    if (p[0] != '#')
        return NULL;
    for (p++; v && *p == '/';) {
        char seg[TEXT_MAX];
        size_t n = 0;

        for (p++; *p && *p != '/' && n + 1 < sizeof(seg); p++, n++) {
            seg[n] = *p;
            if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
                seg[n] = *++p == '0' ? '~' : '/';
        }
        seg[n] = '\0';
        if (*p && *p != '/')
            return NULL; /* segment too long */
        v = json_object_get(v, seg);
    }
    return *p ? NULL : v;
}

/* Follows $ref from v until a value without one; NULL when dangling. */
static json_t *deref(json_t *doc, json_t *v)
{
    for (int hops = 0; v && hops < REF_HOPS; hops++) {
        json_t *ref = json_object_get(v, "$ref");

        if (!json_is_string(ref))
            return v;
        v = pointer(doc, json_string_value(ref));
    }
    return NULL;
}

/* Every "$ref" in the document is local and resolves. */
static void check_refs(json_t *doc, json_t *v, int depth)
{
    const char *key;
    json_t *child;
    size_t i;

    if (depth > WALK_DEPTH) {
        fail("the document nests deeper than %d levels", WALK_DEPTH);
        return;
    }
    if (json_is_array(v)) {
        json_array_foreach (v, i, child) {
            check_refs(doc, child, depth + 1);
        }
        return;
    }
    if (!json_is_object(v))
        return;
    json_object_foreach (v, key, child) {
        if (strcmp(key, "$ref") == 0 && json_is_string(child)) {
            if (!pointer(doc, json_string_value(child)))
                fail("$ref %s does not resolve (only local refs)",
                     json_string_value(child));
            continue;
        }
        check_refs(doc, child, depth + 1);
    }
}

/* ---- one operation -------------------------------------------------- */

/* Adds the names of the path parameters in params (a parameter list,
 * possibly NULL) to names; fails on a path parameter not required. */
static void path_params(json_t *doc, json_t *params, json_t *names,
                        const char *where)
{
    json_t *p;
    size_t i;

    if (params && !json_is_array(params))
        fail("%s: parameters is not an array", where);
    json_array_foreach (params, i, p) {
        json_t *param = deref(doc, p);
        const char *name = json_string_value(json_object_get(param, "name"));
        const char *in = json_string_value(json_object_get(param, "in"));

        if (!name || !in) {
            fail("%s: parameter %zu has no name or no in", where, i);
            continue;
        }
        if (strcmp(in, "path") != 0)
            continue;
        if (!json_is_true(json_object_get(param, "required")))
            fail("%s: path parameter %s must be required", where, name);
        CHECK(json_object_set_new(names, name, json_true()) == 0);
    }
}

/* Every {param} of path is declared, and every declared one is in path. */
static void check_path_params(json_t *doc, const char *path, json_t *item,
                              json_t *op, const char *where)
{
    json_t *names = json_object();
    const char *name;
    json_t *v;

    CHECK(names != NULL);
    path_params(doc, json_object_get(item, "parameters"), names, where);
    path_params(doc, json_object_get(op, "parameters"), names, where);
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        char want[TEXT_MAX];
        size_t n = strcspn(p + 1, "}");

        if (p[1 + n] != '}' || n == 0 || n >= sizeof(want)) {
            fail("%s: malformed template in %s", where, path);
            break;
        }
        memcpy(want, p + 1, n);
        want[n] = '\0';
        if (!json_object_get(names, want))
            fail("%s: {%s} is not declared as a path parameter", where, want);
        CHECK(json_object_set_new(names, want, json_false()) == 0);
    }
    json_object_foreach (names, name, v) {
        if (json_is_true(v))
            fail("%s: path parameter %s is not in the path", where, name);
    }
    json_decref(names);
}

static void check_responses(json_t *doc, json_t *op, const char *where)
{
    json_t *responses = json_object_get(op, "responses");
    const char *code;
    json_t *r;

    if (!json_is_object(responses) || json_object_size(responses) == 0) {
        fail("%s: no responses", where);
        return;
    }
    json_object_foreach (responses, code, r) {
        bool ok = strcmp(code, "default") == 0 ||
                  (strlen(code) == 3 && code[0] >= '1' && code[0] <= '5' &&
                   strspn(code + 1, "0123456789X") == 2);

        if (!ok)
            fail("%s: response key %s is not a status", where, code);
        if (!json_is_string(json_object_get(deref(doc, r), "description")))
            fail("%s: response %s has no description", where, code);
    }
}

static void check_body(json_t *doc, json_t *op, const struct route *rt,
                       const char *where)
{
    json_t *rb = json_object_get(op, "requestBody");
    json_t *media;

    if (!(rt->flags & ROUTE_JSON)) {
        if (rb)
            fail("%s: has a requestBody but the route takes no body", where);
        return;
    }
    rb = deref(doc, rb);
    if (!rb) {
        fail("%s: ROUTE_JSON but no requestBody", where);
        return;
    }
    media = json_object_get(json_object_get(rb, "content"), "application/json");
    if (!json_is_object(media) || !json_object_get(media, "schema"))
        fail("%s: requestBody has no application/json schema", where);
    if (!json_is_true(json_object_get(rb, "required")))
        fail("%s: requestBody must be required", where);
}

static void check_operation(json_t *doc, const char *path, json_t *item,
                            json_t *op, const struct route *rt, json_t *op_ids)
{
    char where[2 * TEXT_MAX];
    json_t *id = json_object_get(op, "operationId");
    const char *role =
        json_string_value(json_object_get(op, "x-computedb-role"));
    const char *want = doc_role(rt->role);

    snprintf(where, sizeof(where), "%s %s", rt->method, path);
    if (!json_is_object(op)) {
        fail("%s: the operation is not an object", where);
        return;
    }
    if (!json_is_string(id) || json_string_length(id) == 0) {
        fail("%s: no operationId", where);
    } else if (json_object_get(op_ids, json_string_value(id))) {
        fail("%s: operationId %s is also used by %s", where,
             json_string_value(id),
             json_string_value(json_object_get(op_ids, json_string_value(id))));
    } else {
        CHECK(json_object_set_new(op_ids, json_string_value(id),
                                  json_string(where)) == 0);
    }
    if (!role)
        fail("%s: no x-computedb-role", where);
    else if (want && strcmp(role, want) != 0)
        fail("%s: x-computedb-role is %s, the route table says %s", where, role,
             want);
    check_responses(doc, op, where);
    check_path_params(doc, path, item, op, where);
    check_body(doc, op, rt, where);
}

/* ---- routes <-> operations ------------------------------------------ */

/* Every route has its operation. */
static void check_routes_documented(json_t *doc, json_t *paths)
{
    json_t *op_ids = json_object();

    CHECK(op_ids != NULL);
    for (size_t i = 0; i < svc_routes_count; i++) {
        const struct route *rt = &svc_routes[i];
        char path[TEXT_MAX], method[16];
        json_t *item, *op;

        if (!rt->method || !rt->pattern)
            continue; /* reported by check_route */
        if (!openapi_path(rt->pattern, path, sizeof(path)) ||
            !lower(rt->method, method, sizeof(method))) {
            fail("route %s %s: too long", rt->method, rt->pattern);
            continue;
        }
        item = deref(doc, json_object_get(paths, path));
        op = json_object_get(item, method);
        if (!op) {
            fail("missing in openapi.json: %s %s", rt->method, path);
            continue;
        }
        check_operation(doc, path, item, op, rt, op_ids);
    }
    json_decref(op_ids);
}

static bool has_route(const char *method, const char *path)
{
    for (size_t i = 0; i < svc_routes_count; i++) {
        const struct route *rt = &svc_routes[i];
        char p[TEXT_MAX], m[16];

        if (rt->method && rt->pattern &&
            openapi_path(rt->pattern, p, sizeof(p)) &&
            lower(rt->method, m, sizeof(m)) && strcmp(m, method) == 0 &&
            strcmp(p, path) == 0)
            return true;
    }
    return false;
}

/* Every operation has its route; path items hold nothing unknown. */
static void check_no_extra(json_t *doc, json_t *paths)
{
    static const char *const item_fields[] = {
        "$ref", "summary", "description", "servers", "parameters", NULL,
    };
    const char *path, *key;
    char method[16];
    json_t *item, *v;

    json_object_foreach (paths, path, item) {
        if (path[0] != '/')
            fail("path %s does not start with '/'", path);
        item = deref(doc, item);
        if (!json_is_object(item)) {
            fail("path %s: the path item is not an object", path);
            continue;
        }
        json_object_foreach (item, key, v) {
            if (listed(key, op_methods)) {
                if (!has_route(key, path))
                    fail("extra in openapi.json: %s %s (no such route)",
                         upper(key, method, sizeof(method)), path);
            } else if (!listed(key, item_fields) &&
                       strncmp(key, "x-", 2) != 0) {
                fail("path %s: unknown member %s", path, key);
            }
        }
    }
}

static void check_embedded(const char *text, size_t len)
{
    size_t at = 0;

    if (openapi_doc_len != len) {
        fail("the embedded openapi_doc has %lu bytes, the file %zu "
             "(rebuild after editing openapi.json)",
             openapi_doc_len, len);
        return;
    }
    while (at < len && openapi_doc[at] == text[at])
        at++;
    if (at < len)
        fail("the embedded openapi_doc differs from the file at byte %zu", at);
    if (openapi_doc[len] != '\0')
        fail("the embedded openapi_doc is not NUL-terminated");
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");
    char file[4096];
    size_t len = 0;
    char *text;
    json_error_t jerr;
    json_t *doc, *paths;
    const char *version;

    check_route_table();
    if (!src || !*src) {
        fprintf(stderr, "test_openapi: COMPUTEDB_SOURCE_DIR is not set\n");
        return 1;
    }
    CHECK((size_t)snprintf(file, sizeof(file), "%s/openapi/openapi.json", src) <
          sizeof(file));
    text = read_file(file, &len);
    check_embedded(text, len);
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        fprintf(stderr, "test_openapi: %s:%d:%d: %s\n", file, jerr.line,
                jerr.column, jerr.text);
    CHECK(json_is_object(doc));
    version = json_string_value(json_object_get(doc, "openapi"));
    if (!version || strncmp(version, "3.1.", 4) != 0)
        fail("openapi is %s, expected 3.1.x", version ? version : "missing");
    paths = json_object_get(doc, "paths");
    CHECK(json_is_object(paths));
    check_refs(doc, doc, 0);
    check_routes_documented(doc, paths);
    check_no_extra(doc, paths);
    json_decref(doc);
    free(text);
    if (failures)
        fprintf(stderr, "test_openapi: %d problem(s)\n", failures);
    CHECK_INT_EQ(failures, 0);
    return 0;
}
