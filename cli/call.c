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
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "  --cacert    for an https:// URL, trust only the certificates in FILE "
    "(PEM; the\n              server's cert.pem from `computedb tls "
    "selfsigned`, or its CA);\n              default $COMPUTEDB_CACERT, "
    "else the system's CAs\n"
    "  --insecure  for an https:// URL, do not verify the server's "
    "certificate at all\n              (a warning each time: anyone on the "
    "path can pose as the server)\n"
    "  --cert      for an https:// URL, present this client certificate "
    "(PEM) and send\n              the request unsigned: the certificate is "
    "the principal (a server\n              with --tls-client-ca); with "
    "--key or --wallet it is signed too\n"
    "  --cert-key  the certificate's private key (PEM; default: the --cert "
    "file)\n"
    "  -o, --output FILE  write the answer's bytes to FILE instead of "
    "printing it\n              (a binary answer, such as a backup, is "
    "never printed to a\n              terminal)\n"
    "On a refused signature it prints the server's advice: for "
    "unknown_signer the\nkey's address and the command that admits it, "
    "for bad_signature the line of\nthe signed message that differs.\n"
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
 * after printing why. *scheme is the key's scheme when not NULL. */
static bool sign_request(const struct key_source *ks, const char *key_path,
                         const struct auth_subject *s, struct auth_signed *out,
                         enum auth_scheme *scheme)
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
    if (scheme)
        *scheme = k.scheme;
    if (auth_key_sign(&k, s, clock_unix_ms(), out) != SVC_OK)
        fprintf(stderr, "computedb: cannot sign: check METHOD (upper case), "
                        "TARGET (starts with /, printable ASCII) and the "
                        "audience\n");
    else
        ok = true;
    auth_key_clear(&k);
    return ok;
}

/* METHOD as the protocol signs it: 1 to 16 upper-case letters. */
static bool method_ok(const char *m)
{
    size_t n = strlen(m);

    return n >= 1 && n <= 16 && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static void bad_method(const char *cmd, const char *m)
{
    fprintf(stderr,
            "%s: METHOD must be upper case, as sent: GET, PUT, POST or "
            "DELETE (got '%.32s')\n",
            cmd, m);
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
    if (!method_ok(pos[0])) {
        bad_method("computedb sign", pos[0]);
        return 2;
    }
    if (sodium_init() < 0 || (body_file && !read_file(body_file, &body)))
        goto out;
    s = (struct auth_subject){env_or(aud, "COMPUTEDB_AUDIENCE", "computedb"),
                              pos[0], pos[1], body.p, body.len};
    if (!sign_request(&ks, ks.key, &s, &sig, NULL))
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

/* What one request was and what came back. */
struct exchange {
    const char *server, *url, *method, *output;
    const struct buf *body;
    const struct auth_subject *subject;
    const struct auth_signed *sig;
    enum auth_scheme scheme;
    const char *key_path; /* NULL when signed with a wallet's hotkey */
    const char *cacert;   /* the CAs to trust, NULL: the system's */
    int insecure;         /* no TLS verification at all */
    const char *cert;     /* client certificate, NULL: none */
    const char *cert_key; /* its key, NULL: in cert */
    long status;
    char type[128]; /* the answer's Content-Type, "" when none */
    struct buf answer;
};

/* Whether an answer may be printed to a terminal: JSON or text, with no
 * control bytes but whitespace. */
static bool printable(const struct exchange *x)
{
    const struct buf *b = &x->answer;

    if (x->type[0] && strncmp(x->type, "application/json", 16) != 0 &&
        strncmp(x->type, "text/", 5) != 0)
        return false;
    for (size_t i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->p[i];

        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
            return false;
    }
    return true;
}

/* Writes a 2xx answer to FILE (-o), or prints the answer: indented JSON
 * when it parses, text as it came, binary only when stdout is not a
 * terminal. false after saying why it did not. */
static bool deliver(const struct exchange *x)
{
    const struct buf *b = &x->answer;
    json_t *j;
    FILE *f;

    if (x->output && x->status / 100 == 2) {
        f = fopen(x->output, "wb");
        if (!f || (b->len && fwrite(b->p, 1, b->len, f) != b->len) ||
            fclose(f) != 0) {
            fprintf(stderr, "computedb call: cannot write %s: %s\n", x->output,
                    strerror(errno));
            return false;
        }
        return true;
    }
    if (!printable(x) && isatty(STDOUT_FILENO)) {
        fprintf(stderr,
                "computedb call: the answer is binary (%zu bytes, %s): not "
                "printed to a terminal; use -o FILE\n",
                b->len, x->type[0] ? x->type : "no Content-Type");
        return false;
    }
    j = b->p ? json_loadb(b->p, b->len, JSON_DECODE_ANY, NULL) : NULL;
    if (j) {
        cli_print_json(j);
        json_decref(j);
    } else if (b->len) {
        fwrite(b->p, 1, b->len, stdout);
    }
    return true;
}

/* The request's headers: the signature's (none when sig is NULL), no
 * Expect, and the JSON type when it has a body. */
static struct curl_slist *sig_headers(const struct auth_signed *sig, bool json)
{
    char h[256];
    struct curl_slist *l = NULL;

    if (!sig)
        goto tail;
    snprintf(h, sizeof(h), "BT-Signer: %s", sig->signer);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Timestamp: %s", sig->timestamp);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Nonce: %s", sig->nonce);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "BT-Signature: %s", sig->signature);
    l = curl_slist_append(l, h);
tail:
    l = curl_slist_append(l, "Expect:");
    if (json)
        l = curl_slist_append(l, "Content-Type: application/json");
    return l;
}

