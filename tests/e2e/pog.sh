#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The PoG engine end to end with the real binary: `computedb pog selftest`
# (exit 0 and a JSON verdict), `pog info` and `pog benchmark` without a
# server, usage errors, the serve flags (--pog-backend, --pog-queue,
# --gpu-table, COMPUTEDB_POG_BACKEND), and through `serve`: a job over
# HTTP, the PoG metrics (promtool), and a job running at SIGTERM that
# reads failed ("interrupted by a restart") after the next start.
set -u
. "$(dirname "$0")/lib.sh"
export COMPUTEDB_POG_BACKEND=cpu

# -- the CLI, no server -----------------------------------------------------
"$bin" pog selftest --n 256 --json >"$dir/selftest.json" 2>"$dir/selftest.err" \
    || { cat "$dir/selftest.err"; bad "pog selftest failed"; }
python3 - "$dir/selftest.json" <<'PY' || bad "pog selftest --json is not the expected verdict"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["pass"] is True and r["n"] == 256 and r["backend"] == "cpu", r
assert [s["name"] for s in r["stages"]] == ["device self-test", "compute", "proof",
                                          "verify", "tampered row rejected"], r["stages"]
assert all(s["ok"] and s["seconds"] >= 0 for s in r["stages"])
assert r["verdict"]["pass"] is True and r["verdict"]["passed"] == 1
assert r["tampered_verdict"]["pass"] is False
assert len(r["compute"]["root"]) == 64 and r["compute"]["timings"]["n"] == 256
PY
grep -q '\[2/5\] compute' "$dir/selftest.err" || bad "selftest shows no progress on stderr"
"$bin" pog selftest --n 64 --seed-a 42 --seed-b 7 >"$dir/selftest.txt" 2>/dev/null \
    || bad "pog selftest (text) failed"
grep -q '^verdict: pass' "$dir/selftest.txt" || bad "selftest text has no verdict"
grep -q 'compute multiplication_time' "$dir/selftest.txt" || bad "selftest text lacks stage times"
"$bin" pog info >"$dir/info.txt" 2>/dev/null || bad "pog info failed"
grep -q '^backend: cpu, 1 device' "$dir/info.txt" || { cat "$dir/info.txt"; bad "pog info: backend"; }
grep -q '^device 0: ready' "$dir/info.txt" || bad "pog info: device"
"$bin" pog info --json 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["backend"]=="cpu" and r["info"]["num_gpus"]==1' \
    || bad "pog info --json"
"$bin" pog benchmark --n-fp16 64 --n-fp32 64 --json 2>/dev/null >"$dir/bench.json" || bad "pog benchmark failed"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["line"].startswith("1 ") and r["n_fp16"]==64 and r["identified"] is None and r["score"]==0' \
    "$dir/bench.json" || bad "pog benchmark --json"
expect() { # exit code, description, command...
    local want=$1 what=$2; shift 2
    "$@" >"$dir/out" 2>&1; local got=$?
    [ "$got" = "$want" ] || { cat "$dir/out"; bad "$what: exit $got, want $want"; }
}
expect 2 "pog without a command" "$bin" pog
expect 2 "pog unknown command" "$bin" pog frobnicate
expect 2 "pog bad --n" "$bin" pog selftest --n 0
expect 2 "pog unknown flag" "$bin" pog info --nope
expect 1 "pog unknown backend" "$bin" pog info --backend nope
expect 1 "pog n above the CPU cap" "$bin" pog selftest --n 5000
expect 0 "pog --help" "$bin" pog --help

# -- serve flags ------------------------------------------------------------
out=$("$bin" config print --pog-backend off --pog-queue 3 --pog-cpu-max-n 512)
echo "$out" | grep -q '"pog-backend": "off"' || bad "--pog-backend not in config print"
echo "$out" | grep -q '"pog-queue": 3' || bad "--pog-queue not in config print"
echo "$out" | grep -q '"pog-cpu-max-n": 512' || bad "--pog-cpu-max-n not in config print"
COMPUTEDB_POG_BACKEND=off "$bin" config print | grep -q '"pog-backend": "off"' \
    || bad "COMPUTEDB_POG_BACKEND not honoured"
expect 2 "bad --pog-backend" "$bin" config print --pog-backend gpu
expect 2 "bad --pog-queue" "$bin" config print --pog-queue 0
expect 1 "missing --gpu-table" "$bin" serve --listen 127.0.0.1:0 --db "$dir/x/database.db" \
    --admin-key "$dir/x/admin.key" --gpu-table "$dir/nope.json"
grep -q 'gpu-table' "$dir/out" || bad "a bad --gpu-table is not named"

# -- through serve ------------------------------------------------------------
job() { "$bin" call GET "/pog/jobs/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
start --pog-cpu-max-n 4096
"$bin" call POST /pog/jobs --data '{"kind": "selftest"}' >/dev/null || bad "POST /pog/jobs failed"
for _ in $(seq 100); do [ "$(job 1)" = done ] && break; sleep 0.05; done
[ "$(job 1)" = done ] || bad "the selftest job did not finish"
curl -s "$COMPUTEDB_URL/metrics" >"$dir/metrics.txt"
grep -q 'computedb_pog_jobs_total{kind="selftest",state="done"} 1' "$dir/metrics.txt" \
    || bad "PoG job counter missing"
grep -q 'computedb_pog_job_duration_seconds_count{kind="selftest"} 1' "$dir/metrics.txt" \
    || bad "PoG job duration missing"
if command -v promtool >/dev/null; then
    promtool check metrics <"$dir/metrics.txt" >"$dir/promtool.txt" 2>&1 || {
        cat "$dir/promtool.txt"; bad "promtool rejects /metrics"; }
fi
curl -s "$COMPUTEDB_URL/version" | grep -q '"pog_backend": *"cpu"' || bad "version lacks pog_backend"
"$bin" call POST /pog/jobs --data '{"kind": "compute", "n": 4096, "seed_a": "1", "seed_b": "2"}' >/dev/null \
    || bad "long job refused"
for _ in $(seq 200); do [ "$(job 2)" = running ] && break; sleep 0.05; done
[ "$(job 2)" = running ] || bad "the long job never ran"
stop
[ "$status" = 0 ] || bad "serve exited $status on SIGTERM with a job running"
start
"$bin" call GET /pog/jobs/2 >"$dir/job2.json" || bad "GET of the interrupted job failed"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["state"]=="failed" and j["error"]["message"]=="interrupted by a restart", j' \
    "$dir/job2.json" || bad "an interrupted job does not read failed after a restart"
[ "$(job 1)" = done ] || bad "a finished job lost its state across the restart"
stop
start --pog-backend off
code=$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL/readyz")
[ "$code" = 200 ] || bad "readyz is $code with the workers off"
"$bin" call POST /pog/jobs --data '{"kind": "info"}' >"$dir/off.out" 2>&1 && bad "a job was accepted with the workers off"
grep -q '503' "$dir/off.out" || { cat "$dir/off.out"; bad "workers off is not a 503"; }
stop
finish
