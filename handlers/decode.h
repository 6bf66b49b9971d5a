/* SPDX-License-Identifier: MIT */
/* Strict decoding of request bodies, path captures and query strings.
 * Every helper records a clear error (field named, reason given) in
 * req->err and returns SVC_ERR_INVALID on bad input, so a handler can
 * `return` its result directly. Values come out borrowed from the JSON
 * tree or the request. */
#ifndef HANDLERS_DECODE_H
#define HANDLERS_DECODE_H

#include "server/req.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

enum {
    DEC_UID_MAX = 65535,
    DEC_TEXT_MAX = 1024,  /* names, ids */
    DEC_BATCH_MAX = 4096, /* rows per write batch */
    DEC_FIELD_LEN = 48,   /* matches req->err.field */
};

/* Writes "where[i].name" (or "name", "where.name") into buf. */
void dec_field(char buf[DEC_FIELD_LEN], const char *where, long index,
               const char *name);

/* Rejects any member of obj not in the NULL-terminated allowed list, and
 * obj itself when it is not an object, naming the offender. */
SVC_NODISCARD enum svc_rc dec_fields(struct req *req, const json_t *obj,
                                     const char *where,
                                     const char *const *allowed);

/* Each reads member name of obj. A missing member is an error unless
 * optional is set, in which case *present (may be NULL) tells. */
SVC_NODISCARD enum svc_rc dec_hotkey(struct req *req, const json_t *obj,
                                     const char *where, long index,
                                     const char *name, const char **out);
SVC_NODISCARD enum svc_rc dec_int(struct req *req, const json_t *obj,
                                  const char *where, long index,
                                  const char *name, int64_t min, int64_t max,
                                  int64_t *out);
SVC_NODISCARD enum svc_rc dec_real(struct req *req, const json_t *obj,
                                   const char *where, long index,
                                   const char *name, double min, double max,
                                   double *out);
SVC_NODISCARD enum svc_rc dec_bool(struct req *req, const json_t *obj,
                                   const char *where, long index,
                                   const char *name, bool *out);
SVC_NODISCARD enum svc_rc dec_text(struct req *req, const json_t *obj,
                                   const char *where, long index,
                                   const char *name, size_t max,
                                   const char **out);
/* The member must be an array of 1..max elements. */
SVC_NODISCARD enum svc_rc dec_array(struct req *req, const json_t *obj,
                                    const char *name, size_t max,
                                    const json_t **out);

/* True when s is a valid calendar date and time "YYYY-MM-DD?HH:MM:SS"
 * with sep at position 10, followed by ".ffffff" when fraction is set and
 * s is 26 bytes long. */
bool dec_is_datetime(const char *s, char sep, bool fraction);

/* True when obj has member name and it is not null. */
bool dec_has(const json_t *obj, const char *name);

/* Path capture name as an SS58 hotkey / a uid. */
SVC_NODISCARD enum svc_rc dec_path_hotkey(struct req *req, const char *name,
                                          const char **out);
SVC_NODISCARD enum svc_rc dec_path_uid(struct req *req, const char *name,
                                       int64_t *out);
/* Path capture name as a resource's key: a principal ("ss58", the
 * principals routes: an SS58 address or a client certificate's
 * "sha256:<hex>" name, core/certid.h), else an SS58 hotkey. */
SVC_NODISCARD enum svc_rc dec_path_key(struct req *req, const char *name,
                                       const char **out);

/* Parses a uid written as a decimal string (a JSON object key). */
bool dec_uid_key(const char *s, int64_t *out);

/* Query argument name as an integer in [min, max]; absent -> def. */
SVC_NODISCARD enum svc_rc dec_query_int(struct req *req, const char *name,
                                        int64_t min, int64_t max, int64_t def,
                                        int64_t *out, bool *present);
/* Required query argument name as an SS58 hotkey. */
SVC_NODISCARD enum svc_rc dec_query_hotkey(struct req *req, const char *name,
                                           const char **out);
/* Query argument name as "true"/"false"; absent -> *present false. */
SVC_NODISCARD enum svc_rc dec_query_bool(struct req *req, const char *name,
                                         bool *out, bool *present);

#endif
