/* SPDX-License-Identifier: MIT */
/* The access log keeps client bytes in their place: in the text format a
 * value with a space, '=', '"', a backslash or a control character is
 * quoted and escaped, so a request is one line of key=value tokens that
 * no field can forge; the JSON format stays valid JSON (control characters
 * escaped, bytes that are not UTF-8 replaced). */
#include "check.h"
#include "core/log.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A field as a client can send it through a query key. */
static const char forged[] = "x status=200 principal=5Gforged";
static const char nasty[] = "a\"b\\c\nd\x01"
                            "e=f g\x7fh\tz";

/* Runs log_access(a) with stderr sent to a file; returns what it wrote
 * (owned). */
static char *capture_access(const struct log_access *a)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path), saved;
    char *out = calloc(1, 8192);
    ssize_t got;

    CHECK(fd >= 0 && out != NULL);
    fflush(stderr);
    saved = dup(2);
    CHECK(saved >= 0 && dup2(fd, 2) == 2);
    log_access(a);
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    got = pread(fd, out, 8191, 0);
    CHECK(got > 0);
    close(fd);
    unlink(path);
    return out;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads one value at *p (bare, or quoted with \" \\ \xNN) into out and
 * moves *p past it; exits the test on a malformed value. */
static void read_value(const char **p, char *out, size_t len)
{
    size_t n = 0;
    const char *s = *p;

    if (*s != '"') {
        while (*s && *s != ' ' && *s != '\n' && n + 1 < len)
            out[n++] = *s++;
    } else {
        for (s++; *s != '"'; s++) {
            CHECK(*s && *s != '\n' && n + 1 < len);
            if (*s == '\\') {
                s++;
                if (*s == 'x') {
                    CHECK(hex(s[1]) >= 0 && hex(s[2]) >= 0);
                    out[n++] = (char)(hex(s[1]) * 16 + hex(s[2]));
                    s += 2;
                } else {
                    CHECK(*s == '"' || *s == '\\');
                    out[n++] = *s;
                }
            } else {
                CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
                out[n++] = *s;
            }
        }
        s++;
    }
    out[n] = '\0';
    *p = s;
}

/* Splits a text access line into its key=value tokens and checks it: one
 * line, each key once, in the expected order; the field's value read back
 * into field. */
static void parse_text(const char *line, char *field, size_t len)
{
    static const char *const keys[] = {"method", "route", "status",
                                       "dur_ms", "rid",   "principal",
                                       "error",  "field"};
    const char *p = strstr(line, " access ");
    char value[512];
    size_t k = 0;

    CHECK(p != NULL);
    CHECK(strchr(line, '\n') == line + strlen(line) - 1); /* one line */
    p += strlen(" access ");
    while (*p != '\n') {
        const char *eq = strchr(p, '=');

        CHECK(eq != NULL && k < sizeof(keys) / sizeof(keys[0]));
        if ((size_t)(eq - p) != strlen(keys[k]) ||
            strncmp(p, keys[k], (size_t)(eq - p)) != 0) {
            fprintf(stderr, "token %zu is not %s: %s", k, keys[k], line);
            exit(1);
        }
        p = eq + 1;
        read_value(&p, value, sizeof(value));
        if (strcmp(keys[k], "field") == 0)
            snprintf(field, len, "%s", value);
        if (strcmp(keys[k], "status") == 0)
            CHECK_STR_EQ(value, "400");
        k++;
        CHECK(*p == ' ' || *p == '\n');
        if (*p == ' ')
            p++;
    }
    CHECK_INT_EQ(k, sizeof(keys) / sizeof(keys[0]));
}

static struct log_access access_with(const char *field)
{
    struct log_access a = {"GET",   "/healthz", 400,           0.5,
                           "rid-1", "",         "ERR_INVALID", field,
                           NULL,    NULL,       NULL,          NULL};

    return a;
}

/* A refused signed request's line names the reason, the claimed signer
 * (escaped: it is the client's text) and the client's address. */
static void test_refusal_fields(void)
{
    struct log_access a = {"GET",
                           "/miners",
                           401,
                           0.5,
                           "rid-2",
                           "",
                           "ERR_UNAUTH",
                           NULL,
                           "127.0.0.9",
                           "bad_signature",
                           "5G x status=200",
                           NULL};
    char *line;
    json_t *j;

    log_set_json(0);
    line = capture_access(&a);
    CHECK(strstr(line, " error=ERR_UNAUTH reason=bad_signature "
                       "signer=\"5G x status=200\" client=127.0.0.9\n"));
    free(line);
    log_set_json(1);
    line = capture_access(&a);
    j = json_loads(line, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "reason")),
                 "bad_signature");
    CHECK_STR_EQ(json_string_value(json_object_get(j, "signer")),
                 "5G x status=200");
    CHECK_STR_EQ(json_string_value(json_object_get(j, "client")), "127.0.0.9");
    json_decref(j);
    free(line);
    log_set_json(0);
}

