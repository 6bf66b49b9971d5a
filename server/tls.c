/* SPDX-License-Identifier: MIT */
/* The server's certificate and key (GnuTLS), their reload, and the
 * outcome of each handshake.
 *
 * DESIGN: a loaded chain and key is a struct tls_cred, refcounted. The
 * store holds one reference to the current credential, under its lock; a
 * handshake that needs a certificate takes a reference of the current one
 * (tls_cert_retrieve) and keeps it in its session's struct tls_conn until
 * the connection closes (tls_session_end), because GnuTLS keeps pointing
 * at the chain for the life of the session. A reload builds and checks a
 * new credential outside the lock, then swaps it in and drops the store's
 * reference to the old one: connections that began before go on with the
 * old certificate, new handshakes get the new one, and the old one is
 * freed by whichever of its last holders lets go. The client CA
 * (--tls-client-ca) belongs to the credential too, so a connection's
 * client certificate is judged by the CA of its own handshake, and a
 * reload swaps both at once. Each session's state is touched only by the
 * HTTP thread that owns its connection. */
#include "tls.h"

#include "core/log.h"
#include "metrics.h"

#include <errno.h>
#include <gnutls/x509.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* AES-128-GCM first: as strong as needed, and its SHA-256 transcript hash
 * costs less per handshake than AES-256-GCM's SHA-384. */
const char tls_priorities[] =
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"
    "+CHACHA20-POLY1305:+AES-256-GCM:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
    "%SERVER_PRECEDENCE";

enum { MAX_CHAIN = 8, FP_LEN = 3 * 32 };

struct tls_cred {
    atomic_uint refs;
    gnutls_pcert_st chain[MAX_CHAIN];
    unsigned n_chain;
    gnutls_privkey_t key;
    gnutls_x509_trust_list_t client_ca; /* NULL: no client certificates */
    char fingerprint[FP_LEN];           /* SHA-256 of the leaf, "AB:CD:..." */
};

struct tls_store {
    pthread_mutex_t lock;
    struct tls_cred *cur; /* one reference held here */
    bool client_auth;     /* handshakes ask for a client certificate */
};

/* One TLS connection: what its handshake showed and the credential it
 * was given. */
struct tls_conn {
    struct tls_store *store;
    struct tls_cred *cred; /* NULL until the handshake asks for it */
    unsigned max_version;  /* highest the ClientHello offered, 0x0303 = 1.2 */
    bool hello;            /* a ClientHello arrived */
    bool done;             /* the handshake completed */
    bool peer_known;       /* peer, peer_id and peer_why are set */
    enum tls_peer peer;
    const char *peer_why;
    char peer_id[CERT_ID_LEN + 1];
};

static void cred_unref(struct tls_cred *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    for (unsigned i = 0; i < c->n_chain; i++)
        gnutls_pcert_deinit(&c->chain[i]);
    gnutls_privkey_deinit(c->key);
    if (c->client_ca)
        gnutls_x509_trust_list_deinit(c->client_ca, 1);
    free(c);
}

/* Imports a PEM file's text into c; returns a GnuTLS error code. */
typedef int import_fn(struct tls_cred *c, const gnutls_datum_t *pem);

static int import_chain(struct tls_cred *c, const gnutls_datum_t *pem)
{
    int err;

    c->n_chain = MAX_CHAIN;
    err = gnutls_pcert_list_import_x509_raw(c->chain, &c->n_chain, pem,
                                            GNUTLS_X509_FMT_PEM, 0);
    if (err >= 0 && c->n_chain == 0)
        err = GNUTLS_E_NO_CERTIFICATE_FOUND;
    if (err < 0)
        c->n_chain = 0;
    return err;
}

static int import_key(struct tls_cred *c, const gnutls_datum_t *pem)
{
    int err = gnutls_privkey_init(&c->key);

    return err < 0 ? err
                   : gnutls_privkey_import_x509_raw(
                         c->key, pem, GNUTLS_X509_FMT_PEM, NULL, 0);
}

