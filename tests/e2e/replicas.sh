#!/bin/sh
# SPDX-License-Identifier: MIT
# Two replicas on one PostgreSQL database: a write through one is read
# through the other, validators move with the other's writes (no stale
# 304), a principal added through one signs on the other, and a signed
# request sent to one is refused as a replay by the other; backups are
# refused (PostgreSQL's own tools make them); a PoG job run on one is read
# through the other, a replica without workers never marks its jobs
# interrupted, and only one replica runs workers; the URL's password is
# never logged. Skips (77)
# without a test server (COMPUTEDB_TEST_PG, set by `make test`) or without
# the driver in this build.
set -u
. "$(dirname "$0")/lib.sh"

pg_database replicas
# With a password (the test server trusts loopback, so any will do): it
# must never reach a log.
url=$(echo "${pg%/*}/$db" | sed 's|://\([^:@/]*\)@|://\1:e2e-secret-pw@|')
pids=
drop() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    rm -rf "$dir"
}
trap drop EXIT
mkdir -p "$dir/data"
printf '{"run_id": "r-1"}' >"$dir/run.json"

# replica NAME [flags]: starts a server on the shared database; sets
# NAME_url.
replica() {
    r=$1
    shift
    serve_on "$url" "$dir/data/admin.key" "$dir/$r.log" "$@"
    pids="$pids $pid"
    eval "${r}_url=\$COMPUTEDB_URL"
}

replica a # makes the admin key: the database has no principal yet
replica b --busy-timeout-ms 400 --pog-backend off # PoG workers on a only
export COMPUTEDB_KEY=$dir/data/admin.key
alice=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
bob=5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty

# A write through a is read through b, and the other way round.
"$bin" call --url "$a_url" PUT /miners \
    --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 1, \"hotkey\": \"$alice\"}]}" \
    >/dev/null || bad "PUT /miners through a failed"
out=$("$bin" call --url "$b_url" GET /miners) || bad "GET /miners through b failed"
echo "$out" | grep -q "$alice" || bad "b does not see a's miner: $out"

# Validators: b's ETag must change when a writes.
etag=$(curl -s -D - -o /dev/null $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$b_url/miners" |
    sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p')
[ -n "$etag" ] || bad "no ETag from b"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$b_url/miners")
[ "$code" = 304 ] || bad "unchanged: expected 304 from b, got $code"
"$bin" call --url "$b_url" PUT /miners \
    --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 2, \"hotkey\": \"$bob\"}]}" \
    >/dev/null || bad "PUT /miners through b failed"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$a_url/miners")
[ "$code" = 200 ] || bad "after b's write: expected 200 from a, got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$b_url/miners")
[ "$code" = 200 ] || bad "after b's write: expected 200 from b, got $code"
"$bin" call --url "$a_url" GET /miners | grep -q "$bob" || bad "a does not see b's miner"

# A principal added through a signs requests on b.
"$bin" keygen --out "$dir/reader.key" >/dev/null || bad "keygen failed"
reader=$("$bin" sign --key "$dir/reader.key" GET / | sed -n 's/.*BT-Signer: *\([0-9A-Za-z]*\).*/\1/p')
"$bin" call --url "$a_url" PUT "/admin/principals/$reader" \
    --data '{"role": "reader"}' >/dev/null || bad "adding a principal through a failed"
"$bin" call --url "$b_url" --key "$dir/reader.key" GET /miners >/dev/null ||
    bad "the new reader is refused by b"

# One signed request: accepted by a, refused as a replay by b.
headers=$("$bin" sign --key "$COMPUTEDB_KEY" GET /miners)
code=$(curl -s -o /dev/null -w '%{http_code}' $headers "$a_url/miners")
[ "$code" = 200 ] || bad "signed request: expected 200 from a, got $code"
body=$(curl -s -w ' %{http_code}' $headers "$b_url/miners")
case $body in
*replay*401) ;;
*) bad "replayed to b: expected 401 replay, got $body" ;;
esac
code=$(curl -s -o /dev/null -w '%{http_code}' $headers "$a_url/miners")
[ "$code" = 401 ] || bad "replayed to a: expected 401, got $code"

grep -q "e2e-secret-pw" "$dir"/a.log "$dir"/b.log && bad "the database password reached a log"
grep -q ':\*\*\*@' "$dir/a.log" || bad "the log does not name the database (password hidden)"
"$bin" config print --db "$url" | grep -q "e2e-secret-pw" && bad "config print shows the password"

# PoG job records are shared: a job run by a's workers is read through b,
# which runs none (and so never marks a's unfinished jobs interrupted).
out=$("$bin" call --url "$a_url" POST /pog/jobs --data '{"kind": "selftest"}') ||
    bad "POST /pog/jobs through a failed"
