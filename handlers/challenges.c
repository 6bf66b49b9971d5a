/* SPDX-License-Identifier: MIT */
/* /challenges: bulk insert of challenge results, the per-uid statistics
 * and keyset pages over the history. */
#include "decode.h"
#include "handlers.h"
#include "schema/queries.h"
#include "server/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAGE_DEFAULT = 100, PAGE_MAX = 1000 };

static enum svc_rc decode_challenge(struct req *req, const json_t *el, size_t i,
                                    void *row)
{
    static const char *const fields[] = {
        "uid",        "hotkey",     "success", "elapsed_time",
        "difficulty", "created_at", NULL};
    struct q_challenge *c = row;
    char field[DEC_FIELD_LEN];
    long at = (long)i;
    enum svc_rc rc;

    dec_field(field, "challenges", at, NULL);
    rc = dec_fields(req, el, field, fields);
    if (rc == SVC_OK)
        rc = dec_int(req, el, "challenges", at, "uid", 0, DEC_UID_MAX, &c->uid);
    if (rc == SVC_OK)
        rc = dec_hotkey(req, el, "challenges", at, "hotkey", &c->hotkey);
    if (rc == SVC_OK)
        rc = dec_bool(req, el, "challenges", at, "success", &c->success);
    if (rc == SVC_OK)
        rc = dec_real(req, el, "challenges", at, "elapsed_time", 0, 1e9,
                      &c->elapsed_time);
    if (rc == SVC_OK)
        rc = dec_int(req, el, "challenges", at, "difficulty", 0, 1000000,
                     &c->difficulty);
    if (rc != SVC_OK || !dec_has(el, "created_at"))
        return rc;
    rc = dec_text(req, el, "challenges", at, "created_at", 26, &c->created_at);
    /* As Python's datetime.isoformat() writes naive local times. */
    if (rc == SVC_OK && !dec_is_datetime(c->created_at, 'T', true)) {
        dec_field(field, "challenges", at, "created_at");
        rc = req_fail(req, SVC_ERR_INVALID, field,
                      "must be YYYY-MM-DDTHH:MM:SS[.ffffff]");
    }
    return rc;
}

static enum svc_rc insert_challenge(struct db *db, const void *row, void *ctx)
{
    (void)ctx;
    return q_challenges_insert(db, row);
}

/* Counts the outcomes of a written batch (the body, decoded and known
 * good) into the challenge metrics. */
static void count_outcomes(const json_t *body)
{
    unsigned long long ok = 0, failed = 0;
    const json_t *row;
    size_t i;

    json_array_foreach (json_object_get(body, "challenges"), i, row) {
        if (json_is_true(json_object_get(row, "success")))
            ok++;
        else
            failed++;
    }
    metrics_outcome(METRICS_CHALLENGES, ok, failed);
}

/* POST /challenges {"challenges": [{uid, hotkey, success, elapsed_time,
 * difficulty, created_at?}]} -> 201 {"inserted": n}. Each row also inserts
 * its (uid, hotkey) into miner with INSERT OR IGNORE, as upstream did. */
enum svc_rc h_challenges_post(struct req *req, struct reply *rep)
{
    static const struct hx_batch batch = {"challenges",
                                          sizeof(struct q_challenge),
                                          decode_challenge, insert_challenge};
    size_t n = 0;
    enum svc_rc rc = hx_batch_write(req, &batch, NULL, &n);

    if (rc != SVC_OK)
        return rc;
    count_outcomes(req->json);
    return reply_json(rep, 201, json_pack("{s:I}", "inserted", (json_int_t)n));
}

/* GET /challenges/stats -> {"<uid>": {ss58_address, challenge_attempts,
 * challenge_failed, challenge_successes, challenge_elapsed_time_avg,
 * challenge_difficulty_avg, last_20_challenge_failed,
 * last_20_difficulty_avg}} */
enum svc_rc h_challenges_stats(struct req *req, struct reply *rep)
{
    return hx_read_all(req, rep, q_challenges_stats, false,
                       DB_TABLE(DB_T_CHALLENGES));
}

/* GET /challenges?uid=&limit=&cursor= -> {"items": [...], "next"} in
 * insertion (rowid) order; pass next back as cursor for the next page. */
enum svc_rc h_challenges_list(struct req *req, struct reply *rep)
{
    int64_t uid = 0, limit = 0, cursor = 0, next = 0;
    bool has_uid = false;
    char next_s[24];
    struct db *db;
    json_t *items = NULL;
    enum svc_rc rc =
        dec_query_int(req, "uid", 0, DEC_UID_MAX, 0, &uid, &has_uid);
    if (rc == SVC_OK)
        rc = dec_query_int(req, "limit", 1, PAGE_MAX, PAGE_DEFAULT, &limit,
                           NULL);
    if (rc == SVC_OK)
        rc = dec_query_int(req, "cursor", 0, INT64_MAX, 0, &cursor, NULL);
    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        return rc;
    rc = q_challenges_page(db, has_uid, uid, cursor, limit, &items, &next);
    snprintf(next_s, sizeof(next_s), "%lld", (long long)next);
    return hx_read_reply(req, rep, db, rc,
                         rc == SVC_OK ? hx_page(items, next ? next_s : NULL)
                                      : NULL);
}
