#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Client certificates as principals (--tls-client-ca): a CA, a server
# certificate and client certificates made here by openssl. A reader
# certificate reads and cannot write, a writer's writes; unknown, expired,
# wrong-CA and revoked certificates are refused like unknown signers,
# with the certificate named; curl and libcurl (computedb call --cert)
# over TLS 1.3 and 1.2; a signed request over an unknown certificate is
# its signer, and one over a principal's certificate is refused as a
# conflict; the access log names the certificate; SIGHUP swaps the CA; a
# client certificate made as the allocation API's cert/gen_ca.sh makes it
# is accepted as it is.
set -u
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "$name: skipped (no openssl)"; exit 77; }
cd "$dir" || exit 1

# -- the certificates ------------------------------------------------------
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }
# ca NAME: a self-signed CA NAME.pem / NAME.key.
ca() {
    # shellcheck disable=SC2046
    openssl req -x509 $(ec) -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1" 2>/dev/null ||
        bad "openssl cannot make the CA $1"
}
# cert CA NAME DAYS EXT: NAME.pem / NAME.key issued by CA.
cert() {
    printf '%s\n' "$4" >"$2.ext"
    # shellcheck disable=SC2046
    openssl req $(ec) -keyout "$2.key" -out "$2.csr" -subj "/CN=$2" 2>/dev/null &&
        openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial \
            -out "$2.pem" -days "$3" -extfile "$2.ext" 2>/dev/null || bad "openssl cannot make $2"
}
client='extendedKeyUsage=clientAuth'
ca clients
ca other
ca servers
cert servers server 2 'subjectAltName=DNS:localhost,IP:127.0.0.1'
cert clients reader 2 "$client"
cert clients writer 2 "$client"
cert clients stranger 2 "$client"
cert clients old -1 "$client" # expired yesterday
cert clients serveronly 2 'extendedKeyUsage=serverAuth'
cert other outsider 2 "$client"
name_of() { echo "sha256:$(openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64)"; }
reader=$(name_of reader.pem) writer=$(name_of writer.pem) stranger=$(name_of stranger.pem)
# The allocation API's cert/gen_ca.sh, step for step (RSA 2048 here instead
# of 4096, for time): a CA with a passphrase, and a client certificate
# without extended key usage whose subject is the CA's own name.
ni='/C=US/ST=NY/CN=NI/O=NI'
openssl req -newkey rsa:2048 -keyform PEM -keyout ni.key -x509 -days 365 -outform PEM \
    -passout pass:bittensor -out ni.cer -subj "$ni" 2>/dev/null &&
    openssl genrsa -out nic.key 2048 2>/dev/null &&
    openssl req -new -key nic.key -out nic.req -subj "$ni" &&
    printf '[ v3_req ]\nsubjectAltName = DNS:127.0.0.1,DNS:0.0.0.0,DNS:localhost\n' >nic.ext &&
    openssl x509 -req -in nic.req -CA ni.cer -CAkey ni.key -set_serial 101 -days 365 \
        -outform PEM -out nic.pem -passin pass:bittensor -extensions v3_req -extfile nic.ext \
        2>/dev/null || bad "openssl cannot make the gen_ca.sh certificates"

# -- flags -------------------------------------------------------------------
"$bin" serve --listen 127.0.0.1:0 --db x.db --admin-key x.key --tls-client-ca clients.pem \
    >out 2>&1 && bad "--tls-client-ca without --tls-cert started"
grep -q -- "--tls-client-ca needs HTTPS" out || bad "no reason for --tls-client-ca alone: $(cat out)"
echo junk >junk.pem
"$bin" serve --listen 127.0.0.1:0 --db x.db --admin-key x.key --tls-cert server.pem \
    --tls-key server.key --tls-client-ca junk.pem >out 2>&1 && bad "a junk client CA started"
grep -q -- "--tls-client-ca junk.pem: not PEM CA certificates" out ||
    bad "no reason for a junk client CA: $(cat out)"

# -- principals, offline -----------------------------------------------------
db=$dir/data/database.db
mkdir -p data
admin=$("$bin" keygen --out data/admin.key) || bad "keygen failed"
"$bin" principal add --db "$db" --role admin --label first "$admin" >/dev/null ||
    bad "cannot add the admin key $admin"
