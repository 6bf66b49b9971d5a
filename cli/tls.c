/* SPDX-License-Identifier: MIT */
/* computedb tls selfsigned: a private key and a self-signed certificate for
 * a first HTTPS setup, made with GnuTLS's x509 API, and the fingerprints a
 * client pins. */
#include "cli.h"

#include <sodium.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* At most HOSTS_MAX names in one certificate, each a DNS name of at most
 * NAME_MAX_LEN characters or an IP address; a longer validity than
 * DAYS_MAX is refused by Apple clients even for a certificate the user
 * trusts. */
enum { HOSTS_MAX = 16, NAME_MAX_LEN = 253, DAYS_MAX = 825 };

static const char usage[] =
    "usage: computedb tls selfsigned --out DIR [--host NAME ...] [--days "
    "N]\n\n"
    "Makes DIR/key.pem (an ECDSA P-256 private key, mode 0600) and "
    "DIR/cert.pem (a\ncertificate it signs itself) for `computedb serve "
    "--tls-cert DIR/cert.pem\n--tls-key DIR/key.pem`. DIR is created (0700) "
    "when missing; existing files are\nnever replaced.\n"
    "  --host  a DNS name or IP address the server is reached by; repeat "
    "for more\n          (default: localhost, 127.0.0.1, ::1 and this "
    "machine's host name)\n"
    "  --days  how long the certificate is valid (default 365, at most "
    "825, the\n          longest Apple devices accept)\n"
    "Prints the certificate's SHA-256 fingerprint (as browsers and `openssl "
    "x509\n-fingerprint -sha256` show it) and its public key pin (curl "
    "--pinnedpubkey).\nClients trust the certificate with `computedb call "
    "--cacert DIR/cert.pem`,\n`curl --cacert DIR/cert.pem` or by importing "
    "cert.pem; copy cert.pem to them,\nnever key.pem.\n";

/* What the certificate is for. */
struct cert_spec {
    const char *host[HOSTS_MAX];
    size_t n_host;
    long days;
    char hostname[256]; /* this machine's, when a default name */
};

/* A DNS name: letters, digits, '-' and '.', optionally after "*.". */
static bool dns_name_ok(const char *s)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
    size_t n;

    if (strncmp(s, "*.", 2) == 0)
        s += 2;
    n = strlen(s);
    return n >= 1 && n <= NAME_MAX_LEN && strspn(s, chars) == n &&
           s[0] != '.' && s[0] != '-' && !strstr(s, "..");
}

/* The IP address in s, when it is one: 4 or 16 bytes into ip, else 0. */
static unsigned ip_bytes(const char *s, unsigned char ip[16])
{
    if (inet_pton(AF_INET, s, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, ip) == 1)
        return 16;
    return 0;
}

static bool add_host(struct cert_spec *spec, const char *h)
{
    unsigned char ip[16];

    if (!ip_bytes(h, ip) && !dns_name_ok(h)) {
        fprintf(stderr,
                "computedb tls: --host '%.64s' is neither a DNS name nor an "
                "IP address\n",
                h);
        return false;
    }
    if (spec->n_host == HOSTS_MAX) {
        fprintf(stderr, "computedb tls: at most %d --host names\n", HOSTS_MAX);
        return false;
    }
    spec->host[spec->n_host++] = h;
    return true;
}

/* Moves every --host NAME (or --host=NAME) of argv into spec and the other
 * arguments into rest (argc entries); the count of rest, or -1 after
 * printing the problem. cli_parse keeps one value an option, so the
 * repeated --host is taken out first. */
static int take_hosts(int argc, char **argv, struct cert_spec *spec,
                      char **rest)
{
    int n = 0;

    for (int i = 0; i < argc; i++) {
        const char *h = NULL;

        if (strncmp(argv[i], "--host=", 7) == 0)
            h = argv[i] + 7;
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            h = argv[++i];
        else if (strcmp(argv[i], "--host") == 0)
            h = "";
        if (!h)
            rest[n++] = argv[i];
        else if (!add_host(spec, h))
            return -1;
    }
    return n;
}

