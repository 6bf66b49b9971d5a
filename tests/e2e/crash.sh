#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Crash safety: writers run against the real server, which is killed with
# SIGKILL at a random moment and restarted, CRASH_CYCLES times (3 here, 20
# in `make crash-test`), alternating between the default commit path and
# --synchronous normal --no-group-commit. After every kill, tests/crash/crash.py checks the
# file: PRAGMA integrity_check is ok, every write answered 2xx is there,
# and no batch is there in part. CRASH_SEED makes the kill times repeat.
# Skipped (77) without python3 and its cryptography module.
set -u
. "$(dirname "$0")/lib.sh"
src=${COMPUTEDB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cycles=${CRASH_CYCLES:-3}
RANDOM=${CRASH_SEED:-$$}
python3 -c 'import cryptography, sqlite3' 2>/dev/null || {
    echo "$name: python3 with cryptography is not installed; skipped"; exit 77; }

# acked: how many writes the writers have acknowledged so far.
acked() {
    n=$(grep -c '^ack ' "$dir/acks" 2>/dev/null)
    echo "${n:-0}"
}

acks=0
for cycle in $(seq "$cycles"); do
    # Odd cycles: the defaults (synchronous=FULL, group commit); even ones
    # the other commit path (synchronous=NORMAL, one transaction a request).
    mode=
    [ $((cycle % 2)) = 0 ] && mode="--synchronous normal --no-group-commit"
    # shellcheck disable=SC2086
    start $mode
    python3 "$src/tests/crash/crash.py" write "$COMPUTEDB_URL" "$dir/data/admin.key" \
        "$dir/acks" "$cycle" 2>"$dir/writer.err" &
    writer=$!
    before=$acks
    # The kill comes at a random moment after the cycle's first acknowledged
    # write, so every cycle tests some (however slow the writer starts).
    for _ in $(seq 400); do
        [ "$(acked)" -gt "$before" ] && break
        sleep 0.05
    done
    delay_ms=$((RANDOM % 2000))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    pid=
    wait "$writer" || { cat "$dir/writer.err"; bad "cycle $cycle: a writer got an undocumented answer"; }
    acks=$(acked)
    if ! python3 "$src/tests/crash/crash.py" check "$dir/data/database.db" "$dir/acks" >"$dir/check.out"; then
        cat "$dir/check.out" "$dir/log"
        bad "cycle $cycle (killed ${delay_ms} ms after its first write): the database lost or half-applied writes"
        break
    fi
    echo "$name: cycle $cycle${mode:+ ($mode)}: killed ${delay_ms} ms after its first write," \
        "$((acks - before)) writes acknowledged, $(tail -1 "$dir/check.out" | cut -d' ' -f3-)"
done
[ "$acks" -gt 0 ] || bad "no write was acknowledged in $cycles cycles: nothing was tested"

# After the last kill the server still starts, is ready, and stops cleanly.
if [ $fail -eq 0 ]; then
    start
    code=$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL/readyz")
    [ "$code" = 200 ] || bad "/readyz answered $code after the crashes"
    "$bin" call GET /challenges/stats >/dev/null || bad "GET /challenges/stats failed after the crashes"
    stop
    [ "$status" = 0 ] || bad "server exit code $status on SIGTERM after the crashes"
    python3 "$src/tests/crash/crash.py" check "$dir/data/database.db" "$dir/acks" >"$dir/check.out" ||
        { cat "$dir/check.out"; bad "final check failed"; }
    echo "$name: $cycles kills, $acks acknowledged writes, all present, none half applied"
fi
finish
