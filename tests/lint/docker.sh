#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The images checked as text: the build stages install exactly `make
# deps`'s BUILD_PACKAGES, the entrypoint's flags exist in `computedb serve
# --help`, and compose.yaml points at files that exist. That the COPY set
# builds is tests/lint/docker_build.sh's.
set -u
src=${COMPUTEDB_SOURCE_DIR:?}
bin=${COMPUTEDB_BIN:?}
cd "$src" || exit 1
fail=0
bad() { echo "docker: $*"; fail=1; }

want=$(make -s --no-print-directory print-build-packages | tr ' ' '\n' | grep -v '^$' | sort -u)
for f in docker/Dockerfile docker/Dockerfile.cuda; do
    [ -f "$f" ] || { bad "$f missing"; continue; }
    # The first apt-get install of the file is the build stage's.
    got=$(awk '/^FROM .* AS build/{b=1} /^FROM /&&!/AS build/{b=0} b' "$f" \
        | sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' \
        | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|update|y|no|recommends)$' \
        | grep -v '^nvidia-cuda-toolkit$' | sort -u)
    [ "$got" = "$want" ] || bad "$f build stage installs [$(echo $got)], make deps builds with [$(echo $want)]"
    flags=$(grep '^ENTRYPOINT' "$f" | grep -o '"--[a-z-]*"' | tr -d '"')
    [ -n "$flags" ] || bad "$f has no serve flags in ENTRYPOINT"
    for flag in $flags; do
        "$bin" serve --help | grep -q -- "^  $flag " || bad "$f uses $flag, unknown to serve --help"
    done
    grep -q '^HEALTHCHECK .*' "$f" || bad "$f has no HEALTHCHECK"
    grep -q '/healthz' "$f" || bad "$f health check does not call /healthz"
    grep -q '^USER computedb' "$f" || bad "$f does not drop root"
    grep -q '^VOLUME \["/data"\]' "$f" || bad "$f has no /data volume"
done
for ref in $(grep -o 'dockerfile: [^ ]*' docker/compose.yaml | cut -d' ' -f2); do
    [ -f "$ref" ] || bad "compose.yaml builds $ref, which does not exist"
done
grep -q 'profiles: \["gpu"\]' docker/compose.yaml || bad "compose.yaml has no gpu profile"
[ $fail -eq 0 ] && echo "docker: ok"
exit $fail
