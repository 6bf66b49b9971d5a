/* SPDX-License-Identifier: MIT */
/* computedb principal add|rm|ls: manage who may call, offline,
 * straight on the database file (the server need not run). The same rule
 * as over HTTP (q_principals.c): no change leaves no live admin where
 * there was one; a database already without one may be repaired. */
#include "cli.h"
#include "core/auth_msg.h"
#include "core/certid.h"
#include "core/role.h"
#include "core/ss58.h"
#include "schema/queries.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

static const char usage[] =
    "usage: computedb principal add [--db PATH] --role reader|writer|admin "
    "[--label L]\n                               [--expires "
    "\"YYYY-MM-DD HH:MM:SS\"]\n"
    "                               [--scheme ed25519|sr25519] "
    "[--secrets|--no-secrets] SS58\n"
    "       computedb principal add [--db PATH] --role R [--label L] "
    "[--expires T]\n"
    "                               [--secrets|--no-secrets] --cert "
    "CERT.pem | sha256:HEX\n"
    "       computedb principal rm [--db PATH] SS58 | --cert CERT.pem | "
    "sha256:HEX\n"
    "       computedb principal ls [--db PATH]\n\n"
    "--db defaults to data/database.db. --scheme says how the key signs: "
    "ed25519\n(computedb keygen; the default for a new principal) or sr25519 "
    "(a Bittensor\nhotkey); an update without it keeps the scheme. "
    "--secrets lets a non-admin read\nallocation secrets (password, ssh_key, "
    "regkey), as a validator that deallocates\nmust; --no-secrets takes "
    "that back; without either an update keeps it.\n"
    "--cert makes a client certificate a principal (HTTPS with "
    "--tls-client-ca):\nit is named by its SHA-256, sha256:HEX (openssl's "
    "AB:CD:... form is read too).\nNo change "
    "may leave no live admin "
    "(neither\nexpired nor removed) where there was one: add the new admin "
    "first. A database\nwith no live admin left accepts any change, so an "
    "admin can be added back.\n";

struct op {
    const char *verb;
    const char *cert; /* --cert FILE */
    char cert_id[CERT_ID_LEN + 1];
    struct q_principal p;
    json_t *list;
    bool created;
};

static enum svc_rc op_tx(struct db *db, void *ctx)
{
    struct op *op = ctx;

    if (strcmp(op->verb, "add") == 0)
        return q_principals_put(db, &op->p, &op->created);
    if (strcmp(op->verb, "rm") == 0)
        return q_principals_delete(db, op->p.ss58);
    return q_principals_list(db, &op->list);
}

static void print_list(const json_t *list)
{
    size_t i;
    json_t *p;

    json_array_foreach (list, i, p) {
        const char *label = json_string_value(json_object_get(p, "label"));
        const char *exp = json_string_value(json_object_get(p, "expires_at"));

        printf("%s  %-7s  %-6s%s  %s%s%s\n",
               json_string_value(json_object_get(p, "ss58")),
               json_string_value(json_object_get(p, "scheme")),
               json_string_value(json_object_get(p, "role")),
               json_is_true(json_object_get(p, "secrets")) ? " +secrets" : "",
               label ? label : "", exp ? "  expires " : "", exp ? exp : "");
    }
}

static int report(const struct op *op, enum svc_rc rc)
{
    if (rc == SVC_OK && op->list) {
        print_list(op->list);
        return 0;
    }
    if (rc == SVC_OK) {
        printf("%s %s\n",
               strcmp(op->verb, "rm") == 0
                   ? "removed"
                   : (op->created ? "added" : "updated"),
               op->p.ss58);
        return 0;
    }
    if (rc == SVC_ERR_CONFLICT)
        fprintf(stderr,
                "computedb principal: %s is the last live admin; no live "
                "admin would remain: add another admin first\n",
                op->p.ss58);
    else if (rc == SVC_ERR_NOT_FOUND)
        fprintf(stderr, "computedb principal: %s is no principal\n",
                op->p.ss58);
    else
        fprintf(stderr, "computedb principal: %s\n", svc_rc_text(rc));
    return 1;
}

/* The name of the first certificate in the PEM file at path into out;
 * says why not on stderr. */
