# SPDX-License-Identifier: MIT
# Shared by the end-to-end tests: a temporary directory, a server started
# in the background on port 0, and failure bookkeeping.
bin=${COMPUTEDB_BIN:?COMPUTEDB_BIN is not set}
dir=$(mktemp -d /tmp/computedb-e2e-XXXXXX)
pid=
fail=0
name=$(basename "$0" .sh)
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
bad() { echo "$name: $*"; fail=1; }

# start [serve flags...]: starts the server; sets pid, port, COMPUTEDB_URL.
start() {
    : >"$dir/log"
    "$bin" serve --listen 127.0.0.1:0 --db "$dir/data/database.db" \
        --admin-key "$dir/data/admin.key" "$@" >"$dir/log" 2>&1 &
    pid=$!
    port=
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$port" ] || { cat "$dir/log"; bad "server did not start"; exit 1; }
    export COMPUTEDB_URL=http://127.0.0.1:$port
    export COMPUTEDB_KEY=$dir/data/admin.key
}

# stop: SIGTERM and wait; sets status to the server's exit code.
stop() { kill "$pid"; wait "$pid"; status=$?; pid=; }

finish() { [ $fail -eq 0 ] && echo "$name: ok"; exit $fail; }
