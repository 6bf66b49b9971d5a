/* SPDX-License-Identifier: MIT */
/* The upstream allocation API's two database reads, POST
 * /list/allocations_sql and POST /list/resources_sql, answered as
 * neurons/register_api.py answers them over the same rows: its envelopes,
 * status codes, FastAPI's 422 shape, the Allocation and Resource objects
 * and its pagination. Its routes that talk to miners answer 501. Where
 * computedb differs on purpose, docs/upstream.md 1.3 says so. */
#include "core/num.h"
#include "handlers.h"
#include "schema/queries.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { DEFAULT_PAGE_SIZE = 50, TWO_DP_MAX = 400 };

static const double GIB = 1073741824.0;
static const double INT64_LIMIT = 9223372036854775808.0; /* 2^63 */

static const char MSG_422[] =
    "Validation Error, Please check the request body.";
static const char MSG_DICT[] =
    "Input should be a valid dictionary or object to extract fields from";
static const char MSG_STR[] = "Input should be a valid string";
static const char MSG_INT[] = "Input should be a valid integer";
static const char MSG_INT_PARSE[] =
    "Input should be a valid integer, unable to parse string as an integer";
static const char MSG_INT_FRACTION[] =
    "Input should be a valid integer, got a number with a fractional part";
static const char MSG_INT_SIZE[] =
    "Unable to parse input string as an integer, exceeded maximum size";
static const char MSG_FLOAT[] = "Input should be a valid number";
static const char MSG_FLOAT_PARSE[] =
    "Input should be a valid number, unable to parse string as a number";
static const char MSG_BOOL[] =
    "Input should be a valid boolean, unable to interpret input";

/* ---- envelopes ------------------------------------------------------- */

/* {"success", "message", member: value} with status; steals value. */
static enum svc_rc envelope(struct reply *rep, int status, const char *message,
                            const char *member, json_t *value)
{
    return reply_json(rep, status,
                      json_pack("{s:b,s:s,s:o}", "success", status == 200,
                                "message", message, member, value));
}

/* ---- Python's conversions, as upstream applies them ----------------- */

/* Skips ASCII white space around *s; returns the length left. */
static size_t trim(const char **s)
{
    size_t n;

    while (isspace((unsigned char)**s))
        (*s)++;
    n = strlen(*s);
    while (n > 0 && isspace((unsigned char)(*s)[n - 1]))
        n--;
    return n;
}

/* An int literal as Python's int() reads one: a sign, then digits with
 * single underscores between them. *big is set past the int64 range. */
static bool int_text(const char *s, size_t n, int64_t *out, bool *big)
{
    bool neg = false, digit = false;
    uint64_t v = 0;
    size_t i = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < n; i++) {
        if (s[i] == '_' && digit && i + 1 < n &&
            isdigit((unsigned char)s[i + 1]))
            continue;
        if (!isdigit((unsigned char)s[i]))
            return false;
        if (v > (UINT64_MAX - 9) / 10)
            *big = true;
        v = *big ? v : v * 10 + (uint64_t)(s[i] - '0');
        digit = true;
    }
    if (digit && v > (uint64_t)INT64_MAX + neg)
        *big = true;
    if (!digit || *big)
        return false;
    *out = neg && v ? -(int64_t)(v - 1) - 1 : (int64_t)v;
    return true;
}

/* Python's str() of a value json.loads made: a new string (NULL: out of
 * memory). A nested object or array comes out as compact JSON where
 * Python would print its repr. */
static char *py_str(const json_t *v)
{
    char buf[NUM_REPR_MAX + 8] = "nan";

    switch (json_typeof(v)) {
    case JSON_STRING:
        return strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        break;
    case JSON_REAL:
        num_repr(json_real_value(v), buf, sizeof(buf));
        break;
    case JSON_TRUE:
        return strdup("True");
    case JSON_FALSE:
        return strdup("False");
    case JSON_NULL:
        return strdup("None");
    default:
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    return strdup(buf);
}

/* Python's int() of v; false where it raises (or past int64). */
static bool py_int(const json_t *v, int64_t *out)
{
    const char *s;
    bool big = false;
    double d;

    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        *out = json_integer_value(v);
        return true;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = json_is_true(v);
        return true;
    case JSON_REAL:
        d = trunc(json_real_value(v));
        if (!(fabs(d) < INT64_LIMIT))
            return false;
        *out = (int64_t)d;
        return true;
    case JSON_STRING:
        s = json_string_value(v);
        return int_text(s, trim(&s), out, &big);
    default:
        return false;
    }
}