out=$("$bin" principal add --db "$db" --role reader --label grafana --cert reader.pem) ||
    bad "principal add --cert failed: $out"
[ "$out" = "added $reader" ] || bad "principal add --cert said: $out (want added $reader)"
# openssl's AB:CD:... form names the same principal
fp=$(openssl x509 -in writer.pem -noout -fingerprint -sha256 | sed 's/.*=//')
out=$("$bin" principal add --db "$db" --role writer "$fp") || bad "principal add AB:CD:... failed"
[ "$out" = "added $writer" ] || bad "principal add with openssl's form said: $out"
"$bin" principal add --db "$db" --role reader --scheme sr25519 --cert reader.pem >/dev/null 2>err &&
    bad "a certificate with --scheme sr25519 was taken"
grep -q "has no --scheme" err || bad "no reason for --scheme on a certificate: $(cat err)"
"$bin" principal add --db "$db" --role reader --cert junk.pem >/dev/null 2>err &&
    bad "a junk --cert was taken"
grep -q "is not a PEM certificate" err || bad "no reason for a junk --cert: $(cat err)"
"$bin" principal ls --db "$db" | grep -q "^$reader  x509 .*reader  grafana" ||
    bad "principal ls does not show the certificate: $("$bin" principal ls --db "$db")"

# -- the server ----------------------------------------------------------------
cat clients.pem ni.cer >ca-now.pem
"$bin" principal add --db "$db" --role reader --label frontend --cert nic.pem >/dev/null ||
    bad "cannot add the gen_ca.sh client certificate"
serve_on "$db" "$dir/data/admin.key" "$dir/log" --tls-cert server.pem --tls-key server.key \
    --tls-client-ca ca-now.pem
url=https://localhost:$port
export COMPUTEDB_KEY=$dir/data/admin.key
grep -q "client certificates from ca-now.pem" log || bad "the start does not say client certificates are asked"
# get CERT [curl args]: status of GET /miners with CERT's certificate
as() {
    local c=$1
    shift
    curl -sS -o body -w '%{http_code}' --cacert servers.pem --cert "$c.pem" --key "$c.key" "$@"
}
code=$(as reader "$url/miners") || bad "curl with the reader certificate failed"
[ "$code" = 200 ] || bad "reader certificate GET /miners: $code $(cat body)"
code=$(as nic "$url/miners")
[ "$code" = 200 ] || bad "a gen_ca.sh client certificate: $code $(cat body)"
code=$(as reader --tls-max 1.2 "$url/miners")
[ "$code" = 200 ] || bad "reader certificate over TLS 1.2: $code $(cat body)"
miners='{"mode": "merge", "miners": [{"uid": 7, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}'
code=$(as reader -X PUT -H 'Content-Type: application/json' --data-binary "$miners" "$url/miners")
[ "$code" = 403 ] || bad "reader certificate PUT /miners: $code $(cat body)"
grep -q '"role_required"' body || bad "reader's 403 body: $(cat body)"
code=$(as writer -X PUT -H 'Content-Type: application/json' --data-binary "$miners" "$url/miners")
[ "$code" = 200 ] || bad "writer certificate PUT /miners: $code $(cat body)"
grep -q "access method=PUT route=/miners status=200 .* principal=$writer" log ||
    bad "the access log does not name the writer certificate: $(grep 'method=PUT' log)"

# refused: REASON WANT CERT [curl args]
refused() {
    local reason=$1 want=$2 c=$3
    shift 3
    code=$(as "$c" "$@" "$url/miners")
    [ "$code" = 401 ] || { bad "$c: $code, want 401 $reason: $(cat body)"; return; }
    grep -q "\"message\": *\"$reason\"" body || bad "$c: not $reason: $(cat body)"
    grep -qF -- "$want" body || bad "$c: the answer lacks '$want': $(cat body)"
}
refused unknown_signer "principal add --db DB --role reader --cert" stranger
grep -q "\"certificate\": *\"$stranger\"" body || bad "unknown certificate not named: $(cat body)"
grep -q "reason=unknown_signer.*signer=$stranger" log ||
    bad "the refusal's log line does not name the certificate: $(grep unknown_signer log)"
