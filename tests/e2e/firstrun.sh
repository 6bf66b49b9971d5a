#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real binary end to end: first run makes data/admin.key (0600, 64 hex
# + newline) and an admin; `computedb call` works with it and exits 0/1/2 as
# documented; a restart never overwrites the key; `computedb sign` output
# works with curl; keygen never overwrites; principal add/ls/rm offline.
set -u
. "$(dirname "$0")/lib.sh"

# No COMPUTEDB_KEY here: the calls name their key.
start() { serve_on "$dir/data/database.db" "$dir/data/admin.key" "$dir/log"; }

start
key=$dir/data/admin.key
[ -f "$key" ] || bad "no admin key written"
[ "$(stat -c %a "$key")" = 600 ] || bad "admin key mode is $(stat -c %a "$key")"
grep -qE '^[0-9a-f]{64}$' "$key" && [ "$(wc -c <"$key")" = 65 ] || bad "admin key format"
grep -q "first run: new key" "$dir/log" || bad "first run not announced"
grep -q "computedb call" "$dir/log" || bad "no ready computedb call line"
addr=$(grep -o 'is an admin: 5[1-9A-HJ-NP-Za-km-z]\{47\}' "$dir/log" | cut -d' ' -f4)
[ -n "$addr" ] || bad "admin address not printed"

"$bin" call --key "$key" GET /miners >/dev/null || bad "call GET /miners failed"
"$bin" call --key "$key" GET /no-such-route >/dev/null 2>&1; [ $? = 1 ] || bad "call 404 should exit 1"
"$bin" call --key "$key" GET >/dev/null 2>&1; [ $? = 2 ] || bad "call usage should exit 2"
"$bin" call --key "$dir/missing.key" GET /miners >/dev/null 2>&1; [ $? = 1 ] || bad "missing key should exit 1"
COMPUTEDB_KEY=$key "$bin" call PUT /miners --data '{"mode": "merge", "miners": [{"uid": 1, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}' >/dev/null \
    || bad "COMPUTEDB_KEY and --data failed"
printf '{"mode": "merge", "miners": [{"uid": 1, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}' >"$dir/body.json"
"$bin" call --key "$key" PUT /miners --data "@$dir/body.json" >/dev/null || bad "--data @file failed"
# shellcheck disable=SC2046
code=$(curl -s -o /dev/null -w '%{http_code}' $("$bin" sign --key "$key" GET /miners) "$COMPUTEDB_URL/miners")
[ "$code" = 200 ] || bad "curl with computedb sign headers got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
    --data-binary "@$dir/body.json" $("$bin" sign --key "$key" PUT /miners --body-file "$dir/body.json") \
    "$COMPUTEDB_URL/miners")
[ "$code" = 200 ] || bad "curl PUT with --body-file got $code"
"$bin" sign GET /miners >/dev/null 2>&1; [ $? = 2 ] || bad "sign without --key should exit 2"

before=$(sha256sum "$key")
stop
start
[ "$(sha256sum "$key")" = "$before" ] || bad "restart replaced the admin key"
grep -q "first run" "$dir/log" && bad "restart ran first run again"
"$bin" call --key "$key" GET /admin/principals >/dev/null || bad "admin call after restart"
stop

# A new database beside an existing key: the key is reused, not replaced.
rm -f "$dir/data/database.db"*
start
[ "$(sha256sum "$key")" = "$before" ] || bad "first run replaced an existing key"
grep -q "first run: existing key" "$dir/log" || bad "existing key not reused"
stop

"$bin" keygen --out "$dir/r.key" >"$dir/r.addr" || bad "keygen failed"
[ "$(stat -c %a "$dir/r.key")" = 600 ] || bad "keygen key mode"
"$bin" keygen --out "$dir/r.key" >/dev/null 2>&1; [ $? = 1 ] || bad "keygen overwrote a key"
r=$(cat "$dir/r.addr")
"$bin" principal add --db "$dir/data/database.db" --role reader --label ops "$r" >/dev/null || bad "principal add"
"$bin" principal ls --db "$dir/data/database.db" | grep -q "$r  ed25519  reader  ops" || bad "principal ls"
"$bin" principal add --db "$dir/data/database.db" --role boss "$r" >/dev/null 2>&1; [ $? = 2 ] || bad "bad role should exit 2"
"$bin" principal rm --db "$dir/data/database.db" "$r" >/dev/null || bad "principal rm"
"$bin" principal rm --db "$dir/data/database.db" "$addr" >/dev/null 2>&1; [ $? = 1 ] || bad "last admin removed"

finish
