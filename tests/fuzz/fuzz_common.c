/* SPDX-License-Identifier: MIT */
/* What the fuzz harnesses share (fuzz.h): set-up, a throw-away database,
 * requests built as server/http.c builds them, and the reply checks.
 *
 * DESIGN: one process runs millions of inputs, so everything here is made
 * once (fz_init) and lives until exit, when an atexit handler closes the
 * database and removes its folder. A crash removes the folder too (a
 * failed property, or a sanitizer's death callback), and the next process
 * collects the folders of processes that were killed. The request-target is
 * split and decoded the way libmicrohttpd 0.9 does it (MHD_parse_arguments_ and
 * MHD_http_unescape): the path is percent-decoded, the query is split at
 * '&' and '=' with '+' read as a space, so the handlers see what they see
 * behind the real server. */
#include "app/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "fuzz.h"
#include "schema/db.h"
#include "server/auth.h"
#include "server/metrics.h"

#include <jansson.h>
#include <sqlite3.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    bool ready;
    bool with_db;
    char dir[64];
    char db[128];
    struct config cfg;
    struct app app;
    sqlite3 *peek;
    sqlite3_stmt *version;
} fz;

/* Removes the database files and the backups folder, then the folder. */
static void remove_dir(const char *dir)
{
    static const char *const files[] = {"database.db", "database.db-wal",
                                        "database.db-shm",
                                        "database.db-journal"};
    char path[512];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "%s/backups", dir);
    d = opendir(path);
    while (d && (e = readdir(d))) {
        char file[1024];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        unlink(file);
    }
    if (d)
        closedir(d);
    rmdir(path);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* After a crash (a failed property or a sanitizer report), the database
 * is left open: only its files go, so that fork-mode campaigns with many
 * crashes do not fill /dev/shm. */
static void remove_after_crash(void)
{
    if (fz.with_db)
        remove_dir(fz.dir);
}

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
    remove_after_crash();
    abort();
}

/* Declared by the sanitizer runtimes; absent (NULL) without them. */
void __sanitizer_set_death_callback(void (*callback)(void))
    __attribute__((weak));

/* Removes the folders of harness processes that died without cleaning up
 * (killed, timed out): computedb-fuzz-<pid>-* whose pid is gone. */
static void collect_orphans(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        char path[512];
        char *end;
        long pid;

        if (strncmp(e->d_name, "computedb-fuzz-", 15) != 0)
            continue;
        pid = strtol(e->d_name + 15, &end, 10);
        if (end == e->d_name + 15 || *end != '-' || pid <= 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
        remove_dir(path);
    }
    if (d)
        closedir(d);
}

static void cleanup(void)
{
    if (!fz.with_db)
        return;
    sqlite3_finalize(fz.version);
    sqlite3_close(fz.peek);
    db_pool_close(fz.app.db);
    auth_free(fz.app.auth);
    remove_dir(fz.dir);
    fz.with_db = false;
}

static void open_db(void)
{
    struct db_options o;
    struct auth_options ao;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    collect_orphans(base);
    snprintf(fz.dir, sizeof(fz.dir), "%s/computedb-fuzz-%ld-XXXXXX", base,
             (long)getpid());
    FZ_ASSERT(mkdtemp(fz.dir) != NULL);
    snprintf(fz.db, sizeof(fz.db), "%s/database.db", fz.dir);
    o = (struct db_options){
        .path = fz.db, .readers = 1, .busy_timeout_ms = 1000};
    FZ_ASSERT(db_pool_open(&o, &fz.app.db) == SVC_OK);
    ao = (struct auth_options){.audience = fz.cfg.audience,
                               .window_ms = fz.cfg.auth_window_ms,
                               .future_ms = fz.cfg.auth_future_ms,
                               .replay_capacity = fz.cfg.replay_capacity,
                               .started_ms = clock_unix_ms() - 60000};
    fz.app.auth = auth_new(&ao);
    FZ_ASSERT(fz.app.auth != NULL);
    FZ_ASSERT(sqlite3_open_v2(fz.db, &fz.peek, SQLITE_OPEN_READONLY, NULL) ==
              SQLITE_OK);
    FZ_ASSERT(sqlite3_prepare_v2(fz.peek, "PRAGMA data_version", -1,
                                 &fz.version, NULL) == SQLITE_OK);
    fz.with_db = true;
    atexit(cleanup);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(remove_after_crash);
}

void fz_init(bool with_db)
{
    if (!fz.ready) {
        FZ_ASSERT(ss58_init() == SVC_OK);
        log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_ERR);
        config_defaults(&fz.cfg);
        metrics_init(svc_routes, svc_routes_count); /* as main.c does */
        fz.app.response_cache = !fz.cfg.no_response_cache;
        fz.app.started_ms = clock_unix_ms();
        fz.ready = true;
    }
    if (with_db && !fz.with_db)
        open_db();
}

struct app *fz_app(void)
{
    return &fz.app;
}

const char *fz_dir(void)
{
    return fz.dir;
}

long long fz_data_version(void)
{
    long long v;

    FZ_ASSERT(sqlite3_step(fz.version) == SQLITE_ROW);
    v = sqlite3_column_int64(fz.version, 0);
    sqlite3_reset(fz.version);
    return v;
}

void fz_take_line(const uint8_t **data, size_t *size, char *out, size_t cap)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    size_t keep = n < cap - 1 ? n : cap - 1;

    memcpy(out, *data, keep);
    out[keep] = '\0';
    n += nl != NULL;
    *data += n;
    *size -= n;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* MHD_http_unescape: %XX with two hex digits becomes the byte (a %00
 * ends the C string there, as it does behind the real server). */
