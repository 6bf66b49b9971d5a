/* SPDX-License-Identifier: MIT */
/* The access matrix: every route in the table, called unsigned, by an
 * unknown key, and by a reader, a writer and an admin. Open routes answer
 * everyone; the others answer 401 to the first two, 403 below their role,
 * and something that is neither 401 nor 403 from their role up. */
#include "check.h"
#include "harness.h"
#include "server/router.h"

#include <string.h>

/* The route's pattern with captures filled in. */
static void concrete(const char *pattern, char *out, size_t len)
{
    size_t o = 0;

    for (const char *p = pattern; *p && o + 64 < len;) {
        if (*p != ':') {
            out[o++] = *p++;
            continue;
        }
        p++;
        if (strncmp(p, "uid", 3) == 0)
            o += (size_t)snprintf(out + o, len - o, "7");
        else
            o += (size_t)snprintf(out + o, len - o, "%s", th_hotkey(999));
        p += strcspn(p, "/");
    }
    out[o] = '\0';
    if (strcmp(pattern, "/miners/:uid") == 0)
        snprintf(out + o, len - o, "?hotkey=%s", th_hotkey(999));
}

static void call(const struct route *rt, const struct th_key *who,
                 enum role role, const char *label)
{
    char path[256];
    struct resp r;
    bool allowed = rt->role == ROLE_NONE || (who && role >= rt->role);

    concrete(rt->pattern, path, sizeof(path));
    th_use(who);
    r = th_request(rt->method, path, (rt->flags & ROUTE_JSON) ? "{}" : NULL,
                   NULL, NULL);
    th_use(th_admin());
    if (allowed != (r.status != 401 && r.status != 403) ||
        (!allowed && r.status != (role == ROLE_NONE ? 401 : 403)))
        fprintf(stderr, "%s %s as %s: %ld %s\n", rt->method, path, label,
                r.status, r.body ? r.body : "");
    if (allowed)
        CHECK(r.status != 401 && r.status != 403);
    else
        CHECK_INT_EQ(r.status, role == ROLE_NONE ? 401 : 403);
    th_resp_free(&r);
}

int main(void)
{
    const struct th_key *reader, *writer, *stranger;

    th_start(NULL);
    reader = th_key_new(ROLE_READER);
    writer = th_key_new(ROLE_WRITER);
    stranger = th_key_new(ROLE_NONE);
    for (size_t i = 0; i < svc_routes_count; i++) {
        const struct route *rt = &svc_routes[i];

        call(rt, NULL, ROLE_NONE, "unsigned");
        call(rt, stranger, ROLE_NONE, "unknown key");
        call(rt, reader, ROLE_READER, "reader");
        call(rt, writer, ROLE_WRITER, "writer");
        call(rt, th_admin(), ROLE_ADMIN, "admin");
    }
    th_stop();
    return 0;
}
