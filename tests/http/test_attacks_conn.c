/* SPDX-License-Identifier: MIT */
/* Connection discipline under attack (issue 13, items 1 and 4):
 * - deadlines that trickled bytes cannot push back: a request head must be
 *   whole within --header-timeout, a body within --body-timeout, and a
 *   kept-alive connection must start its next request within
 *   --conn-timeout, however steadily bytes arrive;
 * - --conn-per-ip: a slowloris from one address holds at most that many
 *   connections, and other clients are served throughout;
 * - strict framing: heads that a proxy in front could read differently
 *   (two Content-Lengths, Content-Length with Transfer-Encoding, a space
 *   before a colon, HTTP/1.1 without Host) get 400 and the connection
 *   closes, so nothing behind them runs as a smuggled request. */
#include "app/config.h"
#include "raw.h"
#include "util.h"

#include <signal.h>

enum { HEAD_S = 1, BODY_S = 2, IDLE_S = 3, PER_IP = 8 };

static void tweak(struct config *cfg)
{
    cfg->header_timeout_s = HEAD_S;
    cfg->body_timeout_s = BODY_S;
    cfg->conn_timeout_s = IDLE_S;
    cfg->conn_per_ip = PER_IP;
}

/* Sends piece every gap_ms until the server closes fd or give_up_s pass;
 * the seconds it took the server to close (give_up_s when it did not). */
static double trickle(int fd, const char *piece, int gap_ms, double give_up_s)
{
    double t0 = check_now_s();

    while (check_now_s() - t0 < give_up_s) {
        if (!send_str(fd, piece) || closed_by_server(fd, gap_ms))
            return check_now_s() - t0;
    }
    return give_up_s;
}

static void expect_closed_in(double took, double limit_s, const char *what)
{
    fprintf(stderr, "%s: closed after %.2f s (deadline %.0f s)\n", what, took,
            limit_s);
    /* Never before the deadline, and within a tick and a loaded machine's
     * slack after it. */
    CHECK(took >= limit_s - 0.2);
    CHECK(took < limit_s + 2.5);
}

/* A header line every 200 ms: the idle timer never fires, the head's
 * deadline does. */
