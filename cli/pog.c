/* SPDX-License-Identifier: MIT */
/* computedb pog: the PoG engine on this machine, without a server. info
 * describes the devices, benchmark runs the miner's benchmark and
 * identifies the GPU, selftest runs a whole round end to end (device
 * self-test, compute, proof, the validator's verification, and a tampered
 * row that must fail). Everything goes through the worker pool the server
 * uses. Progress goes to stderr; results (text, or JSON with --json) to
 * stdout. */
#include "cli.h"
#include "core/clock.h"
#include "gpu/pog_verify.h"
#include "gpu/pool.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char usage[] =
    "usage: computedb pog <info|benchmark|selftest> [flags]\n\n"
    "Runs the Proof-of-GPU engine here, without a server.\n\n"
    "  info       the backend and its devices, and the VRAM estimate a miner "
    "reports\n"
    "  benchmark  the miner's fp16 and fp32 GEMM benchmark, its line and the "
    "GPU\n"
    "             it identifies [--n-fp16 N] [--n-fp32 N] [--gpu-table "
    "FILE]\n"
    "  selftest   device self-test, compute, proof, verification and a "
    "tampered\n"
    "             row, each with its time, and the verdict [--n N] (default "
    "512)\n"
    "             [--seed-a S] [--seed-b S]\n\n"
    "flags:\n"
    "  --backend B      auto, cpu or cuda (default $COMPUTEDB_POG_BACKEND, "
    "else auto)\n"
    "  --device K       the device to run on (default 0)\n"
    "  --cpu-max-n N    largest n the CPU backend accepts (default 4096)\n"
    "  --json           print the result as JSON\n\n"
    "Progress goes to stderr. Exit 0 on success (selftest: a pass), 1 on a "
    "failure,\n2 on a usage error.\n";

enum { SELFTEST_N = 512, SELFTEST_CHALLENGES = 4, STAGES = 5 };

struct pog_cli {
    const char *cmd;
    const char *backend, *device, *cpu_max_n, *gpu_table;
    const char *n, *n_fp16, *n_fp32, *seed_a, *seed_b;
    int json, help;
    struct pog_table *table; /* --gpu-table, owned */
    struct gpu_pool *pool;
    int dev;
};

static int fail(const struct pog_cli *c, const char *what, const char *why)
{
    fprintf(stderr, "computedb pog %s: %s: %s\n", c->cmd, what, why);
    return 1;
}

