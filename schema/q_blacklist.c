/* SPDX-License-Identifier: MIT */
/* blacklist: hotkeys an operator penalised; details is always NULL. */
#include "db_int.h"
#include "queries.h"

static enum svc_rc append_col0(sqlite3_stmt *st, void *ctx)
{
    return json_array_append_new(ctx, db_col_text(st, 0)) ? SVC_ERR_NOMEM
                                                          : SVC_OK;
}

enum svc_rc q_blacklist_list(struct db *db, json_t **out)
{
    static const char sql[] = "SELECT hotkey FROM blacklist "
                              "WHERE hotkey IS NOT NULL ORDER BY id";
    json_t *arr = json_array();
    sqlite3_stmt *st;
    enum svc_rc rc = arr ? db_stmt(db, sql, &st) : SVC_ERR_NOMEM;

    if (rc == SVC_OK)
        rc = db_each(db, st, append_col0, arr);
    if (rc != SVC_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SVC_OK;
}

enum svc_rc q_blacklist_add(struct db *db, const char *hotkey, bool *added)
{
    static const char sql[] = "INSERT INTO blacklist (hotkey) VALUES (?1) "
                              "ON CONFLICT(hotkey) DO NOTHING";

    return db_write_text(db, sql, hotkey, added);
}

enum svc_rc q_blacklist_remove(struct db *db, const char *hotkey, bool *removed)
{
    static const char sql[] = "DELETE FROM blacklist WHERE hotkey = ?1";

    return db_write_text(db, sql, hotkey, removed);
}
