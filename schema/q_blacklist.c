/* SPDX-License-Identifier: MIT */
/* blacklist: hotkeys an operator penalised; details is always NULL. */
#include "queries.h"
#include "stmt.h"

enum svc_rc q_blacklist_list(struct db *db, json_t **out)
{
    static const char sql[] = "SELECT hotkey FROM blacklist "
                              "WHERE hotkey IS NOT NULL ORDER BY id";

    return db_array(db, sql, db_row_text, out);
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
