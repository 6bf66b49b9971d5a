/* SPDX-License-Identifier: MIT */
/* A serializer that mirrors CPython's json encoder byte for byte: object
 * key order as given, ", " / ": " separators, ensure_ascii escaping (everything
 * outside ' '..'~') and float repr (shortest round-trip digits, fixed notation
 * for exponents in
 * [-4, 16), else d.ddde+XX). */
#include "pyjson.h"

#include "core/buf.h"
#include "core/num.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appending never stops for a failure: it sticks in the buffer, and
 * pyjson_dumps() reports it once, at the end. */
static void puts_(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static void put_u16(struct buf *b, unsigned v)
{
    char esc[8];

    snprintf(esc, sizeof(esc), "\\u%04x", v & 0xffffu);
    buf_append(b, esc, 6);
}

/* Decodes one UTF-8 sequence (jansson strings are valid UTF-8). */
static uint32_t utf8_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    uint32_t c = p[0];
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

    c &= extra == 3 ? 0x07u : extra == 2 ? 0x0fu : extra == 1 ? 0x1fu : 0x7fu;
    for (int i = 1; i <= extra; i++)
        c = (c << 6) | (p[i] & 0x3fu);
    *s = p + 1 + extra;
    return c;
}

static void put_escaped_char(struct buf *b, uint32_t c)
{
    static const char *const named[] = {['\b'] = "\\b",
                                        ['\f'] = "\\f",
                                        ['\n'] = "\\n",
                                        ['\r'] = "\\r",
                                        ['\t'] = "\\t"};

    if (c == '"' || c == '\\') {
        char esc[2] = {'\\', (char)c};

        buf_append(b, esc, 2);
    } else if (c < 0x20 && c < sizeof(named) / sizeof(named[0]) && named[c]) {
        puts_(b, named[c]);
    } else if (c < 0x20 || (c >= 0x7f && c <= 0xffff)) {
        put_u16(b, c);
    } else if (c > 0xffff) {
        c -= 0x10000;
        put_u16(b, 0xd800 + (c >> 10));
        put_u16(b, 0xdc00 + (c & 0x3ff));
    } else {
        char ch = (char)c;

        buf_append(b, &ch, 1);
    }
}

static void put_string(struct buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;

    buf_append(b, "\"", 1);
    while (p < end)
        put_escaped_char(b, utf8_next(&p));
    buf_append(b, "\"", 1);
}

bool pyjson_float(double d, char *buf, size_t len)
{
    return num_repr(d, buf, len);
}

static void dump(struct buf *b, const json_t *v);

static void dump_object(struct buf *b, const json_t *v)
{
    const char *key;
    json_t *val;
    bool first = true;

    buf_append(b, "{", 1);
    json_object_foreach ((json_t *)(uintptr_t)v, key, val) {
        if (!first)
            buf_append(b, ", ", 2);
        first = false;
        put_string(b, key, strlen(key));
        buf_append(b, ": ", 2);
        dump(b, val);
    }
    buf_append(b, "}", 1);
}

static void dump_array(struct buf *b, const json_t *v)
{
    size_t i;
    json_t *val;

    buf_append(b, "[", 1);
    json_array_foreach (v, i, val) {
        if (i)
            buf_append(b, ", ", 2);
        dump(b, val);
    }
    buf_append(b, "]", 1);
}

static void dump(struct buf *b, const json_t *v)
{
    char num[40];

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        dump_object(b, v);
        break;
    case JSON_ARRAY:
        dump_array(b, v);
        break;
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        puts_(b, num);
        break;
    case JSON_REAL:
        if (pyjson_float(json_real_value(v), num, sizeof(num)))
            puts_(b, num);
        else /* non-finite: refuse rather than write NaN */
            buf_fail(b, SVC_ERR_INVALID);
        break;
    case JSON_TRUE:
        puts_(b, "true");
        break;
    case JSON_FALSE:
        puts_(b, "false");
        break;
    case JSON_NULL:
        puts_(b, "null");
        break;
    }
}

char *pyjson_dumps(const json_t *v)
{
    struct buf b = {0};
    char *text = NULL;

    dump(&b, v);
    return buf_take(&b, &text, NULL) == SVC_OK ? text : NULL;
}
