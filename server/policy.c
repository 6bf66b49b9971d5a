/* SPDX-License-Identifier: MIT */
/* The authenticate hook: signature headers -> principal -> role. */
#include "policy.h"

#include "auth.h"
#include "core/clock.h"
#include "live.h"
#include "metrics.h"
#include "schema/queries.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Principals seen lately, valid while the database's validator stays the
 * same (any commit renews it, a principal change included), so most signed
 * requests need no database read before their signature is checked. */
enum { CACHED = 64 };

static struct {
    pthread_mutex_t lock;
    char etag[64];
    struct {
        char ss58[SS58_LEN + 1];
        enum role role;
        enum auth_scheme scheme;
        bool secrets;
        char expires[20]; /* "" for never */
    } e[CACHED];
    unsigned n;
} principals = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool expired_at(const char *expires)
{
    char now[20];

    clock_utc_text(now);
    return expires[0] && strcmp(expires, now) <= 0;
}

/* The cached entry for ss58 under etag into *out: 1 found, 0 not cached. */
static int cached(const char *etag, const char *ss58,
                  struct auth_principal *out)
{
    int hit = 0;

    pthread_mutex_lock(&principals.lock);
    if (strcmp(principals.etag, etag) != 0) {
        snprintf(principals.etag, sizeof(principals.etag), "%s", etag);
        principals.n = 0;
    }
    for (unsigned i = 0; i < principals.n && !hit; i++) {
        if (strcmp(principals.e[i].ss58, ss58) != 0)
            continue;
        out->found = true;
        out->role = principals.e[i].role;
        out->scheme = principals.e[i].scheme;
        out->secrets = principals.e[i].secrets;
        out->expired = expired_at(principals.e[i].expires);
        hit = 1;
    }
    pthread_mutex_unlock(&principals.lock);
    return hit;
}

static void remember(const char *etag, const char *ss58,
                     const struct auth_principal *p, const char *expires)
{
    pthread_mutex_lock(&principals.lock);
    if (strcmp(principals.etag, etag) == 0 && principals.n < CACHED) {
        unsigned i = principals.n++;

        snprintf(principals.e[i].ss58, sizeof(principals.e[i].ss58), "%s",
                 ss58);
        principals.e[i].role = p->role;
        principals.e[i].scheme = p->scheme;
        principals.e[i].secrets = p->secrets;
        snprintf(principals.e[i].expires, sizeof(principals.e[i].expires), "%s",
                 expires);
    }
    pthread_mutex_unlock(&principals.lock);
}

static enum svc_rc lookup(void *ctx, const char *ss58,
                          struct auth_principal *out)
{
    struct db_pool *pool = ctx;
    char name[16], etag[64], expires[20] = "", scheme[16] = "";
    struct db *db;
    enum svc_rc rc;

    db_etag(pool, DB_TABLE(DB_T_PRINCIPALS), etag);
    if (cached(etag, ss58, out))
        return SVC_OK;
    rc = db_read_begin(pool, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_principals_lookup(db, ss58, name, expires, scheme, &out->secrets);
    db_read_end(pool, db);
    if (rc == SVC_ERR_NOT_FOUND)
        return SVC_OK;
    if (rc != SVC_OK)
        return rc;
    /* A row the CHECK constraints would not allow (another tool's write)
     * is no principal. */
    out->found =
        role_parse(name, &out->role) && auth_scheme_parse(scheme, &out->scheme);
    if (!out->found)
        return SVC_OK;
    remember(etag, ss58, out, expires);
    out->expired = expired_at(expires);
    return SVC_OK;
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
                             req->target ? req->target : req->path, req->body.p,
                             req->body.len};
    enum auth_reason reason = AUTH_OK;
    struct auth_principal who = {0};
    enum svc_rc rc;

    if (is_unsigned(&req->sig) && live_public_read(app->live) &&
        strcmp(req->method, "GET") == 0 && req->route->role == ROLE_READER) {
        req->role = ROLE_READER;
        return SVC_OK;
    }
    rc = auth_verify(app->auth, &h, &s, clock_unix_ms(), req->route->role,
                     lookup, app->db, &who, &reason);
    if (rc == SVC_OK) {
        req->role = who.role;
        req->secrets = who.role >= ROLE_ADMIN || who.secrets;
        memcpy(req->principal, req->sig.signer, SS58_LEN + 1);
        return SVC_OK;
    }
    metrics_auth_failure(reason);
    /* 401 bodies carry the short reason code and nothing else. */
    return req_fail(req, rc, NULL, "%s", auth_reason_code(reason));
}

enum svc_rc policy_nonce_claim(void *ctx, const char *key, int64_t expires_ms,
                               int64_t now_ms, bool *fresh)
{
    return db_nonce_claim(ctx, key, expires_ms, now_ms, fresh);
}
