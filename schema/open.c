/* SPDX-License-Identifier: MIT */
/* The storage floor's front door: opens a pool with the driver the --db
 * value names (a postgres:// or postgresql:// URL selects PostgreSQL,
 * anything else is a SQLite file), and copies a SQLite database into
 * PostgreSQL. The only code that knows both drivers; neither driver
 * calls the other. */
#include "core/log.h"
#include "driver.h"

#include <stdio.h>
#include <string.h>

enum svc_rc db_pool_open(const struct db_options *opt, struct db_pool **out)
{
    if (!db_is_url(opt->path))
        return lite_pool_open(opt, out);
#ifdef COMPUTEDB_HAVE_PG
    return pg_pool_open(opt, out);
#else
    log_err("this build has no PostgreSQL driver (libpq was not found when "
            "it was built); use a SQLite file");
    return SVC_ERR_INVALID;
#endif
}

#ifdef COMPUTEDB_HAVE_PG
enum svc_rc db_copy_to_postgres(const char *sqlite_path, const char *url,
                                db_copy_fn *progress, void *ctx, char *err,
                                size_t errlen)
{
    /* Opened as the service opens it: upgraded to our schema first. */
    struct db_options o = {.path = sqlite_path,
                           .readers = 1,
                           .busy_timeout_ms = 5000,
                           .sync_full = true};
    struct db_pool *src = NULL;
    struct db *snap = NULL;
    enum svc_rc rc = lite_pool_open(&o, &src);

    snprintf(err, errlen, "cannot open %s", sqlite_path);
    if (rc == SVC_OK)
        rc = db_read_begin(src, &snap);
    if (rc == SVC_OK) {
        snprintf(err, errlen, "failed");
        rc = pg_import(snap, url, progress, ctx, err, errlen);
        db_read_end(src, snap);
    }
    db_pool_close(src);
    return rc;
}
#else
enum svc_rc db_copy_to_postgres(const char *sqlite_path, const char *url,
                                db_copy_fn *progress, void *ctx, char *err,
                                size_t errlen)
{
    (void)sqlite_path;
    (void)url;
    (void)progress;
    (void)ctx;
    snprintf(err, errlen,
             "this build has no PostgreSQL driver (libpq was "
             "not found when it was built)");
    return SVC_ERR_INVALID;
}
#endif
