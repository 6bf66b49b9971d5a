/* SPDX-License-Identifier: MIT */
/* A database built by the upstream DDL and filled with upstream-shaped rows
 * (docs/upstream.md section 3) is served correctly, and opening it changes no
 * upstream table definition and loses no row. Copied into PostgreSQL
 * (computedb migrate), it is served byte for byte the same. */
#include "check.h"
#include "harness.h"
#include "schema/db.h"
#include "upstream.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *hk[8];

static const char specs_h100[] =
    "{\"cpu\": {\"count\": 64, \"frequency\": 2000.0}, \"gpu\": {\"count\": 8, "
    "\"capacity\": 652472.0, \"details\": [{\"name\": \"NVIDIA H100 80GB "
    "HBM3\", \"capacity\": 81559.0}], \"graphics_speed\": 1980, "
    "\"memory_speed\": 2619}, \"hard_disk\": {\"total\": 3840000000000, "
    "\"free\": 3500000000000, \"used\": 340000000000, \"write_speed\": "
    "1450.2, \"read_speed\": 5210.7}, \"ram\": {\"total\": 2164000000000, "
    "\"available\": 2100000000000, \"used\": 40000000000, \"free\": "
    "2050000000000, \"swap_total\": 0, \"swap_used\": 0, \"swap_free\": 0, "
    "\"read_speed\": 91000.5, \"write_speed\": 14000.1}, \"has_docker\": "
    "true}";

static const char alloc_details[] =
    "{\"username\": \"root\", \"password\": \"q8ZrT2mLx0\", \"port\": 4444, "
    "\"version\": 183, \"ip\": \"203.0.113.7\", \"resource\": \"nvidia h100 "
    "80gb hbm3\", \"regkey\": \"-----BEGIN PUBLIC KEY-----\\nMIIBIjANBg...\\n"
    "-----END PUBLIC KEY-----\\n\", \"ssh_key\": \"ssh-ed25519 AAAAC3Nza... "
    "user@host\", \"uuid\": \"2f6c1e3a-f4b1-11ef-9c1d-0242ac120002\"}";

static void ins(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    char *sql;

    va_start(ap, fmt);
    sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    up_exec(db, sql);
    sqlite3_free(sql);
}