/* The names when no --host is given: the loopback ones and this machine's
 * host name (when it has a usable one). */
static void default_hosts(struct cert_spec *spec)
{
    static const char *const loopback[] = {"localhost", "127.0.0.1", "::1"};

    for (size_t i = 0; i < 3; i++)
        spec->host[spec->n_host++] = loopback[i];
    if (gethostname(spec->hostname, sizeof(spec->hostname) - 1) == 0 &&
        dns_name_ok(spec->hostname) && strcmp(spec->hostname, "localhost"))
        spec->host[spec->n_host++] = spec->hostname;
}

/* --days as a number of days, 1 to DAYS_MAX; false after saying why. */
static bool parse_days(const char *s, long *days)
{
    char *end = NULL;
    long v;

    if (!s)
        return true;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > DAYS_MAX) {
        fprintf(stderr, "computedb tls: --days must be 1 to %d\n", DAYS_MAX);
        return false;
    }
    *days = v;
    return true;
}

/* The subjectAltName entries: an IP address entry for an address, a DNS
 * entry for a name. A GnuTLS code. */
static int set_names(gnutls_x509_crt_t crt, const struct cert_spec *spec)
{
    int r = 0;

    for (size_t i = 0; i < spec->n_host && r >= 0; i++) {
        unsigned char ip[16];
        unsigned n = ip_bytes(spec->host[i], ip);

        if (n)
            r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
                                                     ip, n, GNUTLS_FSAN_APPEND);
        else
            r = gnutls_x509_crt_set_subject_alt_name(
                crt, GNUTLS_SAN_DNSNAME, spec->host[i],
                (unsigned)strlen(spec->host[i]), GNUTLS_FSAN_APPEND);
    }
    return r;
}

/* The common name: the first DNS name (clients match the
 * subjectAltName, but tools show this). */
static const char *common_name(const struct cert_spec *spec)
{
    unsigned char ip[16];

    for (size_t i = 0; i < spec->n_host; i++)
        if (!ip_bytes(spec->host[i], ip))
            return spec->host[i];
    return spec->host[0];
}

/* A random positive 128-bit serial number, as RFC 5280 asks. */
static int set_serial(gnutls_x509_crt_t crt)
{
    unsigned char serial[16];

    randombytes_buf(serial, sizeof(serial));
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
    return gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
}

/* Subject and issuer key identifiers: both the key's, as it signs itself.
 * A GnuTLS code. */
static int set_key_ids(gnutls_x509_crt_t crt)
{
    unsigned char id[64];
    size_t len = sizeof(id);
    int r = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id, &len);

    if (r >= 0)
        r = gnutls_x509_crt_set_subject_key_id(crt, id, len);
    if (r >= 0)
        r = gnutls_x509_crt_set_authority_key_id(crt, id, len);
    return r;
}

/* Fills crt for a TLS server certificate of key (v3, not a CA, digital
 * signature, serverAuth), valid from five minutes ago (clock skew) for
 * spec->days days, and signs it with key. A GnuTLS code. */
static int make_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
                     const struct cert_spec *spec)
{
    const char *cn = common_name(spec);
    time_t from = time(NULL) - 300;
    int r = gnutls_x509_crt_set_version(crt, 3);

    if (r >= 0)
        r = set_serial(crt);
    if (r >= 0)
        r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                          cn, (unsigned)strlen(cn));
    if (r >= 0)
        r = gnutls_x509_crt_set_activation_time(crt, from);
    if (r >= 0)
        r = gnutls_x509_crt_set_expiration_time(crt,
                                                from + spec->days * 86400L);
    if (r >= 0)
        r = gnutls_x509_crt_set_key(crt, key);
    if (r >= 0)
        r = set_names(crt, spec);
    if (r >= 0)
        r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (r >= 0)
        r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (r >= 0)
        r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
                                                0);
    if (r >= 0)
        r = set_key_ids(crt);
    if (r >= 0)
        r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    return r;
}

