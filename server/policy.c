/* SPDX-License-Identifier: MIT */
/* The authenticate hook: signature headers or the client certificate ->
 * principal -> role. A signed request is its signer, whatever certificate
 * its connection has, unless that certificate is another live principal
 * (principal_conflict); an unsigned one over a client certificate is that
 * certificate's principal (docs/protocol.md section 3.3). */
#include "policy.h"

#include "auth.h"
#include "core/clock.h"
#include "live.h"
#include "metrics.h"
#include "schema/queries.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
        char ss58[CERT_ID_LEN + 1]; /* or a certificate's name */
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

/* Looks name up into *out: a signing key's SS58 (cert false) or a client
 * certificate's name; a row of the other kind is no principal. */
static enum svc_rc find(struct db_pool *pool, const char *ss58, bool cert,
                        struct auth_principal *out)
{
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
    out->found = role_parse(name, &out->role) &&
                 (cert ? strcmp(scheme, "x509") == 0
                       : auth_scheme_parse(scheme, &out->scheme));
    if (!out->found)
        return SVC_OK;
    remember(etag, ss58, out, expires);
    out->expired = expired_at(expires);
    return SVC_OK;
}

static enum svc_rc lookup(void *ctx, const char *ss58,
                          struct auth_principal *out)
{
    return find(ctx, ss58, false, out);
}

static bool is_unsigned(const struct req_sig *sig)
{
    return !sig->signer && !sig->timestamp && !sig->nonce && !sig->signature &&
           !sig->duplicated;
}

/* The message the server verified, for a bad_signature answer: the
 * client diffs it against the one it signed (the body is in it only as
 * its hash, so it holds nothing the client did not send). */
static json_t *verified_message(const struct auth_headers *h,
                                const struct auth_subject *s)
{
    char *msg = malloc(AUTH_MSG_MAX);
    json_t *j = NULL;

    if (msg && auth_message(s, h->timestamp, h->nonce, h->signer, msg,
                            AUTH_MSG_MAX) == SVC_OK)
        j = json_string(msg);
    free(msg);
    return j;
}

/* The advice members of a refusal's error object (docs/protocol.md
 * section 7.4). */
static json_t *advice_json(const struct auth_advice *adv,
                           const struct auth_headers *h,
                           const struct auth_subject *s,
                           enum auth_reason reason)
{
    json_t *o = json_object();

    if (!o)
        return NULL;
    if (adv->hint[0])
        json_object_set_new(o, "hint", json_string(adv->hint));
    if (adv->timing) {
        json_object_set_new(o, "server_time_ms", json_integer(adv->server_ms));
        json_object_set_new(o, "window_ms", json_integer(adv->window_ms));
        json_object_set_new(o, "future_ms", json_integer(adv->future_ms));
        if (reason == AUTH_BEFORE_START)
            json_object_set_new(o, "accept_after_ms",
                                json_integer(adv->accept_after_ms));
    }
    if (reason == AUTH_BAD_SIGNATURE)
        json_object_set_new(o, "signed", verified_message(h, s));
    return o;
}

/* A refused signed request: the short reason code as the message (what
 * clients match on), the header at fault as the field, and the advice. A
 * storage error stays a 5xx with its table text. */
static enum svc_rc refuse(struct req *req, enum svc_rc rc,
                          const struct auth_headers *h,
                          const struct auth_subject *s, enum auth_reason reason)
{
    const char *code = auth_reason_code(reason);
    struct auth_advice adv;

    if (rc != SVC_ERR_UNAUTH && rc != SVC_ERR_RATE)
        return rc;
    auth_advise(req->app->auth, h, reason, clock_unix_ms(), &adv);
    req->reason = code;
    req->err_extra = advice_json(&adv, h, s, reason);
    return req_fail(req, rc, adv.header, "%s", code);
}

/* The request is name, found as *who. */
static void admit(struct req *req, const struct auth_principal *who,
                  const char *name)
{
    req->role = who->role;
    req->secrets = who->role >= ROLE_ADMIN || who->secrets;
    snprintf(req->principal, sizeof(req->principal), "%s", name);
}

