#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The contract types cleanly: TypeScript types generated from openapi.json
# by the pinned openapi-typescript must accept real responses. A server on
# port 0 is seeded through the API and with legacy rows another writer
# left (an allocation stored as an array, specs with members of its own),
# then every GET route of openapi.json is fetched (secrets as an admin sees
# them and as a reader does); types.mjs assigns each body to its route's
# generated response type and `tsc --strict --noEmit` checks them. A GET
# route in openapi.json without a sample below fails the test. Skipped (77)
# without the npm tools (scripts/tools.sh), node or sqlite3.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
src=${COMPUTEDB_SOURCE_DIR:?}
tools=${COMPUTEDB_TOOLS_DIR:-}/node_modules/.bin
for t in openapi-typescript tsc; do
    [ -x "$tools/$t" ] || { echo "$name: $t is not installed (no npm?); skipped"; exit 77; }
done
for t in node sqlite3 curl; do
    command -v $t >/dev/null || { echo "$name: $t missing; skipped"; exit 77; }
done

# Well-known development addresses (network 42).
HK1=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
HK2=5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty
HK3=5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y
HK4=5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy
mkdir -p "$dir/samples" "$dir/ts"
manifest=$dir/samples/manifest.tsv
: >"$manifest"
count=0

seed() { "$bin" call "$@" >/dev/null || bad "seeding failed: $*"; }

# sample ROUTE TARGET [KEY]: GET TARGET signed with KEY (default the
# admin's) and record its status, content type and body as a sample of the
# openapi.json path ROUTE.
sample() {
    local meta
    count=$((count + 1))
    # shellcheck disable=SC2046 # one word per header argument
    meta=$(curl -sS -o "$dir/samples/$count.body" -w '%{http_code}\t%{content_type}' \
        $("$bin" sign --key "${3:-$COMPUTEDB_KEY}" GET "$2") "$COMPUTEDB_URL$2") ||
        bad "GET $2 failed"
    printf '%s\t%s\t%s\t%s\n' "$1" "$2${3:+ (as $(basename "$3"))}" "$meta" \
        "$dir/samples/$count.body" >>"$manifest"
}

# job BODY: submits a PoG job and waits until it is final; sets job (its id).
job() {
    job=$("$bin" call POST /pog/jobs --data "$1" | sed -n 's/^  "id": \([0-9]*\),$/\1/p')
    [ -n "$job" ] || { bad "job not accepted: $1"; return; }
    for _ in $(seq 600); do
        "$bin" call GET "/pog/jobs/$job" | grep -qE '"state": "(done|failed|cancelled|timed_out)"' && return
        sleep 0.1
    done
    bad "job $job did not finish: $1"
}

start --pog-backend cpu
seed PUT /miners --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 12, \"hotkey\": \"$HK1\"},
  {\"uid\": 13, \"hotkey\": \"$HK2\"}]}"
seed PUT /miners/details --data "{\"miners\": [{\"hotkey\": \"$HK1\", \"details\": {\"cpu\": {\"count\": 64},
  \"gpu\": {\"count\": 8, \"capacity\": 652472.0, \"details\": [{\"name\": \"NVIDIA H100 80GB HBM3\"}]},
  \"hard_disk\": {\"free\": 3500000000000}, \"ram\": {\"available\": 2100000000000}, \"has_docker\": true}},
  {\"hotkey\": \"$HK2\", \"details\": null}]}"
seed POST /challenges --data "{\"challenges\": [{\"uid\": 12, \"hotkey\": \"$HK1\", \"success\": true,
  \"elapsed_time\": 1.5, \"difficulty\": 8}, {\"uid\": 12, \"hotkey\": \"$HK1\", \"success\": false,
  \"elapsed_time\": 30, \"difficulty\": 9}, {\"uid\": 13, \"hotkey\": \"$HK2\", \"success\": false,
  \"elapsed_time\": 2, \"difficulty\": 7}]}"
seed PUT "/allocations/$HK1" --data '{"details": {"username": "root", "password": "q8ZrT2mLx0",
  "port": 4444, "version": 183, "ip": "203.0.113.7", "resource": "nvidia h100 80gb hbm3",
  "regkey": "-----BEGIN PUBLIC KEY-----...", "ssh_key": "", "uuid": "2f6c1e3a-f4b1-11ef-9c1d-0242ac120002"}}'
seed POST /blacklist --data "{\"hotkeys\": [\"$HK3\", \"$HK4\"]}"
seed POST /pog/stats --data "{\"hotkey\": \"$HK1\", \"gpu_name\": \"NVIDIA H100 80GB HBM3\", \"num_gpus\": 8}"
seed POST /pog/stats --data "{\"hotkey\": \"$HK2\", \"gpu_name\": null, \"num_gpus\": null}"
seed PUT /stats --data "{\"stats\": {\"12\": {\"hotkey\": \"$HK1\", \"gpu_specs\": {\"gpu_name\": \"NVIDIA H200\",
  \"num_gpus\": 8}, \"score\": 100.0, \"allocated\": true, \"own_score\": true, \"reliability_score\": 0.5},
  \"13\": {\"hotkey\": \"$HK2\", \"score\": 0, \"allocated\": false, \"own_score\": false}}}"
