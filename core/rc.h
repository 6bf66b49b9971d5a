/* SPDX-License-Identifier: MIT */
/* The one list of outcomes the service can report, with their HTTP status,
 * machine-readable code and the text a 5xx shows to clients. */
#ifndef SVC_RC_H
#define SVC_RC_H

#define SVC_NODISCARD __attribute__((warn_unused_result))

/* X(name, http status, code, text) */
#define SVC_RC_LIST(X)                                                         \
    X(OK, 200, "ok", "success")                                                \
    X(ERR_INVALID, 400, "invalid_argument", "malformed request")               \
    X(ERR_UNAUTH, 401, "unauthenticated", "a valid signature is required")     \
    X(ERR_FORBIDDEN, 403, "forbidden", "the signer lacks the role")            \
    X(ERR_NOT_FOUND, 404, "not_found", "no such resource")                     \
    X(ERR_METHOD, 405, "method_not_allowed", "method not allowed")             \
    X(ERR_CONFLICT, 409, "conflict", "conflicts with the stored state")        \
    X(ERR_TOO_LARGE, 413, "payload_too_large", "request body too large")       \
    X(ERR_MEDIA_TYPE, 415, "unsupported_media_type",                           \
      "request body must be application/json")                                 \
    X(ERR_BODY_REQUIRED, 400, "body_required", "a request body is required")   \
    X(ERR_NOMEM, 500, "internal", "out of memory")                             \
    X(ERR_DB, 500, "internal", "database error")                               \
    X(ERR_INTERNAL, 500, "internal", "internal error")                         \
    X(ERR_BUSY, 503, "unavailable", "database busy, retry later")              \
    X(ERR_OVERLOADED, 503, "unavailable",                                      \
      "too many signed requests in flight, retry later")                       \
    X(ERR_FULL, 507, "insufficient_storage", "database storage is full")       \
    X(ERR_QUEUE_FULL, 503, "unavailable",                                      \
      "GPU job queue is full, retry later")                                    \
    X(ERR_NO_GPU, 503, "unavailable", "no GPU backend is available")           \
    X(ERR_POG_OFF, 503, "unavailable",                                         \
      "the PoG workers are off: start the server with --pog-backend auto, "    \
      "cpu or cuda (on a shared database, one replica runs them)")             \
    X(ERR_CANCELLED, 409, "conflict", "the job was cancelled")                 \
    X(ERR_TIMEOUT, 503, "unavailable", "the job ran past its deadline")        \
    X(ERR_GPU, 500, "internal", "GPU backend error")                           \
    X(ERR_NO_VRAM, 507, "insufficient_storage", "not enough GPU memory")       \
    X(ERR_RATE, 429, "too_many_requests",                                      \
      "too many requests from this principal, retry later")

enum svc_rc {
#define X(name, http, code, text) SVC_##name,
    SVC_RC_LIST(X)
#undef X
        SVC_RC_COUNT
};

/* HTTP status of rc; 500 for out-of-range values. Thread-safe. */
int svc_rc_http(enum svc_rc rc);
/* Stable machine-readable code ("not_found"); static storage. */
const char *svc_rc_code(enum svc_rc rc);
/* Human text from the table; the only text a 5xx shows. Static storage. */
const char *svc_rc_text(enum svc_rc rc);
/* The enum name without prefix ("ERR_BUSY"), for logs and tests. */
const char *svc_rc_name(enum svc_rc rc);

#endif
