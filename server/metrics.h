/* SPDX-License-Identifier: MIT */
/* Process-wide counters for GET /metrics (Prometheus text format 0.0.4):
 * requests by route template, method and status, latency histograms per
 * route, in-flight requests, auth failures by reason, PoG jobs, outcomes
 * of the validator's data as it is written, and the database and process
 * gauges gathered at scrape time. Lock-free (atomics). */
#ifndef SVC_METRICS_H
#define SVC_METRICS_H

#include "auth.h"
#include "req.h"
#include "router.h"

#include <stddef.h>

/* Binds the counters to a route table (at most 64 routes). Call once before
 * serving; requests for other tables count as unmatched. */
void metrics_init(const struct route *routes, size_t n);

/* A request began; it was answered (route NULL when none matched); its
 * connection let go of it (answered or not). */
void metrics_request_begin(void);
void metrics_request_end(const struct route *rt, int status, double seconds);
void metrics_request_finish(void);
/* Requests begun and not yet finished. */
long metrics_in_flight(void);

/* A signed request was refused for reason. */
void metrics_auth_failure(enum auth_reason reason);
/* Counts a connection shut for missing its deadline in phase ("head",
 * "body", "idle"; server/conn_watch.h). Thread-safe. */
void metrics_conn_expired(const char *phase);
/* Counts a TLS handshake: completed when reason is NULL, else failed for
 * reason ("protocol_version", "no_cipher", "bad_certificate", "not_tls",
 * "other"; server/tls.c). Thread-safe. */
void metrics_tls_handshake(const char *reason);

/* A PoG job of kind entered state (the names gpu/pool.h gives them:
 * "compute", "done"); run_s >= 0 is how long a finished job ran, observed
 * into the duration histogram. Unknown names are ignored. Called from the
 * pool's event hook, on any thread. */
void metrics_pog_job(const char *kind, const char *state, double run_s);

/* Counters of the validator's data as this process writes it, each split
 * in two by one label: X(NAME, metric, label, first value, second value,
 * help). Bumped on write, so a scrape costs no query. */
#define METRICS_OUTCOME_LIST(X)                                                \
    X(CHALLENGES, "computedb_challenges_total", "outcome", "success",          \
      "failure", "Challenge results written (POST /challenges), by outcome.")  \
    X(POG_VERDICTS, "computedb_pog_verdicts_total", "verdict", "pass", "fail", \
      "PoG proofs checked (POST /pog/verify), by verdict.")                    \
    X(POG_RESULTS, "computedb_pog_results_total", "outcome", "pass", "fail",   \
      "PoG results recorded in pog_stats (POST /pog/stats, POST /pog/verify "  \
      "with a hotkey), by outcome.")

enum metrics_outcome {
#define X(name, metric, label, first, second, help) METRICS_##name,
    METRICS_OUTCOME_LIST(X)
#undef X
        METRICS_OUTCOME_COUNT
};

/* Adds first and second to the two counters of m (challenges: successes
 * and failures; PoG: passes and failures). Thread-safe. */
void metrics_outcome(enum metrics_outcome m, unsigned long long first,
                     unsigned long long second);

/* Renders every metric for app into a new malloc'd string *out. Returns
 * SVC_OK or SVC_ERR_NOMEM, or a storage error while counting rows. */
SVC_NODISCARD enum svc_rc metrics_render(struct app *app, char **out,
                                         size_t *len);

#endif
