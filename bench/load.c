/* SPDX-License-Identifier: MIT */
/* bench_load: a small HTTP load generator that signs its requests
 * (bt-http-auth-v1), which wrk cannot. One thread drives N keep-alive
 * connections with libcurl's multi interface for a fixed time and prints
 * throughput and latency percentiles as one JSON object.
 *
 *   bench_load --url http://127.0.0.1:8080 --path /miners [--method GET]
 *              [--paths FILE] [--body-file F] [--conns 32] [--seconds 5]
 *              [--key FILE] [--audience A] [--etag] [--label NAME]
 *              [--cacert FILE] [--fresh]
 *
 * --paths gives one path per line; connection i uses line i mod n.
 * --etag fetches the path once and then sends If-None-Match with its ETag.
 * A "{n}" in the body becomes a sequence number, so every request writes
 * something new (SQLite skips writing rows that do not change).
 * --key takes a computedb key file (ed25519) or a hotkey file (sr25519).
 * With --key, signatures are made before the clock starts (each request its
 * own nonce), so the client's signing does not eat the server's CPU.
 * --cacert trusts that CA for an https:// --url; --fresh opens a new
 * connection for every request (with HTTPS, a full handshake each), so
 * the rate is connections, or handshakes, per second. */
#include "cli/cli.h"
#include "core/auth_msg.h"
#include "core/clock.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { MAX_CONNS = 256, MAX_PATHS = 256, PRESIGN_PER_CONN = 2048 };

struct opts {
    const char *url, *path, *paths_file, *method, *body_file, *key, *aud;
    const char *label;
    int conns;
    double seconds;
    bool etag, fresh;
    const char *cacert; /* NULL: the system's CAs */
};

struct conn {
    CURL *h;
    struct curl_slist *hl;
    const char *path;
    struct auth_signed *sigs; /* pre-made signatures */
    char **bodies;            /* their bodies, when the body varies */
    size_t n_sigs, next_sig;
    char *body; /* the body being sent (owned when it varies) */
    double t0;
};

static struct opts o = {.url = "http://127.0.0.1:8080",
                        .path = "/healthz",
                        .method = "GET",
                        .aud = "computedb",
                        .label = "load",
                        .conns = 32,
                        .seconds = 5.0};
static char *body;
static size_t body_len;
static struct auth_key key; /* --key: a key file or a hotkey file */
static char etag_header[128];
static char *paths[MAX_PATHS];
static size_t n_paths;
static bool body_varies;
static unsigned long body_seq;
static double *lat;
static size_t n_lat, cap_lat;
static long statuses[600];
static long errors;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