/* A number (or bool) as a Python float; false for anything else, where
 * upstream's arithmetic raises TypeError. */
static bool py_number(const json_t *v, double *out)
{
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_number(v))
        *out = json_number_value(v);
    else
        return false;
    return true;
}

/* float("{:.2f}".format(x)) */
static double two_dp(double x)
{
    char buf[TWO_DP_MAX];

    snprintf(buf, sizeof(buf), "%.2f", x);
    return strtod(buf, NULL);
}

/* Python truthiness of a JSON value. */
static bool py_truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
    case JSON_REAL:
        return json_number_value(v) != 0;
    case JSON_TRUE:
        return true;
    default:
        return false;
    }
}

static void ascii_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* ---- ResourceQuery and the query string, as pydantic checks them ---- */

enum qkind { Q_STR, Q_INT, Q_FLOAT };

/* ResourceQuery's fields in upstream's order (errors come in it). */
enum qfield {
    Q_GPU_NAME,
    Q_CPU_MIN,
    Q_CPU_MAX,
    Q_CAP_MIN,
    Q_CAP_MAX,
    Q_DISK_MIN,
    Q_DISK_MAX,
    Q_RAM_MIN,
    Q_RAM_MAX,
    Q_N
};

/* clang-format off */
static const struct { const char *name; enum qkind kind; } qfields[Q_N] = {
    [Q_GPU_NAME] = {"gpu_name",            Q_STR},
    [Q_CPU_MIN]  = {"cpu_count_min",       Q_INT},
    [Q_CPU_MAX]  = {"cpu_count_max",       Q_INT},
    [Q_CAP_MIN]  = {"gpu_capacity_min",    Q_FLOAT},
    [Q_CAP_MAX]  = {"gpu_capacity_max",    Q_FLOAT},
    [Q_DISK_MIN] = {"hard_disk_total_min", Q_FLOAT},
    [Q_DISK_MAX] = {"hard_disk_total_max", Q_FLOAT},
    [Q_RAM_MIN]  = {"ram_total_min",       Q_FLOAT},
    [Q_RAM_MAX]  = {"ram_total_max",       Q_FLOAT},
};
/* clang-format on */

struct qval {
    bool set;
    int64_t i;
    double f;
    char *s; /* owned, lower-cased (gpu_name) */
};

struct query {
    bool body;  /* a ResourceQuery was sent: the filters apply */
    bool stats; /* ?stats=true */
    int64_t page_size, page_number; /* 0 when absent (both falsy) */
    struct qval v[Q_N];
};

static void query_free(struct query *q)
{
    free(q->v[Q_GPU_NAME].s);
}

/* Appends {"field", "message"} (field stolen) to errs. */
static void add_error(json_t *errs, json_t *field, const char *message)
{
    json_array_append_new(
        errs, json_pack("{s:o,s:s}", "field", field, "message", message));
}

/* pydantic's int from a string: int_text(), also with ".0..." after. */
static const char *pyd_int_text(const char *s, int64_t *out)
{
    size_t n = trim(&s);
    const char *dot = memchr(s, '.', n);
    bool big = false;

    if (dot) {
        size_t zeros = strspn(dot + 1, "0");

        if (zeros == 0 || dot + 1 + zeros != s + n)
            return MSG_INT_PARSE;
        n = (size_t)(dot - s);
    }
    if (int_text(s, n, out, &big))
        return NULL;
    return big ? MSG_INT_SIZE : MSG_INT_PARSE;
}

/* Optional[int] in pydantic's lax mode: NULL or the error message. */
static const char *pyd_int(const json_t *v, int64_t *out)
{
    double d;

    if (json_is_string(v))
        return pyd_int_text(json_string_value(v), out);
    if (json_is_real(v)) {
        d = json_real_value(v);
        if (d != trunc(d))
            return MSG_INT_FRACTION;
        if (!(fabs(d) < INT64_LIMIT))
            return MSG_INT_SIZE;
        *out = (int64_t)d;
        return NULL;
    }
    return py_int(v, out) ? NULL : MSG_INT;
}

