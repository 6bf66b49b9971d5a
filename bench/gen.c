/* SPDX-License-Identifier: MIT */
/* bench_gen: builds a realistic validator database for the benchmarks, and
 * measures SQLite's own rates on this disk for the ratios:
 *   bench_gen --out FILE [--challenges N]   256 uids, N challenge rows
 *     (default 1,000,000), 256 miner_details with 8-GPU specs, 1,024
 *     pog_stats, 256 stats, 64 allocations, and an admin key principal.
 *   bench_gen --raw-insert FILE --batches B [--challenges N]   in-process
 *     INSERT rate of the batch POST /challenges writes (the round after
 *     the N generated rows), 256 rows per transaction, same pragmas.
 *   bench_gen --body-out FILE [--challenges N]   that batch as the JSON body
 *     of POST /challenges.
 *   bench_gen --raw-commit FILE --seconds S   one-row transactions per
 *     second (SQLite's own commit limit), same pragmas.
 * Prints one JSON object. The schema comes from the service's own
 * migrations (db_pool_open), so indexes match production. */
#include "core/auth_msg.h"
#include "schema/db.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { UIDS = 256, BATCH = 256 };

static char hotkeys[UIDS][SS58_LEN + 1];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_hotkeys(void)
{
    for (unsigned u = 0; u < UIDS; u++) {
        uint8_t key[SS58_KEY_BYTES];

        for (size_t i = 0; i < sizeof(key); i++)
            key[i] = (uint8_t)(u * 31u + i * 17u + 5u);
        ss58_encode(key, hotkeys[u]);
    }
}

static void must(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "bench_gen: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static sqlite3 *open_db(const char *path, bool create_schema)
{
    sqlite3 *db = NULL;

    if (create_schema) {
        struct db_options o = {.path = path,
                               .readers = 1,
                               .busy_timeout_ms = 5000,
                               .sync_full = true};
        struct db_pool *pool = NULL;

        if (db_pool_open(&o, &pool) != SVC_OK) {
            fprintf(stderr, "bench_gen: cannot create %s\n", path);
            exit(1);
        }
        db_pool_close(pool);
    }
    must(db, sqlite3_open(path, &db), "open");
    /* The service's pragmas (schema/lite_db.c). */
    must(db,
         sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                      NULL, NULL, NULL),
         "pragmas");
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    must(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql);
}

/* Challenge row i, as upstream's PoW rounds wrote them: one row per uid
 * per round, a round every 13 minutes. */
struct challenge {
    unsigned uid;
    bool success;
    double elapsed;
    int difficulty;
    char stamp[40];
};

static struct challenge challenge_row(long i)
{
    struct challenge c;
    time_t t = 1700000000 + (i / UIDS) * 780 + (time_t)(i % UIDS);
    struct tm tm;

    c.uid = (unsigned)(i % UIDS);
    c.success = (i * 13) % 10 < 8;
    c.elapsed = 1.0 + (double)((i * 37) % 2900) / 100.0;
    c.difficulty = 7 + (int)((i * 11) % 6);
    gmtime_r(&t, &tm);
    strftime(c.stamp, 20, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(c.stamp + 19, sizeof(c.stamp) - 19, ".%06ld",
             (i * 7919) % 1000000);
    return c;
}

static void bind_challenge(sqlite3_stmt *st, long i)
{
    struct challenge c = challenge_row(i);

    sqlite3_bind_int(st, 1, (int)c.uid);
    sqlite3_bind_text(st, 2, hotkeys[c.uid], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, c.success);
    sqlite3_bind_double(st, 4, c.elapsed);
    sqlite3_bind_int(st, 5, c.difficulty);
    sqlite3_bind_text(st, 6, c.stamp, -1, SQLITE_TRANSIENT);
}

/* The batch both the raw insert and POST /challenges write: 256 rows, one
 * per uid, of the round after the generated history. */
static long next_round(long rows)
{
    return (rows / UIDS + 1) * UIDS;
}

static void write_body(const char *path, long rows)
{
    FILE *f = fopen(path, "w");
    long first = next_round(rows);

    if (!f)
        exit(1);
    fputs("{\"challenges\": [", f);
    for (long i = first; i < first + BATCH; i++) {
        struct challenge c = challenge_row(i);

        fprintf(f,
                "%s{\"uid\": %u, \"hotkey\": \"%s\", \"success\": %s, "
                "\"elapsed_time\": %.2f, \"difficulty\": %d, "
                "\"created_at\": \"%s\"}",
                i > first ? ", " : "", c.uid, hotkeys[c.uid],
                c.success ? "true" : "false", c.elapsed, c.difficulty, c.stamp);
    }
    fputs("]}\n", f);
    fclose(f);
}

static void fill_challenges(sqlite3 *db, long n)
{
    static const char sql[] =
        "INSERT INTO challenge_details (uid, ss58_address, success, "
        "elapsed_time, difficulty, created_at) VALUES (?1,?2,?3,?4,?5,?6)";
    sqlite3_stmt *st;

    must(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), "prepare");
    exec(db, "BEGIN");
    for (long i = 0; i < n; i++) {
        bind_challenge(st, i);
        must(db, sqlite3_step(st), "insert challenge");
        sqlite3_reset(st);
        if (i % 100000 == 99999) {
            exec(db, "COMMIT; BEGIN");
            fprintf(stderr, "bench_gen: %ld challenge rows\n", i + 1);
        }
    }
    exec(db, "COMMIT");
    sqlite3_finalize(st);
}

