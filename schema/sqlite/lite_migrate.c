/* SPDX-License-Identifier: MIT */
/* The upstream DDL, kept exactly (table and column names, types, the dead
 * `tb` table, AUTOINCREMENT on pog_stats, the inert foreign keys), plus our
 * additive indexes. Opening a file written by the Python validator upgrades
 * it in place and loses nothing; our version lives in PRAGMA user_version.
 *
 * DESIGN: the upstream CREATE ... IF NOT EXISTS statements run on every
 * open, as the Python validator itself does on every connection, so a table
 * dropped by an old tool comes back. Numbered steps below only ever add. */
#include "core/log.h"
#include "lite.h"

/* PRAGMA takes no bound parameters: the text carries DB_SCHEMA_VERSION.
 * 1: our indexes, computedb_legacy_miner_details. 2: principals.
 * 3: covering challenge indexes (replacing those of version 1).
 * 4: pog_jobs. 5: pog_jobs.principal, its indexes for the pruning.
 * 6: principals.scheme (ed25519 or sr25519) and principals.secrets (may
 * read allocation secrets without being an admin). 7: principals.scheme
 * may be x509 (a client certificate, named "sha256:<hex>" in ss58). */
static const char set_version[] = "PRAGMA user_version=" DB_SCHEMA_VERSION_TEXT;

/* Upstream (compute/utils/db.py, v1.8.3): the statements are restated from
 * the table definitions documented in docs/upstream.md section 0.2. */
static const char upstream_ddl[] =
    "CREATE TABLE IF NOT EXISTS miner (uid INTEGER PRIMARY KEY, "
    "ss58_address TEXT UNIQUE);"
    "CREATE TABLE IF NOT EXISTS miner_details (id INTEGER PRIMARY KEY, "
    "hotkey TEXT UNIQUE, details TEXT, no_specs_count INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tb (id INTEGER PRIMARY KEY, hotkey TEXT, "
    "details TEXT);"
    "CREATE TABLE IF NOT EXISTS challenge_details (uid INTEGER, "
    "ss58_address TEXT, success BOOLEAN, elapsed_time REAL, "
    "difficulty INTEGER, created_at TIMESTAMP, "
    "FOREIGN KEY (uid) REFERENCES miner(uid) ON DELETE CASCADE, "
    "FOREIGN KEY (ss58_address) REFERENCES miner(ss58_address) "
    "ON DELETE CASCADE);"
    "CREATE TABLE IF NOT EXISTS blacklist (id INTEGER PRIMARY KEY, "
    "hotkey TEXT UNIQUE, details TEXT);"
    "CREATE TABLE IF NOT EXISTS allocation (id INTEGER PRIMARY KEY, "
    "hotkey TEXT UNIQUE, details TEXT);"
    "CREATE INDEX IF NOT EXISTS idx_uid ON challenge_details (uid);"
    "CREATE INDEX IF NOT EXISTS idx_ss58_address ON challenge_details "
    "(ss58_address);"
    "CREATE TABLE IF NOT EXISTS wandb_runs (hotkey TEXT PRIMARY KEY, "
    "run_id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pog_stats (id INTEGER PRIMARY KEY "
    "AUTOINCREMENT, hotkey TEXT, gpu_name TEXT, num_gpus INTEGER, "
    "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
    "FOREIGN KEY (hotkey) REFERENCES miner_details (hotkey) "
    "ON DELETE CASCADE);"
    "CREATE TABLE IF NOT EXISTS stats (uid INTEGER PRIMARY KEY, "
    "hotkey TEXT NOT NULL, gpu_specs TEXT, score REAL, allocated BOOLEAN, "
    "own_score BOOLEAN, reliability_score REAL, "
    "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "
    "FOREIGN KEY (hotkey) REFERENCES miner_details (hotkey) "
    "ON DELETE CASCADE);";

