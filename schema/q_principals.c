/* SPDX-License-Identifier: MIT */
/* principals: the keys (as SS58 addresses) allowed to call the API, with
 * their signature scheme, role and optional expiry. */
#include "core/clock.h"
#include "queries.h"
#include "stmt.h"

#include <stdio.h>
#include <string.h>

static enum svc_rc principal_row(struct db_stmt *st, void *ctx)
{
    json_t **out = ctx;

    *out = json_pack("{s:o,s:o,s:o,s:b,s:o,s:o,s:o}", "ss58",
                     db_col_text(st, 0), "scheme", db_col_text(st, 5), "role",
                     db_col_text(st, 1), "secrets", db_col_int(st, 6) != 0,
                     "label", db_col_text(st, 2), "created_at",
                     db_col_text(st, 3), "expires_at", db_col_text(st, 4));
    return *out ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_principals_list(struct db *db, json_t **out)
{
    static const char sql[] = "SELECT ss58, role, label, created_at, "
                              "expires_at, scheme, secrets FROM principals "
                              "ORDER BY created_at, ss58";

    return db_array(db, sql, principal_row, out);
}

enum svc_rc q_principals_get(struct db *db, const char *ss58, json_t **out)
{
    static const char sql[] = "SELECT ss58, role, label, created_at, "
                              "expires_at, scheme, secrets FROM principals "
                              "WHERE ss58 = ?1";

    return db_one_text(db, sql, ss58, principal_row, out);
}

struct lookup {
    char *role;
    char *expires;
    char *scheme;
    bool *secrets;
};

static enum svc_rc lookup_row(struct db_stmt *st, void *ctx)
{
    struct lookup *l = ctx;
    const char *role = db_col_str(st, 0);
    const char *exp = db_col_str(st, 1);

    snprintf(l->role, 16, "%s", role ? role : "");
    const char *scheme = db_col_str(st, 2);

    snprintf(l->expires, 20, "%s", exp ? exp : "");
    snprintf(l->scheme, 16, "%s", scheme ? scheme : "");
    *l->secrets = db_col_int(st, 3) != 0;
    return SVC_OK;
}

enum svc_rc q_principals_lookup(struct db *db, const char *ss58, char role[16],
                                char expires[20], char scheme[16],
                                bool *secrets)
{
    static const char sql[] = "SELECT role, expires_at, scheme, secrets FROM "
                              "principals WHERE ss58 = ?1";
    struct lookup l = {role, expires, scheme, secrets};

    return db_one_text(db, sql, ss58, lookup_row, &l);
}

static enum svc_rc count_query(struct db *db, const char *sql, const char *arg,
                               int64_t *out)
{
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    if (arg)
        db_bind_text(st, 1, arg);
    rc = db_one(st, db_row_int, out);
    return rc == SVC_ERR_NOT_FOUND ? SVC_ERR_DB : rc; /* COUNT has a row */
}

enum svc_rc q_principals_count(struct db *db, int64_t *out)
{
    static const char sql[] = "SELECT COUNT(*) FROM principals";

    return count_query(db, sql, NULL, out);
}

/* Admins that can sign now: role admin with no expiry or one after now,
 * the rule policy.c applies to every request (the fixed-width UTC text
 * compares as the times do). */
static enum svc_rc live_admins(struct db *db, const char *now, int64_t *out)
{
    static const char sql[] =
        "SELECT COUNT(*) FROM principals WHERE role = 'admin' AND "
        "(expires_at IS NULL OR expires_at = '' OR expires_at > ?1)";

    return count_query(db, sql, now, out);
}

/* Called after a change, in its transaction: SVC_ERR_CONFLICT when it
 * left no live admin where there were `before`. db_write undoes a failed
 * fn, so a refused change writes nothing. A database that had no live
 * admin (first run, or one locked out and being repaired offline) may be
 * changed freely: refusing would not give it an admin back. */
static enum svc_rc keep_a_live_admin(struct db *db, const char *now,
                                     int64_t before)
{
    int64_t after = 0;
    enum svc_rc rc = live_admins(db, now, &after);

    if (rc == SVC_OK && before > 0 && after == 0)
        return SVC_ERR_CONFLICT;
    return rc;
}

enum svc_rc q_principals_put(struct db *db, const struct q_principal *p,
                             bool *created)
{
    static const char sql[] =
        "INSERT INTO principals (ss58, role, label, created_at, expires_at, "
        "scheme, secrets) VALUES (?1, ?2, ?3, ?4, ?5, COALESCE(?6, "
        "'ed25519'), COALESCE(?7, 0)) ON CONFLICT(ss58) DO UPDATE SET "
        "role = excluded.role, label = excluded.label, "
        "expires_at = excluded.expires_at, "
        "scheme = COALESCE(?6, principals.scheme), "
        "secrets = COALESCE(?7, principals.secrets)";
    static const char exists[] = "SELECT COUNT(*) FROM principals "
                                 "WHERE ss58 = ?1";
    char now[20];
    int64_t n = 0, live = 0;
    struct db_stmt *st = NULL;
    enum svc_rc rc;

    clock_utc_text(now);
    rc = count_query(db, exists, p->ss58, &n);
    if (rc == SVC_OK)
        rc = live_admins(db, now, &live);
    if (rc == SVC_OK)
        rc = db_stmt(db, sql, &st);
    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, p->ss58);
    db_bind_text(st, 2, p->role);
    db_bind_text(st, 3, p->label);
    db_bind_text(st, 4, now);
    db_bind_text(st, 5, p->expires_at);
    db_bind_text(st, 6, p->scheme);
    if (p->secrets < 0)
        db_bind_null(st, 7);
    else
        db_bind_int(st, 7, p->secrets != 0);
    rc = db_step_done(st);
    if (rc == SVC_OK)
        rc = keep_a_live_admin(db, now, live);
    if (rc == SVC_OK)
        *created = n == 0;
    return rc;
}

enum svc_rc q_principals_delete(struct db *db, const char *ss58)
{
    static const char sql[] = "DELETE FROM principals WHERE ss58 = ?1";
    char now[20];
    int64_t live = 0;
    bool changed = false;
    enum svc_rc rc;

    clock_utc_text(now);
    rc = live_admins(db, now, &live);
    if (rc == SVC_OK)
        rc = db_write_text(db, sql, ss58, &changed);
    if (rc == SVC_OK && !changed)
        return SVC_ERR_NOT_FOUND;
    return rc == SVC_OK ? keep_a_live_admin(db, now, live) : rc;
}