/* --cacert replaces every CA the system trusts (file and directory) for
 * this request; --insecure verifies neither the chain nor the name. */
static void set_tls(CURL *c, const struct exchange *x, char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (x->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (x->cacert) {
        curl_easy_setopt(c, CURLOPT_CAINFO, x->cacert);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    if (x->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, x->cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY,
                         x->cert_key ? x->cert_key : x->cert);
    }
}

/* What a refused server certificate was refused for. */
enum cert_problem { CERT_NAME, CERT_DATES, CERT_UNTRUSTED };

/* The problem behind CURLE_PEER_FAILED_VERIFICATION, from
 * CURLINFO_SSL_VERIFYRESULT: GnuTLS's status bits when libcurl is built
 * with GnuTLS, else OpenSSL's X509_V_ERR_* code. libcurl checks the name
 * after the handshake has verified the chain, leaving 0 (GnuTLS) or 1
 * (OpenSSL: !X509_V_OK, the result not read yet) when only the name
 * failed; 62 is OpenSSL's own name check. */
static enum cert_problem cert_problem(long verify)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    if (v->ssl_version && strncmp(v->ssl_version, "GnuTLS", 6) == 0) {
        if (verify == 0)
            return CERT_NAME;
        return verify & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED)
                   ? CERT_DATES
                   : CERT_UNTRUSTED;
    }
    if (verify == 0 || verify == 1 || verify == 62)
        return CERT_NAME;
    /* X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED */
    return verify == 9 || verify == 10 ? CERT_DATES : CERT_UNTRUSTED;
}

/* A refused server certificate, in the user's terms. */
static void say_cert(const struct exchange *x, long verify)
{
    enum cert_problem p = cert_problem(verify);

    if (p == CERT_NAME)
        fputs("computedb call: the server's certificate does not name the "
              "host in --url: use a name it lists (openssl x509 -noout -ext "
              "subjectAltName -in CERT), or make one that does with "
              "`computedb tls selfsigned --host NAME`\n",
              stderr);
    else if (p == CERT_DATES)
        fputs("computedb call: the server's certificate has expired or is "
              "not valid yet: check its dates (openssl x509 -noout -dates) "
              "and this machine's clock\n",
              stderr);
    else if (x->cacert)
        fprintf(stderr,
                "computedb call: the server's certificate is not trusted: "
                "%s (--cacert or $COMPUTEDB_CACERT) did not sign it; give "
                "the server's cert.pem or the CA that signed it\n",
                x->cacert);
    else
        fputs("computedb call: the server's certificate is not trusted: "
              "use --cacert FILE (or $COMPUTEDB_CACERT) with the server's "
              "cert.pem (`computedb tls selfsigned` made it) or the CA that "
              "signed it\n",
              stderr);
}

