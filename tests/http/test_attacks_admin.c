/* SPDX-License-Identifier: MIT */
/* Attacks on the admin routes (issue 13, items 8 and 10): an admin locking
 * the service out over HTTP (expiring itself, or removing itself while the
 * only other admin is expired) is refused with 409 and nothing written;
 * concurrent backups to one name never share a temporary file (one 201
 * whose size is the finished file's, the others 409, no leftovers); a
 * download never follows a symbolic link, opens a FIFO or serves a copy
 * still being made. */
#include "app/config.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { RACERS = 6, ROUNDS = 4 };

static void tweak(struct config *cfg)
{
    cfg->write_threads = RACERS; /* the backups really run side by side */
}

static void put_principal(const char *ss58, const char *body, long status)
{
    char path[128];
    struct resp r;

    snprintf(path, sizeof(path), "/admin/principals/%s", ss58);
    r = th_send("PUT", path, body);
    if (r.status != status)
        fprintf(stderr, "PUT %s %s: %s\n", path, body, r.body);
    CHECK_INT_EQ(r.status, status);
    th_resp_free(&r);
}

/* ss58's row as "role|expires_at" and how many principals exist. */
static char *principal_state(const char *ss58)
{
    return tu_text("SELECT role || '|' || COALESCE(expires_at, '-') || '|' "
                   "|| (SELECT COUNT(*) FROM principals) FROM principals "
                   "WHERE ss58 = %Q",
                   ss58);
}

/* A refused principal change: 409 naming field, a message that says why
 * and what to do, and the principal as it was. */
static void refused(const char *method, const char *ss58, const char *body,
                    const char *field)
{
    char path[128], *before = principal_state(ss58), *after;
    struct resp r;

    snprintf(path, sizeof(path), "/admin/principals/%s", ss58);
    r = th_send(method, path, body);
    th_expect_error(&r, 409, "conflict", field);
    CHECK(strstr(r.body, "no live admin would remain") != NULL);
    CHECK(strstr(r.body, "another admin") != NULL);
    th_resp_free(&r);
    after = principal_state(ss58);
    CHECK(before && after);
    CHECK_STR_EQ(after, before);
    free(before);
    free(after);
}

static void expect_status(struct resp r, long status)
{
    if (r.status != status)
        fprintf(stderr, "unexpected answer: %s\n", r.body ? r.body : "");
    CHECK_INT_EQ(r.status, status);
    th_resp_free(&r);
}

static void test_no_lockout(void)
{
    const struct th_key *a = th_admin(), *b = th_key_new(ROLE_ADMIN);
    static const char past[] =
        "{\"role\": \"admin\", \"expires_at\": \"2001-01-01 00:00:00\"}";
    char path[128];

    /* b expires: allowed, a stays live. */
    put_principal(b->ss58, past, 200);
    th_use(b);
    expect_status(th_get("/admin/principals"), 401);
    th_use(a);
    /* a, the last live admin, may not expire itself, be demoted, or be
     * removed while the only other admin is expired. */
    refused("PUT", a->ss58, past, "expires_at");
    refused("PUT", a->ss58, "{\"role\": \"writer\"}", "role");
    refused("DELETE", a->ss58, NULL, "ss58");
    expect_status(th_get("/admin/principals"), 200);
    /* An expiry still ahead keeps a live. */
    put_principal(a->ss58,
                  "{\"role\": \"admin\", \"expires_at\": "
                  "\"2999-01-01 00:00:00\"}",
                  200);
    put_principal(a->ss58, "{\"role\": \"admin\"}", 200);
    /* With b renewed, a may go: the rule is about the last live one. */
    put_principal(b->ss58, "{\"role\": \"admin\"}", 200);
    put_principal(a->ss58, past, 200);
    expect_status(th_get("/admin/principals"), 401);
    th_use(b);
    snprintf(path, sizeof(path), "/admin/principals/%s", a->ss58);
    expect_status(th_send("DELETE", path, NULL), 204);
    refused("DELETE", b->ss58, NULL, "ss58");
    refused("PUT", b->ss58, past, "expires_at");
    expect_status(th_get("/admin/principals"), 200);
}

/* ---- backups ----------------------------------------------------------- */

/* Makes the database a few MiB, so that copies take long enough to
 * overlap. */
