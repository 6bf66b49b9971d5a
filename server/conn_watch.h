/* SPDX-License-Identifier: MIT */
/* Deadlines for connections, whatever the bytes do: a connection whose
 * request head or body has not arrived in full by its deadline is shut
 * down, even while it keeps trickling bytes that would restart an idle
 * timer (slowloris). The HTTP glue (http.c) says which phase each
 * connection is in; this module keeps the clock. No libmicrohttpd here. */
#ifndef SVC_CONN_WATCH_H
#define SVC_CONN_WATCH_H

#include "core/rc.h"

#include <stdint.h>

/* Where a connection is, and so which deadline holds. X(ENUM, "label"). */
#define CONN_PHASE_LIST(X)                                                     \
    X(IDLE, "idle")     /* between requests: the next must start */            \
    X(HEAD, "head")     /* a request line and headers are arriving */          \
    X(BODY, "body")     /* the body is arriving */                             \
    X(ANSWER, "answer") /* being answered: no deadline of ours */

enum conn_phase {
#define X(name, label) CONN_##name,
    CONN_PHASE_LIST(X)
#undef X
        CONN_PHASE_COUNT
};

/* The label of phase ("head"), for logs and metrics. */
const char *conn_phase_name(enum conn_phase phase);

struct conn_watch_options {
    unsigned idle_ms; /* IDLE: from the previous answer to the next line */
    unsigned head_ms; /* HEAD: from the first line (or accept) */
    unsigned body_ms; /* BODY: from the end of the headers */
    /* Told of each connection shut for its deadline (may be NULL). Called
     * on the watch's thread. */
    void (*on_expired)(enum conn_phase phase);
};

struct conn_watch;
struct conn_entry;

/* Starts the watch and its thread. Returns SVC_ERR_NOMEM or
 * SVC_ERR_INTERNAL (no thread) on failure. */
SVC_NODISCARD enum svc_rc conn_watch_start(const struct conn_watch_options *o,
                                           struct conn_watch **out);
/* Stops the thread and frees the watch; every entry must have been
 * removed. NULL-safe. */
void conn_watch_stop(struct conn_watch *w);

/* Watches socket fd from now, in phase HEAD (a new connection must send
 * its first request within head_ms). NULL on out of memory: the
 * connection then goes unwatched. Thread-safe. */
struct conn_entry *conn_watch_add(struct conn_watch *w, int fd);
/* Moves e to phase, with that phase's deadline counted from now; HEAD
 * keeps a deadline already running for HEAD. NULL-safe, lock-free. */
void conn_watch_phase(struct conn_watch *w, struct conn_entry *e,
                      enum conn_phase phase);
/* Stops watching e and frees it, before its socket is closed: the watch
 * never touches the socket afterwards. NULL-safe. Thread-safe. */
void conn_watch_remove(struct conn_watch *w, struct conn_entry *e);

#endif