/* Fills the file as the validator and the register API would have. */
static void build(const char *path)
{
    sqlite3 *db = up_open(path);

    up_exec(db, upstream_ddl);
    for (int i = 0; i < 4; i++)
        ins(db,
            "INSERT OR IGNORE INTO miner(uid, ss58_address) "
            "VALUES(%d, %Q)",
            i, hk[i]);
    ins(db,
        "INSERT INTO miner_details (hotkey, details, no_specs_count) "
        "VALUES (%Q, %Q, 0)",
        hk[0], specs_h100);
    ins(db,
        "INSERT INTO miner_details (hotkey, details, no_specs_count) "
        "VALUES (%Q, '{}', 3)",
        hk[1]);
    ins(db, "INSERT INTO miner_details (hotkey, details) VALUES (%Q, NULL)",
        hk[2]);
    for (int i = 0; i < 70; i++)
        ins(db,
            "INSERT INTO challenge_details (uid, ss58_address, success, "
            "elapsed_time, difficulty, created_at) VALUES (0, %Q, %d, "
            "%d.5, %d, '2024-09-25T21:%02d:40.123456')",
            hk[0], i % 3 != 0, i, 7 + i % 5, i % 60);
    /* uid 1: 20 successes, then one with no time: SQLite sorts it oldest
     * (NULLs first), outside the newest 20. */
    for (int i = 0; i < 20; i++)
        ins(db,
            "INSERT INTO challenge_details (uid, ss58_address, success, "
            "elapsed_time, difficulty, created_at) VALUES (1, %Q, 1, 2.0, 5, "
            "'2024-09-26T10:%02d:00')",
            hk[1], i);
    ins(db,
        "INSERT INTO challenge_details (uid, ss58_address, success, "
        "elapsed_time, difficulty, created_at) VALUES (1, %Q, 1, 2.0, 100, "
        "NULL)",
        hk[1]);
    ins(db, "INSERT INTO blacklist (hotkey) VALUES (%Q)", hk[3]);
    ins(db, "INSERT INTO allocation (hotkey, details) VALUES (%Q, %Q)", hk[0],
        alloc_details);
    ins(db, "INSERT INTO wandb_runs (hotkey, run_id) VALUES (%Q, 'ab12cd34')",
        hk[4]);
    /* Two rows in the same second: the higher id is the newer. */
    ins(db,
        "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
        "VALUES (%Q, 'NVIDIA H100', 8, '2025-02-26 10:00:00')",
        hk[0]);
    ins(db,
        "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
        "VALUES (%Q, 'NVIDIA H100 80GB HBM3', 8, '2025-02-26 10:00:00')",
        hk[0]);
    ins(db,
        "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus) "
        "VALUES (%Q, NULL, NULL)",
        hk[0]);
    /* No time and no hotkey: NULLs sort first, as in SQLite. */
    ins(db,
        "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
        "VALUES (%Q, 'NVIDIA A100 80GB PCIe', 4, '2025-01-01 00:00:00')",
        hk[1]);
    ins(db,
        "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
        "VALUES (%Q, 'NVIDIA A100', 4, NULL)",
        hk[1]);
    ins(db, "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, created_at) "
            "VALUES (NULL, 'NVIDIA L4', 1, '2025-01-02 00:00:00')");
    ins(db,
        "INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, "
        "own_score, reliability_score) VALUES (12, %Q, '{\"gpu_name\": "
        "\"NVIDIA H200\", \"num_gpus\": 8}', 100.0, 0, 1, 0)",
        hk[0]);
    ins(db,
        "INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, "
        "own_score) VALUES (13, %Q, 'not json', NULL, NULL, NULL)",
        hk[1]);
    sqlite3_close(db);
}

static json_t *get_ok(const char *path, struct resp *r)
{
    *r = th_get(path);
    if (r->status != 200)
        fprintf(stderr, "GET %s: %ld %s\n", path, r->status, r->body);
    CHECK_INT_EQ(r->status, 200);
    CHECK(r->json != NULL);
    return r->json;
}

