#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The images checked as text, without a container engine: the build stages
# install exactly `make deps`'s BUILD_PACKAGES, compose.yaml points at
# files that exist, and the images honour their environment: ENTRYPOINT,
# CMD and compose's command: pass no serve flags (a flag beats COMPUTEDB_*,
# so `docker run -e COMPUTEDB_DB=...` would be ignored), every COMPUTEDB_*
# they set is a serve setting, and the runtime stage's ENV and entrypoint,
# replayed through `computedb config print`, give the image's defaults and
# yield to a variable given at run time. The checks are run once more on
# broken copies, which must fail. That the COPY set builds is
# tests/lint/docker_build.sh's.
set -u
src=${COMPUTEDB_SOURCE_DIR:?}
bin=${COMPUTEDB_BIN:?}
cd "$src" || exit 1
fail=0
bad() { echo "docker: $*"; fail=1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/docker_lint-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The COMPUTEDB_* name of every serve flag.
settings=$("$bin" serve --help | sed -n 's/^  --\([a-z-]*\) .*/\1/p' | grep -vx help |
    tr 'a-z-' 'A-Z_' | sed 's/^/COMPUTEDB_/')
[ -n "$settings" ] || bad "serve --help lists no flags"
is_setting() { grep -qx -- "$1" <<<"$settings"; }

# runtime_lines FILE: the last stage's instructions, one per line:
# continuations joined, comment lines dropped.
runtime_lines() {
    awk '
        /^[[:space:]]*#/ { next }
        {
            buf = cont ? buf " " $0 : $0
            if (sub(/\\[[:space:]]*$/, "", buf)) { cont = 1; next }
            cont = 0; print buf; buf = ""
        }' "$1" | awk 'toupper($1) == "FROM" { n++; out = "" ; next } { out = out $0 "\n" } END { printf "%s", out }'
}

# exec_args FILE KEYWORD: the words of the stage's ENTRYPOINT or CMD (JSON
# form), one per line.
exec_args() {
    runtime_lines "$1" | awk -v k="$2" 'toupper($1) == k' | tail -n 1 |
        sed 's/^[A-Za-z]*[[:space:]]*//' | grep -o '"[^"]*"' | tr -d '"'
}

# check_build_stage FILE: installs exactly make deps's packages.
want=$(make -s --no-print-directory print-build-packages | tr ' ' '\n' | grep -v '^$' | sort -u)
check_build_stage() {
    local f=$1 got
    # The first apt-get install of the file is the build stage's.
    got=$(awk '/^FROM .* AS build/{b=1} /^FROM /&&!/AS build/{b=0} b' "$f" \
        | sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' \
        | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|update|y|no|recommends)$' \
        | grep -v '^nvidia-cuda-toolkit$' | sort -u)
    [ "$got" = "$want" ] || bad "$f build stage installs [$(echo $got)], make deps builds with [$(echo $want)]"
}

# check_env FILE: the runtime stage's ENV words as NAME=VALUE lines, into
# $tmp/env; every COMPUTEDB_* among them is a serve setting.
check_env() {
    local f=$1 w
    runtime_lines "$f" | awk 'toupper($1) == "ENV" { for (i = 2; i <= NF; i++) print $i }' >"$tmp/env"
    while IFS= read -r w; do
        case $w in
        *'"'*|*"'"*|*'$'*) bad "$f: ENV $w: quotes and variables are not understood here" ;;
        COMPUTEDB_*=*) is_setting "${w%%=*}" || bad "$f: ENV ${w%%=*} is no serve setting (computedb serve --help)" ;;
        *=*) ;;
        *) bad "$f: ENV $w: write ENV NAME=VALUE" ;;
        esac
    done <"$tmp/env"
    grep -qx 'COMPUTEDB_LISTEN=0\.0\.0\.0:[0-9]*' "$tmp/env" || bad "$f: no ENV COMPUTEDB_LISTEN=0.0.0.0:PORT"
    grep -qx 'COMPUTEDB_DB=/data/[^/]*' "$tmp/env" || bad "$f: no ENV COMPUTEDB_DB in the /data volume"
}

# check_entrypoint FILE: `computedb serve` with no flags, in ENTRYPOINT or
# CMD, and shell forms refused (they pass no flags after the image name).
check_entrypoint() {
    local f=$1 k w
    runtime_lines "$f" | grep -Eiq '^ENTRYPOINT[[:space:]]+\[' || bad "$f: ENTRYPOINT is not a JSON list"
    [ "$(exec_args "$f" ENTRYPOINT | head -n 2 | tr '\n' ' ')" = "computedb serve " ] ||
        bad "$f: ENTRYPOINT is not [\"computedb\", \"serve\"]"
    for k in ENTRYPOINT CMD; do
        for w in $(exec_args "$f" "$k"); do
            case $w in --*) bad "$f: $k passes $w, which beats COMPUTEDB_* given to docker run -e; set it with ENV instead" ;; esac
        done
    done
}

