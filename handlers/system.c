/* SPDX-License-Identifier: MIT */
/* Open system endpoints: liveness, readiness, version, the contract. */
#include "handlers.h"
#include "version.h"

extern const char openapi_doc[];
extern const unsigned long openapi_doc_len;

/* GET /healthz -> {"status": "ok"}: the process answers. */
enum svc_rc h_health_get(struct req *req, struct reply *rep)
{
    (void)req;
    return reply_json(rep, 200, json_pack("{s:s}", "status", "ok"));
}

/* GET /readyz -> 200 when a database connection can open a transaction,
 * else the storage error (503 while the file is locked). */
enum svc_rc h_ready_get(struct req *req, struct reply *rep)
{
    struct db *db;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    db_read_end(req->app->db, db);
    return reply_json(rep, 200,
                      json_pack("{s:s,s:i}", "status", "ready",
                                "schema_version", db_schema_version()));
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
