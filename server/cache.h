/* SPDX-License-Identifier: MIT */
/* Conditional GETs and the rendered-answer cache. A GET takes the
 * validator of the tables it reads (db_etag) before reading; a matching
 * If-None-Match is answered 304 without a query, and an unchanged answer is
 * served from the cache without a query. Correct because validators change
 * only after a commit is visible (schema/sqlite/lite_writer.c). An entry
 * is a body, keyed by target and redaction (the caller's role): who may ask
 * at all (the router's guards, --public-read included) is decided before a
 * handler looks here, and CORS headers are added when the answer is sent,
 * so nothing SIGHUP changes can make an entry wrong. Thread-safe. */
#ifndef SVC_CACHE_H
#define SVC_CACHE_H

#include "req.h"

#include <stdbool.h>

/* True when the request's If-None-Match names etag (weak comparison, or
 * "*"); then rep is a 304 carrying the ETag. */
bool cache_not_modified(const struct req *req, struct reply *rep,
                        const char *etag);
/* Fills rep from the cache entry for key when it holds etag. While another
 * thread renders key, waits for it (briefly) first. On a miss, *filling
 * tells whether this caller is now key's filler: it must then end with
 * cache_put(..., true) or cache_abandon(key). */
bool cache_get(const char *key, const char *etag, struct reply *rep,
               bool *filling);
/* Renders rep's JSON body once, keeps it for key with etag, and makes rep
 * carry the rendered bytes; with filling, releases the fill cache_get()
 * gave. Returns SVC_ERR_NOMEM when rendering fails. */
enum svc_rc cache_put(const char *key, const char *etag, struct reply *rep,
                      bool filling);
/* Gives up key's fill without an answer (the read failed). */
void cache_abandon(const char *key);
/* Drops every entry, for tests that need a cold cache. Fills in progress
 * are not affected. */
void cache_clear(void);

#endif