static const char specs[] =
    "{\"cpu\": {\"count\": 64, \"frequency\": 2000.0}, \"gpu\": {\"count\": "
    "8, \"capacity\": 652472.0, \"details\": [{\"name\": \"NVIDIA H100 80GB "
    "HBM3\", \"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}, {\"name\": \"NVIDIA H100 80GB HBM3\", "
    "\"capacity\": 81559.0}], \"graphics_speed\": 1980, \"memory_speed\": "
    "2619}, \"hard_disk\": {\"total\": 3840000000000, \"free\": "
    "3500000000000, \"used\": 340000000000, \"write_speed\": 1450.2, "
    "\"read_speed\": 5210.7}, \"ram\": {\"total\": 2164000000000, "
    "\"available\": 2100000000000, \"used\": 40000000000, \"free\": "
    "2050000000000, \"swap_total\": 0, \"swap_used\": 0, \"swap_free\": 0, "
    "\"read_speed\": 91000.5, \"write_speed\": 14000.1}, \"has_docker\": "
    "true}";

static void fill_rest(sqlite3 *db)
{
    char *sql;

    exec(db, "BEGIN");
    for (unsigned u = 0; u < UIDS; u++) {
        sql = sqlite3_mprintf(
            "INSERT INTO miner VALUES (%u, %Q);"
            "INSERT INTO miner_details (hotkey, details, no_specs_count) "
            "VALUES (%Q, %Q, 0);"
            "INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, "
            "own_score, reliability_score, created_at) VALUES (%u, %Q, "
            "'{\"gpu_name\": \"NVIDIA H100 80GB HBM3\", \"num_gpus\": 8}', "
            "%f, %d, 1, 0, '2025-02-26 10:31:05');",
            u, hotkeys[u], hotkeys[u], specs, u, hotkeys[u], (double)(u % 100),
            u < 64);
        exec(db, sql);
        sqlite3_free(sql);
        for (int k = 0; k < 4; k++) {
            sql = sqlite3_mprintf(
                "INSERT INTO pog_stats (hotkey, gpu_name, num_gpus, "
                "created_at) VALUES (%Q, 'NVIDIA H100 80GB HBM3', 8, "
                "'2025-02-26 0%d:00:00')",
                hotkeys[u], k);
            exec(db, sql);
            sqlite3_free(sql);
        }
        if (u >= 64)
            continue;
        sql = sqlite3_mprintf(
            "INSERT INTO allocation (hotkey, details) VALUES (%Q, "
            "'{\"username\": \"root\", \"password\": \"q8ZrT2mLx0\", "
            "\"port\": 4444, \"version\": 183, \"ip\": \"203.0.113.%u\", "
            "\"resource\": \"nvidia h100 80gb hbm3\", \"regkey\": \"k\", "
            "\"ssh_key\": \"\", \"uuid\": \"u-%u\"}')",
            hotkeys[u], u, u);
        exec(db, sql);
        sqlite3_free(sql);
    }
    exec(db, "COMMIT");
}

/* The rows POST /challenges writes for one batch: the miner pair
 * (INSERT OR IGNORE) and the challenge row. */
