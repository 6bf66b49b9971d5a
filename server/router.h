/* SPDX-License-Identifier: MIT */
/* The route table type and dispatch: match a path against the table, then
 * run the guards in a fixed order (404, 405 + Allow, role, body) before the
 * handler. */
#ifndef SVC_ROUTER_H
#define SVC_ROUTER_H

#include "req.h"

#include <stddef.h>

typedef enum svc_rc handler_fn(struct req *req, struct reply *rep);

enum route_flags {
    ROUTE_JSON = 1u << 0, /* body must be a JSON object; sets req->json */
    ROUTE_GPU = 1u << 1,  /* 503 while the GPU pool is disabled */
};

struct route {
    const char *method;  /* "GET", "PUT", ... */
    const char *pattern; /* "/miners/:uid": ":name" captures one segment */
    handler_fn *handler;
    enum role role;    /* least role required; ROLE_NONE is an open route */
    unsigned flags;    /* enum route_flags */
    const char *query; /* accepted query parameters, "a,b"; NULL for none */
};

/* Establishes req->role for a route that needs one (signature check);
 * returns SVC_OK, or the refusal with req->err filled. */
typedef enum svc_rc authenticate_fn(struct req *req);

struct router {
    const struct route *routes; /* borrowed, lives as long as the router */
    size_t n_routes;
    authenticate_fn *authenticate; /* NULL: req->role is already set */
};

/* Returns true when path matches pattern; on a match with req non-NULL the
 * captures are stored in req->params (copied). */
bool router_match(const char *pattern, const char *path, struct req *req);

/* Runs the guards and the matching handler for req, filling rep. Always
 * leaves a complete reply in rep (errors rendered through reply_error).
 * A HEAD request runs its path's GET route, guards and all (the HTTP layer
 * leaves the body out). Returns the outcome. Thread-safe: the table is
 * read-only. */
enum svc_rc router_dispatch(const struct router *r, struct req *req,
                            struct reply *rep);

/* Writes into buf the comma-separated methods that path accepts, HEAD
 * after GET. */
void router_allow(const struct router *r, const char *path, char *buf,
                  size_t len);

/* The service's own route table (handlers/routes.c). */
extern const struct route svc_routes[];
extern const size_t svc_routes_count;

#endif
