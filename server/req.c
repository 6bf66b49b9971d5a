/* SPDX-License-Identifier: MIT */
/* struct req and struct reply: construction, capped body accumulation,
 * parameter look-ups, and the one place error bodies are rendered. */
#include "req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct req *req_new(struct app *app, const char *method, const char *path)
{
    struct req *req = calloc(1, sizeof(*req));

    if (!req)
        return NULL;
    req->app = app;
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->path = strdup(path);
    if (!req->path) {
        free(req);
        return NULL;
    }
    return req;
}

static void kv_clear(struct kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
}

void req_free(struct req *req)
{
    if (!req)
        return;
    free(req->target);
    free(req->origin);
    free(req->sig.signer);
    free(req->sig.timestamp);
    free(req->sig.nonce);
    free(req->sig.signature);
    kv_clear(req->params, req->n_params);
    kv_clear(req->query, req->n_query);
    free(req->path);
    free(req->content_type);
    free(req->if_none_match);
    buf_free(&req->body);
    json_decref(req->json);
    json_decref(req->err_extra);
    free(req);
}

enum svc_rc req_add_query(struct req *req, const char *key, const char *value)
{
    return req_add_query_n(req, key, strlen(key), value,
                           value ? strlen(value) : 0);
}

enum svc_rc req_add_query_n(struct req *req, const char *key, size_t key_len,
                            const char *value, size_t value_len)
{
    struct kv *kv;

    if (strlen(key) != key_len || (value && strlen(value) != value_len)) {
        req->target_rc =
            req_fail(req, SVC_ERR_INVALID, key[0] ? key : NULL,
                     "query parameter '%.64s' contains a NUL byte (%%00)", key);
        return req->target_rc;
    }
    if (req->n_query == REQ_MAX_QUERY) {
        req->query_overflow = true;
        return SVC_OK;
    }
    kv = &req->query[req->n_query];
    kv->key = strdup(key);
    kv->value = strdup(value ? value : "");
    if (!kv->key || !kv->value) {
        free(kv->key);
        free(kv->value);
        kv->key = kv->value = NULL;
        return SVC_ERR_NOMEM;
    }
    req->n_query++;
    return SVC_OK;
}

enum svc_rc req_append_body(struct req *req, const char *data, size_t len,
                            size_t cap)
{
    enum svc_rc rc;

    if (req->body_too_large)
        return SVC_OK;
    /* The first chunk brings the cap (a failed one leaves rc set). */
    if (!req->body.p && req->body.rc == SVC_OK)
        buf_init(&req->body, cap);
    rc = buf_append(&req->body, data, len);
    if (rc == SVC_ERR_TOO_LARGE) {
        req->body_too_large = true;
        return SVC_OK;
    }
    return rc;
}

static const char *kv_find(const struct kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

const char *req_param(const struct req *req, const char *name)
{
    return kv_find(req->params, req->n_params, name);
}

const char *req_query(const struct req *req, const char *name)
{
    return kv_find(req->query, req->n_query, name);
}

enum svc_rc req_fail(struct req *req, enum svc_rc rc, const char *field,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rc = svc_err_vset(&req->err, rc, field, fmt, ap);
    va_end(ap);
    return rc;
}

void reply_clear(struct reply *rep)
{
    json_decref(rep->body);
    free(rep->raw);
    if (rep->has_fd)
        close(rep->fd);
    memset(rep, 0, sizeof(*rep));
}

enum svc_rc reply_json(struct reply *rep, int status, json_t *body)
{
    if (!body)
        return SVC_ERR_NOMEM;
    json_decref(rep->body);
    rep->body = body;
    rep->status = status;
    return SVC_OK;
}

enum svc_rc reply_empty(struct reply *rep, int status)
{
    json_decref(rep->body);
    rep->body = NULL;
    rep->status = status;
    return SVC_OK;
}

enum svc_rc reply_file(struct reply *rep, int status, const char *type, int fd,
                       unsigned long long size, const char *filename)
{
    if (rep->has_fd)
        close(rep->fd);
    rep->fd = fd;
    rep->has_fd = true;
    rep->fd_size = size;
    rep->raw_type = type;
    rep->status = status;
    snprintf(rep->disposition, sizeof(rep->disposition),
             "attachment; filename=\"%s\"", filename);
    return SVC_OK;
}

enum svc_rc reply_raw(struct reply *rep, int status, const char *type,
                      const char *raw, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy)
        return SVC_ERR_NOMEM;
    memcpy(copy, raw, len);
    copy[len] = '\0';
    free(rep->raw);
    rep->raw = copy;
    rep->raw_len = len;
    rep->raw_type = type;
    rep->status = status;
    return SVC_OK;
}

enum svc_rc reply_static(struct reply *rep, int status, const char *type,
                         const char *body, size_t len)
{
    rep->fixed = body;
    rep->fixed_len = len;
    rep->raw_type = type;
    rep->status = status;
    return SVC_OK;
}

static json_t *error_body(const struct req *req, enum svc_rc rc)
{
    int http = svc_rc_http(rc);
    const char *msg = svc_rc_text(rc);
    const char *field = NULL;
    json_t *body;

    /* A 5xx shows only its table text, which gives nothing of the server
     * away; a 507 also its message (how much disk is free, and the flag
     * that decides), which the operator's client needs to act on. */
    if (req && (http < 500 || http == 507)) {
        if (req->err.msg[0])
            msg = req->err.msg;
        if (req->err.field[0])
            field = req->err.field;
    }
    body = json_pack("{s:{s:s,s:s,s:s*,s:s}}", "error", "code", svc_rc_code(rc),
                     "message", msg, "field", field, "request_id",
                     req ? req->request_id : "");
    if (body && req && req->err_extra && http < 500)
        json_object_update_missing(json_object_get(body, "error"),
                                   req->err_extra);
    return body;
}

void reply_error(struct reply *rep, const struct req *req, enum svc_rc rc)
{
    static const char fallback[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
    char allow[sizeof(rep->allow)];
    json_t *body;

    memcpy(allow, rep->allow, sizeof(allow));
    reply_clear(rep);
    if (rc == SVC_ERR_METHOD)
        memcpy(rep->allow, allow, sizeof(allow));
    /* A retry helps unless the PoG workers are off: that takes a restart. */
    if ((svc_rc_http(rc) == 503 || svc_rc_http(rc) == 429) &&
        rc != SVC_ERR_POG_OFF)
        rep->retry_after = 1;
    rep->rc = rc;
    body = error_body(req, rc);
    if (!body || reply_json(rep, svc_rc_http(rc), body) != SVC_OK) {
        if (reply_raw(rep, 500, "application/json", fallback,
                      sizeof(fallback) - 1) != SVC_OK)
            rep->status = 500;
        rep->rc = SVC_ERR_NOMEM;
    }
}
