/* SPDX-License-Identifier: MIT */
/* Online backups with SQLite's backup API: one step over a read snapshot
 * on its own connections, so the service keeps reading and writing while
 * the copy is made, and the copy is exactly the database as of its start.
 * Each copy is made in its own temporary file and linked into place only
 * when finished. */
#include "core/log.h"
#include "lite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool db_backup_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") == n;
}

enum svc_rc db_backup_dir(const struct db_pool *pool, char *out, size_t len)
{
    const char *path = db_pool_path(pool);

    if (db_is_url(path))
        return SVC_ERR_CONFLICT; /* a server, not a file: its own tools */
    const char *slash = strrchr(path, '/');
    int n = slash
                ? snprintf(out, len, "%.*s/backups", (int)(slash - path), path)
                : snprintf(out, len, "backups");

    if (n < 0 || (size_t)n >= len)
        return SVC_ERR_DB;
    if (mkdir(out, 0750) != 0 && errno != EEXIST) {
        log_err("cannot create %s: %s", out, strerror(errno));
        return SVC_ERR_DB;
    }
    return SVC_OK;
}

/* The whole copy in one step: one read transaction, one snapshot. tmp
 * exists (empty, made by mkstemp); a link planted there is not followed. */
static enum svc_rc copy(const char *src_path, const char *tmp)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b;
    int src_rc;
    enum svc_rc rc = SVC_ERR_DB;

    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) ||
        sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                        NULL))
        goto out;
    sqlite3_busy_timeout(src, 5000);
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        goto out;
    src_rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (src_rc == SQLITE_DONE)
        rc = SVC_OK;
    else if ((src_rc & 0xff) == SQLITE_FULL)
        rc = SVC_ERR_FULL;
    else if ((src_rc & 0xff) == SQLITE_BUSY || (src_rc & 0xff) == SQLITE_LOCKED)
        rc = SVC_ERR_BUSY;
out:
    if (rc != SVC_OK)
        log_err("backup of %s failed: %s", src_path,
                dst ? sqlite3_errmsg(dst) : "cannot open");
    sqlite3_close_v2(src);
    sqlite3_close_v2(dst);
    return rc;
}

/* Each copy gets its own temporary file beside dest_path, made with
 * O_EXCL (mkstemp, mode 0600), so concurrent backups, to one name or not,
 * never share one. It is flushed, measured through its own descriptor and
 * only then linked to dest_path: link() never replaces, so of two copies
 * to one name the second gets SVC_ERR_CONFLICT, and a name that exists
 * only ever holds a finished copy. */
enum svc_rc db_backup_file(const char *src_path, const char *dest_path,
                           long long *bytes)
{
    char tmp[4200];
    struct stat st;
    int fd, n;
    enum svc_rc rc;

    if (lstat(dest_path, &st) == 0)
        return SVC_ERR_CONFLICT;
    n = snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", dest_path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return SVC_ERR_DB;
    fd = mkstemp(tmp); /* FD_CLOEXEC below: mkostemp is not POSIX */
    if (fd < 0) {
        log_err("cannot create %s: %s", tmp, strerror(errno));
        return SVC_ERR_DB;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    rc = copy(src_path, tmp);
    if (rc == SVC_OK && (fsync(fd) != 0 || fstat(fd, &st) != 0))
        rc = SVC_ERR_FULL;
    if (rc == SVC_OK && link(tmp, dest_path) != 0)
        rc = errno == EEXIST ? SVC_ERR_CONFLICT : SVC_ERR_DB;
    unlink(tmp);
    close(fd);
    if (rc == SVC_OK)
        *bytes = (long long)st.st_size;
    return rc;
}
