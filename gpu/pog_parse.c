/* SPDX-License-Identifier: MIT */
/* Parsers and encoders for PoG data (see pog_parse.h). Every number is
 * checked digit by digit before strtoull sees it, so signs, spaces and
 * overflow are all rejected rather than wrapped. */
#include "pog_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal digits in [s, s+len) as a uint64; false on overflow. */
static bool digits_u64(const char *s, size_t len, uint64_t *out)
{
    char buf[24];
    unsigned long long v;
    char *end;

    if (len == 0 || len > 20)
        return false;
    for (size_t k = 0; k < len; k++)
        if (!is_digit(s[k]))
            return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return false;
    *out = (uint64_t)v;
    return true;
}

bool pog_parse_u64(const char *s, uint64_t *out)
{
    return s && digits_u64(s, strlen(s), out);
}

bool pog_json_u64(const json_t *v, uint64_t *out)
{
    if (json_is_string(v))
        return digits_u64(json_string_value(v), json_string_length(v), out);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    return false;
}

/* A line of [*p, end) without its terminator; advances *p past it. */
static void take_line(const char **p, const char *end, const char **ls,
                      const char **le)
{
    const char *q = *p;

    while (q < end && *q != '\n')
        q++;
    *ls = *p;
    *le = q > *p && q[-1] == '\r' ? q - 1 : q;
    *p = q < end ? q + 1 : q;
}

/* The next space- or tab-separated token of [*p, end), or false. */
static bool take_token(const char **p, const char *end, const char **ts,
                       size_t *tl)
{
    const char *q = *p;

    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    *ts = q;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    *tl = (size_t)(q - *ts);
    *p = q;
    return *tl > 0;
}

static bool blank(const char *ls, const char *le)
{
    for (; ls < le; ls++)
        if (*ls != ' ' && *ls != '\t')
            return false;
    return true;
}

/* Parses the tokens of "gpu seed_a seed_b" into out->gpu[gpu]. */
static enum svc_rc seed_line(const char *ls, const char *le, unsigned lineno,
                             struct pog_seeds *out, bool *seen,
                             struct svc_err *err)
{
    const char *t;
    size_t tl;
    uint64_t v[3];

    for (int k = 0; k < 3; k++)
        if (!take_token(&ls, le, &t, &tl) || !digits_u64(t, tl, &v[k]))
            return svc_err_set(err, SVC_ERR_INVALID, "seeds",
                               "line %u: want \"gpu seed_a seed_b\" with "
                               "seeds in 0..2^64-1",
                               lineno);
    if (take_token(&ls, le, &t, &tl))
        return svc_err_set(err, SVC_ERR_INVALID, "seeds", "line %u: extra text",
                           lineno);
    if (v[0] >= POG_MAX_GPUS || seen[v[0]])
        return svc_err_set(err, SVC_ERR_INVALID, "seeds",
                           "line %u: gpu id repeated or >= %d", lineno,
                           POG_MAX_GPUS);
    seen[v[0]] = true;
    out->gpu[v[0]].gpu = (unsigned)v[0];
    out->gpu[v[0]].seed_a = v[1];
    out->gpu[v[0]].seed_b = v[2];
    out->count++;
    return SVC_OK;
}

enum svc_rc pog_parse_seeds(const char *text, size_t len, struct pog_seeds *out,
                            struct svc_err *err)
{
    const char *p = text, *end = text + len, *ls, *le, *t;
    bool seen[POG_MAX_GPUS] = {false};
    unsigned lineno = 0;
    enum svc_rc rc;
    uint64_t n;
    size_t tl;

    memset(out, 0, sizeof(*out));
    if (!text || len == 0)
        return svc_err_set(err, SVC_ERR_INVALID, "seeds", "empty seeds file");
    if (memchr(text, '\0', len))
        return svc_err_set(err, SVC_ERR_INVALID, "seeds",
                           "NUL byte in the seeds file");
    do {
        take_line(&p, end, &ls, &le);
        lineno++;
    } while (p < end && blank(ls, le));
    if (!take_token(&ls, le, &t, &tl) || !digits_u64(t, tl, &n) || n == 0 ||
        n > POG_MAX_N || take_token(&ls, le, &t, &tl))
        return svc_err_set(err, SVC_ERR_INVALID, "n",
                           "line 1 must be n in 1..%d", POG_MAX_N);
    out->n = (uint32_t)n;
    while (p < end) {
        take_line(&p, end, &ls, &le);
        lineno++;
        if (blank(ls, le))
            continue;
        rc = seed_line(ls, le, lineno, out, seen, err);
        if (rc)
            return rc;
    }
    if (out->count == 0)
        return svc_err_set(err, SVC_ERR_INVALID, "seeds",
                           "no \"gpu seed_a seed_b\" lines");
    for (unsigned g = 0; g < out->count; g++)
        if (!seen[g])
            return svc_err_set(err, SVC_ERR_INVALID, "seeds",
                               "gpu %u is missing", g);
    return SVC_OK;
}

/* Digits at *p as a value below limit (limit 0: any uint32). */
static bool take_index(const char **p, uint32_t limit, uint32_t *out)
{
    const char *s = *p;
    uint64_t v;

    while (is_digit(**p))
        (*p)++;
    if (!digits_u64(s, (size_t)(*p - s), &v) || v > UINT32_MAX ||
        (limit && v >= limit))
        return false;
    *out = (uint32_t)v;
    return true;
}

