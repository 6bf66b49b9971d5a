/* SPDX-License-Identifier: MIT */
/* The raw rows behind the upstream allocation API's two database reads
 * (/list/allocations_sql, /list/resources_sql): hotkey and details text as
 * stored, unparsed, so the caller can treat each row as upstream does. */
#include "queries.h"
#include "stmt.h"

/* [hotkey, details]: each a string, or null for SQL NULL. */
static enum svc_rc raw_row(struct db_stmt *st, void *ctx)
{
    json_t **row = ctx;

    *row = json_pack("[o,o]", db_col_text(st, 0), db_col_text(st, 1));
    return *row ? SVC_OK : SVC_ERR_NOMEM;
}

enum svc_rc q_alloc_api_allocations(struct db *db, json_t **out)
{
    static const char sql[] =
        "SELECT hotkey, details FROM allocation ORDER BY id";

    return db_array(db, sql, raw_row, out);
}

enum svc_rc q_alloc_api_specs(struct db *db, json_t **out)
{
    static const char sql[] =
        "SELECT hotkey, details FROM miner_details ORDER BY id";

    return db_array(db, sql, raw_row, out);
}
