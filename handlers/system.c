/* SPDX-License-Identifier: MIT */
/* Open system endpoints: liveness, readiness, version, the contract. */
#include "../server/metrics.h"
#include "handlers.h"
#include "version.h"

#include <stdlib.h>

extern const char openapi_doc[];
extern const unsigned long openapi_doc_len;

/* GET /healthz -> {"status": "ok"}: the process answers. */
enum svc_rc h_health_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_json(rep, 200, json_pack("{s:s}", "status", "ok"));
}

/* GET /readyz -> 200 when the database is writable right now and carries
 * our schema version; else 503 (locked by another process, or a file this
 * build did not migrate) or 507 (disk full). */
enum svc_rc h_ready_get(struct req *req, struct reply *rep)
{
    enum svc_rc rc = db_ready(req->app->db);

    if (rc == SVC_ERR_DB)
        rc = req_fail(req, SVC_ERR_BUSY, NULL, "schema not migrated");
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200,
                      json_pack("{s:s,s:s,s:i}", "status", "ready", "db",
                                "writable", "schema_version",
                                db_schema_version()));
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

/* GET /version */
enum svc_rc h_version_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_json(rep, 200,
                      json_pack("{s:s,s:s,s:s,s:i,s:b}", "version", SVC_VERSION,
                                "git_commit", SVC_GIT_COMMIT, "sqlite",
                                db_sqlite_version(), "schema_version",
                                db_schema_version(), "cuda", 0));
}

/* GET /openapi.json: the contract compiled into the binary. */
enum svc_rc h_openapi_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_raw(rep, 200, "application/json", openapi_doc,
                     (size_t)openapi_doc_len);
}
