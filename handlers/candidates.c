/* SPDX-License-Identifier: MIT */
/* POST /allocations/candidates: the miners whose stored specs meet a
 * device_requirement (the matcher is match.c). */
#include "decode.h"
#include "handlers.h"
#include "match.h"
#include "schema/queries.h"

#include <ctype.h>

/* One component of the requirement: {} (no requirement) or an object
 * whose listed members are numbers. */
static enum svc_rc decode_component(struct req *req, const char *name,
                                    const char *const *fields, bool *set)
{
    const json_t *c = json_object_get(req->json, name);

    if (!c)
        return req_fail(req, SVC_ERR_INVALID, name,
                        "is required ({} for no requirement)");
    *set = json_is_object(c) && json_object_size(c) > 0;
    return dec_fields(req, c, name, fields);
}

static enum svc_rc decode_gpu(struct req *req, struct match_req *m)
{
    static const char *const fields[] = {"count", "capacity", "type", NULL};
    const json_t *gpu = json_object_get(req->json, "gpu");
    const char *type = NULL;
    enum svc_rc rc = decode_component(req, "gpu", fields, &m->gpu);

    if (rc != SVC_OK || !m->gpu)
        return rc;
    rc = dec_real(req, gpu, "gpu", -1, "count", 0, 1e6, &m->gpu_count);
    if (rc == SVC_OK)
        rc = dec_real(req, gpu, "gpu", -1, "capacity", 0, 1e12,
                      &m->gpu_capacity);
    if (rc != SVC_OK)
        return rc;
    if (!json_is_string(json_object_get(gpu, "type")) ||
        json_string_length(json_object_get(gpu, "type")) >= sizeof(m->gpu_type))
        return req_fail(req, SVC_ERR_INVALID, "gpu.type",
                        "must be a string of at most %zu bytes",
                        sizeof(m->gpu_type) - 1);
    type = json_string_value(json_object_get(gpu, "type"));
    for (size_t i = 0; type[i]; i++)
        m->gpu_type[i] = (char)tolower((unsigned char)type[i]);
    return SVC_OK;
}

static enum svc_rc decode_requirement(struct req *req, struct match_req *m)
{
    static const char *const top[] = {"cpu", "gpu",     "hard_disk",
                                      "ram", "testing", NULL};
    static const char *const cpu[] = {"count", NULL};
    static const char *const cap[] = {"capacity", NULL};
    const json_t *testing = json_object_get(req->json, "testing");
    enum svc_rc rc = dec_fields(req, req->json, NULL, top);

    if (rc == SVC_OK && testing && !json_is_boolean(testing))
        rc = req_fail(req, SVC_ERR_INVALID, "testing", "must be true or false");
    if (rc == SVC_OK)
        rc = decode_component(req, "cpu", cpu, &m->cpu);
    if (rc == SVC_OK && m->cpu)
        rc = dec_real(req, json_object_get(req->json, "cpu"), "cpu", -1,
                      "count", 0, 1e6, &m->cpu_count);
    if (rc == SVC_OK)
        rc = decode_gpu(req, m);
    if (rc == SVC_OK)
        rc = decode_component(req, "hard_disk", cap, &m->disk);
    if (rc == SVC_OK && m->disk)
        rc = dec_real(req, json_object_get(req->json, "hard_disk"), "hard_disk",
                      -1, "capacity", 0, 1e18, &m->disk_capacity);
    if (rc == SVC_OK)
        rc = decode_component(req, "ram", cap, &m->ram);
    if (rc == SVC_OK && m->ram)
        rc = dec_real(req, json_object_get(req->json, "ram"), "ram", -1,
                      "capacity", 0, 1e18, &m->ram_capacity);
    return rc;
}

struct candidates {
    const struct match_req *m;
    json_t *items;
    json_t *skipped;
};

static enum svc_rc candidate_row(const char *hotkey, const char *details,
                                 void *ctx)
{
    struct candidates *c = ctx;
    char why[160] = "";
    json_t *entry;

    switch (match_details(c->m, details, why, sizeof(why))) {
    case MATCH_YES:
        if (!hotkey)
            return SVC_OK;
        return json_array_append_new(c->items, json_string(hotkey))
                   ? SVC_ERR_NOMEM
                   : SVC_OK;
    case MATCH_MALFORMED:
        entry = json_pack("{s:s?,s:s}", "hotkey", hotkey, "reason", why);
        return !entry || json_array_append_new(c->skipped, entry)
                   ? SVC_ERR_NOMEM
                   : SVC_OK;
    case MATCH_NO:
        break;
    }
    return SVC_OK;
}

/* POST /allocations/candidates {device_requirement}
 * -> {"items": [hotkeys], "skipped": [{"hotkey","reason"}], "next": null}.
 * A malformed row is reported in skipped; it never empties the answer. */
enum svc_rc h_candidates_post(struct req *req, struct reply *rep)
{
    struct match_req m = {0};
    struct candidates c = {&m, json_array(), json_array()};
    struct db *db;
    enum svc_rc rc = decode_requirement(req, &m);

    if (rc == SVC_OK && (!c.items || !c.skipped))
        rc = SVC_ERR_NOMEM;
    if (rc == SVC_OK)
        rc = db_read_begin(req->app->db, &db);
    if (rc != SVC_OK)
        goto out;
    rc = q_specs_scan(db, candidate_row, &c);
    db_read_end(req->app->db, db);
    if (rc == SVC_OK)
        rc = reply_json(rep, 200,
                        json_pack("{s:O,s:O,s:n}", "items", c.items, "skipped",
                                  c.skipped, "next"));
out:
    json_decref(c.items);
    json_decref(c.skipped);
    return rc;
}
