/* SPDX-License-Identifier: MIT */
/* The Bittensor hotkey file parser (cli/wallet.c) on any bytes: it either
 * refuses with a message, or yields an sr25519 key whose signatures
 * verify under the public key it reports (so a file whose secret and
 * public key disagree can never be taken). */
#include "cli/cli.h"
#include "core/auth_msg.h"
#include "core/sr25519.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t msg[] = "bt-http-auth-v1";
    uint8_t sig[SR25519_SIGNATURE_BYTES];
    struct auth_key k;
    char err[256] = "";
    int rc;

    fz_init(false);
    rc = cli_hotkey_parse((const char *)data, size, &k, err, sizeof(err));
    if (rc != SVC_OK) {
        FZ_ASSERT(err[0] != '\0' && k.secret == NULL);
        return 0;
    }
    FZ_ASSERT(k.scheme == AUTH_SCHEME_SR25519 && k.secret != NULL);
    FZ_ASSERT(sr25519_sign(sig, msg, sizeof(msg) - 1, k.secret, k.pk) ==
              SVC_OK);
    FZ_ASSERT(sr25519_verify(sig, msg, sizeof(msg) - 1, k.pk));
    auth_key_clear(&k);
    return 0;
}
