#!/bin/sh
# SPDX-License-Identifier: MIT
# sr25519 principals (Bittensor hotkeys) against a real server, with
# signatures made by two independent implementations from npm (see
# sr25519.mjs): accepted for GET and PUT and in the <Bytes> form that
# browser extensions sign; refused with a flipped bit in R or s, a cleared
# marker, s + l, another key's signature, an ed25519 signature under an
# sr25519 principal and the reverse, the identity key and a non-canonical
# key; and the CLI signing with hotkey files and wallets (keygen --scheme
# sr25519, --key, --wallet/--hotkey/--wallet-path), its signature checked
# by @polkadot's signatureVerify, and the errors for encrypted, malformed,
# inconsistent and open files. Skips (77) without node or the pinned
# packages (scripts/tools.sh).
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

# The CLI signs as a hotkey: a file `keygen --scheme sr25519` writes, the
# same file where a Bittensor wallet keeps it, and one with privateKey only.
hk=$dir/hk.json
addr=$("$bin" keygen --scheme sr25519 --out "$hk") || bad "keygen --scheme sr25519"
[ "$(stat -c %a "$hk")" = 600 ] || bad "the hotkey file is not 0600"
"$bin" call PUT "/admin/principals/$addr" --data '{"role": "reader", "scheme": "sr25519"}' >/dev/null ||
    bad "adding the CLI's hotkey"
"$bin" call --key "$hk" GET /miners >/dev/null 2>"$dir/err" || bad "call --key hotkey file: $(cat "$dir/err")"
# The grant to read allocation secrets, offline; an update without it keeps it.
"$bin" principal add --db "$dir/data/database.db" --role writer --scheme sr25519 --secrets "$addr" >/dev/null ||
    bad "principal add --secrets"
"$bin" principal add --db "$dir/data/database.db" --role writer "$addr" >/dev/null || bad "principal update"
"$bin" principal ls --db "$dir/data/database.db" | grep -q "$addr  sr25519  writer +secrets" ||
    bad "principal ls does not show the grant: $("$bin" principal ls --db "$dir/data/database.db")"
"$bin" principal add --db "$dir/data/database.db" --role writer --secrets --no-secrets "$addr" >/dev/null 2>&1
[ $? = 2 ] || bad "--secrets with --no-secrets is not a usage error"
mkdir -p "$dir/w/val/hotkeys" && cp "$hk" "$dir/w/val/hotkeys/hot"
"$bin" call --wallet val --hotkey hot --wallet-path "$dir/w" GET /miners >/dev/null 2>"$dir/err" ||
    bad "call --wallet: $(cat "$dir/err")"
HOME=$dir/home; mkdir -p "$HOME/.bittensor/wallets/default/hotkeys"
cp "$hk" "$HOME/.bittensor/wallets/default/hotkeys/default"
HOME=$HOME "$bin" call --wallet default GET /miners >/dev/null 2>"$dir/err" ||
    bad "call --wallet default (~/.bittensor/wallets): $(cat "$dir/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["secretSeed"]; print(json.dumps(d))' \
    "$hk" >"$dir/priv.json" && chmod 600 "$dir/priv.json"
"$bin" call --key "$dir/priv.json" GET /miners >/dev/null 2>"$dir/err" ||
    bad "a hotkey file with privateKey only: $(cat "$dir/err")"
node "$here/sr25519.mjs" verify-headers "$("$bin" sign --wallet val --hotkey hot --wallet-path "$dir/w" GET /miners)" ||
    bad "@polkadot's signatureVerify refused the CLI's signature"
# What goes wrong is said, naming the file.
chmod 644 "$dir/priv.json"
"$bin" call --key "$dir/priv.json" GET /miners 2>&1 >/dev/null | grep -q "may be read by others" ||
    bad "no warning for a hotkey file others can read"
printf '$NACLxxxxxxxx' >"$dir/enc" && chmod 600 "$dir/enc"
"$bin" call --key "$dir/enc" GET /miners 2>"$dir/err" >/dev/null && bad "an encrypted hotkey signed"
grep -q "$dir/enc is encrypted" "$dir/err" || bad "encrypted file: $(cat "$dir/err")"
printf '{"secretSeed": "0x12"}' >"$dir/bad" && chmod 600 "$dir/bad"
"$bin" call --key "$dir/bad" GET /miners 2>"$dir/err" >/dev/null && bad "a malformed hotkey signed"
grep -q "$dir/bad has neither" "$dir/err" || bad "malformed file: $(cat "$dir/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["publicKey"]="0x"+"11"*32; print(json.dumps(d))' \
    "$hk" >"$dir/mismatch" && chmod 600 "$dir/mismatch"
"$bin" call --key "$dir/mismatch" GET /miners 2>"$dir/err" >/dev/null && bad "a hotkey file whose keys disagree signed"
grep -q "does not give its" "$dir/err" || bad "mismatched file: $(cat "$dir/err")"
finish
