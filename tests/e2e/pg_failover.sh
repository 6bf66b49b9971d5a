#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Failover: two replicas on a PostgreSQL primary with a streaming standby
# (scripts/pg.sh on this machine), reached through a multi-host URL with
# target_session_attrs=read-write, lose the primary to SIGKILL under a
# steady signed load of writes (challenges, allocations) and reads through
# both (tests/e2e/failover_load.py); the standby is promoted and the
# replicas find it without a restart.
# - Synchronous standby: every write answered 2xx before, during and after
#   is on the new primary; the others got 503 with Retry-After, never
#   another answer; /readyz is 503 on both replicas between the kill and
#   the promotion and 200 after; an ETag from before the switch gets 200
#   for data that changed; a signed request taken before the switch is
#   refused as a replay by the replica that never saw it. Prints the time
#   from the kill to the first acknowledged write.
# - Asynchronous standby, held a second behind (its WAL sender paused, as
#   a slow link would): prints how many acknowledged writes the promotion
#   lost (not a failure: that is what asynchronous means); validators from
#   before the switch never get 304 after it.
# - The old primary restarted as it was (a read-write primary on its old
#   timeline, holding the lost writes): replicas that re-open their
#   sessions, and a replica started now, refuse it (it is behind the
#   promoted server's timeline) and write to the new primary only.
# Skips (77) without the PostgreSQL server programs, psql or python3 with
# cryptography. COMPUTEDB_KEEP=DIR keeps a failed run's logs there.
set -u
. "$(dirname "$0")/lib.sh"
src=${COMPUTEDB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pgsh="sh $src/scripts/pg.sh"

have_server=
command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 &&
    command -v pg_basebackup >/dev/null 2>&1 && have_server=1
ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 && have_server=1
[ -n "$have_server" ] || { echo "$name: skipped (no PostgreSQL server programs)"; exit 77; }
command -v psql >/dev/null 2>&1 || { echo "$name: skipped (no psql)"; exit 77; }
python3 -c 'import cryptography' 2>/dev/null ||
    { echo "$name: skipped (no python3 with cryptography)"; exit 77; }

# As root the servers run as another user, who must be able to enter here.
chmod 755 "$dir"
pids=
clusters=
helpers=
drop() {
    for p in $helpers $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    for c in $clusters; do $pgsh stop "$c" >/dev/null 2>&1; done
    [ $fail = 0 ] || [ -z "${COMPUTEDB_KEEP:-}" ] || cp -r "$dir" "$COMPUTEDB_KEEP"
    rm -rf "$dir"
}
trap drop EXIT

ms() { date +%s%3N; }

# hostport URL: the host:port of a one-host URL.
hostport() { echo "$1" | sed 's|.*@\([^/]*\)/.*|\1|'; }

# pair NAME MODE: a primary in DIR/NAME-p and its standby (MODE sync or
# async) in DIR/NAME-s; sets purl, surl and url (both hosts, primary first,
# target_session_attrs=read-write).
pair() {
    clusters="$clusters $dir/$1-p $dir/$1-s"
    purl=$($pgsh start "$dir/$1-p" 2>>"$dir/pg.err") &&
        surl=$($pgsh standby "$dir/$1-s" "$dir/$1-p" "$2" 2>>"$dir/pg.err") ||
        { cat "$dir/pg.err"; bad "could not make the $2 pair"; exit 1; }
    url="postgresql://computedb@$(hostport "$purl"),$(hostport "$surl")/computedb_test?target_session_attrs=read-write"
}

# replica NAME [flags]: a server on url with the key DIR/admin.key; sets
# NAME_url.
replica() {
    r=$1
    shift
    serve_on "$url" "$dir/admin.key" "$dir/$r.log" "$@"
    pids="$pids $pid"
    eval "${r}_url=\$COMPUTEDB_URL"
}

# signed METHOD URL PATH [If-None-Match]: a signed GET (conditional when
# given the ETag); prints the status (body in DIR/body, headers in
# DIR/headers).
signed() {
    curl -s -o "$dir/body" -D "$dir/headers" -w '%{http_code}' -X "$1" \
        ${4:+-H "If-None-Match: $4"} \
        $("$bin" sign --key "$dir/admin.key" "$1" "$3") "$2$3"
}

# put URL PATH JSON: a signed PUT; prints the status (body in DIR/body).
put() {
    printf '%s' "$3" >"$dir/put.json"
    curl -s -o "$dir/body" -w '%{http_code}' -X PUT \
        -H 'Content-Type: application/json' --data-binary @"$dir/put.json" \
        $("$bin" sign --key "$dir/admin.key" PUT "$2" --body-file "$dir/put.json") "$1$2"
}

etag_of() { sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p' "$dir/headers"; }

# watch_ready LOG: polls /readyz of a and b into LOG (START END NAME STATUS).
watch_ready() {
    while :; do
        for r in a b; do
            eval "u=\$${r}_url"
            s=$(ms)
            c=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$u/readyz")
            echo "$s $(ms) $r $c"
        done
        sleep 0.05
    done >"$1" 2>/dev/null &
    helpers="$helpers $!"
    watcher=$!
}

# until_ready URL: waits up to 20 s for /readyz 200.
until_ready() {
    for _ in $(seq 200); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/readyz")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# start_load NAME: the load through a and b, logged to DIR/NAME.load.
start_load() {
    PYTHONPATH=$src/clients/python python3 "$src/tests/e2e/failover_load.py" \
        "$dir/admin.key" "$dir/$1.load" "$a_url" "$b_url" 2>"$dir/$1.load.err" &
    load=$!
    helpers="$helpers $load"
}

stop_load() {
    kill "$load" "$watcher" 2>/dev/null
    wait "$load" "$watcher" 2>/dev/null
}

# lost NAME SERVER_URL: prints how many writes the load saw acknowledged
# (2xx) are not on SERVER_URL; lists them in DIR/NAME.lost.
lost() {
    awk '$3 != "read" && $5 >= 200 && $5 < 300 {print $3 " " $4}' "$dir/$1.load" |
        sort -u >"$dir/$1.acked"
    psql -XAt "$2" -c "SELECT 'challenge ' || created_at FROM challenge_details UNION ALL SELECT 'allocation ' || hotkey FROM allocation" |
        sort -u >"$dir/$1.present"
    comm -23 "$dir/$1.acked" "$dir/$1.present" >"$dir/$1.lost"
    wc -l <"$dir/$1.lost" | tr -d ' '
}

# answers NAME T_KILL T_DEAD: checks every answer of the load: 200/201, or
# 503 with Retry-After; some writes got 503 (the outage was seen under
# load); sets recovery: from the kill to the first acknowledged write sent
# once the server was gone (T_DEAD).
answers() {
    wrong=$(awk '!($5 == 200 || $5 == 201 || ($5 == 503 && $6 != "-"))' "$dir/$1.load" | head -5)
    [ -z "$wrong" ] || bad "$1: answers other than 2xx or 503 with Retry-After: $wrong"
    n503=$(awk '$3 != "read" && $5 == 503' "$dir/$1.load" | wc -l)
    [ "$n503" -gt 0 ] || bad "$1: no write got 503 while there was no primary"
    first=$(awk -v k="$3" '$3 != "read" && $5 >= 200 && $5 < 300 && $1 >= k {print $2}' "$dir/$1.load" |
        sort -n | head -1)
    [ -n "$first" ] || { bad "$1: no write was acknowledged after the kill"; first=$2; }
    recovery=$((first - $2))
    echo "$name: $1: $(awk '$3 != "read"' "$dir/$1.load" | wc -l) writes, $(awk '$3 == "read"' "$dir/$1.load" | wc -l) reads, $n503 writes answered 503"
}

# readiness NAME T_DEAD T_PROMOTE: /readyz polls that began after the kill
# and ended before the promotion are all 503, on both replicas.
readiness() {
    for r in a b; do
        seen=$(awk -v r=$r -v s="$2" -v e="$3" '$3 == r && $1 >= s && $2 <= e {print $4}' "$dir/$1.ready" | sort -u | tr '\n' ' ')
        [ "$seen" = "503 " ] || bad "$1: /readyz of $r between the kill and the promotion answered [$seen], not only 503"
    done
}

# failover NAME MODE: the fault test on a MODE pair; sets t_kill, recovery.
failover() {
    pair "$1" "$2"
    replica a
    replica b --pog-backend off
    export COMPUTEDB_KEY=$dir/admin.key
    watch_ready "$dir/$1.ready"
    start_load "$1"
    sleep 1.5
    # Taken before the switch: a signed request that a answers, ETags.
    replay=$("$bin" sign --key "$dir/admin.key" GET /miners)
    code=$(curl -s -o /dev/null -w '%{http_code}' $replay "$a_url/miners")
    [ "$code" = 200 ] || bad "$1: the request to replay: expected 200 from a, got $code"
    signed GET "$a_url" /allocations >/dev/null
    etag_alloc=$(etag_of)
    signed GET "$a_url" /wandb-runs >/dev/null
    etag_runs=$(etag_of)
    code=$(signed GET "$b_url" /wandb-runs "$etag_runs")
    [ "$code" = 304 ] || bad "$1: unchanged runs before the switch: expected 304 from b, got $code"
    if [ "$2" = async ]; then
        # The standby falls a second behind: the WAL sender stops sending.
        sender=$(psql -XAt "$purl" -c "SELECT pid FROM pg_stat_replication")
        kill -STOP $sender || bad "cannot pause the WAL sender"
    fi
    sleep 1
    t_kill=$(ms)
    $pgsh kill "$dir/$1-p" 2>>"$dir/pg.err" || bad "$1: kill failed"
    t_dead=$(ms)
    sleep 2 # a failover manager's detection time; the load goes on
    t_promote=$(ms)
    $pgsh promote "$dir/$1-s" >/dev/null 2>>"$dir/pg.err" || bad "$1: promote failed"
    t_promoted=$(ms)
    until_ready "$a_url" || bad "$1: a is not ready after the promotion"
    until_ready "$b_url" || bad "$1: b is not ready after the promotion"
    sleep 1.5
    stop_load
    answers "$1" "$t_kill" "$t_dead"
    readiness "$1" "$t_dead" "$t_promote"
    echo "$name: $1: recovery $recovery ms from SIGKILL to the first acknowledged write" \
        "(the server was gone $((t_dead - t_kill)) ms after the signal; promotion began" \
        "$((t_promote - t_kill)) ms after it and took $((t_promoted - t_promote)) ms;" \
        "the first write came $((recovery - t_promote + t_kill)) ms after the promotion began)"
    code=$(signed GET "$b_url" /allocations "$etag_alloc")
    [ "$code" = 200 ] || bad "$1: allocations changed across the switch: expected 200, got $code"
    code=$(signed GET "$b_url" /wandb-runs "$etag_runs")
    [ "$code" = 200 ] || bad "$1: a validator from before the promotion got $code, not 200"
    body=$(curl -s -w ' %{http_code}' $replay "$b_url/miners")
    case $body in
    *replay*401) ;;
    *) bad "$1: a request taken before the switch, replayed to b: expected 401 replay, got $body" ;;
    esac
    code=$(curl -s -o /dev/null -w '%{http_code}' $replay "$a_url/miners")
    [ "$code" = 401 ] || bad "$1: replayed to a: expected 401, got $code"
}

stop_replicas() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait $pids 2>/dev/null
    pids=
}

