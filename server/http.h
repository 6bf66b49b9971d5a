/* SPDX-License-Identifier: MIT */
/* The HTTP front end: libmicrohttpd with its internal thread pool and
 * epoll. This header carries no libmicrohttpd types. */
#ifndef SVC_HTTP_H
#define SVC_HTTP_H

#include "req.h"
#include "router.h"

#include <stdint.h>

struct http_server;

/* How the server listens and what it allows each connection. */
struct http_options {
    const char *listen_host;   /* IPv4/IPv6 literal or "localhost" */
    uint16_t port;             /* 0 picks a free port (see http_port) */
    unsigned threads;          /* libmicrohttpd worker threads */
    unsigned write_threads;    /* threads running write requests (0: threads) */
    unsigned conn_timeout_s;   /* idle connection timeout */
    size_t conn_memory;        /* per-connection memory limit for headers */
    unsigned conn_limit;       /* concurrent connections */
    unsigned conn_per_ip;      /* concurrent connections per address, 0: any */
    unsigned header_timeout_s; /* request line and headers, from the first
                                  byte or the previous answer (0: 10) */
    unsigned body_timeout_s;   /* body, from the end of the headers (0: 60) */
    size_t max_body;           /* request body cap in bytes (413 past it) */
    const char *tls_cert;      /* PEM certificate chain: HTTPS only (NULL:
                                  plain HTTP) */
    const char *tls_key;       /* its PEM private key */
    const char *tls_client_ca; /* CA certificates of client certificates
                                  (NULL: none asked for) */
    bool bound;                /* bound_fd is http_bind()'s socket: serve on
                                  it (http_start owns it from then on) */
    int bound_fd;
};

/* Binds a socket to cfg's address and port without listening yet, so a
 * taken port or a bad address is found before anything else is opened,
 * and no client can connect before http_start(). Logs one error naming
 * the cause and what to do; SVC_ERR_INVALID then. */
SVC_NODISCARD enum svc_rc http_bind(const struct http_options *cfg, int *fd);

/* Starts listening as cfg says, dispatching through router. app, cfg and
 * router are borrowed and must outlive the server. On success *out is a
 * new server to stop with http_stop(). Returns SVC_ERR_INVALID for a bad
 * listen address and SVC_ERR_INTERNAL when the daemon cannot start (port
 * in use), after logging why. */
SVC_NODISCARD enum svc_rc http_start(struct app *app,
                                     const struct http_options *cfg,
                                     const struct router *router,
                                     struct http_server **out);
/* Loads the certificate, key and client CA again from the files of
 * files's tls_* members (NULL: the start's): new handshakes get them,
 * connections up go on with the old ones. A bad file leaves the old ones
 * in place and is logged. Returns SVC_OK, SVC_ERR_INVALID (bad files) or
 * SVC_ERR_CONFLICT (the server speaks plain HTTP). Thread-safe. */
SVC_NODISCARD enum svc_rc http_tls_reload(struct http_server *s,
                                          const struct http_options *files);
/* The SHA-256 fingerprint of the certificate served now, "" for plain
 * HTTP. */
void http_tls_fingerprint(struct http_server *s, char *out, size_t len);
/* The bound port (useful with port 0). */
uint16_t http_port(const struct http_server *s);
/* Stops accepting new connections; requests in flight go on. */
void http_quiesce(struct http_server *s);
/* Stops accepting, waits for the worker threads, frees s. NULL-safe. */
void http_stop(struct http_server *s);

#endif
