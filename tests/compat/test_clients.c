/* SPDX-License-Identifier: MIT */
/* The documented client snippets interoperate: docs/clients/
 * computedb_sign.py (python3 + cryptography) and computedb_sign.mjs (Node's
 * WebCrypto Ed25519, as in a browser) sign requests the server accepts.
 * Each part is skipped when its runtime is missing; 77 when both are. */
#include "check.h"
#include "harness.h"

#include <jansson.h>

#include <sys/wait.h>

static bool have(const char *probe)
{
    FILE *p = popen(probe, "r");

    return p && pclose(p) == 0;
}

static int run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    char line[512];
    int status;

    CHECK(p != NULL);
    while (fgets(line, sizeof(line), p))
        ; /* the answer, indented; the exit status is what we check */
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* Miners stored, as the service lists them (either driver). */
static long miners(void)
{
    struct resp r = th_get("/miners");
    long n;

    CHECK_INT_EQ(r.status, 200);
    n = (long)json_object_size(r.json);
    th_resp_free(&r);
    return n;
}

/* The command that PUTs (uid, hotkey) with key through one client. */
static void command(char *out, size_t len, bool js, const char *src,
                    const char *key, const char *ss58, unsigned uid)
{
    char body[256];

    snprintf(body, sizeof(body),
             "'{\"mode\": \"merge\", \"miners\": [{\"uid\": %u, "
             "\"hotkey\": \"%s\"}]}'",
             uid, th_hotkey(uid));
    if (js) /* WebCrypto has no BLAKE2b: the signer comes in */
        snprintf(out, len,
                 "COMPUTEDB_URL=%s node %s/docs/clients/computedb_sign.mjs "
                 "%s %s PUT /miners %s 2>&1",
                 th_base(), src, key, ss58, body);
    else
        snprintf(out, len,
                 "COMPUTEDB_URL=%s python3 %s/docs/clients/computedb_sign.py "
                 "%s PUT /miners %s 2>&1",
                 th_base(), src, key, body);
}

static void check_client(bool js, unsigned uid, const char *src)
{
    const struct th_key *w = th_key_new(ROLE_WRITER);
    char key[512], cmd[4096];
    long before = miners();

    snprintf(key, sizeof(key), "%s/client-%u.key", th_dir(), uid);
    th_key_file(w, key);
    command(cmd, sizeof(cmd), js, src, key, w->ss58, uid);
    CHECK_INT_EQ(run(cmd), 0);
    CHECK_INT_EQ(miners(), before + 1);
    /* A reader key is refused the write: exit 1 on the 403. */
    w = th_key_new(ROLE_READER);
    th_key_file(w, key);
    command(cmd, sizeof(cmd), js, src, key, w->ss58, uid + 1);
    CHECK_INT_EQ(run(cmd), 1);
    CHECK_INT_EQ(miners(), before + 1);
}

int main(void)
{
    const char *src = getenv("COMPUTEDB_SOURCE_DIR");
    bool py = have("python3 -c 'import cryptography' 2>/dev/null");
    bool js = have("node -e 'crypto.subtle' 2>/dev/null");

    if (!src || (!py && !js))
        SKIP("neither python3 with cryptography nor node is installed");
    th_start(NULL);
    if (py)
        check_client(false, 10, src);
    else
        fprintf(stderr, "skipped the Python client: no cryptography\n");
    if (js)
        check_client(true, 20, src);
    else
        fprintf(stderr, "skipped the JavaScript client: no node\n");
    th_stop();
    return 0;
}
