/* SPDX-License-Identifier: MIT */
/* URL password redaction for logs, errors and `config print`. */
#include "redact.h"

#include <string.h>

/* Appends n bytes of s to out (len bytes, *used of them taken),
 * truncating; out stays terminated. */
static void put_text(char *out, size_t len, size_t *used, const char *s,
                     size_t n)
{
    while (n-- && *used + 1 < len)
        out[(*used)++] = *s++;
    out[*used] = '\0';
}

/* Copies the query string q (after '?') with each password=VALUE
 * parameter's value hidden. */
static void put_query(char *out, size_t len, size_t *used, const char *q)
{
    static const char param[] = "password=";

    while (*q) {
        size_t n = strcspn(q, "&");

        if (strncmp(q, param, sizeof(param) - 1) == 0) {
            put_text(out, len, used, param, sizeof(param) - 1);
            put_text(out, len, used, "***", 3);
        } else {
            put_text(out, len, used, q, n);
        }
        q += n;
        if (*q == '&')
            put_text(out, len, used, q++, 1);
    }
}

void url_redact(const char *where, char *out, size_t len)
{
    const char *scheme = strstr(where, "://");
    const char *auth = scheme ? scheme + 3 : NULL;
    size_t auth_len = auth ? strcspn(auth, "/") : 0;
    const char *at = NULL; /* the last '@': hides an unencoded one too */
    const char *colon, *rest, *query;
    size_t used = 0;

    if (!len)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            at = auth + i;
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    rest = colon ? at : where;
    if (!scheme) {
        put_text(out, len, &used, where, strlen(where));
        return;
    }
    if (colon) { /* user:PASSWORD@ */
        put_text(out, len, &used, where, (size_t)(colon - where));
        put_text(out, len, &used, ":***", 4);
    }
    query = strchr(rest, '?');
    put_text(out, len, &used, rest,
             query ? (size_t)(query + 1 - rest) : strlen(rest));
    if (query)
        put_query(out, len, &used, query + 1);
}
