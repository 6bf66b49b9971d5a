/* SPDX-License-Identifier: MIT */
/* The device_requirement matcher behind match.h. Where upstream's Python
 * raised and swallowed an exception for a value of the wrong type, we
 * report the row as malformed instead of dropping it silently; a missing
 * key stays a plain non-match, as upstream. */
#include "match.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum get { GOT, MISSING, WRONG_TYPE };

static enum get get_num(const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return MISSING;
    if (!json_is_number(v))
        return WRONG_TYPE;
    *out = json_number_value(v);
    return GOT;
}

/* A component: a non-empty object to check, NULL when absent or falsy
 * (upstream's `not component`: {}, [], "", 0, false, null), or a value of
 * the wrong type (*wrong set), which upstream tripped over. */
static const json_t *component(const json_t *details, const char *key,
                               bool *wrong)
{
    const json_t *c = json_object_get(details, key);

    *wrong = false;
    if (json_is_object(c))
        return json_object_size(c) ? c : NULL;
    if (!c || json_is_null(c) || json_is_false(c) ||
        (json_is_array(c) && json_array_size(c) == 0) ||
        (json_is_string(c) && json_string_length(c) == 0) ||
        (json_is_number(c) && json_number_value(c) == 0))
        return NULL;
    *wrong = true;
    return NULL;
}

/* Looks up a required component; MATCH_MALFORMED (with why) when it has
 * the wrong type. */
static enum match_result required(const json_t *details, const char *key,
                                  const json_t **out, char *why, size_t len)
{
    bool wrong;

    *out = component(details, key, &wrong);
    if (!wrong)
        return MATCH_YES;
    snprintf(why, len, "%s is not an object", key);
    return MATCH_MALFORMED;
}

/* Checks comp[key] against need with >= (or > when strict). */
static enum match_result at_least(const json_t *comp, const char *cname,
                                  const char *key, double need, bool strict,
                                  char *why, size_t len)
{
    double have;
    enum get g = comp ? get_num(comp, key, &have) : MISSING;

    if (g == MISSING)
        return MATCH_NO;
    if (g == WRONG_TYPE) {
        snprintf(why, len, "%s.%s is not a number", cname, key);
        return MATCH_MALFORMED;
    }
    return (strict ? have > need : have >= need) ? MATCH_YES : MATCH_NO;
}

static enum match_result gpu_type(const struct match_req *r, const json_t *gpu,
                                  char *why, size_t len)
{
    const json_t *first = json_array_get(json_object_get(gpu, "details"), 0);
    const json_t *name = json_object_get(first, "name");
    char lower[256];
    size_t n;

    if (!name)
        return MATCH_NO;
    if (!json_is_string(name)) {
        snprintf(why, len, "gpu.details[0].name is not a string");
        return MATCH_MALFORMED;
    }
    n = json_string_length(name);
    if (n >= sizeof(lower))
        n = sizeof(lower) - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)json_string_value(name)[i]);
    lower[n] = '\0';
    return strstr(lower, r->gpu_type) ? MATCH_YES : MATCH_NO;
}

static enum match_result check_gpu(const struct match_req *r,
                                   const json_t *details, char *why, size_t len)
{
    const json_t *gpu;
    enum match_result m = required(details, "gpu", &gpu, why, len);

    if (m != MATCH_YES)
        return m;
    if (!gpu)
        return MATCH_NO;
    m = at_least(gpu, "gpu", "capacity", r->gpu_capacity, true, why, len);
    if (m == MATCH_YES)
        m = at_least(gpu, "gpu", "count", r->gpu_count, false, why, len);
    if (m == MATCH_YES)
        m = gpu_type(r, gpu, why, len);
    return m;
}

/* One required component with a minimum on one of its members. */
static enum match_result check_min(const json_t *details, const char *key,
                                   const char *member, double need, char *why,
                                   size_t len)
{
    const json_t *comp;
    enum match_result m = required(details, key, &comp, why, len);

    if (m != MATCH_YES)
        return m;
    return at_least(comp, key, member, need, false, why, len);
}

static enum match_result check_all(const struct match_req *r, const json_t *d,
                                   char *why, size_t len)
{
    enum match_result m = MATCH_YES;

    if (!json_object_get(d, "cpu") || !json_object_get(d, "gpu") ||
        !json_object_get(d, "hard_disk") || !json_object_get(d, "ram"))
        return MATCH_NO;
    if (r->cpu)
        m = check_min(d, "cpu", "count", r->cpu_count, why, len);
    if (m == MATCH_YES && r->gpu)
        m = check_gpu(r, d, why, len);
    if (m == MATCH_YES && r->disk)
        m = check_min(d, "hard_disk", "free", r->disk_capacity, why, len);
    if (m == MATCH_YES && r->ram)
        m = check_min(d, "ram", "available", r->ram_capacity, why, len);
    return m;
}

enum match_result match_details(const struct match_req *r, const char *details,
                                char *why, size_t len)
{
    json_error_t err;
    json_t *d;
    enum match_result m;

    if (!details) {
        snprintf(why, len, "details is NULL");
        return MATCH_MALFORMED;
    }
    if (!*details)
        return MATCH_NO;
    d = json_loads(details, JSON_DECODE_ANY, &err);
    if (!d) {
        snprintf(why, len, "details is not valid JSON: %s", err.text);
        return MATCH_MALFORMED;
    }
    if (!json_is_object(d)) {
        json_decref(d);
        snprintf(why, len, "details is not a JSON object");
        return MATCH_MALFORMED;
    }
    m = json_object_size(d) ? check_all(r, d, why, len) : MATCH_NO;
    json_decref(d);
    return m;
}
