#!/bin/sh
# SPDX-License-Identifier: MIT
# sr25519 principals (Bittensor hotkeys) against a real server, with
# signatures made by two independent implementations from npm (see
# sr25519.mjs): accepted for GET and PUT and in the <Bytes> form that
# browser extensions sign; refused with a flipped bit in R or s, a cleared
# marker, s + l, another key's signature, an ed25519 signature under an
# sr25519 principal and the reverse, the identity key and a non-canonical
# key. Skips (77) without node or the pinned packages (scripts/tools.sh).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "$name: skipped (no node)"; exit 77; }
[ -d "${COMPUTEDB_TOOLS_DIR:-/nonexistent}/node_modules/@scure/sr25519" ] ||
    { echo "$name: skipped (the npm test tools are not installed: scripts/tools.sh)"; exit 77; }

start
node "$here/sr25519.mjs" keys >"$dir/keys" || { bad "the key list"; finish; }
add() { # NAME ROLE SCHEME
    a=$(sed -n "s/^$1 //p" "$dir/keys")
    "$bin" call PUT "/admin/principals/$a" \
        --data "{\"role\": \"$2\", \"scheme\": \"$3\"}" >/dev/null ||
        bad "adding $1 ($a) as $3"
}
add scure writer sr25519
add polkadot writer sr25519
add sr_as_ed writer ed25519
add identity reader sr25519
add noncanonical reader sr25519
# The scheme shows where operators look.
"$bin" principal ls --db "$dir/data/database.db" | grep -q "$(sed -n 's/^scure //p' "$dir/keys")  sr25519  writer" ||
    bad "principal ls does not show the scheme"
node "$here/sr25519.mjs" run "$COMPUTEDB_URL" || bad "an sr25519 case answered wrong (above)"
finish