# check_precedence FILE: the image's ENV and entrypoint replayed through
# config print: its defaults apply, and a variable given at run time wins.
check_precedence() {
    local f=$1 out listen db
    local -a env args
    mapfile -t env <"$tmp/env"
    mapfile -t args < <(exec_args "$f" ENTRYPOINT | tail -n +3; exec_args "$f" CMD)
    listen=$(sed -n 's/^COMPUTEDB_LISTEN=//p' "$tmp/env")
    db=$(sed -n 's/^COMPUTEDB_DB=//p' "$tmp/env")
    out=$(cd "$tmp" && env -i PATH="$PATH" "${env[@]}" "$bin" config print "${args[@]}" 2>&1)
    grep -q "\"listen\": \"$listen\"" <<<"$out" || bad "$f: the image does not listen on its COMPUTEDB_LISTEN $listen"
    grep -q "\"db\": \"$db\"" <<<"$out" || bad "$f: the image's database is not its COMPUTEDB_DB $db"
    grep -q "\"admin-key\": \"${db%/*}/admin.key\"" <<<"$out" || bad "$f: the admin key is not beside $db"
    out=$(cd "$tmp" && env -i PATH="$PATH" "${env[@]}" COMPUTEDB_DB=/srv/run.db COMPUTEDB_LISTEN=0.0.0.0:9090 \
        "$bin" config print "${args[@]}" 2>&1)
    grep -q '"db": "/srv/run.db"' <<<"$out" || bad "$f: docker run -e COMPUTEDB_DB=/srv/run.db is not honoured"
    grep -q '"admin-key": "/srv/admin.key"' <<<"$out" || bad "$f: the admin key does not follow COMPUTEDB_DB"
    grep -q '"listen": "0.0.0.0:9090"' <<<"$out" || bad "$f: docker run -e COMPUTEDB_LISTEN is not honoured"
}

# check_runtime FILE: how the image runs.
check_runtime() {
    local f=$1
    check_env "$f"
    check_entrypoint "$f"
    check_precedence "$f"
    grep -q '^HEALTHCHECK .*' "$f" || bad "$f has no HEALTHCHECK"
    grep -q '/healthz' "$f" || bad "$f health check does not call /healthz"
    grep -q '^USER computedb' "$f" || bad "$f does not drop root"
    grep -q '^VOLUME \["/data"\]' "$f" || bad "$f has no /data volume"
}

# check_compose FILE: existing Dockerfiles, a gpu profile, no serve flags
# in command: or entrypoint:, and settings only in environment:.
check_compose() {
    local c=$1 ref name
    for ref in $(grep -o 'dockerfile: [^ ]*' "$c" | cut -d' ' -f2); do
        [ -f "$ref" ] || bad "compose.yaml builds $ref, which does not exist"
    done
    grep -q 'profiles: \["gpu"\]' "$c" || bad "compose.yaml has no gpu profile"
    grep -nE '^[[:space:]]*(command|entrypoint):.*--' "$c" |
        while IFS= read -r ref; do echo "docker: $c passes serve flags, which beat its environment: $ref"; done | grep . && fail=1
    for name in $(grep -oE '^[[:space:]]+(- )?COMPUTEDB_[A-Z_]+' "$c" | grep -o 'COMPUTEDB_[A-Z_]*'); do
        is_setting "$name" || bad "$c sets $name, which is no serve setting"
    done
}

for f in docker/Dockerfile docker/Dockerfile.cuda; do
    [ -f "$f" ] || { bad "$f missing"; continue; }
    check_build_stage "$f"
    check_runtime "$f"
done
check_compose docker/compose.yaml

# The checks fail where they should: each broken copy must be refused.
# must_fail WHAT CHECK FILE
must_fail() {
    local what=$1 check=$2 file=$3
    if (fail=0; "$check" "$file" >"$tmp/broken.out" 2>&1; exit $fail); then
        bad "a copy with $what passed $check"
    fi
}
sed 's|^ENTRYPOINT .*|ENTRYPOINT ["computedb", "serve", "--db", "/data/database.db"]|' docker/Dockerfile >"$tmp/Dockerfile"
must_fail "an ENTRYPOINT --db" check_runtime "$tmp/Dockerfile"
grep -q 'beats COMPUTEDB_' "$tmp/broken.out" || bad "the ENTRYPOINT --db copy failed for another reason: $(cat "$tmp/broken.out")"
grep -q 'COMPUTEDB_DB=/srv/run.db is not honoured' "$tmp/broken.out" ||
    bad "replaying the ENTRYPOINT --db copy did not show COMPUTEDB_DB ignored"
sed 's|^ENTRYPOINT .*|ENTRYPOINT ["computedb", "serve"]\nCMD ["--listen", "0.0.0.0:8080"]|' docker/Dockerfile >"$tmp/Dockerfile"
must_fail "a CMD --listen" check_runtime "$tmp/Dockerfile"
sed 's|COMPUTEDB_DB=|COMPUTEDB_DATABASE=|' docker/Dockerfile >"$tmp/Dockerfile"
must_fail "ENV COMPUTEDB_DATABASE" check_runtime "$tmp/Dockerfile"
sed 's|^\(    stop_grace_period: 20s\)$|\1\n    command: ["--db", "/data/other.db"]|' docker/compose.yaml >"$tmp/compose.yaml"
must_fail "a compose command: --db" check_compose "$tmp/compose.yaml"

[ $fail -eq 0 ] && echo "docker: ok"
exit $fail