static size_t grab_etag(char *p, size_t size, size_t n, void *ctx)
{
    size_t len = size * n;

    (void)ctx;
    if (len > 6 && strncasecmp(p, "ETag: ", 6) == 0)
        snprintf(etag_header, sizeof(etag_header), "If-None-Match: %.*s",
                 (int)(len - 6 - (len >= 8 && p[len - 2] == '\r' ? 2 : 1)),
                 p + 6);
    return len;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* The next request body: the template with {n} made unique. */
static char *next_body(void)
{
    const char *at = strstr(body, "{n}");
    size_t len = body_len + 24;
    char *b = malloc(len);

    if (!b)
        exit(2);
    snprintf(b, len, "%.*s%lu%s", (int)(at - body), body, ++body_seq, at + 3);
    return b;
}

static void sign_for(struct conn *c, const char *b, struct auth_signed *out)
{
    struct auth_subject s = {o.aud, o.method, c->path, b, b ? strlen(b) : 0};

    if (auth_key_sign(&key, &s, clock_unix_ms(), out) != SVC_OK) {
        fprintf(stderr, "bench_load: cannot sign %s %s\n", o.method, c->path);
        exit(2);
    }
}

static void presign(struct conn *c)
{
    c->n_sigs = o.key || body_varies ? PRESIGN_PER_CONN : 0;
    c->sigs = c->n_sigs ? calloc(c->n_sigs, sizeof(*c->sigs)) : NULL;
    c->bodies = body_varies ? calloc(c->n_sigs, sizeof(*c->bodies)) : NULL;
    for (size_t i = 0; i < c->n_sigs; i++) {
        const char *b = body;

        if (body_varies)
            b = c->bodies[i] = next_body();
        if (o.key)
            sign_for(c, b, &c->sigs[i]);
    }
}

static void header(struct conn *c, const char *name, const char *value)
{
    char h[256];

    snprintf(h, sizeof(h), "%s: %s", name, value);
    c->hl = curl_slist_append(c->hl, h);
}

/* Sets up the next request on c. */
static void prepare(struct conn *c)
{
    char url[1024];

    curl_slist_free_all(c->hl);
    c->hl = curl_slist_append(NULL, "Expect:");
    if (body)
        c->hl = curl_slist_append(c->hl, "Content-Type: application/json");
    if (etag_header[0])
        c->hl = curl_slist_append(c->hl, etag_header);
    free(c->body);
    c->body = NULL;
    if (body_varies) /* the pre-made one, else a fresh one */
        c->body =
            c->next_sig < c->n_sigs ? c->bodies[c->next_sig] : next_body();
    if (body_varies && c->next_sig < c->n_sigs)
        c->bodies[c->next_sig] = NULL;
    if (body)
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body ? c->body : body);
    if (body)
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE,
                         (long)strlen(c->body ? c->body : body));
    if (o.key) {
        struct auth_signed fresh, *sig = &fresh;

        if (c->next_sig < c->n_sigs)
            sig = &c->sigs[c->next_sig];
        else
            sign_for(c, c->body ? c->body : body, &fresh);
        header(c, "BT-Signer", sig->signer);
        header(c, "BT-Timestamp", sig->timestamp);
        header(c, "BT-Nonce", sig->nonce);
        header(c, "BT-Signature", sig->signature);
    }
    if (c->next_sig < c->n_sigs)
        c->next_sig++;
    snprintf(url, sizeof(url), "%s%s", o.url, c->path);
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hl);
    c->t0 = now_s();
}

static void setup(struct conn *c, size_t i)
{
    c->h = curl_easy_init();
    c->path = n_paths ? paths[i % n_paths] : o.path;
    curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, o.method);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
    curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
    if (o.cacert)
        curl_easy_setopt(c->h, CURLOPT_CAINFO, o.cacert);
    if (o.fresh) {
        curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, 1L);
    }
    presign(c);
}

static void record(double seconds, long status)
{
    if (n_lat == cap_lat) {
        cap_lat = cap_lat ? cap_lat * 2 : 65536;
        lat = realloc(lat, cap_lat * sizeof(*lat));
        if (!lat)
            exit(2);
    }
    lat[n_lat++] = seconds;
    if (status > 0 && status < 600)
        statuses[status]++;
}

static void fetch_etag(void)
{
    struct conn c = {0};

    setup(&c, 0);
    prepare(&c);
    curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, "GET");
    curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, grab_etag);
    curl_easy_perform(c.h);
    curl_slist_free_all(c.hl);
    curl_easy_cleanup(c.h);
    free(c.sigs);
    if (!etag_header[0]) {
        fprintf(stderr, "bench_load: %s has no ETag\n", o.path);
        exit(2);
    }
}

static void run(struct conn *conns)
{
    CURLM *m = curl_multi_init();
    double end = now_s() + o.seconds;
    int running = 0, left;

    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)o.conns);
    for (int i = 0; i < o.conns; i++) {
        prepare(&conns[i]);
        curl_multi_add_handle(m, conns[i].h);
    }
    do {
        CURLMsg *msg;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left))) {
            struct conn *c;
            long status = 0;

            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK)
                errors++;
            record(now_s() - c->t0, status);
            curl_multi_remove_handle(m, c->h);
            if (now_s() < end) {
                prepare(c);
                curl_multi_add_handle(m, c->h);
                running++;
            }
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 50, NULL);
    } while (running);
    curl_multi_cleanup(m);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double pct(double p)
{
    size_t i = (size_t)(p * (double)(n_lat - 1));

    return n_lat ? lat[i] * 1000 : 0;
}

