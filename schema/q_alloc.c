/* SPDX-License-Identifier: MIT */
/* allocation: active rentals keyed by miner hotkey; details are the
 * miner's connection info (docs/upstream.md 3.2), secrets included. */
#include "pyjson.h"
#include "queries.h"
#include "stmt.h"

#include <stdlib.h>

/* Fields of allocation.details only admins may see. */
static const char *const secret_fields[] = {"password", "ssh_key", "regkey"};

static json_t *parse_details(struct db_stmt *st, int col, bool redact)
{
    const char *t = db_col_str(st, col);
    json_t *v = t ? json_loads(t, 0, NULL) : NULL;

    if (!v)
        return json_null();
    if (redact && json_is_object(v))
        for (size_t i = 0; i < sizeof(secret_fields) / sizeof(*secret_fields);
             i++)
            json_object_del(v, secret_fields[i]);
    return v;
}

struct row_ctx {
    json_t *out; /* array for lists, NULL slot for one row */
    bool redact;
    bool one;
};

static enum svc_rc alloc_row(struct db_stmt *st, void *ctx)
{
    struct row_ctx *c = ctx;
    json_t *row = json_pack(
        "{s:I,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0), "hotkey",
        db_col_text(st, 1), "details", parse_details(st, 2, c->redact));

    if (!row)
        return SVC_ERR_NOMEM;
    if (c->one) {
        c->out = row;
        return SVC_OK;
    }
    return json_array_append_new(c->out, row) ? SVC_ERR_NOMEM : SVC_OK;
}

enum svc_rc q_alloc_list(struct db *db, bool redact, json_t **out)
{
    static const char sql[] =
        "SELECT id, hotkey, details FROM allocation ORDER BY id";
    struct row_ctx c = {json_array(), redact, false};

    return db_collect(db, sql, alloc_row, &c, c.out, out);
}

enum svc_rc q_alloc_get(struct db *db, const char *hotkey, bool redact,
                        json_t **out)
{
    static const char sql[] =
        "SELECT id, hotkey, details FROM allocation WHERE hotkey = ?1";
    struct row_ctx c = {NULL, redact, true};
    enum svc_rc rc = db_one_text(db, sql, hotkey, alloc_row, &c);

    if (rc == SVC_OK)
        *out = c.out;
    return rc;
}

enum svc_rc q_alloc_put(struct db *db, const char *hotkey,
                        const json_t *details, bool *created)
{
    static const char exists[] = "SELECT 1 FROM allocation WHERE hotkey = ?1";
    static const char upsert[] =
        "INSERT INTO allocation (hotkey, details) VALUES (?1, ?2) "
        "ON CONFLICT(hotkey) DO UPDATE SET details = excluded.details";
    char *text = pyjson_dumps(details);
    struct db_stmt *st = NULL;
    int64_t one = 0;
    enum svc_rc rc = text ? db_one_text(db, exists, hotkey, db_row_int, &one)
                          : SVC_ERR_NOMEM;

    if (rc != SVC_OK && rc != SVC_ERR_NOT_FOUND)
        goto out;
    *created = rc == SVC_ERR_NOT_FOUND;
    rc = db_stmt(db, upsert, &st);
    if (rc != SVC_OK)
        goto out;
    db_bind_text(st, 1, hotkey);
    db_bind_text(st, 2, text);
    rc = db_step_done(st);
out:
    free(text);
    return rc;
}

enum svc_rc q_alloc_delete(struct db *db, const char *hotkey, bool *deleted)
{
    static const char sql[] = "DELETE FROM allocation WHERE hotkey = ?1";

    return db_write_text(db, sql, hotkey, deleted);
}
