/* SPDX-License-Identifier: MIT */
/* Client certificate names (core/certid.h): the canonical form, and the
 * forms people paste (openssl's, any case). */
#include "check.h"
#include "core/certid.h"

#include <string.h>

static const char canon[] =
    "sha256:00ff10a5c3e7d2b4968f1e0d2c3b4a596877665544332211aabbccddeeff0099";

static void check_digest(void)
{
    uint8_t md[CERT_DIGEST_BYTES];
    char out[CERT_ID_LEN + 1];

    for (size_t i = 0; i < sizeof(md); i++)
        md[i] = (uint8_t)(i * 37 + 5);
    cert_id_from_digest(md, out);
    CHECK_INT_EQ(strlen(out), CERT_ID_LEN);
    CHECK(strncmp(out, "sha256:052a4f74", 15) == 0);
    CHECK(cert_id_is_valid(out));
}

static void check_valid(void)
{
    char upper[sizeof(canon)];

    CHECK(cert_id_is_valid(canon));
    memcpy(upper, canon, sizeof(canon));
    upper[8] = 'F'; /* upper-case is read, not canonical */
    CHECK(!cert_id_is_valid(upper));
    CHECK(!cert_id_is_valid(NULL));
    CHECK(!cert_id_is_valid("sha256:"));
    CHECK(!cert_id_is_valid("sha1:00ff"));
    CHECK(
        !cert_id_is_valid("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"));
    memcpy(upper, canon, sizeof(canon));
    upper[20] = 'g';
    CHECK(!cert_id_is_valid(upper));
}

static void check_parse(void)
{
    static const char colons[] =
        "00:FF:10:A5:C3:E7:D2:B4:96:8F:1E:0D:2C:3B:4A:59:68:77:66:55:44:33:"
        "22:11:AA:BB:CC:DD:EE:FF:00:99";
    char out[CERT_ID_LEN + 1], in[200];

    CHECK(cert_id_parse(canon, out));
    CHECK_STR_EQ(out, canon);
    CHECK(cert_id_parse(colons, out));
    CHECK_STR_EQ(out, canon);
    snprintf(in, sizeof(in), "SHA256 Fingerprint=%s", colons);
    CHECK(cert_id_parse(in, out));
    CHECK_STR_EQ(out, canon);
    snprintf(in, sizeof(in), "sha256:%s",
             "00FF10A5C3E7D2B4968F1E0D2C3B4A5968776655"
             "44332211AABBCCDDEEFF0099");
    CHECK(cert_id_parse(in, out));
    CHECK_STR_EQ(out, canon);
    /* one byte short, one too many, a wrong separator, trailing text */
    CHECK(!cert_id_parse(colons + 3, out));
    snprintf(in, sizeof(in), "%s:01", colons);
    CHECK(!cert_id_parse(in, out));
    snprintf(in, sizeof(in), "%s", colons);
    in[2] = '-';
    CHECK(!cert_id_parse(in, out));
    snprintf(in, sizeof(in), "%s ", canon);
    CHECK(!cert_id_parse(in, out));
    CHECK(!cert_id_parse("", out));
    CHECK(!cert_id_parse(NULL, out));
}

int main(void)
{
    check_digest();
    check_valid();
    check_parse();
    return 0;
}
