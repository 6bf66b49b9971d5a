/* SPDX-License-Identifier: MIT */
/* The JSON body decoders: the input is the body of one request to the
 * route FUZZ_BODY names (one binary per route, see cmake/fuzz.cmake),
 * dispatched through the real route table and handler onto a real
 * database, as an admin. Beyond the sanitizers it checks that the reply
 * is one the service documents (no 500), that a refused request wrote
 * nothing, and that a backup never lands outside backups/ under a name the
 * rules forbid. PoG request decoders are not covered yet (tests/fuzz/
 * README.md). */
#include "fuzz.h"

#include <jansson.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_BODY
#error "FUZZ_BODY must name an entry of targets[]"
#endif

static const struct {
    const char *name, *method, *target;
} targets[] = {
    {"miners_put", "PUT", "/miners"},
    {"specs_put", "PUT", "/miners/details"},
    {"candidates_post", "POST", "/allocations/candidates"},
    {"challenges_post", "POST", "/challenges"},
    {"alloc_put", "PUT", "/allocations/" FZ_HOTKEY},
    {"blacklist_post", "POST", "/blacklist"},
    {"blacklist_delete", "DELETE", "/blacklist"},
    {"pog_post", "POST", "/pog/stats"},
    {"stats_put", "PUT", "/stats"},
    {"wandb_put", "PUT", "/wandb-runs/" FZ_HOTKEY},
    {"principals_put", "PUT", "/admin/principals/" FZ_HOTKEY2},
    {"backup_post", "POST", "/admin/backup"},
};

static size_t target = (size_t)-1;
static struct router router;

static void setup(void)
{
    fz_init(true);
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        if (strcmp(targets[i].name, FUZZ_BODY) == 0)
            target = i;
    FZ_ASSERT(target != (size_t)-1);
    router = (struct router){svc_routes, svc_routes_count, NULL};
}

/* [A-Za-z0-9][A-Za-z0-9._-]{0,63}: what README promises backup names are. */
static bool plain_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                  "0123456789._-") != n)
        return false;
    return s[0] != '.' && s[0] != '-';
}

/* A created backup must be a plain name inside backups/; then it is
 * removed so that the folder does not fill up while fuzzing. */
static void check_backup(const struct reply *rep)
{
    const char *name = json_string_value(json_object_get(rep->body, "name"));
    char path[512];
    struct stat st;

    FZ_ASSERT(name != NULL && plain_name(name));
    snprintf(path, sizeof(path), "%s/backups/%s", fz_dir(), name);
    FZ_ASSERT(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    FZ_ASSERT(unlink(path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_call call;
    struct reply rep;
    struct req *req;
    long long before;

    if (target == (size_t)-1)
        setup();
    call = (struct fz_call){targets[target].method,
                            targets[target].target,
                            "application/json",
                            data,
                            size,
                            ROLE_ADMIN};
    before = fz_data_version();
    req = fz_dispatch(&router, &call, &rep);
    fz_check_reply(req, &rep);
    if (rep.status >= 400)
        FZ_ASSERT(fz_data_version() == before); /* refused: nothing written */
    if (strcmp(FUZZ_BODY, "backup_post") == 0 && rep.status == 201)
        check_backup(&rep);
    reply_clear(&rep);
    req_free(req);
    return 0;
}
