#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Source rules (docs/architecture.md): banned functions, third-party
# headers only in their owner's folder, and no SQL built with printf.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1
fail=0
report() { echo "check_source: $*"; fail=1; }

sources=$(git ls-files '*.c' '*.h' '*.cu' 2>/dev/null || find . -name '*.[ch]')
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|rand|system)[[:space:]]*\('
for f in $sources; do
    # Comments may name the banned functions; code may not call them.
    hits=$(sed -e 's://.*$::' -e 's:/\*.*\*/::g' "$f" | grep -nE "$banned" | grep -v 'snprintf\|vsnprintf')
    [ -n "$hits" ] && report "$f calls a banned function: $hits"
done

owner() { # header, allowed-path regex
    for f in $(grep -l "#include <$1>" $sources 2>/dev/null); do
        echo "$f" | grep -qE "$2" || report "<$1> included outside its owner: $f"
    done
}
owner microhttpd.h '^server/http\.c$'
owner sqlite3.h '^(schema/sqlite/|tests/|bench/)'
owner libpq-fe.h '^(schema/pg/|tests/)'
owner sodium.h '^(core/|server/auth|cli/|tests/|bench/)'
owner cuda_runtime.h '^gpu/.*\.cu$'
owner curl/curl.h '^(cli/|tests/|bench/)'

# Product code never formats SQL: every statement is a static string.
for f in $(echo "$sources" | grep -E '^(core|schema|gpu|server|handlers|cli|app)/'); do
    hits=$(grep -nE 'printf\([^;]*"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA)' "$f")
    [ -n "$hits" ] && report "$f builds SQL with printf: $hits"
done

# Handlers hold no SQL and no libmicrohttpd types.
hits=$(grep -nE '"(SELECT|INSERT|UPDATE|DELETE) ' handlers/*.c 2>/dev/null)
[ -n "$hits" ] && report "SQL in handlers/: $hits"
hits=$(echo "$sources" | grep -E '^(core|schema|gpu|server|handlers|cli|app)/' \
    | grep -v '^server/http\.c$' | xargs grep -n 'MHD_' 2>/dev/null)
[ -n "$hits" ] && report "libmicrohttpd outside server/http.c: $hits"

[ $fail -eq 0 ] && echo "check_source: ok"
exit $fail
