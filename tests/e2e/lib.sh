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

# serve_on DB KEY LOG [serve flags...]: starts a server on DB (a file or a
# URL) with admin key KEY, logging to LOG; sets pid, port, COMPUTEDB_URL.
# Ends the test when it does not start (77 when the build has no driver
# for DB).
serve_on() {
    _db=$1 _key=$2 _log=$3
    shift 3
    "$bin" serve --listen 127.0.0.1:0 --db "$_db" --admin-key "$_key" "$@" >"$_log" 2>&1 &
    pid=$!
    port=
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on https\{0,1\}:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$_log")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$port" ] && grep -q "no PostgreSQL driver" "$_log"; then
        echo "$name: skipped (built without libpq)"
        exit 77
    fi
    [ -n "$port" ] || { cat "$_log"; bad "the server did not start (see $_log)"; exit 1; }
    COMPUTEDB_URL=http://127.0.0.1:$port
    export COMPUTEDB_URL
}

# start [serve flags...]: serve_on data/database.db, and COMPUTEDB_KEY set.
start() {
    serve_on "$dir/data/database.db" "$dir/data/admin.key" "$dir/log" "$@"
    export COMPUTEDB_KEY="$dir/data/admin.key"
}

# stop: SIGTERM and wait; sets status to the server's exit code.
stop() { kill "$pid"; wait "$pid"; status=$?; pid=; }

# pg_database SUFFIX: for the PostgreSQL tests: sets pg (the test server's
# URL, from COMPUTEDB_TEST_PG, which `make test` sets) and db (a new
# database computedb_e2e_SUFFIX_PID on it, created here). Skips the test
# (77) without a server or psql.
pg_database() {
    pg=${COMPUTEDB_TEST_PG:-}
    [ -n "$pg" ] || { echo "$name: skipped (COMPUTEDB_TEST_PG is not set)"; exit 77; }
    command -v psql >/dev/null || { echo "$name: skipped (no psql)"; exit 77; }
    db=computedb_e2e_$1_$$
    psql -q "$pg" -c "CREATE DATABASE $db" || { bad "cannot create $db"; exit 1; }
}

finish() { [ $fail -eq 0 ] && echo "$name: ok"; exit $fail; }
