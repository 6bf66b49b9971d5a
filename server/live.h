/* SPDX-License-Identifier: MIT */
/* The settings a running server may change on SIGHUP (--public-read and
 * the CORS origins), read by request threads under a read lock. */
#ifndef SVC_LIVE_H
#define SVC_LIVE_H

#include <stdbool.h>

enum { LIVE_MAX_CORS = 8, LIVE_ORIGIN_MAX = 256 };

struct live_options {
    bool public_read; /* unsigned GETs of reader routes allowed */
    char cors[LIVE_MAX_CORS][LIVE_ORIGIN_MAX]; /* allowed Origins ("*": any) */
    unsigned n_cors;
};

struct live;

/* Returns new live settings holding a copy of o, or NULL on out of
 * memory. */
struct live *live_new(const struct live_options *o);
/* Releases l; NULL-safe. Call once no request can read it. */
void live_free(struct live *l);
/* Replaces the settings with a copy of o, atomically for readers. */
void live_set(struct live *l, const struct live_options *o);
/* --public-read as it stands now; false when l is NULL. Thread-safe. */
bool live_public_read(struct live *l);
/* True when origin may call us cross-origin; false when l or origin is
 * NULL. Thread-safe. */
bool live_cors_allows(struct live *l, const char *origin);

#endif
