/* SPDX-License-Identifier: MIT */
/* THE route table: every endpoint, its handler, the least role it needs
 * its body rules and the query parameters it accepts (any other is a 400).
 * openapi/openapi.json documents exactly these. ROUTE_GPU routes answer
 * 503 (ERR_POG_OFF) while the PoG workers are off (the router checks). */
#include "handlers.h"

/* clang-format off */
const struct route svc_routes[] = {
    /* system: open */
    {"GET",    "/healthz",                 h_health_get,       ROLE_NONE,   0, NULL},
    {"GET",    "/readyz",                  h_ready_get,        ROLE_NONE,   0, NULL},
    {"GET",    "/version",                 h_version_get,      ROLE_NONE,   0, NULL},
    {"GET",    "/openapi.json",            h_openapi_get,      ROLE_NONE,   0, NULL},
    {"GET",    "/metrics",                 h_metrics_get,      ROLE_NONE,   0, NULL},
    /* the dashboard (serve --no-ui: 404) */
    {"GET",    "/",                        h_ui_get,           ROLE_NONE,   0, NULL},
    {"GET",    "/ui",                      h_ui_get,           ROLE_NONE,   0, NULL},
    {"GET",    "/ui/",                     h_ui_get,           ROLE_NONE,   0, NULL},
    {"GET",    "/ui/:asset",               h_ui_get,           ROLE_NONE,   0, NULL},
    {"GET",    "/whoami",                  h_whoami_get,       ROLE_READER, 0, NULL},
    /* miners */
    {"GET",    "/miners",                  h_miners_list,      ROLE_READER, 0, NULL},
    {"PUT",    "/miners",                  h_miners_put,       ROLE_WRITER, ROUTE_JSON, NULL},
    {"DELETE", "/miners/:uid",             h_miners_delete,    ROLE_WRITER, 0, "hotkey"},
    /* specs */
    {"GET",    "/miners/details",          h_specs_list,       ROLE_READER, 0, "has_docker"},
    {"PUT",    "/miners/details",          h_specs_put,        ROLE_WRITER, ROUTE_JSON, NULL},
    {"GET",    "/miners/details/:hotkey",  h_specs_get,        ROLE_READER, 0, NULL},
    {"POST",   "/allocations/candidates",  h_candidates_post,  ROLE_READER, ROUTE_JSON, NULL},
    /* challenges */
    {"GET",    "/challenges",              h_challenges_list,  ROLE_READER, 0, "uid,limit,cursor"},
    {"POST",   "/challenges",              h_challenges_post,  ROLE_WRITER, ROUTE_JSON, NULL},
    {"GET",    "/challenges/stats",        h_challenges_stats, ROLE_READER, 0, NULL},
    /* allocations */
    {"GET",    "/allocations",             h_alloc_list,       ROLE_READER, 0, NULL},
    {"GET",    "/allocations/:hotkey",     h_alloc_get,        ROLE_READER, 0, NULL},
    {"PUT",    "/allocations/:hotkey",     h_alloc_put,        ROLE_WRITER, ROUTE_JSON, NULL},
    {"DELETE", "/allocations/:hotkey",     h_alloc_delete,     ROLE_WRITER, 0, NULL},
    /* blacklist */
    {"GET",    "/blacklist",               h_blacklist_list,   ROLE_READER, 0, NULL},
    {"POST",   "/blacklist",               h_blacklist_post,   ROLE_WRITER, ROUTE_JSON, NULL},
    {"DELETE", "/blacklist",               h_blacklist_delete, ROLE_WRITER, ROUTE_JSON, NULL},
    {"DELETE", "/blacklist/:hotkey",       h_blacklist_delete_one, ROLE_WRITER, 0, NULL},
    /* pog */
    {"GET",    "/pog/stats",               h_pog_stats_list,   ROLE_READER, 0, NULL},
    {"POST",   "/pog/stats",               h_pog_stats_post,   ROLE_WRITER, ROUTE_JSON, NULL},
    {"GET",    "/pog/stats/:hotkey",       h_pog_stats_get,    ROLE_READER, 0, NULL},
    /* pog engine: jobs on the worker pool, verification, identification */
    {"GET",    "/pog/jobs",                h_pog_jobs_list,    ROLE_READER, 0, "state,kind,limit,cursor"},
    {"POST",   "/pog/jobs",                h_pog_jobs_post,    ROLE_WRITER, ROUTE_JSON | ROUTE_GPU, NULL},
    {"GET",    "/pog/jobs/:id",            h_pog_jobs_get,     ROLE_READER, 0, NULL},
    {"DELETE", "/pog/jobs/:id",            h_pog_jobs_delete,  ROLE_WRITER, ROUTE_GPU, NULL},
    {"POST",   "/pog/verify",              h_pog_verify_post,  ROLE_READER, ROUTE_JSON, NULL},
    {"POST",   "/pog/identify",            h_pog_identify_post, ROLE_READER, ROUTE_JSON, NULL},
    {"GET",    "/pog/gpus",                h_pog_gpus_get,     ROLE_READER, 0, NULL},
    {"GET",    "/scores",                  h_scores_list,      ROLE_READER, 0, NULL},
    /* stats */
    {"GET",    "/stats",                   h_stats_list,       ROLE_READER, 0, NULL},
    {"PUT",    "/stats",                   h_stats_put,        ROLE_WRITER, ROUTE_JSON, NULL},
    {"GET",    "/stats/:uid",              h_stats_get,        ROLE_READER, 0, NULL},
    /* wandb */
    {"GET",    "/wandb-runs",              h_wandb_list,       ROLE_READER, 0, NULL},
    {"GET",    "/wandb-runs/:hotkey",      h_wandb_get,        ROLE_READER, 0, NULL},
    {"PUT",    "/wandb-runs/:hotkey",      h_wandb_put,        ROLE_WRITER, ROUTE_JSON, NULL},
    {"DELETE", "/wandb-runs/:hotkey",      h_wandb_delete,     ROLE_WRITER, 0, NULL},
    /* the upstream allocation API's database reads, its envelopes and
     * all; its routes that need a miner answer 501 */
    {"POST",   "/list/allocations_sql",    h_aapi_allocations, ROLE_READER, 0, NULL},
    {"POST",   "/list/resources_sql",      h_aapi_resources,   ROLE_READER, 0, "stats,page_size,page_number"},
    {"POST",   "/service/:action",         h_aapi_service,     ROLE_READER, 0,
     "hotkey,ssh_key,uuid_key,notify_flag,query_version,key_type"},
    /* admin */
    {"GET",    "/admin/principals",        h_principals_list,  ROLE_ADMIN,  0, NULL},
    {"GET",    "/admin/principals/:ss58",  h_principals_get,   ROLE_ADMIN,  0, NULL},
    {"PUT",    "/admin/principals/:ss58",  h_principals_put,   ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"DELETE", "/admin/principals/:ss58",  h_principals_delete, ROLE_ADMIN, 0, NULL},
    {"POST",   "/admin/backup",            h_backup_post,      ROLE_ADMIN,  ROUTE_JSON, NULL},
    {"GET",    "/admin/backup",            h_backup_get,       ROLE_ADMIN,  0, "name"},
};
/* clang-format on */

const size_t svc_routes_count = sizeof(svc_routes) / sizeof(svc_routes[0]);
