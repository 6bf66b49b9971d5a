/* SPDX-License-Identifier: MIT */
/* HTTPS for the HTTP front end: the server's certificate and key, loaded
 * from PEM files, checked, swapped on reload while connections go on, and
 * what each TLS handshake came to (for the metrics). Knows nothing of
 * libmicrohttpd: server/http.c hands it GnuTLS sessions. */
#ifndef SVC_TLS_H
#define SVC_TLS_H

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

/* Loads the PEM certificate chain at cert and the PEM private key at key
 * into a new store *out. Refuses a missing or unreadable file, a file
 * that is not PEM, and a key that does not belong to the certificate,
 * writing why (naming the file) into why; an expired or not yet valid
 * certificate is loaded with a warning in the log. Returns SVC_OK or
 * SVC_ERR_INVALID (SVC_ERR_NOMEM). */
SVC_NODISCARD enum svc_rc tls_store_open(const char *cert, const char *key,
                                         struct tls_store **out, char *why,
                                         size_t why_len);

/* Loads cert and key again as tls_store_open does and, when they are
 * good, makes them the ones new handshakes get; connections already up
 * keep theirs until they close. On failure the store is unchanged and
 * why says what was wrong. Thread-safe. */
SVC_NODISCARD enum svc_rc tls_store_reload(struct tls_store *s,
                                           const char *cert, const char *key,
                                           char *why, size_t why_len);

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

/* The connection of session is closing (fd is still open): counts a
 * handshake that failed, by reason, and lets go of its certificate. */
void tls_session_end(gnutls_session_t session, int fd);

#endif
