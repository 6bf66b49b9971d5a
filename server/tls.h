/* SPDX-License-Identifier: MIT */
/* HTTPS for the HTTP front end: the server's certificate and key, loaded
 * from PEM files, checked, swapped on reload while connections go on, and
 * what each TLS handshake came to (for the metrics). Knows nothing of
 * libmicrohttpd: server/http.c hands it GnuTLS sessions. */
#ifndef SVC_TLS_H
#define SVC_TLS_H

#include "core/certid.h"
#include "core/rc.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

/* The GnuTLS priority string of the port: TLS 1.3 and 1.2 only, forward
 * secret key exchanges (ECDHE) and AEAD ciphers only, the server's order
 * of preference. */
extern const char tls_priorities[];

/* The current certificate chain and key, and the ones still in use by
 * connections that began before a reload. */
struct tls_store;

/* The PEM files of the port (paths, borrowed). */
struct tls_files {
    const char *cert;      /* the certificate chain, leaf first */
    const char *key;       /* its private key */
    const char *client_ca; /* CA certificates that issue client
                              certificates, or NULL: none asked for */
};

/* Loads f's files into a new store *out. Refuses a missing or unreadable
 * file, a file that is not PEM, a key that does not belong to the
 * certificate and a client CA file without a certificate, writing why
 * (naming the file) into why; an expired or not yet valid certificate is
 * loaded with a warning in the log. With a client CA, every handshake asks
 * for a client certificate (and goes on without one). Returns SVC_OK or
 * SVC_ERR_INVALID (SVC_ERR_NOMEM). */
SVC_NODISCARD enum svc_rc tls_store_open(const struct tls_files *f,
                                         struct tls_store **out, char *why,
                                         size_t why_len);

/* Loads f's files again as tls_store_open does and, when they are good,
 * makes them the ones new handshakes get; connections already up keep
 * theirs (client CA included) until they close. Whether client
 * certificates are asked for is fixed at open: a client CA given or
 * dropped here is refused. On failure the store is unchanged and why says
 * what was wrong. Thread-safe. */
SVC_NODISCARD enum svc_rc tls_store_reload(struct tls_store *s,
                                           const struct tls_files *f, char *why,
                                           size_t why_len);

/* The SHA-256 fingerprint of the current certificate ("AB:CD:..."). */
void tls_store_fingerprint(struct tls_store *s, char *out, size_t len);

/* Frees s once no connection uses it (after the server stopped). NULL-safe.
 */
void tls_store_close(struct tls_store *s);

/* GnuTLS's certificate callback (gnutls_certificate_retrieve_function2)
 * for a session begun with tls_session_begin: the current chain and key,
 * held for the session until tls_session_end. */
int tls_cert_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                      int pk_algos_length, gnutls_pcert_st **pcert,
                      unsigned int *pcert_length, gnutls_privkey_t *key);

/* A connection of s accepted with the (not yet started) session: watches
 * its handshake. Returns false when out of memory (the handshake then
 * fails for want of a certificate). */
bool tls_session_begin(struct tls_store *s, gnutls_session_t session);

/* What a connection's client certificate is. */
enum tls_peer {
    TLS_PEER_NONE, /* none was sent (or none is asked for) */
    TLS_PEER_OK,   /* issued by the client CA and within its dates */
    TLS_PEER_BAD,  /* sent, but not acceptable: see why */
};

/* The client certificate of session's connection: TLS_PEER_OK with its
 * principal name (core/certid.h) in id, or TLS_PEER_BAD with a static
 * sentence in *why (expired, not from the client CA, ...). Verified
 * against the client CA the connection's handshake had, once per
 * connection. Call only from the thread that owns the connection. */
enum tls_peer tls_session_peer(gnutls_session_t session,
                               char id[CERT_ID_LEN + 1], const char **why);

/* The connection of session is closing (fd is still open): counts a
 * handshake that failed, by reason, and lets go of its certificate. */
void tls_session_end(gnutls_session_t session, int fd);

#endif
