/* SPDX-License-Identifier: MIT */
/* The HTTP front end: libmicrohttpd with its internal thread pool and
 * epoll. This header carries no libmicrohttpd types. */
#ifndef SVC_HTTP_H
#define SVC_HTTP_H

#include "req.h"
#include "router.h"

#include <stdint.h>

struct http_server;
struct config;

/* Starts listening as cfg says, dispatching through router. app, cfg and
 * router are borrowed and must outlive the server. On success *out is a
 * new server to stop with http_stop(). Returns SVC_ERR_INVALID for a bad
 * listen address and SVC_ERR_INTERNAL when the daemon cannot start (port
 * in use), after logging why. */
SVC_NODISCARD enum svc_rc http_start(struct app *app, const struct config *cfg,
                                     const struct router *router,
                                     struct http_server **out);
/* The bound port (useful with port 0). */
uint16_t http_port(const struct http_server *s);
/* Stops accepting new connections; requests in flight go on. */
void http_quiesce(struct http_server *s);
/* Stops accepting, waits for the worker threads, frees s. NULL-safe. */
void http_stop(struct http_server *s);

#endif
