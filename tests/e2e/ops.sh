#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Operations end to end: configuration precedence (file < environment <
# flags) and `config print`; JSON logs with no secrets; /metrics parsed by
# promtool; SIGHUP reload; graceful SIGTERM that finishes a request in
# flight, exits 0 and leaves the WAL checkpointed.
set -u
. "$(dirname "$0")/lib.sh"

# -- configuration ----------------------------------------------------------
printf '{"threads": 5, "log-level": "warn", "cors-origin": ["https://a.example"]}\n' >"$dir/c.json"
out=$(COMPUTEDB_CONFIG=$dir/c.json COMPUTEDB_LOG_LEVEL=debug "$bin" config print --threads 7)
echo "$out" | grep -q '"threads": 7' || bad "flag does not win over file"
echo "$out" | grep -q '"log-level": "debug"' || bad "environment does not win over file"
echo "$out" | grep -q '"https://a.example"' || bad "file value missing"
out=$(COMPUTEDB_CONFIG=$dir/c.json "$bin" config print)
echo "$out" | grep -q '"threads": 5' || bad "file value not applied"
COMPUTEDB_THREADS=0 "$bin" config print >/dev/null 2>&1; [ $? = 2 ] || bad "bad environment value accepted"
printf '{"nope": 1}' >"$dir/bad.json"
"$bin" config print --config "$dir/bad.json" >/dev/null 2>&1; [ $? = 2 ] || bad "unknown file setting accepted"
"$bin" serve --help | grep -q COMPUTEDB_ || bad "serve --help does not document the environment"

# -- JSON logs, metrics -----------------------------------------------------
# A long busy timeout: the graceful stop below holds the lock while the
# machine may be slow.
printf '{"log-format": "json", "log-level": "info", "busy-timeout-ms": 30000}\n' >"$dir/run.json"
start --config "$dir/run.json"
"$bin" call GET /miners >/dev/null || bad "signed call failed"
curl -s -o /dev/null "$COMPUTEDB_URL/miners"                       # a 401
"$bin" call PUT /allocations/5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY \
    --data '{"details": {"password": "hunter2-secret", "uuid": "u"}}' >/dev/null || bad "allocation put failed"
# The scrape itself is in flight; a request answered just before may still
# be finishing on its thread, so scrape until that one is done.
for _ in $(seq 100); do
    curl -s "$COMPUTEDB_URL/metrics" >"$dir/metrics.txt"
    grep -q '^computedb_http_requests_in_flight 1$' "$dir/metrics.txt" && break
    sleep 0.05
done
if command -v promtool >/dev/null; then
    promtool check metrics <"$dir/metrics.txt" >"$dir/promtool.txt" 2>&1 || {
        cat "$dir/promtool.txt"; bad "promtool rejects /metrics"; }
else
    echo "$name: promtool not installed; skipped the strict metrics parse"
fi
grep -q 'computedb_http_requests_total{route="/miners",method="GET",status="200"} 1' "$dir/metrics.txt" \
    || bad "request counter for GET /miners 200 missing"
grep -q 'computedb_auth_failures_total{reason="signature_required"} 1' "$dir/metrics.txt" \
    || bad "auth failure not counted"
grep -q 'computedb_http_requests_in_flight 1' "$dir/metrics.txt" || bad "in-flight gauge (the scrape itself)"
grep -q 'computedb_db_rows{table="allocation"} 1' "$dir/metrics.txt" || bad "row count missing"
grep -qE '^process_resident_memory_bytes [1-9]' "$dir/metrics.txt" || bad "RSS missing"
python3 - "$dir/log" <<'PY' || bad "log lines are not JSON objects with the access fields"
import json, sys
access = 0
for line in open(sys.argv[1]):
    rec = json.loads(line)
    assert {"ts", "level", "msg"} <= rec.keys(), rec
    if rec["msg"] == "access":
        access += 1
        assert {"method", "route", "status", "dur_ms", "request_id", "principal"} <= rec.keys(), rec
assert access >= 4, access
PY
grep -q 'hunter2-secret' "$dir/log" && bad "a secret reached the log"
grep -qi 'BT-Signature\|0x[0-9a-f]\{128\}' "$dir/log" && bad "a signature reached the log"

# -- SIGHUP reload ----------------------------------------------------------
printf '{"log-format": "json", "log-level": "info", "busy-timeout-ms": 30000, "cors-origin": ["https://b.example"]}\n' >"$dir/run.json"
kill -HUP "$pid"
for _ in $(seq 200); do grep -q 'SIGHUP: reloaded' "$dir/log" && break; sleep 0.05; done
grep -q 'SIGHUP: reloaded' "$dir/log" || bad "SIGHUP not handled"
code=$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://b.example' \
    -H 'Access-Control-Request-Method: GET' "$COMPUTEDB_URL/miners")
[ "$code" = 204 ] || bad "reloaded CORS origin not allowed ($code)"

# -- graceful stop ------------------------------------------------------------
# Another process holds the write lock; a write waits for it; the server is
# told to stop meanwhile, the lock is let go, and the server must still
# answer that write. Each step waits for the one before it.
python3 - "$dir/data/database.db" "$dir/held" "$dir/release" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
for _ in range(600):  # at most 30 s
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
holder=$!
for _ in $(seq 600); do [ -e "$dir/held" ] && break; sleep 0.05; done
[ -e "$dir/held" ] || bad "the lock holder never took the lock"
"$bin" call PUT /wandb-runs/5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY \
    --data '{"run_id": "drained"}' >"$dir/put.out" 2>&1 &
caller=$!
waiting=
for _ in $(seq 600); do
    curl -s "$COMPUTEDB_URL/metrics" | grep -qE '^computedb_db_busy_retries_total [1-9]' && { waiting=1; break; }
    sleep 0.05
done
[ -n "$waiting" ] || bad "the write never waited for the lock"
kill "$pid"
sleep 0.2 # the server is draining
touch "$dir/release"
wait "$pid"
status=$?
pid=
wait "$caller" || { cat "$dir/put.out"; bad "the in-flight write was not answered with 2xx"; }
wait "$holder"
[ "$status" = 0 ] || bad "server exit code $status on SIGTERM"
grep -q 'stopped cleanly' "$dir/log" || bad "no clean stop logged"
[ ! -s "$dir/data/database.db-wal" ] || bad "WAL not checkpointed on stop"
[ "$(sqlite3 "$dir/data/database.db" "SELECT run_id FROM wandb_runs")" = drained ] || bad "drained write lost"
finish
