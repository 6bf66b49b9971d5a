/* SPDX-License-Identifier: MIT */
/* The Python client (clients/python, computedb_client) against a real
 * server: tests/compat/pyclient_check.py runs every mirrored upstream
 * database function through the client and through a re-statement of the
 * upstream function on sqlite3, populating through one side and reading
 * through both, and checks that they return the same; the client's writes
 * must also store what upstream's writes store in a file of upstream's own
 * schema (the mirror). Then the typed exceptions, the signer interface,
 * re-signed retries and an offline pip install.
 * Skipped (77) without python3 and its cryptography package. */
#include "check.h"
#include "harness.h"
#include "upstream.h"

#include <stdio.h>
#include <sys/wait.h>

static bool have(const char *probe)
{
    FILE *p = popen(probe, "r");

    return p && pclose(p) == 0;
}

static void key_file(const struct th_key *k, const char *name, char *out,
                     size_t len)
{
    snprintf(out, len, "%s/%s", th_dir(), name);
    th_key_file(k, out);
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");
    const char *bin = getenv("COMPUTEDB_BIN");
    const char *slash = bin ? strrchr(bin, '/') : NULL;
    char writer[512], reader[512], admin[512], stranger[512], mirror[512];
    char tools[512];
    char ddl[512], cmd[8192], line[512];
    FILE *f, *p;
    sqlite3 *m;
    int status;

    if (!src || !have("python3 -c 'import sqlite3, cryptography' 2>/dev/null"))
        SKIP("python3 with sqlite3 and cryptography is not installed");
    if (th_postgres())
        SKIP("the upstream side needs the SQLite file");
    th_start(NULL);
    key_file(th_key_new(ROLE_WRITER), "writer.key", writer, sizeof(writer));
    key_file(th_key_new(ROLE_READER), "reader.key", reader, sizeof(reader));
    key_file(th_admin(), "admin.key", admin, sizeof(admin));
    key_file(th_key_new(ROLE_NONE), "stranger.key", stranger, sizeof(stranger));

    /* The npm tools (scripts/tools.sh) live in tools/ beside the binary. */
    if (getenv("COMPUTEDB_TOOLS_DIR"))
        snprintf(tools, sizeof(tools), "%s", getenv("COMPUTEDB_TOOLS_DIR"));
    else if (slash)
        snprintf(tools, sizeof(tools), "%.*s/tools", (int)(slash - bin), bin);
    else
        snprintf(tools, sizeof(tools), "tools");

    /* The mirror: a file made by upstream's DDL alone, for the upstream
     * functions to write what the client writes to the server. */
    snprintf(mirror, sizeof(mirror), "%s/mirror.db", th_dir());
    m = up_open(mirror);
    up_exec(m, upstream_ddl);
    sqlite3_close(m);
    snprintf(ddl, sizeof(ddl), "%s/upstream_ddl.sql", th_dir());
    f = fopen(ddl, "w");
    CHECK(f != NULL);
    fputs(upstream_ddl, f);
    CHECK(fclose(f) == 0);

    snprintf(cmd, sizeof(cmd),
             "PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=%s/clients/python python3 "
             "%s/tests/compat/pyclient_check.py --url %s --db %s "
             "--mirror %s --ddl %s --writer %s --reader %s --admin %s "
             "--stranger %s --work %s --package %s/clients/python --tools %s",
             src, src, th_base(), th_db_path(), mirror, ddl, writer, reader,
             admin, stranger, th_dir(), src, tools);
    /* Its report goes to stderr; stdout is passed on as it comes. */
    p = popen(cmd, "r");
    CHECK(p != NULL);
    while (fgets(line, sizeof(line), p))
        fputs(line, stderr);
    status = pclose(p);
    CHECK(status != -1 && WIFEXITED(status));
    th_stop();
    if (WEXITSTATUS(status) == 77)
        SKIP("pyclient_check.py skipped itself");
    CHECK_INT_EQ(WEXITSTATUS(status), 0);
    return 0;
}
