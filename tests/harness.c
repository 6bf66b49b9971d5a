/* SPDX-License-Identifier: MIT */
/* The in-process server and libcurl client behind harness.h. */
/* nftw() is an XSI function. */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include "app/app.h"
#include "check.h"
#include "core/clock.h"
#include "core/log.h"
#include "schema/queries.h"

#include <curl/curl.h>
#ifdef COMPUTEDB_HAVE_PG
#include <libpq-fe.h>
#endif
#include <sodium.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
    char dir[256];
    char db[512];
    struct config cfg;
    struct db_pool *pool; /* run->app.db */
    struct app_run *run;
    char base[64];
    CURL *curl;
    struct th_key keys[64];
    size_t n_keys;
    const struct th_key *signer;
    bool gzip;
} th;

void th_gzip(bool on)
{
    th.gzip = on;
}

static enum svc_rc put_principal_tx(struct db *db, void *ctx)
{
    bool created;

    return q_principals_put(db, ctx, &created);
}

const struct th_key *th_key_new(enum role role)
{
    struct th_key *k;
    struct q_principal p = {0};

    CHECK(th.n_keys < sizeof(th.keys) / sizeof(th.keys[0]));
    k = &th.keys[th.n_keys++];
    randombytes_buf(k->seed, sizeof(k->seed));
    auth_seed_address(k->seed, k->ss58);
    if (role != ROLE_NONE) {
        p.ss58 = k->ss58;
        p.role = role_name(role);
        p.label = "test";
        CHECK(db_write(th.pool, put_principal_tx, &p) == SVC_OK);
    }
    return k;
}

const struct th_key *th_admin(void)
{
    return &th.keys[0];
}

void th_use(const struct th_key *key)
{
    th.signer = key;
}

/* The temporary folders of this process, removed when it exits. */
static char made[16][256];
static unsigned n_made;

static int unlink_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_dirs(void)
{
    for (unsigned i = 0; i < n_made; i++)
        nftw(made[i], unlink_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* COMPUTEDB_TEST_DRIVER=postgres: every server this process starts on a
 * fresh database gets its own PostgreSQL database, made on the test server
 * (COMPUTEDB_TEST_PG) and dropped at exit. */
static char pg_made[16][96];
static unsigned n_pg_made;

bool th_postgres(void)
{
    const char *d = getenv("COMPUTEDB_TEST_DRIVER");

    return d && strcmp(d, "postgres") == 0;
}

#ifdef COMPUTEDB_HAVE_PG
/* Runs one statement on the database at url. */
static bool pg_run(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;

    if (!ok)
        fprintf(stderr, "harness: %s: %s\n", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok;
}

/* Runs one statement on the test server's maintenance database. */
static bool pg_admin(const char *sql)
{
    return pg_run(getenv("COMPUTEDB_TEST_PG"), sql);
}

/* The tests check SQLite storage classes with typeof(); in their
 * PostgreSQL databases the same question is answered from the column's
 * type (a boolean is stored as an integer by SQLite). */
static const char typeof_fixture[] =
    "CREATE FUNCTION typeof(v anyelement) RETURNS text LANGUAGE sql "
    "IMMUTABLE AS $$ SELECT CASE WHEN v IS NULL THEN 'null' "
    "WHEN pg_typeof(v) IN ('bigint'::regtype, 'integer'::regtype, "
    "'smallint'::regtype, 'boolean'::regtype) THEN 'integer' "
    "WHEN pg_typeof(v) IN ('double precision'::regtype, 'real'::regtype, "
    "'numeric'::regtype) THEN 'real' ELSE 'text' END $$";

static void drop_pg(void)
{
    char sql[160];

    for (unsigned i = 0; i < n_pg_made; i++) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
                 pg_made[i]);
        (void)pg_admin(sql);
    }
}

bool th_pg_database(char *url, size_t len)
{
    const char *base = getenv("COMPUTEDB_TEST_PG");
    const char *slash = base ? strrchr(base, '/') : NULL;
    char sql[160];

    if (!slash)
        return false;
    CHECK(n_pg_made < sizeof(pg_made) / sizeof(pg_made[0]));
    snprintf(pg_made[n_pg_made], sizeof(pg_made[0]), "computedb_t_%d_%u",
             (int)getpid(), n_pg_made);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_made[n_pg_made]);
    CHECK(pg_admin(sql));
    if (n_pg_made++ == 0)
        atexit(drop_pg);
    snprintf(url, len, "%.*s/%s", (int)(slash - base), base,
             pg_made[n_pg_made - 1]);
    CHECK(pg_run(url, typeof_fixture));
    return true;
}
#else
bool th_pg_database(char *url, size_t len)
{
    (void)url;
    (void)len;
    return false;
}
#endif