static void check_served(void)
{
    struct resp r;
    char path[128];
    json_t *j, *rec;

    j = get_ok("/miners", &r);
    CHECK_INT_EQ(json_object_size(j), 4);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "2")), hk[2]);
    th_resp_free(&r);

    j = get_ok("/miners/details", &r);
    CHECK_INT_EQ(json_object_size(j), 3);
    rec = json_object_get(j, hk[0]);
    CHECK_INT_EQ(json_integer_value(
                     json_object_get(json_object_get(rec, "cpu"), "count")),
                 64);
    CHECK_INT_EQ(json_object_size(json_object_get(j, hk[2])), 0); /* NULL */
    th_resp_free(&r);

    snprintf(path, sizeof(path), "/miners/details/%s", hk[1]);
    j = get_ok(path, &r);
    CHECK_INT_EQ(json_integer_value(json_object_get(j, "no_specs_count")), 3);
    th_resp_free(&r);

    j = get_ok("/allocations", &r);
    rec = json_object_get(json_array_get(json_object_get(j, "items"), 0),
                          "details");
    CHECK_STR_EQ(json_string_value(json_object_get(rec, "uuid")),
                 "2f6c1e3a-f4b1-11ef-9c1d-0242ac120002");
    th_resp_free(&r);

    snprintf(path, sizeof(path), "/pog/stats/%s", hk[0]);
    j = get_ok(path, &r);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "gpu_name")),
                 "NVIDIA H100 80GB HBM3");
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/pog/stats/%s", hk[1]); /* not the NULL */
    j = get_ok(path, &r);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "gpu_name")),
                 "NVIDIA A100 80GB PCIe");
    th_resp_free(&r);

    j = get_ok("/stats", &r);
    rec = json_object_get(j, "13");
    CHECK(json_real_value(json_object_get(rec, "score")) == 0.0);
    CHECK(json_is_false(json_object_get(rec, "allocated")));
    CHECK(json_is_null(json_object_get(rec, "gpu_specs")));
    rec = json_object_get(j, "12");
    CHECK_INT_EQ(json_integer_value(json_object_get(
                     json_object_get(rec, "gpu_specs"), "num_gpus")),
                 8);
    CHECK(json_is_true(json_object_get(rec, "own_score")));
    th_resp_free(&r);

    j = get_ok("/wandb-runs", &r);
    CHECK_STR_EQ(json_string_value(json_object_get(j, hk[4])), "ab12cd34");
    th_resp_free(&r);

    j = get_ok("/blacklist", &r);
    CHECK_STR_EQ(
        json_string_value(json_array_get(json_object_get(j, "items"), 0)),
        hk[3]);
    th_resp_free(&r);

    j = get_ok("/challenges/stats", &r);
    rec = json_object_get(j, "0");
    CHECK_INT_EQ(json_integer_value(json_object_get(rec, "challenge_attempts")),
                 60);
    rec = json_object_get(j, "1"); /* the untimed 100 is not among the 20 */
    CHECK(json_real_value(json_object_get(rec, "last_20_difficulty_avg")) ==
          5.0);
    th_resp_free(&r);
}

/* Upstream table definitions, in one string, to compare before/after. */
static char *upstream_schema(const char *path)
{
    sqlite3 *db = up_open(path);
    char buf[16384];
    char *out;

    up_text(db,
            "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master "
            "WHERE name IN ('miner', 'miner_details', 'tb', "
            "'challenge_details', 'blacklist', 'allocation', 'wandb_runs', "
            "'pog_stats', 'stats', 'idx_uid', 'idx_ss58_address') "
            "ORDER BY name)",
            buf, sizeof(buf));
    out = strdup(buf);
    sqlite3_close(db);
    return out;
}

static void check_file(const char *path, const char *schema_before)
{
    sqlite3 *db = up_open(path);
    char buf[64];
    char *schema_after;

    CHECK_INT_EQ(up_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    CHECK_STR_EQ(up_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
    CHECK_STR_EQ(up_text(db, "PRAGMA integrity_check", buf, sizeof(buf)), "ok");
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM challenge_details"), 91);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM pog_stats"), 6);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
                            "'computedb_challenge_window'"),
                 1);
    CHECK_INT_EQ(up_int(db, "SELECT seq FROM sqlite_sequence "
                            "WHERE name = 'pog_stats'"),
                 6);
    sqlite3_close(db);
    schema_after = upstream_schema(path);
    CHECK_STR_EQ(schema_after, schema_before);
    free(schema_after);
}

/* Every read the API offers over these tables, for the driver comparison. */
static const char *const reads[] = {
    "/miners",     "/miners/details", "/challenges/stats",
    "/challenges", "/allocations",    "/stats",
    "/blacklist",  "/wandb-runs",     "/pog/stats",
    NULL,
};

/* The bodies of every read, as the running server answers them. */
static void answers(char *out[])
{
    for (int i = 0; reads[i]; i++) {
        struct resp r = th_get(reads[i]);

        CHECK_INT_EQ(r.status, 200);
        out[i] = strdup(r.body ? r.body : "");
        CHECK(out[i] != NULL);
        th_resp_free(&r);
    }
}

/* The same file copied into PostgreSQL (computedb migrate) is served the
 * same, byte for byte. Skipped without a PostgreSQL test server. */