static double raw_insert(const char *path, long batches, long rows)
{
    long first = next_round(rows);
    sqlite3 *db = open_db(path, false);
    sqlite3_stmt *m, *c;
    double t0;

    must(db,
         sqlite3_prepare_v2(db,
                            "INSERT OR IGNORE INTO miner (uid, ss58_address) "
                            "VALUES (?1, ?2)",
                            -1, &m, NULL),
         "prepare");
    must(db,
         sqlite3_prepare_v2(db,
                            "INSERT INTO challenge_details (uid, "
                            "ss58_address, success, elapsed_time, "
                            "difficulty, created_at) VALUES "
                            "(?1,?2,?3,?4,?5,?6)",
                            -1, &c, NULL),
         "prepare");
    t0 = now_s();
    for (long b = 0; b < batches; b++) {
        exec(db, "BEGIN IMMEDIATE");
        for (long i = first; i < first + BATCH; i++) {
            sqlite3_bind_int(m, 1, (int)(i % UIDS));
            sqlite3_bind_text(m, 2, hotkeys[i % UIDS], -1, SQLITE_STATIC);
            must(db, sqlite3_step(m), "miner");
            sqlite3_reset(m);
            bind_challenge(c, i);
            must(db, sqlite3_step(c), "challenge");
            sqlite3_reset(c);
        }
        exec(db, "COMMIT");
    }
    t0 = now_s() - t0;
    sqlite3_finalize(m);
    sqlite3_finalize(c);
    sqlite3_close(db);
    return (double)(batches * BATCH) / t0;
}

/* One-row write transactions, as fast as SQLite commits them here. */
static double raw_commit(const char *path, double seconds)
{
    sqlite3 *db = open_db(path, false);
    sqlite3_stmt *st;
    double t0 = now_s(), t;
    char details[128];
    long n = 0;

    must(db,
         sqlite3_prepare_v2(db,
                            "INSERT INTO allocation (hotkey, details) VALUES "
                            "(?1, ?2) ON CONFLICT(hotkey) DO UPDATE SET "
                            "details = excluded.details",
                            -1, &st, NULL),
         "prepare");
    do {
        exec(db, "BEGIN IMMEDIATE");
        /* A new value each time: SQLite writes nothing for an equal row. */
        snprintf(details, sizeof(details),
                 "{\"username\": \"root\", \"port\": 4444, \"uuid\": "
                 "\"u-%ld\"}",
                 n);
        sqlite3_bind_text(st, 1, hotkeys[n % UIDS], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, details, -1, SQLITE_STATIC);
        must(db, sqlite3_step(st), "upsert");
        sqlite3_reset(st);
        exec(db, "COMMIT");
        n++;
        t = now_s() - t0;
    } while (t < seconds);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return (double)n / t;
}

static const char *arg(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *out = arg(argc, argv, "--out");
    const char *ins = arg(argc, argv, "--raw-insert");
    const char *com = arg(argc, argv, "--raw-commit");
    const char *n = arg(argc, argv, "--challenges");
    const char *b = arg(argc, argv, "--batches");
    const char *s = arg(argc, argv, "--seconds");
    const char *body = arg(argc, argv, "--body-out");
    long rows = n ? strtol(n, NULL, 10) : 1000000;
    double t0 = now_s();

    if (ss58_init() != SVC_OK)
        return 1;
    make_hotkeys();
    if (ins) {
        printf("{\"raw_insert_rows_per_s\": %.1f}\n",
               raw_insert(ins, b ? strtol(b, NULL, 10) : 100, rows));
        return 0;
    }
    if (com) {
        printf("{\"raw_commits_per_s\": %.1f}\n",
               raw_commit(com, s ? strtod(s, NULL) : 3.0));
        return 0;
    }
    if (body) {
        write_body(body, rows);
        return 0;
    }
    if (!out) {
        fputs("usage: bench_gen --out FILE [--challenges N] | --raw-insert "
              "FILE [--batches B] | --raw-commit FILE [--seconds S] | "
              "--body-out FILE\n",
              stderr);
        return 2;
    }
    {
        sqlite3 *db = open_db(out, true);

        fill_challenges(db, rows);
        fill_rest(db);
        exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
        sqlite3_close(db);
    }
    printf("{\"generated\": \"%s\", \"seconds\": %.1f}\n", out, now_s() - t0);
    return 0;
}
