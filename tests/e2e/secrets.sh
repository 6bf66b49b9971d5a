#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secrets stay out of the logs and key files stay private, end to end:
#  - at --log-level debug, in text and in JSON format, no log line holds a
#    key file's seed, a signature sent (valid or forged), an allocation
#    secret, or a body fragment quoted back by a JSON parse error;
#  - a client cannot forge log lines: every text line starts with a
#    timestamp and every JSON line parses, whatever the request held;
#  - keys are 0600 even under umask 000, keygen and `call` never print a
#    seed, and a first run never writes its key through a symlink.
set -u
. "$(dirname "$0")/lib.sh"
python3 -c 'import json' 2>/dev/null || { echo "$name: python3 missing; skipped"; exit 77; }
HK=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY
secrets="pw-Q8ZrT2mLx0-secret ssh-AAAAC3Nza-secret regkey-BEGIN-secret"

# Every request kind that carries a secret, through one server run.
exercise() {
    local key=$dir/data/admin.key headers forged
    "$bin" call GET /miners >/dev/null || bad "signed GET failed"
    "$bin" call PUT /allocations/$HK --data "{\"details\": {\"password\": \"pw-Q8ZrT2mLx0-secret\",
        \"ssh_key\": \"ssh-AAAAC3Nza-secret\", \"regkey\": \"regkey-BEGIN-secret\"}}" >/dev/null ||
        bad "allocation PUT failed"
    "$bin" call GET /allocations/$HK >/dev/null || bad "allocation GET failed"
    # A parse error quotes the body back to the client, never to the log.
    "$bin" call PUT /allocations/$HK --data '{"details": {"password": pw-unquoted-secret}}' \
        >/dev/null 2>&1
    "$bin" call PUT /admin/principals/$ops_addr --data '{"role": "reader", "label": "ops"}' \
        >/dev/null || bad "principal PUT failed"
    COMPUTEDB_KEY=$dir/ops.key "$bin" call GET /miners >/dev/null || bad "ops key GET failed"
    # Forged and replayed signatures.
    headers=$("$bin" sign --key "$key" GET /miners)
    echo "$headers" | grep -o 'BT-Signature:0x[0-9a-f]*' | cut -d: -f2 >>"$dir/sent-signatures"
    forged=0x$(printf '%0128d' 7)
    echo "$forged" >>"$dir/sent-signatures"
    # shellcheck disable=SC2086
    curl -s -o /dev/null $headers "$COMPUTEDB_URL/miners"
    # shellcheck disable=SC2086
    curl -s -o /dev/null $headers "$COMPUTEDB_URL/miners"       # a replay
    curl -s -o /dev/null -H "BT-Signer: $ops_addr" -H "BT-Timestamp: $(date +%s)000" \
        -H "BT-Nonce: abcdefabcdefabcdef" -H "BT-Signature: $forged" "$COMPUTEDB_URL/miners"
    # Log injection attempts: a newline in a query key, a header, a path.
    curl -s -o /dev/null "$COMPUTEDB_URL/healthz?x%0A2001-01-01T00:00:00.000Z%20error%20forged=1"
    curl -s -o /dev/null "$COMPUTEDB_URL/no%0Asuch%0D%0Aroute"
    curl -s -o /dev/null -H "X-Request-Id: a%0Ab" "$COMPUTEDB_URL/healthz"
}

check_log() { # format
    local f=$dir/log s
    for s in $(cat "$dir/data/admin.key" "$dir/ops.key") $secrets pw-unquoted-secret \
        $(cat "$dir/sent-signatures"); do
        grep -qF -- "$s" "$f" && bad "$1 log holds a secret: ${s:0:16}..."
    done
    grep -qi 'BT-Signature' "$f" && bad "$1 log names a signature header"
    grep -qE '0x[0-9a-f]{128}' "$f" && bad "$1 log holds a signature"
    if [ "$1" = text ]; then
        # Lines start with this year's timestamp; the forged one says 2001.
        bad_lines=$(grep -cvE "^($(date -u +%Y)|$(($(date -u +%Y) + 1)))-[0-9]{2}-[0-9]{2}T[0-9:.]+Z " "$f")
        [ "$bad_lines" = 0 ] || { grep -vE "^$(date -u +%Y)-" "$f" | head -3
            bad "text log has $bad_lines lines a client forged or split (log injection)"; }
    else
        python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    rec = json.loads(line)
    assert isinstance(rec, dict) and "ts" in rec, (n, line)
' "$f" || bad "json log has a line that is not one JSON object"
    fi
}

# -- keys under a permissive umask ------------------------------------------
(
    umask 000
    "$bin" keygen --out "$dir/ops.key" >"$dir/ops.addr" 2>"$dir/keygen.err"
) || bad "keygen failed"
ops_addr=$(cat "$dir/ops.addr")
[ "$(stat -c %a "$dir/ops.key")" = 600 ] || bad "keygen under umask 000 made mode $(stat -c %a "$dir/ops.key")"
grep -qF "$(cat "$dir/ops.key")" "$dir/ops.addr" "$dir/keygen.err" && bad "keygen printed the seed"
: >"$dir/sent-signatures"

mask=$(umask)
umask 000
start --log-level debug
umask "$mask"
[ "$(stat -c %a "$dir/data/admin.key")" = 600 ] || bad "admin key under umask 000 has mode $(stat -c %a "$dir/data/admin.key")"
exercise
"$bin" call GET /miners 2>&1 | grep -qF "$(cat "$dir/data/admin.key")" && bad "call printed the seed"
stop
check_log text

# -- the same in JSON format -------------------------------------------------
start --log-level debug --log-format json
exercise
stop
check_log json

# -- a first run never writes its key through a symlink ----------------------
mkdir -p "$dir/sym"
ln -s "$dir/sym-target.key" "$dir/sym/admin.key"
"$bin" serve --listen 127.0.0.1:0 --db "$dir/sym/database.db" --admin-key "$dir/sym/admin.key" \
    >"$dir/sym.log" 2>&1 &
pid=$!
for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
[ -e "$dir/sym-target.key" ] && bad "first run wrote its key through a symlink"
finish