/* Ours, additive only. The two challenge indexes cover the per-uid windows
 * of GET /challenges/stats: each window is one contiguous index range, and
 * no table row is visited, so the cost does not grow with the history
 * (rows of one uid are spread one per 256 over the table). The pog_stats
 * one serves the per-hotkey look-ups upstream does with full scans. */
static const char our_ddl[] =
    "DROP INDEX IF EXISTS computedb_challenge_uid_time;"
    "DROP INDEX IF EXISTS computedb_challenge_uid_success_time;"
    "CREATE INDEX IF NOT EXISTS computedb_challenge_window ON "
    "challenge_details (uid, created_at, success, elapsed_time, difficulty, "
    "ss58_address);"
    "CREATE INDEX IF NOT EXISTS computedb_challenge_successes ON "
    "challenge_details (uid, success, created_at, difficulty);"
    "CREATE INDEX IF NOT EXISTS computedb_pog_stats_hotkey_time ON "
    "pog_stats (hotkey, created_at);"
    "CREATE TABLE IF NOT EXISTS computedb_legacy_miner_details ("
    "id INTEGER, hotkey TEXT, details TEXT, no_specs_count INTEGER, "
    "moved_at TIMESTAMP);"
    "CREATE TABLE IF NOT EXISTS principals (ss58 TEXT PRIMARY KEY, "
    "role TEXT NOT NULL CHECK (role IN ('reader', 'writer', 'admin')), "
    "label TEXT, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP, "
    "scheme TEXT NOT NULL DEFAULT 'ed25519' CHECK (scheme IN ('ed25519', "
    "'sr25519', 'x509')), secrets INTEGER NOT NULL DEFAULT 0 CHECK (secrets "
    "IN (0, 1)));"
    /* PoG jobs (gpu/pog_service.c): the pool's state of each job,
     * written at every transition; params, result and error are JSON text,
     * the times unix ms, principal the SS58 of the signer who submitted it
     * (NULL before version 5). */
    "CREATE TABLE IF NOT EXISTS pog_jobs (id INTEGER PRIMARY KEY, "
    "kind TEXT NOT NULL, state TEXT NOT NULL, device INTEGER, params TEXT, "
    "result TEXT, error TEXT, submitted_at INTEGER, started_at INTEGER, "
    "finished_at INTEGER, principal TEXT);";

/* After pog_jobs has its principal column: what the pruning of finished
 * jobs reads (gpu/pog_service.c). A principal's jobs by state (its count
 * of finished ones is a range of the index alone), and jobs by the time
 * they finished (the age limit deletes a range, never scanning the
 * results). */
static const char pog_jobs_indexes[] =
    "CREATE INDEX IF NOT EXISTS computedb_pog_jobs_principal ON pog_jobs "
    "(principal, state, id);"
    "CREATE INDEX IF NOT EXISTS computedb_pog_jobs_finished ON pog_jobs "
    "(finished_at);";

/* Legacy miner_details (3 columns, or no UNIQUE index on hotkey alone):
 * rebuilt with the current DDL keeping every id. Where old rows share a
 * hotkey, the newest id stays and the others move, whole, to
 * computedb_legacy_miner_details, so nothing is lost. */
static const char legacy_rebuild_3[] =
    "CREATE TABLE computedb_new_miner_details (id INTEGER PRIMARY KEY, "
    "hotkey TEXT UNIQUE, details TEXT, no_specs_count INTEGER DEFAULT 0);"
    "INSERT INTO computedb_new_miner_details (id, hotkey, details) "
    "SELECT id, hotkey, details FROM miner_details WHERE hotkey IS NULL OR "
    "id IN (SELECT MAX(id) FROM miner_details WHERE hotkey IS NOT NULL "
    "GROUP BY hotkey);"
    "INSERT INTO computedb_legacy_miner_details (id, hotkey, details, "
    "no_specs_count, moved_at) SELECT id, hotkey, details, NULL, "
    "CURRENT_TIMESTAMP FROM miner_details WHERE id NOT IN "
    "(SELECT id FROM computedb_new_miner_details);";