/* An optional decimal flag in [lo, hi] into *out; false (said) if bad. */
static bool flag_u64(const struct pog_cli *c, const char *name, const char *val,
                     uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v = 0;

    if (!val)
        return true;
    if (!pog_parse_u64(val, &v) || v < lo || v > hi) {
        fprintf(stderr,
                "computedb pog %s: %s must be an integer in %llu..%llu\n",
                c->cmd, name, (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    *out = v;
    return true;
}

static int open_pool(struct pog_cli *c)
{
    struct gpu_pool_opts o = {0};
    struct svc_err err = {{0}, {0}};
    uint64_t dev = 0, max_n = 0;
    char why[GPU_ERR_MAX + 64];
    enum svc_rc rc;

    if (!flag_u64(c, "--device", c->device, 0, POG_MAX_GPUS - 1, &dev) ||
        !flag_u64(c, "--cpu-max-n", c->cpu_max_n, 1, POG_MAX_N, &max_n))
        return 2;
    c->dev = (int)dev;
    if (c->gpu_table &&
        (rc = pog_table_load(c->gpu_table, &c->table, &err)) != SVC_OK)
        return fail(c, c->gpu_table, err.msg[0] ? err.msg : svc_rc_text(rc));
    o.backend_name = c->backend;
    o.worker.cpu_max_n = (uint32_t)max_n;
    o.table = c->table;
    o.default_timeout_ms = 24u * 3600 * 1000; /* a CPU benchmark is slow */
    rc = gpu_pool_new(&o, &c->pool, why, sizeof(why));
    if (rc != SVC_OK)
        return fail(c, "no workers", why[0] ? why : svc_rc_text(rc));
    return 0;
}

/* Runs spec to its end, saying on stderr every 5 s that it still runs.
 * Returns 0 with the job's snapshot (new) in *out when it is done, else 1
 * after saying why. */
static int run_job(struct pog_cli *c, const char *what,
                   struct gpu_job_spec *spec, json_t **out)
{
    struct svc_err err = {{0}, {0}};
    enum gpu_job_state st = GPU_JOB_QUEUED;
    double t0 = clock_mono_s();
    uint64_t id = 0;
    json_t *snap = NULL;
    const char *msg;
    enum svc_rc rc;

    spec->device = c->dev;
    rc = gpu_pool_submit(c->pool, spec, &id, &err);
    if (rc != SVC_OK)
        return fail(c, what, err.msg[0] ? err.msg : svc_rc_text(rc));
    while ((rc = gpu_pool_wait(c->pool, id, 5000, &st)) == SVC_ERR_TIMEOUT)
        fprintf(stderr, "  %s: %s for %.0f s\n", what, gpu_job_state_name(st),
                clock_mono_s() - t0);
    if (rc == SVC_OK)
        rc = gpu_pool_status(c->pool, id, &snap);
    if (rc != SVC_OK)
        return fail(c, what, svc_rc_text(rc));
    if (st == GPU_JOB_DONE) {
        *out = snap;
        return 0;
    }
    msg = json_string_value(
        json_object_get(json_object_get(snap, "error"), "message"));
    fprintf(stderr, "computedb pog %s: %s %s: %s\n", c->cmd, what,
            gpu_job_state_name(st), msg ? msg : "no reason given");
    json_decref(snap);
    return 1;
}

static double num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}

/* ---- info ----------------------------------------------------------- */

static void print_device(const json_t *d)
{
    const json_t *info = json_object_get(d, "info");

    printf("device %lld: %s", (long long)num(d, "index"), str(d, "state"));
    if (info)
        printf(
            ", %s, %.1f GiB total, %.1f GiB free, max n %lld, %s "
            "accumulation%s%s",
            str(info, "name"), num(info, "total_bytes") / (1 << 30),
            num(info, "free_bytes") / (1 << 30), (long long)num(info, "max_n"),
            json_is_true(json_object_get(info, "fp64_fast")) ? "fp64" : "fp32",
            *str(info, "compute_capability") ? ", compute capability " : "",
            str(info, "compute_capability"));
    if (json_object_get(d, "reason"))
        printf(" (%s)", str(d, "reason"));
    putchar('\n');
}

static int cmd_info(struct pog_cli *c)
{
    struct gpu_job_spec spec = {.kind = GPU_JOB_INFO};
    json_t *snap = NULL, *pool = NULL, *res, *d;
    size_t i;
    int code = run_job(c, "info", &spec, &snap);

    if (code)
        return code;
    res = json_object_get(snap, "result");
    pool = gpu_pool_info(c->pool);
    if (c->json) {
        json_object_set(pool, "info", res);
        cli_print_json(pool);
    } else {
        printf("backend: %s, %d device(s)\n", gpu_pool_backend(c->pool),
               gpu_pool_devices(c->pool));
        json_array_foreach (json_object_get(pool, "devices"), i, d)
            print_device(d);
        printf("vram estimate (as a miner reports it): %.2f GB\n",
               num(res, "vram"));
    }
    json_decref(pool);
    json_decref(snap);
    return 0;
}

/* ---- benchmark ------------------------------------------------------ */

/* The GPU model the speeds match; the CPU backend identifies none. */
static void print_identity(const json_t *id)
{
    if (!json_is_object(id)) {
        printf("identified: none (the CPU backend is no GPU)\n");
        return;
    }
    printf("identified: %s (deviation %.3f", str(id, "name"), num(id, "score"));
    if (json_is_string(json_object_get(id, "runner_up")))
        printf("; runner-up %s, %.3f", str(id, "runner_up"),
               num(id, "runner_up_score"));
    printf(")%s\n", json_is_true(json_object_get(id, "tolerance_swap"))
                        ? ", the reported name by a tolerance pair"
                        : "");
}

static void print_bench(const json_t *r)
{
    const json_t *id = json_object_get(r, "identified");

    printf("%s\n", str(r, "line"));
    printf("fp16: n=%lld in %.6f s, %.2f TFLOPS\n", (long long)num(r, "n_fp16"),
           num(r, "t_fp16"), num(r, "tflops_fp16"));
    printf("fp32: n=%lld in %.6f s, %.2f TFLOPS\n", (long long)num(r, "n_fp32"),
           num(r, "t_fp32"), num(r, "tflops_fp32"));
    print_identity(id);
    printf("score: %.4f for %lld GPU(s)\n", num(r, "score"),
           (long long)num(r, "num_gpus"));
    if (json_is_true(json_object_get(r, "clamped")))
        printf("note: sizes were cut to the device's max n\n");
}

static int cmd_benchmark(struct pog_cli *c)
{
    struct gpu_job_spec spec = {.kind = GPU_JOB_BENCHMARK};
    uint64_t n16 = 0, n32 = 0;
    json_t *snap = NULL;
    int code;

    if (!flag_u64(c, "--n-fp16", c->n_fp16, 32, POG_MAX_N, &n16) ||
        !flag_u64(c, "--n-fp32", c->n_fp32, 32, POG_MAX_N, &n32))
        return 2;
    spec.n_fp16 = (uint32_t)n16;
    spec.n_fp32 = (uint32_t)n32;
    fprintf(stderr, "benchmark: fp16 then fp32 GEMM on device %d...\n", c->dev);
    code = run_job(c, "benchmark", &spec, &snap);
    if (code)
        return code;
    if (c->json)
        cli_print_json(json_object_get(snap, "result"));
    else
        print_bench(json_object_get(snap, "result"));
    json_decref(snap);
    return 0;
}

/* ---- selftest ------------------------------------------------------- */

struct stage {
    const char *name;
    double seconds;
    bool ok;
};

struct selftest {
    struct pog_cli *c;
    uint32_t n;
    uint64_t seed_a, seed_b, compute_id;
    struct stage st[STAGES];
    unsigned done;
    json_t *compute;  /* the compute job's result */
    json_t *claim;    /* the POST /pog/verify body built from the proof */
    json_t *verdict;  /* of the honest claim */
    json_t *tampered; /* of the claim with one row bit flipped */
    char device[GPU_NAME_MAX];
};

static uint64_t random_u64(void)
{
    uint64_t v = 0;

    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint64_t)(clock_mono_s() * 1e9) * 0x9e3779b97f4a7c15ull;
    return v;
}

/* Starts stage name: says so on stderr; returns its start time. */
static double stage_begin(struct selftest *t, const char *name)
{
    fprintf(stderr, "[%u/%d] %s...\n", t->done + 1, STAGES, name);
    t->st[t->done].name = name;
    return clock_mono_s();
}

static void stage_end(struct selftest *t, double t0, bool ok)
{
    struct stage *s = &t->st[t->done++];

    s->seconds = clock_mono_s() - t0;
    s->ok = ok;
    fprintf(stderr, "      %s in %.6f s\n", ok ? "ok" : "FAILED", s->seconds);
}

/* Runs one job as a stage; *result (may be NULL) gets its result. */
static bool job_stage(struct selftest *t, const char *name,
                      struct gpu_job_spec *spec, json_t **result, uint64_t *id)
{
    json_t *snap = NULL;
    double t0 = stage_begin(t, name);
    bool ok = run_job(t->c, name, spec, &snap) == 0;

    if (ok && result)
        *result = json_incref(json_object_get(snap, "result"));
    if (ok && id)
        *id = (uint64_t)json_integer_value(json_object_get(snap, "id"));
    json_decref(snap);
    stage_end(t, t0, ok);
    return ok;
}

static json_t *u64_json(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return json_string(buf);
}

/* The verification request for the proof result p (one GPU). */
static json_t *claim_of(const struct selftest *t, const json_t *p)
{
    json_t *chs = json_array(), *idx;
    size_t k;

    json_array_foreach (json_object_get(p, "indices"), k, idx) {
        json_array_append_new(
            chs,
            json_pack("{s:O,s:O,s:O,s:O}", "i", json_array_get(idx, 0), "j",
                      json_array_get(idx, 1), "row",
                      json_array_get(json_object_get(p, "rows"), k), "proof",
                      json_array_get(json_object_get(p, "proofs"), k)));
    }
    return json_pack("{s:I,s:[{s:i,s:o,s:o,s:O,s:o}]}", "n", (json_int_t)t->n,
                     "gpus", "gpu", 0, "seed_a", u64_json(t->seed_a), "seed_b",
                     u64_json(t->seed_b), "root", json_object_get(p, "root"),
                     "challenges", chs);
}

/* A copy of claim whose first row has its lowest bit flipped. */
static json_t *tamper(const json_t *claim, uint32_t n)
{
    json_t *bad = json_deep_copy(claim);
    json_t *ch = json_array_get(
        json_object_get(json_array_get(json_object_get(bad, "gpus"), 0),
                        "challenges"),
        0);
    const char *b64 = json_string_value(json_object_get(ch, "row"));
    size_t len = 0, cap = 4 * (size_t)n;
    uint8_t *row = malloc(cap);
    char *enc = malloc(pog_base64_size(cap));
    bool ok = bad && b64 && row && enc &&
              pog_base64_decode(b64, strlen(b64), row, cap, &len) && len > 0;

    if (ok) {
        row[0] ^= 1;
        pog_base64_encode(row, len, enc);
        ok = json_object_set_new(ch, "row", json_string(enc)) == 0;
    }
    free(row);
    free(enc);
    if (!ok) {
        json_decref(bad);
        return NULL;
    }
    return bad;
}

/* Stages 4 and 5: the validator's verification of the honest proof must
 * pass and that of a tampered row must fail. */
static void verify_stages(struct selftest *t, const json_t *proof)
{
    struct svc_err err = {{0}, {0}};
    json_t *bad = NULL;
    double t0 = stage_begin(t, "verify");
    bool ok;

    t->claim = claim_of(t, proof);
    ok = t->claim && pog_verify_json(t->claim, &t->verdict, &err) == SVC_OK &&
         json_is_true(json_object_get(t->verdict, "pass"));
    if (!ok && err.msg[0])
        fprintf(stderr, "      %s: %s\n", err.field, err.msg);
    stage_end(t, t0, ok);
    t0 = stage_begin(t, "tampered row rejected");
    bad = t->claim ? tamper(t->claim, t->n) : NULL;
    ok = bad && pog_verify_json(bad, &t->tampered, &err) == SVC_OK &&
         json_is_false(json_object_get(t->tampered, "pass"));
    json_decref(bad);
    stage_end(t, t0, ok);
}

static void run_selftest(struct selftest *t)
{
    struct gpu_job_spec self = {.kind = GPU_JOB_SELFTEST};
    struct gpu_job_spec compute = {.kind = GPU_JOB_COMPUTE};
    struct gpu_job_spec proof = {.kind = GPU_JOB_PROOF};
    json_t *res = NULL, *p = NULL;

    if (job_stage(t, "device self-test", &self, &res, NULL))
        snprintf(t->device, sizeof(t->device), "%s", str(res, "device"));
    json_decref(res);
    compute.n = t->n;
    compute.seed_a = t->seed_a;
    compute.seed_b = t->seed_b;
    if (!job_stage(t, "compute", &compute, &t->compute, &t->compute_id))
        return;
    proof.compute_job = t->compute_id;
    proof.n_indices = SELFTEST_CHALLENGES;
    for (unsigned k = 0; k < SELFTEST_CHALLENGES; k++)
        proof.indices[k] = (struct pog_index){(uint32_t)(random_u64() % t->n),
                                              (uint32_t)(random_u64() % t->n)};
    if (!job_stage(t, "proof", &proof, &p, NULL))
        return;
    verify_stages(t, p);
    json_decref(p);
}

static bool all_ok(const struct selftest *t)
{
    for (unsigned k = 0; k < STAGES; k++)
        if (k >= t->done || !t->st[k].ok)
            return false;
    return true;
}

static void print_selftest_text(const struct selftest *t, bool pass)
{
    const json_t *tm = json_object_get(t->compute, "timings");
    static const char *const keys[] = {"generation_time",
                                       "multiplication_time",
                                       "hash_time",
                                       "transfer_back_time",
                                       "merkle_tree_time",
                                       "total_time",
                                       NULL};

    printf("backend %s, device %s, n=%u, accumulation %s\n",
           gpu_pool_backend(t->c->pool), t->device, t->n,
           t->compute ? str(t->compute, "accum") : "-");
    for (unsigned k = 0; k < t->done; k++)
        printf("  %-22s %-6s %10.6f s\n", t->st[k].name,
               t->st[k].ok ? "ok" : "FAILED", t->st[k].seconds);
    for (size_t k = 0; tm && keys[k]; k++)
        printf("  compute %-19s %10.6f s\n", keys[k], num(tm, keys[k]));
    if (t->compute)
        printf("root %s\n", str(t->compute, "root"));
    if (t->verdict)
        printf("verification: %lld of %lld GPU(s) passed, %lld required\n",
               (long long)num(t->verdict, "passed"),
               (long long)num(t->verdict, "total"),
               (long long)num(t->verdict, "required"));
    printf("verdict: %s\n", pass ? "pass" : "FAIL");
}

static void print_selftest_json(const struct selftest *t, bool pass)
{
    json_t *stages = json_array(), *out;

    for (unsigned k = 0; stages && k < t->done; k++)
        json_array_append_new(
            stages, json_pack("{s:s,s:f,s:b}", "name", t->st[k].name, "seconds",
                              t->st[k].seconds, "ok", t->st[k].ok));
    out =
        json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:O?,s:O?,s:O?,s:O?,s:b}",
                  "backend", gpu_pool_backend(t->c->pool), "device", t->device,
                  "n", (json_int_t)t->n, "seed_a", u64_json(t->seed_a),
                  "seed_b", u64_json(t->seed_b), "stages", stages, "compute",
                  t->compute, "verdict", t->verdict, "tampered_verdict",
                  t->tampered, "claim", t->claim, "pass", pass);
    if (out)
        cli_print_json(out);
    json_decref(out);
}

