/* SPDX-License-Identifier: MIT */
/* Parsers (docs/pog.md 5.1 item 12): 64-bit seeds, the seeds file, the
 * challenge line, hex and base64. */
#include "check.h"
#include "gpu/pog_parse.h"

static enum svc_rc seeds(const char *text, struct pog_seeds *out)
{
    struct svc_err err;

    return pog_parse_seeds(text, strlen(text), out, &err);
}

static void check_u64(void)
{
    uint64_t v = 1;

    CHECK(pog_parse_u64("0", &v) && v == 0);
    CHECK(pog_parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
    CHECK(pog_parse_u64("007", &v) && v == 7);
    CHECK(!pog_parse_u64("18446744073709551616", &v));
    CHECK(!pog_parse_u64("99999999999999999999", &v));
    CHECK(!pog_parse_u64("-1", &v));
    CHECK(!pog_parse_u64("+1", &v));
    CHECK(!pog_parse_u64("", &v));
    CHECK(!pog_parse_u64(" 1", &v));
    CHECK(!pog_parse_u64("1 ", &v));
    CHECK(!pog_parse_u64("0x10", &v));
    CHECK(!pog_parse_u64(NULL, &v));
}

static void check_json_u64(void)
{
    json_t *s = json_string("18446744073709551615"), *i = json_integer(42);
    json_t *neg = json_integer(-1), *r = json_real(1.0), *bad = json_string("");
    uint64_t v = 0;

    CHECK(pog_json_u64(s, &v) && v == UINT64_MAX);
    CHECK(pog_json_u64(i, &v) && v == 42);
    CHECK(!pog_json_u64(neg, &v));
    CHECK(!pog_json_u64(r, &v));
    CHECK(!pog_json_u64(bad, &v));
    CHECK(!pog_json_u64(NULL, &v));
    json_decref(s);
    json_decref(i);
    json_decref(neg);
    json_decref(r);
    json_decref(bad);
}

static void check_seeds(void)
{
    struct pog_seeds s;

    CHECK(seeds("20704\n0 123 456\n1 18446744073709551615 0\n", &s) == SVC_OK);
    CHECK_INT_EQ(s.n, 20704);
    CHECK_INT_EQ(s.count, 2);
    CHECK(s.gpu[1].seed_a == UINT64_MAX && s.gpu[1].seed_b == 0);
    CHECK(s.gpu[0].seed_a == 123 && s.gpu[0].seed_b == 456);
    /* Any order, CRLF, blank lines, tabs, no final newline. */
    CHECK(seeds("\r\n64\r\n\r\n1\t5 6\r\n0 7  8", &s) == SVC_OK);
    CHECK(s.n == 64 && s.count == 2 && s.gpu[0].seed_a == 7 &&
          s.gpu[1].seed_b == 6);
    CHECK(seeds("64\n0 -1 5\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n0 18446744073709551616 5\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n0 1 2\n2 3 4\n", &s) == SVC_ERR_INVALID); /* no gpu 1 */
    CHECK(seeds("64\n0 1 2\n0 3 4\n", &s) == SVC_ERR_INVALID); /* twice */
    CHECK(seeds("64\n0 1 2 3\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n0 1\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n0 +1 2\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n64 1 2\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("0\n0 1 2\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("131073\n0 1 2\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("n\n0 1 2\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("64\n", &s) == SVC_ERR_INVALID);
    CHECK(seeds("", &s) == SVC_ERR_INVALID);
    CHECK(pog_parse_seeds("64\n0 1\0 2\n", 10, &s, NULL) == SVC_ERR_INVALID);
}

static void check_challenges(void)
{
    struct pog_challenge_line c;
    struct svc_err err;
    char many[256] = "0 ";

    CHECK(pog_parse_challenge_line("0 1,2;3,4", 100, &c, &err) == SVC_OK);
    CHECK(c.gpu == 0 && c.count == 2 && c.idx[0].i == 1 && c.idx[0].j == 2 &&
          c.idx[1].i == 3 && c.idx[1].j == 4);
    CHECK(pog_parse_challenge_line("7 99,0\n", 100, &c, &err) == SVC_OK);
    CHECK(c.gpu == 7 && c.count == 1 && c.idx[0].i == 99);
    CHECK(pog_parse_challenge_line("0 100,0", 100, &c, &err) ==
          SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 1,100", 100, &c, &err) ==
          SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 1", 100, &c, &err) == SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 1,2;", 100, &c, &err) == SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 1,2 x", 100, &c, &err) ==
          SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("64 1,2", 100, &c, &err) == SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 -1,2", 100, &c, &err) == SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("01,2", 100, &c, &err) == SVC_ERR_INVALID);
    for (int k = 0; k < 17; k++)
        strncat(many, k ? ";1,1" : "1,1", sizeof(many) - strlen(many) - 1);
    CHECK(pog_parse_challenge_line(many, 100, &c, &err) == SVC_ERR_INVALID);
    CHECK(pog_parse_challenge_line("0 5000000000,1", 0, &c, &err) ==
          SVC_ERR_INVALID);
}

static void check_hex(void)
{
    const uint8_t in[4] = {0x00, 0xab, 0xff, 0x10};
    uint8_t out[8];
    char hex[9];
    size_t len;

    pog_hex_encode(in, 4, hex);
    CHECK_STR_EQ(hex, "00abff10");
    CHECK(pog_hex_decode("00ABff10", out, sizeof(out), &len) && len == 4 &&
          memcmp(out, in, 4) == 0);
    CHECK(!pog_hex_decode("00a", out, sizeof(out), &len));
    CHECK(!pog_hex_decode("0g", out, sizeof(out), &len));
    CHECK(!pog_hex_decode("000000000000000000", out, sizeof(out), &len));
    CHECK(pog_hex_decode("", out, sizeof(out), &len) && len == 0);
}

static void check_base64(void)
{
    static const char *const plain[] = {"",     "f",     "fo",    "foo",
                                        "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    uint8_t out[16];
    char buf[16];
    size_t len;

    for (int k = 0; k < 7; k++) {
        size_t pl = strlen(plain[k]);

        CHECK_INT_EQ(pog_base64_size(pl), strlen(enc[k]) + 1);
        pog_base64_encode((const uint8_t *)plain[k], pl, buf);
        CHECK_STR_EQ(buf, enc[k]);
        CHECK(
            pog_base64_decode(enc[k], strlen(enc[k]), out, sizeof(out), &len));
        CHECK(len == pl && memcmp(out, plain[k], pl) == 0);
    }
    CHECK(!pog_base64_decode("Zm9", 3, out, sizeof(out), &len));
    CHECK(!pog_base64_decode("Zm=v", 4, out, sizeof(out), &len));
    CHECK(!pog_base64_decode("Z@==", 4, out, sizeof(out), &len));
    CHECK(!pog_base64_decode("Zm9vYmFy", 8, out, 5, &len));
}

int main(void)
{
    check_u64();
    check_json_u64();
    check_seeds();
    check_challenges();
    check_hex();
    check_base64();
    return 0;
}
