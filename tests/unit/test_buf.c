/* SPDX-License-Identifier: MIT */
/* core/buf.h: appends grow the buffer and keep it NUL-terminated, printf
 * text lands whole, a cap refuses with SVC_ERR_TOO_LARGE (exactly at the
 * cap is fine) and leaves the text as it was, a failure sticks until reset,
 * and take hands the string over and leaves the buffer empty. */
#include "check.h"
#include "core/buf.h"

#include <stdint.h>

/* Many small appends: the text grows past several reallocations and is a
 * string after every one. */
static void test_growth(void)
{
    struct buf b = {0};
    char want[5001];

    for (size_t i = 0; i < 5000; i++) {
        char c = (char)('a' + i % 26);

        CHECK_INT_EQ(buf_append(&b, &c, 1), SVC_OK);
        want[i] = c;
        CHECK_INT_EQ(b.len, i + 1);
        CHECK(b.p[b.len] == '\0');
    }
    want[5000] = '\0';
    CHECK_STR_EQ(b.p, want);
    CHECK(b.cap > b.len);
    /* Bytes with NULs in them count, and the NUL still follows. */
    CHECK_INT_EQ(buf_append(&b, "x\0y", 3), SVC_OK);
    CHECK_INT_EQ(b.len, 5003);
    CHECK(memcmp(b.p + 5000, "x\0y", 4) == 0);
    buf_free(&b);
    CHECK(b.p == NULL && b.len == 0);
}

static void test_empty(void)
{
    struct buf b = {0};

    /* Appending nothing makes a string; so does printf of "". */
    CHECK_INT_EQ(buf_append(&b, NULL, 0), SVC_OK);
    CHECK_STR_EQ(b.p, "");
    CHECK_INT_EQ(b.len, 0);
    buf_free(&b);
    CHECK_INT_EQ(buf_printf(&b, "%s", ""), SVC_OK);
    CHECK_STR_EQ(b.p, "");
    buf_free(&b);
    buf_free(&b); /* twice is fine */
    buf_free(NULL);
}

static void test_printf(void)
{
    struct buf b;
    char big[3000];

    buf_init(&b, 0);
    CHECK_INT_EQ(buf_printf(&b, "%d-%s", 42, "x"), SVC_OK);
    CHECK_INT_EQ(buf_printf(&b, "|%.3f", 1.5), SVC_OK);
    CHECK_STR_EQ(b.p, "42-x|1.500");
    CHECK_INT_EQ(b.len, strlen("42-x|1.500"));
    /* Longer than the room there is: grown, then formatted whole. */
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT_EQ(buf_printf(&b, "<%s>", big), SVC_OK);
    CHECK_INT_EQ(b.len, strlen("42-x|1.500") + 2 + sizeof(big) - 1);
    CHECK(memcmp(b.p, "42-x|1.500<zzz", 14) == 0);
    CHECK(b.p[b.len - 1] == '>' && b.p[b.len] == '\0');
    buf_free(&b);
}

static void test_cap(void)
{
    struct buf b = {.max = 8};
    char big[100];

    CHECK_INT_EQ(buf_append(&b, "12345", 5), SVC_OK);
    CHECK_INT_EQ(buf_append(&b, "6789", 4), SVC_ERR_TOO_LARGE);
    CHECK_STR_EQ(b.p, "12345"); /* unchanged */
    CHECK_INT_EQ(b.rc, SVC_ERR_TOO_LARGE);
    /* The failure sticks, even for what would fit. */
    CHECK_INT_EQ(buf_append(&b, "6", 1), SVC_ERR_TOO_LARGE);
    CHECK_STR_EQ(b.p, "12345");
    /* reset forgets it; exactly max bytes fit, never allocating more than
     * max and its NUL. */
    buf_reset(&b);
    CHECK_STR_EQ(b.p, "");
    CHECK_INT_EQ(buf_append(&b, "12345678", 8), SVC_OK);
    CHECK_STR_EQ(b.p, "12345678");
    CHECK(b.cap <= 9);
    CHECK_INT_EQ(buf_append(&b, "", 0), SVC_OK);
    CHECK_INT_EQ(buf_append(&b, "9", 1), SVC_ERR_TOO_LARGE);
    buf_free(&b);
    CHECK_INT_EQ(b.max, 8); /* free keeps the cap */
    /* printf past the cap: refused, the text as it was. */
    CHECK_INT_EQ(buf_printf(&b, "%s", "abc"), SVC_OK);
    CHECK_INT_EQ(buf_printf(&b, "%06d", 7), SVC_ERR_TOO_LARGE);
    CHECK_STR_EQ(b.p, "abc");
    CHECK_INT_EQ(b.len, 3);
    buf_free(&b);
    /* A first append larger than the cap allocates nothing. */
    memset(big, 'q', sizeof(big));
    CHECK_INT_EQ(buf_append(&b, big, sizeof(big)), SVC_ERR_TOO_LARGE);
    CHECK(b.p == NULL);
    buf_free(&b);
}

/* A length no allocation can hold is out of memory, not too large. */
static void test_nomem(void)
{
    struct buf b = {0};

    CHECK_INT_EQ(buf_append(&b, "ab", 2), SVC_OK);
    CHECK_INT_EQ(buf_append(&b, "x", SIZE_MAX - 1), SVC_ERR_NOMEM);
    CHECK_STR_EQ(b.p, "ab");
    CHECK_INT_EQ(buf_printf(&b, "c"), SVC_ERR_NOMEM); /* sticks */
    buf_free(&b);
}

static void test_take(void)
{
    struct buf b;
    char *s = NULL;
    size_t len = 0;

    buf_init(&b, 16);
    CHECK_INT_EQ(buf_printf(&b, "%s=%d", "n", 5), SVC_OK);
    CHECK_INT_EQ(buf_take(&b, &s, &len), SVC_OK);
    CHECK_STR_EQ(s, "n=5");
    CHECK_INT_EQ(len, 3);
    free(s);
    /* b is empty again, with its cap, and may be reused. */
    CHECK(b.p == NULL && b.len == 0 && b.max == 16);
    CHECK_INT_EQ(buf_take(&b, &s, NULL), SVC_OK);
    CHECK_STR_EQ(s, ""); /* nothing appended: "" */
    free(s);
    /* A failed buffer gives nothing, reports why, and is freed. */
    s = NULL;
    len = 99;
    CHECK_INT_EQ(buf_append(&b, "abc", 3), SVC_OK);
    buf_fail(&b, SVC_ERR_INVALID);
    buf_fail(&b, SVC_ERR_NOMEM); /* the first failure stays */
    CHECK_INT_EQ(buf_append(&b, "d", 1), SVC_ERR_INVALID);
    CHECK_INT_EQ(buf_take(&b, &s, &len), SVC_ERR_INVALID);
    CHECK(s == NULL && len == 99);
    CHECK(b.p == NULL && b.rc == SVC_OK);
}

int main(void)
{
    test_growth();
    test_empty();
    test_printf();
    test_cap();
    test_nomem();
    test_take();
    return 0;
}
