/* SPDX-License-Identifier: MIT */
/* Request-targets (path and query string) against the real handlers and a
 * real database: the query-string split and decoding, path captures, the
 * uid/limit/cursor/has_docker/hotkey/name decoders and the queries behind
 * them. Input: a method byte (GET, or DELETE one time in four), then the
 * raw target up to the first newline. Beyond the sanitizers: the reply is
 * a documented one, a GET or a refused DELETE writes nothing, and a backup
 * is only ever served under a plain file name. */
#include "fuzz.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>

static struct router router;
static bool ready;

static void put_seed(const char *method, const char *target, const char *body)
{
    struct fz_call call = {method,
                           target,
                           "application/json",
                           (const uint8_t *)body,
                           body ? strlen(body) : 0,
                           ROLE_ADMIN};
    struct reply rep;
    struct req *req = fz_dispatch(&router, &call, &rep);

    FZ_ASSERT(req != NULL);
    reply_clear(&rep);
    req_free(req);
}

/* Rows for the reads to find; run again after a DELETE removed some. */
static void seed(void)
{
    put_seed("PUT", "/miners",
             "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": "
             "\"" FZ_HOTKEY "\"}, {\"uid\": 2, \"hotkey\": \"" FZ_HOTKEY2
             "\"}]}");
    put_seed("PUT", "/miners/details",
             "{\"miners\": [{\"hotkey\": \"" FZ_HOTKEY "\", \"details\": "
             "{\"has_docker\": true, \"gpu\": {\"count\": 1}}}]}");
    put_seed("POST", "/challenges",
             "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"" FZ_HOTKEY "\", "
             "\"success\": true, \"elapsed_time\": 1.5, \"difficulty\": 3}, "
             "{\"uid\": 1, \"hotkey\": \"" FZ_HOTKEY "\", \"success\": false, "
             "\"elapsed_time\": 2, \"difficulty\": 4}]}");
    put_seed("PUT", "/allocations/" FZ_HOTKEY,
             "{\"details\": {\"username\": \"root\", \"password\": \"pw\"}}");
    put_seed("POST", "/blacklist", "{\"hotkeys\": [\"" FZ_HOTKEY2 "\"]}");
    put_seed("POST", "/pog/stats",
             "{\"hotkey\": \"" FZ_HOTKEY "\", \"gpu_name\": \"NVIDIA H100\", "
             "\"num_gpus\": 8}");
    put_seed("PUT", "/stats",
             "{\"stats\": {\"1\": {\"hotkey\": \"" FZ_HOTKEY
             "\", \"score\": 1, "
             "\"allocated\": false, \"own_score\": true}}}");
    put_seed("PUT", "/wandb-runs/" FZ_HOTKEY, "{\"run_id\": \"r1\"}");
    put_seed("PUT", "/admin/principals/" FZ_HOTKEY2,
             "{\"role\": \"reader\", \"label\": \"fuzz\"}");
    put_seed("POST", "/admin/backup", "{\"name\": \"seed.db\"}");
}

static bool plain_name(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 64 && s[0] != '.' && s[0] != '-' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* A served backup: Content-Disposition names a plain file name. */
static void check_backup(const struct req *req, const struct reply *rep)
{
    static const char pre[] = "attachment; filename=\"";
    char name[128];
    size_t n;

    FZ_ASSERT(rep->has_fd);
    FZ_ASSERT(strncmp(rep->disposition, pre, sizeof(pre) - 1) == 0);
    snprintf(name, sizeof(name), "%s", rep->disposition + sizeof(pre) - 1);
    n = strlen(name);
    FZ_ASSERT(n > 0 && name[n - 1] == '"');
    name[n - 1] = '\0';
    FZ_ASSERT(plain_name(name));
    if (req_query(req, "name"))
        FZ_ASSERT(strcmp(req_query(req, "name"), name) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char target[2048];
    struct fz_call call = {0};
    struct reply rep;
    struct req *req;
    long long before;
    int status;

    if (!ready) {
        fz_init(true);
        router = (struct router){svc_routes, svc_routes_count, NULL};
        seed();
        ready = true;
    }
    if (size == 0)
        return 0;
    call.method = data[0] % 4 == 3 ? "DELETE" : "GET";
    data++;
    size--;
    fz_take_line(&data, &size, target, sizeof(target));
    call.target = target;
    call.role = ROLE_ADMIN;
    before = fz_data_version();
    req = fz_dispatch(&router, &call, &rep);
    if (!req)
        return 0;
    fz_check_reply(req, &rep);
    if (call.method[0] == 'G' || rep.status >= 400)
        FZ_ASSERT(fz_data_version() == before);
    if (req->route && strcmp(req->route->pattern, "/admin/backup") == 0 &&
        rep.status == 200)
        check_backup(req, &rep);
    status = rep.status;
    reply_clear(&rep);
    req_free(req);
    if (call.method[0] == 'D' && status < 300)
        seed();
    return 0;
}