/* After a transport error: curl's words, then what to do about it. */
static void say_transport(const struct exchange *x, CURLcode cc, long verify,
                          const char *detail)
{
    bool plain = strncmp(x->url, "http://", 7) == 0;

    fprintf(stderr, "computedb call: %s: %s\n", x->url,
            detail[0] ? detail : curl_easy_strerror(cc));
    if (cc == CURLE_PEER_FAILED_VERIFICATION)
        say_cert(x, verify);
    else if (cc == CURLE_SSL_CACERT_BADFILE)
        fprintf(stderr,
                "computedb call: cannot use %s as --cacert: it must be a "
                "readable PEM certificate\n",
                x->cacert ? x->cacert : "the CA file");
    else if (cc == CURLE_SSL_CONNECT_ERROR)
        fputs("computedb call: the TLS handshake failed: does the server "
              "serve HTTPS on that port? (one without --tls-cert needs an "
              "http:// --url)\n",
              stderr);
    else if (plain && (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR))
        fputs("computedb call: the server closed the connection without an "
              "answer: if it serves HTTPS (--tls-cert), use an https:// "
              "--url\n",
              stderr);
    else if (cc == CURLE_COULDNT_CONNECT)
        fprintf(stderr, "computedb call: is `computedb serve` running there? "
                        "--url or $COMPUTEDB_URL names the server\n");
}

/* Performs the request into x; false after printing a transport error. */
static bool perform(struct exchange *x)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = sig_headers(x->sig, x->body->p != NULL);
    const char *type = NULL;
    char detail[CURL_ERROR_SIZE] = "";
    long verify = 0;
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    if (c && hl) {
        set_tls(c, x, detail);
        curl_easy_setopt(c, CURLOPT_URL, x->url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
        curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* the signed target */
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->answer);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
        if (x->body->p) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body->p);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)x->body->len);
        }
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
        if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK &&
            type)
            snprintf(x->type, sizeof(x->type), "%s", type);
        curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify);
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (cc == CURLE_OK)
        return true;
    say_transport(x, cc, verify, detail);
    return false;
}

/* bad_signature: the first line of the message the server verified that
 * differs from the one this client signed. */
static void diff_signed(const struct exchange *x, const char *theirs)
{
    static const char *const names[] = {"format", "audience",     "method",
                                        "target", "body SHA-256", "timestamp",
                                        "nonce",  "signer"};
    char *ours = malloc(AUTH_MSG_MAX);
    const char *a, *b;
    size_t line = 0, la, lb;

    if (!ours || auth_message(x->subject, x->sig->timestamp, x->sig->nonce,
                              x->sig->signer, ours, AUTH_MSG_MAX) != SVC_OK)
        goto out;
    for (a = ours, b = theirs; line < 8; line++, a += la + 1, b += lb + 1) {
        la = strcspn(a, "\n");
        lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            fprintf(stderr,
                    "computedb call: the server verified another %s (line "
                    "%zu of the signed message):\n  signed:   %.*s\n  "
                    "verified: %.*s\n",
                    names[line], line + 1, (int)la, a, (int)lb, b);
            goto out;
        }
        if (!a[la] || !b[lb])
            break;
    }
    fprintf(stderr,
            "computedb call: the server verified the message this client "
            "signed: the key is not the principal's (is the principal's "
            "scheme %s? `computedb principal ls` shows it)\n",
            auth_scheme_name(x->scheme));
out:
    free(ours);
}

/* unknown_signer: who signed, and the command that admits the key. */
static void say_unknown(const struct exchange *x)
{
    fprintf(stderr,
            "computedb call: %s (%s key%s%s) is not a principal of %s.\n"
            "An admin admits it with:\n  computedb principal add --db "
            "DB --role reader%s %s\nor PUT /admin/principals/%s\n",
            x->sig->signer, auth_scheme_name(x->scheme), x->key_path ? " " : "",
            x->key_path ? x->key_path : "", x->url,
            x->scheme == AUTH_SCHEME_SR25519 ? " --scheme sr25519" : "",
            x->sig->signer, x->sig->signer);
}

/* After a 4xx: the server's advice, and what this client can add. */
static void advise(const struct exchange *x)
{
    json_t *j =
        x->answer.p ? json_loadb(x->answer.p, x->answer.len, 0, NULL) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *hint = json_string_value(json_object_get(e, "hint"));
    const char *verified = json_string_value(json_object_get(e, "signed"));

    if (msg && x->status == 401 && strcmp(msg, "unknown_signer") == 0 && x->sig)
        say_unknown(x);
    else if (msg && x->status == 401 && strcmp(msg, "bad_signature") == 0 &&
             verified && x->sig)
        diff_signed(x, verified);
    else if (hint)
        fprintf(stderr, "computedb call: %s\n", hint);
    json_decref(j);
}

