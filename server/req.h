/* SPDX-License-Identifier: MIT */
/* One HTTP request as handlers see it (no libmicrohttpd types), and the
 * reply they fill. server/http.c builds both; handlers only read req and
 * write rep through the helpers below. */
#ifndef SVC_REQ_H
#define SVC_REQ_H

#include "core/buf.h"
#include "core/certid.h"
#include "core/err.h"
#include "core/rc.h"
#include "core/role.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth;
struct db_pool;
struct live;
struct pog_service;
struct route;

enum { REQ_MAX_PARAMS = 4, REQ_MAX_QUERY = 16, REQ_ID_MAX = 64 };

struct kv {
    char *key;   /* owned */
    char *value; /* owned, "" when the query key had no '=' */
};

/* What the process shares with every request (borrowed by requests);
 * app/app.c fills it, tests may fill their own. */
struct app {
    struct db_pool *db;  /* storage; NULL in router-only tests */
    struct live *live;   /* SIGHUP-changeable settings (server/live.h) */
    bool response_cache; /* reuse rendered GET answers (server/cache.h) */
    int64_t started_ms;  /* wall-clock start, ms since the epoch */
    struct auth *auth;   /* signature verifier and replay cache */
    /* the PoG service: its workers (NULL when --pog-backend off), its GPU
     * table and its job records (gpu/pog_service.h); NULL in router-only
     * tests */
    struct pog_service *pog_service;
};

/* The BT-* signature headers as received (owned copies). */
/* What the connection's client certificate is (HTTPS with a client CA). */
enum req_cert {
    REQ_CERT_NONE, /* none sent, or none asked for */
    REQ_CERT_OK,   /* issued by the client CA and within its dates */
    REQ_CERT_BAD,  /* sent but not acceptable (cert_why says why) */
};

struct req_sig {
    char *signer;
    char *timestamp;
    char *nonce;
    char *signature;
    bool duplicated; /* one of them was sent more than once */
};

struct req {
    char method[16];
    char *path;                       /* owned, decoded path without query */
    char *target;                     /* owned raw request-target, or NULL */
    struct kv params[REQ_MAX_PARAMS]; /* ":name" captures, owned */
    size_t n_params;
    struct kv query[REQ_MAX_QUERY]; /* decoded query arguments, owned */
    size_t n_query;
    bool query_overflow;   /* more than REQ_MAX_QUERY arguments */
    enum svc_rc target_rc; /* SVC_ERR_INVALID when the decoded target held
                              a NUL byte or the head is ambiguously framed
                              (detail in err), else SVC_OK */
    bool close_after;      /* the connection closes after the answer */
    char *content_type;    /* owned copy of Content-Type, or NULL */
    char *if_none_match;   /* owned copy of If-None-Match, or NULL */
    char *origin;          /* owned copy of Origin, or NULL */
    struct req_sig sig;    /* signature headers */
    char principal[CERT_ID_LEN + 1]; /* who the request is: the verified
                                        signer's SS58 or the client
                                        certificate's name, or "" */
    enum req_cert cert;              /* the connection's client certificate */
    char cert_id[CERT_ID_LEN + 1];   /* its name, when REQ_CERT_OK */
    const char *cert_why;            /* static: why not, when REQ_CERT_BAD */
    char request_id[REQ_ID_MAX + 1];
    struct buf body; /* owned: the body as received (req_append_body);
                        body.p NUL-terminated, or NULL when empty */
    bool body_too_large;
    json_t *json; /* owned parsed body (routes with ROUTE_JSON) */
    struct app *app;
    const struct route *route; /* matched route, NULL before dispatch */
    enum role role;            /* role the caller holds */
    bool secrets;              /* may see allocation secrets (admin, or
                                  a principal granted them) */
    int64_t start_ns;          /* monotonic, for the access log */
    void *transport;           /* the HTTP layer's own state, or NULL */
    struct svc_err err;        /* the detail of a 4xx, rendered by reply.c */
    json_t *err_extra;         /* owned: members a 4xx error object adds (the
                                  advice on an authentication refusal), or NULL */
    const char *reason;        /* static short code of an authentication
                                  refusal, for the access log, or NULL */
    char client[48];           /* the client's address ("" when unknown) */
};

