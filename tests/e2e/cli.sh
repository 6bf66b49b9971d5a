#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The binary's command line: help, version, and clear usage errors.
set -u
bin=${COMPUTEDB_BIN:?}
fail=0
expect() { # exit code, description, command...
    local want=$1 what=$2; shift 2
    "$@" >/tmp/cli.$$ 2>&1; local got=$?
    if [ "$got" != "$want" ]; then
        echo "cli: $what: exit $got, want $want"; cat /tmp/cli.$$; fail=1
    fi
}
expect 0 "--help" "$bin" --help
expect 0 "--version" "$bin" --version
"$bin" --version | grep -qE '^computedb [0-9]+\.[0-9]+\.[0-9]+' || { echo "bad --version"; fail=1; }
expect 0 "serve --help" "$bin" serve --help
for flag in --listen --db --threads --busy-timeout-ms --max-body --conn-timeout; do
    "$bin" serve --help | grep -q -- "$flag" || { echo "serve --help lacks $flag"; fail=1; }
done
expect 2 "no command" "$bin"
expect 2 "unknown command" "$bin" frobnicate
expect 2 "unknown flag" "$bin" serve --nope
expect 2 "bad number" "$bin" serve --threads 0
expect 2 "bad listen" "$bin" serve --listen nonsense
expect 2 "bad port" "$bin" serve --listen 127.0.0.1:70000
rm -f /tmp/cli.$$
[ $fail -eq 0 ] && echo "cli: ok"
exit $fail