/* The two files, opened new (O_EXCL) before anything is written. */
struct out_files {
    char key[4096], cert[4096];
    int key_fd, cert_fd;
};

/* Closes and removes the files this run created (fd >= 0). */
static void discard_outputs(struct out_files *o)
{
    if (o->key_fd >= 0) {
        close(o->key_fd);
        unlink(o->key);
    }
    if (o->cert_fd >= 0) {
        close(o->cert_fd);
        unlink(o->cert);
    }
    o->key_fd = o->cert_fd = -1;
}

/* Creates DIR (0700) when missing and opens DIR/key.pem (0600) and
 * DIR/cert.pem (0644), neither over an existing file; false after saying
 * why, with nothing left behind. */
static bool open_outputs(const char *dir, struct out_files *o)
{
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    const char *failed = o->key;

    o->key_fd = o->cert_fd = -1;
    if ((size_t)snprintf(o->key, sizeof(o->key), "%s/key.pem", dir) >=
            sizeof(o->key) ||
        (size_t)snprintf(o->cert, sizeof(o->cert), "%s/cert.pem", dir) >=
            sizeof(o->cert)) {
        fprintf(stderr, "computedb tls: --out is too long\n");
        return false;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        failed = dir;
    } else if ((o->key_fd = open(o->key, flags, 0600)) >= 0) {
        failed = o->cert;
        o->cert_fd = open(o->cert, flags, 0644);
    }
    if (o->key_fd >= 0 && o->cert_fd >= 0)
        return true;
    fprintf(stderr, "computedb tls: cannot create %s: %s\n", failed,
            errno == EEXIST ? "it exists (a key or certificate is never "
                              "replaced; choose another --out)"
                            : strerror(errno));
    discard_outputs(o);
    return false;
}

static bool write_all(int fd, const gnutls_datum_t *d)
{
    return write(fd, d->data, d->size) == (ssize_t)d->size && fsync(fd) == 0;
}

/* Writes the PEM texts into the opened files and closes them; on a failed
 * write both files are removed. */
static bool write_outputs(struct out_files *o, const gnutls_datum_t *key_pem,
                          const gnutls_datum_t *cert_pem)
{
    if (!write_all(o->key_fd, key_pem) || !write_all(o->cert_fd, cert_pem)) {
        fprintf(stderr, "computedb tls: cannot write %s or %s: %s\n", o->key,
                o->cert, strerror(errno));
        discard_outputs(o);
        return false;
    }
    close(o->key_fd);
    close(o->cert_fd);
    o->key_fd = o->cert_fd = -1;
    return true;
}

/* "AA:BB:..." of the SHA-256 of the certificate (DER), as browsers and
 * openssl show it, into out (96 bytes). A GnuTLS code. */
static int cert_fingerprint(gnutls_x509_crt_t crt, char out[96])
{
    unsigned char md[32];
    size_t len = sizeof(md);
    int r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &len);

    for (size_t i = 0; r >= 0 && i < len; i++)
        snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < len ? ":" : "");
    return r;
}

/* "sha256//BASE64" of the SHA-256 of the SubjectPublicKeyInfo (DER), the
 * form of curl --pinnedpubkey and HPKP, into out (64 bytes). A GnuTLS
 * code. */
static int key_pin(gnutls_x509_crt_t crt, char out[64])
{
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t spki = {NULL, 0};
    unsigned char md[crypto_hash_sha256_BYTES];
    int r = gnutls_pubkey_init(&pub);

    if (r >= 0)
        r = gnutls_pubkey_import_x509(pub, crt, 0);
    if (r >= 0)
        r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki);
    if (r >= 0) {
        crypto_hash_sha256(md, spki.data, spki.size);
        memcpy(out, "sha256//", 8);
        sodium_bin2base64(out + 8, 64 - 8, md, sizeof(md),
                          sodium_base64_VARIANT_ORIGINAL);
    }
    gnutls_free(spki.data);
    gnutls_pubkey_deinit(pub);
    return r;
}

/* The URL a client on this machine would use: the first name, IPv6 in
 * brackets. */
