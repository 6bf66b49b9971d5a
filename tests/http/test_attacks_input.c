/* SPDX-License-Identifier: MIT */
/* Hostile bytes in the request target, over real sockets: a %00 anywhere
 * in the decoded path or in a decoded query key or value is refused with
 * 400 invalid_argument before routing (it used to cut the string short,
 * so "/miners%00/x" was served as /miners and "uid=1%00junk" read as 1),
 * and nothing is written; a query key crafted as key=value tokens cannot
 * forge tokens in the text access log. */
#include "core/log.h"
#include "util.h"

#include <fcntl.h>
#include <unistd.h>

/* A signed GET that must be refused with 400 naming field (NULL: none). */
static void expect_nul_refused(const char *method, const char *path,
                               const char *body, const char *field)
{
    struct tu_snap before = tu_snap_take();
    struct resp r = th_send(method, path, body);
    json_t *err = json_object_get(r.json, "error");
    const char *msg = json_string_value(json_object_get(err, "message"));

    if (r.status != 400)
        fprintf(stderr, "%s %s -> %ld: %s\n", method, path, r.status,
                r.body ? r.body : "");
    th_expect_error(&r, 400, "invalid_argument", NULL);
    CHECK(msg && strstr(msg, "NUL byte"));
    if (field)
        CHECK_STR_EQ(json_string_value(json_object_get(err, "field")), field);
    else
        CHECK(json_object_get(err, "field") == NULL);
    th_resp_free(&r);
    CHECK_UNCHANGED(before);
}

static void test_nul_in_path(void)
{
    char *p;

    expect_nul_refused("GET", "/miners%00/anything", NULL, NULL);
    expect_nul_refused("GET", "/miners%00", NULL, NULL);
    expect_nul_refused("GET", "/healthz%00", NULL, NULL);
    expect_nul_refused("GET", "/%00", NULL, NULL);
    expect_nul_refused("GET", "/miners%%00", NULL, NULL);
    p = tu_strf("/miners/details/%s%%00zzz", th_hotkey(1));
    expect_nul_refused("GET", p, NULL, NULL);
    free(p);
    /* A write: refused before its body is read; nothing stored. */
    p = tu_strf("/wandb-runs/%s%%00zzz", th_hotkey(2));
    expect_nul_refused("PUT", p, "{\"run_id\": \"run-1\"}", NULL);
    free(p);
    /* "%2500" is the text "%00", not a NUL: routed as usual. */
    tu_reject("GET", "/miners%2500", NULL, 404, "not_found", NULL);
}

static void test_nul_in_query(void)
{
    char *p;

    expect_nul_refused("GET", "/challenges?uid=1%00junk", NULL, "uid");
    expect_nul_refused("GET", "/challenges?limit=5&uid=%00", NULL, "uid");
    expect_nul_refused("GET", "/challenges?uid%00x=1", NULL, "uid");
    expect_nul_refused("GET", "/challenges?%00uid=1", NULL, NULL);
    expect_nul_refused("GET", "/healthz?x=%00", NULL, "x");
    p = tu_strf("/miners/1?hotkey=%s%%00zzz", th_hotkey(3));
    expect_nul_refused("DELETE", p, NULL, "hotkey");
    free(p);
    expect_nul_refused("POST", "/challenges?x%00=1", "{\"items\": []}", "x");
    /* Still fine without the NUL. */
    {
        struct resp r = th_get("/challenges?uid=1");

        CHECK_INT_EQ(r.status, 200);
        th_resp_free(&r);
    }
}

/* A backup name with %00zzz appended must not fetch the backup. */
static void test_nul_in_backup_name(void)
{
    struct resp r;

    if (th_postgres()) /* no file backups: GET /admin/backup is a 409 */
        return;
    r = th_send("POST", "/admin/backup", "{\"name\": \"nul-test.db\"}");
    CHECK_INT_EQ(r.status, 201);
    th_resp_free(&r);
    r = th_get("/admin/backup?name=nul-test.db");
    CHECK_INT_EQ(r.status, 200);
    th_resp_free(&r);
    expect_nul_refused("GET", "/admin/backup?name=nul-test.db%00zzz", NULL,
                       "name");
}

/* The lines written to stderr while fn runs, polled until one holds want
 * (the access line is written just after the answer is queued). Owned. */
static char *stderr_until(void (*fn)(void), const char *want)
{
    char path[] = "/tmp/test_attacks_input_XXXXXX";
    int fd = mkstemp(path), saved;
    char *out = calloc(1, 65536);
    ssize_t got = 0;

    CHECK(fd >= 0 && out != NULL);
    fflush(stderr);
    saved = dup(2);
    CHECK(saved >= 0 && dup2(fd, 2) == 2);
    fn();
    for (int i = 0; i < 200; i++) {
        fflush(stderr);
        got = pread(fd, out, 65535, 0);
        if (got > 0 && strstr(out, want))
            break;
        usleep(10000);
    }
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    close(fd);
    unlink(path);
    CHECK(got > 0);
    out[got] = '\0';
    return out;
}

static void forged_request(void)
{
    static const char *const hdr[] = {"X-Request-Id: forge-1", NULL};
    struct resp r;

    th_use(NULL);
    r = th_request("GET",
                   "/healthz?x%20status%3D200%20principal%3D5Gforged%20"
                   "rid%3Dother=1",
                   NULL, "", hdr);
    th_use(th_admin());
    th_expect_error(&r, 400, "invalid_argument",
                    "x status=200 principal=5Gforged rid=other");
    th_resp_free(&r);
}

/* Counts the tokens of an access line whose key is key: tokens split on
 * spaces outside "..." (where \" and \\ are escapes). */
static int count_tokens(const char *line, const char *key)
{
    size_t len = strlen(key);
    bool quoted = false, start = true;
    int n = 0;

    for (const char *p = line; *p; p++) {
        if (start && strncmp(p, key, len) == 0 && p[len] == '=')
            n++;
        start = false;
        if (quoted && *p == '\\' && p[1])
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == ' ' && !quoted)
            start = true;
    }
    CHECK(!quoted);
    return n;
}

static void test_log_injection(void)
{
    char *out, *line, *end;

    log_set_json(0);
    log_set_level(LOG_INFO);
    out = stderr_until(forged_request, "rid=forge-1");
    log_set_level(LOG_WARN);
    line = strstr(out, " access ");
    while (line && !strstr(line, "rid=forge-1"))
        line = strstr(line + 1, " access ");
    if (!line) {
        fprintf(stderr, "no access line for forge-1 in: %s\n", out);
        exit(1);
    }
    end = strchr(line, '\n');
    CHECK(end != NULL);
    *end = '\0';
    /* The field is one quoted token: no second status, principal or rid. */
    if (count_tokens(line, "status") != 1 ||
        count_tokens(line, "principal") != 1 || count_tokens(line, "rid") != 1)
        fprintf(stderr, "forged tokens: %s\n", line);
    CHECK_INT_EQ(count_tokens(line, "status"), 1);
    CHECK_INT_EQ(count_tokens(line, "principal"), 1);
    CHECK_INT_EQ(count_tokens(line, "rid"), 1);
    CHECK(strstr(line, " status=400 "));
    CHECK(strstr(line, " principal=- "));
    CHECK(strstr(line, " field=\"x status=200 principal=5Gforged "
                       "rid=other\""));
    free(out);
}

int main(void)
{
    tu_start();
    test_nul_in_path();
    test_nul_in_query();
    test_nul_in_backup_name();
    test_log_injection();
    tu_stop();
    return 0;
}
