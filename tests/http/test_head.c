/* SPDX-License-Identifier: MIT */
/* HEAD answers as GET without the body (RFC 9110 9.3.2): the same status,
 * Content-Type, Content-Length and ETag, 304 on a matching If-None-Match,
 * a backup file's length, the GET route's guards (401 unsigned, open
 * routes open, --public-read), and 405 with Allow where no GET is. Sent on
 * raw sockets and read to the end, so a body sent by mistake shows. */
#include "app/config.h"
#include "core/auth_msg.h"
#include "core/clock.h"
#include "raw.h"
#include "util.h"

#include <signal.h>
#include <strings.h>

/* Sends HEAD target (signed by the admin when sign) with the extra header
 * line extra ("" for none) and reads until the server closes. */
static struct raw head(const char *target, bool sign, const char *extra)
{
    struct auth_subject s = {"computedb", "HEAD", target, "", 0};
    struct auth_signed sig = {0};
    char req[1024];
    struct raw r = {0, "", 0};
    size_t len = 0;
    ssize_t n;
    int fd = dial();

    CHECK(fd >= 0);
    if (sign)
        CHECK(auth_sign(th_admin()->seed, &s, clock_unix_ms(), &sig) == SVC_OK);
    snprintf(req, sizeof(req),
             "HEAD %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s%s%s%s%s"
             "%s%s%s%s%s\r\n",
             target, extra, sign ? "BT-Signer: " : "", sig.signer,
             sign ? "\r\nBT-Timestamp: " : "", sig.timestamp,
             sign ? "\r\nBT-Nonce: " : "", sig.nonce,
             sign ? "\r\nBT-Signature: " : "", sig.signature,
             sign ? "\r\n" : "");
    CHECK(send_str(fd, req));
    while (len < sizeof(r.text) - 1 &&
           (n = recv(fd, r.text + len, sizeof(r.text) - 1 - len, 0)) > 0)
        len += (size_t)n;
    close(fd);
    r.text[len] = '\0';
    if (strncmp(r.text, "HTTP/1.1 ", 9) == 0)
        r.status = (int)strtol(r.text + 9, NULL, 10);
    CHECK(strstr(r.text, "\r\n\r\n") != NULL);
    r.body_at = (size_t)(strstr(r.text, "\r\n\r\n") + 4 - r.text);
    CHECK_STR_EQ(raw_body(&r), ""); /* nothing after the headers */
    return r;
}

/* The value of header name in a raw answer, copied into out ("" when
 * absent). */
static const char *header(const struct raw *r, const char *name, char *out,
                          size_t len)
{
    const char *p = r->text;
    size_t n = strlen(name);

    out[0] = '\0';
    while ((p = strstr(p, "\r\n")) != NULL && p < r->text + r->body_at) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1 + strspn(p + n + 1, " ");
            snprintf(out, len, "%.*s", (int)strcspn(p, "\r"), p);
            break;
        }
    }
    return out;
}

/* HEAD target answers what GET target answers, less the body. */
static void same_as_get(const char *target, bool sign)
{
    struct resp get = th_get(target);
    struct raw h = head(target, sign, "");
    char a[128], b[128], len[24];

    CHECK_INT_EQ(h.status, get.status);
    snprintf(len, sizeof(len), "%zu", get.len);
    CHECK_STR_EQ(header(&h, "Content-Length", a, sizeof(a)), len);
    th_header(&get, "Content-Type", b, sizeof(b));
    CHECK_STR_EQ(header(&h, "Content-Type", a, sizeof(a)), b);
    b[0] = '\0';
    th_header(&get, "ETag", b, sizeof(b));
    CHECK_STR_EQ(header(&h, "ETag", a, sizeof(a)), b);
    th_resp_free(&get);
}

static void check_routes(void)
{
    struct resp r = tu_sendf(
        "PUT", "/miners",
        "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": \"%s\"}]}",
        hk(1));
    struct raw h;
    char etag[128], line[256], got[64];

    CHECK_STATUS(r, 200);
    th_resp_free(&r);
    same_as_get("/healthz", false);
    same_as_get("/miners", true);
    same_as_get("/stats", true); /* from the answer cache the second time */
    same_as_get("/stats", true);
    same_as_get("/openapi.json", false);

    /* Conditional: the ETag GET gave answers 304. */
    h = head("/miners", true, "");
    header(&h, "ETag", etag, sizeof(etag));
    CHECK(etag[0]);
    snprintf(line, sizeof(line), "If-None-Match: %s\r\n", etag);
    h = head("/miners", true, line);
    CHECK_INT_EQ(h.status, 304);

    /* The guards of the GET route: unsigned is refused. */
    h = head("/miners", false, "");
    CHECK_INT_EQ(h.status, 401);

    /* A path with no GET: 405, and HEAD is not offered. */
    h = head("/allocations/candidates", true, "");
    CHECK_INT_EQ(h.status, 405);
    CHECK_STR_EQ(header(&h, "Allow", got, sizeof(got)), "POST");
    h = head("/nope", true, "");
    CHECK_INT_EQ(h.status, 404);
}

/* A backup download: the file's length, not its bytes. */
static void check_backup(void)
{
    struct resp r = th_send("POST", "/admin/backup", "{\"name\": \"h.db\"}");
    struct raw h;
    char got[32], want[32];

    if (r.status == 409) { /* PostgreSQL: no file backups */
        th_resp_free(&r);
        return;
    }
    CHECK_STATUS(r, 201);
    th_resp_free(&r);
    r = th_get("/admin/backup?name=h.db");
    CHECK_STATUS(r, 200);
    snprintf(want, sizeof(want), "%zu", r.len);
    th_resp_free(&r);
    h = head("/admin/backup?name=h.db", true, "");
    CHECK_INT_EQ(h.status, 200);
    CHECK_STR_EQ(header(&h, "Content-Length", got, sizeof(got)), want);
}

static void public_read(struct config *cfg)
{
    cfg->public_read = 1;
}

static void set_port(void)
{
    const char *colon = strrchr(th_base(), ':');

    CHECK(colon != NULL);
    raw_port = (uint16_t)strtoul(colon + 1, NULL, 10);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    th_start(NULL);
    set_port();
    check_routes();
    check_backup();
    th_stop();

    /* --public-read opens unsigned HEADs as it opens unsigned GETs. */
    th_start_with(NULL, public_read);
    set_port();
    CHECK_INT_EQ(head("/miners", false, "").status, 200);
    th_stop();
    return 0;
}
