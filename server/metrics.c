/* SPDX-License-Identifier: MIT */
/* The counters behind metrics.h and their Prometheus rendering.
 *
 * DESIGN: every counter is a fixed slot in static arrays indexed by route
 * and status code, updated with relaxed atomics from the HTTP threads; a
 * scrape reads them without locks. Database and process gauges are read at
 * scrape time (row counts through a 30 s cache in schema/, the process's
 * figures from /proc). PoG job counters are slots by kind and state (the
 * names from gpu/pool.h's lists), fed by the worker pool's event hook; the
 * outcome counters (metrics.h) are bumped by the handlers that write the
 * rows they count. */
#include "metrics.h"

#include "core/buf.h"
#include "core/clock.h"
#include "gpu/pool.h"
#include "schema/db.h"
#include "version.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ROUTES = 64, UNMATCHED = MAX_ROUTES, ROW_CACHE_S = 30 };

/* A slot per status code 100..599, so every code is counted as itself
 * (the label's values stay bounded by the codes the service answers);
 * anything outside that range, which no HTTP client could read, counts
 * as status="other". */
enum {
    STATUS_MIN = 100,
    STATUS_MAX = 599,
    N_STATUS = STATUS_MAX - STATUS_MIN + 1,
    OTHER = N_STATUS,
};

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,  0.1,    0.25,  0.5,
                                 1,      2.5,   5,      10};
enum { N_BUCKETS = sizeof(buckets) / sizeof(buckets[0]) };

struct route_counters {
    atomic_ullong by_status[N_STATUS + 1];
    atomic_ullong le[N_BUCKETS]; /* cumulative at render time */
    atomic_ullong count;
    atomic_ullong sum_us;
};

/* The job kinds and states, from gpu/pool.h's lists. */
static const char *const pog_kinds[] = {
#define X(name, text) text,
    GPU_JOB_KIND_LIST(X)
#undef X
};
static const char *const pog_states[] = {
#define X(name, text, final) text,
    GPU_JOB_STATE_LIST(X)
#undef X
};
enum {
    N_POG_KINDS = GPU_JOB_KIND_COUNT,
    N_POG_STATES = GPU_JOB_STATE_COUNT,
};
static const double pog_buckets[] = {0.01, 0.05, 0.1, 0.5, 1,   2.5,
                                     5,    10,   30,  60,  120, 600};
enum { N_POG_BUCKETS = sizeof(pog_buckets) / sizeof(pog_buckets[0]) };

struct pog_counters {
    atomic_ullong by_state[N_POG_STATES];
    atomic_ullong le[N_POG_BUCKETS]; /* cumulative at render time */
    atomic_ullong count;
    atomic_ullong sum_us;
};

static struct pog_counters pog_jobs[N_POG_KINDS];

static const struct route *table;
static size_t n_table;
static struct route_counters counters[MAX_ROUTES + 1];
static atomic_long in_flight;
static atomic_ullong auth_failures[AUTH_REASON_COUNT];
/* Connections shut at their deadline, by the phase they were in. */
static const char *const expired_phases[] = {"idle", "head", "body"};
enum { N_EXPIRED = sizeof(expired_phases) / sizeof(expired_phases[0]) };
static atomic_ullong conns_expired[N_EXPIRED];
static const char *const tls_reasons[] = {
    "protocol_version", "no_cipher", "bad_certificate", "not_tls", "other"};
enum { N_TLS_REASONS = sizeof(tls_reasons) / sizeof(tls_reasons[0]) };
static atomic_ullong tls_failures[N_TLS_REASONS];
static atomic_ullong tls_handshakes;

/* The free space of the SQLite file's disk and the floor --min-free-disk
 * keeps, so an alert can fire before writes get 507 (a statvfs per
 * scrape; nothing for PostgreSQL, whose disk is the server's). */
static void render_disk(struct buf *o, struct db_pool *pool)
{
    struct db_space sp;

    if (db_space_check(pool, &sp) == SVC_ERR_NOMEM || sp.free_bytes == 0)
        return;
    buf_printf(o,
               "# HELP computedb_db_disk_free_bytes Bytes free to computedb "
               "on the database's disk.\n"
               "# TYPE computedb_db_disk_free_bytes gauge\n"
               "computedb_db_disk_free_bytes %llu\n"
               "# HELP computedb_db_disk_min_free_bytes What --min-free-disk "
               "keeps free (PoG jobs and backups get 507 below it).\n"
               "# TYPE computedb_db_disk_min_free_bytes gauge\n"
               "computedb_db_disk_min_free_bytes %llu\n",
               sp.free_bytes, sp.min_free);
}

