#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The operator's first hour with the real binary: the first-run hint runs
# as printed from another folder (bound port, absolute paths, the key
# beside the database); a taken port gives one clear error; refused
# signatures say why (in the answer, in `computedb call`'s advice and in
# the access log); `key show`; `call -o FILE` and binary answers; usage
# errors exit 2; keygen output is ignored by git.
set -u
. "$(dirname "$0")/lib.sh"

hk=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
mkdir -p "$dir/db" "$dir/elsewhere"

# 1. First run from another folder, no --admin-key, port 0.
(cd "$dir/elsewhere" && exec "$bin" serve --listen 127.0.0.1:0 --db "$dir/db/database.db") >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q "listening on" "$dir/log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/log")
[ -n "$port" ] || { cat "$dir/log"; bad "the server did not start"; exit 1; }
[ -f "$dir/db/admin.key" ] || bad "the admin key is not beside the database"
[ -e "$dir/elsewhere/data" ] && bad "serve wrote into the current folder"
hint=$(sed -n 's/.* info try: //p' "$dir/log")
case $hint in
*":$port GET /miners") ;;
*) bad "the hint does not name the bound port $port: $hint" ;;
esac
case $hint in
/*" call --key $dir/db/admin.key "*) ;;
*) bad "the hint is not absolute paths: $hint" ;;
esac
out=$(cd / && eval "$hint") || bad "the hint did not run as printed: $hint"
[ "$out" = "{}" ] || bad "the hint printed '$out'"
url=http://127.0.0.1:$port
key=$dir/db/admin.key

# 2. A taken port: one error that names the cause, nothing from the library.
"$bin" serve --listen "127.0.0.1:$port" --db "$dir/other.db" --auth-future-ms 100 >"$dir/log2" 2>&1
[ $? -ne 0 ] || bad "a second server on a taken port exited 0"
[ "$(grep -c ' error ' "$dir/log2")" = 1 ] || { cat "$dir/log2"; bad "a taken port gave other than one error line"; }
grep -q "cannot listen on 127.0.0.1:$port: Address already in use; another process holds this port" "$dir/log2" \
    || bad "the taken-port error does not say why"
grep -qi "failed to bind" "$dir/log2" && bad "libmicrohttpd's bind message leaked"
[ -e "$dir/other.db" ] && bad "a taken port still created the database"
[ -e "$dir/admin.key" ] && bad "a taken port still wrote a first-run key"

# 3. Refusals that say why.
"$bin" keygen --out "$dir/stranger.key" >"$dir/stranger.addr" || bad "keygen"
stranger=$(cat "$dir/stranger.addr")
"$bin" call --key "$dir/stranger.key" --url "$url" GET /miners >"$dir/out" 2>"$dir/err"
[ $? = 1 ] || bad "unknown signer should exit 1"
grep -q "computedb principal add --db DB --role reader $stranger" "$dir/err" \
    || { cat "$dir/err"; bad "call does not print the principal add command"; }
grep -q "reason=unknown_signer signer=$stranger client=127.0.0.1" "$dir/log" \
    || bad "the access log lacks reason, signer and client"
"$bin" call --key "$key" --url "$url" --audience staging GET /miners >/dev/null 2>"$dir/err"
grep -q "another audience (line 2" "$dir/err" || { cat "$dir/err"; bad "call does not point at the audience"; }
printf '{"hotkeys": [\n"%s"]}' "$hk" >"$dir/body.json"
# shellcheck disable=SC2046 # one word per header argument
curl -s -H 'Content-Type: application/json' --data "@$dir/body.json" \
    $("$bin" sign --key "$key" POST /blacklist --body-file "$dir/body.json") "$url/blacklist" >"$dir/ans"
want=$(tr -d '\n' <"$dir/body.json" | sha256sum | cut -d' ' -f1)
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["signed"].split("\n")[4])' "$dir/ans")
[ "$got" = "$want" ] || { cat "$dir/ans"; bad "signed does not show the hash of the body as received"; }
grep -q -- "--data-binary" "$dir/ans" || bad "the hint does not name --data-binary"

# 4. Usage errors exit 2; binary answers go to -o FILE, never a terminal.
"$bin" call --key "$key" --url "$url" get /miners >/dev/null 2>"$dir/err"
[ $? = 2 ] || bad "a lower-case method should exit 2"
grep -q "METHOD must be upper case" "$dir/err" || bad "the lower-case method error"
"$bin" sign --key "$key" get /miners >/dev/null 2>&1
[ $? = 2 ] || bad "sign with a lower-case method should exit 2"
"$bin" call --key "$key" --url "$url" POST /admin/backup --data '{"name": "b1.db"}' >/dev/null || bad "backup"
"$bin" call --key "$key" --url "$url" -o "$dir/b1.db" GET "/admin/backup?name=b1.db" >/dev/null || bad "call -o"
[ "$(head -c 15 "$dir/b1.db")" = "SQLite format 3" ] || bad "-o did not write the backup"
if script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$bin' call --key '$key' --url '$url' GET '/admin/backup?name=b1.db'" /dev/null >"$dir/tty" 2>&1
    grep -q "the answer is binary" "$dir/tty" || bad "a binary answer was printed to a terminal"
    grep -q "SQLite format" "$dir/tty" && bad "the terminal got the database's bytes"
fi

# 5. key show: the address of a key file, either scheme; open files warned.
[ "$("$bin" key show "$dir/stranger.key" 2>/dev/null)" = "$stranger" ] || bad "key show address"
"$bin" keygen --scheme sr25519 --out "$dir/hot.json" >"$dir/hot.addr" || bad "keygen sr25519"
[ "$("$bin" key show "$dir/hot.json" 2>"$dir/err")" = "$(cat "$dir/hot.addr")" ] || bad "key show sr25519"
grep -q -- "--scheme sr25519 $(cat "$dir/hot.addr")" "$dir/err" || bad "key show does not give the sr25519 command"
chmod 644 "$dir/stranger.key"
"$bin" key show "$dir/stranger.key" 2>&1 >/dev/null | grep -q "chmod 600" || bad "an open key file is not reported"
"$bin" key show >/dev/null 2>&1; [ $? = 2 ] || bad "key show without a key should exit 2"

# 6. Keys written into a checkout stay out of git.
src=${COMPUTEDB_SOURCE_DIR:-}
if [ -n "$src" ] && git -C "$src" rev-parse >/dev/null 2>&1; then
    git -C "$src" check-ignore -q ops.key || bad "*.key is not ignored by git"
fi

finish