static void check_postgres_copy(const char *path)
{
    char url[1024], err[512];
    char *lite[16] = {0}, *pg[16] = {0};

    if (!th_pg_database(url, sizeof(url))) {
        fprintf(stderr, "no PostgreSQL test server: the copy is not checked\n");
        return;
    }
    th_start(path);
    answers(lite);
    th_stop();
    CHECK(db_copy_to_postgres(path, url, NULL, NULL, err, sizeof(err)) ==
          SVC_OK);
    th_start(url);
    check_served();
    answers(pg);
    th_stop();
    for (int i = 0; reads[i]; i++) {
        if (strcmp(lite[i], pg[i]) != 0)
            fprintf(stderr, "%s differs:\nsqlite:   %.300s\npostgres: %.300s\n",
                    reads[i], lite[i], pg[i]);
        CHECK(strcmp(lite[i], pg[i]) == 0);
        free(lite[i]);
        free(pg[i]);
    }
    fprintf(stderr, "the PostgreSQL copy answers every read the same\n");
}

/* pog_jobs as schema version 4 made it: no principal column. */
static const char pog_jobs_v4[] =
    "CREATE TABLE pog_jobs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
    "state TEXT NOT NULL, device INTEGER, params TEXT, result TEXT, "
    "error TEXT, submitted_at INTEGER, started_at INTEGER, "
    "finished_at INTEGER);"
    /* principals before version 6: no scheme */
    "CREATE TABLE principals (ss58 TEXT PRIMARY KEY, role TEXT NOT NULL "
    "CHECK (role IN ('reader', 'writer', 'admin')), label TEXT, "
    "created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP);";

/* A reader of the old file, an ed25519 key as every principal was then. */
static const char old_reader[] =
    "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
/* A Bittensor hotkey (//Alice's sr25519 key) added after the upgrade. */
static const char sr_reader[] =
    "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
/* A client certificate (schema 7), by its SHA-256 name. */
static const char cert_reader[] =
    "sha256:5f2b8ff3c1d0a6e7b49e2c3d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

/* GET /admin/principals/{ss58}: its scheme, or "" when absent. */
static void principal_scheme(const char *ss58, char *buf, size_t len)
{
    char path[128];
    struct resp r;
    const json_t *p;

    snprintf(path, sizeof(path), "/admin/principals/%s", ss58);
    p = get_ok(path, &r);
    snprintf(buf, len, "%s",
             json_string_value(json_object_get(p, "scheme"))
                 ? json_string_value(json_object_get(p, "scheme"))
                 : "");
    th_resp_free(&r);
}

/* GET /pog/jobs/{id}: its principal (NULL for null), copied into buf. */
static const char *job_principal(long long id, char *buf, size_t len)
{
    char path[64];
    struct resp r;
    const json_t *job, *who;
    bool null;

    snprintf(path, sizeof(path), "/pog/jobs/%lld", id);
    job = get_ok(path, &r);
    CHECK_INT_EQ(json_integer_value(
                     json_object_get(json_object_get(job, "result"), "n")),
                 8);
    who = json_object_get(job, "principal");
    CHECK(json_is_string(who) || json_is_null(who));
    snprintf(buf, len, "%s", json_is_string(who) ? json_string_value(who) : "");
    null = json_is_null(who);
    th_resp_free(&r); /* who goes with it */
    return null ? NULL : buf;
}

/* The upgraded file copied into PostgreSQL keeps each job's principal. */
static void check_v4_copy(const char *path)
{
    char url[1024], err[512], who[64];

    if (!th_pg_database(url, sizeof(url)))
        return;
    CHECK(db_copy_to_postgres(path, url, NULL, NULL, err, sizeof(err)) ==
          SVC_OK);
    th_start(url);
    CHECK(job_principal(7, who, sizeof(who)) == NULL);
    CHECK_STR_EQ(job_principal(8, who, sizeof(who)), hk[0]);
    principal_scheme(old_reader, who, sizeof(who));
    CHECK_STR_EQ(who, "ed25519");
    principal_scheme(sr_reader, who, sizeof(who));
    CHECK_STR_EQ(who, "sr25519");
    principal_scheme(cert_reader, who, sizeof(who));
    CHECK_STR_EQ(who, "x509");
    th_stop();
}

