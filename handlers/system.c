/* SPDX-License-Identifier: MIT */
/* Open system endpoints: liveness, readiness, version, the contract. */
#include "gpu/pog_service.h"
#include "gpu/pool.h"
#include "handlers.h"
#include "server/metrics.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>

extern const char openapi_doc[];
extern const unsigned long openapi_doc_len;

/* GET /healthz -> {"status": "ok"}: the process answers. */
enum svc_rc h_health_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_json(rep, 200, json_pack("{s:s}", "status", "ok"));
}

/* {"backend", "devices", "ready"} of the PoG workers; backend "off" with
 * no devices when there are none. */
static json_t *pog_state(struct gpu_pool *pool)
{
    json_t *info, *devs, *d;
    json_int_t ready = 0;
    size_t i;

    if (!pool)
        return json_pack("{s:s,s:i,s:i}", "backend", "off", "devices", 0,
                         "ready", 0);
    info = gpu_pool_info(pool);
    devs = json_object_get(info, "devices");
    json_array_foreach (devs, i, d) {
        const char *st = json_string_value(json_object_get(d, "state"));

        ready += st && strcmp(st, "ready") == 0;
    }
    json_decref(info);
    return json_pack("{s:s,s:i,s:I}", "backend", gpu_pool_backend(pool),
                     "devices", gpu_pool_devices(pool), "ready", ready);
}

/* GET /readyz -> 200 when the database is writable right now and carries
 * our schema version; else 503 (locked by another process, a file this
 * build did not migrate, or on PostgreSQL no writable primary reachable: a
 * standby, a failover under way) or 507 (disk full). The PoG workers are
 * reported but never make the service unready: the data routes work
 * without them. */
enum svc_rc h_ready_get(struct req *req, struct reply *rep)
{
    enum svc_rc rc = db_ready(req->app->db);

    if (rc == SVC_ERR_DB)
        rc = req_fail(req, SVC_ERR_BUSY, NULL, "schema not migrated");
    if (rc != SVC_OK)
        return rc;
    return reply_json(
        rep, 200,
        json_pack("{s:s,s:s,s:i,s:o}", "status", "ready", "db", "writable",
                  "schema_version", DB_SCHEMA_VERSION, "pog",
                  pog_state(pog_service_pool(req->app->pog_service))));
}

/* GET /metrics: Prometheus text format. */
enum svc_rc h_metrics_get(struct req *req, struct reply *rep)
{
    char *text = NULL;
    size_t len = 0;
    enum svc_rc rc = metrics_render(req->app, &text, &len);

    if (rc != SVC_OK)
        return rc;
    rc = reply_raw(rep, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                   len);
    free(text);
    return rc;
}

/* GET /version: "cuda" tells whether the CUDA backend is compiled in,
 * "pog_backend" which backend the PoG workers run ("off" when none). */
enum svc_rc h_version_get(struct req *req, struct reply *rep)
{
    struct gpu_pool *pool = pog_service_pool(req->app->pog_service);

    return reply_json(
        rep, 200,
        json_pack("{s:s,s:s,s:s,s:i,s:b,s:s}", "version", COMPUTEDB_VERSION,
                  "git_commit", COMPUTEDB_GIT_COMMIT, "sqlite",
                  db_sqlite_version(), "schema_version", DB_SCHEMA_VERSION,
                  "cuda", gpu_cuda_present(), "pog_backend",
                  pool ? gpu_pool_backend(pool) : "off"));
}

/* GET /openapi.json: the contract compiled into the binary. */
enum svc_rc h_openapi_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_static(rep, 200, "application/json", openapi_doc,
                        (size_t)openapi_doc_len);
}
