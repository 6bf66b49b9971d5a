/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz harnesses: the libFuzzer entry points, a request
 * dispatched through a router the way server/http.c does it (raw target
 * split and percent-decoded as libmicrohttpd does, body capped), the checks
 * every reply must pass, and a throw-away database for the harnesses that
 * run the real handlers. A failed check prints why and aborts: libFuzzer
 * saves the input, and the replay driver fails its ctest. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include "server/req.h"
#include "server/router.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message naming the broken property. */
#define FZ_ASSERT(c)                                                           \
    do {                                                                       \
        if (!(c))                                                              \
            fz_fail(__FILE__, __LINE__, #c);                                   \
    } while (0)
void fz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* Initialises libsodium and quiet logging; with_db also opens a fresh
 * database in a temporary folder (removed at exit) for fz_app(). Safe to
 * call on every input: only the first call does anything. */
void fz_init(bool with_db);
/* The app over that database (fz_init(true) first). */
struct app *fz_app(void);
/* The temporary folder that holds the database and its backups/. */
const char *fz_dir(void);
/* PRAGMA data_version seen from a separate connection: it changes when
 * the service committed anything since the last call. */
long long fz_data_version(void);

/* One request as a client sends it. */
struct fz_call {
    const char *method;
    const char *target; /* raw request-target: path, '?', query */
    const char *ctype;  /* Content-Type, NULL for none */
    const uint8_t *body;
    size_t body_len;
    enum role role; /* the role the caller is taken to hold */
};

/* Builds the request the way server/http.c does and runs router r on it.
 * *rep holds the reply (reply_clear() it); returns the request, which the
 * caller frees with req_free(). NULL when the target cannot be a request
 * (NUL bytes, no leading '/'). */
struct req *fz_dispatch(const struct router *r, const struct fz_call *call,
                        struct reply *rep);
/* The checks every reply must pass: a status the service documents, no
 * 5xx but 503 and 507, a body that renders, the error shape for errors. */
void fz_check_reply(const struct req *req, const struct reply *rep);

/* Splits data at the first '\n' into a NUL-terminated copy of the head
 * (at most cap - 1 bytes, NUL bytes kept) and the rest. */
void fz_take_line(const uint8_t **data, size_t *size, char *out, size_t cap);

/* Two valid SS58 addresses the harnesses use in paths. */
#define FZ_HOTKEY  "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
#define FZ_HOTKEY2 "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"

#endif
