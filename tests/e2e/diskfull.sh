#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Disk full: the server's database lives on a 2 MiB tmpfs. Once a filler
# file takes the free space, writes keep coming until the WAL cannot grow:
# each write is a 2xx or a clear 507 (or 503) JSON error, never another
# 5xx; /readyz says 507; a refused write left nothing behind; reads keep
# working. Once the space comes back, writes succeed again, and PRAGMA
# integrity_check is ok before and after a clean stop. Needs root and a
# kernel that lets it mount tmpfs; otherwise skipped (77) with the reason.
set -u
. "$(dirname "$0")/lib.sh"
mnt=$dir/mnt
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    rm -rf "$dir"
}
command -v sqlite3 >/dev/null || { echo "$name: sqlite3 missing; skipped"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "$name: not root, cannot mount a tmpfs; skipped"; exit 77; }
mkdir -p "$mnt"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" 2>"$dir/mount.err" ||
    { echo "$name: mount -t tmpfs refused ($(cat "$dir/mount.err")); skipped"; exit 77; }

# start, on the small file system (the key outside it).
start_small() {
    serve_on "$mnt/database.db" "$dir/admin.key" "$dir/log" --busy-timeout-ms 1000 "$@"
    export COMPUTEDB_KEY="$dir/admin.key"
}

# put N: PUT /miners/details with 8 hotkeys of batch N and ~40 KB of details;
# prints the status and leaves the body in $dir/answer.
put() {
    python3 - "$1" >"$dir/body.json" <<'PY'
import hashlib, json, sys
sys.path.insert(0, __import__("os").environ["SRC"] + "/docs/clients")
from computedb_sign import ss58_address
n = int(sys.argv[1])
keys = [ss58_address(hashlib.sha256(b"full-%d-%d" % (n, i)).digest()) for i in range(8)]
pad = hashlib.sha256(str(n).encode()).hexdigest() * 160
print(json.dumps({"miners": [{"hotkey": k, "details": {"batch": n, "pad": pad}} for k in keys]}))
PY
    "$bin" call PUT /miners/details --data "@$dir/body.json" >"$dir/answer" 2>&1
    sed -n 's/^computedb call: HTTP \([0-9]*\).*/\1/p' "$dir/answer" | head -1 | grep . || echo 200
}
export SRC=${COMPUTEDB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
python3 -c 'import cryptography' 2>/dev/null || { echo "$name: python3 cryptography missing; skipped"; exit 77; }

start_small
[ "$(put 1)" = 200 ] || { cat "$dir/answer"; bad "a write on the empty tmpfs failed"; }
"$bin" call PUT /miners --data '{"mode": "merge", "miners": [{"uid": 7, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}' \
    >/dev/null || bad "baseline write failed"

# Fill the file system, then write until the WAL cannot grow.
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
full=0
for n in $(seq 2 200); do
    code=$(put "$n")
    case $code in
    200) ;;
    507 | 503)
        grep -q '"insufficient_storage"\|"unavailable"' "$dir/answer" || {
            cat "$dir/answer"; bad "the $code has no JSON error body"; }
        [ "$code" = 507 ] && full=$n && break ;;
    *) cat "$dir/answer"; bad "write $n on a full disk answered $code"; break ;;
    esac
done
[ "$full" -gt 0 ] || bad "no write was refused with 507 on a full disk"

if [ "$full" -gt 0 ]; then
    cp "$dir/answer" "$dir/answer.full"
    # The refused batch left nothing behind; reads work; /readyz tells.
    n=$(sqlite3 "file:$mnt/database.db?mode=ro" \
        "SELECT COUNT(*) FROM miner_details WHERE json_extract(details, '$.batch') = $full" 2>&1)
    [ "$n" = 0 ] || bad "the refused batch $full left $n rows"
    "$bin" call GET /miners >"$dir/miners" 2>&1 || bad "a read failed on a full disk"
    grep -q '"7"' "$dir/miners" || bad "the baseline row is not readable on a full disk"
    "$bin" call GET "/miners/details/5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY" >/dev/null 2>&1
    "$bin" call GET /miners/details >/dev/null || bad "GET /miners/details failed on a full disk"
    code=$(curl -s -o "$dir/ready" -w '%{http_code}' "$COMPUTEDB_URL/readyz")
    [ "$code" = 507 ] || bad "/readyz answered $code on a full disk (README: 507): $(cat "$dir/ready")"
    code=$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL/healthz")
    [ "$code" = 200 ] || bad "/healthz answered $code on a full disk"

    # Space comes back: writes succeed again.
    rm -f "$mnt/filler"
    ok=0
    for _ in $(seq 10); do
        [ "$(put 1000)" = 200 ] && { ok=1; break; }
        sleep 0.2
    done
    [ $ok = 1 ] || { cat "$dir/answer"; bad "writes still fail after space came back"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL/readyz")
    [ "$code" = 200 ] || bad "/readyz answered $code after space came back"
fi
check=$(sqlite3 "file:$mnt/database.db?mode=ro" "PRAGMA integrity_check" 2>&1)
[ "$check" = ok ] || bad "integrity_check while serving: $check"
stop
[ "$status" = 0 ] || bad "server exit code $status on SIGTERM"
check=$(sqlite3 "$mnt/database.db" "PRAGMA integrity_check" 2>&1)
[ "$check" = ok ] || bad "integrity_check after stop: $check"
[ $fail -eq 0 ] && echo "$name: refused with 507 at write $full, recovered, integrity ok"
finish
