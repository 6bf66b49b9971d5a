/* SPDX-License-Identifier: MIT */
/* The name of a client certificate as a principal: "sha256:" and the
 * lower-case hex SHA-256 of the certificate's DER bytes (the digest
 * `openssl x509 -fingerprint -sha256` prints as "AB:CD:..."). Such a name
 * never looks like an SS58 address (base58 has no ':'), so certificates
 * and keys share the principals table. Pure functions. */
#ifndef SVC_CORE_CERTID_H
#define SVC_CORE_CERTID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CERT_ID_LEN = 7 + 64, CERT_DIGEST_BYTES = 32 };

/* True when s is exactly "sha256:" followed by 64 lower-case hex digits. */
bool cert_id_is_valid(const char *s);

/* The name of the certificate whose SHA-256 is md, into out. */
void cert_id_from_digest(const uint8_t md[CERT_DIGEST_BYTES],
                         char out[CERT_ID_LEN + 1]);

/* Reads a certificate name as people copy it: "sha256:" + 64 hex digits
 * in either case, or the 32 colon-separated bytes openssl and browsers
 * print ("AB:CD:..."), optionally after "SHA256 Fingerprint=". Writes the
 * canonical form into out; false when s is neither. */
bool cert_id_parse(const char *s, char out[CERT_ID_LEN + 1]);

#endif
