/* SPDX-License-Identifier: MIT */
/* /admin: who may sign requests, with which role (no change may leave no
 * live admin, one neither expired nor removed, so the service cannot be
 * locked out over HTTP), and online backups. */
#include "core/auth_msg.h"
#include "core/certid.h"
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* GET /admin/principals -> {"items": [...], "next": null} */
enum svc_rc h_principals_list(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_principals_list, true,
                       DB_TABLE(DB_T_PRINCIPALS));
}

/* GET /admin/principals/{ss58} */
enum svc_rc h_principals_get(struct req *req, struct reply *rep)
{
    return hx_read_by_key(req, rep, "ss58", q_principals_get,
                          "no such principal", DB_TABLE(DB_T_PRINCIPALS));
}

struct principal_put {
    struct q_principal p;
    bool created;
    json_t *row;
};

static enum svc_rc put_tx(struct db *db, void *ctx)
{
    struct principal_put *pp = ctx;
    enum svc_rc rc = q_principals_put(db, &pp->p, &pp->created);

    return rc == SVC_OK ? q_principals_get(db, pp->p.ss58, &pp->row) : rc;
}

/* A client certificate's principal has the scheme x509, given or not. */
static enum svc_rc certificate_scheme(struct req *req, struct q_principal *p)
{
    if (p->scheme && strcmp(p->scheme, "x509") != 0)
        return req_fail(req, SVC_ERR_INVALID, "scheme",
                        "must be x509 (or absent) for a client certificate");
    p->scheme = "x509";
    return SVC_OK;
}

static enum svc_rc decode_principal(struct req *req, struct q_principal *p)
{
    static const char *const fields[] = {"role",   "label",   "expires_at",
                                         "scheme", "secrets", NULL};
    enum role role;
    enum auth_scheme scheme;
    enum svc_rc rc = dec_fields(req, req->json, NULL, fields);

    if (rc == SVC_OK)
        rc = dec_text(req, req->json, NULL, -1, "role", 16, &p->role);
    if (rc == SVC_OK && !role_parse(p->role, &role))
        rc = req_fail(req, SVC_ERR_INVALID, "role",
                      "must be reader, writer or admin");
    if (rc == SVC_OK && dec_has(req->json, "scheme"))
        rc = dec_text(req, req->json, NULL, -1, "scheme", 16, &p->scheme);
    if (rc == SVC_OK && cert_id_is_valid(p->ss58))
        rc = certificate_scheme(req, p);
    else if (rc == SVC_OK && p->scheme &&
             !auth_scheme_parse(p->scheme, &scheme))
        rc = req_fail(req, SVC_ERR_INVALID, "scheme",
                      "must be ed25519 or sr25519 (Bittensor hotkeys are "
                      "sr25519; x509 is for a client certificate's "
                      "sha256:<hex> name)");
    if (rc == SVC_OK && dec_has(req->json, "secrets")) {
        bool secrets = false;

        rc = dec_bool(req, req->json, NULL, -1, "secrets", &secrets);
        p->secrets = secrets;
    }
    if (rc == SVC_OK && dec_has(req->json, "label"))
        rc = dec_text(req, req->json, NULL, -1, "label", 256, &p->label);
    if (rc == SVC_OK && dec_has(req->json, "expires_at"))
        rc = dec_text(req, req->json, NULL, -1, "expires_at", 19,
                      &p->expires_at);
    /* UTC, in the format SQLite's CURRENT_TIMESTAMP compares as text. */
    if (rc == SVC_OK && p->expires_at &&
        !dec_is_datetime(p->expires_at, ' ', false))
        rc = req_fail(req, SVC_ERR_INVALID, "expires_at",
                      "must be YYYY-MM-DD HH:MM:SS (UTC)");
    return rc;
}

/* PUT /admin/principals/{ss58}
 * {"role", "scheme"?, "secrets"?, "label"?, "expires_at"?}
 * -> 201 (new) or 200 with the principal. */
enum svc_rc h_principals_put(struct req *req, struct reply *rep)
{
    struct principal_put pp = {.p.secrets = -1};
    enum svc_rc rc = dec_path_key(req, "ss58", &pp.p.ss58);

    if (rc == SVC_OK)
        rc = decode_principal(req, &pp.p);
    if (rc == SVC_OK)
        rc = db_write(req->app->db, put_tx, &pp);
    if (rc == SVC_ERR_CONFLICT && strcmp(pp.p.role, "admin") != 0)
        return req_fail(req, rc, "role",
                        "the last live admin cannot be demoted: no live admin "
                        "would remain; make another admin first");
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "expires_at",
                        "the last live admin cannot expire now: no live "
                        "admin would remain; give a later expires_at or make "
                        "another admin first");
    if (rc != SVC_OK)
        return rc;
    if (pp.created)
        hx_location(rep, "/admin/principals/%s", pp.p.ss58);
    return reply_json(rep, pp.created ? 201 : 200, pp.row);
}

/* q_principals_delete (shared with the CLI) answers SVC_ERR_NOT_FOUND
 * itself, which hx_delete_by_key also takes as a 404. */
static enum svc_rc delete_principal(struct db *db, const char *ss58,
                                    bool *deleted)
{
    *deleted = true;
    return q_principals_delete(db, ss58);
}

/* DELETE /admin/principals/{ss58} -> 204; 404 when absent; 409 for the
 * last live admin (others may exist, expired). */