/* The outcome counters: two per entry of METRICS_OUTCOME_LIST. */
struct outcome_metric {
    const char *metric, *label, *value[2], *help;
};
static const struct outcome_metric outcome_metrics[] = {
#define X(name, metric, label, first, second, help)                            \
    {metric, label, {first, second}, help},
    METRICS_OUTCOME_LIST(X)
#undef X
};
static atomic_ullong outcomes[METRICS_OUTCOME_COUNT][2];

void metrics_init(const struct route *routes, size_t n)
{
    table = routes;
    n_table = n < MAX_ROUTES ? n : MAX_ROUTES;
}

void metrics_request_begin(void)
{
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

long metrics_in_flight(void)
{
    return atomic_load(&in_flight);
}

static size_t slot_of(const struct route *rt)
{
    if (rt && table && rt >= table && rt < table + n_table)
        return (size_t)(rt - table);
    return UNMATCHED;
}

void metrics_request_end(const struct route *rt, int status, double seconds)
{
    struct route_counters *c = &counters[slot_of(rt)];
    size_t s = status >= STATUS_MIN && status <= STATUS_MAX
                   ? (size_t)(status - STATUS_MIN)
                   : OTHER;

    atomic_fetch_add_explicit(&c->by_status[s], 1, memory_order_relaxed);
    for (size_t b = 0; b < N_BUCKETS; b++) {
        if (seconds <= buckets[b]) {
            atomic_fetch_add_explicit(&c->le[b], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum_us, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

void metrics_request_finish(void)
{
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
}

void metrics_auth_failure(enum auth_reason reason)
{
    if ((unsigned)reason < AUTH_REASON_COUNT)
        atomic_fetch_add_explicit(&auth_failures[reason], 1,
                                  memory_order_relaxed);
}

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

void metrics_conn_expired(const char *phase)
{
    int i = name_index(expired_phases, N_EXPIRED, phase);

    if (i >= 0)
        atomic_fetch_add_explicit(&conns_expired[i], 1, memory_order_relaxed);
}

void metrics_tls_handshake(const char *reason)
{
    int i = reason ? name_index(tls_reasons, N_TLS_REASONS, reason) : -1;

    if (!reason)
        atomic_fetch_add_explicit(&tls_handshakes, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&tls_failures[i >= 0 ? i : N_TLS_REASONS - 1],
                                  1, memory_order_relaxed);
}

void metrics_pog_job(const char *kind, const char *state, double run_s)
{
    int k = name_index(pog_kinds, N_POG_KINDS, kind);
    int s = name_index(pog_states, N_POG_STATES, state);
    struct pog_counters *c;

    if (k < 0 || s < 0)
        return;
    c = &pog_jobs[k];
    atomic_fetch_add_explicit(&c->by_state[s], 1, memory_order_relaxed);
    if (!(run_s >= 0))
        return; /* also NaN */
    for (size_t b = 0; b < N_POG_BUCKETS; b++) {
        if (run_s <= pog_buckets[b]) {
            atomic_fetch_add_explicit(&c->le[b], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum_us, (unsigned long long)(run_s * 1e6),
                              memory_order_relaxed);
}

void metrics_outcome(enum metrics_outcome m, unsigned long long first,
                     unsigned long long second)
{
    if ((unsigned)m >= METRICS_OUTCOME_COUNT)
        return;
    atomic_fetch_add_explicit(&outcomes[m][0], first, memory_order_relaxed);
    atomic_fetch_add_explicit(&outcomes[m][1], second, memory_order_relaxed);
}

/* ---- rendering ------------------------------------------------------- */

static void route_labels(size_t slot, char *buf, size_t len)
{
    if (slot == UNMATCHED)
        snprintf(buf, len, "route=\"unmatched\",method=\"\"");
    else
        snprintf(buf, len, "route=\"%s\",method=\"%s\"", table[slot].pattern,
                 table[slot].method);
}

static void render_requests(struct buf *o)
{
    char labels[160];

    buf_printf(
        o, "# HELP computedb_http_requests_total HTTP requests answered, by "
           "route template, method and status.\n"
           "# TYPE computedb_http_requests_total counter\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r < UNMATCHED && r >= n_table)
            continue;
        route_labels(r, labels, sizeof(labels));
        for (size_t s = 0; s <= N_STATUS; s++) {
            unsigned long long v = atomic_load(&counters[r].by_status[s]);

            if (!v)
                continue;
            if (s == OTHER)
                buf_printf(o,
                           "computedb_http_requests_total{%s,status=\"other\"} "
                           "%llu\n",
                           labels, v);
            else
                buf_printf(
                    o, "computedb_http_requests_total{%s,status=\"%d\"} %llu\n",
                    labels, (int)s + STATUS_MIN, v);
        }
    }
}

static void render_histogram(struct buf *o, size_t r)
{
    char labels[160];
    unsigned long long cum = 0;

    route_labels(r, labels, sizeof(labels));
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += atomic_load(&counters[r].le[b]);
        buf_printf(
            o,
            "computedb_http_request_duration_seconds_bucket{%s,le=\"%g\"} "
            "%llu\n",
            labels, buckets[b], cum);
    }
    buf_printf(o,
               "computedb_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} "
               "%llu\n",
               labels, atomic_load(&counters[r].count));
    buf_printf(o, "computedb_http_request_duration_seconds_sum{%s} %.6f\n",
               labels, (double)atomic_load(&counters[r].sum_us) / 1e6);
    buf_printf(o, "computedb_http_request_duration_seconds_count{%s} %llu\n",
               labels, atomic_load(&counters[r].count));
}

static void render_latency(struct buf *o)
{
    buf_printf(o,
               "# HELP computedb_http_request_duration_seconds Time from the "
               "first byte of a request to its answer, by route.\n"
               "# TYPE computedb_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++)
        if ((r < n_table || r == UNMATCHED) && atomic_load(&counters[r].count))
            render_histogram(o, r);
    buf_printf(o,
               "# HELP computedb_http_requests_in_flight Requests being "
               "handled now.\n# TYPE computedb_http_requests_in_flight gauge\n"
               "computedb_http_requests_in_flight %ld\n",
               metrics_in_flight());
}

static void render_auth(struct buf *o)
{
    buf_printf(
        o, "# HELP computedb_auth_failures_total Signed requests refused, by "
           "reason.\n# TYPE computedb_auth_failures_total counter\n");
    for (int r = AUTH_OK + 1; r < AUTH_REASON_COUNT; r++)
        buf_printf(o, "computedb_auth_failures_total{reason=\"%s\"} %llu\n",
                   auth_reason_code((enum auth_reason)r),
                   atomic_load(&auth_failures[r]));
}

static void render_expired(struct buf *o)
{
    buf_printf(o, "# HELP computedb_http_connections_expired_total "
                  "Connections shut for missing a deadline (--header-timeout, "
                  "--body-timeout, --conn-timeout), by phase.\n# TYPE "
                  "computedb_http_connections_expired_total counter\n");
    for (int i = 0; i < N_EXPIRED; i++)
        buf_printf(o,
                   "computedb_http_connections_expired_total{phase=\"%s\"} "
                   "%llu\n",
                   expired_phases[i], atomic_load(&conns_expired[i]));
}

static void render_tls(struct buf *o)
{
    buf_printf(o,
               "# HELP computedb_tls_handshakes_total TLS handshakes "
               "completed (--tls-cert).\n# TYPE "
               "computedb_tls_handshakes_total counter\n"
               "computedb_tls_handshakes_total %llu\n"
               "# HELP computedb_tls_handshake_failures_total TLS handshakes "
               "that failed, by reason (not_tls: plain HTTP to the HTTPS "
               "port).\n# TYPE computedb_tls_handshake_failures_total "
               "counter\n",
               atomic_load(&tls_handshakes));
    for (int i = 0; i < N_TLS_REASONS; i++)
        buf_printf(o,
                   "computedb_tls_handshake_failures_total{reason=\"%s\"} "
                   "%llu\n",
                   tls_reasons[i], atomic_load(&tls_failures[i]));
}

static void render_pog_histogram(struct buf *o, size_t k)
{
    const struct pog_counters *c = &pog_jobs[k];
    unsigned long long cum = 0;

    for (size_t b = 0; b < N_POG_BUCKETS; b++) {
        cum += atomic_load(&c->le[b]);
        buf_printf(o,
                   "computedb_pog_job_duration_seconds_bucket{kind=\"%s\","
                   "le=\"%g\"} %llu\n",
                   pog_kinds[k], pog_buckets[b], cum);
    }
    buf_printf(
        o,
        "computedb_pog_job_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} "
        "%llu\n",
        pog_kinds[k], atomic_load(&c->count));
    buf_printf(o, "computedb_pog_job_duration_seconds_sum{kind=\"%s\"} %.6f\n",
               pog_kinds[k], (double)atomic_load(&c->sum_us) / 1e6);
    buf_printf(o,
               "computedb_pog_job_duration_seconds_count{kind=\"%s\"} %llu\n",
               pog_kinds[k], atomic_load(&c->count));
}

static void render_pog(struct buf *o)
{
    buf_printf(
        o, "# HELP computedb_pog_jobs_total PoG jobs that entered each state, "
           "by kind.\n# TYPE computedb_pog_jobs_total counter\n");
    for (size_t k = 0; k < N_POG_KINDS; k++)
        for (size_t s = 0; s < N_POG_STATES; s++)
            buf_printf(o,
                       "computedb_pog_jobs_total{kind=\"%s\",state=\"%s\"} "
                       "%llu\n",
                       pog_kinds[k], pog_states[s],
                       atomic_load(&pog_jobs[k].by_state[s]));
    buf_printf(
        o, "# HELP computedb_pog_job_duration_seconds Time finished PoG jobs "
           "spent running, by kind.\n"
           "# TYPE computedb_pog_job_duration_seconds histogram\n");
    for (size_t k = 0; k < N_POG_KINDS; k++)
        if (atomic_load(&pog_jobs[k].count))
            render_pog_histogram(o, k);
}

static void render_outcomes(struct buf *o)
{
    for (size_t m = 0; m < METRICS_OUTCOME_COUNT; m++) {
        const struct outcome_metric *om = &outcome_metrics[m];

        buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n", om->metric, om->help,
                   om->metric);
        for (size_t v = 0; v < 2; v++)
            buf_printf(o, "%s{%s=\"%s\"} %llu\n", om->metric, om->label,
                       om->value[v], atomic_load(&outcomes[m][v]));
    }
}

static void render_db(struct buf *o, struct db_pool *pool, const json_t *rows)
{
    struct db_stats st;
    const char *table_name;
    json_t *v;

    db_pool_stats(pool, &st);
    buf_printf(
        o,
        "# HELP computedb_db_reader_waits_total Reader leases that waited "
        "for a free connection.\n# TYPE computedb_db_reader_waits_total "
        "counter\ncomputedb_db_reader_waits_total %llu\n",
        st.reader_waits);
    buf_printf(
        o,
        "# HELP computedb_db_reader_wait_seconds_total Time spent waiting "
        "for reader connections.\n# TYPE "
        "computedb_db_reader_wait_seconds_total counter\n"
        "computedb_db_reader_wait_seconds_total %.6f\n",
        (double)st.reader_wait_us / 1e6);
    buf_printf(o,
               "# HELP computedb_db_busy_retries_total Retries while another "
               "process held the database lock.\n# TYPE "
               "computedb_db_busy_retries_total counter\n"
               "computedb_db_busy_retries_total %llu\n",
               st.busy_retries);
    buf_printf(
        o,
        "# HELP computedb_db_write_transactions_total Write transactions, "
        "by outcome.\n# TYPE computedb_db_write_transactions_total "
        "counter\ncomputedb_db_write_transactions_total{outcome=\"commit\"}"
        " %llu\ncomputedb_db_write_transactions_total{outcome="
        "\"rollback\"} %llu\n",
        st.writes - st.write_failures, st.write_failures);
    buf_printf(
        o,
        "# HELP computedb_db_wal_bytes Size of the write-ahead log.\n"
        "# TYPE computedb_db_wal_bytes gauge\ncomputedb_db_wal_bytes %lld\n",
        st.wal_bytes < 0 ? 0 : st.wal_bytes);
    if (st.db_bytes >= 0)
        buf_printf(o,
                   "# HELP computedb_db_bytes Size of the SQLite database "
                   "file (without its WAL).\n# TYPE computedb_db_bytes "
                   "gauge\ncomputedb_db_bytes %lld\n",
                   st.db_bytes);
    buf_printf(o,
               "# HELP computedb_db_wal_restarts_total Checkpoints that made "
               "writers pause so the WAL could start over.\n"
               "# TYPE computedb_db_wal_restarts_total counter\n"
               "computedb_db_wal_restarts_total %llu\n",
               st.wal_restarts);
    render_disk(o, pool);
    buf_printf(
        o,
        "# HELP computedb_db_rows Rows per table (refreshed every %d s).\n"
        "# TYPE computedb_db_rows gauge\n",
        ROW_CACHE_S);
    json_object_foreach ((json_t *)(uintptr_t)rows, table_name, v) {
        buf_printf(o, "computedb_db_rows{table=\"%s\"} %lld\n", table_name,
                   (long long)json_integer_value(v));
    }
}

/* One sample of a metric without labels, with its HELP and TYPE. */
static void put_metric(struct buf *o, const char *name, const char *type,
                       const char *help, double v)
{
    buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name,
               type, name, v);
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;

    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own descriptor */
}

/* When the system booted, in unix seconds (/proc/stat's btime), or -1. */
static long long boot_time(void)
{
    char line[256], *end;
    long long bt = -1;
    FILE *f = fopen("/proc/stat", "r");

    if (!f)
        return -1;
    /* Long lines (intr) come in pieces, none of which starts "btime ". */
    while (bt < 0 && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "btime ", 6) == 0) {
            bt = strtoll(line + 6, &end, 10);
            if (end == line + 6)
                bt = -1;
        }
    }
    fclose(f);
    return bt;
}

/* The process's own figures from /proc/self/stat (proc(5)). */
struct proc_stat {
    unsigned long long utime, stime, start; /* clock ticks */
    unsigned long long vsize;               /* bytes */
    long long rss;                          /* pages */
};

static bool read_stat(struct proc_stat *ps)
{
    char buf[1024];
    const char *p;
    size_t n;
    FILE *f = fopen("/proc/self/stat", "r");

    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 3 on follow the command name, which may hold ") ". */
    p = strrchr(buf, ')');
    return p && sscanf(p + 1,
                       " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu "
                       "%llu %*s %*s %*s %*s %*s %*s %llu %llu %lld",
                       &ps->utime, &ps->stime, &ps->start, &ps->vsize,
                       &ps->rss) == 5;
}

/* The standard process_* metrics, as Prometheus client libraries name
 * them, from /proc; those that cannot be read are left out. */
static void render_process_std(struct buf *o)
{
    double tick = (double)sysconf(_SC_CLK_TCK);
    long long boot = boot_time();
    long fds = count_fds();
    struct proc_stat ps;
    struct rlimit lim;

    if (tick > 0 && read_stat(&ps)) {
        put_metric(o, "process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.",
                   (double)(ps.utime + ps.stime) / tick);
        put_metric(o, "process_virtual_memory_bytes", "gauge",
                   "Virtual memory size in bytes.", (double)ps.vsize);
        put_metric(o, "process_resident_memory_bytes", "gauge",
                   "Resident memory size in bytes.",
                   (double)ps.rss * (double)sysconf(_SC_PAGESIZE));
        if (boot >= 0)
            put_metric(o, "process_start_time_seconds", "gauge",
                       "Start time of the process since unix epoch in "
                       "seconds.",
                       (double)boot + (double)ps.start / tick);
    }
    if (fds >= 0)
        put_metric(o, "process_open_fds", "gauge",
                   "Number of open file descriptors.", (double)fds);
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0)
        put_metric(o, "process_max_fds", "gauge",
                   "Maximum number of open file descriptors.",
                   (double)lim.rlim_cur);
}

static void render_process(struct buf *o, const struct app *app)
{
    render_process_std(o);
    put_metric(o, "computedb_process_uptime_seconds", "gauge",
               "Seconds since start.",
               (double)(clock_unix_ms() - app->started_ms) / 1000);
    buf_printf(
        o,
        "# HELP computedb_build_info Version of this build.\n"
        "# TYPE computedb_build_info gauge\n"
        "computedb_build_info{version=\"%s\",commit=\"%s\",sqlite=\"%s\"} "
        "1\n",
        COMPUTEDB_VERSION, COMPUTEDB_GIT_COMMIT, db_sqlite_version());
}

/* The render_* functions append to o without checking: a failed append
 * sticks in o, and buf_take() reports it once, at the end. */
enum svc_rc metrics_render(struct app *app, char **out, size_t *len)
{
    struct buf o = {0};
    json_t *rows = NULL;
    enum svc_rc rc = db_table_rows(app->db, ROW_CACHE_S, &rows);

    if (rc != SVC_OK)
        return rc;
    render_requests(&o);
    render_latency(&o);
    render_auth(&o);
    render_expired(&o);
    render_tls(&o);
    render_pog(&o);
    render_outcomes(&o);
    render_db(&o, app->db, rows);
    render_process(&o, app);
    json_decref(rows);
    return buf_take(&o, out, len);
}
