/* SPDX-License-Identifier: MIT */
/* computedb sign and computedb call: signed requests from the command
 * line (libcurl for call). */
#include "cli.h"
#include "core/auth_msg.h"
#include "core/buf.h"
#include "core/clock.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The cap on a request body and on an answer. */
enum { BODY_MAX = 64 * 1024 * 1024 };

static const char sign_usage[] =
    "usage: computedb sign (--key FILE | --wallet W [--hotkey H] "
    "[--wallet-path DIR])\n                      [--audience A] METHOD "
    "TARGET [--body-file F]\n\n"
    "Prints the four signature headers as curl arguments, e.g.\n"
    "  curl $(computedb sign --key data/admin.key GET /miners) "
    "http://127.0.0.1:8080/miners\n"
    "Send the body byte for byte (curl --data-binary @F), and TARGET exactly "
    "as in\nthe URL (path and query). The signature is valid for the "
    "server's time window\n(30 s by default) and for one request.\n"
    "The key: a computedb key file (ed25519), a Bittensor hotkey file "
    "(sr25519),\nor a wallet's hotkey: --wallet NAME --hotkey NAME "
    "(default: default) in\n--wallet-path (default ~/.bittensor/wallets), "
    "as btcli names them.\n";

static const char call_usage[] =
    "usage: computedb call [--key FILE] [--url URL] [--audience A] METHOD "
    "TARGET\n                      [--data JSON|@file]\n\n"
    "Signs and sends one request, prints the JSON answer indented, and exits "
    "0 on\n2xx, 1 on an HTTP or network error, 2 on a usage error.\n"
    "  --key       key file (default $COMPUTEDB_KEY, else data/admin.key): "
    "a computedb\n              key (ed25519) or a Bittensor hotkey file "
    "(sr25519)\n"
    "  --wallet    sign with this Bittensor wallet's hotkey instead: "
    "--hotkey NAME\n              (default default), --wallet-path DIR "
    "(default ~/.bittensor/wallets)\n"
    "  --url       server (default $COMPUTEDB_URL, else "
    "http://127.0.0.1:8080)\n"
    "  --audience  audience the server expects (default $COMPUTEDB_AUDIENCE, "
    "else computedb)\n"
    "  --data      request body, or @file to send a file's bytes\n"
    "Example: computedb call GET /miners\n";

/* Reads all of path (or stdin for "-") into b (capped at BODY_MAX; b->p
 * stays NULL for an empty file); false with a message. */