/* A new database on the test server, or exit 77 (skipped) without one. */
static void new_pg_database(char *url, size_t len)
{
    if (!th_pg_database(url, len)) {
        fprintf(stderr, "harness: no PostgreSQL test server "
                        "(COMPUTEDB_TEST_PG) or driver; skipped\n");
        exit(77);
    }
}

void th_start(const char *db_path)
{
    th_start_with(db_path, NULL);
}

void th_start_with(const char *db_path, void (*tweak)(struct config *cfg))
{
    const char *level = getenv("COMPUTEDB_TEST_LOG");

    log_set_level(level ? (enum log_level)log_level_parse(level) : LOG_WARN);
    snprintf(th.dir, sizeof(th.dir), "/tmp/computedb-test-XXXXXX");
    CHECK(mkdtemp(th.dir) != NULL);
    if (n_made == 0)
        atexit(remove_dirs);
    if (n_made < sizeof(made) / sizeof(made[0]))
        snprintf(made[n_made++], sizeof(made[0]), "%s", th.dir);
    if (db_path)
        snprintf(th.db, sizeof(th.db), "%s", db_path);
    else if (th_postgres())
        new_pg_database(th.db, sizeof(th.db));
    else
        snprintf(th.db, sizeof(th.db), "%s/database.db", th.dir);
    config_defaults(&th.cfg);
    snprintf(th.cfg.db_path, sizeof(th.cfg.db_path), "%s", th.db);
    th.cfg.admin_key[0] = '\0'; /* the harness makes its own admin below */
    th.cfg.port = 0;
    th.cfg.threads = 4;
    th.cfg.readers = 4;
    th.cfg.max_body = 64 * 1024;
    th.cfg.busy_timeout_ms = 1000;
    /* Each start waits this long before listening (app_open). */
    th.cfg.auth_future_ms = 100;
    /* The CPU backend: the same answers on every machine. */
    snprintf(th.cfg.pog_backend, sizeof(th.cfg.pog_backend), "cpu");
    if (tweak)
        tweak(&th.cfg);
    CHECK(app_open(&th.cfg, &th.run) == SVC_OK);
    th.pool = th.run->app.db;
    th.n_keys = 0;
    th.signer = th_key_new(ROLE_ADMIN);
    snprintf(th.base, sizeof(th.base), "http://127.0.0.1:%u",
             (unsigned)app_port(th.run));
    CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == 0);
    th.curl = curl_easy_init();
    CHECK(th.curl != NULL);
}

const char *th_base(void)
{
    return th.base;
}

void th_key_file(const struct th_key *key, const char *path)
{
    char hex[2 * AUTH_SEED_BYTES + 1];
    FILE *f = fopen(path, "w");

    CHECK(f != NULL);
    sodium_bin2hex(hex, sizeof(hex), key->seed, sizeof(key->seed));
    fprintf(f, "%s\n", hex);
    CHECK(fclose(f) == 0);
}

const char *th_dir(void)
{
    return th.dir;
}

const char *th_db_path(void)
{
    return th.db;
}

void th_stop(void)
{
    if (th.curl)
        curl_easy_cleanup(th.curl);
    th.curl = NULL;
    app_close(th.run);
    th.run = NULL;
    th.pool = NULL;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct resp *r = ctx;
    size_t len = size * n;
    char *grown = realloc(r->body, r->len + len + 1);

    CHECK(grown != NULL);
    r->body = grown;
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct resp *r = ctx;
    size_t len = size * n, used = strlen(r->headers);

    if (used + len < sizeof(r->headers)) {
        memcpy(r->headers + used, data, len);
        r->headers[used + len] = '\0';
    }
    return len;
}

/* With COMPUTEDB_RESPONSE_LOG set, appends the exchange as one JSON line
 * to <dir>/<pid>.jsonl for tests/contract/validate_responses.py. */
static void record(const char *method, const char *path, const struct resp *r)
{
    const char *dir = getenv("COMPUTEDB_RESPONSE_LOG");
    char file[512], ctype[128] = "";
    json_t *line;
    FILE *f;

    if (!dir || !*dir)
        return;
    th_header(r, "Content-Type", ctype, sizeof(ctype));
    line = json_pack(
        "{s:s,s:s,s:I,s:s,s:O?}", "method", method, "path", path, "status",
        (json_int_t)r->status, "content_type", ctype, "body",
        strncmp(ctype, "application/json", 16) == 0 ? r->json : NULL);
    snprintf(file, sizeof(file), "%s/%d.jsonl", dir, (int)getpid());
    f = fopen(file, "a");
    if (f && line) {
        json_dumpf(line, f, JSON_COMPACT);
        fputc('\n', f);
    }
    if (f)
        fclose(f);
    json_decref(line);
}

