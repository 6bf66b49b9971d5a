/* SPDX-License-Identifier: MIT */
/* computedb migrate: moves a validator's SQLite database into PostgreSQL,
 * for replicas (see README, Deployment). */
#include "cli.h"
#include "core/redact.h"
#include "schema/db.h"

#include <string.h>

static const char usage[] =
    "usage: computedb migrate --from sqlite:PATH --to postgres://URL\n\n"
    "Copies every table of the SQLite database at PATH (upgraded to "
    "computedb's\nschema first, as `serve` would) into the PostgreSQL "
    "database at URL, which\nmust have no rows yet: ids included, in one "
    "transaction, row counts checked\non both sides. Safe while the "
    "validator keeps writing PATH: the copy is one\nsnapshot. Prints each "
    "table's row count.\n";

static void progress(const char *table, long long rows, void *ctx)
{
    (void)ctx;
    printf("%-32s %12lld rows\n", table, rows);
    fflush(stdout);
}

int cli_migrate(int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    int help = 0;
    const struct cli_opt opts[] = {{"--from", &from, NULL},
                                   {"--to", &to, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    char err[512], shown[1024];
    enum svc_rc rc;

    if (cli_parse("computedb migrate", argc, argv, opts, NULL, 0) < 0 ||
        (!help && (!from || !to))) {
        fputs(usage, stderr);
        return 2;
    }
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    if (strncmp(from, "sqlite:", 7) != 0 || !from[7] || !db_is_url(to)) {
        fprintf(stderr, "computedb migrate: --from takes sqlite:PATH and --to "
                        "a postgres:// URL\n");
        return 2;
    }
    rc = db_copy_to_postgres(from + 7, to, progress, NULL, err, sizeof(err));
    if (rc != SVC_OK) {
        fprintf(stderr, "computedb migrate: %s; nothing was copied\n", err);
        return 1;
    }
    url_redact(to, shown, sizeof(shown));
    printf("done: %s -> %s\n", from + 7, shown);
    return 0;
}