/* A refused CORS preflight names the origin, escaped: it is the client's
 * text. */
static void test_origin_field(void)
{
    struct log_access a = access_with("Origin");
    char *line;

    a.reason = "origin_not_allowed";
    a.origin = "https://evil.example\" status=200";
    log_set_json(0);
    line = capture_access(&a);
    CHECK(strstr(line, " reason=origin_not_allowed "
                       "origin=\"https://evil.example\\\" status=200\"\n"));
    free(line);
}

static void test_text_quotes_values(void)
{
    const char *const fields[] = {forged, nasty, "plain",        "\"",
                                  "\\",   "=",   "caf\xc3\xa9 x"};
    char field[512];

    log_set_json(0);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct log_access a = access_with(fields[i]);
        char *line = capture_access(&a);

        parse_text(line, field, sizeof(field));
        CHECK_STR_EQ(field, fields[i]);
        free(line);
    }
    {
        struct log_access a = access_with(forged);
        char *line = capture_access(&a);

        CHECK(strstr(line, " field=\"x status=200 principal=5Gforged\"\n"));
        free(line);
    }
    {
        struct log_access a = access_with("plain");
        char *line = capture_access(&a);

        /* Plain tokens stay bare. */
        CHECK(strstr(line, " method=GET route=/healthz status=400 "));
        CHECK(strstr(line, " rid=rid-1 principal=- error=ERR_INVALID "
                           "field=plain\n"));
        free(line);
    }
}

/* Parses a JSON access line and returns its field member (owned). */
static char *json_field(const char *line)
{
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    char *out;

    if (!j) {
        fprintf(stderr, "not JSON (%s): %s", jerr.text, line);
        exit(1);
    }
    CHECK(strchr(line, '\n') == line + strlen(line) - 1);
    CHECK_STR_EQ(json_string_value(json_object_get(j, "msg")), "access");
    CHECK_INT_EQ(json_integer_value(json_object_get(j, "status")), 400);
    out = strdup(json_string_value(json_object_get(j, "field")));
    json_decref(j);
    return out;
}

static void test_json_stays_valid(void)
{
    const char *const fields[][2] = {
        {nasty, nasty},
        {forged, forged},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"\xff", "\xef\xbf\xbd"},   /* not UTF-8: U+FFFD */
        {"a\xc3", "a\xef\xbf\xbd"}, /* cut short */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* D800 */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
    };

    log_set_json(1);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct log_access a = access_with(fields[i][0]);
        char *line = capture_access(&a);
        char *field = json_field(line);

        CHECK_STR_EQ(field, fields[i][1]);
        free(field);
        free(line);
    }
    log_set_json(0);
}

int main(void)
{
    log_set_level(LOG_INFO);
    test_text_quotes_values();
    test_json_stays_valid();
    test_refusal_fields();
    test_origin_field();
    return 0;
}
