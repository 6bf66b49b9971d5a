/* SPDX-License-Identifier: MIT */
/* Statements for the query modules, whatever the driver: prepare (cached
 * per connection), bind, run, read columns. SQL is written once, with ?1,
 * ?2... placeholders and the SQL both SQLite and PostgreSQL accept; each
 * driver maps it to its own. Only schema/ includes this header. */
#ifndef SCHEMA_STMT_H
#define SCHEMA_STMT_H

#include "driver.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

/* The cached statement for sql (keyed by the pointer, so pass the static
 * array itself), reset and with bindings cleared. Owned by db. */
SVC_NODISCARD enum svc_rc db_stmt(struct db *db, const char *sql,
                                  struct db_stmt **out);

/* Bindings (1-based). db_bind_text() copies s; NULL binds NULL. */
void db_bind_int(struct db_stmt *st, int idx, int64_t v);
void db_bind_double(struct db_stmt *st, int idx, double v);
void db_bind_text(struct db_stmt *st, int idx, const char *s);
void db_bind_null(struct db_stmt *st, int idx);

/* Columns of the current row (0-based). */
enum db_type db_col_type(struct db_stmt *st, int col);
bool db_col_null(struct db_stmt *st, int col);
int64_t db_col_int(struct db_stmt *st, int col);
double db_col_double(struct db_stmt *st, int col);
/* The text of the column, valid until the next step; NULL for NULL. */
const char *db_col_str(struct db_stmt *st, int col);
size_t db_col_bytes(struct db_stmt *st, int col);
/* The number of result columns of the current row. */
int db_col_count(struct db_stmt *st);
/* A new JSON string of the column, or JSON null. */
json_t *db_col_text(struct db_stmt *st, int col);

/* Rows changed by the last statement run on db. */
int64_t db_changes(struct db *db);

/* Runs st to completion (no rows expected) and resets it. */
SVC_NODISCARD enum svc_rc db_step_done(struct db_stmt *st);
/* Runs a cached statement without parameters or results. */
SVC_NODISCARD enum svc_rc db_run(struct db *db, const char *sql);

/* Called for each result row; a non-OK return stops the scan. */
typedef enum svc_rc db_row_fn(struct db_stmt *st, void *ctx);
/* Runs st through every row, calling fn on each, then resets st. */
SVC_NODISCARD enum svc_rc db_each(struct db_stmt *st, db_row_fn *fn, void *ctx);
/* Runs st: fn on the first row, or SVC_ERR_NOT_FOUND when there is none.
 * Resets st. */
SVC_NODISCARD enum svc_rc db_one(struct db_stmt *st, db_row_fn *fn, void *ctx);
/* db_one() on the cached statement for sql, its one parameter ?1 bound to
 * text (copied; NULL binds NULL) or to v. */
SVC_NODISCARD enum svc_rc db_one_text(struct db *db, const char *sql,
                                      const char *text, db_row_fn *fn,
                                      void *ctx);
SVC_NODISCARD enum svc_rc db_one_int(struct db *db, const char *sql, int64_t v,
                                     db_row_fn *fn, void *ctx);
/* Runs sql (no parameters), each row to fn(st, ctx), to fill into (a new
 * reference; NULL: out of memory): *out = into when every row went in,
 * else into is released. */
SVC_NODISCARD enum svc_rc db_collect(struct db *db, const char *sql,
                                     db_row_fn *fn, void *ctx, json_t *into,
                                     json_t **out);
/* Runs sql (no parameters) and sets *out to a new array of the rows, each
 * made by fn(st, &row) as for db_one() with a json_t ** context. */
SVC_NODISCARD enum svc_rc db_array(struct db *db, const char *sql,
                                   db_row_fn *fn, json_t **out);
/* Row callback: *(json_t **)ctx = column 0 as a string or null. */
enum svc_rc db_row_text(struct db_stmt *st, void *ctx);
/* Row callback that sets the object key ctx (json_t *) from column 0
 * (as text) to the text of column 1. */
enum svc_rc db_row_pair(struct db_stmt *st, void *ctx);
/* Row callback: *(char **)ctx = new copy of column 0 ("" for NULL). */
enum svc_rc db_row_strdup(struct db_stmt *st, void *ctx);
/* Row callback: *(int64_t *)ctx = column 0. */
enum svc_rc db_row_int(struct db_stmt *st, void *ctx);
/* Runs a keyed-map query: *out = {col0: col1, ...}. */
SVC_NODISCARD enum svc_rc db_pairs(struct db *db, const char *sql,
                                   json_t **out);
/* Runs a write whose only parameter ?1 is text; *changed tells whether
 * it changed a row. */
SVC_NODISCARD enum svc_rc db_write_text(struct db *db, const char *sql,
                                        const char *text, bool *changed);

/* Sets out to the local time as Python's datetime.now().isoformat() writes
 * it: "YYYY-MM-DDTHH:MM:SS.ffffff", without the fraction when it is 0. */
void db_now_local_iso(char out[27]);

#endif