static int cmd_selftest(struct pog_cli *c)
{
    struct selftest t;
    uint64_t n = SELFTEST_N, sa = random_u64(), sb = random_u64();
    bool pass;

    memset(&t, 0, sizeof(t));
    if (!flag_u64(c, "--n", c->n, 1, POG_MAX_N, &n) ||
        !flag_u64(c, "--seed-a", c->seed_a, 0, UINT64_MAX, &sa) ||
        !flag_u64(c, "--seed-b", c->seed_b, 0, UINT64_MAX, &sb))
        return 2;
    t.c = c;
    t.n = (uint32_t)n;
    t.seed_a = sa;
    t.seed_b = sb;
    run_selftest(&t);
    pass = all_ok(&t);
    if (c->json)
        print_selftest_json(&t, pass);
    else
        print_selftest_text(&t, pass);
    json_decref(t.compute);
    json_decref(t.claim);
    json_decref(t.verdict);
    json_decref(t.tampered);
    return pass ? 0 : 1;
}

static int dispatch(struct pog_cli *c)
{
    int code;

    if (strcmp(c->cmd, "info") && strcmp(c->cmd, "benchmark") &&
        strcmp(c->cmd, "selftest")) {
        fprintf(stderr, "computedb pog: unknown command '%s'\n\n%s", c->cmd,
                usage);
        return 2;
    }
    code = open_pool(c);
    if (code == 0)
        code = !strcmp(c->cmd, "info")        ? cmd_info(c)
               : !strcmp(c->cmd, "benchmark") ? cmd_benchmark(c)
                                              : cmd_selftest(c);
    gpu_pool_free(c->pool);
    pog_table_free(c->table);
    return code;
}

int cli_pog(int argc, char **argv)
{
    struct pog_cli c;
    const struct cli_opt opts[] = {{"--backend", &c.backend, NULL},
                                   {"--device", &c.device, NULL},
                                   {"--cpu-max-n", &c.cpu_max_n, NULL},
                                   {"--gpu-table", &c.gpu_table, NULL},
                                   {"--n", &c.n, NULL},
                                   {"--n-fp16", &c.n_fp16, NULL},
                                   {"--n-fp32", &c.n_fp32, NULL},
                                   {"--seed-a", &c.seed_a, NULL},
                                   {"--seed-b", &c.seed_b, NULL},
                                   {"--json", NULL, &c.json},
                                   {"--help", NULL, &c.help},
                                   {NULL, NULL, NULL}};

    memset(&c, 0, sizeof(c));
    if (argc < 1) {
        fputs(usage, stderr);
        return 2;
    }
    c.cmd = argv[0];
    if (strcmp(c.cmd, "--help") == 0 || strcmp(c.cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (cli_parse("computedb pog", argc - 1, argv + 1, opts, NULL, 0) < 0)
        return 2;
    if (c.help) {
        fputs(usage, stdout);
        return 0;
    }
    return dispatch(&c);
}