static const char legacy_rebuild_4[] =
    "CREATE TABLE computedb_new_miner_details (id INTEGER PRIMARY KEY, "
    "hotkey TEXT UNIQUE, details TEXT, no_specs_count INTEGER DEFAULT 0);"
    "INSERT INTO computedb_new_miner_details (id, hotkey, details, "
    "no_specs_count) SELECT id, hotkey, details, no_specs_count FROM "
    "miner_details WHERE hotkey IS NULL OR id IN (SELECT MAX(id) FROM "
    "miner_details WHERE hotkey IS NOT NULL GROUP BY hotkey);"
    "INSERT INTO computedb_legacy_miner_details (id, hotkey, details, "
    "no_specs_count, moved_at) SELECT id, hotkey, details, no_specs_count, "
    "CURRENT_TIMESTAMP FROM miner_details WHERE id NOT IN "
    "(SELECT id FROM computedb_new_miner_details);";

static const char legacy_swap[] =
    "DROP TABLE miner_details;"
    "ALTER TABLE computedb_new_miner_details RENAME TO miner_details;";

static enum svc_rc query_int(struct lite_db *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return src == SQLITE_OK ? SVC_OK : lite_rc(db, src);
}

static enum svc_rc upgrade_miner_details(struct lite_db *db)
{
    static const char ncols[] =
        "SELECT COUNT(*) FROM pragma_table_info('miner_details')";
    static const char unique_hotkey[] =
        "SELECT COUNT(*) FROM pragma_index_list('miner_details') AS il "
        "WHERE il.\"unique\" = 1 AND (SELECT COUNT(*) FROM "
        "pragma_index_info(il.name)) = 1 AND (SELECT name FROM "
        "pragma_index_info(il.name)) = 'hotkey'";
    int64_t cols = 0, uniq = 0, moved = 0;
    enum svc_rc rc = query_int(db, ncols, &cols);

    if (rc == SVC_OK)
        rc = query_int(db, unique_hotkey, &uniq);
    if (rc != SVC_OK || (cols >= 4 && uniq > 0))
        return rc;
    log_info("upgrading legacy miner_details (%lld columns, %s)",
             (long long)cols, uniq ? "unique hotkey" : "no unique hotkey");
    rc = lite_exec(db, cols >= 4 ? legacy_rebuild_4 : legacy_rebuild_3);
    if (rc == SVC_OK)
        rc = lite_exec(db, legacy_swap);
    if (rc == SVC_OK)
        rc = query_int(
            db, "SELECT COUNT(*) FROM computedb_legacy_miner_details", &moved);
    if (rc == SVC_OK && moved)
        log_warn("%lld duplicate legacy miner_details rows kept in "
                 "computedb_legacy_miner_details",
                 (long long)moved);
    return rc;
}

/* pog_jobs of version 4 has no principal column: added, NULL for the rows
 * it has (SQLite has no ADD COLUMN IF NOT EXISTS). */
static enum svc_rc upgrade_pog_jobs(struct lite_db *db)
{
    static const char has_principal[] =
        "SELECT COUNT(*) FROM pragma_table_info('pog_jobs') "
        "WHERE name = 'principal'";
    int64_t n = 0;
    enum svc_rc rc = query_int(db, has_principal, &n);

    if (rc == SVC_OK && n == 0)
        rc = lite_exec(db, "ALTER TABLE pog_jobs ADD COLUMN principal TEXT");
    if (rc == SVC_OK)
        rc = lite_exec(db, pog_jobs_indexes);
    return rc;
}

/* principals before version 6 have neither scheme nor secrets: added,
 * every key ed25519 and without the secrets grant, as it was. */
