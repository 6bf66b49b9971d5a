/* SPDX-License-Identifier: MIT */
/* Raw sockets for the attack tests: requests of arbitrary bytes, answers
 * read off the wire, connections from other loopback addresses. Set
 * raw_port to the server's port first. Header-only, static inline. */
#ifndef TESTS_HTTP_RAW_H
#define TESTS_HTTP_RAW_H

#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static uint16_t raw_port;

/* A blocking TCP connection to the server from the loopback address from
 * (e.g. "127.0.0.2", another client as far as the server can tell; NULL
 * for the default) with 10 s send/receive timeouts; -1 when it cannot
 * connect. */
static inline int dial_from(const char *from)
{
    struct sockaddr_in sa = {0}, src = {0};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    CHECK(fd >= 0);
    if (from) {
        src.sin_family = AF_INET;
        CHECK(inet_pton(AF_INET, from, &src.sin_addr) == 1);
        CHECK(bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0);
    }
    sa.sin_family = AF_INET;
    sa.sin_port = htons(raw_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int dial(void)
{
    return dial_from(NULL);
}

/* Sends all of p; false when the server closed or reset the connection. */
static inline bool send_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static inline bool send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

/* An answer read off a raw connection (copied around by value, so the
 * body is an offset into text, not a pointer). */
struct raw {
    int status; /* 0: closed without an answer; -1: timed out */
    char text[8192];
    size_t body_at; /* where the body starts in text; 0 when no headers */
};

/* The body of r, or NULL when no header block arrived. */
static inline const char *raw_body(const struct raw *r)
{
    return r->body_at ? r->text + r->body_at : NULL;
}

/* Reads one answer: headers, then the body by Content-Length (what fits). */
static inline struct raw read_answer(int fd)
{
    struct raw r = {0, "", 0};
    size_t len = 0, want = 0;
    char *end = NULL;

    while (len < sizeof(r.text) - 1) {
        ssize_t n = recv(fd, r.text + len, sizeof(r.text) - 1 - len, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            r.status = len ? r.status : -1;
            break;
        }
        if (n <= 0)
            break;
        len += (size_t)n;
        r.text[len] = '\0';
        if (!end && (end = strstr(r.text, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(r.text, "Content-Length: ");

            want = (size_t)(end + 4 - r.text) +
                   (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (end && len >= want)
            break;
    }
    if (strncmp(r.text, "HTTP/1.", 7) == 0 && len >= 12)
        r.status = (int)strtol(r.text + 9, NULL, 10);
    if (end)
        r.body_at = (size_t)(end + 4 - r.text);
    return r;
}

/* One request of raw bytes on a new connection; the answer. */
static inline struct raw exchange(const void *req, size_t len)
{
    int fd = dial();
    struct raw r;

    CHECK(fd >= 0);
    /* The server may answer and hang up before it has read everything:
     * whether or not the send completes, read what it said. */
    (void)send_all(fd, req, len);
    r = read_answer(fd);
    close(fd);
    return r;
}

/* GET /healthz on a new connection; its status (0 or -1 when none). */
static inline int healthz(void)
{
    static const char req[] =
        "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    int fd = dial();
    struct raw r;

    if (fd < 0)
        return 0;
    r = send_str(fd, req) ? read_answer(fd) : (struct raw){0, "", 0};
    close(fd);
    return r.status;
}

static inline void expect_alive(const char *after)
{
    int status = healthz();

    if (status != 200)
        fprintf(stderr, "/healthz answered %d after %s\n", status, after);
    CHECK_INT_EQ(status, 200);
}

/* Whether the server closed fd (EOF or reset) within wait_ms. */
static inline bool closed_by_server(int fd, int wait_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char c;

    if (poll(&p, 1, wait_ms) <= 0)
        return false;
    return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

#endif