enum svc_rc pog_parse_challenge_line(const char *line, uint32_t n,
                                     struct pog_challenge_line *out,
                                     struct svc_err *err)
{
    const char *p = line;
    uint32_t gpu;

    memset(out, 0, sizeof(*out));
    if (!take_index(&p, POG_MAX_GPUS, &gpu) || (*p != ' ' && *p != '\t'))
        return svc_err_set(err, SVC_ERR_INVALID, "indices",
                           "want \"gpu i,j;i,j...\"");
    out->gpu = gpu;
    while (*p == ' ' || *p == '\t')
        p++;
    for (;;) {
        struct pog_index *x = &out->idx[out->count];

        if (out->count == POG_MAX_CHALLENGES)
            return svc_err_set(err, SVC_ERR_INVALID, "indices",
                               "more than %d challenges", POG_MAX_CHALLENGES);
        if (!take_index(&p, n, &x->i) || *p++ != ',' ||
            !take_index(&p, n, &x->j))
            return svc_err_set(err, SVC_ERR_INVALID, "indices",
                               "want i,j pairs with i and j below n=%u", n);
        out->count++;
        if (*p != ';')
            break;
        p++;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p)
        return svc_err_set(err, SVC_ERR_INVALID, "indices",
                           "extra text after the pairs");
    return SVC_OK;
}

void pog_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t k = 0; k < len; k++) {
        out[2 * k] = digits[in[k] >> 4];
        out[2 * k + 1] = digits[in[k] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool pog_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t slen = strlen(s);

    if (slen % 2 || slen / 2 > cap)
        return false;
    for (size_t k = 0; k < slen / 2; k++) {
        int hi = hex_val(s[2 * k]), lo = hex_val(s[2 * k + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    *len = slen / 2;
    return true;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pog_base64_size(size_t len)
{
    return (len + 2) / 3 * 4 + 1;
}

void pog_base64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t k = 0;

    for (; k + 3 <= len; k += 3) {
        uint32_t v =
            (uint32_t)in[k] << 16 | (uint32_t)in[k + 1] << 8 | in[k + 2];

        *out++ = b64[v >> 18];
        *out++ = b64[(v >> 12) & 63];
        *out++ = b64[(v >> 6) & 63];
        *out++ = b64[v & 63];
    }
    if (len - k == 1) {
        *out++ = b64[in[k] >> 2];
        *out++ = b64[(in[k] & 3) << 4];
        *out++ = '=';
        *out++ = '=';
    } else if (len - k == 2) {
        uint32_t v = (uint32_t)in[k] << 8 | in[k + 1];

        *out++ = b64[v >> 10];
        *out++ = b64[(v >> 4) & 63];
        *out++ = b64[(v << 2) & 63];
        *out++ = '=';
    }
    *out = '\0';
}

static int b64_val(char c)
{
    const char *hit = c ? strchr(b64, c) : NULL;

    return hit ? (int)(hit - b64) : -1;
}

bool pog_base64_decode(const char *s, size_t slen, uint8_t *out, size_t cap,
                       size_t *len)
{
    size_t pad = 0, n = 0;

    if (slen % 4)
        return false;
    if (slen && s[slen - 1] == '=')
        pad = slen >= 2 && s[slen - 2] == '=' ? 2 : 1;
    if (slen / 4 * 3 - pad > cap)
        return false;
    for (size_t k = 0; k < slen; k += 4) {
        int v[4];
        uint32_t w;

        for (int t = 0; t < 4; t++) {
            bool padded = k + 4 == slen && t >= 4 - (int)pad;

            v[t] = padded ? 0 : b64_val(s[k + (size_t)t]);
            if (v[t] < 0)
                return false;
        }
        w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
            (uint32_t)v[3];
        for (int t = 0; t < 3 && n < slen / 4 * 3 - pad; t++)
            out[n++] = (uint8_t)(w >> (16 - 8 * t));
    }
    *len = n;
    return true;
}

/* ---- the miner's benchmark line ------------------------------------ */

/* The next whitespace-separated token of *p as a number: an unsigned
 * integer in [1, max] when max > 0, else a finite double > 0. */
static bool line_number(const char **p, uint64_t max, double *out)
{
    char *end = NULL;
    const char *s = *p;

    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    if (max > 0) {
        unsigned long long v = strtoull(s, &end, 10);

        if (errno || v < 1 || v > max)
            return false;
        *out = (double)v;
    } else {
        *out = strtod(s, &end);
        if (errno || !isfinite(*out) || *out <= 0)
            return false;
    }
    if (*end != '\0' && *end != ' ' && *end != '\t')
        return false;
    *p = end;
    return true;
}

bool pog_bench_line_parse(const char *line, struct pog_bench_line *out)
{
    double g, n16, t16, n32, t32;
    const char *p = line;

    if (!line_number(&p, POG_MAX_GPUS, &g) || !line_number(&p, 0, &out->vram) ||
        !line_number(&p, POG_MAX_N, &n16) || !line_number(&p, 0, &t16) ||
        !line_number(&p, POG_MAX_N, &n32) || !line_number(&p, 0, &t32))
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p)
        return false;
    out->num_gpus = (int64_t)g;
    out->tflops_fp16 = pog_tflops((uint64_t)n16, t16);
    out->tflops_fp32 = pog_tflops((uint64_t)n32, t32);
    return true;
}
