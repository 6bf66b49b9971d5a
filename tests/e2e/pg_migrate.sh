#!/bin/sh
# SPDX-License-Identifier: MIT
# computedb migrate: a validator database written through the SQLite
# driver is copied into PostgreSQL; every table's row count is printed,
# the PostgreSQL server then answers every read byte for byte as the
# SQLite server did (even with a database that prints doubles rounded),
# new rows continue the copied ids, and a second copy into the now
# non-empty database is refused without writing anything. A copy of that
# database (CREATE DATABASE ... TEMPLATE, as a restore makes) answers
# alike but with validators the original's never match.
# Skips (77) without a test server (COMPUTEDB_TEST_PG) or driver.
set -u
. "$(dirname "$0")/lib.sh"

pg_database migrate
url=${pg%/*}/$db
# A server whose default prints doubles rounded: answers must not change.
psql -q "$pg" -c "ALTER DATABASE $db SET extra_float_digits = 0" || bad "cannot set extra_float_digits"
drop() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null
    psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    psql -q "$pg" -c "DROP DATABASE IF EXISTS ${db}_copy" >/dev/null 2>&1
    rm -rf "$dir"
}
trap drop EXIT
alice=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
bob=5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty

# -- a validator's database, written through the SQLite driver ----------
start
"$bin" call PUT /miners --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": \"$alice\"}, {\"uid\": 2, \"hotkey\": \"$bob\"}]}" >/dev/null || bad "miners"
"$bin" call POST /challenges --data "{\"challenges\": [{\"uid\": 1, \"hotkey\": \"$alice\", \"success\": true, \"elapsed_time\": 1.25, \"difficulty\": 7}, {\"uid\": 1, \"hotkey\": \"$alice\", \"success\": false, \"elapsed_time\": 0.30000000000000004, \"difficulty\": 7}, {\"uid\": 2, \"hotkey\": \"$bob\", \"success\": true, \"elapsed_time\": 3, \"difficulty\": 9}]}" >/dev/null || bad "challenges"
"$bin" call PUT "/allocations/$alice" --data '{"details": {"password": "tab\there \\ and\nnewline", "uuid": "u-1"}}' >/dev/null || bad "allocation"
"$bin" call PUT /miners/details --data "{\"miners\": [{\"hotkey\": \"$alice\", \"details\": {\"gpu\": {\"name\": \"NVIDIA H100\", \"count\": 8}, \"has_docker\": true}}, {\"hotkey\": \"$bob\", \"details\": {}}]}" >/dev/null || bad "details"
"$bin" call PUT /stats --data "{\"stats\": {\"1\": {\"hotkey\": \"$alice\", \"score\": 0.5, \"allocated\": true, \"own_score\": false, \"reliability_score\": 0.25}}}" >/dev/null || bad "stats"
"$bin" call POST /blacklist --data "{\"hotkeys\": [\"$bob\"]}" >/dev/null || bad "blacklist"
"$bin" call PUT "/wandb-runs/$alice" --data '{"run_id": "r-1"}' >/dev/null || bad "wandb"
"$bin" call POST /pog/stats --data "{\"hotkey\": \"$alice\", \"gpu_name\": \"NVIDIA H100\", \"num_gpus\": 8}" >/dev/null || bad "pog"
paths="/miners /miners/details /challenges/stats /challenges /allocations /stats /blacklist /wandb-runs /pog/stats /admin/principals"
for p in $paths; do
    "$bin" call GET "$p" >"$dir/lite$(echo "$p" | tr / _).json" || bad "GET $p (sqlite)"
done
stop

# -- copy, then serve the copy --------------------------------------------
"$bin" migrate --from "sqlite:$dir/data/database.db" --to "$url" >"$dir/migrate.out" 2>&1 ||
    { cat "$dir/migrate.out"; bad "migrate failed"; }
for t in miner:2 challenge_details:3 allocation:1 miner_details:2 stats:1 blacklist:1 wandb_runs:1 pog_stats:1 principals:1; do
    grep -Eq "^${t%%:*} +${t#*:} rows$" "$dir/migrate.out" || bad "row count of ${t%%:*} is not ${t#*:}: $(cat "$dir/migrate.out")"
done
"$bin" migrate --from "sqlite:$dir/data/database.db" --to "$url" >"$dir/again.out" 2>&1
[ $? = 1 ] || bad "a second copy into a non-empty database was not refused"
grep -q "already has rows" "$dir/again.out" || bad "no reason given: $(cat "$dir/again.out")"

# serve_pg URL LOG: serves URL; sets pid and COMPUTEDB_URL.
serve_pg() { serve_on "$1" "$dir/data/admin.key" "$2"; }
# etag PATH: the validator of a signed GET PATH.
etag() {
    curl -s -D - -o /dev/null $("$bin" sign --key "$dir/data/admin.key" GET "$1") "$COMPUTEDB_URL$1" |
        sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p'
}

serve_pg "$url" "$dir/pg.log"
for p in $paths; do
    f=$(echo "$p" | tr / _)
    "$bin" call GET "$p" >"$dir/pg$f.json" || bad "GET $p (postgres)"
    cmp -s "$dir/lite$f.json" "$dir/pg$f.json" || {
        diff "$dir/lite$f.json" "$dir/pg$f.json" | head -20
        bad "GET $p differs between the drivers"
    }
done
# New rows continue the copied ids.
"$bin" call PUT "/allocations/$bob" --data '{"details": {"uuid": "u-2"}}' >/dev/null || bad "allocation on postgres"
"$bin" call GET /allocations | grep -q '"id": 2' || bad "the new allocation did not get id 2"

# A copy of the database (as a dump restored into a new database) answers
# the same but with validators of its own: its counters restarted from
# the dump's, and a client's validator from the original must not match.
orig=$(etag /miners)
[ -n "$orig" ] || bad "no ETag from the original"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $orig" \
    $("$bin" sign --key "$dir/data/admin.key" GET /miners) "$COMPUTEDB_URL/miners")
[ "$code" = 304 ] || bad "the original's own validator earned $code"
"$bin" call GET /miners >"$dir/orig_miners.json" || bad "GET /miners (original)"
stop
# A template must have no sessions: the stopped server's may take a moment
# to end.
copied=
for _ in $(seq 50); do
    psql -q "$pg" -c "CREATE DATABASE ${db}_copy TEMPLATE $db" 2>"$dir/copy.err" && { copied=1; break; }
    sleep 0.1
done
[ -n "$copied" ] || { cat "$dir/copy.err"; bad "cannot copy $db"; exit 1; }
serve_pg "${url}_copy" "$dir/copy.log"
"$bin" call GET /miners | cmp -s - "$dir/orig_miners.json" || bad "the copy answers differently"
copy=$(etag /miners)
[ -n "$copy" ] && [ "$copy" != "$orig" ] || bad "the copy's validator $copy matches the original's $orig"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $orig" \
    $("$bin" sign --key "$dir/data/admin.key" GET /miners) "$COMPUTEDB_URL/miners")
[ "$code" = 200 ] || bad "the original's validator earned $code from the copy"
# The same write on both (a history that forks, as after a failover to a
# standby that missed commits) leaves different counters.
put_miner() {
    "$bin" call PUT /miners --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 9, \"hotkey\": \"$bob\"}]}" >/dev/null ||
        bad "PUT /miners on $1"
    etag /miners | sed 's/.*-\([0-9a-f]*\)"$/\1/'
}
copy_count=$(put_miner copy)
stop
serve_pg "$url" "$dir/pg2.log"
orig_count=$(put_miner original)
[ -n "$orig_count" ] && [ "$orig_count" != "$copy_count" ] ||
    bad "the same write counted alike on both histories ($orig_count)"
stop
finish