static void grow_database(void)
{
    tu_exec("CREATE TABLE attack_pad (x BLOB)");
    tu_exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            "WHERE i < 512) INSERT INTO attack_pad SELECT randomblob(4096) "
            "FROM n");
}

static void check_integrity(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* No temporary file is left in the backups folder. */
static void check_no_partials(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    CHECK(d != NULL);
    while ((e = readdir(d))) {
        if (strstr(e->d_name, ".partial-"))
            fprintf(stderr, "left behind: %s\n", e->d_name);
        CHECK(strstr(e->d_name, ".partial-") == NULL);
    }
    closedir(d);
}

static void race_one_name(int round, const char *dir)
{
    struct th_async *a[RACERS];
    char body[64], path[512];
    int created = 0;
    long long bytes = -1;
    struct stat st;

    snprintf(body, sizeof(body), "{\"name\": \"race-%d.db\"}", round);
    for (int i = 0; i < RACERS; i++)
        a[i] = th_send_async("POST", "/admin/backup", body);
    for (int i = 0; i < RACERS; i++) {
        struct resp r = th_wait(a[i]);

        if (r.status == 201) {
            created++;
            bytes = (long long)tu_jint(r.json, "bytes");
        } else {
            /* The loser is told the name is taken, never a 500. */
            th_expect_error(&r, 409, "conflict", "name");
        }
        th_resp_free(&r);
    }
    CHECK_INT_EQ(created, 1);
    snprintf(path, sizeof(path), "%s/race-%d.db", dir, round);
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
    /* The size reported is the finished file's. */
    CHECK_INT_EQ(bytes, (long long)st.st_size);
    check_integrity(path);
}

static void test_backup_race(const char *dir)
{
    grow_database();
    for (int round = 0; round < ROUNDS; round++)
        race_one_name(round, dir);
    check_no_partials(dir);
}

static void expect_refused_download(const char *name, const char *why)
{
    char path[256];
    struct resp r;

    snprintf(path, sizeof(path), "/admin/backup?name=%s", name);
    r = th_get(path);
    th_expect_error(&r, 404, "not_found", "name");
    if (why)
        CHECK(strstr(r.body, why) != NULL);
    th_resp_free(&r);
}

static void test_download_planted(const char *dir)
{
    char secret[512], link_path[600], fifo[600], partial[600];
    struct timespec later[2];
    struct resp r;
    FILE *f;

    snprintf(secret, sizeof(secret), "%s/secret.txt", th_dir());
    f = fopen(secret, "w");
    CHECK(f != NULL);
    fputs("TOP SECRET, not a backup\n", f);
    fclose(f);
    /* Newer than any backup, so following the link would pick it. */
    clock_gettime(CLOCK_REALTIME, &later[0]);
    later[0].tv_sec += 3600;
    later[1] = later[0];
    CHECK(utimensat(AT_FDCWD, secret, later, 0) == 0);
    snprintf(link_path, sizeof(link_path), "%s/planted.db", dir);
    CHECK(symlink(secret, link_path) == 0);
    expect_refused_download("planted.db", "symbolic link");
    /* The newest backup is a real one, never the link. */
    r = th_get("/admin/backup");
    CHECK_INT_EQ(r.status, 200);
    CHECK(r.len >= 15 && memcmp(r.body, "SQLite format 3", 15) == 0);
    th_resp_free(&r);
    /* A FIFO would block the request forever. */
    snprintf(fifo, sizeof(fifo), "%s/fifo.db", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    expect_refused_download("fifo.db", NULL);
    /* A copy still being made is no backup. */
    snprintf(partial, sizeof(partial), "%s/x.db.partial-AbC123", dir);
    f = fopen(partial, "w");
    CHECK(f != NULL);
    fputs("half a copy", f);
    fclose(f);
    expect_refused_download("x.db.partial-AbC123", NULL);
    unlink(partial);
    unlink(fifo);
    unlink(link_path);
}

int main(void)
{
    char dir[512];

    th_start_with(NULL, tweak);
    tu_connect();
    test_no_lockout();
    if (!th_postgres()) { /* no backup folder: test_backup checks the 409 */
        snprintf(dir, sizeof(dir), "%s/backups", th_dir());
        test_backup_race(dir);
        test_download_planted(dir);
    }
    tu_stop();
    return 0;
}
