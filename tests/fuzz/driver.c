/* SPDX-License-Identifier: MIT */
/* A plain main() for the fuzz harnesses when libFuzzer is not there (gcc
 * builds): runs LLVMFuzzerTestOneInput once on every file named on the
 * command line and on every file in every folder named, in name order,
 * each in a buffer of exactly its size so that the sanitizers see an
 * over-read. Arguments that start with '-' (libFuzzer flags) are ignored,
 * so ctest runs both kinds of binary with the same command. Exits 1 when a
 * named path is missing or nothing was replayed. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads the whole file at path into a new buffer of exactly its size. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc(size ? (size_t)size : 1);
    if (!buf)
        goto out;
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    *len = (size_t)size;
out:
    fclose(f);
    return buf;
}

static int run_file(const char *path)
{
    size_t len = 0;
    uint8_t *buf = slurp(path, &len);

    if (!buf) {
        fprintf(stderr, "driver: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int skip_dots(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Runs every regular file in dir; returns how many, or -1. */
static int run_dir(const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, skip_dots, alphasort), done = 0;

    if (n < 0) {
        fprintf(stderr, "driver: cannot list %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (done >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            int r = run_file(path);

            done = r < 0 ? -1 : done + r;
        }
        free(list[i]);
    }
    free(list);
    return done;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int n;

        if (argv[i][0] == '-')
            continue;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "driver: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "driver: no inputs replayed\n");
        return 1;
    }
    fprintf(stderr, "driver: replayed %d inputs\n", total);
    return 0;
}