static void report(double seconds)
{
    qsort(lat, n_lat, sizeof(*lat), cmp);
    printf("{\"label\": \"%s\", \"method\": \"%s\", \"path\": \"%s\", "
           "\"conns\": %d, \"seconds\": %.3f, \"requests\": %zu, "
           "\"errors\": %ld, \"rps\": %.1f, \"p50_ms\": %.3f, \"p90_ms\": "
           "%.3f, \"p99_ms\": %.3f, \"statuses\": {",
           o.label, o.method, n_paths ? "(paths)" : o.path, o.conns, seconds,
           n_lat, errors, (double)n_lat / seconds, pct(0.5), pct(0.9),
           pct(0.99));
    for (int s = 0, first = 1; s < 600; s++)
        if (statuses[s]) {
            printf("%s\"%d\": %ld", first ? "" : ", ", s, statuses[s]);
            first = 0;
        }
    printf("}}\n");
}

static int parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--etag") == 0 || strcmp(a, "--fresh") == 0) {
            *(a[2] == 'e' ? &o.etag : &o.fresh) = true;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (!strcmp(a, "--url"))
            o.url = v;
        else if (!strcmp(a, "--path"))
            o.path = v;
        else if (!strcmp(a, "--paths"))
            o.paths_file = v;
        else if (!strcmp(a, "--method"))
            o.method = v;
        else if (!strcmp(a, "--body-file"))
            o.body_file = v;
        else if (!strcmp(a, "--key"))
            o.key = v;
        else if (!strcmp(a, "--audience"))
            o.aud = v;
        else if (!strcmp(a, "--label"))
            o.label = v;
        else if (!strcmp(a, "--cacert"))
            o.cacert = v;
        else if (!strcmp(a, "--conns"))
            o.conns = (int)strtol(v, NULL, 10);
        else if (!strcmp(a, "--seconds"))
            o.seconds = strtod(v, NULL);
        else
            return -1;
    }
    return o.conns >= 1 && o.conns <= MAX_CONNS && o.seconds > 0 ? 0 : -1;
}

static void load_paths(void)
{
    size_t len;
    char *text = read_file(o.paths_file, &len), *p;

    if (!text) {
        fprintf(stderr, "bench_load: cannot read %s\n", o.paths_file);
        exit(2);
    }
    for (p = text; *p && n_paths < MAX_PATHS;) {
        size_t n = strcspn(p, "\n");

        if (n)
            paths[n_paths++] = strndup(p, n);
        p += n + (p[n] == '\n');
    }
    free(text);
}

int main(int argc, char **argv)
{
    struct conn conns[MAX_CONNS] = {{0}};
    double t0;

    if (parse(argc, argv) != 0) {
        fputs("usage: see the comment at the top of bench/load.c\n", stderr);
        return 2;
    }
    if (ss58_init() != SVC_OK || curl_global_init(CURL_GLOBAL_DEFAULT))
        return 2;
    if (o.key && !cli_key_open(o.key, &key))
        return 2;
    if (o.body_file && !(body = read_file(o.body_file, &body_len))) {
        fprintf(stderr, "bench_load: cannot read %s\n", o.body_file);
        return 2;
    }
    body_varies = body && strstr(body, "{n}");
    if (o.paths_file)
        load_paths();
    if (o.etag)
        fetch_etag();
    for (int i = 0; i < o.conns; i++)
        setup(&conns[i], (size_t)i);
    t0 = now_s();
    run(conns);
    report(now_s() - t0);
    return 0;
}