/* Adds the four BT-* headers for the current signer, if any. */
static struct curl_slist *sign(struct curl_slist *hl, const char *method,
                               const char *path, const char *body)
{
    struct auth_subject s = {th.cfg.audience, method, path, body,
                             body ? strlen(body) : 0};
    struct auth_signed sig;
    char h[256];

    if (!th.signer)
        return hl;
    CHECK(auth_sign(th.signer->seed, &s, clock_unix_ms(), &sig) == SVC_OK);
    snprintf(h, sizeof(h), "BT-Signer: %s", sig.signer);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Timestamp: %s", sig.timestamp);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Nonce: %s", sig.nonce);
    hl = curl_slist_append(hl, h);
    snprintf(h, sizeof(h), "BT-Signature: %s", sig.signature);
    return curl_slist_append(hl, h);
}

/* th_request on the easy handle h. */
static struct resp request_on(CURL *h, const char *method, const char *path,
                              const char *body, const char *ctype,
                              const char *const *headers)
{
    struct resp r = {0};
    struct curl_slist *hl = NULL;
    char url[1024], ct[128];

    snprintf(url, sizeof(url), "%s%s", th.base, path);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    if (th.gzip) /* sends Accept-Encoding: gzip and decodes the answer */
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (!ctype)
        ctype = body ? "application/json" : "";
    snprintf(ct, sizeof(ct), "Content-Type:%s%s", *ctype ? " " : "", ctype);
    hl = curl_slist_append(hl, ct);
    hl = curl_slist_append(hl, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = sign(hl, method, path, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    CHECK(curl_easy_perform(h) == CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    if (r.body)
        r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
    record(method, path, &r);
    return r;
}

struct resp th_request(const char *method, const char *path, const char *body,
                       const char *ctype, const char *const *headers)
{
    return request_on(th.curl, method, path, body, ctype, headers);
}

struct th_async {
    pthread_t thread;
    const char *method, *path, *body;
    struct resp r;
};

static void *async_main(void *arg)
{
    struct th_async *a = arg;
    CURL *h = curl_easy_init();

    CHECK(h != NULL);
    a->r = request_on(h, a->method, a->path, a->body, NULL, NULL);
    curl_easy_cleanup(h);
    return NULL;
}

struct th_async *th_send_async(const char *method, const char *path,
                               const char *body)
{
    struct th_async *a = calloc(1, sizeof(*a));

    CHECK(a != NULL);
    a->method = method;
    a->path = path;
    a->body = body;
    CHECK(pthread_create(&a->thread, NULL, async_main, a) == 0);
    return a;
}

struct resp th_wait(struct th_async *a)
{
    struct resp r;

    CHECK(pthread_join(a->thread, NULL) == 0);
    r = a->r;
    free(a);
    return r;
}

struct resp th_get(const char *path)
{
    return th_request("GET", path, NULL, NULL, NULL);
}

double th_metric(const char *name)
{
    struct resp r = th_get("/metrics");
    size_t n = strlen(name);
    const char *p = r.body;
    double v = 0;

    CHECK_INT_EQ(r.status, 200);
    while (p && !(strncmp(p, name, n) == 0 && p[n] == ' ')) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        fprintf(stderr, "no sample %s in /metrics\n", name);
    CHECK(p != NULL);
    v = strtod(p + n + 1, NULL);
    th_resp_free(&r);
    return v;
}

struct resp th_send(const char *method, const char *path, const char *body)
{
    return th_request(method, path, body, NULL, NULL);
}

bool th_header(const struct resp *r, const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);

    for (const char *p = r->headers; p && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            size_t vl = strcspn(v, "\r\n");

            while (*v == ' ') {
                v++;
                vl--;
            }
            snprintf(buf, len, "%.*s", (int)vl, v);
            return true;
        }
    }
    return false;
}

void th_resp_free(struct resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

void th_expect_error(const struct resp *r, long status, const char *code,
                     const char *field)
{
    json_t *err = json_object_get(r->json, "error");

    if (r->status != status)
        fprintf(stderr, "unexpected body: %s\n", r->body ? r->body : "");
    CHECK_INT_EQ(r->status, status);
    CHECK(json_is_object(err));
    CHECK_STR_EQ(json_string_value(json_object_get(err, "code")), code);
    CHECK(json_is_string(json_object_get(err, "message")));
    CHECK(json_is_string(json_object_get(err, "request_id")));
    if (field)
        CHECK_STR_EQ(json_string_value(json_object_get(err, "field")), field);
}

const char *th_hotkey(unsigned seed)
{
    static char keys[64][SS58_LEN + 1];
    static unsigned next;
    uint8_t key[SS58_KEY_BYTES];
    char *out = keys[next++ % 64];

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(seed * 131u + i * 7u + (seed >> 8));
    ss58_encode(key, out);
    return out;
}
