/* SPDX-License-Identifier: MIT */
/* Helpers for the compatibility tests: databases built the way the Python
 * validator builds them, with the sqlite3 API directly. */
#ifndef TESTS_COMPAT_UPSTREAM_H
#define TESTS_COMPAT_UPSTREAM_H

#include "check.h"

#include <sqlite3.h>

/* The schema exactly as the upstream ComputeDb.init() creates it
 * (compute/utils/db.py, v1.8.3), including its whitespace. */
static const char upstream_ddl[] =
    "CREATE TABLE IF NOT EXISTS miner (uid INTEGER PRIMARY KEY, ss58_address "
    "TEXT UNIQUE);"
    "CREATE TABLE IF NOT EXISTS miner_details (id INTEGER PRIMARY KEY, hotkey "
    "TEXT UNIQUE, details TEXT, no_specs_count INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tb (id INTEGER PRIMARY KEY, hotkey TEXT, "
    "details TEXT);"
    "CREATE TABLE IF NOT EXISTS challenge_details (\n"
    "                    uid INTEGER,\n"
    "                    ss58_address TEXT,\n"
    "                    success BOOLEAN,\n"
    "                    elapsed_time REAL,\n"
    "                    difficulty INTEGER,\n"
    "                    created_at TIMESTAMP,\n"
    "                    FOREIGN KEY (uid) REFERENCES miner(uid) ON DELETE "
    "CASCADE,\n"
    "                    FOREIGN KEY (ss58_address) REFERENCES "
    "miner(ss58_address) ON DELETE CASCADE\n"
    "                );"
    "CREATE TABLE IF NOT EXISTS blacklist (id INTEGER PRIMARY KEY, hotkey "
    "TEXT UNIQUE, details TEXT);"
    "CREATE TABLE IF NOT EXISTS allocation (id INTEGER PRIMARY KEY, hotkey "
    "TEXT UNIQUE, details TEXT);"
    "CREATE INDEX IF NOT EXISTS idx_uid ON challenge_details (uid);"
    "CREATE INDEX IF NOT EXISTS idx_ss58_address ON challenge_details "
    "(ss58_address);"
    "CREATE TABLE IF NOT EXISTS wandb_runs (hotkey TEXT PRIMARY KEY, run_id "
    "TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pog_stats (\n"
    "                    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "                    hotkey TEXT,\n"
    "                    gpu_name TEXT,\n"
    "                    num_gpus INTEGER,\n"
    "                    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "                    FOREIGN KEY (hotkey) REFERENCES miner_details "
    "(hotkey) ON DELETE CASCADE\n"
    "                );"
    "CREATE TABLE IF NOT EXISTS stats (\n"
    "                    uid INTEGER PRIMARY KEY,\n"
    "                    hotkey TEXT NOT NULL,\n"
    "                    gpu_specs TEXT,\n"
    "                    score REAL,\n"
    "                    allocated BOOLEAN,\n"
    "                    own_score BOOLEAN,\n"
    "                    reliability_score REAL,  -- Optional reliability "
    "score\n"
    "                    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
    "                    FOREIGN KEY (hotkey) REFERENCES miner_details "
    "(hotkey) ON DELETE CASCADE\n"
    "                );";

static inline sqlite3 *up_open(const char *path)
{
    sqlite3 *db = NULL;

    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static inline void up_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql failed: %s\n%s\n", err ? err : "?", sql);
        exit(1);
    }
}

/* The first column of the first row of sql as an integer. */
static inline long long up_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v;

    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row of sql as text, copied into buf. */
static inline const char *up_text(sqlite3 *db, const char *sql, char *buf,
                                  size_t len)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *t;

    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    t = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    return buf;
}

#endif