/* Sends the request (signed unless x->sig is NULL); returns the exit
 * code. */
static int send_request(struct exchange *x)
{
    int code = 1;

    if (!perform(x))
        goto out;
    if (!deliver(x))
        goto out;
    if (x->status / 100 == 2) {
        code = 0;
        goto out;
    }
    fprintf(stderr, "computedb call: HTTP %ld\n", x->status);
    if (x->status / 100 == 4)
        advise(x);
out:
    buf_free(&x->answer);
    return code;
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

/* The usage checks of call; false after printing the problem. */
static bool call_args_ok(int n, const char **pos, const struct key_source *ks,
                         const struct exchange *x)
{
    if (x->cacert && x->insecure) {
        fprintf(stderr, "computedb call: --cacert or --insecure, not both\n");
        return false;
    }
    if (x->cert_key && !x->cert) {
        fprintf(stderr, "computedb call: --cert-key goes with --cert\n");
        return false;
    }
    if (n != 2 || (ks->key && uses_wallet(ks))) {
        fputs(call_usage, stderr);
        return false;
    }
    if (!method_ok(pos[0])) {
        bad_method("computedb call", pos[0]);
        return false;
    }
    if (pos[1][0] != '/') {
        fprintf(stderr,
                "computedb call: TARGET must start with / (path and query, "
                "e.g. /miners); the server is --url\n");
        return false;
    }
    return true;
}

/* $COMPUTEDB_CACERT when --cacert is not given, and the warning that
 * --insecure earns on every use. */
static void trust_from_env(struct exchange *x)
{
    if (x->insecure) {
        fputs("computedb call: warning: --insecure: the server's certificate "
              "is not verified, so anyone on the network path can pose as "
              "the server and read or change this exchange; use --cacert "
              "FILE\n",
              stderr);
        return;
    }
    x->cacert = env_or(x->cacert, "COMPUTEDB_CACERT", NULL);
}

int cli_call(int argc, char **argv)
{
    struct exchange x = {.answer = {.max = BODY_MAX}};
    struct key_source ks = {0};
    const char *url = NULL, *aud = NULL, *data = NULL, *output = NULL, *pos[2];
    int help = 0, n, code = 1;
    const struct cli_opt opts[] = {{"--key", &ks.key, NULL},
                                   {"--wallet", &ks.wallet, NULL},
                                   {"--hotkey", &ks.hotkey, NULL},
                                   {"--wallet-path", &ks.wallet_path, NULL},
                                   {"--url", &url, NULL},
                                   {"--audience", &aud, NULL},
                                   {"--data", &data, NULL},
                                   {"--output", &output, NULL},
                                   {"-o", &output, NULL},
                                   {"--cacert", &x.cacert, NULL},
                                   {"--insecure", NULL, &x.insecure},
                                   {"--cert", &x.cert, NULL},
                                   {"--cert-key", &x.cert_key, NULL},
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
    if (!call_args_ok(n, pos, &ks, &x))
        return 2;
    trust_from_env(&x);
    url = env_or(url, "COMPUTEDB_URL", "http://127.0.0.1:8080");
    snprintf(full, sizeof(full), "%.*s%s",
             (int)strlen(url) - (url[strlen(url) - 1] == '/'), url, pos[1]);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        !load_body(data, &body))
        goto out;
    s = (struct auth_subject){env_or(aud, "COMPUTEDB_AUDIENCE", "computedb"),
                              pos[0], pos[1], body.p, body.len};
    x.server = url;
    x.url = full;
    x.method = pos[0];
    x.output = output;
    x.body = &body;
    x.subject = &s;
    x.sig = &sig;
    x.key_path = uses_wallet(&ks) ? NULL : cli_key_path(ks.key);
    if (x.cert && !ks.key && !uses_wallet(&ks)) {
        x.sig = NULL; /* the certificate is the principal */
        code = send_request(&x);
    } else if (sign_request(&ks, cli_key_path(ks.key), &s, &sig, &x.scheme))
        code = send_request(&x);
out:
    buf_free(&body);
    return code;
}