static int import_client_ca(struct tls_cred *c, const gnutls_datum_t *pem)
{
    int err = gnutls_x509_trust_list_init(&c->client_ca, 0);

    if (err < 0)
        return err;
    err = gnutls_x509_trust_list_add_trust_mem(c->client_ca, pem, NULL,
                                               GNUTLS_X509_FMT_PEM, 0, 0);
    return err == 0 ? GNUTLS_E_NO_CERTIFICATE_FOUND : err;
}

/* One of the files: its flag, what it must hold, how it is read. */
struct pem_kind {
    const char *flag, *want;
    import_fn *import;
};

static const struct pem_kind chain_kind = {
    "--tls-cert",
    "a PEM certificate chain (\"-----BEGIN CERTIFICATE-----\", leaf first, "
    "at most 8)",
    import_chain};
static const struct pem_kind key_kind = {
    "--tls-key", "an unencrypted PEM private key", import_key};
static const struct pem_kind client_ca_kind = {
    "--tls-client-ca", "PEM CA certificates (\"-----BEGIN CERTIFICATE-----\")",
    import_client_ca};

/* Reads the file at path into c as k says, or writes why not (naming the
 * flag and the file) into why. */
static enum svc_rc load_pem(struct tls_cred *c, const struct pem_kind *k,
                            const char *path, char *why, size_t len)
{
    gnutls_datum_t d = {NULL, 0};
    int err;

    if (gnutls_load_file(path, &d) != 0) {
        snprintf(why, len, "%s %s: %s", k->flag, path,
                 access(path, R_OK) == 0 ? "cannot be read" : strerror(errno));
        return SVC_ERR_INVALID;
    }
    err = k->import(c, &d);
    gnutls_free(d.data);
    if (err >= 0)
        return SVC_OK;
    snprintf(why, len, "%s %s: not %s: %s", k->flag, path, k->want,
             gnutls_strerror(err));
    return SVC_ERR_INVALID;
}

/* Whether the key's public half is the leaf certificate's. */
static bool key_matches(const struct tls_cred *c)
{
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
    bool same = false;

    if (gnutls_pubkey_init(&pub) == 0 &&
        gnutls_pubkey_import_privkey(pub, c->key, 0, 0) == 0 &&
        gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) == 0 &&
        gnutls_pubkey_export2(c->chain[0].pubkey, GNUTLS_X509_FMT_DER, &b) == 0)
        same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
    gnutls_free(a.data);
    gnutls_free(b.data);
    gnutls_pubkey_deinit(pub);
    return same;
}

/* The leaf's fingerprint into c, and a warning when it is out of date. */
static void inspect_leaf(struct tls_cred *c, const char *path)
{
    gnutls_x509_crt_t crt = NULL;
    unsigned char md[32];
    size_t md_len = sizeof(md);
    time_t now = time(NULL);

    if (gnutls_pcert_export_x509(&c->chain[0], &crt) != 0)
        return;
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &md_len) ==
        0)
        for (size_t i = 0; i < md_len; i++)
            snprintf(c->fingerprint + 3 * i, 4,
                     i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    if (gnutls_x509_crt_get_expiration_time(crt) < now)
        log_warn("--tls-cert %s has expired: clients will refuse it; renew "
                 "it and send SIGHUP",
                 path);
    else if (gnutls_x509_crt_get_activation_time(crt) > now)
        log_warn("--tls-cert %s is not valid yet (check the clock)", path);
    gnutls_x509_crt_deinit(crt);
}

