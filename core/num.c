/* SPDX-License-Identifier: MIT */
/* Shortest round-trip text of doubles (Python's float repr), and the
 * rewrite of a JSON text's reals into it. */
#include "num.h"

#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The significant digits of the "%.*e" text t, without the dot, into
 * digits (dlen bytes), and its decimal exponent. */
static void split(const char *t, char *digits, size_t dlen, int *exp10)
{
    size_t n = 0;

    for (; *t && *t != 'e'; t++)
        if (*t != '.' && n + 1 < dlen)
            digits[n++] = *t;
    digits[n] = '\0';
    *exp10 = (int)strtol(t + 1, NULL, 10);
}

/* Makes digits the next decimal above at the same length: 1299 -> 1300,
 * 999 -> 100 with the exponent one up. */
static void bump(char *digits, int *exp10)
{
    size_t i = strlen(digits);

    while (i > 0 && digits[i - 1] == '9')
        digits[--i] = '0';
    if (i > 0) {
        digits[i - 1]++;
        return;
    }
    digits[0] = '1';
    (*exp10)++;
}

static bool reads_back(const char *digits, int exp10, double d)
{
    char t[40];

    snprintf(t, sizeof(t), "%c.%se%d", digits[0], digits + 1, exp10);
    return strtod(t, NULL) == d;
}

/* The shortest digits that read back as d > 0, and their exponent, by
 * trying each length. The correctly rounded "%.*e" at each length is the
 * nearest candidate; only where d is a power of two, whose interval
 * reaches twice as far above as below, may the next decimal up read back
 * when the nearest (below d) does not. 17 digits always read back. */
static void search(double d, char *digits, size_t dlen, int *exp10)
{
    char t[40];

    for (int prec = 0; prec < 17; prec++) {
        double back;

        snprintf(t, sizeof(t), "%.*e", prec, d);
        split(t, digits, dlen, exp10);
        back = strtod(t, NULL);
        if (back == d)
            return;
        if (back < d) {
            bump(digits, exp10);
            if (reads_back(digits, *exp10, d))
                return;
        }
    }
}

/* The shortest digits that read back as d > 0, without trailing zeros,
 * and their exponent. Most stored values came from decimals of 15 digits
 * or fewer: when the nearest 15-digit decimal reads back, it is the
 * shortest one padded with zeros (d's rounding interval, at most 2^-52 of
 * d wide for a normal double, holds no other decimal of at most 15
 * digits), so one try replaces the search. Subnormals have wider
 * intervals: they always search. */
static void shortest(double d, char *digits, size_t dlen, int *exp10)
{
    char t[40];
    size_t n;

    snprintf(t, sizeof(t), "%.14e", d);
    if (isnormal(d) && strtod(t, NULL) == d)
        split(t, digits, dlen, exp10);
    else
        search(d, digits, dlen, exp10);
    for (n = strlen(digits); n > 1 && digits[n - 1] == '0'; n--)
        digits[n - 1] = '\0';
}

bool num_repr(double d, char *out, size_t len)
{
    static const char zeros[] = "0000000000000000";
    const char *sign = signbit(d) ? "-" : "";
    char digits[24];
    int e, nd;

    if (!isfinite(d))
        return false;
    if (d == 0) {
        snprintf(out, len, "%s0.0", sign);
        return true;
    }
    shortest(fabs(d), digits, sizeof(digits), &e);
    nd = (int)strlen(digits);
    if (e < -4 || e >= 16)
        snprintf(out, len, "%s%c%s%se%c%02d", sign, digits[0],
                 nd > 1 ? "." : "", digits + 1, e < 0 ? '-' : '+', abs(e));
    else if (e < 0)
        snprintf(out, len, "%s0.%.*s%s", sign, -e - 1, zeros, digits);
    else if (e + 1 >= nd)
        snprintf(out, len, "%s%s%.*s.0", sign, digits, e + 1 - nd, zeros);
    else
        snprintf(out, len, "%s%.*s.%s", sign, e + 1, digits, digits + e + 1);
    return true;
}

/* The length of the number literal at p, and whether it is a real. */
static size_t number_at(const char *p, bool *real)
{
    size_t n = strspn(p, "-+0123456789.eE");

    *real = strcspn(p, ".eE") < n;
    return n;
}

/* Appends the real literal at p (n bytes) in num_repr() form. */
static void put_real(struct buf *b, const char *p, size_t n)
{
    char num[NUM_REPR_MAX];

    if (num_repr(strtod(p, NULL), num, sizeof(num)))
        buf_append(b, num, strlen(num));
    else /* not a double's text after all: as it was */
        buf_append(b, p, n);
}

enum svc_rc num_json_shortest(char **text, size_t *len)
{
    struct buf b = {0};
    const char *p = *text, *kept = *text; /* kept: not yet copied to b */
    bool in_string = false, real;
    enum svc_rc rc;

    for (; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++; /* the escaped character, which may be a quote */
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            size_t n = number_at(p, &real);

            if (real) {
                buf_append(&b, kept, (size_t)(p - kept));
                put_real(&b, p, n);
                kept = p + n;
            }
            p += n - 1;
        }
    }
    if (kept == *text) { /* no real: the text stands */
        *len = (size_t)(p - *text);
        return SVC_OK;
    }
    buf_append(&b, kept, (size_t)(p - kept));
    free(*text);
    rc = buf_take(&b, text, len);
    if (rc != SVC_OK)
        *text = NULL;
    return rc;
}
