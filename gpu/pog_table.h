/* SPDX-License-Identifier: MIT */
/* The GPU reference table (docs/upstream.md 5.2: TFLOPS fp16/fp32, quantised
 * VRAM, tolerance pairs, gpu_scores), identify_gpu (docs/pog.md 1.3) and the
 * live scorer calc_score_pog (docs/upstream.md 5.1). The default table is
 * gpu/gpu_table.json, compiled in; pog_table_load() reads a replacement in
 * the same format (the CLI's --gpu-table).
 *
 * Format: {"gpus": [{"name": s, "fp16": x, "fp32": x, "avram": x,
 * "score"?: x}, ...], "tolerance_pairs"?: [[s, s], ...], "source"?: s,
 * "note"?: s}. Order matters: ties go to the earlier entry. A table is
 * immutable once built, so any number of threads may read it. */
#ifndef POG_TABLE_H
#define POG_TABLE_H

#include "core/rc.h"
#include "pog_parse.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

enum { POG_GPU_NAME_MAX = 96, POG_TABLE_MAX = 256 };

struct pog_gpu_spec {
    char name[POG_GPU_NAME_MAX]; /* as the table spells it */
    double fp16, fp32;           /* reference TFLOPS */
    double avram;                /* reference VRAM estimate, GB */
    double score;                /* gpu_scores multiplier */
    bool has_score;              /* false: absent from gpu_scores */
};

struct pog_table; /* opaque */

/* Builds a table from JSON text. Returns SVC_OK with a new table in *out,
 * SVC_ERR_INVALID with err set, or SVC_ERR_NOMEM. */
SVC_NODISCARD enum svc_rc pog_table_parse(const char *text, size_t len,
                                          struct pog_table **out,
                                          struct svc_err *err);
/* The same from a file (at most 1 MiB). SVC_ERR_NOT_FOUND when it cannot be
 * read. */
SVC_NODISCARD enum svc_rc
pog_table_load(const char *path, struct pog_table **out, struct svc_err *err);
/* Releases a table from parse/load; NULL is fine. Never pass the default. */
void pog_table_free(struct pog_table *t);
/* The compiled-in table, parsed on first use (thread-safe); static
 * storage, never NULL. */
const struct pog_table *pog_table_default(void);

size_t pog_table_count(const struct pog_table *t);
/* Entry i < count, in table order; borrowed from t. */
const struct pog_gpu_spec *pog_table_at(const struct pog_table *t, size_t i);
/* The entry named name (exact match), or NULL. */
const struct pog_gpu_spec *pog_table_find(const struct pog_table *t,
                                          const char *name);
/* True when {a, b} is a tolerance pair, in either order. */
bool pog_table_tolerated(const struct pog_table *t, const char *a,
                         const char *b);
/* A new JSON object {"gpus": [...], "tolerance_pairs": [...]} (GET
 * /pog/gpus), or NULL on out of memory. */
json_t *pog_table_json(const struct pog_table *t);

struct pog_identity {
    const char *name;      /* the verdict; borrowed from t or reported */
    const char *best;      /* the closest table entry, before the swap */
    double score;          /* its mean relative deviation */
    const char *runner_up; /* second closest, NULL for a 1-entry table */
    double runner_up_score;
    bool tolerance_swap; /* name is reported, via a tolerance pair */
};

/* identify_gpu: the entry with the least mean relative deviation of (fp16
 * TFLOPS, fp32 TFLOPS, vram GB), the earlier on a tie; then, if reported
 * (the device's own name, may be NULL) forms a tolerance pair with it,
 * reported wins. Returns SVC_ERR_INVALID for non-finite input. */
SVC_NODISCARD enum svc_rc pog_identify(const struct pog_table *t, double fp16,
                                       double fp32, double vram,
                                       const char *reported,
                                       struct pog_identity *out);

/* calc_score_pog: score[name] * min(num_gpus, 8) * 100 / (8 * max score),
 * divided by 100, so in [0, 1]. 0 for a name without a score, for
 * num_gpus 0, and when no entry has a positive score. */
double pog_table_score(const struct pog_table *t, const char *gpu_name,
                       unsigned num_gpus);

#endif
