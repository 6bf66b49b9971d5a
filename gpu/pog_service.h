/* SPDX-License-Identifier: MIT */
/* The PoG service of a running server: the GPU reference table, the worker
 * pool and the hook that records every job transition in pog_jobs. The
 * process (app/app.c) opens it after the database and before HTTP, and
 * closes it after HTTP has stopped and before the database closes. */
#ifndef GPU_POG_SERVICE_H
#define GPU_POG_SERVICE_H

#include "core/err.h"
#include "pool.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db_pool;
struct gpu_pool;
struct pog_service;
struct pog_table;
struct q_pogjob_filter;

/* The error a job left unfinished by the previous process reads with. */
#define POG_SERVICE_INTERRUPTED "interrupted by a restart"

/* Told of each job transition (for metrics): the job's kind and new
 * state, and for a final state after a run its run time in seconds (else
 * -1). Called on the thread that made the transition. */
typedef void pog_job_event_fn(const char *kind, const char *state,
                              double run_s);

struct pog_service_options {
    struct db_pool *db;    /* borrowed; outlives the service */
    const char *backend;   /* auto|cpu|cuda|off: the PoG workers */
    const char *gpu_table; /* a GPU table file, "" for the built-in */
    unsigned cpu_max_n;    /* largest n the CPU backend accepts */
    unsigned queue_cap;    /* queued jobs per device */
    unsigned max_age_s;    /* finished jobs kept this long (0: a week) */
    size_t max_bytes;      /* stored job rows kept, bytes (0: 256 MiB) */
    unsigned unfinished_per_principal; /* queued or running (0: 8) */
    unsigned stored_per_principal;     /* finished jobs kept (0: 1000) */
    pog_job_event_fn *on_job;          /* or NULL */
};

/* Opens the PoG service as o says: loads the GPU table, marks the jobs an
 * earlier process left queued or running as failed ("interrupted by a
 * restart"), prunes the finished jobs past the limits of o, and, unless
 * the backend is off, starts the pool with ids after the stored ones. On
 * success *out is the new service. Returns SVC_OK, or an error with why[cap]
 * set for the operator (a table that does not load, "cuda" with no usable GPU,
 * a storage error). Not thread-safe: call before serving. */
SVC_NODISCARD enum svc_rc pog_service_open(const struct pog_service_options *o,
                                           struct pog_service **out, char *why,
                                           size_t cap);

/* The worker pool (NULL when this process runs none) and the GPU table
 * (NULL: the built-in), borrowed from svc (NULL-safe). */
struct gpu_pool *pog_service_pool(const struct pog_service *svc);
const struct pog_table *pog_service_table(const struct pog_service *svc);

/* Whether this process still holds the PoG workers' role on a shared
 * database (always, on one it owns): a replica whose claim ended with its
 * connection (PostgreSQL restarted) claims it again here, and learns when
 * another replica took it meanwhile. SVC_OK with *held set, or the
 * database's error. */
SVC_NODISCARD enum svc_rc pog_service_holds_workers(struct pog_service *svc,
                                                    bool *held);

/* Job id as the pool knows it, else as pog_jobs records it (once the pool
 * has let go of it): *out is a new snapshot. SVC_ERR_NOT_FOUND when
 * neither has it, or the database's error. Thread-safe. */
SVC_NODISCARD enum svc_rc pog_service_job(struct pog_service *svc, uint64_t id,
                                          json_t **out);

/* A page of the jobs in pog_jobs that f selects, newest first, each as
 * pog_service_job() reads a stored job: *items is a new array and *next
 * the cursor of the next page (0: none). SVC_OK or the database's error.
 * Thread-safe. */
SVC_NODISCARD enum svc_rc pog_service_list(struct pog_service *svc,
                                           const struct q_pogjob_filter *f,
                                           json_t **items, int64_t *next);

/* Queues spec on the pool (the caller made sure there is one) for
 * principal (the signer's SS58, recorded with the job; NULL or "" for no
 * one) and sets *id. Refuses with SVC_ERR_RATE when principal already has
 * unfinished_per_principal jobs queued or running, and with
 * SVC_ERR_CONFLICT when another replica has taken the workers' role
 * meanwhile. A proof of a compute job the pool has let go of (expired, or
 * run before a restart) is rewritten to recompute the stored round on the
 * same device, where the pool insists on the stored root; so spec may
 * change (its principal is set). Errors name the offending field in err.
 * Thread-safe. */
SVC_NODISCARD enum svc_rc pog_service_submit(struct pog_service *svc,
                                             const char *principal,
                                             struct gpu_job_spec *spec,
                                             uint64_t *id, struct svc_err *err);

/* Cancels job id: SVC_OK when it took effect or will (a running job stops
 * at its next check), SVC_ERR_CONFLICT when the job had already finished
 * (in the pool or as stored), SVC_ERR_NOT_FOUND when there is no such job.
 * Thread-safe. */
SVC_NODISCARD enum svc_rc pog_service_cancel(struct pog_service *svc,
                                             uint64_t id);

/* Stops the pool: queued jobs and running ones (stopped at their next
 * check) are recorded as interrupted, as a crash would leave them, while
 * jobs that finish meanwhile keep their result. Then frees svc. Call after
 * HTTP has stopped, with the database open. NULL-safe. */
void pog_service_close(struct pog_service *svc);

#endif
