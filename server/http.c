/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue: the only file that includes microhttpd.h.
 *
 * DESIGN: MHD runs its own pool of worker threads (epoll, one listening
 * socket shared). A request's struct req is created on the first callback,
 * collects the body (capped) on the following ones, and is dispatched on
 * the last; MHD's completion callback frees it, whatever happened.
 *
 * Requests that write (POST, PUT, PATCH, DELETE) wait for a commit: an
 * fsync, another writer's batch, another process's lock. An MHD thread
 * serves many connections, so a write run on it would hold up every read
 * that shares the thread. Those requests are therefore suspended and
 * queued as write jobs (struct write_job) to a pool of write threads,
 * which resume the connection when the reply is ready; the MHD threads only
 * ever run reads, which never wait on the writer.
 *
 * With --tls-cert the port speaks HTTPS only: MHD's GnuTLS sessions take
 * their certificate from server/tls.c through the certificate callback,
 * so a reload reaches new handshakes without restarting the daemon; each
 * connection's TLS state is begun and ended with the connection. */
#include "http.h"

#include "conn_watch.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"
#include "core/prio.h"
#include "core/random.h"
#include "live.h"
#include "metrics.h"
#include "tls.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* A write request queued to the write threads (not a GPU job: those are
 * gpu/'s). Owned by the queue until a write thread takes it, then by the
 * request (req->transport) until its reply is sent or dropped. */
struct write_job {
    struct write_job *next;
    struct MHD_Connection *c;
    struct req *req;
    struct reply rep; /* filled by the write thread */
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct app *app;
    struct http_options opt; /* copied at start */
    const struct router *router;
    struct conn_watch *watch; /* the head, body and idle deadlines */
    struct tls_store *tls;    /* NULL: plain HTTP */
    char rid_prefix[9];       /* random per process */
    atomic_ulong rid_counter;
    /* the write threads and their queue */
    pthread_t *writers;
    unsigned n_writers;
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct write_job *q_head, *q_tail; /* FIFO of write jobs */
    bool q_stop; /* set by http_stop: run writes inline from now on */
};

static bool is_sane_request_id(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];

        if (n == REQ_ID_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == ':'))
            return false;
    }
    return n > 0;
}

static void set_request_id(struct http_server *s, struct req *req,
                           const char *given)
{
    unsigned long n;

    if (given && is_sane_request_id(given)) {
        snprintf(req->request_id, sizeof(req->request_id), "%s", given);
        return;
    }
    n = atomic_fetch_add(&s->rid_counter, 1) + 1;
    snprintf(req->request_id, sizeof(req->request_id), "%s-%08lx",
             s->rid_prefix, n);
}

/* MHD gives the decoded lengths: a key or value longer than its C string
 * held a %00, which req_add_query_n() refuses (iteration stops there). */
static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind,
                                 const char *key, size_t key_size,
                                 const char *value, size_t value_size)
{
    struct req *req = cls;

    (void)kind;
    return req_add_query_n(req, key, key_size, value, value_size) == SVC_OK
               ? MHD_YES
               : MHD_NO;
}

/* True when the path part of the raw target decodes to a NUL byte. MHD
 * hands the decoded path on as a C string, so "/miners%00/x" would be
 * served as /miners. "%00" is the only way to a NUL: any "%00" in the raw
 * text decodes to one (a '%' before it is never its hex digit). */
static bool path_has_nul(const char *target)
{
    const char *nul = strstr(target, "%00");
    const char *query = strchr(target, '?');

    return nul && (!query || nul < query);
}

/* What the framing check saw of the head's headers. */
struct framing {
    unsigned content_length; /* Content-Length headers */
    unsigned transfer_encoding;
    unsigned host;
    bool chunked;  /* the (single) Transfer-Encoding is exactly chunked */
    bool bad_name; /* a header name with a space, tab or nothing in it */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    struct framing *f = cls;

    (void)kind;
    if (!key[0] || strpbrk(key, " \t"))
        f->bad_name = true;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->content_length++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->transfer_encoding++;
        f->chunked = value && strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        f->host++;
    return MHD_YES;
}

