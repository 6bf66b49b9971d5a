/* SPDX-License-Identifier: MIT */
/* Helpers shared by the handlers. */
#include "handlers.h"

#include <stdarg.h>
#include <stdio.h>

enum svc_rc hx_read_reply(struct req *req, struct reply *rep, struct db *db,
                          enum svc_rc rc, json_t *out)
{
    db_read_end(req->app->db, db);
    if (rc != SVC_OK)
        return rc;
    return reply_json(rep, 200, out);
}

void hx_location(struct reply *rep, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rep->location, sizeof(rep->location), fmt, ap);
    va_end(ap);
}

json_t *hx_page(json_t *items, const char *next)
{
    if (!items)
        return NULL;
    return json_pack("{s:o,s:s?}", "items", items, "next", next);
}