/* float() of a string as pydantic reads it: underscores between digits,
 * white space around, inf and nan; no hexadecimal. */
static bool float_text(const char *s, double *out)
{
    size_t n = trim(&s), k = 0;
    char buf[128], *end;

    if (n == 0 || n >= sizeof(buf) || strpbrk(s, "xX(") != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_') {
            if (i == 0 || i + 1 == n || !isdigit((unsigned char)s[i - 1]) ||
                !isdigit((unsigned char)s[i + 1]))
                return false;
            continue;
        }
        buf[k++] = s[i];
    }
    buf[k] = '\0';
    *out = strtod(buf, &end);
    return end == buf + k;
}

/* Optional[float] in pydantic's lax mode: NULL or the error message. */
static const char *pyd_float(const json_t *v, double *out)
{
    if (json_is_string(v))
        return float_text(json_string_value(v), out) ? NULL : MSG_FLOAT_PARSE;
    return py_number(v, out) ? NULL : MSG_FLOAT;
}

static bool pyd_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "on", "t", "true", "y", "yes"};
    static const char *const no[] = {"0", "off", "f", "false", "n", "no"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

/* The query string: stats, page_size, page_number (in that order). */
static void check_query(const struct req *req, struct query *q, json_t *errs)
{
    const char *stats = req_query(req, "stats");
    const char *names[] = {"page_size", "page_number"};
    int64_t *vals[] = {&q->page_size, &q->page_number};
    const char *msg;

    if (stats && !pyd_bool(stats, &q->stats))
        add_error(errs, json_string("stats"), MSG_BOOL);
    for (size_t i = 0; i < 2; i++) {
        const char *s = req_query(req, names[i]);

        msg = s ? pyd_int_text(s, vals[i]) : NULL;
        if (msg)
            add_error(errs, json_string(names[i]), msg);
    }
}

static const char *check_field(const json_t *v, enum qkind kind,
                               struct qval *out)
{
    const char *msg = NULL;

    if (kind == Q_STR && !json_is_string(v))
        return MSG_STR;
    if (kind == Q_STR) {
        out->s = strdup(json_string_value(v));
        if (out->s)
            ascii_lower(out->s);
    } else if (kind == Q_INT) {
        msg = pyd_int(v, &out->i);
    } else {
        msg = pyd_float(v, &out->f);
    }
    out->set = msg == NULL;
    return msg;
}

/* ResourceQuery from the body (NULL or null: none). */
static void check_body(const json_t *body, struct query *q, json_t *errs)
{
    if (!body || json_is_null(body))
        return;
    if (!json_is_object(body)) {
        add_error(errs, json_string("body"), MSG_DICT);
        return;
    }
    q->body = true;
    for (int i = 0; i < Q_N; i++) {
        const json_t *v = json_object_get(body, qfields[i].name);
        const char *msg;

        if (!v || json_is_null(v))
            continue;
        msg = check_field(v, qfields[i].kind, &q->v[i]);
        if (msg)
            add_error(errs, json_string(qfields[i].name), msg);
    }
}

/* FastAPI reads a body as JSON with no Content-Type or a JSON one
 * (application/json, application/...+json); any other is bytes. */
static bool json_ctype(const char *ct)
{
    const char *sub;
    size_t n;

    if (!ct)
        return true;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, "application/", 12) != 0)
        return false;
    sub = ct + 12;
    n = strcspn(sub, "; \t");
    return (n == 4 && strncasecmp(sub, "json", 4) == 0) ||
           (n >= 5 && strncasecmp(sub + n - 5, "+json", 5) == 0);
}

/* Where Python's json.loads places the error jansson reported: at the
 * start of the token jansson names ("... near 'tok'"), in characters. */
static json_int_t decode_pos(const struct req *req, const json_error_t *jerr)
{
    const char *near = strstr(jerr->text, " near '");
    size_t len = strlen(jerr->text), pos = (size_t)jerr->position;
    json_int_t chars = 0;

    if (near && len > 0 && jerr->text[len - 1] == '\'') {
        size_t tok = (size_t)(jerr->text + len - 1 - (near + 7));

        pos = tok <= pos ? pos - tok : 0;
    }
    for (size_t i = 0; i < pos && i < req->body.len; i++)
        chars += ((unsigned char)req->body.p[i] & 0xC0) != 0x80;
    return chars;
}

