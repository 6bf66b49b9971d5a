/* SPDX-License-Identifier: MIT */
/* Test harness: a real computedb server started in-process on 127.0.0.1
 * port 0 over a fresh SQLite file in a temporary directory, and a libcurl
 * client for it. One server per process. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include "server/auth.h"
#include "server/req.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* A test identity: an ed25519 seed and its SS58 address. */
struct th_key {
    uint8_t seed[AUTH_SEED_BYTES];
    char ss58[SS58_LEN + 1];
};

struct resp {
    long status;
    char *body; /* NUL-terminated, owned */
    size_t len;
    json_t *json;       /* parsed body, or NULL when it is not JSON */
    char headers[4096]; /* raw response headers */
};

/* Starts the server on a new database in a new temporary directory (or on
 * db_path when non-NULL), with an admin principal whose key signs every
 * request until th_use() says otherwise. tweak, when given, may change the
 * configuration first. Exits the test on failure. */
void th_start(const char *db_path);
void th_start_with(const char *db_path, void (*tweak)(struct config *cfg));
/* The admin identity th_start made. */
const struct th_key *th_admin(void);
/* A new identity; a principal with role unless role is ROLE_NONE. */
const struct th_key *th_key_new(enum role role);
/* Signs the following requests with key; NULL sends them unsigned. */
void th_use(const struct th_key *key);
/* "http://127.0.0.1:PORT" of the running server. */
const char *th_base(void);
/* Writes key as a key file (64 hex characters and a newline) at path. */
void th_key_file(const struct th_key *key, const char *path);
/* The temporary directory of this run (for extra files). */
const char *th_dir(void);
/* True when COMPUTEDB_TEST_DRIVER=postgres: servers started without an
 * explicit file run on a fresh PostgreSQL database of the test server
 * (COMPUTEDB_TEST_PG; the test exits 77, skipped, without one). */
bool th_postgres(void);
/* Makes a fresh database on the PostgreSQL test server (dropped at exit)
 * and writes its URL into url; false when there is no test server or this
 * build has no driver. */
bool th_pg_database(char *url, size_t len);
/* The database the server uses: a file, or a postgres:// URL. */
const char *th_db_path(void);
/* Stops the server and closes the database (safe to call twice). */
void th_stop(void);

/* Sends method path with body (NULL: none) and Content-Type
 * application/json unless ctype says otherwise ("" to send none). Extra
 * headers may be NULL or a NULL-terminated list of "Name: value". */
struct resp th_request(const char *method, const char *path, const char *body,
                       const char *ctype, const char *const *headers);
/* Sends method path body (JSON, signed as th_send) on its own connection
 * from another thread; th_wait() joins it and returns the answer. The
 * strings must outlive the call. */
struct th_async;
struct th_async *th_send_async(const char *method, const char *path,
                               const char *body);
struct resp th_wait(struct th_async *a);
/* Whether the client decodes gzip answers (off by default). */
void th_gzip(bool on);
/* Shorthands with JSON bodies. */
struct resp th_get(const char *path);
/* The value of the unlabelled sample name in GET /metrics (exits the test
 * when it is missing). */
double th_metric(const char *name);
struct resp th_send(const char *method, const char *path, const char *body);
/* The value of response header name (case-insensitive), copied into buf;
 * false when absent. */
bool th_header(const struct resp *r, const char *name, char *buf, size_t len);
void th_resp_free(struct resp *r);

/* Checks that r has status and, for errors, the error JSON with code. */
void th_expect_error(const struct resp *r, long status, const char *code,
                     const char *field);

/* A deterministic valid SS58 hotkey for seed (key bytes derived from it). */
const char *th_hotkey(unsigned seed);

#endif
