#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The floors (docs/architecture.md): every #include "..." of product code
# names a header of its own folder or of a floor below it. Bare names are
# the including file's folder; other paths are from the repository root.
# The link side is checked by the build: cmake/floors.cmake links each
# floor's whole library alone.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1

# folder: the folders it may include from (its own always).
allowed() {
    case "$1" in
    core) echo "" ;;
    schema) echo "core" ;;
    schema/sqlite | schema/pg) echo "core schema" ;;
    gpu) echo "core schema" ;;
    server) echo "core schema gpu" ;;
    handlers) echo "core schema gpu server" ;;
    cli) echo "core schema gpu" ;;
    app) echo "core schema schema/sqlite schema/pg gpu server handlers cli" ;;
    *) echo "-" ;;
    esac
}

# check SOURCE_LIST: prints one line per upward include.
check() {
    local f dir inc target tdir ok a
    for f in "$@"; do
        dir=$(dirname "$f")
        [ "$(allowed "$dir")" = "-" ] && { echo "$f: in no floor (add its folder to tests/lint/check_floors.sh)"; continue; }
        grep -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' "$f" \
            | sed 's/.*"\(.*\)"/\1/' | while read -r inc; do
            case "$inc" in
            version.h) continue ;; # generated from core/version.h.in
            */*) target=$inc ;;
            *) target=$dir/$inc ;;
            esac
            tdir=$(dirname "$target")
            [ "$tdir" = "$dir" ] && continue
            ok=0
            for a in $(allowed "$dir"); do
                [ "$tdir" = "$a" ] && ok=1
            done
            [ $ok -eq 1 ] || echo "$f includes $inc: $tdir is not below $dir"
        done
    done
}

fail=0
sources=$(git ls-files 'core/*.[ch]' 'schema/*.[ch]' 'gpu/*.[ch]' 'gpu/*.cu' \
    'server/*.[ch]' 'handlers/*.[ch]' 'cli/*.[ch]' 'app/*.[ch]' 2>/dev/null)
sources="$sources $(git ls-files --others --exclude-standard 'core/*.[ch]' \
    'schema/*.[ch]' 'gpu/*.[ch]' 'server/*.[ch]' 'handlers/*.[ch]' 'cli/*.[ch]' \
    'app/*.[ch]' 2>/dev/null)"
[ -n "${sources// /}" ] || { echo "check_floors: no sources found"; exit 1; }
# shellcheck disable=SC2086
out=$(check $sources)
[ -n "$out" ] && { echo "$out" | sed 's/^/check_floors: /'; fail=1; }

# Self-test: an upward include in a scratch tree must be reported.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/gpu" "$scratch/schema/pg"
printf '#include "server/http.h"\n' >"$scratch/gpu/up.c"
printf '#include "schema/sqlite/lite.h"\n' >"$scratch/schema/pg/side.c"
printf '#include "core/log.h"\n#include "pool.h"\n' >"$scratch/gpu/ok.c"
self=$(cd "$scratch" && check gpu/up.c schema/pg/side.c gpu/ok.c)
echo "$self" | grep -q 'gpu/up.c' || { echo "check_floors: self-test: gpu -> server not reported"; fail=1; }
echo "$self" | grep -q 'schema/pg/side.c' || { echo "check_floors: self-test: pg -> sqlite not reported"; fail=1; }
echo "$self" | grep -q 'gpu/ok.c' && { echo "check_floors: self-test: gpu/ok.c reported"; fail=1; }

[ $fail -eq 0 ] && echo "check_floors: ok ($(echo $sources | wc -w) files)"
exit $fail