/* Everything FastAPI checks before upstream's code runs; errors go to
 * errs in its order (a body that is no JSON at all stops it early). */
static void check_inputs(const struct req *req, struct query *q, json_t *errs)
{
    json_error_t jerr;
    json_t *body = NULL;

    if (req->body.len > 0 && !json_ctype(req->content_type)) {
        body = json_string(""); /* bytes: not a dict either */
    } else if (req->body.len > 0) {
        body = json_loadb(req->body.p, req->body.len, JSON_DECODE_ANY, &jerr);
        if (!body) {
            add_error(errs, json_integer(decode_pos(req, &jerr)),
                      "JSON decode error");
            return;
        }
    }
    check_query(req, q, errs);
    check_body(body, q, errs);
    json_decref(body);
}

/* ---- /list/resources_sql --------------------------------------------- */

struct resource {
    char *gpu_name; /* owned, lower-cased */
    int64_t cpu_count, gpu_count;
    double gpu_capacity, ram, hard_disk;
};

static const json_t *member2(const json_t *d, const char *a, const char *b)
{
    return json_object_get(json_object_get(d, a), b);
}

/* Upstream's reading of one row's details: false where it lands in
 * "Invalid details" or its int() raises (the row is not listed). */
static bool resource_of(const json_t *d, struct resource *r)
{
    const json_t *gpu = json_object_get(d, "gpu");
    const json_t *first = json_array_get(json_object_get(gpu, "details"), 0);
    const json_t *name = json_object_get(first, "name");
    const json_t *count = json_object_get(gpu, "count");
    double cap, ram, disk, n;

    if (!name || !py_number(json_object_get(gpu, "capacity"), &cap) ||
        !py_number(count, &n) ||
        !py_number(member2(d, "ram", "available"), &ram) ||
        !py_number(member2(d, "hard_disk", "free"), &disk) ||
        !py_int(count, &r->gpu_count) ||
        !py_int(member2(d, "cpu", "count"), &r->cpu_count))
        return false;
    r->gpu_capacity = two_dp(cap / 1024);
    r->ram = two_dp(ram / GIB);
    r->hard_disk = two_dp(disk / GIB);
    r->gpu_name = py_str(name);
    if (r->gpu_name)
        ascii_lower(r->gpu_name);
    return r->gpu_name != NULL;
}

static bool in_range_i(int64_t x, const struct qval *lo, const struct qval *hi)
{
    return !(hi->set && x > hi->i) && !(lo->set && x < lo->i);
}

static bool in_range_f(double x, const struct qval *lo, const struct qval *hi)
{
    return !(hi->set && x > hi->f) && !(lo->set && x < lo->f);
}

static bool passes(const struct query *q, const struct resource *r)
{
    const struct qval *v = q->v;

    if (!q->body)
        return true;
    if (v[Q_GPU_NAME].set && !strstr(r->gpu_name, v[Q_GPU_NAME].s))
        return false;
    return in_range_f(r->gpu_capacity, &v[Q_CAP_MIN], &v[Q_CAP_MAX]) &&
           in_range_i(r->cpu_count, &v[Q_CPU_MIN], &v[Q_CPU_MAX]) &&
           in_range_f(r->ram, &v[Q_RAM_MIN], &v[Q_RAM_MAX]) &&
           in_range_f(r->hard_disk, &v[Q_DISK_MIN], &v[Q_DISK_MAX]);
}

static json_t *resource_json(const char *hotkey, const struct resource *r,
                             bool reserved)
{
    return json_pack("{s:s,s:I,s:s,s:f,s:I,s:f,s:f,s:s}", "hotkey", hotkey,
                     "cpu_count", (json_int_t)r->cpu_count, "gpu_name",
                     r->gpu_name, "gpu_capacity", r->gpu_capacity, "gpu_count",
                     (json_int_t)r->gpu_count, "ram", r->ram, "hard_disk",
                     r->hard_disk, "allocate_status",
                     reserved ? "reserved" : "available");
}

struct listing {
    json_t *items;    /* the Resource objects */
    json_t *reserved; /* {hotkey: true} of the allocation rows */
    size_t rows;      /* miner_details rows upstream would have read */
};

