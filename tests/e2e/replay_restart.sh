#!/bin/sh
# SPDX-License-Identifier: MIT
# No signed request is taken twice across a restart, kill -9 included
# (issue 13, item 5): a writer's POST signed 1.5 s ahead of the server
# clock is taken, refused as a replay, and after SIGKILL and a restart
# refused again, as made before the new process could vouch for it.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "$name: skipped (no python3)"; exit 77; }
clients=$(cd "$(dirname "$0")/../../docs/clients" && pwd)

start
# One signed request, kept as curl arguments in $dir/req.
python3 - "$COMPUTEDB_KEY" "$dir/req" "$clients" <<'PY' || bad "signing"
import hashlib, os, sys, time
sys.path.insert(0, sys.argv[3])
from computedb_sign import load_seed, ss58_address
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

key = Ed25519PrivateKey.from_private_bytes(load_seed(sys.argv[1]))
signer = ss58_address(key.public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw))
body = ('{"challenges": [{"uid": 9, "hotkey": "%s", "success": true, '
        '"elapsed_time": 2, "difficulty": 4}]}' % signer)
ts, nonce = str(int(time.time() * 1000) + 1500), os.urandom(16).hex()
msg = "\n".join(["bt-http-auth-v1", "computedb", "POST", "/challenges",
                 hashlib.sha256(body.encode()).hexdigest(), ts, nonce, signer])
sig = "0x" + key.sign(msg.encode()).hex()
with open(sys.argv[2], "w") as f:
    for h in ("BT-Signer: " + signer, "BT-Timestamp: " + ts,
              "BT-Nonce: " + nonce, "BT-Signature: " + sig,
              "Content-Type: application/json"):
        f.write("-H\n%s\n" % h)
    f.write("--data-binary\n%s\n" % body)
PY
send() {
    (IFS='
'; curl -s -o "$dir/out" -w '%{http_code}' $(cat "$dir/req") "$COMPUTEDB_URL/challenges")
}
[ "$(send)" = 201 ] || bad "the signed POST was not taken: $(cat "$dir/out")"
[ "$(send)" = 401 ] && grep -q replayed_nonce "$dir/out" ||
    bad "the replay was not refused: $(cat "$dir/out")"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
start
code=$(send)
[ "$code" = 401 ] && grep -q timestamp_before_start "$dir/out" ||
    bad "after kill -9 the same request answered $code: $(cat "$dir/out")"
rows=$(sqlite3 "$dir/data/database.db" "SELECT COUNT(*) FROM challenge_details WHERE uid = 9")
[ "$rows" = 1 ] || bad "$rows rows from one signed request"
# The restart waited out --auth-future-ms before listening, and said so.
grep -q "listening in 2.0 s\|listening in 1\.[0-9] s" "$dir/log" ||
    bad "no word of the wait: $(cat "$dir/log")"
finish
