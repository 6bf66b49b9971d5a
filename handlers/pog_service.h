/* SPDX-License-Identifier: MIT */
/* The PoG service of a running server: the GPU reference table, the worker
 * pool and the hook that records every job transition in pog_jobs and in
 * the metrics. `computedb serve` and the test harness open it after the
 * database and before HTTP, and close it after HTTP has stopped and before
 * the database closes. */
#ifndef HANDLERS_POG_SERVICE_H
#define HANDLERS_POG_SERVICE_H

#include "../server/config.h"
#include "../server/req.h"

#include <stddef.h>

/* The error a job left unfinished by the previous process reads with. */
#define POG_SERVICE_INTERRUPTED "interrupted by a restart"

/* Opens the PoG service of app (whose db is open) as cfg says: loads
 * --gpu-table, marks the jobs an earlier process left queued or running
 * as failed ("interrupted by a restart"), and, unless --pog-backend is
 * off, starts the pool with ids after the stored ones. Sets app->pog,
 * app->pog_table and app->pog_service. Returns SVC_OK, or an error with
 * why[cap] set for the operator (a table that does not load, "cuda" with
 * no usable GPU, a storage error). Not thread-safe: call before serving. */
SVC_NODISCARD enum svc_rc pog_service_open(struct app *app,
                                           const struct config *cfg, char *why,
                                           size_t cap);

/* Whether this process still holds the PoG workers' role on a shared
 * database (always, on one it owns): a replica whose claim ended with its
 * connection (PostgreSQL restarted) claims it again here, and learns when
 * another replica took it meanwhile. SVC_OK with *held set, or the
 * database's error. */
SVC_NODISCARD enum svc_rc pog_service_holds_workers(struct app *app,
                                                    bool *held);

/* Stops the pool: queued jobs and running ones (stopped at their next
 * check) are recorded as interrupted, as a crash would leave them, while
 * jobs that finish meanwhile keep their result. Frees the table and clears
 * the app members. Call after HTTP has stopped, with the database open.
 * Safe when nothing is open. */
void pog_service_close(struct app *app);

#endif