enum svc_rc h_principals_delete(struct req *req, struct reply *rep)
{
    enum svc_rc rc = hx_delete_by_key(req, rep, "ss58", delete_principal,
                                      "no such principal");

    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "ss58",
                        "the last live admin cannot be removed: no live "
                        "admin would remain; make another admin (or renew "
                        "an expired one) first");
    return rc;
}

/* ---- backups ----------------------------------------------------------- */

struct backup_file {
    char dir[4096];
    char path[4200];
};

/* The backup folder; a PostgreSQL database has none (409). */
static enum svc_rc backup_dir(struct req *req, struct backup_file *f)
{
    enum svc_rc rc = db_backup_dir(req->app->db, f->dir, sizeof(f->dir));

    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, NULL,
                        "the database is PostgreSQL: back it up with "
                        "pg_dump or the server's own tools");
    return rc;
}

/* Resolves name (validated; no paths) inside the backup folder. */
static enum svc_rc backup_path(struct req *req, const char *name,
                               struct backup_file *f)
{
    enum svc_rc rc;

    if (!db_backup_name_ok(name))
        return req_fail(req, SVC_ERR_INVALID, "name",
                        "must be 1-64 of [A-Za-z0-9._-], not starting with "
                        "'.' or '-'");
    rc = backup_dir(req, f);
    if (rc == SVC_OK)
        snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
    return rc;
}

/* POST /admin/backup {"name"?} -> 201 {"name", "bytes"} + Location: an
 * online, consistent copy into the backups folder beside the database;
 * bytes is the size of the finished copy. Of two concurrent backups to one
 * name, the one that finishes first gets the name, the other a 409 (a
 * name is one file; a copy under another name would surprise its client).
 * 507 before anything while the disk is short of --min-free-disk. */
enum svc_rc h_backup_post(struct req *req, struct reply *rep)
{
    static const char *const fields[] = {"name", NULL};
    char name[80];
    const char *given = NULL;
    struct backup_file f;
    long long bytes = 0;
    time_t now = time(NULL);
    struct tm tm;
    enum svc_rc rc = hx_need_space(req);

    if (rc == SVC_OK)
        rc = dec_fields(req, req->json, NULL, fields);
    if (rc == SVC_OK && dec_has(req->json, "name"))
        rc = dec_text(req, req->json, NULL, -1, "name", 64, &given);
    if (rc != SVC_OK)
        return rc;
    gmtime_r(&now, &tm);
    strftime(name, sizeof(name), "backup-%Y%m%dT%H%M%SZ.db", &tm);
    rc = backup_path(req, given ? given : name, &f);
    if (rc != SVC_OK)
        return rc;
    rc = db_backup_file(db_pool_path(req->app->db), f.path, &bytes);
    if (rc == SVC_ERR_CONFLICT)
        return req_fail(req, rc, "name", "a backup of that name exists");
    if (rc != SVC_OK)
        return rc;
    hx_location(rep, "/admin/backup?name=%s", given ? given : name);
    return reply_json(rep, 201,
                      json_pack("{s:s,s:I}", "name", given ? given : name,
                                "bytes", (json_int_t)bytes));
}

/* Whether name is SQLite's side file of a backup opened in place (a copy
 * of a WAL database is one too) rather than a backup. */
static bool is_side_file(const char *name)
{
    static const char *const ends[] = {"-wal", "-shm", "-journal"};
    size_t n = strlen(name);

    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        size_t e = strlen(ends[i]);

        if (n > e && strcmp(name + n - e, ends[i]) == 0)
            return true;
    }
    return false;
}

/* The newest regular file in dir into name (len bytes), never a link, a
 * copy still being made or a side file; false if none. */
static bool newest(const char *dir, char *name, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    time_t best = 0;
    char path[4400];
    struct stat st;

    if (!d)
        return false;
    name[0] = '\0';
    while ((e = readdir(d))) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (!db_backup_name_ok(e->d_name) || strstr(e->d_name, ".partial-") ||
            is_side_file(e->d_name) || lstat(path, &st) != 0 ||
            !S_ISREG(st.st_mode) || st.st_mtime < best)
            continue;
        best = st.st_mtime;
        /* Valid names are at most 64 bytes, so this never truncates. */
        snprintf(name, len, "%.64s", e->d_name);
    }
    closedir(d);
    return name[0] != '\0';
}

/* GET /admin/backup[?name=] -> the backup file (the newest by default). */
enum svc_rc h_backup_get(struct req *req, struct reply *rep)
{
    char name[80];
    const char *want = req_query(req, "name");
    struct backup_file f;
    struct stat st;
    int fd;
    enum svc_rc rc = backup_dir(req, &f);

    if (rc != SVC_OK)
        return rc;
    if (!want && !newest(f.dir, name, sizeof(name)))
        return req_fail(req, SVC_ERR_NOT_FOUND, NULL, "no backups yet");
    rc = backup_path(req, want ? want : name, &f);
    if (rc != SVC_OK)
        return rc;
    /* A copy still being made is no backup yet. */
    if (strstr(want ? want : name, ".partial-"))
        return req_fail(req, SVC_ERR_NOT_FOUND, "name", "no such backup");
    /* Only regular files the server made: never through a symbolic link
     * planted in the folder, and without blocking on a FIFO. */
    fd = open(f.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        return req_fail(req, SVC_ERR_NOT_FOUND, "name",
                        "that backup is a symbolic link: refused (backups "
                        "are regular files)");
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return req_fail(req, SVC_ERR_NOT_FOUND, "name", "no such backup");
    }
    return reply_file(rep, 200, "application/vnd.sqlite3", fd,
                      (unsigned long long)st.st_size, want ? want : name);
}