seed PUT "/wandb-runs/$HK1" --data '{"run_id": "ab12cd34"}'
reader=$("$bin" keygen --out "$dir/reader.key")
seed PUT "/admin/principals/$reader" --data '{"role": "reader", "label": "types"}'
seed POST /admin/backup --data '{"name": "types.db"}'

# One job of each kind, read while the pool holds it.
for body in '{"kind": "info"}' '{"kind": "selftest"}' \
    '{"kind": "benchmark", "n_fp16": 64, "n_fp32": 64}' \
    '{"kind": "compute", "n": 64, "seed_a": "42", "seed_b": "7", "self_check": 2}'; do
    job "$body"
    sample "/pog/jobs/{id}" "/pog/jobs/$job"
done
job "{\"kind\": \"proof\", \"compute_job\": $job, \"indices\": [[1, 2], [63, 0]]}"
sample "/pog/jobs/{id}" "/pog/jobs/$job"
job '{"kind": "compute", "n": 64, "seed_a": "1", "seed_b": "2", "timeout_ms": 1}'
sample "/pog/jobs/{id}" "/pog/jobs/$job"
stop

# What other writers leave: allocation details as an array, an object of
# another shape, text that does not parse; specs with members of their
# own; stats with unparsable specs and NULLs.
sqlite3 "$dir/data/database.db" "
INSERT INTO allocation (hotkey, details) VALUES ('$HK2', '[1, 2]'),
  ('$HK3', '{\"username\": \"root\", \"port\": \"22\", \"password\": \"x\", \"note\": \"legacy\"}'),
  ('$HK4', 'oops');
INSERT INTO miner_details (hotkey, details, no_specs_count) VALUES
  ('$HK3', '{\"cpu\": {\"count\": 4}, \"probe\": {\"took_ms\": 12}}', 0), ('$HK4', 'oops', 2);
INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, own_score, reliability_score, created_at)
  VALUES (14, '$HK3', 'not json', NULL, NULL, NULL, NULL, NULL);" || bad "legacy rows not written"
start --pog-backend cpu

# route template, request target, key (the admin's unless named)
sample /healthz /healthz
sample /readyz /readyz
sample /version /version
sample /openapi.json /openapi.json
sample /metrics /metrics
sample / /
sample /ui /ui
sample /ui/ /ui/
sample "/ui/{asset}" /ui/app.js
sample /whoami /whoami
sample /miners /miners
sample /miners/details /miners/details
sample /miners/details "/miners/details?has_docker=true"
sample "/miners/details/{hotkey}" "/miners/details/$HK1"
sample "/miners/details/{hotkey}" "/miners/details/$HK3"
sample /challenges "/challenges?uid=12&limit=1"
sample /challenges /challenges
sample /challenges/stats /challenges/stats
sample /allocations /allocations
sample /allocations /allocations "$dir/reader.key"
sample "/allocations/{hotkey}" "/allocations/$HK1"
sample "/allocations/{hotkey}" "/allocations/$HK1" "$dir/reader.key"
sample "/allocations/{hotkey}" "/allocations/$HK2"
sample /blacklist /blacklist
sample /pog/stats /pog/stats
sample "/pog/stats/{hotkey}" "/pog/stats/$HK1"
sample /pog/jobs "/pog/jobs?limit=2"
sample /pog/jobs "/pog/jobs?state=done&kind=compute"
sample "/pog/jobs/{id}" /pog/jobs/1
sample /pog/gpus /pog/gpus
sample /scores /scores
sample /stats /stats
sample "/stats/{uid}" /stats/12
sample "/stats/{uid}" /stats/14
sample /wandb-runs /wandb-runs
sample "/wandb-runs/{hotkey}" "/wandb-runs/$HK1"
sample /admin/principals /admin/principals
sample "/admin/principals/{ss58}" "/admin/principals/$reader"
sample /admin/backup "/admin/backup?name=types.db"

"$tools/openapi-typescript" "$src/openapi/openapi.json" -o "$dir/ts/api.d.ts" >"$dir/gen.log" 2>&1 ||
    { cat "$dir/gen.log"; bad "openapi-typescript failed"; }
node "$(dirname "$0")/types.mjs" "$src/openapi/openapi.json" "$manifest" "$dir/ts/samples.ts" ||
    bad "the samples do not cover openapi.json (above)"
# tsc_report: each error of tsc.log under the sample it is in.
tsc_report() {
    awk 'NR == FNR { if (/^\/\/ GET /) at = $0; label[FNR] = at; next }
         match($0, /^samples\.ts\([0-9]+,/) { print label[substr($0, 12, RLENGTH - 12)] }
         { print "  " substr($0, 1, 600) }' "$dir/ts/samples.ts" "$dir/tsc.log" | head -80
}
if [ $fail -eq 0 ]; then
    (cd "$dir/ts" && "$tools/tsc" --strict --noEmit --target es2022 --module esnext \
        --moduleResolution bundler samples.ts) >"$dir/tsc.log" 2>&1 ||
        { tsc_report; bad "real responses do not type-check (above)"; }
fi
[ $fail -eq 0 ] && echo "$name: $count responses type-check against the generated types ($("$tools/tsc" --version))"
finish
