/* SPDX-License-Identifier: MIT */
/* THE route table: every endpoint, its handler, the least role it needs
 * and its body rules. openapi/openapi.json documents exactly these. */
#include "handlers.h"

/* clang-format off */
const struct route svc_routes[] = {
    /* system: open */
    {"GET",    "/healthz",                 h_health_get,       ROLE_NONE,   0},
    {"GET",    "/readyz",                  h_ready_get,        ROLE_NONE,   0},
    {"GET",    "/version",                 h_version_get,      ROLE_NONE,   0},
    {"GET",    "/openapi.json",            h_openapi_get,      ROLE_NONE,   0},
    /* miners */
    {"GET",    "/miners",                  h_miners_list,      ROLE_READER, 0},
    {"PUT",    "/miners",                  h_miners_put,       ROLE_WRITER, ROUTE_JSON},
    {"DELETE", "/miners/:uid",             h_miners_delete,    ROLE_WRITER, 0},
    /* specs */
    {"GET",    "/miners/details",          h_specs_list,       ROLE_READER, 0},
    {"PUT",    "/miners/details",          h_specs_put,        ROLE_WRITER, ROUTE_JSON},
    {"GET",    "/miners/details/:hotkey",  h_specs_get,        ROLE_READER, 0},
    {"POST",   "/allocations/candidates",  h_candidates_post,  ROLE_READER, ROUTE_JSON},
    /* challenges */
    {"GET",    "/challenges",              h_challenges_list,  ROLE_READER, 0},
    {"POST",   "/challenges",              h_challenges_post,  ROLE_WRITER, ROUTE_JSON},
    {"GET",    "/challenges/stats",        h_challenges_stats, ROLE_READER, 0},
    /* allocations */
    {"GET",    "/allocations",             h_alloc_list,       ROLE_READER, 0},
    {"GET",    "/allocations/:hotkey",     h_alloc_get,        ROLE_READER, 0},
    {"PUT",    "/allocations/:hotkey",     h_alloc_put,        ROLE_WRITER, ROUTE_JSON},
    {"DELETE", "/allocations/:hotkey",     h_alloc_delete,     ROLE_WRITER, 0},
    /* blacklist */
    {"GET",    "/blacklist",               h_blacklist_list,   ROLE_READER, 0},
    {"POST",   "/blacklist",               h_blacklist_post,   ROLE_WRITER, ROUTE_JSON},
    {"DELETE", "/blacklist",               h_blacklist_delete, ROLE_WRITER, ROUTE_JSON},
    {"DELETE", "/blacklist/:hotkey",       h_blacklist_delete_one, ROLE_WRITER, 0},
    /* pog */
    {"GET",    "/pog/stats",               h_pog_stats_list,   ROLE_READER, 0},
    {"POST",   "/pog/stats",               h_pog_stats_post,   ROLE_WRITER, ROUTE_JSON},
    {"GET",    "/pog/stats/:hotkey",       h_pog_stats_get,    ROLE_READER, 0},
    /* stats */
    {"GET",    "/stats",                   h_stats_list,       ROLE_READER, 0},
    {"PUT",    "/stats",                   h_stats_put,        ROLE_WRITER, ROUTE_JSON},
    {"GET",    "/stats/:uid",              h_stats_get,        ROLE_READER, 0},
    /* wandb */
    {"GET",    "/wandb-runs",              h_wandb_list,       ROLE_READER, 0},
    {"GET",    "/wandb-runs/:hotkey",      h_wandb_get,        ROLE_READER, 0},
    {"PUT",    "/wandb-runs/:hotkey",      h_wandb_put,        ROLE_WRITER, ROUTE_JSON},
    {"DELETE", "/wandb-runs/:hotkey",      h_wandb_delete,     ROLE_WRITER, 0},
    /* admin */
    {"GET",    "/admin/principals",        h_principals_list,  ROLE_ADMIN,  0},
    {"GET",    "/admin/principals/:ss58",  h_principals_get,   ROLE_ADMIN,  0},
    {"PUT",    "/admin/principals/:ss58",  h_principals_put,   ROLE_ADMIN,  ROUTE_JSON},
    {"DELETE", "/admin/principals/:ss58",  h_principals_delete, ROLE_ADMIN, 0},
};
/* clang-format on */

const size_t svc_routes_count = sizeof(svc_routes) / sizeof(svc_routes[0]);
