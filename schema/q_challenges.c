/* SPDX-License-Identifier: MIT */
/* challenge_details: bulk insert, the per-uid statistics windows and
 * keyset pages.
 *
 * DESIGN: upstream computed the stats with window functions over the whole
 * table. Here each uid is visited through the (uid, created_at) and
 * (uid, success, created_at) indexes: the distinct uids by index seeks, the
 * 60-row window and the 20 newest successes by bounded range scans, so the
 * cost grows with the number of uids, not with the history. Ties on
 * created_at are broken by rowid, newest first. */
#include "queries.h"
#include "stmt.h"

#include <stdio.h>
#include <string.h>

/* The statistics windows, as upstream sizes them: the newest WINDOW rows of
 * a uid, of which the newest LAST count for failures, and the newest LAST
 * successes for the mean difficulty. Bound into the queries below. */
enum { WINDOW = 60, LAST = 20 };

enum svc_rc q_challenges_insert(struct db *db, const struct q_challenge *c)
{
    static const char sql[] =
        "INSERT INTO challenge_details (uid, ss58_address, success, "
        "elapsed_time, difficulty, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    char now[27];
    struct db_stmt *st = NULL;
    enum svc_rc rc = q_miners_insert(db, c->uid, c->hotkey, NULL);

    if (rc == SVC_OK)
        rc = db_stmt(db, sql, &st);
    if (rc != SVC_OK)
        return rc;
    if (!c->created_at)
        db_now_local_iso(now);
    db_bind_int(st, 1, c->uid);
    db_bind_text(st, 2, c->hotkey);
    db_bind_int(st, 3, c->success ? 1 : 0);
    db_bind_double(st, 4, c->elapsed_time);
    db_bind_int(st, 5, c->difficulty);
    db_bind_text(st, 6, c->created_at ? c->created_at : now);
    return db_step_done(st);
}

/* Accumulators for one uid. The upstream query grouped the window by
 * (uid, ss58_address); we keep the group of the newest row's hotkey. */
struct uid_stats {
    char hotkey[64];
    bool has_hotkey;
    int64_t attempts, failed, successes, seen;
    int64_t last20_failed;
    double elapsed_sum, difficulty_sum; /* over successful rows */
    int64_t elapsed_n, difficulty_n;
};

static enum svc_rc window_row(struct db_stmt *st, void *ctx)
{
    struct uid_stats *u = ctx;
    const char *hk = db_col_str(st, 0);
    bool succ_null = db_col_null(st, 1);
    int64_t success = db_col_int(st, 1);

    if (u->seen++ < LAST && !succ_null && success == 0)
        u->last20_failed++;
    if (!u->has_hotkey) {
        snprintf(u->hotkey, sizeof(u->hotkey), "%s", hk ? hk : "");
        u->has_hotkey = true;
    }
    if (strcmp(u->hotkey, hk ? hk : "") != 0)
        return SVC_OK;
    u->attempts++;
    if (succ_null)
        return SVC_OK;
    if (success == 0)
        u->failed++;
    if (success != 1)
        return SVC_OK;
    u->successes++;
    if (!db_col_null(st, 2)) {
        u->elapsed_sum += db_col_double(st, 2);
        u->elapsed_n++;
    }
    if (!db_col_null(st, 3)) {
        u->difficulty_sum += db_col_double(st, 3);
        u->difficulty_n++;
    }
    return SVC_OK;
}

static enum svc_rc uid_window(struct db *db, int64_t uid, struct uid_stats *u)
{
    static const char sql[] =
        "SELECT ss58_address, success, elapsed_time, difficulty "
        "FROM challenge_details WHERE uid = ?1 "
        "ORDER BY created_at DESC NULLS LAST, rowid DESC LIMIT ?2";
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, uid);
    db_bind_int(st, 2, WINDOW);
    return db_each(st, window_row, u);
}

static enum svc_rc sum_row(struct db_stmt *st, void *ctx)
{
    double *acc = ctx; /* acc[0] = sum, acc[1] = count */

    if (!db_col_null(st, 0)) {
        acc[0] += db_col_double(st, 0);
        acc[1] += 1;
    }
    return SVC_OK;
}

/* Mean difficulty of the LAST newest successful attempts (any hotkey of the
 * uid, as upstream's sub-query), or NULL when there are none. */
static enum svc_rc last20_difficulty(struct db *db, int64_t uid, json_t **out)
{
    static const char sql[] = "SELECT difficulty FROM challenge_details "
                              "WHERE uid = ?1 AND success = TRUE "
                              "ORDER BY created_at DESC NULLS LAST, rowid DESC "
                              "LIMIT ?2";
    double acc[2] = {0, 0};
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_int(st, 1, uid);
    db_bind_int(st, 2, LAST);
    rc = db_each(st, sum_row, acc);
    if (rc == SVC_OK)
        *out = acc[1] > 0 ? json_real(acc[0] / acc[1]) : json_null();
    return rc;
}

