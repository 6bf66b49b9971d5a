/* SPDX-License-Identifier: MIT */
/* wandb_runs: the validator's own W&B run id per hotkey, insert-only. */
#include "queries.h"
#include "stmt.h"

enum svc_rc q_wandb_list(struct db *db, json_t **out)
{
    static const char sql[] =
        "SELECT hotkey, run_id FROM wandb_runs ORDER BY hotkey";

    return db_pairs(db, sql, out);
}

enum svc_rc q_wandb_get(struct db *db, const char *hotkey, char **out)
{
    static const char sql[] = "SELECT run_id FROM wandb_runs "
                              "WHERE hotkey = ?1";

    return db_one_text(db, sql, hotkey, db_row_strdup, out);
}

enum svc_rc q_wandb_insert(struct db *db, const char *hotkey,
                           const char *run_id, bool *created)
{
    static const char sql[] = "INSERT INTO wandb_runs (hotkey, run_id) "
                              "VALUES (?1, ?2) ON CONFLICT(hotkey) DO NOTHING";
    struct db_stmt *st = NULL;
    enum svc_rc rc = db_stmt(db, sql, &st);

    if (rc != SVC_OK)
        return rc;
    db_bind_text(st, 1, hotkey);
    db_bind_text(st, 2, run_id);
    rc = db_step_done(st);
    if (rc == SVC_OK)
        *created = db_changes(db) > 0;
    return rc;
}

enum svc_rc q_wandb_delete(struct db *db, const char *hotkey, bool *deleted)
{
    static const char sql[] = "DELETE FROM wandb_runs WHERE hotkey = ?1";

    return db_write_text(db, sql, hotkey, deleted);
}
