#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/pg.sh, the private PostgreSQL server `make test` runs: start prints
# a postgres:// URL that psql can use, with fsync on and loopback only; a
# second start is a no-op that prints the same URL; url agrees; as root the
# server does not run as root; stop stops it, after which url fails and stop
# still succeeds; a start after a stop is a fresh cluster. Skips (77)
# without the PostgreSQL server programs.
set -u
name=pg_script
src=${COMPUTEDB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pg="sh $src/scripts/pg.sh"

have_server=
command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && have_server=1
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && have_server=1
[ -n "$have_server" ] || { echo "$name: skipped (no PostgreSQL server programs)"; exit 77; }
command -v psql >/dev/null 2>&1 || { echo "$name: skipped (no psql)"; exit 77; }

dir=$(mktemp -d /tmp/computedb-pg-XXXXXX)
# As root the server runs as another user, who must be able to enter here.
chmod 755 "$dir"
db=$dir/pg
fail=0
cleanup() { $pg stop "$db" >/dev/null 2>&1; rm -rf "$dir"; }
trap cleanup EXIT
bad() { echo "$name: $*"; fail=1; }

url=$($pg start "$db" 2>"$dir/err") || { cat "$dir/err"; bad "start failed"; exit 1; }
[[ $url =~ ^postgres://computedb@127\.0\.0\.1:[0-9]+/computedb_test$ ]] || bad "start printed [$url]"
[ "$(cat "$db/pg.url" 2>/dev/null)" = "$url" ] || bad "pg.url does not hold the printed URL"
[ "$(psql "$url" -XAtc 'select 1' 2>&1)" = 1 ] || bad "psql select 1 failed"
[ "$(psql "$url" -XAtc 'show fsync' 2>&1)" = on ] || bad "fsync is not on"
[ "$(psql "$url" -XAtc 'show listen_addresses' 2>&1)" = 127.0.0.1 ] || bad "listens beyond 127.0.0.1"
pid=$(head -n 1 "$db/data/postmaster.pid" 2>/dev/null)
if [ "$(id -u)" = 0 ]; then
    [ "$(ps -o user= -p "$pid" 2>/dev/null)" != root ] || bad "the server runs as root"
fi
psql "$url" -Xqc 'create table leftover (x int)' || bad "create table failed"

again=$($pg start "$db" 2>/dev/null) || bad "second start failed"
[ "$again" = "$url" ] || bad "second start printed [$again], not [$url]"
[ "$(head -n 1 "$db/data/postmaster.pid" 2>/dev/null)" = "$pid" ] || bad "second start restarted the server"
[ "$($pg url "$db" 2>/dev/null)" = "$url" ] || bad "url does not print [$url]"

$pg stop "$db" 2>/dev/null || bad "stop failed"
psql "$url" -XAtc 'select 1' >/dev/null 2>&1 && bad "the server still answers after stop"
$pg url "$db" >/dev/null 2>&1 && bad "url succeeds after stop"
$pg stop "$db" 2>/dev/null || bad "stop with nothing running failed"

url=$($pg start "$db" 2>"$dir/err") || { cat "$dir/err"; bad "start after stop failed"; exit 1; }
[ "$(psql "$url" -XAtc "select count(*) from pg_tables where tablename = 'leftover'" 2>&1)" = 0 ] ||
    bad "a start after a stop kept the old cluster"
$pg stop "$db" 2>/dev/null || bad "second stop failed"

[ $fail -eq 0 ] && echo "$name: ok"
exit $fail