/* A new checked credential from f's files, or NULL and why. */
static struct tls_cred *cred_load(const struct tls_files *f, char *why,
                                  size_t len)
{
    struct tls_cred *c = calloc(1, sizeof(*c));
    enum svc_rc rc = c ? SVC_OK : SVC_ERR_NOMEM;

    if (!c) {
        snprintf(why, len, "out of memory loading --tls-cert");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    rc = load_pem(c, &chain_kind, f->cert, why, len);
    if (rc == SVC_OK)
        rc = load_pem(c, &key_kind, f->key, why, len);
    if (rc == SVC_OK && !key_matches(c)) {
        snprintf(why, len,
                 "--tls-key %s does not belong to the certificate in "
                 "--tls-cert %s (their public keys differ)",
                 f->key, f->cert);
        rc = SVC_ERR_INVALID;
    }
    if (rc == SVC_OK && f->client_ca && f->client_ca[0])
        rc = load_pem(c, &client_ca_kind, f->client_ca, why, len);
    if (rc != SVC_OK) {
        cred_unref(c);
        return NULL;
    }
    inspect_leaf(c, f->cert);
    return c;
}

enum svc_rc tls_store_open(const struct tls_files *f, struct tls_store **out,
                           char *why, size_t why_len)
{
    struct tls_store *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(why, why_len, "out of memory");
        return SVC_ERR_NOMEM;
    }
    s->cur = cred_load(f, why, why_len);
    if (!s->cur) {
        free(s);
        return SVC_ERR_INVALID;
    }
    s->client_auth = s->cur->client_ca != NULL;
    pthread_mutex_init(&s->lock, NULL);
    log_info("TLS: certificate %s (SHA-256 %s)%s%s", f->cert,
             s->cur->fingerprint,
             s->client_auth ? "; client certificates from " : "",
             s->client_auth ? f->client_ca : "");
    *out = s;
    return SVC_OK;
}

enum svc_rc tls_store_reload(struct tls_store *s, const struct tls_files *f,
                             char *why, size_t why_len)
{
    struct tls_cred *fresh, *old;

    if (s->client_auth != (f->client_ca && f->client_ca[0])) {
        snprintf(why, why_len,
                 "--tls-client-ca was %s at the start: client certificates "
                 "are asked for or not until the server restarts",
                 s->client_auth ? "given" : "not given");
        return SVC_ERR_INVALID;
    }
    fresh = cred_load(f, why, why_len);
    if (!fresh)
        return SVC_ERR_INVALID;
    pthread_mutex_lock(&s->lock);
    old = s->cur;
    s->cur = fresh;
    pthread_mutex_unlock(&s->lock);
    cred_unref(old); /* freed here, or by the last connection using it */
    log_info("TLS: reloaded certificate %s (SHA-256 %s)", f->cert,
             fresh->fingerprint);
    return SVC_OK;
}

/* A new reference to the current credential. */
static struct tls_cred *store_get(struct tls_store *s)
{
    struct tls_cred *c;

    pthread_mutex_lock(&s->lock);
    c = s->cur;
    atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&s->lock);
    return c;
}

void tls_store_fingerprint(struct tls_store *s, char *out, size_t len)
{
    struct tls_cred *c = store_get(s);

    snprintf(out, len, "%s", c->fingerprint);
    cred_unref(c);
}

void tls_store_close(struct tls_store *s)
{
    if (!s)
        return;
    cred_unref(s->cur);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int tls_cert_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                      int pk_algos_length, gnutls_pcert_st **pcert,
                      unsigned int *pcert_length, gnutls_privkey_t *key)
{
    struct tls_conn *t = gnutls_session_get_ptr(session);

    (void)req_ca;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    if (!t)
        return -1;
    if (!t->cred)
        t->cred = store_get(t->store);
    *pcert = t->cred->chain;
    *pcert_length = t->cred->n_chain;
    *key = t->cred->key;
    return 0;
}

/* The two bytes at p as a number. */
static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The highest version in a supported_versions extension (GREASE values,
 * 0x?A?A, are not versions), 0 when there are none. */
