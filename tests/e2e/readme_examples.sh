#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README's shell examples run as written. Every ```sh block of README.md
# runs, in order, in one bash with `set -e` (variables carry from block to
# block, as in a reader's shell), from a folder where a test server (port
# 0, a new database, its first-run key in data/admin.key) stands in for
# the one `make run` starts. What differs from a reader's shell: the
# server's address replaces 127.0.0.1:8080 in the blocks (and is
# COMPUTEDB_URL, which `computedb call` uses instead of its default),
# `computedb` on PATH is the binary under test, HOME is an empty folder,
# and curl fails on an HTTP error status (--fail-with-body; no progress
# meter), so that a refused request fails the block as `computedb call`
# does.
# The line right before a block may mark it:
#   <!-- readme-test: skip (reason) -->   not run (serves until stopped, ...)
#   <!-- readme-test: fails (reason) -->  must fail: it runs in a subshell
#                                         that has to exit non-zero
# A failing block is printed with its README line numbers and its output.
set -u
. "$(dirname "$0")/lib.sh"
readme=${COMPUTEDB_SOURCE_DIR:?}/README.md
command -v curl >/dev/null || { echo "$name: curl missing; skipped"; exit 77; }
mkdir -p "$dir/blocks" "$dir/out" "$dir/home" "$dir/bin"
ln -s "$bin" "$dir/bin/computedb"

# Each block goes to blocks/L.sh, L the line of its opening fence; list
# gets "L MODE REASON" per block. A malformed marker, a marker not right
# before a block, or an unclosed block is an error.
awk -v out="$dir/blocks" '
    function fail(msg, at) { print "README.md:" at ": " msg; bad = 1 }
    inblk && /^```[ \t]*$/ { inblk = 0; close(file); next }
    inblk { print > file; next }
    marker && !/^```sh[ \t]*$/ { fail("a readme-test marker must be right before a ```sh block", NR - 1) }
    /^```sh[ \t]*$/ {
        inblk = 1; start = NR; file = out "/" NR ".sh"; printf "" > file
        print NR, (marker ? marker : "run") >> (out "/list")
        marker = ""; next
    }
    { marker = "" }
    /<!-- readme-test/ {
        if (match($0, /^<!-- readme-test: (skip|fails) \([^)]*[^ )][^)]*\) -->$/))
            marker = substr($0, 19, length($0) - 22)
        else
            fail("malformed marker; write <!-- readme-test: skip (reason) --> or fails (reason)", NR)
    }
    END {
        if (inblk) fail("this ```sh block is not closed", start)
        exit bad
    }' "$readme" || { bad "README.md: bad markers or blocks (above)"; finish; }

# The blocks to run as one script; `current` names the block running.
start --pog-backend cpu
runner=$dir/readme.bash
ran=0 skipped=
{
    echo "set -e; exec 9>'$dir/trace'; BASH_XTRACEFD=9; set -x"
    echo 'curl() { command curl --fail-with-body --no-progress-meter "$@"; }'
    while read -r at mode _; do
        if [ "$mode" = skip ]; then
            skipped="$skipped $at"
            continue
        fi
        ran=$((ran + 1))
        echo "echo $at >'$dir/current'; exec >'$dir/out/$at.log' 2>&1"
        [ "$mode" = fails ] && printf 'set +e\n(\nset -e\n'
        sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" "$dir/blocks/$at.sh"
        echo
        [ "$mode" = fails ] && printf ')\n%s\n' \
            '[ $? -ne 0 ] || { echo "readme-test: this block must fail and it succeeded"; exit 1; }; set -e'
    done <"$dir/blocks/list"
    echo "echo end >'$dir/current'"
} >"$runner"
[ $ran -gt 0 ] || { bad "no runnable \`\`\`sh block found in README.md"; finish; }

(cd "$dir" && env -u COMPUTEDB_KEY HOME="$dir/home" PATH="$dir/bin:$PATH" \
    timeout 240 bash "$runner" </dev/null)
rc=$?
at=$(cat "$dir/current" 2>/dev/null)
if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && why="did not finish within 240 s" || why="failed (exit $rc)"
    echo "$name: the \`\`\`sh block at README.md line ${at:-?} $why:"
    [ -n "$at" ] && [ -f "$dir/blocks/$at.sh" ] &&
        awk -v first="$at" '{ printf "  %5d | %s\n", first + NR, $0 }' "$dir/blocks/$at.sh"
    echo "-- the last command it ran:"
    tail -n 1 "$dir/trace"
    echo "-- its output (the end):"
    tail -n 40 "$dir/out/$at.log" 2>/dev/null
    bad "README.md line ${at:-?}: the example does not run as written"
elif [ "$at" != end ]; then
    bad "the blocks stopped before the last one (at ${at:-?})"
fi
[ $fail -eq 0 ] && echo "$name: $ran README blocks ran as written; skipped (marked) at lines:${skipped:- none}"
finish
