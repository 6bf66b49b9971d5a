/* SPDX-License-Identifier: MIT */
/* A writer that never pauses must not grow the WAL without bound: past
 * --wal-max the writer folds the log back and starts it over, the file is
 * cut back to the limit, and every acknowledged row is there. */
#include "app/config.h"
#include "check.h"
#include "harness.h"
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { LIMIT = 1 << 20, ROWS = 256, MAX_POSTS = 400 };

static void small_wal(struct config *cfg)
{
    cfg->wal_max = LIMIT;
}

/* 256 rows, one per uid, so every index gets many pages touched. */
static char *batch(void)
{
    size_t cap = ROWS * 200 + 64, n = 0;
    char *b = malloc(cap);

    CHECK(b != NULL);
    n += (size_t)snprintf(b + n, cap - n, "{\"challenges\": [");
    for (unsigned uid = 0; uid < ROWS; uid++)
        n += (size_t)snprintf(b + n, cap - n,
                              "%s{\"uid\": %u, \"hotkey\": \"%s\", "
                              "\"success\": true, \"elapsed_time\": 1.5, "
                              "\"difficulty\": 7}",
                              uid ? ", " : "", uid, th_hotkey(uid));
    snprintf(b + n, cap - n, "]}");
    return b;
}

int main(void)
{
    char *body, wal[4200];
    struct stat st;
    struct resp r;
    sqlite3 *db;
    int posts = 0;

    th_start_with(NULL, small_wal);
    body = batch();
    CHECK(th_metric("computedb_db_wal_restarts_total") == 0);
    while (posts < MAX_POSTS &&
           th_metric("computedb_db_wal_restarts_total") < 2) {
        r = th_send("POST", "/challenges", body);
        CHECK_INT_EQ(r.status, 201);
        th_resp_free(&r);
        posts++;
    }
    CHECK(th_metric("computedb_db_wal_restarts_total") >= 2);
    /* After a restart the file was cut to nothing and holds at most what
     * was committed since (less than the limit plus one commit). */
    r = th_send("POST", "/challenges", body);
    CHECK_INT_EQ(r.status, 201);
    th_resp_free(&r);
    posts++;
    snprintf(wal, sizeof(wal), "%s-wal", th_db_path());
    CHECK(stat(wal, &st) == 0);
    fprintf(stderr, "%d posts, WAL %lld bytes\n", posts, (long long)st.st_size);
    CHECK(st.st_size <= 2 * LIMIT);
    db = up_open(th_db_path());
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM challenge_details"),
                 (long long)posts * ROWS);
    sqlite3_close(db);
    free(body);
    th_stop();
    return 0;
}