/* Why the head cannot be framed one way only (RFC 9112 sections 3.2 and
 * 6.3), or NULL. A proxy in front may have read such a head differently,
 * so what follows it on the connection could be another request smuggled
 * past the proxy: the answer is 400 and the connection closes. This
 * libmicrohttpd takes the first of two Content-Lengths, prefers chunked
 * over a Content-Length, and keeps "Content-Length : 5" as an unknown
 * header: each of those is refused here instead. (libmicrohttpd 0.9.77
 * and later refuse such heads themselves under
 * MHD_OPTION_CLIENT_DISCIPLINE_LVL; this check stays valid with them.) */
static const char *framing_error(struct MHD_Connection *c, const char *version)
{
    struct framing f = {0};

    MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
    if (f.bad_name)
        return "a header name is empty or contains whitespace (no space is "
               "allowed before the colon)";
    if (f.content_length > 1)
        return "more than one Content-Length header";
    if (f.transfer_encoding && f.content_length)
        return "both Content-Length and Transfer-Encoding are present";
    if (f.transfer_encoding > 1 || (f.transfer_encoding && !f.chunked))
        return "the only Transfer-Encoding accepted is a single chunked";
    if (f.host > 1)
        return "more than one Host header";
    if (!f.host && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return "an HTTP/1.1 request must carry a Host header";
    return NULL;
}

static char *dup_header(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

    return v ? strdup(v) : NULL;
}

static bool content_length_over(struct MHD_Connection *c, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end;
    unsigned long long n;

    if (!v)
        return false;
    n = strtoull(v, &end, 10);
    return *end == '\0' && n > cap;
}

/* Keeps the first value of a BT-* header; a second one marks the request
 * so that verification refuses it. */
static void take_sig(struct req *req, char **slot, const char *value)
{
    if (*slot) {
        req->sig.duplicated = true;
        return;
    }
    *slot = strdup(value ? value : "");
    if (!*slot)
        req->sig.duplicated = true; /* refused, never silently unsigned */
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
    struct req *req = cls;

    (void)kind;
    if (strcasecmp(key, "BT-Signer") == 0)
        take_sig(req, &req->sig.signer, value);
    else if (strcasecmp(key, "BT-Timestamp") == 0)
        take_sig(req, &req->sig.timestamp, value);
    else if (strcasecmp(key, "BT-Nonce") == 0)
        take_sig(req, &req->sig.nonce, value);
    else if (strcasecmp(key, "BT-Signature") == 0)
        take_sig(req, &req->sig.signature, value);
    return MHD_YES;
}

/* The deadline entry of connection c (conn_watch.h), NULL when unwatched.
 */
static struct conn_entry *entry_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return i ? i->socket_context : NULL;
}

static void set_phase(struct http_server *s, struct MHD_Connection *c,
                      enum conn_phase phase)
{
    conn_watch_phase(s->watch, entry_of(c), phase);
}

/* The GnuTLS session of c, NULL for plain HTTP. */
static gnutls_session_t session_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

    return i ? i->tls_session : NULL;
}

/* Connections come and go: each is watched from accept to close. MHD
 * tells of the close before it closes the socket (and its TLS session). */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    gnutls_session_t tls = s->tls ? session_of(c) : NULL;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        if (tls)
            (void)tls_session_begin(s->tls, tls);
        *socket_context = i ? conn_watch_add(s->watch, i->connect_fd) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (tls)
            tls_session_end(tls, i ? i->connect_fd : -1);
        conn_watch_remove(s->watch, *socket_context);
        *socket_context = NULL;
    }
}

/* The verified client certificate of c's connection, if any, into req
 * (HTTPS with --tls-client-ca only). */
static void client_certificate(const struct http_server *s,
                               struct MHD_Connection *c, struct req *req)
{
    gnutls_session_t tls = s->tls ? session_of(c) : NULL;
    enum tls_peer peer;

    if (!tls)
        return;
    peer = tls_session_peer(tls, req->cert_id, &req->cert_why);
    req->cert = peer == TLS_PEER_OK    ? REQ_CERT_OK
                : peer == TLS_PEER_BAD ? REQ_CERT_BAD
                                       : REQ_CERT_NONE;
}

