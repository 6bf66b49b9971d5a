/* SPDX-License-Identifier: MIT */
/* computedb backup: an online, consistent copy of a database file, made
 * with SQLite's backup API while the server (or the Python validator) may
 * keep writing. */
#include "cli.h"
#include "schema/db.h"

#include <string.h>

static const char usage[] =
    "usage: computedb backup --db PATH --out FILE\n\n"
    "Copies the database at PATH, as of the moment the copy starts, to FILE "
    "(never\nreplaced: it must not exist). Safe while the server runs. The "
    "running server\nalso makes backups on POST /admin/backup.\n";

int cli_backup(int argc, char **argv)
{
    const char *db = NULL, *out = NULL;
    int help = 0;
    const struct cli_opt opts[] = {{"--db", &db, NULL},
                                   {"--out", &out, NULL},
                                   {"--help", NULL, &help},
                                   {NULL, NULL, NULL}};
    long long bytes = 0;
    enum svc_rc rc;

    if (cli_parse("computedb backup", argc, argv, opts, NULL, 0) < 0 ||
        (!help && (!db || !out))) {
        fputs(usage, stderr);
        return 2;
    }
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    rc = db_backup_file(db, out, &bytes);
    if (rc == SVC_ERR_CONFLICT) {
        fprintf(stderr, "computedb backup: %s exists; not replaced\n", out);
        return 1;
    }
    if (rc != SVC_OK) {
        fprintf(stderr, "computedb backup: %s\n", svc_rc_text(rc));
        return 1;
    }
    printf("%s: %lld bytes\n", out, bytes);
    return 0;
}
