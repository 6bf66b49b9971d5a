/* SPDX-License-Identifier: MIT */
/* device_requirement matching (upstream allocate_check_if_miner_meet):
 * strict > for GPU capacity, >= for counts, disk free and RAM available,
 * and the required GPU type as a case-insensitive substring of the first
 * GPU's name. Pure functions. */
#ifndef HANDLERS_MATCH_H
#define HANDLERS_MATCH_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

struct match_req {
    bool cpu; /* component required (non-empty in the request) */
    double cpu_count;
    bool gpu;
    double gpu_count;
    double gpu_capacity; /* MiB; the miner needs strictly more */
    char gpu_type[128];  /* lower-cased; "" matches every name */
    bool disk;
    double disk_capacity; /* bytes of hard_disk.free */
    bool ram;
    double ram_capacity; /* bytes of ram.available */
};

enum match_result {
    MATCH_YES,
    MATCH_NO,        /* empty details, a missing key or too small */
    MATCH_MALFORMED, /* unparsable details or a value of the wrong type */
};

/* Matches one miner_details.details text (may be NULL) against r. On
 * MATCH_MALFORMED, why (len bytes) says what was wrong. */
enum match_result match_details(const struct match_req *r, const char *details,
                                char *why, size_t len);

#endif
