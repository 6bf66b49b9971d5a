/* SPDX-License-Identifier: MIT */
/* Parsers and encoders for PoG data (docs/pog.md 1.5, docs/upstream.md 4.3):
 * 64-bit decimal seeds, the seeds file ("n" then "gpu seed_a seed_b" lines),
 * the challenge line ("gpu i,j;i,j"), hex digests and base64 row bytes. Pure;
 * thread-safe. Failures fill a struct svc_err (core/err.h). */
#ifndef POG_PARSE_H
#define POG_PARSE_H

#include "core/err.h"
#include "pog.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict unsigned decimal: 1 to 20 digits, no sign, no spaces, at most
 * 2^64-1. Returns false on anything else. */
bool pog_parse_u64(const char *s, uint64_t *out);
/* A JSON seed: a decimal string (any value up to 2^64-1) or a non-negative
 * integer (JSON integers stop at 2^63-1). */
bool pog_json_u64(const json_t *v, uint64_t *out);

struct pog_seed {
    unsigned gpu;
    uint64_t seed_a, seed_b;
};

struct pog_seeds {
    uint32_t n;     /* matrix side, 1..POG_MAX_N */
    unsigned count; /* GPUs; gpu[k].gpu == k */
    struct pog_seed gpu[POG_MAX_GPUS];
};

/* Parses the upstream seeds file: the first line is n, then one line
 * "gpu seed_a seed_b" per GPU. GPU ids must be 0..count-1, each once, in
 * any order; the result is sorted by id. Blank lines and CRLF are fine.
 * Returns SVC_OK or SVC_ERR_INVALID with err set. */
SVC_NODISCARD enum svc_rc pog_parse_seeds(const char *text, size_t len,
                                          struct pog_seeds *out,
                                          struct svc_err *err);

struct pog_index {
    uint32_t i, j;
};

struct pog_challenge_line {
    unsigned gpu;
    unsigned count;
    struct pog_index idx[POG_MAX_CHALLENGES];
};

/* Parses one challenge line "gpu i,j;i,j..." (the upstream indices file has
 * one per GPU). With n > 0, every i and j must be < n. */
SVC_NODISCARD enum svc_rc
pog_parse_challenge_line(const char *line, uint32_t n,
                         struct pog_challenge_line *out, struct svc_err *err);

/* The miner's benchmark line, "num_gpus vram n_fp16 t_fp16 n_fp32 t_fp32",
 * as the validator reads it: TFLOPS = 2 n^3 / t / 1e12. */
struct pog_bench_line {
    int64_t num_gpus;   /* 1..POG_MAX_GPUS */
    double vram;        /* the miner's VRAM estimate, > 0 */
    double tflops_fp16; /* from n_fp16 (1..POG_MAX_N) and t_fp16 > 0 */
    double tflops_fp32;
};
/* Parses line (whitespace-separated, nothing else) into *out; false on
 * anything else. */
bool pog_bench_line_parse(const char *line, struct pog_bench_line *out);

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void pog_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes hex (either case, even length) into out[cap]; *len is the byte
 * count. False on a bad digit, odd length or overflow of cap. */
bool pog_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len);

/* Bytes base64_encode() writes for len input bytes, NUL included. */
size_t pog_base64_size(size_t len);
/* Standard base64 with padding into out[pog_base64_size(len)]. */
void pog_base64_encode(const uint8_t *in, size_t len, char *out);
/* Decodes standard padded base64 of slen chars into out[cap]. False on a
 * bad character, bad padding or overflow of cap. */
bool pog_base64_decode(const char *s, size_t slen, uint8_t *out, size_t cap,
                       size_t *len);

#endif