static unsigned max_listed(const unsigned char *p, size_t n)
{
    unsigned best = 0;

    if (n < 1 || (size_t)p[0] + 1 > n)
        return 0;
    for (size_t i = 1; i + 1 < (size_t)p[0] + 1; i += 2) {
        unsigned v = be16(p + i);

        if ((v & 0x0f0f) != 0x0a0a && v > best)
            best = v;
    }
    return best;
}

/* The highest TLS version a ClientHello body offers: its
 * supported_versions extension (TLS 1.3 clients), else its version field;
 * 0 when it cannot be read. */
static unsigned hello_max_version(const unsigned char *p, size_t n)
{
    size_t at = 2 + 32, end;
    unsigned legacy;

    if (n < at + 1)
        return 0;
    legacy = be16(p);
    at += 1 + p[at]; /* session id */
    if (at + 2 > n)
        return legacy;
    at += 2 + be16(p + at); /* cipher suites */
    if (at + 1 > n)
        return legacy;
    at += 1 + p[at]; /* compression methods */
    if (at + 2 > n)
        return legacy;
    end = at + 2 + be16(p + at);
    for (at += 2; at + 4 <= end && end <= n; at += 4 + be16(p + at + 2))
        if (be16(p + at) == 43 && at + 4 + be16(p + at + 2) <= n)
            return max_listed(p + at + 4, be16(p + at + 2));
    return legacy;
}

/* Notes what the client offered and when the handshake is complete. */
static int on_handshake(gnutls_session_t session, unsigned htype, unsigned when,
                        unsigned incoming, const gnutls_datum_t *msg)
{
    struct tls_conn *t = gnutls_session_get_ptr(session);

    if (!t || !incoming)
        return 0;
    if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && when == GNUTLS_HOOK_PRE &&
        !t->hello) {
        t->hello = true;
        t->max_version = hello_max_version(msg->data, msg->size);
    } else if (htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST &&
               !t->done) {
        t->done = true;
        metrics_tls_handshake(NULL);
    }
    return 0;
}

bool tls_session_begin(struct tls_store *s, gnutls_session_t session)
{
    struct tls_conn *t = calloc(1, sizeof(*t));

    if (!t)
        return false;
    t->store = s;
    gnutls_session_set_ptr(session, t);
    if (s->client_auth) /* asked, not required: keys sign on the same port */
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
    gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY,
                                       GNUTLS_HOOK_BOTH, on_handshake);
    return true;
}

/* What a verification status means, the worst first. */
static const char *status_text(unsigned status)
{
    static const struct {
        unsigned bit;
        const char *text;
    } why[] = {
        {GNUTLS_CERT_REVOKED, "the client certificate is revoked"},
        {GNUTLS_CERT_SIGNER_NOT_FOUND,
         "the client certificate is not issued by a CA of --tls-client-ca"},
        {GNUTLS_CERT_EXPIRED, "the client certificate has expired"},
        {GNUTLS_CERT_NOT_ACTIVATED,
         "the client certificate is not valid yet (check the clocks)"},
        {GNUTLS_CERT_PURPOSE_MISMATCH,
         "the client certificate is not for client authentication (its "
         "extended key usage)"},
        {GNUTLS_CERT_INSECURE_ALGORITHM,
         "the client certificate is signed with an insecure algorithm"},
    };

    for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
        if (status & why[i].bit)
            return why[i].text;
    return "the client certificate does not verify against --tls-client-ca";
}

/* The n DER certificates at der into crts; returns how many were made
 * (n when all could be read). */
