/* SPDX-License-Identifier: MIT */
/* The one wiring of the process: app_open() builds a running server from
 * a configuration (database, first-run admin, signature verifier, PoG
 * service, HTTP) and app_close() takes it down in the reverse order.
 * `computedb serve` and the test harness both use it. */
#ifndef APP_APP_H
#define APP_APP_H

#include "config.h"
#include "server/req.h"
#include "server/router.h"

#include <stdint.h>

struct http_server;

/* A running server. Members are read-only for the caller. */
struct app_run {
    struct app app;           /* what every request shares */
    const struct config *cfg; /* borrowed; must outlive the run */
    struct router router;     /* the route table and its authenticator */
    struct http_server *http; /* NULL once stopped */
    bool first_run;           /* the admin key was made an admin now */
    int bound_fd; /* the port, bound before anything else, until HTTP takes
                     it; -1 after */
};

/* Opens everything cfg describes, in order: metrics, the database (its
 * folder made when missing), on a database without principals the
 * first-run admin key (cfg->admin_key, never overwritten; "" skips it,
 * which only code can ask for), the verifier, the PoG service and the
 * HTTP server. On success *out is the new run. Returns SVC_OK, or the
 * first failure after logging what to do about it. Not thread-safe. */
SVC_NODISCARD enum svc_rc app_open(const struct config *cfg,
                                   struct app_run **out);

/* The port the server listens on (the bound one for port 0). */
uint16_t app_port(const struct app_run *run);

/* Hands the SIGHUP-changeable settings of cfg (CORS origins,
 * --public-read) to the running server, and on HTTPS loads the
 * certificate and key files again (a bad one is logged and the served
 * certificate kept). */
void app_reload(struct app_run *run, const struct config *cfg);

/* Graceful stop: no new connections, requests in flight get up to the
 * configured shutdown timeout, then HTTP stops, the PoG workers stop
 * (their unfinished jobs recorded as interrupted) and the WAL is folded
 * back. app_close() is still needed. */
void app_drain(struct app_run *run);

/* Stops what is still running and frees run: HTTP, the PoG service, the
 * verifier, the database. NULL-safe. */
void app_close(struct app_run *run);

#endif