/* A file at schema version 4 with a PoG job and a principal: opening it
 * adds pog_jobs.principal (NULL for the old row, which stays readable),
 * the pruning's indexes and principals.scheme (ed25519 for the old
 * principal, as it signed), and sets the version. */
static void check_v4_upgrade(void)
{
    char path[512], who[64];
    long long now = (long long)time(NULL) * 1000;
    sqlite3 *db;

    snprintf(path, sizeof(path), "/tmp/computedb-compat-v4-%d.db",
             (int)getpid());
    db = up_open(path);
    up_exec(db, upstream_ddl);
    up_exec(db, pog_jobs_v4);
    ins(db,
        "INSERT INTO pog_jobs VALUES (7, 'compute', 'done', 0, '{}', "
        "'{\"n\": 8}', NULL, %lld, %lld, %lld)",
        now, now, now);
    ins(db,
        "INSERT INTO principals VALUES (%Q, 'reader', 'old', "
        "'2026-01-01 00:00:00', NULL)",
        old_reader);
    up_exec(db, "PRAGMA user_version=4");
    sqlite3_close(db);
    th_start(path);
    CHECK(job_principal(7, who, sizeof(who)) == NULL);
    principal_scheme(old_reader, who, sizeof(who));
    CHECK_STR_EQ(who, "ed25519");
    th_stop();
    db = up_open(path);
    CHECK_INT_EQ(up_int(db, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM pog_jobs WHERE id = 7 AND "
                            "principal IS NULL"),
                 1);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                            "('computedb_pog_jobs_principal', "
                            "'computedb_pog_jobs_finished')"),
                 2);
    ins(db,
        "INSERT INTO pog_jobs VALUES (8, 'compute', 'done', 0, '{}', "
        "'{\"n\": 8}', NULL, %lld, %lld, %lld, %Q)",
        now, now, now, hk[0]);
    ins(db,
        "INSERT INTO principals (ss58, role, created_at, scheme) VALUES (%Q, "
        "'reader', '2026-01-02 00:00:00', 'sr25519')",
        sr_reader);
    /* Version 7 rebuilt the table so that a client certificate fits: the
     * old rows are all there. */
    ins(db,
        "INSERT INTO principals (ss58, role, created_at, scheme) VALUES (%Q, "
        "'reader', '2026-01-03 00:00:00', 'x509')",
        cert_reader);
    CHECK_INT_EQ(up_int(db, "SELECT COUNT(*) FROM principals WHERE label = "
                            "'old' AND created_at = '2026-01-01 00:00:00' AND "
                            "scheme = 'ed25519' AND secrets = 0"),
                 1);
    /* The column keeps out what no verifier knows. */
    CHECK(sqlite3_exec(db,
                       "UPDATE principals SET scheme = 'ecdsa' WHERE ss58 = "
                       "'5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty'",
                       NULL, NULL, NULL) == SQLITE_CONSTRAINT);
    sqlite3_close(db);
    check_v4_copy(path);
    unlink(path);
}

int main(void)
{
    char path[512];
    char *schema;

    for (unsigned i = 0; i < 8; i++)
        hk[i] = th_hotkey(100 + i);
    snprintf(path, sizeof(path), "/tmp/computedb-compat-%d.db", (int)getpid());
    build(path);
    schema = upstream_schema(path);
    th_start(path);
    check_served();
    th_stop();
    check_file(path, schema);
    /* A second open is a no-op migration. */
    th_start(path);
    check_served();
    th_stop();
    check_file(path, schema);
    check_postgres_copy(path);
    check_v4_upgrade();
    free(schema);
    unlink(path);
    return 0;
}
