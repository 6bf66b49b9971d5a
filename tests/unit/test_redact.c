/* SPDX-License-Identifier: MIT */
/* url_redact: what logs and `config print` show of --db. A URL's
 * password never appears, in either of the forms libpq accepts (user:pw@
 * and a password= parameter), even with an unencoded '@' in it; everything
 * else is shown as given, and a short buffer truncates rather than
 * overflows. */
#include "check.h"
#include "core/redact.h"

static const struct {
    const char *where, *shown;
} cases[] = {
    {"data/database.db", "data/database.db"},
    {"postgres://u@h/db", "postgres://u@h/db"},
    {"postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"},
    {"postgresql://u:p@ss:w@h/db", "postgresql://u:***@h/db"},
    {"postgres://h/db?password=secret", "postgres://h/db?password=***"},
    {"postgres://u@h/db?sslmode=require&password=s3&connect_timeout=2",
     "postgres://u@h/db?sslmode=require&password=***&connect_timeout=2"},
    {"postgres://u:a@h/db?password=b&password=c",
     "postgres://u:***@h/db?password=***&password=***"},
    {"postgres://u@h/db?passwordx=1&application_name=x",
     "postgres://u@h/db?passwordx=1&application_name=x"},
    {"postgres://u@h/db?", "postgres://u@h/db?"},
    {"postgres://h:5432", "postgres://h:5432"},
};

int main(void)
{
    char out[256], small[12];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        url_redact(cases[i].where, out, sizeof(out));
        CHECK_STR_EQ(out, cases[i].shown);
    }
    url_redact("postgres://u:pw@h/db", small, sizeof(small));
    CHECK_STR_EQ(small, "postgres://");
    url_redact("postgres://u:pw@h/db", small, 0); /* writes nothing */
    return 0;
}