static enum svc_rc upgrade_principals(struct lite_db *db)
{
    static const char has_scheme[] =
        "SELECT COUNT(*) FROM pragma_table_info('principals') "
        "WHERE name = 'scheme'";
    static const char has_secrets[] =
        "SELECT COUNT(*) FROM pragma_table_info('principals') "
        "WHERE name = 'secrets'";
    int64_t n = 0, m = 0;
    enum svc_rc rc = query_int(db, has_scheme, &n);

    if (rc == SVC_OK && n == 0)
        rc = lite_exec(db, "ALTER TABLE principals ADD COLUMN scheme TEXT NOT "
                           "NULL DEFAULT 'ed25519' CHECK (scheme IN "
                           "('ed25519', 'sr25519'))");
    if (rc == SVC_OK)
        rc = query_int(db, has_secrets, &m);
    if (rc == SVC_OK && m == 0)
        rc = lite_exec(db, "ALTER TABLE principals ADD COLUMN secrets INTEGER "
                           "NOT NULL DEFAULT 0 CHECK (secrets IN (0, 1))");
    return rc;
}

/* Before version 7 the scheme's CHECK allowed keys only, and SQLite
 * cannot alter a CHECK: the table is rebuilt under the current DDL with
 * every row (it has no index or trigger of its own to carry over). */
static const char principals_rebuild[] =
    "CREATE TABLE computedb_new_principals (ss58 TEXT PRIMARY KEY, "
    "role TEXT NOT NULL CHECK (role IN ('reader', 'writer', 'admin')), "
    "label TEXT, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP, "
    "scheme TEXT NOT NULL DEFAULT 'ed25519' CHECK (scheme IN ('ed25519', "
    "'sr25519', 'x509')), secrets INTEGER NOT NULL DEFAULT 0 CHECK (secrets "
    "IN (0, 1)));"
    "INSERT INTO computedb_new_principals (ss58, role, label, created_at, "
    "expires_at, scheme, secrets) SELECT ss58, role, label, created_at, "
    "expires_at, scheme, secrets FROM principals;"
    "DROP TABLE principals;"
    "ALTER TABLE computedb_new_principals RENAME TO principals;";

static enum svc_rc allow_certificates(struct lite_db *db)
{
    static const char allows[] =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
        "name = 'principals' AND sql LIKE '%''x509''%'";
    int64_t n = 0;
    enum svc_rc rc = query_int(db, allows, &n);

    return rc == SVC_OK && n == 0 ? lite_exec(db, principals_rebuild) : rc;
}

static enum svc_rc migrate_tx(struct lite_db *db)
{
    int64_t version = 0;
    enum svc_rc rc = query_int(db, "PRAGMA user_version", &version);

    if (rc == SVC_OK && version > DB_SCHEMA_VERSION) {
        log_err("database schema version %lld is newer than this build (%d)",
                (long long)version, DB_SCHEMA_VERSION);
        return SVC_ERR_DB;
    }
    if (rc == SVC_OK)
        rc = lite_exec(db, upstream_ddl);
    if (rc == SVC_OK)
        rc = lite_exec(db, our_ddl);
    if (rc == SVC_OK)
        rc = upgrade_miner_details(db);
    if (rc == SVC_OK)
        rc = upgrade_pog_jobs(db);
    if (rc == SVC_OK)
        rc = upgrade_principals(db);
    if (rc == SVC_OK)
        rc = allow_certificates(db);
    if (rc != SVC_OK || version == DB_SCHEMA_VERSION)
        return rc;
    log_info("schema migrated from version %lld to %d", (long long)version,
             DB_SCHEMA_VERSION);
    return lite_exec(db, set_version);
}

enum svc_rc lite_migrate(struct lite_db *db)
{
    enum svc_rc rc = lite_exec(db, "BEGIN IMMEDIATE");

    if (rc != SVC_OK)
        return rc;
    rc = migrate_tx(db);
    if (rc == SVC_OK)
        rc = lite_exec(db, "COMMIT");
    if (rc != SVC_OK)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
