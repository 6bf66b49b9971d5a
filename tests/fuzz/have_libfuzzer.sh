#!/bin/sh
# SPDX-License-Identifier: MIT
# Exits 0 when clang can build a libFuzzer binary with ASan and UBSan
# (Debian: clang and libclang-rt-dev), 1 otherwise. Used by `make test` to
# pick who replays the fuzz corpora.
command -v clang >/dev/null 2>&1 || exit 1
out=$(mktemp "${TMPDIR:-/tmp}/computedb-libfuzzer-XXXXXX") || exit 1
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{\n    (void)d;\n    (void)n;\n    return 0;\n}\n' |
    clang -x c -fsanitize=fuzzer,address,undefined -o "$out" - >/dev/null 2>&1
rc=$?
rm -f "$out"
exit $rc