refused certificate_rejected "has expired" old
refused certificate_rejected "not issued by a CA of --tls-client-ca" outsider
refused certificate_rejected "not for client authentication" serveronly
# libcurl: computedb call presents the certificate, unsigned
"$bin" call --cacert servers.pem --cert reader.pem --cert-key reader.key --url "$url" \
    GET /miners >call.out 2>call.err || bad "call --cert failed: $(cat call.err)"
grep -q '"7"' call.out || bad "call --cert did not read the miners: $(cat call.out)"
"$bin" call --cacert servers.pem --cert stranger.pem --cert-key stranger.key --url "$url" \
    GET /miners >/dev/null 2>call.err && bad "call with an unknown certificate succeeded"
grep -q "principal add --db DB --role reader --cert" call.err ||
    bad "call does not pass the server's advice on: $(cat call.err)"

# Signed requests on the same port: the signature wins over an unknown
# certificate; with a principal's certificate the two conflict.
code=$(curl -sS -o body -w '%{http_code}' --cacert servers.pem \
    $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$url/miners")
[ "$code" = 200 ] || bad "a signed request without a certificate: $code $(cat body)"
code=$(as stranger $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$url/miners")
[ "$code" = 200 ] || bad "a signed request over an unknown certificate: $code $(cat body)"
code=$(as reader $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$url/miners")
[ "$code" = 401 ] && grep -q '"principal_conflict"' body ||
    bad "a signed request over a principal's certificate: $code $(cat body)"
# No certificate, unsigned: a signature is asked for, as without the CA.
code=$(curl -sS -o body -w '%{http_code}' --cacert servers.pem "$url/miners")
[ "$code" = 401 ] || bad "unsigned, no certificate: $code"

# Expiry and revocation take effect on the running server.
"$bin" principal add --db "$db" --role reader --expires "2001-01-01 00:00:00" --cert reader.pem >/dev/null
refused principal_expired "has expired" reader
"$bin" principal add --db "$db" --role reader --expires "2999-01-01 00:00:00" --cert reader.pem >/dev/null
[ "$(as reader "$url/miners")" = 200 ] || bad "a renewed certificate principal is refused"
"$bin" call --url "$url" --cacert servers.pem DELETE "/admin/principals/$reader" >/dev/null ||
    bad "DELETE /admin/principals/$reader failed"
refused unknown_signer "not a principal" reader
"$bin" call --url "$url" --cacert servers.pem PUT "/admin/principals/$reader" \
    --data '{"role": "reader", "label": "grafana"}' >put.out || bad "PUT a certificate principal failed"
grep -q '"scheme": "x509"' put.out || bad "PUT did not make an x509 principal: $(cat put.out)"
"$bin" call --url "$url" --cacert servers.pem PUT "/admin/principals/$reader" \
    --data '{"role": "reader", "scheme": "ed25519"}' >/dev/null 2>err && bad "a certificate took scheme ed25519"
"$bin" call --url "$url" --cacert servers.pem PUT "/admin/principals/sha256:XYZ" \
    --data '{"role": "reader"}' >/dev/null 2>err && bad "a malformed certificate name was taken"
[ "$(as reader "$url/miners")" = 200 ] || bad "the certificate added over HTTP is refused"
n=$(curl -sS --cacert servers.pem "$url/metrics" |
    sed -n 's/^computedb_auth_failures_total{reason="certificate_rejected"} //p')
[ "${n:-0}" -ge 3 ] || bad "certificate refusals not counted: ${n:-none}"

# SIGHUP swaps the client CA: the other CA's certificate is trusted after,
# and the dropped CA's is not.
"$bin" principal add --db "$db" --role reader --cert outsider.pem >/dev/null
cat clients.pem other.pem >ca-now.pem
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "reloaded certificate" log && break; sleep 0.05; done
[ "$(as outsider "$url/miners")" = 200 ] || bad "after SIGHUP the new client CA is not used: $(cat body)"
refused certificate_rejected "not issued by a CA of --tls-client-ca" nic
stop
[ "$status" = 0 ] || bad "the server exited $status"
finish
