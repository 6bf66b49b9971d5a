/* SPDX-License-Identifier: MIT */
/* The request decoders behind decode.h. */
#include "decode.h"

#include "core/certid.h"
#include "core/ss58.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dec_field(char buf[DEC_FIELD_LEN], const char *where, long index,
               const char *name)
{
    if (!where)
        snprintf(buf, DEC_FIELD_LEN, "%s", name);
    else if (index >= 0 && name)
        snprintf(buf, DEC_FIELD_LEN, "%s[%ld].%s", where, index, name);
    else if (index >= 0)
        snprintf(buf, DEC_FIELD_LEN, "%s[%ld]", where, index);
    else
        snprintf(buf, DEC_FIELD_LEN, "%s.%s", where, name);
}

static bool listed(const char *key, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(key, *allowed) == 0)
            return true;
    return false;
}

enum svc_rc dec_fields(struct req *req, const json_t *obj, const char *where,
                       const char *const *allowed)
{
    char field[DEC_FIELD_LEN];
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return req_fail(req, SVC_ERR_INVALID, where ? where : "",
                        "must be a JSON object");
    json_object_foreach ((json_t *)(uintptr_t)obj, key, v) {
        if (listed(key, allowed))
            continue;
        dec_field(field, where, -1, key);
        return req_fail(req, SVC_ERR_INVALID, field, "unknown field '%.64s'",
                        key);
    }
    return SVC_OK;
}

static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

bool dec_is_datetime(const char *s, char sep, bool fraction)
{
    size_t n = strlen(s);
    int y, mo, d, h, mi, se;

    if (n != 19 && !(fraction && n == 26))
        return false;
    if (s[4] != '-' || s[7] != '-' || s[10] != sep || s[13] != ':' ||
        s[16] != ':' || (n == 26 && (s[19] != '.' || digits(s + 20, 6) < 0)))
        return false;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    se = digits(s + 17, 2);
    return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in(y, mo) &&
           h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 59;
}

bool dec_has(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);

    return v && !json_is_null(v);
}

/* Finds member name; records "is required" when it is absent or null. */
static const json_t *member(struct req *req, const json_t *obj,
                            const char *where, long index, const char *name,
                            char field[DEC_FIELD_LEN])
{
    const json_t *v = json_object_get(obj, name);

    dec_field(field, where, index, name);
    if (!v || json_is_null(v))
        req_fail(req, SVC_ERR_INVALID, field, "is required");
    return v && !json_is_null(v) ? v : NULL;
}

enum svc_rc dec_hotkey(struct req *req, const json_t *obj, const char *where,
                       long index, const char *name, const char **out)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = member(req, obj, where, index, name, field);

    if (!v)
        return SVC_ERR_INVALID;
    if (!json_is_string(v) || !ss58_is_valid(json_string_value(v)))
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an SS58 address (network 42)");
    *out = json_string_value(v);
    return SVC_OK;
}

enum svc_rc dec_int(struct req *req, const json_t *obj, const char *where,
                    long index, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = member(req, obj, where, index, name, field);

    if (!v)
        return SVC_ERR_INVALID;
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max)
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be an integer in [%lld, %lld]", (long long)min,
                        (long long)max);
    *out = json_integer_value(v);
    return SVC_OK;
}

enum svc_rc dec_real(struct req *req, const json_t *obj, const char *where,
                     long index, const char *name, double min, double max,
                     double *out)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = member(req, obj, where, index, name, field);
    double d;

    if (!v)
        return SVC_ERR_INVALID;
    d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < min || d > max)
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be a finite number in [%g, %g]", min, max);
    *out = d;
    return SVC_OK;
}

enum svc_rc dec_bool(struct req *req, const json_t *obj, const char *where,
                     long index, const char *name, bool *out)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = member(req, obj, where, index, name, field);

    if (!v)
        return SVC_ERR_INVALID;
    if (!json_is_boolean(v))
        return req_fail(req, SVC_ERR_INVALID, field, "must be true or false");
    *out = json_is_true(v);
    return SVC_OK;
}

enum svc_rc dec_text(struct req *req, const json_t *obj, const char *where,
                     long index, const char *name, size_t max, const char **out)
{
    char field[DEC_FIELD_LEN];
    const json_t *v = member(req, obj, where, index, name, field);

    if (!v)
        return SVC_ERR_INVALID;
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > max)
        return req_fail(req, SVC_ERR_INVALID, field,
                        "must be a string of 1 to %zu bytes", max);
    *out = json_string_value(v);
    return SVC_OK;
}

enum svc_rc dec_array(struct req *req, const json_t *obj, const char *name,
                      size_t max, const json_t **out)
{
    const json_t *v = json_object_get(obj, name);

    if (!v)
        return req_fail(req, SVC_ERR_INVALID, name, "is required");
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > max)
        return req_fail(req, SVC_ERR_INVALID, name,
                        "must be an array of 1 to %zu elements", max);
    *out = v;
    return SVC_OK;
}

static enum svc_rc hotkey_arg(struct req *req, const char *name, const char *v,
                              const char **out)
{
    if (!v)
        return req_fail(req, SVC_ERR_INVALID, name, "is required");
    if (!ss58_is_valid(v))
        return req_fail(req, SVC_ERR_INVALID, name,
                        "must be an SS58 address (network 42)");
    *out = v;
    return SVC_OK;
}

enum svc_rc dec_path_hotkey(struct req *req, const char *name, const char **out)
{
    return hotkey_arg(req, name, req_param(req, name), out);
}

enum svc_rc dec_path_key(struct req *req, const char *name, const char **out)
{
    const char *v = req_param(req, name);

    if (strcmp(name, "ss58") != 0 || !v || !strchr(v, ':'))
        return hotkey_arg(req, name, v, out);
    if (!cert_id_is_valid(v))
        return req_fail(req, SVC_ERR_INVALID, name,
                        "must be an SS58 address (network 42) or a client "
                        "certificate's name, \"sha256:\" and 64 lower-case "
                        "hex digits");
    *out = v;
    return SVC_OK;
}

enum svc_rc dec_query_hotkey(struct req *req, const char *name,
                             const char **out)
{
    return hotkey_arg(req, name, req_query(req, name), out);
}

/* Strict decimal in [min, max]: no sign games, spaces or trailing bytes. */
static bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool dec_uid_key(const char *s, int64_t *out)
{
    return parse_int(s, 0, DEC_UID_MAX, out);
}

enum svc_rc dec_path_uid(struct req *req, const char *name, int64_t *out)
{
    if (!parse_int(req_param(req, name), 0, DEC_UID_MAX, out))
        return req_fail(req, SVC_ERR_INVALID, name,
                        "must be an integer in [0, %d]", DEC_UID_MAX);
    return SVC_OK;
}

enum svc_rc dec_query_int(struct req *req, const char *name, int64_t min,
                          int64_t max, int64_t def, int64_t *out, bool *present)
{
    const char *v = req_query(req, name);

    if (present)
        *present = v != NULL;
    if (!v) {
        *out = def;
        return SVC_OK;
    }
    if (!parse_int(v, min, max, out))
        return req_fail(req, SVC_ERR_INVALID, name,
                        "must be an integer in [%lld, %lld]", (long long)min,
                        (long long)max);
    return SVC_OK;
}

enum svc_rc dec_query_bool(struct req *req, const char *name, bool *out,
                           bool *present)
{
    const char *v = req_query(req, name);

    *present = v != NULL;
    if (!v)
        return SVC_OK;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
        return req_fail(req, SVC_ERR_INVALID, name, "must be true or false");
    *out = v[0] == 't';
    return SVC_OK;
}
