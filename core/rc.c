/* SPDX-License-Identifier: MIT */
/* The error table behind rc.h: one row per enum svc_rc. */
#include "rc.h"

struct rc_row {
    int http;         /* status line code */
    const char *code; /* error.code in JSON bodies */
    const char *text; /* default message */
    const char *name; /* enum name, for logs */
};

static const struct rc_row rows[SVC_RC_COUNT] = {
#define X(n, h, c, t) [SVC_##n] = {h, c, t, #n},
    SVC_RC_LIST(X)
#undef X
};

static const struct rc_row *row(enum svc_rc rc)
{
    if ((unsigned)rc >= SVC_RC_COUNT)
        return &rows[SVC_ERR_INTERNAL];
    return &rows[rc];
}

int svc_rc_http(enum svc_rc rc)
{
    return row(rc)->http;
}

const char *svc_rc_code(enum svc_rc rc)
{
    return row(rc)->code;
}

const char *svc_rc_text(enum svc_rc rc)
{
    return row(rc)->text;
}

const char *svc_rc_name(enum svc_rc rc)
{
    return row(rc)->name;
}