# 1. Synchronous standby: nothing acknowledged is lost.
failover sync sync
n=$(lost sync "$surl")
[ "$n" = 0 ] || bad "sync: $n acknowledged writes are not on the new primary: $(head -3 "$dir/sync.lost")"
echo "$name: sync: $(wc -l <"$dir/sync.acked") acknowledged writes, $n lost"
stop_replicas
for c in $clusters; do $pgsh stop "$c" >/dev/null 2>&1; done
clusters=
rm -f "$dir/admin.key"

# 2. Asynchronous standby a second behind: what the promotion lost.
failover async async
n=$(lost async "$surl")
echo "$name: async: $(wc -l <"$dir/async.acked") acknowledged writes, $n lost (the standby was held 1 s behind)"

# 3. The old primary comes back as it was: read-write, on the old timeline.
old=$($pgsh restart "$dir/async-p" 2>>"$dir/pg.err") || bad "the old primary did not restart"
[ "$(psql -XAt "$old" -c 'SELECT pg_is_in_recovery()')" = f ] ||
    bad "the restarted old primary is not read-write"
before=$(psql -XAt "$old" -c 'SELECT count(*) FROM allocation')
# Every session on the new primary ends: the replicas re-open them, and
# libpq's pick is the old primary (first in the URL, and writable).
psql -XAtq "$surl" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" >/dev/null
replica c --pog-backend off
for r in a b c; do
    eval "u=\$${r}_url"
    key=$(PYTHONPATH=$src/clients/python python3 -c 'import os; from computedb_client import auth; print(auth.ss58_address(os.urandom(32)))')
    code=$(put "$u" "/allocations/$key" '{"details": {"username": "after"}}')
    [ "$code" = 201 ] || bad "old primary back: a write through $r answered $code: $(cat "$dir/body")"
    [ "$(psql -XAt "$surl" -c "SELECT count(*) FROM allocation WHERE hotkey = '$key'")" = 1 ] ||
        bad "old primary back: the write through $r is not on the new primary"
    code=$(curl -s -o /dev/null -w '%{http_code}' "$u/readyz")
    [ "$code" = 200 ] || bad "old primary back: /readyz of $r answered $code"
done
[ "$(psql -XAt "$old" -c 'SELECT count(*) FROM allocation')" = "$before" ] ||
    bad "a replica wrote to the old primary"
for r in a c; do
    grep -q "behind timeline" "$dir/$r.log" || bad "replica $r did not say why it refused the old primary"
done
echo "$name: old primary back read-write on timeline 1: refused by running and new replicas ($(grep -h 'behind timeline' "$dir/a.log" | head -1 | sed 's/.*error //'))"

echo "$name: machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg); ran ${SECONDS} s"
finish