id=$(echo "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
state=
for _ in $(seq 150); do
    state=$("$bin" call --url "$b_url" GET "/pog/jobs/$id" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')
    [ "$state" = done ] && break
    sleep 0.1
done
[ "$state" = done ] || bad "b does not see a's job $id finish (state $state)"

# Only one replica runs PoG workers (it numbers the jobs): with the
# default backend (auto) another one runs none; asked for one by name it
# refuses to start.
replica d
grep -q "another replica runs the PoG workers" "$dir/d.log" || bad "replica d did not yield the PoG workers"
kill "$pid"
wait "$pid" || bad "replica d did not stop cleanly"
timeout 30 "$bin" serve --listen 127.0.0.1:0 --db "$url" --admin-key "$dir/data/admin.key" \
    --pog-backend cpu >"$dir/e.log" 2>&1
code=$?
[ "$code" != 0 ] && [ "$code" != 124 ] || bad "a second replica with --pog-backend cpu was not refused (exit $code)"
grep -q "start this one with --pog-backend off" "$dir/e.log" || bad "the refusal gives no reason: $(tail -3 "$dir/e.log")"

# Writes wait for the one write lock at most --busy-timeout-ms, then 503
# with Retry-After (as a busy SQLite file); nothing is written.
# The holder keeps the lock until it is ended, once the write is answered.
PGAPPNAME=e2e-holder psql -q "$url" \
    -c "SELECT pg_advisory_lock(8319104481439490675), pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
held=0
for _ in $(seq 300); do
    held=$(psql -qtA "$pg" -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'e2e-holder' AND a.datname = '$db'")
    [ "$held" = 1 ] && break
    sleep 0.05
done
[ "$held" = 1 ] || bad "the holder never took the write lock"
code=$(curl -s -o "$dir/busy.json" -D "$dir/busy.h" -w '%{http_code}' \
    $("$bin" sign --key "$COMPUTEDB_KEY" PUT "/wandb-runs/$alice" --body-file "$dir/run.json" 2>/dev/null) \
    -X PUT -H 'Content-Type: application/json' --data-binary @"$dir/run.json" "$b_url/wandb-runs/$alice")
[ "$code" = 503 ] || bad "write under another's lock: expected 503, got $code $(cat "$dir/busy.json")"
grep -qi '^Retry-After:' "$dir/busy.h" || bad "503 without Retry-After"
psql -q "$pg" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'e2e-holder' AND datname = '$db'" >/dev/null ||
    bad "cannot end the holder"
wait "$holder"
"$bin" call --url "$b_url" PUT "/wandb-runs/$alice" --data '{"run_id": "r-1"}' >/dev/null ||
    bad "the write failed after the lock was released"

# The server drops every session (a restart, a failover): each replica
# re-opens its sessions as it next uses them, and no request fails for it.
psql -q "$pg" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null ||
    bad "cannot terminate the sessions"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
    "$bin" call --url "$a_url" GET /miners >/dev/null || bad "GET /miners $i after the sessions were dropped"
done
"$bin" call --url "$b_url" PUT "/wandb-runs/$bob" --data '{"run_id": "r-2"}' >/dev/null ||
    bad "a write after the sessions were dropped"
grep -q "reconnected" "$dir/a.log" || bad "replica a did not log the reconnection"

# Dropping every session also ended a's claim on the PoG workers: a
# replica started now takes it, and a refuses new jobs rather than number
# them beside it; once that replica stops, a claims the role again.
replica f
grep -q "another replica runs the PoG workers" "$dir/f.log" && bad "replica f did not take the free PoG workers' role"
printf '{"kind": "selftest"}' >"$dir/selftest.json"
out=$(curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @"$dir/selftest.json" \
    $("$bin" sign --key "$COMPUTEDB_KEY" POST /pog/jobs --body-file "$dir/selftest.json") \
    "$a_url/pog/jobs")
case $out in
*"another replica now runs the PoG workers"*409) ;;
*) bad "a took a job, or did not say why, while f held the workers' role: $out" ;;
esac
kill "$pid"
wait "$pid" || bad "replica f did not stop cleanly"
"$bin" call --url "$a_url" POST /pog/jobs --data '{"kind": "selftest"}' >/dev/null ||
    bad "a did not claim the workers' role again once f stopped"

# Backups are PostgreSQL's business: 409 with the reason.
out=$("$bin" call --url "$a_url" POST /admin/backup --data '{}' 2>&1)
case $out in
*pg_dump*) ;;
*) bad "POST /admin/backup on PostgreSQL: expected 409 naming pg_dump, got $out" ;;
esac

# A replica without workers neither starts nor stops by marking the
# worker replica's unfinished jobs interrupted (a rolling restart must not
# fail jobs that a is running).
psql -q "$url" -c "INSERT INTO pog_jobs (id, kind, state, submitted_at, started_at) VALUES (999999, 'compute', 'running', 1, 2)" ||
    bad "cannot add a running job"
replica c --pog-backend off
kill "$pid"
wait "$pid" || bad "replica c did not stop cleanly"
state=$(psql -qtA "$url" -c "SELECT state FROM pog_jobs WHERE id = 999999")
[ "$state" = running ] || bad "a worker-less replica's start or stop marked a's running job $state"
psql -q "$url" -c "DELETE FROM pog_jobs WHERE id = 999999" >/dev/null

finish