/* The raw request-target, before MHD decodes it: what clients sign. Its
 * arrival starts the head's deadline on a kept-alive connection. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *s = cls;
    struct req *req = req_new(s->app, "", "");

    set_phase(s, c, CONN_HEAD);
    if (req) {
        req->start_ns = clock_mono_ns();
        req->target = strdup(uri);
        metrics_request_begin();
    }
    return req;
}

/* The client's numeric address into out ("" when unknown). */
static void client_address(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    socklen_t sa_len = sa && sa->sa_family == AF_INET6
                           ? sizeof(struct sockaddr_in6)
                           : sizeof(struct sockaddr_in);

    out[0] = '\0';
    if (!sa || getnameinfo(sa, sa_len, out, (socklen_t)len, NULL, 0,
                           NI_NUMERICHOST) != 0)
        out[0] = '\0';
}

static struct req *begin(struct http_server *s, struct MHD_Connection *c,
                         struct req *req, const char *method, const char *url,
                         const char *version)
{
    char *path = strdup(url);
    const char *framing;

    if (!path || !req->target) { /* on_uri ran out of memory */
        free(path);
        return NULL;
    }
    free(req->path);
    req->path = path;
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->content_type = dup_header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    req->origin = dup_header(c, "Origin");
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, req);
    req->if_none_match = dup_header(c, MHD_HTTP_HEADER_IF_NONE_MATCH);
    client_address(c, req->client, sizeof(req->client));
    client_certificate(s, c, req);
    set_request_id(
        s, req,
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id"));
    if ((framing = framing_error(c, version)) != NULL) {
        req->close_after = true;
        req->target_rc = req_fail(req, SVC_ERR_INVALID, NULL, "%s", framing);
    } else if (path_has_nul(req->target))
        req->target_rc =
            req_fail(req, SVC_ERR_INVALID, NULL,
                     "the request path contains a NUL byte (%%00)");
    else
        MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, add_query, req);
    if (content_length_over(c, s->opt.max_body))
        req->body_too_large = true;
    return req;
}

enum { GZIP_MIN = 1024 }; /* smaller bodies are not worth compressing */

/* Whether Accept-Encoding lists gzip (without q=0). */
static bool accepts_gzip(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    const char *g = v ? strstr(v, "gzip") : NULL;

    return g && strncmp(g + 4, ";q=0", 4) != 0 && strncmp(g + 4, "; q=0", 5);
}

/* gzip-compresses in[0..len) into a new buffer; NULL when it fails or
 * would not shrink. */
