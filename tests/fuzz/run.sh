#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make fuzz`: runs every libFuzzer harness of BUILD (cmake -DCOMPUTEDB_FUZZ=ON)
# for SECONDS each, starting from the checked-in corpus plus what earlier
# runs kept in BUILD/fuzz-corpus/<name> (the checked-in corpus is never
# written). libFuzzer runs in fork mode and goes on after a crash, so one
# known bug does not stop the search for others; every crash lands in
# BUILD/fuzz-artifacts/. One summary line per harness; exits 1 when any
# harness crashed (a corpus input that crashes counts: see regress-* in
# README.md). FUZZ_JOBS sets the number of fork-mode workers (default 1).
# Usage: run.sh BUILD SECONDS [name...]
set -u
build=${1:?usage: run.sh BUILD SECONDS [name...]}
seconds=${2:?usage: run.sh BUILD SECONDS [name...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
names=${*:-$(cd "$here/corpus" && ls)}
art=$build/fuzz-artifacts
mkdir -p "$art" "$build/fuzz-logs"
found=0
for name in $names; do
    bin=$build/fuzz_$name
    [ -x "$bin" ] || { echo "fuzz: $bin is missing (cmake -DCOMPUTEDB_FUZZ=ON, then build fuzz_all)"; exit 2; }
    work=$build/fuzz-corpus/$name
    mkdir -p "$work"
    case $name in
    router | query | auth) dict=$here/http.dict ;;
    ss58 | sr25519) dict= ;;
    *) dict=$here/json.dict ;;
    esac
    log=$build/fuzz-logs/$name.log
    # Fork mode skips seed inputs that crash: replay the corpus first.
    if ! "$bin" -runs=0 -artifact_prefix="$art/$name-corpus-" "$here/corpus/$name" \
        >"$log.replay" 2>&1; then
        found=1
        echo "fuzz: $name: the checked-in corpus crashes (a known bug? regress-*): $log.replay"
    fi
    before=$(find "$art" -name "$name-*" | wc -l)
    touch "$log.start"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$bin" -fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=4096 -max_len=65536 ${dict:+-dict="$dict"} \
        -artifact_prefix="$art/$name-" "$work" "$here/corpus/$name" >"$log" 2>&1
    crashes=$(($(find "$art" -name "$name-*" | wc -l) - before))
    last=$(grep -a -E '^#[0-9]+: cov' "$log" | tail -1)
    # "oom/timeout/crash: a/b/c" counts repeats that left no new file.
    counted=$(echo "$last" | sed -n 's|.*oom/timeout/crash: \([0-9]*\)/\([0-9]*\)/\([0-9]*\).*|\1 \2 \3|p')
    # shellcheck disable=SC2086
    [ -n "$counted" ] && set -- $counted && [ $(($1 + $2 + $3)) -gt "$crashes" ] &&
        crashes=$(($1 + $2 + $3))
    runs=${last%%:*}
    cov=$(echo "$last" | grep -o 'cov: [0-9]*')
    if [ "$crashes" -gt 0 ]; then
        found=1
        echo "fuzz: $name: $crashes CRASHES in ${runs#\#} runs (${cov:-cov ?}); log $log, e.g.:"
        find "$art" -name "$name-*" -newer "$log.start" 2>/dev/null | head -3
        grep -a -m3 -E 'runtime error|ERROR: [A-Za-z]*Sanitizer|fuzz property failed' "$log"
    else
        echo "fuzz: $name: ok, ${runs#\#} runs in ${seconds}s (${cov:-cov ?}), corpus $(find "$work" -type f | wc -l)"
    fi
done
exit $found
