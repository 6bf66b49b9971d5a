/* SPDX-License-Identifier: MIT */
/* device_requirement matching rules (docs/upstream.md section 3.4). */
#include "check.h"
#include "handlers/match.h"

#include <stdio.h>
#include <string.h>

static const char h100[] =
    "{\"cpu\": {\"count\": 64, \"frequency\": 2000.0}, \"gpu\": {\"count\": 8, "
    "\"capacity\": 652472.0, \"details\": [{\"name\": \"NVIDIA H100 80GB "
    "HBM3\", \"capacity\": 81559.0}]}, \"hard_disk\": {\"free\": 1000}, "
    "\"ram\": {\"available\": 2000}, \"has_docker\": true}";

static struct match_req all_required(void)
{
    struct match_req r = {0};

    r.cpu = r.gpu = r.disk = r.ram = true;
    r.cpu_count = 64;
    r.gpu_count = 8;
    r.gpu_capacity = 652471.0;
    snprintf(r.gpu_type, sizeof(r.gpu_type), "h100");
    r.disk_capacity = 1000;
    r.ram_capacity = 2000;
    return r;
}

static enum match_result m(const struct match_req *r, const char *details)
{
    char why[160] = "";

    return match_details(r, details, why, sizeof(why));
}

int main(void)
{
    struct match_req r = all_required(), t;
    char why[160];

    CHECK(m(&r, h100) == MATCH_YES); /* >= at the boundaries */
    t = r;
    t.gpu_capacity = 652472.0; /* strict >: equal capacity fails */
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    t.cpu_count = 65;
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    t.disk_capacity = 1001;
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    t.ram_capacity = 2001;
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    t.gpu_count = 9;
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    snprintf(t.gpu_type, sizeof(t.gpu_type), "a100");
    CHECK(m(&t, h100) == MATCH_NO);
    t = r;
    /* A substring, case-insensitive. */
    snprintf(t.gpu_type, sizeof(t.gpu_type), "80gb hbm");
    CHECK(m(&t, h100) == MATCH_YES);
    t = r;
    t.gpu_type[0] = '\0'; /* "" matches every name */
    CHECK(m(&t, h100) == MATCH_YES);
    /* Nothing required still needs the four components present. */
    memset(&t, 0, sizeof(t));
    CHECK(m(&t, h100) == MATCH_YES);
    CHECK(m(&t, "{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}}") == MATCH_NO);
    CHECK(m(&r, "{}") == MATCH_NO);
    CHECK(m(&r, "") == MATCH_NO);
    /* A failed sub-probe ({}) is a non-match when that part is required. */
    CHECK(m(&r, "{\"cpu\": {}, \"gpu\": {}, \"hard_disk\": {}, "
                "\"ram\": {}}") == MATCH_NO);
    /* Malformed rows are reported, with a reason. */
    CHECK(match_details(&r, NULL, why, sizeof(why)) == MATCH_MALFORMED);
    CHECK(match_details(&r, "{not json", why, sizeof(why)) == MATCH_MALFORMED);
    CHECK(strstr(why, "not valid JSON") != NULL);
    CHECK(match_details(&r, "[1, 2]", why, sizeof(why)) == MATCH_MALFORMED);
    CHECK(match_details(&r,
                        "{\"cpu\": {\"count\": \"64\"}, \"gpu\": {}, "
                        "\"hard_disk\": {}, \"ram\": {}}",
                        why, sizeof(why)) == MATCH_MALFORMED);
    CHECK_STR_EQ(why, "cpu.count is not a number");
    return 0;
}
