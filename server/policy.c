/* SPDX-License-Identifier: MIT */
/* The authenticate hook: signature headers -> principal -> role. */
#include "policy.h"

#include "../schema/queries.h"
#include "auth.h"
#include "config.h"
#include "metrics.h"

#include <string.h>
#include <time.h>

static enum svc_rc lookup(void *ctx, const char *ss58, enum role *role,
                          bool *found, bool *expired)
{
    struct db_pool *pool = ctx;
    char name[16], now[20];
    time_t t = time(NULL);
    struct tm tm;
    struct db *db;
    enum svc_rc rc = db_read_begin(pool, &db);

    if (rc != SVC_OK)
        return rc;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S", &tm);
    rc = q_principals_lookup(db, ss58, now, name, expired);
    db_read_end(pool, db);
    *found = rc == SVC_OK && role_parse(name, role);
    return rc == SVC_ERR_NOT_FOUND ? SVC_OK : rc;
}

static bool is_unsigned(const struct req_sig *sig)
{
    return !sig->signer && !sig->timestamp && !sig->nonce && !sig->signature &&
           !sig->duplicated;
}

enum svc_rc policy_authenticate(struct req *req)
{
    struct app *app = req->app;
    struct auth_headers h = {req->sig.signer, req->sig.timestamp,
                             req->sig.nonce, req->sig.signature,
                             req->sig.duplicated};
    struct auth_subject s = {auth_audience(app->auth), req->method,
                             req->target ? req->target : req->path, req->body,
                             req->body_len};
    enum auth_reason reason = AUTH_OK;
    enum role role = ROLE_NONE;
    enum svc_rc rc;

    if (is_unsigned(&req->sig) && app->cfg->public_read &&
        strcmp(req->method, "GET") == 0 && req->route->role == ROLE_READER) {
        req->role = ROLE_READER;
        return SVC_OK;
    }
    rc = auth_verify(app->auth, &h, &s, auth_now_ms(), lookup, app->db, &role,
                     &reason);
    if (rc == SVC_OK) {
        req->role = role;
        memcpy(req->principal, req->sig.signer, SS58_LEN + 1);
        return SVC_OK;
    }
    metrics_auth_failure(reason);
    /* 401 bodies carry the short reason code and nothing else. */
    return req_fail(req, rc, NULL, "%s", auth_reason_code(reason));
}