static unsigned import_peers(const gnutls_datum_t *der, unsigned n,
                             gnutls_x509_crt_t *crts)
{
    unsigned made = 0;

    for (; made < n; made++) {
        if (gnutls_x509_crt_init(&crts[made]) < 0)
            break;
        if (gnutls_x509_crt_import(crts[made], &der[made],
                                   GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(crts[made]);
            break;
        }
    }
    return made;
}

/* Verifies the chain the peer sent against the connection's client CA;
 * on success its leaf's name into t->peer_id. */
static void judge_peer(struct tls_conn *t, gnutls_session_t session)
{
    gnutls_typed_vdata_st purpose = {
        GNUTLS_DT_KEY_PURPOSE_OID,
        (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned n = 0, made = 0, status = 0;
    const gnutls_datum_t *der = gnutls_certificate_get_peers(session, &n);
    unsigned char md[CERT_DIGEST_BYTES];
    size_t md_len = sizeof(md);

    t->peer = TLS_PEER_NONE;
    if (!der || n == 0 || !t->cred || !t->cred->client_ca)
        return;
    t->peer = TLS_PEER_BAD;
    t->peer_why = "the client certificate cannot be read";
    n = n > MAX_CHAIN ? MAX_CHAIN : n;
    made = import_peers(der, n, crts);
    if (made < n)
        goto out;
    if (gnutls_x509_trust_list_verify_crt2(t->cred->client_ca, crts, n,
                                           &purpose, 1, 0, &status, NULL) < 0)
        goto out;
    if (status) {
        t->peer_why = status_text(status);
        goto out;
    }
    if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &der[0], md, &md_len) < 0)
        goto out;
    cert_id_from_digest(md, t->peer_id);
    t->peer = TLS_PEER_OK;
    t->peer_why = NULL;
out:
    for (unsigned i = 0; i < made; i++)
        gnutls_x509_crt_deinit(crts[i]);
}

enum tls_peer tls_session_peer(gnutls_session_t session,
                               char id[CERT_ID_LEN + 1], const char **why)
{
    struct tls_conn *t = gnutls_session_get_ptr(session);

    if (!t)
        return TLS_PEER_NONE;
    if (!t->peer_known) {
        judge_peer(t, session);
        t->peer_known = true;
    }
    if (t->peer == TLS_PEER_OK)
        memcpy(id, t->peer_id, sizeof(t->peer_id));
    *why = t->peer_why;
    return t->peer;
}

/* Whether the peer sent any byte on fd (TCP_INFO). */
static bool peer_sent(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    memset(&ti, 0, sizeof(ti));
    return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
           ti.tcpi_bytes_received > 0;
}

/* Why the handshake of t failed, NULL when the client never spoke. */
static const char *failure_reason(const struct tls_conn *t,
                                  gnutls_session_t session, int fd)
{
    gnutls_alert_description_t alert = gnutls_alert_get(session);

    if (!t->hello)
        return peer_sent(fd) ? "not_tls" : NULL;
    if (t->max_version && t->max_version < 0x0303)
        return "protocol_version";
    if (alert == GNUTLS_A_BAD_CERTIFICATE ||
        alert == GNUTLS_A_UNSUPPORTED_CERTIFICATE ||
        alert == GNUTLS_A_CERTIFICATE_REVOKED ||
        alert == GNUTLS_A_CERTIFICATE_EXPIRED ||
        alert == GNUTLS_A_CERTIFICATE_UNKNOWN || alert == GNUTLS_A_UNKNOWN_CA)
        return "bad_certificate";
    /* Sent our certificate, then no Finished: a TLS 1.3 client that
     * refuses it sends its alert and hangs up, and the alert often goes
     * unread (the connection is closed on the hang-up). */
    if (t->cred && alert == GNUTLS_A_CLOSE_NOTIFY)
        return "bad_certificate";
    return t->cred ? "other" : "no_cipher";
}

void tls_session_end(gnutls_session_t session, int fd)
{
    struct tls_conn *t = gnutls_session_get_ptr(session);

    if (!t)
        return;
    if (!t->done) {
        const char *why = failure_reason(t, session, fd);

        if (why)
            metrics_tls_handshake(why);
    }
    gnutls_session_set_ptr(session, NULL);
    cred_unref(t->cred);
    free(t);
}