static json_t *mean_or_null(double sum, int64_t n)
{
    return n ? json_real(sum / (double)n) : json_null();
}

static enum svc_rc uid_record(struct db *db, int64_t uid, json_t *map)
{
    struct uid_stats u = {0};
    json_t *diff20 = NULL, *rec;
    char key[24];
    enum svc_rc rc = uid_window(db, uid, &u);

    if (rc == SVC_OK)
        rc = last20_difficulty(db, uid, &diff20);
    if (rc != SVC_OK)
        return rc;
    rec = json_pack(
        "{s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:o}", "ss58_address", u.hotkey,
        "challenge_attempts", (json_int_t)u.attempts, "challenge_failed",
        (json_int_t)u.failed, "challenge_successes", (json_int_t)u.successes,
        "challenge_elapsed_time_avg", mean_or_null(u.elapsed_sum, u.elapsed_n),
        "challenge_difficulty_avg",
        mean_or_null(u.difficulty_sum, u.difficulty_n),
        "last_20_challenge_failed", (json_int_t)u.last20_failed,
        "last_20_difficulty_avg", diff20);
    snprintf(key, sizeof(key), "%lld", (long long)uid);
    if (!rec || json_object_set_new(map, key, rec))
        return SVC_ERR_NOMEM;
    return SVC_OK;
}

/* The smallest uid greater than after, by one index seek. */
static enum svc_rc next_uid(struct db *db, int64_t after, int64_t *uid)
{
    static const char sql[] =
        "SELECT uid FROM challenge_details WHERE uid > ?1 "
        "ORDER BY uid LIMIT 1";

    return db_one_int(db, sql, after, db_row_int, uid);
}

enum svc_rc q_challenges_stats(struct db *db, json_t **out)
{
    json_t *map = json_object();
    int64_t uid = INT64_MIN;
    enum svc_rc rc = map ? SVC_OK : SVC_ERR_NOMEM;

    while (rc == SVC_OK) {
        rc = next_uid(db, uid, &uid);
        if (rc == SVC_OK)
            rc = uid_record(db, uid, map);
    }
    if (rc != SVC_ERR_NOT_FOUND) {
        json_decref(map);
        return rc;
    }
    *out = map;
    return SVC_OK;
}

struct page_ctx {
    json_t *items;
    int64_t last;
};

static enum svc_rc page_row(struct db_stmt *st, void *ctx)
{
    struct page_ctx *p = ctx;
    json_t *success =
        db_col_null(st, 3) ? json_null() : json_boolean(db_col_int(st, 3) != 0);
    json_t *row;

    p->last = db_col_int(st, 0);
    row = json_pack(
        "{s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)p->last, "uid",
        (json_int_t)db_col_int(st, 1), "ss58_address", db_col_text(st, 2),
        "success", success, "elapsed_time",
        db_col_null(st, 4) ? json_null() : json_real(db_col_double(st, 4)),
        "difficulty",
        db_col_null(st, 5) ? json_null() : json_integer(db_col_int(st, 5)),
        "created_at", db_col_text(st, 6));
    return row && !json_array_append_new(p->items, row) ? SVC_OK
                                                        : SVC_ERR_NOMEM;
}

enum svc_rc q_challenges_page(struct db *db, bool has_uid, int64_t uid,
                              int64_t after, int64_t limit, json_t **items,
                              int64_t *next)
{
    static const char by_uid[] =
        "SELECT rowid, uid, ss58_address, success, elapsed_time, difficulty, "
        "created_at FROM challenge_details WHERE uid = ?1 AND rowid > ?2 "
        "ORDER BY rowid LIMIT ?3";
    static const char all[] =
        "SELECT rowid, uid, ss58_address, success, elapsed_time, difficulty, "
        "created_at FROM challenge_details WHERE rowid > ?1 "
        "ORDER BY rowid LIMIT ?2";
    struct page_ctx p = {json_array(), 0};
    struct db_stmt *st = NULL;
    enum svc_rc rc =
        p.items ? db_stmt(db, has_uid ? by_uid : all, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK) {
        int at = has_uid ? 2 : 1; /* where the cursor's parameter is */

        if (has_uid)
            db_bind_int(st, 1, uid);
        db_bind_int(st, at, after);
        db_bind_int(st, at + 1, limit);
        rc = db_each(st, page_row, &p);
    }
    if (rc != SVC_OK) {
        json_decref(p.items);
        return rc;
    }
    *items = p.items;
    *next = (int64_t)json_array_size(p.items) == limit ? p.last : 0;
    return SVC_OK;
}