static int cert_name_of_file(const char *path, char out[CERT_ID_LEN + 1])
{
    gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0};
    gnutls_x509_crt_t crt = NULL;
    unsigned char md[CERT_DIGEST_BYTES];
    size_t len = sizeof(md);
    int err = gnutls_load_file(path, &pem);

    if (err < 0) {
        fprintf(stderr, "computedb principal: cannot read --cert %s\n", path);
        return 1;
    }
    err = gnutls_x509_crt_init(&crt);
    if (err >= 0)
        err = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM);
    if (err >= 0)
        err = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
    if (err >= 0)
        err = gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, md, &len);
    if (err >= 0)
        cert_id_from_digest(md, out);
    else
        fprintf(stderr,
                "computedb principal: --cert %s is not a PEM certificate "
                "(\"-----BEGIN CERTIFICATE-----\"): %s\n",
                path, gnutls_strerror(err));
    gnutls_free(der.data);
    gnutls_free(pem.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    return err < 0;
}

/* The principal named by the arguments: one SS58 address, one
 * certificate name, or --cert FILE. */
static int principal_name(struct op *op, int n, const char **pos)
{
    if (op->cert && n == 0) {
        if (cert_name_of_file(op->cert, op->cert_id))
            return 1;
        op->p.ss58 = op->cert_id;
    } else if (!op->cert && n == 1 && cert_id_parse(pos[0], op->cert_id)) {
        op->p.ss58 = op->cert_id;
    } else if (!op->cert && n == 1 && ss58_is_valid(pos[0])) {
        op->p.ss58 = pos[0];
    } else {
        fprintf(stderr, "computedb principal: give one SS58 address "
                        "(network 42), or a client certificate: --cert FILE "
                        "or its sha256:HEX name\n");
        return 2;
    }
    if (op->p.ss58 == op->cert_id && op->p.scheme &&
        strcmp(op->p.scheme, "x509") != 0) {
        fprintf(stderr, "computedb principal: a client certificate has no "
                        "--scheme (it is x509)\n");
        return 2;
    }
    if (op->p.ss58 == op->cert_id)
        op->p.scheme = "x509";
    return 0;
}

static int check_args(struct op *op, int n, const char **pos)
{
    enum role role;
    enum auth_scheme scheme;
    int code;

    if (strcmp(op->verb, "ls") == 0)
        return n == 0 && !op->cert ? 0 : 2;
    code = principal_name(op, n, pos);
    if (code)
        return code;
    if (strcmp(op->verb, "rm") == 0)
        return 0;
    if (!op->p.role || !role_parse(op->p.role, &role)) {
        fprintf(stderr, "computedb principal: --role must be reader, writer "
                        "or admin\n");
        return 2;
    }
    if (op->p.scheme && op->p.ss58 != op->cert_id &&
        !auth_scheme_parse(op->p.scheme, &scheme)) {
        fprintf(stderr, "computedb principal: --scheme must be ed25519 or "
                        "sr25519 (Bittensor hotkeys are sr25519)\n");
        return 2;
    }
    return 0;
}

int cli_principal(int argc, char **argv)
{
    struct op op = {.p.secrets = -1};
    const char *db_path = "data/database.db", *pos[1];
    int help = 0, n, code, grant = 0, revoke = 0;
    const struct cli_opt opts[] = {
        {"--db", &db_path, NULL},         {"--role", &op.p.role, NULL},
        {"--label", &op.p.label, NULL},   {"--expires", &op.p.expires_at, NULL},
        {"--scheme", &op.p.scheme, NULL}, {"--cert", &op.cert, NULL},
        {"--secrets", NULL, &grant},      {"--no-secrets", NULL, &revoke},
        {"--help", NULL, &help},          {NULL, NULL, NULL}};
    struct db_options dbo = {
        .readers = 1, .busy_timeout_ms = 5000, .sync_full = true};
    struct db_pool *pool = NULL;
    enum svc_rc rc;

    if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 1 || (strcmp(argv[0], "add") && strcmp(argv[0], "rm") &&
                     strcmp(argv[0], "ls"))) {
        fputs(usage, stderr);
        return 2;
    }
    op.verb = argv[0];
    n = cli_parse("computedb principal", argc - 1, argv + 1, opts, pos, 1);
    if (help) {
        fputs(usage, stdout);
        return 0;
    }
    code = n < 0 || (grant && revoke) ? 2 : check_args(&op, n, pos);
    if (grant || revoke)
        op.p.secrets = grant;
    if (code) {
        if (code == 2)
            fputs(usage, stderr);
        return code;
    }
    dbo.path = db_path;
    if (ss58_init() != SVC_OK || db_pool_open(&dbo, &pool) != SVC_OK) {
        fprintf(stderr, "computedb principal: cannot open %s\n", db_path);
        return 1;
    }
    rc = db_write(pool, op_tx, &op);
    code = report(&op, rc);
    json_decref(op.list);
    db_pool_close(pool);
    return code;
}