static void example_url(const struct cert_spec *spec, char *url, size_t len)
{
    const char *h = spec->host[0];

    snprintf(url, len, strchr(h, ':') ? "https://[%s]:8080" : "https://%s:8080",
             h);
}

/* What was made and what to run next, on stdout. */
static int report(const struct out_files *o, const struct cert_spec *spec,
                  gnutls_x509_crt_t crt)
{
    char fp[96], pin[64], url[300];

    if (cert_fingerprint(crt, fp) < 0 || key_pin(crt, pin) < 0)
        return 1;
    example_url(spec, url, sizeof(url));
    printf("wrote %s (private key, mode 0600) and %s (certificate, valid "
           "%ld days)\nnames:",
           o->key, o->cert, spec->days);
    for (size_t i = 0; i < spec->n_host; i++)
        printf("%s %s", i ? "," : "", spec->host[i]);
    printf("\nSHA-256 certificate fingerprint (browsers, openssl x509 "
           "-fingerprint -sha256):\n  %s\n"
           "public key pin (curl --pinnedpubkey):\n  %s\n\nnext:\n"
           "  computedb serve --tls-cert %s --tls-key %s\n"
           "  computedb call --url %s --cacert %s GET /miners\n"
           "  curl --cacert %s %s/healthz\n",
           fp, pin, o->cert, o->key, url, o->cert, o->cert, url);
    return 0;
}

/* Exports key (PKCS #8, unencrypted) and crt as PEM into the files. A
 * GnuTLS code, or 1 when a file could not be written. */
static int export_pems(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt,
                       struct out_files *o)
{
    gnutls_datum_t key_pem = {NULL, 0}, cert_pem = {NULL, 0};
    int r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                              GNUTLS_PKCS_PLAIN, &key_pem);

    if (r >= 0)
        r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem);
    if (r >= 0 && !write_outputs(o, &key_pem, &cert_pem))
        r = 1;
    if (key_pem.data)
        sodium_memzero(key_pem.data, key_pem.size);
    gnutls_free(key_pem.data);
    gnutls_free(cert_pem.data);
    return r;
}

/* Makes the key and certificate into the opened files; the exit code. */
static int selfsigned(const struct cert_spec *spec, struct out_files *o)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    int r = gnutls_x509_privkey_init(&key), code = 1;

    if (r >= 0)
        r = gnutls_x509_privkey_generate(
            key, GNUTLS_PK_ECDSA,
            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (r >= 0)
        r = gnutls_x509_crt_init(&crt);
    if (r >= 0)
        r = make_cert(crt, key, spec);
    if (r >= 0)
        r = export_pems(key, crt, o);
    if (r < 0) {
        fprintf(stderr, "computedb tls: %s\n", gnutls_strerror(r));
        discard_outputs(o);
    }
    if (r == 0)
        code = report(o, spec, crt);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return code;
}

static int selfsigned_cmd(int argc, char **argv)
{
    struct cert_spec spec = {.days = 365};
    struct out_files o = {.key_fd = -1, .cert_fd = -1};
    const char *dir = NULL, *days = NULL;
    int help = 0, n, code = 2;
    const struct cli_opt opts[] = {{"--out", &dir, NULL},
                                   {"--days", &days, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));

    if (!rest)
        return 1;
    n = take_hosts(argc, argv, &spec, rest);
    if (n >= 0)
        n = cli_parse("computedb tls selfsigned", n, rest, opts, NULL, 0);
    if (help) {
        fputs(usage, stdout);
        code = 0;
    } else if (n < 0 || !dir || !*dir) {
        fputs(usage, stderr);
    } else if (parse_days(days, &spec.days)) {
        if (!spec.n_host)
            default_hosts(&spec);
        code = sodium_init() >= 0 && open_outputs(dir, &o)
                   ? selfsigned(&spec, &o)
                   : 1;
    }
    free(rest);
    return code;
}

int cli_tls(int argc, char **argv)
{
    return cli_subcommand(argc, argv, "selfsigned", selfsigned_cmd, usage);
}