static char *gzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    uLong cap = compressBound((uLong)len) + 32;
    char *out = malloc(cap);

    if (!out || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Swaps *buf for its gzip form when the client takes it and it pays. */
static void maybe_gzip(struct reply *rep, char **buf, size_t *len)
{
    size_t zlen = 0;
    char *z;

    if (!rep->gzip_ok || *len < GZIP_MIN)
        return;
    z = gzip(*buf, *len, &zlen);
    if (!z)
        return;
    free(*buf);
    *buf = z;
    *len = zlen;
    rep->gzipped = true;
}

/* The compressed forms of the process-lifetime bodies (reply_static), made
 * once each and kept until exit: /openapi.json is 239 KiB, and compressing
 * it per request cost 4 ms of CPU. Keyed by the body's address. */
enum { FIXED_MAX = 16 }; /* /openapi.json and the dashboard's files */
static struct {
    pthread_mutex_t lock;
    struct {
        const char *src;
        char *z; /* NULL: compressing did not pay */
        size_t zlen;
    } e[FIXED_MAX];
    size_t n;
} fixed = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The gzip form of the fixed body src (len bytes), made on first use;
 * NULL to send it as it is. Thread-safe. */
static const char *fixed_gzip(const char *src, size_t len, size_t *zlen)
{
    const char *z = NULL;
    size_t i;

    pthread_mutex_lock(&fixed.lock);
    for (i = 0; i < fixed.n && fixed.e[i].src != src; i++)
        ;
    if (i == fixed.n && fixed.n < FIXED_MAX) {
        fixed.e[i].src = src;
        fixed.e[i].z = gzip(src, len, &fixed.e[i].zlen);
        fixed.n++;
    }
    if (i < fixed.n) {
        z = fixed.e[i].z;
        *zlen = fixed.e[i].zlen;
    }
    pthread_mutex_unlock(&fixed.lock);
    return z;
}

/* A fixed body, sent from where it lives, or its cached gzip form. */
static struct MHD_Response *render_fixed(struct reply *rep)
{
    const char *z = NULL;
    size_t zlen = 0;

    if (rep->gzip_ok && rep->fixed_len >= GZIP_MIN)
        z = fixed_gzip(rep->fixed, rep->fixed_len, &zlen);
    if (z)
        rep->gzipped = true;
    /* MHD takes a void * but never writes a PERSISTENT buffer (this
     * libmicrohttpd has no const variant): the cast only drops const. */
    return MHD_create_response_from_buffer(
        z ? zlen : rep->fixed_len, (void *)(uintptr_t)(z ? z : rep->fixed),
        MHD_RESPMEM_PERSISTENT);
}

/* Renders rep into a malloc'd buffer MHD frees (or streams its file). */
static struct MHD_Response *render(struct reply *rep)
{
    char *buf = NULL;
    size_t len = 0;

    if (rep->has_fd) {
        struct MHD_Response *r =
            MHD_create_response_from_fd64((uint64_t)rep->fd_size, rep->fd);

        if (r)
            rep->has_fd = false; /* MHD closes it */
        return r;
    }
    if (rep->fixed)
        return render_fixed(rep);
    if (rep->body) {
        buf = json_dumps(rep->body, JSON_COMPACT);
        if (!buf || num_json_shortest(&buf, &len) != SVC_OK)
            return NULL;
    } else if (rep->raw) {
        buf = rep->raw;
        len = rep->raw_len;
        rep->raw = NULL;
    }
    if (!buf)
        return MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    maybe_gzip(rep, &buf, &len);
    return MHD_create_response_from_buffer_with_free_callback(len, buf, free);
}

/* What a page may load and run: its own origin's files only, no inline
 * script or style, no eval, never framed (the dashboard, handlers/ui.c). */
static const char page_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

/* Security headers of an HTML answer (only the dashboard answers HTML). */
static void add_page_headers(struct MHD_Response *r, const struct reply *rep)
{
    if (!rep->raw_type || strncmp(rep->raw_type, "text/html", 9) != 0)
        return;
    MHD_add_response_header(r, "Content-Security-Policy", page_csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

static void add_headers(struct MHD_Response *r, const struct req *req,
                        const struct reply *rep)
{
    char num[16];

    if (rep->body)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json");
    else if (rep->raw_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep->raw_type);
    MHD_add_response_header(r, "X-Request-Id", req->request_id);
    if (rep->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", rep->disposition);
    if (rep->etag[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, rep->etag);
    if (rep->gzip_ok || rep->gzipped)
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (rep->gzipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (rep->location[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rep->location);
    if (rep->allow[0] && !rep->preflight)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->retry_after > 0) {
        snprintf(num, sizeof(num), "%d", rep->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
    }
}

static const char cors_headers[] =
    "BT-Signer, BT-Timestamp, BT-Nonce, BT-Signature, Content-Type, "
    "X-Request-Id, If-None-Match";

static void add_cors(struct MHD_Response *r, const struct http_server *s,
                     const struct req *req)
{
    if (!req->origin || !live_cors_allows(s->app->live, req->origin))
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin", req->origin);
    MHD_add_response_header(r, "Vary", "Origin");
    MHD_add_response_header(r, "Access-Control-Expose-Headers",
                            "X-Request-Id, Location, Retry-After, ETag");
}

static bool is_preflight(struct MHD_Connection *c, const struct req *req)
{
    return strcmp(req->method, "OPTIONS") == 0 && req->origin &&
           MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                       "Access-Control-Request-Method");
}

/* A CORS preflight: 204 with what the path allows for an allowed Origin,
 * 403 for any other. */
static void preflight(const struct http_server *s, struct req *req,
                      struct reply *rep)
{
    if (!live_cors_allows(s->app->live, req->origin)) {
        req->reason = "origin_not_allowed"; /* the access log names it */
        reply_error(
            rep, req,
            req_fail(req, SVC_ERR_FORBIDDEN, "Origin", "origin not allowed"));
        return;
    }
    router_allow(s->router, req->path, rep->allow, sizeof(rep->allow));
    if (!rep->allow[0]) {
        reply_error(rep, req,
                    req_fail(req, SVC_ERR_NOT_FOUND, NULL, "no such route"));
        return;
    }
    rep->preflight = true;
    (void)reply_empty(rep, 204);
}

/* Who a refused request claimed to be: its BT-Signer (escaped by the
 * log, cut to a bound), else its client certificate's name. */
static const char *claimed(const struct req *req)
{
    if (!req->reason)
        return NULL;
    if (req->sig.signer)
        return strlen(req->sig.signer) <= 64 ? req->sig.signer : NULL;
    return req->cert == REQ_CERT_OK ? req->cert_id : NULL;
}

static void access_log(const struct req *req, const struct reply *rep)
{
    /* A refused CORS origin, cut to a bound (the log escapes it). */
    char origin[129] = "";
    struct log_access a = {
        req->method,
        req->route ? req->route->pattern : "-",
        rep->status,
        (double)(clock_mono_ns() - req->start_ns) / 1e6,
        req->request_id,
        req->principal,
        rep->rc != SVC_OK ? svc_rc_name(rep->rc) : NULL,
        req->err.field,
        req->client,
        req->reason,
        claimed(req),
        NULL, /* origin, below */
    };

    if (req->reason && strcmp(req->reason, "origin_not_allowed") == 0) {
        snprintf(origin, sizeof(origin), "%s", req->origin);
        a.origin = origin;
    }

    metrics_request_end(req->route, rep->status, a.dur_ms / 1e3);
    log_access(&a);
}

/* Renders rep and queues it on c; rep is cleared. */
static enum MHD_Result send_reply(struct http_server *s,
                                  struct MHD_Connection *c, struct req *req,
                                  struct reply *rep)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    rep->gzip_ok = accepts_gzip(c);
    r = render(rep);
    if (!r) {
        reply_error(rep, req, SVC_ERR_NOMEM);
        r = render(rep);
    }
    if (!r) {
        reply_clear(rep);
        return MHD_NO;
    }
    add_headers(r, req, rep);
    add_page_headers(r, rep);
    add_cors(r, s, req);
    if (s->tls) /* browsers then never try plain HTTP to this host */
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=63072000");
    if (req->close_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (rep->preflight) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", rep->allow);
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                cors_headers);
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
    ret = MHD_queue_response(c, (unsigned)rep->status, r);
    MHD_destroy_response(r);
    access_log(req, rep);
    reply_clear(rep);
    return ret;
}

static enum MHD_Result respond(struct http_server *s, struct MHD_Connection *c,
                               struct req *req)
{
    struct reply rep = {0};

    if (is_preflight(c, req))
        preflight(s, req, &rep);
    else
        router_dispatch(s->router, req, &rep);
    return send_reply(s, c, req, &rep);
}

/* Answers the error req->target_rc names, without routing. */
static enum MHD_Result refuse(struct http_server *s, struct MHD_Connection *c,
                              struct req *req)
{
    struct reply rep = {0};

    reply_error(&rep, req, req->target_rc);
    return send_reply(s, c, req, &rep);
}

static bool is_write_method(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "PATCH") == 0 || strcmp(m, "DELETE") == 0;
}

/* Queues req as a write job for the write threads and suspends c; false
 * when it must run here (no write threads, stopping, out of memory). */
static bool queue_write_job(struct http_server *s, struct MHD_Connection *c,
                            struct req *req)
{
    struct write_job *wj;

    if (!s->n_writers || !is_write_method(req->method) || is_preflight(c, req))
        return false;
    wj = calloc(1, sizeof(*wj));
    if (!wj)
        return false;
    wj->c = c;
    wj->req = req;
    pthread_mutex_lock(&s->q_lock);
    if (s->q_stop) {
        pthread_mutex_unlock(&s->q_lock);
        free(wj);
        return false;
    }
    /* Suspended before a write thread can see it, so its resume always
     * finds the connection suspended. */
    MHD_suspend_connection(c);
    req->transport = wj;
    if (s->q_tail)
        s->q_tail->next = wj;
    else
        s->q_head = wj;
    s->q_tail = wj;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_lock);
    return true;
}

/* Write threads yield to the HTTP threads: a bulk write takes a little
 * longer, and the reads that validators and dashboards poll keep their
 * latency. */
enum { WRITE_NICE = 5 };

/* Waits for the next write job and takes it off the queue; NULL once
 * stopping with nothing left. */
static struct write_job *next_write_job(struct http_server *s)
{
    struct write_job *wj;

    pthread_mutex_lock(&s->q_lock);
    while (!s->q_head && !s->q_stop)
        pthread_cond_wait(&s->q_cond, &s->q_lock);
    wj = s->q_head;
    if (wj) {
        s->q_head = wj->next;
        if (!s->q_head)
            s->q_tail = NULL;
    }
    pthread_mutex_unlock(&s->q_lock);
    return wj;
}

static void *write_thread(void *arg)
{
    struct http_server *s = arg;
    struct write_job *wj;

    prio_background(WRITE_NICE);
    while ((wj = next_write_job(s))) {
        router_dispatch(s->router, wj->req, &wj->rep);
        MHD_resume_connection(wj->c);
    }
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct http_server *s = cls;
    struct req *req = *req_cls;
    enum MHD_Result ret;

    if (!req)
        return MHD_NO; /* on_uri ran out of memory */
    if (!req->method[0]) {
        if (!begin(s, c, req, method, url, version))
            return MHD_NO;
        /* An ambiguous head, or a NUL in the decoded target: refused
         * before routing, as the path or value the router would see is
         * cut short. A declared length over the cap is refused before
         * reading it. */
        set_phase(s, c,
                  req->target_rc != SVC_OK || req->body_too_large ? CONN_ANSWER
                                                                  : CONN_BODY);
        if (req->target_rc != SVC_OK)
            return refuse(s, c, req);
        if (req->body_too_large)
            return respond(s, c, req);
        return MHD_YES;
    }
    if (*upload_size) {
        if (req_append_body(req, upload, *upload_size, s->opt.max_body) !=
            SVC_OK)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    set_phase(s, c, CONN_ANSWER);
    if (req->transport) { /* resumed: the write thread's reply is ready */
        struct write_job *wj = req->transport;

        req->transport = NULL;
        ret = send_reply(s, c, req, &wj->rep);
        free(wj);
        return ret;
    }
    if (queue_write_job(s, c, req))
        return MHD_YES;
    return respond(s, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    set_phase(cls, c, CONN_IDLE);
    if (*req_cls) {
        struct req *req = *req_cls;
        struct write_job *wj = req->transport;

        /* A write job whose reply was ready but never sent (daemon stop):
         * the write threads have finished with it. */
        if (wj) {
            reply_clear(&wj->rep);
            free(wj);
        }
        metrics_request_finish();
    }
    req_free(*req_cls);
    *req_cls = NULL;
}

/* The last message of libmicrohttpd's and how often it came again since
 * it was logged: a flood of connections (each refused over a limit, or
 * shut at a deadline) logs a line a second, not a line a connection. */
static struct {
    pthread_mutex_t lock;
    char line[512];
    int64_t logged_ms; /* monotonic */
    unsigned repeats;
} mhd_last = {.lock = PTHREAD_MUTEX_INITIALIZER};

enum { MHD_REPEAT_MS = 1000 };

/* libmicrohttpd's own messages: fmt comes from the library. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;
    int64_t now = clock_mono_ns() / 1000000;
    unsigned repeats = 0;
    bool quiet;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    /* MHD's words for any failed TLS handshake; the metric says why. */
    if (strstr(line, "received handshake message out of context"))
        snprintf(line, sizeof(line),
                 "a TLS handshake failed (plain HTTP, TLS 1.1 or older, or "
                 "a client refusing the certificate: "
                 "computedb_tls_handshake_failures_total says which)");
    pthread_mutex_lock(&mhd_last.lock);
    quiet = strcmp(line, mhd_last.line) == 0 &&
            now - mhd_last.logged_ms < MHD_REPEAT_MS;
    if (quiet) {
        mhd_last.repeats++;
    } else {
        repeats = mhd_last.repeats;
        mhd_last.repeats = 0;
        mhd_last.logged_ms = now;
        memcpy(mhd_last.line, line, sizeof(line));
    }
    pthread_mutex_unlock(&mhd_last.lock);
    if (quiet)
        return;
    if (repeats)
        log_warn("http: (the previous message came %u more times)", repeats);
    log_warn("http: %s", line);
}

static enum svc_rc resolve(const struct http_options *cfg,
                           struct sockaddr_storage *ss, bool *v6)
{
    struct addrinfo hints = {0}, *res = NULL;
    int err;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    err = getaddrinfo(cfg->listen_host, "0", &hints, &res);
    if (err || !res) {
        log_err("cannot resolve listen host '%s': %s", cfg->listen_host,
                gai_strerror(err));
        return SVC_ERR_INVALID;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    if (*v6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(cfg->port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(cfg->port);
    freeaddrinfo(res);
    return SVC_OK;
}

/* Why a listening socket could not be had, and what to do. */
static const char *bind_advice(int err)
{
    switch (err) {
    case EADDRINUSE:
        return "another process holds this port (`ss -ltnp` shows which): "
               "stop it, or pick another port with --listen";
    case EACCES:
        return "ports below 1024 need root or CAP_NET_BIND_SERVICE: pick "
               "a higher port with --listen";
    case EADDRNOTAVAIL:
        return "the host is not an address of this machine: check --listen";
    default:
        return "check --listen";
    }
}

/* The one error for a socket at cfg's address that cannot be had (errno
 * says why); closes *fd. */
static enum svc_rc socket_failed(const struct http_options *cfg, int *fd)
{
    int err = errno;

    log_err("cannot listen on %s:%u: %s; %s", cfg->listen_host,
            (unsigned)cfg->port, strerror(err), bind_advice(err));
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return SVC_ERR_INVALID;
}

enum svc_rc http_bind(const struct http_options *cfg, int *fd)
{
    struct sockaddr_storage ss = {0};
    bool v6 = false;
    int one = 1;
    enum svc_rc rc = resolve(cfg, &ss, &v6);

    *fd = -1;
    if (rc != SVC_OK)
        return rc;
    *fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (*fd >= 0 &&
        setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
        (!v6 ||
         setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0) &&
        bind(*fd, (const struct sockaddr *)&ss,
             v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) ==
            0)
        return SVC_OK;
    return socket_failed(cfg, fd);
}

/* Listens on cfg's bound socket, or binds one first; *v6 tells its family.
 * The daemon owns *fd once it has started. */
static enum svc_rc listen_socket(const struct http_options *cfg, int *fd,
                                 bool *v6)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof(ss);
    enum svc_rc rc = SVC_OK;

    *fd = cfg->bound ? cfg->bound_fd : -1;
    if (*fd < 0)
        rc = http_bind(cfg, fd);
    if (rc != SVC_OK)
        return rc;
    if (listen(*fd, SOMAXCONN) != 0 ||
        getsockname(*fd, (struct sockaddr *)&ss, &len) != 0)
        return socket_failed(cfg, fd);
    *v6 = ss.ss_family == AF_INET6;
    return SVC_OK;
}

static void seed_prefix(struct http_server *s)
{
    random_hex(s->rid_prefix, sizeof(s->rid_prefix));
}

static enum svc_rc start_writers(struct http_server *s, unsigned n)
{
    unsigned started = 0;

    s->writers = calloc(n ? n : 1, sizeof(*s->writers));
    if (!s->writers)
        return SVC_ERR_NOMEM;
    while (started < n &&
           pthread_create(&s->writers[started], NULL, write_thread, s) == 0)
        started++;
    s->n_writers = started;
    if (started < n) {
        log_err("cannot start the write threads");
        return SVC_ERR_INTERNAL;
    }
    return SVC_OK;
}

/* Lets the write threads finish every queued write, then ends them; later
 * writes run on the MHD threads. */
static void stop_writers(struct http_server *s)
{
    pthread_mutex_lock(&s->q_lock);
    s->q_stop = true;
    pthread_cond_broadcast(&s->q_cond);
    pthread_mutex_unlock(&s->q_lock);
    /* n_writers stays: MHD threads may still read it (queue_write_job()
     * then sees q_stop under the lock). */
    for (unsigned i = 0; i < s->n_writers; i++)
        pthread_join(s->writers[i], NULL);
    free(s->writers);
    s->writers = NULL;
}

static void on_expired(enum conn_phase phase)
{
    metrics_conn_expired(conn_phase_name(phase));
}

static enum svc_rc start_watch(struct http_server *s,
                               const struct http_options *cfg)
{
    struct conn_watch_options o = {
        .idle_ms = cfg->conn_timeout_s * 1000u,
        .head_ms = (cfg->header_timeout_s ? cfg->header_timeout_s : 10) * 1000u,
        .body_ms = (cfg->body_timeout_s ? cfg->body_timeout_s : 60) * 1000u,
        .on_expired = on_expired,
    };
    enum svc_rc rc = conn_watch_start(&o, &s->watch);

    if (rc != SVC_OK)
        log_err("cannot start the connection deadline thread");
    return rc;
}

/* The options of the daemon for s into items: for HTTPS the priority
 * string and the certificate callback (MHD takes them as void *; the
 * union carries the function pointer there without a cast C forbids),
 * none for plain HTTP (MHD warns of HTTPS options without TLS). */
static void tls_options(const struct http_server *s,
                        struct MHD_OptionItem items[3])
{
    union {
        gnutls_certificate_retrieve_function2 *fn;
        void *ptr;
    } cb = {.fn = tls_cert_retrieve};

    items[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (!s->tls)
        return;
    items[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                       (void *)(uintptr_t)tls_priorities};
    items[1] =
        (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, cb.ptr};
    items[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

/* Loads --tls-cert and --tls-key when given, and asks MHD for TLS. */
static enum svc_rc start_tls(struct http_server *s,
                             const struct http_options *cfg, unsigned *flags)
{
    char why[4400];
    enum svc_rc rc;

    if (!cfg->tls_cert || !cfg->tls_cert[0])
        return SVC_OK;
    rc = tls_store_open(
        &(struct tls_files){cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca},
        &s->tls, why, sizeof(why));
    if (rc != SVC_OK)
        log_err("cannot serve HTTPS: %s", why);
    else
        *flags |= MHD_USE_TLS;
    return rc;
}

/* What the daemon's threads use, made before it starts: the write
 * threads, the deadline watch, the certificate. */
static enum svc_rc start_parts(struct http_server *s,
                               const struct http_options *cfg, unsigned *flags)
{
    enum svc_rc rc;

    pthread_mutex_init(&s->q_lock, NULL);
    pthread_cond_init(&s->q_cond, NULL);
    seed_prefix(s);
    rc = start_writers(s,
                       cfg->write_threads ? cfg->write_threads : cfg->threads);
    if (rc == SVC_OK)
        rc = start_watch(s, cfg);
    if (rc == SVC_OK)
        rc = start_tls(s, cfg, flags);
    return rc;
}

enum svc_rc http_start(struct app *app, const struct http_options *cfg,
                       const struct router *router, struct http_server **out)
{
    bool v6 = false;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct http_server *s;
    struct MHD_OptionItem tls_opts[3];
    int fd = -1;
    enum svc_rc rc = listen_socket(cfg, &fd, &v6);

    if (rc != SVC_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return SVC_ERR_NOMEM;
    }
    s->app = app;
    s->opt = *cfg;
    s->router = router;
    if (v6)
        flags |= MHD_USE_IPv6;
    rc = start_parts(s, cfg, &flags);
    if (rc != SVC_OK) {
        close(fd);
        http_stop(s);
        return rc;
    }
    tls_options(s, tls_opts);
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        cfg->conn_memory, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->conn_limit, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, s, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)cfg->conn_per_ip, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!s->daemon) { /* it said why through mhd_log */
        /* fd is not closed here: whether the daemon already did depends on
         * how far it got, and a second close could hit another thread's
         * descriptor. The process is about to exit. */
        log_err("cannot start the HTTP server on %s:%u", cfg->listen_host,
                (unsigned)cfg->port);
        http_stop(s);
        return SVC_ERR_INTERNAL;
    }
    *out = s;
    return SVC_OK;
}

void http_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

enum svc_rc http_tls_reload(struct http_server *s,
                            const struct http_options *files)
{
    char why[4400];
    const struct http_options *f = files ? files : &s->opt;

    if (!s->tls)
        return SVC_ERR_CONFLICT;
    if (tls_store_reload(
            s->tls,
            &(struct tls_files){f->tls_cert, f->tls_key, f->tls_client_ca}, why,
            sizeof(why)) == SVC_OK)
        return SVC_OK;
    log_warn("TLS reload failed, still serving the previous certificate: %s",
             why);
    return SVC_ERR_INVALID;
}

void http_tls_fingerprint(struct http_server *s, char *out, size_t len)
{
    if (s->tls)
        tls_store_fingerprint(s->tls, out, len);
    else if (len)
        out[0] = '\0';
}

uint16_t http_port(const struct http_server *s)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

    return info ? info->port : 0;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    stop_writers(s);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    conn_watch_stop(s->watch); /* every connection has gone */
    tls_store_close(s->tls);
    pthread_mutex_destroy(&s->q_lock);
    pthread_cond_destroy(&s->q_cond);
    free(s);
}