/* A request refused for its client certificate: the reason code as the
 * message, the certificate's name and what to do next. */
static enum svc_rc refuse_cert(struct req *req, enum auth_reason reason)
{
    const char *code = auth_reason_code(reason), *id = req->cert_id;
    char hint[320];
    json_t *o = json_object();

    if (reason == AUTH_CERT_REJECTED)
        snprintf(hint, sizeof(hint),
                 "%s: present a certificate issued by a CA of the server's "
                 "--tls-client-ca and within its dates, or sign the request "
                 "instead",
                 req->cert_why ? req->cert_why : "the client certificate");
    else if (reason == AUTH_UNKNOWN_SIGNER)
        snprintf(hint, sizeof(hint),
                 "the client certificate %s is not a principal of this "
                 "server: an admin admits it with `computedb principal add "
                 "--db DB --role reader --cert client.pem` (or PUT "
                 "/admin/principals/%s)",
                 id, id);
    else if (reason == AUTH_EXPIRED)
        snprintf(hint, sizeof(hint),
                 "the principal of the client certificate %s has expired: an "
                 "admin can renew it (computedb principal add ... --expires)",
                 id);
    else
        snprintf(hint, sizeof(hint),
                 "the request is signed by %.48s and its client certificate "
                 "is the principal %s: send one of the two (sign without the "
                 "certificate, or send the certificate unsigned)",
                 req->sig.signer ? req->sig.signer : "", id);
    if (o) {
        json_object_set_new(o, "hint", json_string(hint));
        if (req->cert == REQ_CERT_OK)
            json_object_set_new(o, "certificate", json_string(id));
    }
    metrics_auth_failure(reason);
    req->reason = code;
    req->err_extra = o;
    return req_fail(req, SVC_ERR_UNAUTH, NULL, "%s", code);
}

/* An unsigned request over a client certificate: its principal, or a
 * refusal like an unknown signer's. */
static enum svc_rc by_certificate(struct req *req)
{
    struct auth_principal who = {0};
    enum svc_rc rc;

    if (req->cert != REQ_CERT_OK)
        return refuse_cert(req, AUTH_CERT_REJECTED);
    rc = find(req->app->db, req->cert_id, true, &who);
    if (rc != SVC_OK)
        return rc;
    if (!who.found)
        return refuse_cert(req, AUTH_UNKNOWN_SIGNER);
    if (who.expired)
        return refuse_cert(req, AUTH_EXPIRED);
    admit(req, &who, req->cert_id);
    return SVC_OK;
}

/* A signed request over a client certificate that is a live principal too
 * names two principals: refused (principal_conflict). */
static enum svc_rc agree(struct req *req)
{
    struct auth_principal who = {0};
    enum svc_rc rc;

    if (req->cert != REQ_CERT_OK)
        return SVC_OK;
    rc = find(req->app->db, req->cert_id, true, &who);
    if (rc == SVC_OK && who.found && !who.expired)
        return refuse_cert(req, AUTH_CONFLICT);
    return rc;
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

    if (is_unsigned(&req->sig) && req->cert != REQ_CERT_NONE)
        return by_certificate(req);
    if (is_unsigned(&req->sig) && live_public_read(app->live) &&
        strcmp(req->route->method, "GET") == 0 && /* HEAD runs GET routes */
        req->route->role == ROLE_READER) {
        req->role = ROLE_READER;
        return SVC_OK;
    }
    rc = auth_verify(app->auth, &h, &s, clock_unix_ms(), req->route->role,
                     lookup, app->db, &who, &reason);
    if (rc != SVC_OK) {
        metrics_auth_failure(reason);
        return refuse(req, rc, &h, &s, reason);
    }
    rc = agree(req);
    if (rc == SVC_OK)
        admit(req, &who, req->sig.signer);
    return rc;
}

enum svc_rc policy_nonce_claim(void *ctx, const char *key, int64_t expires_ms,
                               int64_t now_ms, bool *fresh)
{
    return db_nonce_claim(ctx, key, expires_ms, now_ms, fresh);
}