static bool read_file(const char *path, struct buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char chunk[65536];
    size_t n;
    enum svc_rc rc = SVC_OK;

    if (!f) {
        fprintf(stderr, "computedb: cannot open %s: %s\n", path,
                strerror(errno));
        return false;
    }
    while (rc == SVC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(b, chunk, n);
    if (f != stdin)
        fclose(f);
    if (rc == SVC_ERR_TOO_LARGE)
        fprintf(stderr, "computedb: %s is too large\n", path);
    else if (rc != SVC_OK)
        fprintf(stderr, "computedb: out of memory reading %s\n", path);
    return rc == SVC_OK;
}

static const char *env_or(const char *flag, const char *env, const char *def)
{
    const char *v = getenv(env);

    return flag ? flag : (v && *v ? v : def);
}

/* Where the signing key comes from: --key, or a wallet's hotkey. */
struct key_source {
    const char *key, *wallet, *hotkey, *wallet_path;
};

static bool uses_wallet(const struct key_source *ks)
{
    return ks->wallet || ks->hotkey || ks->wallet_path;
}

/* Loads the key (key_path, or the wallet's hotkey file) and signs; false
 * after printing why. */
static bool sign_request(const struct key_source *ks, const char *key_path,
                         const struct auth_subject *s, struct auth_signed *out)
{
    char path[4096];
    struct auth_key k;
    bool ok = false;

    if (uses_wallet(ks) && !cli_wallet_file(ks->wallet_path, ks->wallet,
                                            ks->hotkey, path, sizeof(path))) {
        fprintf(stderr, "computedb: the wallet path is too long\n");
        return false;
    }
    if (!cli_key_open(uses_wallet(ks) ? path : key_path, &k))
        return false;
    if (auth_key_sign(&k, s, clock_unix_ms(), out) != SVC_OK)
        fprintf(stderr, "computedb: cannot sign: check METHOD (upper case), "
                        "TARGET (starts with /, printable ASCII) and the "
                        "audience\n");
    else
        ok = true;
    auth_key_clear(&k);
    return ok;
}

int cli_sign(int argc, char **argv)
{
    struct key_source ks = {0};
    const char *aud = NULL, *body_file = NULL, *pos[2];
    int help = 0, n;
    const struct cli_opt opts[] = {{"--key", &ks.key, NULL},
                                   {"--wallet", &ks.wallet, NULL},
                                   {"--hotkey", &ks.hotkey, NULL},
                                   {"--wallet-path", &ks.wallet_path, NULL},
                                   {"--audience", &aud, NULL},
                                   {"--body-file", &body_file, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    struct buf body = {.max = BODY_MAX};
    struct auth_subject s;
    struct auth_signed sig;
    int code = 1;

    n = cli_parse("computedb sign", argc, argv, opts, pos, 2);
    if (help) {
        fputs(sign_usage, stdout);
        return 0;
    }
    if (n != 2 || (!ks.key == !uses_wallet(&ks))) {
        fputs(sign_usage, stderr);
        return 2;
    }
    if (sodium_init() < 0 || (body_file && !read_file(body_file, &body)))
        goto out;
    s = (struct auth_subject){env_or(aud, "COMPUTEDB_AUDIENCE", "computedb"),
                              pos[0], pos[1], body.p, body.len};
    if (!sign_request(&ks, ks.key, &s, &sig))
        goto out;
    printf("-H BT-Signer:%s -H BT-Timestamp:%s -H BT-Nonce:%s "
           "-H BT-Signature:%s\n",
           sig.signer, sig.timestamp, sig.nonce, sig.signature);
    code = 0;
out:
    buf_free(&body);
    return code;
}

/* libcurl's write callback: the answer, capped at BODY_MAX (0 stops the
 * transfer). */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    size_t len = size * n;

    return buf_append(ctx, data, len) == SVC_OK ? len : 0;
}

/* Prints the answer: indented JSON when it parses, else as it came. */
static void print_answer(const struct buf *b)
{
    json_t *j = b->p ? json_loadb(b->p, b->len, JSON_DECODE_ANY, NULL) : NULL;

    if (j) {
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        fputc('\n', stdout);
        json_decref(j);
    } else if (b->len) {
        fwrite(b->p, 1, b->len, stdout);
    }
}

static struct curl_slist *sig_headers(const struct auth_signed *sig, bool json)
{
    char h[256];
    struct curl_slist *l = NULL;

    snprintf(h, sizeof(h), "BT-Signer: %s", sig->signer);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Timestamp: %s", sig->timestamp);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Nonce: %s", sig->nonce);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Signature: %s", sig->signature);
    l = curl_slist_append(l, h);
    l = curl_slist_append(l, "Expect:");
    if (json)
        l = curl_slist_append(l, "Content-Type: application/json");
    return l;
}

/* Sends the signed request; returns the exit code. */
static int send_signed(const char *url, const char *method,
                       const struct buf *body, const struct auth_signed *sig)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = sig_headers(sig, body->p != NULL);
    struct buf answer = {.max = BODY_MAX};
    long status = 0;
    CURLcode cc;

    if (!c)
        return 1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* the signed target */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (body->p) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK) {
        fprintf(stderr, "computedb call: %s: %s\n", url,
                curl_easy_strerror(cc));
        buf_free(&answer);
        return 1;
    }
    print_answer(&answer);
    buf_free(&answer);
    if (status / 100 == 2)
        return 0;
    fprintf(stderr, "computedb call: HTTP %ld\n", status);
    return 1;
}

static bool load_body(const char *data, struct buf *body)
{
    if (!data)
        return true;
    if (data[0] == '@')
        return read_file(data + 1, body);
    /* Even --data "" makes a body (p not NULL): it is sent as JSON. */
    return buf_append(body, data, strlen(data)) == SVC_OK;
}

int cli_call(int argc, char **argv)
{
    struct key_source ks = {0};
    const char *url = NULL, *aud = NULL, *data = NULL, *pos[2];
    int help = 0, n, code = 1;
    const struct cli_opt opts[] = {{"--key", &ks.key, NULL},
                                   {"--wallet", &ks.wallet, NULL},
                                   {"--hotkey", &ks.hotkey, NULL},
                                   {"--wallet-path", &ks.wallet_path, NULL},
                                   {"--url", &url, NULL},
                                   {"--audience", &aud, NULL},
                                   {"--data", &data, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    struct buf body = {.max = BODY_MAX};
    struct auth_subject s;
    struct auth_signed sig;
    char full[8192];

    n = cli_parse("computedb call", argc, argv, opts, pos, 2);
    if (help) {
        fputs(call_usage, stdout);
        return 0;
    }
    if (n != 2 || pos[1][0] != '/' || (ks.key && uses_wallet(&ks))) {
        fputs(call_usage, stderr);
        return 2;
    }
    url = env_or(url, "COMPUTEDB_URL", "http://127.0.0.1:8080");
    snprintf(full, sizeof(full), "%.*s%s",
             (int)strlen(url) - (url[strlen(url) - 1] == '/'), url, pos[1]);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        !load_body(data, &body))
        goto out;
    s = (struct auth_subject){env_or(aud, "COMPUTEDB_AUDIENCE", "computedb"),
                              pos[0], pos[1], body.p, body.len};
    if (sign_request(&ks, cli_key_path(ks.key), &s, &sig))
        code = send_signed(full, pos[0], &body, &sig);
out:
    buf_free(&body);
    return code;
}