static void test_head_deadline(void)
{
    int fd = dial();

    CHECK(fd >= 0);
    CHECK(send_str(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n"));
    expect_closed_in(trickle(fd, "X-Slow: 1\r\n", 200, 10), HEAD_S,
                     "trickled head");
    close(fd);
    /* A request line that trickles in counts too. */
    fd = dial();
    CHECK(fd >= 0);
    expect_closed_in(trickle(fd, "G", 200, 10), HEAD_S, "trickled line");
    close(fd);
}

/* Headers at once, then a byte of body every 200 ms. */
static void test_body_deadline(void)
{
    int fd = dial();

    CHECK(fd >= 0);
    CHECK(send_str(fd, "PUT /wandb-runs/x HTTP/1.1\r\nHost: t\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n{"));
    expect_closed_in(trickle(fd, " ", 200, 10), BODY_S, "trickled body");
    close(fd);
}

/* A kept-alive connection may stay quiet for longer than the head's
 * deadline (up to --conn-timeout) and still be served; its next request
 * trickling in is held to --conn-timeout from the previous answer. */
static void test_keepalive(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    int fd = dial();
    struct raw r;

    CHECK(fd >= 0);
    CHECK(send_str(fd, req));
    r = read_answer(fd);
    CHECK_INT_EQ(r.status, 200);
    usleep((HEAD_S * 1000 + 800) * 1000);
    CHECK(send_str(fd, req));
    r = read_answer(fd);
    CHECK_INT_EQ(r.status, 200);
    /* Now the next request line arrives a byte at a time: idle deadline. */
    expect_closed_in(trickle(fd, "G", 200, 10), IDLE_S, "trickled next line");
    close(fd);
}

/* 200 connections from 127.0.0.2, each sending a header line every
 * 200 ms: it holds at most --conn-per-ip of them, /healthz from
 * 127.0.0.1 answers at once throughout, and the held ones meet the head's
 * deadline. */
static void test_per_address_slowloris(void)
{
    enum { N = 200 };
    int fds[N], held = 0;
    double t0;

    for (int i = 0; i < N; i++) {
        fds[i] = dial_from("127.0.0.2");
        CHECK(fds[i] >= 0);
        if (!send_str(fds[i], "GET /healthz HTTP/1.1\r\nHost: t\r\n"))
            fds[i] = (close(fds[i]), -1);
    }
    usleep(200 * 1000);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0 && closed_by_server(fds[i], 0))
            fds[i] = (close(fds[i]), -1);
    for (int i = 0; i < N; i++)
        held += fds[i] >= 0;
    fprintf(stderr, "slowloris from one address: %d of %d held\n", held, N);
    CHECK(held <= PER_IP);
    t0 = check_now_s();
    while (check_now_s() - t0 < HEAD_S + 2.5) {
        double probe = check_now_s();

        for (int i = 0; i < N; i++)
            if (fds[i] >= 0 && !send_str(fds[i], "X-Slow: 1\r\n"))
                fds[i] = (close(fds[i]), -1);
        CHECK_INT_EQ(healthz(), 200);
        CHECK(check_now_s() - probe < 1.5);
        usleep(200 * 1000);
    }
    held = 0;
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0) {
            held += !closed_by_server(fds[i], 0);
            close(fds[i]);
        }
    CHECK_INT_EQ(held, 0);
    /* The address is free again once they are gone. */
    fds[0] = dial_from("127.0.0.2");
    CHECK(fds[0] >= 0);
    CHECK(send_str(fds[0], "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    CHECK_INT_EQ(read_answer(fds[0]).status, 200);
    close(fds[0]);
}

/* Each head is answered 400 naming the problem, and the connection closes
 * right after: the request behind it is never answered. */
static void expect_unframed(const char *head, const char *says)
{
    static const char smuggled[] =
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Smuggled: 1\r\n\r\n";
    char *req = tu_strf("%s%s", head, smuggled);
    int fd = dial();
    struct raw r;

    CHECK(fd >= 0);
    (void)send_str(fd, req);
    r = read_answer(fd);
    if (r.status != 400 || !raw_body(&r) || !strstr(raw_body(&r), says))
        fprintf(stderr, "unframed head: %d %s\n", r.status, r.text);
    CHECK_INT_EQ(r.status, 400);
    CHECK(strstr(raw_body(&r), says) != NULL);
    CHECK(strstr(r.text, "Connection: close") != NULL);
    /* Closed, with nothing more said. */
    CHECK(closed_by_server(fd, 2000));
    close(fd);
    free(req);
}

/* How many answers arrive on one connection for the pipeline req, read
 * until the server closes it. */
static int answers_to(const char *req)
{
    char buf[16384];
    size_t len = 0;
    int fd = dial(), n = 0;

    CHECK(fd >= 0);
    CHECK(send_str(fd, req));
    while (len < sizeof(buf) - 1) {
        ssize_t got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

        if (got <= 0)
            break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    close(fd);
    for (const char *p = buf; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
        n++;
    return n;
}

static void test_framing(void)
{
    expect_unframed("POST /wandb-runs HTTP/1.1\r\nHost: t\r\n"
                    "Content-Length: 0\r\nContent-Length: 7\r\n\r\n",
                    "more than one Content-Length");
    expect_unframed("POST /wandb-runs HTTP/1.1\r\nHost: t\r\n"
                    "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
                    "more than one Content-Length");
    expect_unframed("POST /wandb-runs HTTP/1.1\r\nHost: t\r\n"
                    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\n\r\n",
                    "both Content-Length and Transfer-Encoding");
    expect_unframed("POST /wandb-runs HTTP/1.1\r\nHost: t\r\n"
                    "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                    "single chunked");
    expect_unframed("POST /wandb-runs HTTP/1.1\r\nHost: t\r\n"
                    "Content-Length : 52\r\n\r\n",
                    "no space is allowed before the colon");
    expect_unframed("GET /healthz HTTP/1.1\r\n\r\n", "must carry a Host");
    expect_unframed("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                    "more than one Host");
    /* HTTP/1.0 needs no Host; a well-framed HTTP/1.1 pipeline is served
     * in full. */
    CHECK_INT_EQ(exchange("GET /healthz HTTP/1.0\r\n\r\n", 25).status, 200);
    CHECK_INT_EQ(answers_to("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                            "GET /healthz HTTP/1.1\r\nHost: t\r\n"
                            "Connection: close\r\n\r\n"),
                 2);
}

/* The value of computedb_http_connections_expired_total{phase} in body;
 * -1 when the line is missing. */
static long expired_count(const char *body, const char *phase)
{
    char line[128];
    const char *at;

    snprintf(line, sizeof(line),
             "computedb_http_connections_expired_total{phase=\"%s\"} ", phase);
    at = strstr(body, line);
    return at ? strtol(at + strlen(line), NULL, 10) : -1;
}

/* The deadlines are counted where operators look: each phase shut at
 * least once above. */
static void test_metrics(void)
{
    struct resp r = th_get("/metrics");

    CHECK_INT_EQ(r.status, 200);
    CHECK(expired_count(r.body, "head") >= 2);
    CHECK(expired_count(r.body, "body") >= 1);
    CHECK(expired_count(r.body, "idle") >= 1);
    th_resp_free(&r);
}

int main(void)
{
    const char *colon;

    signal(SIGPIPE, SIG_IGN);
    th_start_with(NULL, tweak);
    colon = strrchr(th_base(), ':');
    CHECK(colon != NULL);
    raw_port = (uint16_t)strtoul(colon + 1, NULL, 10);
    test_framing();
    test_head_deadline();
    test_body_deadline();
    test_keepalive();
    test_per_address_slowloris();
    test_metrics();
    expect_alive("every connection attack");
    th_stop();
    return 0;
}
