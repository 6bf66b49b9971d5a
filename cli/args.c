/* SPDX-License-Identifier: MIT */
/* Argument parsing shared by the client subcommands. */
#include "cli.h"
#include "core/num.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt *find(const struct cli_opt *opts, const char *arg,
                                  const char **inline_val)
{
    for (; opts->name; opts++) {
        size_t n = strlen(opts->name);

        if (strncmp(arg, opts->name, n) != 0)
            continue;
        if (arg[n] == '\0' || (arg[n] == '=' && opts->value)) {
            *inline_val = arg[n] == '=' ? arg + n + 1 : NULL;
            return opts;
        }
    }
    return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv,
              const struct cli_opt *opts, const char **pos, int max_pos)
{
    int n = 0;

    for (int i = 0; i < argc; i++) {
        const char *val = NULL;
        const struct cli_opt *o;

        if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0) {
            if (n == max_pos) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, argv[i]);
                return -1;
            }
            pos[n++] = argv[i];
            continue;
        }
        o = find(opts, argv[i], &val);
        if (!o) {
            fprintf(stderr, "%s: unknown option '%s'\n", cmd, argv[i]);
            return -1;
        }
        if (o->flag) {
            *o->flag = 1;
            continue;
        }
        if (!val && i + 1 == argc) {
            fprintf(stderr, "%s: %s needs a value\n", cmd, o->name);
            return -1;
        }
        *o->value = val ? val : argv[++i];
    }
    return n;
}

int cli_subcommand(int argc, char **argv, const char *name,
                   int (*fn)(int argc, char **argv), const char *usage)
{
    if (argc >= 1 && strcmp(argv[0], name) == 0)
        return fn(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    fputs(usage, stderr);
    return 2;
}

const char *cli_key_path(const char *flag)
{
    const char *env = getenv("COMPUTEDB_KEY");

    if (flag)
        return flag;
    if (env && *env)
        return env;
    return "data/admin.key";
}

void cli_print_json(const json_t *v)
{
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    size_t len = 0;

    if (!text || num_json_shortest(&text, &len) != SVC_OK) {
        fprintf(stderr, "computedb: out of memory printing the answer\n");
        return;
    }
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
    free(text);
}
