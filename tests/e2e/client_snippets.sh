#!/bin/sh
# SPDX-License-Identifier: MIT
# The client snippets in docs/clients against a real server: the Python
# call() sends dict, list, str and bytes bodies, hands back JSON parsed,
# a backup download as bytes and a 204 as None, and raises Unreachable (a
# ConnectionError) when nothing answers; the script form writes a backup
# byte for byte and exits 3 when nothing answers. The Node script takes
# the arguments its usage comment names, and answers the same. Each
# runtime is skipped when missing; 77 when both are.
. "$(dirname "$0")/lib.sh"
clients=${COMPUTEDB_SOURCE_DIR:?}/docs/clients
py=0 js=0
python3 -c 'import cryptography' 2>/dev/null && py=1
node -e 'crypto.subtle.importKey' 2>/dev/null && js=1
[ $py = 1 ] || [ $js = 1 ] || { echo "$name: skipped (neither python3 with cryptography nor node)"; exit 77; }

start
key=$COMPUTEDB_KEY
# A port nothing listens on: bound and closed again.
down=http://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" call POST /admin/backup --data '{"name": "snap.db"}' >/dev/null || bad "making a backup"
hk() { python3 -c "import sys; sys.path.insert(0, '$clients'); from computedb_sign import ss58_address; \
print(ss58_address(bytes([$1] * 32)))"; }

if [ $py = 1 ]; then
    DOWN=$down KEY=$key H1=$(hk 1) H2=$(hk 2) H3=$(hk 3) H4=$(hk 4) \
        PYTHONPATH=$clients python3 - <<'EOF' || bad "the Python call() (above)"
import os
import sys
from computedb_sign import Unreachable, call, load_seed

url, seed = os.environ["COMPUTEDB_URL"], load_seed(os.environ["KEY"])
fails = 0


def check(what, ok):
    global fails
    if not ok:
        print("call():", what)
        fails += 1


def put(uid, body):
    return call(url, seed, "PUT", "/miners", body)[0]


hk = [None] + [os.environ["H%d" % i] for i in range(1, 5)]
merge = lambda uid: {"mode": "merge", "miners": [{"uid": uid, "hotkey": hk[uid]}]}
check("a dict body", put(1, merge(1)) == 200)
check("a str body", put(2, '{"mode": "merge", "miners": [{"uid": 2, "hotkey": "%s"}]}' % hk[2]) == 200)
check("a bytes body", put(3, ('{"mode": "merge", "miners": [{"uid": 3, "hotkey": "%s"}]}' % hk[3]).encode()) == 200)
check("a list body is sent as JSON (and refused: not an object)",
      call(url, seed, "PUT", "/miners", [merge(4)])[0] == 400)
status, miners = call(url, seed, "GET", "/miners")
check("the miners stored: %r" % (miners,), status == 200 and miners == {"1": hk[1], "2": hk[2], "3": hk[3]})
status, answer = call(url, seed, "DELETE", "/wandb-runs/" + hk[1])
check("a 404 is answered as JSON: %r" % (answer,), status == 404 and answer["error"]["code"] == "not_found")
status, db = call(url, seed, "GET", "/admin/backup?name=snap.db")
check("a backup comes back as bytes", status == 200 and isinstance(db, bytes) and db.startswith(b"SQLite format 3\0"))
status, text = call(url, seed, "GET", "/metrics")
check("a text answer comes back as bytes", status == 200 and b"computedb_" in text)
call(url, seed, "PUT", "/wandb-runs/" + hk[1], {"run_id": "r1"})
check("a 204 is None", call(url, seed, "DELETE", "/wandb-runs/" + hk[1]) == (204, None))
try:
    call(os.environ["DOWN"], seed, "GET", "/miners")
    check("a server that is down raised nothing", False)
except ConnectionError as e:
    check("the error is an Unreachable naming the URL: %s" % e,
          isinstance(e, Unreachable) and os.environ["DOWN"] in str(e))
sys.exit(1 if fails else 0)
EOF
    # The script form: a backup written as it came, and exit 3 when down.
    python3 "$clients/computedb_sign.py" "$key" GET '/admin/backup?name=snap.db' >"$dir/py.db" ||
        bad "computedb_sign.py: the backup download failed"
    cmp -s "$dir/py.db" "$dir/data/backups/snap.db" || bad "computedb_sign.py: the backup differs from the file"
    COMPUTEDB_URL=$down python3 "$clients/computedb_sign.py" "$key" GET /miners >/dev/null 2>"$dir/err"
    [ $? = 3 ] || bad "computedb_sign.py: not exit 3 when the server is down"
    grep -q "cannot reach computedb at $down" "$dir/err" || bad "computedb_sign.py: $(cat "$dir/err")"
else
    echo "$name: skipped the Python snippet (no cryptography)"
fi

if [ $js = 1 ]; then
    mjs=$clients/computedb_sign.mjs
    ss58=$(python3 -c "import sys; sys.path.insert(0, '$clients'); \
from computedb_sign import load_seed, ss58_address; \
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as K; \
from cryptography.hazmat.primitives import serialization as s; \
print(ss58_address(K.from_private_bytes(load_seed('$key')).public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)))")
    # The usage the header comment gives is the one the script checks.
    doc=$(sed -n 's|^//  *COMPUTEDB_URL=[^ ]* \(node computedb_sign.mjs .*\)$|\1|p' "$mjs")
    said=$(node "$mjs" 2>&1 | sed -n 's/^usage: //p')
    [ -n "$doc" ] && [ "$doc" = "$said" ] || bad "computedb_sign.mjs: the comment says '$doc', the script '$said'"
    node "$mjs" "$key" "$ss58" PUT /miners "{\"mode\": \"merge\", \"miners\": [{\"uid\": 9, \"hotkey\": \"$(hk 9)\"}]}" \
        >"$dir/out" 2>&1 || bad "computedb_sign.mjs PUT: $(cat "$dir/out")"
    node "$mjs" "$key" "$ss58" GET /miners >"$dir/out" 2>&1 || bad "computedb_sign.mjs GET: $(cat "$dir/out")"
    grep -q "\"9\": \"$(hk 9)\"" "$dir/out" || bad "computedb_sign.mjs: uid 9 not stored: $(cat "$dir/out")"
    node "$mjs" "$key" "$ss58" GET '/admin/backup?name=snap.db' >"$dir/js.db" ||
        bad "computedb_sign.mjs: the backup download failed"
    cmp -s "$dir/js.db" "$dir/data/backups/snap.db" || bad "computedb_sign.mjs: the backup differs from the file"
    node "$mjs" "$key" "$ss58" DELETE "/wandb-runs/$(hk 9)" >"$dir/out" 2>&1
    [ $? = 1 ] && grep -q '"not_found"' "$dir/out" || bad "computedb_sign.mjs: a 404: $(cat "$dir/out")"
    COMPUTEDB_URL=$down node "$mjs" "$key" "$ss58" GET /miners >/dev/null 2>"$dir/err"
    [ $? = 3 ] || bad "computedb_sign.mjs: not exit 3 when the server is down"
    grep -q "cannot reach computedb at $down" "$dir/err" || bad "computedb_sign.mjs: $(cat "$dir/err")"
else
    echo "$name: skipped the Node snippet (no node)"
fi
finish