/* One miner_details row [hotkey, details]. */
static enum svc_rc list_row(const json_t *row, const struct query *q,
                            struct listing *l)
{
    const char *hotkey = json_string_value(json_array_get(row, 0));
    const char *text = json_string_value(json_array_get(row, 1));
    struct resource r = {0};
    json_t *d = text && *text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    enum svc_rc rc = SVC_OK;

    /* Unlike upstream, a row that is no JSON is left out alone: upstream
     * stops reading there and loses every later row. */
    if (!hotkey || (text && *text && !d))
        goto out;
    l->rows++;
    if (!py_truthy(d) || !resource_of(d, &r) || !passes(q, &r))
        goto out;
    if (json_array_append_new(
            l->items,
            resource_json(hotkey, &r, json_object_get(l->reserved, hotkey))))
        rc = SVC_ERR_NOMEM;
out:
    free(r.gpu_name);
    json_decref(d);
    return rc;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

/* A Python slice bound i over a list of n. */
static int64_t py_bound(int64_t i, int64_t n)
{
    if (i < 0)
        return i + n < 0 ? 0 : i + n;
    return i > n ? n : i;
}

/* Upstream _paginate_list: items[(p-1)*s : (p-1)*s+s], Python slicing
 * (negative bounds count from the end), next page while end < len. */
static json_t *page_of(const json_t *items, int64_t page, int64_t size)
{
    int64_t n = (int64_t)json_array_size(items);
    int64_t start = sat_mul(sat_add(page, -1), size);
    int64_t end = sat_add(start, size);
    json_t *out = json_array();

    for (int64_t i = py_bound(start, n); out && i < py_bound(end, n); i++)
        json_array_append(out, json_array_get(items, (size_t)i));
    return json_pack("{s:o,s:I,s:I,s:o}", "page_items", out, "page_number",
                     (json_int_t)page, "page_size", (json_int_t)size,
                     "next_page_number",
                     end < n ? json_integer(sat_add(page, 1)) : json_null());
}

static json_t *stats_of(const json_t *items)
{
    size_t i, reserved = 0;
    const json_t *it;

    json_array_foreach (items, i, it) {
        const char *s =
            json_string_value(json_object_get(it, "allocate_status"));

        reserved += strcmp(s, "reserved") == 0;
    }
    return json_pack("{s:{s:I,s:I,s:I}}", "stats", "available",
                     (json_int_t)(json_array_size(items) - reserved),
                     "reserved", (json_int_t)reserved, "total",
                     (json_int_t)json_array_size(items));
}

static enum svc_rc answer_resources(struct reply *rep, const struct query *q,
                                    struct listing *l)
{
    json_t *items = l->items;
    int64_t size = q->page_size ? q->page_size : DEFAULT_PAGE_SIZE;

    if (l->rows == 0)
        return envelope(rep, 404, "There is no resource available",
                        "err_detail", json_string("No resources found."));
    if (q->stats)
        return envelope(rep, 200, "List resources successfully", "data",
                        stats_of(items));
    if (q->page_number)
        return envelope(rep, 200, "List resources successfully", "data",
                        page_of(items, q->page_number, size));
    return envelope(rep, 200, "List resources successfully", "data",
                    json_pack("{s:O,s:i,s:I,s:n}", "page_items", items,
                              "page_number", 1, "page_size",
                              (json_int_t)json_array_size(items),
                              "next_page_number"));
}

/* {hotkey: true} of the allocation rows: who is "reserved". */
static json_t *reserved_set(const json_t *allocs)
{
    json_t *set = json_object();
    const json_t *row;
    size_t i;

    json_array_foreach (allocs, i, row) {
        const char *hk = json_string_value(json_array_get(row, 0));

        if (set && hk)
            json_object_set_new(set, hk, json_true());
    }
    return set;
}

/* Reads both tables in one snapshot. */
static enum svc_rc read_rows(struct req *req, json_t **specs, json_t **allocs)
{
    struct db *db;
    enum svc_rc rc = db_read_begin(req->app->db, &db);