static void unescape(char *s, bool plus)
{
    char *w = s;

    for (const char *r = s; *r; r++) {
        if (*r == '%' && hex(r[1]) >= 0 && hex(r[2]) >= 0) {
            *w++ = (char)(hex(r[1]) * 16 + hex(r[2]));
            r += 2;
        } else {
            *w++ = plus && *r == '+' ? ' ' : *r;
        }
    }
    *w = '\0';
}

/* MHD_parse_arguments_: "k=v&k2&=v3" -> (k, v), (k2, NULL), ("", v3). */
static bool add_query(struct req *req, char *args)
{
    while (*args) {
        char *amp = strchr(args, '&');
        char *eq;

        if (amp)
            *amp = '\0';
        eq = strchr(args, '=');
        if (eq)
            *eq = '\0';
        unescape(args, true);
        if (eq)
            unescape(eq + 1, true);
        if (req_add_query(req, args, eq ? eq + 1 : NULL) != SVC_OK)
            return false;
        if (!amp)
            break;
        args = amp + 1;
    }
    return true;
}

/* The request up to dispatch, as server/http.c begin() makes it. */
static struct req *build(const struct fz_call *call)
{
    char *copy = strdup(call->target), *q;
    struct req *req = NULL;

    if (!copy)
        return NULL;
    q = strchr(copy, '?');
    if (q)
        *q++ = '\0';
    unescape(copy, false);
    req = req_new(&fz.app, call->method, copy);
    if (!req)
        goto out;
    req->target = strdup(call->target);
    req->content_type = call->ctype ? strdup(call->ctype) : NULL;
    snprintf(req->request_id, sizeof(req->request_id), "fuzz");
    req->role = call->role;
    if (!req->target || (call->ctype && !req->content_type) ||
        (q && !add_query(req, q)) ||
        (call->body_len && /* http.c appends only non-empty chunks */
         req_append_body(req, (const char *)call->body, call->body_len,
                         fz.cfg.max_body) != SVC_OK)) {
        req_free(req);
        req = NULL;
    }
out:
    free(copy);
    return req;
}

struct req *fz_dispatch(const struct router *r, const struct fz_call *call,
                        struct reply *rep)
{
    struct req *req;

    memset(rep, 0, sizeof(*rep));
    if (call->target[0] != '/')
        return NULL;
    req = build(call);
    FZ_ASSERT(req != NULL); /* out of memory on fuzz-sized input */
    router_dispatch(r, req, rep);
    return req;
}

static bool documented_status(int status)
{
    static const int ok[] = {200, 201, 204, 304, 400, 401, 403,
                             404, 405, 409, 413, 415, 503, 507};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (status == ok[i])
            return true;
    return false;
}

/* The rendered body: JSON from rep->body, or the bytes of rep->raw or of
 * rep->fixed. */
static json_t *rendered(const struct reply *rep)
{
    char *text;
    json_t *v;

    if (rep->body) {
        text = json_dumps(rep->body, JSON_COMPACT | JSON_ENCODE_ANY);
        FZ_ASSERT(text != NULL); /* http.c would answer 500 */
        v = json_loads(text, JSON_DECODE_ANY, NULL);
        free(text);
        return v;
    }
    if (rep->raw && rep->raw_type &&
        strncmp(rep->raw_type, "application/json", 16) == 0)
        return json_loadb(rep->raw, rep->raw_len, JSON_DECODE_ANY, NULL);
    if (rep->fixed && rep->raw_type &&
        strncmp(rep->raw_type, "application/json", 16) == 0)
        return json_loadb(rep->fixed, rep->fixed_len, JSON_DECODE_ANY, NULL);
    return NULL;
}

/* True when s is valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF). */
static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        unsigned v = n == 0 ? c : c & (0x3fu >> n);

        if ((c >= 0x80 && c < 0xc2) || c > 0xf4)
            return false;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            v = v << 6 | (p[i] & 0x3fu);
        }
        if ((n == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
            (n == 3 && (v < 0x10000 || v > 0x10ffff)))
            return false;
        p += n + 1;
    }
    return true;
}

/* FUZZ_KNOWN_UTF8_500=1 lets a campaign look past the known bug of error
 * details that are not valid UTF-8 turning a 4xx into a 500 (see
 * README.md); replays never set it. */
static bool known_utf8_500(const struct req *req, const struct reply *rep)
{
    return rep->status == 500 && getenv("FUZZ_KNOWN_UTF8_500") &&
           (!utf8_ok(req->err.msg) || !utf8_ok(req->err.field));
}

void fz_check_reply(const struct req *req, const struct reply *rep)
{
    json_t *body = rendered(rep);

    if (known_utf8_500(req, rep)) {
        json_decref(body);
        return;
    }
    if (!documented_status(rep->status)) {
        fprintf(stderr, "%s %s -> %d (%s: %s %s)\n", req->method, req->path,
                rep->status, svc_rc_name(rep->rc), req->err.field,
                req->err.msg);
        FZ_ASSERT(documented_status(rep->status));
    }
    if (rep->status >= 400) {
        const json_t *err = json_object_get(body, "error");

        FZ_ASSERT(json_is_string(json_object_get(err, "code")));
        FZ_ASSERT(json_is_string(json_object_get(err, "message")));
    } else if (rep->status != 204 && rep->status != 304 && !rep->has_fd &&
               (rep->body || !rep->raw_type ||
                strncmp(rep->raw_type, "application/json", 16) == 0)) {
        FZ_ASSERT(body != NULL); /* JSON that parses */
    }
    json_decref(body);
}