struct reply {
    int status;   /* 0 until a handler or the router sets it */
    json_t *body; /* owned JSON body, or NULL */
    char *raw;    /* owned non-JSON body (with raw_type), or NULL */
    size_t raw_len;
    const char *fixed; /* a body that lives as long as the process (with
                          raw_type), or NULL: reply_static() */
    size_t fixed_len;
    const char *raw_type; /* static Content-Type of raw (or of fd) */
    int fd;               /* owned open file to stream, when has_fd */
    bool has_fd;
    unsigned long long fd_size;
    char disposition[128]; /* Content-Disposition, "" for none */
    char etag[64];         /* ETag, "" for none */
    char location[160];    /* Location header, "" for none */
    char allow[64];        /* Allow header (405), "" for none */
    int retry_after;       /* Retry-After seconds, 0 for none */
    bool preflight;        /* a CORS preflight answer */
    bool gzip_ok;          /* the client accepts gzip (http.c) */
    bool gzipped;          /* the rendered body is gzip (http.c) */
    enum svc_rc rc;        /* outcome, for the access log */
};

/* Returns a new request for app (borrowed). NULL on out of memory. */
struct req *req_new(struct app *app, const char *method, const char *path);
/* Releases req and everything it owns. NULL-safe. */
void req_free(struct req *req);

/* Appends a decoded query argument; copies both strings. Arguments past
 * REQ_MAX_QUERY set query_overflow. Returns SVC_ERR_NOMEM on failure. */
SVC_NODISCARD enum svc_rc req_add_query(struct req *req, const char *key,
                                        const char *value);
/* req_add_query() for a key and value of key_len and value_len decoded
 * bytes (value NULL: no '='). A NUL byte inside either ("uid=1%00junk")
 * would silently cut it, so it is refused instead: SVC_ERR_INVALID with
 * target_rc and err set, naming the parameter; nothing is added. */
SVC_NODISCARD enum svc_rc req_add_query_n(struct req *req, const char *key,
                                          size_t key_len, const char *value,
                                          size_t value_len);
/* Appends len bytes of body; a body that would pass cap bytes sets
 * body_too_large, and it and every later chunk are dropped (the router
 * answers 413). The first call's cap holds for the request. Returns SVC_OK
 * then too; SVC_ERR_NOMEM when memory runs out. */
SVC_NODISCARD enum svc_rc req_append_body(struct req *req, const char *data,
                                          size_t len, size_t cap);

/* Value of path capture name (borrowed), or NULL. */
const char *req_param(const struct req *req, const char *name);
/* Value of the first query argument name (borrowed), or NULL. */
const char *req_query(const struct req *req, const char *name);

/* Records rc with an optional field and a printf-style detail in req->err
 * and returns rc, so handlers can `return req_fail(...)`. */
enum svc_rc req_fail(struct req *req, enum svc_rc rc, const char *field,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets the reply to body (stolen, even on failure) with status.
 * Returns SVC_ERR_NOMEM when body is NULL. */
enum svc_rc reply_json(struct reply *rep, int status, json_t *body);
/* Sets an empty reply with status (204, 304). Returns SVC_OK. */
enum svc_rc reply_empty(struct reply *rep, int status);
/* Streams the whole of the open file fd (ownership taken, closed even on
 * failure) of size bytes with a static type and a download file name. */
enum svc_rc reply_file(struct reply *rep, int status, const char *type, int fd,
                       unsigned long long size, const char *filename);
/* Sets a non-JSON body (raw is copied, type is static). */
enum svc_rc reply_raw(struct reply *rep, int status, const char *type,
                      const char *raw, size_t len);
/* Sets a body that lives as long as the process (an embedded document:
 * body is not copied, type is static). The HTTP layer compresses such a
 * body once, not per request. Returns SVC_OK. */
enum svc_rc reply_static(struct reply *rep, int status, const char *type,
                         const char *body, size_t len);
/* Replaces whatever rep holds with the error JSON for rc and req->err:
 * {"error":{"code","message","field"?,"request_id"}}. A 5xx shows only the
 * table text. Sets Retry-After for SVC_ERR_BUSY. Never fails: falls back to
 * a static body when memory runs out. */
void reply_error(struct reply *rep, const struct req *req, enum svc_rc rc);
/* Releases what rep owns and zeroes it. */
void reply_clear(struct reply *rep);

#endif