    if (rc != SVC_OK)
        return rc;
    rc = q_alloc_api_allocations(db, allocs);
    if (rc == SVC_OK && specs)
        rc = q_alloc_api_specs(db, specs);
    db_read_end(req->app->db, db);
    return rc;
}

/* POST /list/resources_sql [?stats&page_size&page_number] [ResourceQuery]
 * -> 200 {"success", "message", "data"}, 404 or 422 (upstream's). */
enum svc_rc h_aapi_resources(struct req *req, struct reply *rep)
{
    struct query q = {0};
    struct listing l = {json_array(), NULL, 0};
    json_t *errs = json_array(), *specs = NULL, *allocs = NULL, *row;
    enum svc_rc rc = errs && l.items ? SVC_OK : SVC_ERR_NOMEM;
    size_t i;

    if (rc == SVC_OK)
        check_inputs(req, &q, errs);
    if (rc == SVC_OK && json_array_size(errs) > 0) {
        rc = envelope(rep, 422, MSG_422, "err_detail", json_incref(errs));
        goto out;
    }
    if (rc == SVC_OK)
        rc = read_rows(req, &specs, &allocs);
    if (rc == SVC_OK)
        rc = (l.reserved = reserved_set(allocs)) ? SVC_OK : SVC_ERR_NOMEM;
    json_array_foreach (specs, i, row) {
        if (rc == SVC_OK)
            rc = list_row(row, &q, &l);
    }
    if (rc == SVC_OK)
        rc = answer_resources(rep, &q, &l);
out:
    json_decref(errs);
    json_decref(specs);
    json_decref(allocs);
    json_decref(l.items);
    json_decref(l.reserved);
    query_free(&q);
    return rc;
}

/* ---- /list/allocations_sql ------------------------------------------- */

/* What upstream raises subscripting a value that is not a dict, as its
 * 403 shows it (repr of the exception, Python 3.11 wording). */
static const char *not_subscriptable(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "TypeError('list indices must be integers or slices, not str')";
    case JSON_STRING:
        return "TypeError(\"string indices must be integers, not 'str'\")";
    case JSON_INTEGER:
        return "TypeError(\"'int' object is not subscriptable\")";
    case JSON_REAL:
        return "TypeError(\"'float' object is not subscriptable\")";
    case JSON_TRUE:
    case JSON_FALSE:
        return "TypeError(\"'bool' object is not subscriptable\")";
    default:
        return "TypeError(\"'NoneType' object is not subscriptable\")";
    }
}

/* The details members upstream reads, in the order it reads them. */
static const char *const alloc_keys[] = {
    "resource", "username", "password", "port", "ip", "uuid", "ssh_key"};

/* Into err, the exception upstream's loop raises on this details text,
 * or "" when it makes an Allocation of *info (a new value). */
static void parse_allocation(const char *text, json_t **info, char *err,
                             size_t len)
{
    json_error_t jerr;

    err[0] = '\0';
    if (!text) {
        snprintf(err, len,
                 "TypeError('the JSON object must be str, bytes "
                 "or bytearray, not NoneType')");
        return;
    }
    *info = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!*info && !*text)
        snprintf(err, len,
                 "JSONDecodeError('Expecting value: line 1 column "
                 "1 (char 0)')");
    else if (!*info)
        snprintf(err, len, "JSONDecodeError('%s')", jerr.text);
    else if (!json_is_object(*info))
        snprintf(err, len, "%s", not_subscriptable(*info));
    for (size_t i = 0; !err[0] && i < sizeof(alloc_keys) / sizeof(*alloc_keys);
         i++)
        if (!json_object_get(*info, alloc_keys[i]))
            snprintf(err, len, "KeyError('%s')", alloc_keys[i]);
}

/* f"ssh {username}@{ip} -p {port}": a new string, NULL on no memory. */
static char *ssh_command(const json_t *info)
{
    char *user = py_str(json_object_get(info, "username"));
    char *ip = py_str(json_object_get(info, "ip"));
    char *port = py_str(json_object_get(info, "port"));
    size_t len =
        user && ip && port ? strlen(user) + strlen(ip) + strlen(port) + 12 : 0;
    char *cmd = len ? malloc(len) : NULL;

    if (cmd)
        snprintf(cmd, len, "ssh %s@%s -p %s", user, ip, port);
    free(user);
    free(ip);
    free(port);
    return cmd;
}

/* Upstream's Allocation of one row's parsed details (every key of
 * alloc_keys present); regkey is always "" there. */
static json_t *allocation_json(json_t *hotkey, const json_t *info, bool secrets)
{
    char *cmd = ssh_command(info);
    json_t *version = json_object_get(info, "version");
    json_t *out =
        cmd ? json_pack("{s:O,s:O,s:s,s:O,s:O,s:O,s:O,s:s,s:O,s:O,s:o}",
                        "resource", json_object_get(info, "resource"), "hotkey",
                        hotkey, "regkey", "", "ssh_ip",
                        json_object_get(info, "ip"), "ssh_port",
                        json_object_get(info, "port"), "ssh_username",
                        json_object_get(info, "username"), "ssh_password",
                        json_object_get(info, "password"), "ssh_command", cmd,
                        "ssh_key", json_object_get(info, "ssh_key"), "uuid_key",
                        json_object_get(info, "uuid"), "miner_version",
                        version ? json_incref(version) : json_integer(0))
            : NULL;

    /* The same rule as GET /allocations: secrets need the grant. */
    if (out && !secrets) {
        json_object_del(out, "ssh_password");
        json_object_del(out, "ssh_key");
    }
    free(cmd);
    return out;
}

/* The Allocation list of the rows, or into err the exception upstream
 * raises on the first row it cannot read (then *out is NULL). */
static enum svc_rc allocations_of(const json_t *rows, bool secrets,
                                  json_t **out, char *err, size_t len)
{
    json_t *list = json_array();
    const json_t *row;
    size_t i;

    json_array_foreach (rows, i, row) {
        json_t *info = NULL, *entry = NULL;

        parse_allocation(json_string_value(json_array_get(row, 1)), &info, err,
                         len);
        if (!err[0] && list)
            entry = allocation_json(json_array_get(row, 0), info, secrets);
        json_decref(info);
        if (err[0] || !entry || json_array_append_new(list, entry)) {
            json_decref(list);
            return err[0] ? SVC_OK : SVC_ERR_NOMEM;
        }
    }
    *out = list;
    return list ? SVC_OK : SVC_ERR_NOMEM;
}

/* POST /list/allocations_sql -> 200 {"success", "message", "data":
 * [Allocation]}, 404 when there is none, 403 on a row upstream cannot
 * read (as upstream). */
enum svc_rc h_aapi_allocations(struct req *req, struct reply *rep)
{
    json_t *rows = NULL, *list = NULL;
    char err[256] = "";
    enum svc_rc rc = read_rows(req, NULL, &rows);

    if (rc != SVC_OK)
        return rc;
    if (json_array_size(rows) == 0) {
        rc = envelope(rep, 404, "No resources found.", "data",
                      json_string("No allocated resources found. Allocate a "
                                  "resource with validator."));
        goto out;
    }
    rc = allocations_of(rows, req->secrets, &list, err, sizeof(err));
    if (rc == SVC_OK && err[0])
        rc = envelope(rep, 403,
                      "An error occurred while retrieving allocation details.",
                      "err_detail", json_string(err));
    else if (rc == SVC_OK)
        rc = envelope(rep, 200, "List allocations successfully.", "data", list);
out:
    json_decref(rows);
    return rc;
}

/* ---- the routes that need a miner ------------------------------------ */

/* Upstream's /service/ routes: each sends an Allocate synapse to a miner. */
static const char *const miner_actions[] = {
    "allocate_spec",      "allocate_hotkey",     "deallocate",
    "check_miner_status", "restart_docker",      "pause_docker",
    "unpause_docker",     "exchange_docker_key",
};

/* POST /service/{action} -> 501 with upstream's error envelope. */
enum svc_rc h_aapi_service(struct req *req, struct reply *rep)
{
    const char *action = req_param(req, "action");
    char detail[320];

    for (size_t i = 0; i < sizeof(miner_actions) / sizeof(*miner_actions);
         i++) {
        if (strcmp(action, miner_actions[i]) != 0)
            continue;
        snprintf(detail, sizeof(detail),
                 "POST /service/%s sends requests to a miner; call it on the "
                 "allocation API (neurons/register_api.py). computedb "
                 "answers POST /list/allocations_sql and POST "
                 "/list/resources_sql.",
                 action);
        return envelope(rep, 501,
                        "Not implemented: this route needs a miner and stays "
                        "with the allocation API.",
                        "err_detail", json_string(detail));
    }
    return req_fail(req, SVC_ERR_NOT_FOUND, "action",
                    "the allocation API has no route /service/%.60s", action);
}
