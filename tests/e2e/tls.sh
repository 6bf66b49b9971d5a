#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTPS end to end (--tls-cert/--tls-key): a CA and server certificates
# made here by openssl; bad files refused at start naming the file; curl
# over HTTPS with --cacert, signed and unsigned; HSTS on HTTPS answers
# only; TLS 1.1 and plain HTTP refused and counted by reason; SIGHUP gives
# new connections the new certificate while a kept-alive connection goes
# on, and a bad reload keeps the served one.
set -u
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "$name: skipped (no openssl)"; exit 77; }
command -v python3 >/dev/null || { echo "$name: skipped (no python3)"; exit 77; }
cd "$dir" || exit 1

# -- the certificates ------------------------------------------------------
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }
# shellcheck disable=SC2046
openssl req -x509 $(ec) -keyout ca.key -out ca.pem -days 2 -subj /CN=e2e-ca 2>/dev/null ||
    { bad "openssl cannot make a CA"; exit 1; }
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
# leaf NAME [DAYS]: NAME.pem and NAME.key signed by the CA for localhost.
leaf() {
    # shellcheck disable=SC2046
    openssl req $(ec) -keyout "$1.key" -out "$1.csr" -subj /CN=localhost 2>/dev/null &&
        openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out "$1.pem" -days "${2:-2}" -extfile ext 2>/dev/null || bad "openssl cannot make $1"
}
leaf a
leaf b
leaf old -1 # expired yesterday
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }
fp_a=$(fp a.pem) fp_b=$(fp b.pem)
echo "not a certificate" >junk.pem

# -- bad files: refused at start, naming the file and what is wrong --------
# refuses WANT FLAGS...: serve exits non-zero, and its output has WANT.
refuses() {
    local want=$1
    shift
    "$bin" serve --listen 127.0.0.1:0 --db "$dir/x.db" --admin-key "$dir/x.key" "$@" >out 2>&1 &
    local p=$!
    for _ in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done
    if kill -0 $p 2>/dev/null; then
        kill $p
        bad "serve $* started; want a refusal ($want)"
    fi
    wait $p && bad "serve $* exited 0"
    grep -qF -- "$want" out || bad "serve $*: no '$want' in: $(cat out)"
}
refuses "go together" --tls-cert a.pem
refuses "--tls-cert $dir/nope.pem: No such file" --tls-cert "$dir/nope.pem" --tls-key a.key
refuses "--tls-cert junk.pem: not a PEM certificate" --tls-cert junk.pem --tls-key a.key
refuses "--tls-key junk.pem: not an unencrypted PEM private key" --tls-cert a.pem --tls-key junk.pem
refuses "--tls-key b.key does not belong to the certificate" --tls-cert a.pem --tls-key b.key
"$bin" serve --help | grep -q -- '--tls-cert' || bad "serve --help lacks --tls-cert"

# An expired certificate is served, with a warning.
serve_on "$dir/old.db" "$dir/old-admin.key" "$dir/old.log" --tls-cert old.pem --tls-key old.key
grep -q "old.pem has expired" old.log || bad "no warning for an expired certificate: $(cat old.log)"
plain=$(curl -sS -i "http://127.0.0.1:$port/healthz" 2>&1)
stop
echo "$plain" | grep -q "^HTTP/1.1 200" && bad "the expired certificate's server answered plain HTTP"

# -- HTTPS ------------------------------------------------------------------
cp a.pem cur.pem
cp a.key cur.key
start --tls-cert cur.pem --tls-key cur.key --conn-timeout 60
url=https://localhost:$port
head=$(curl -sS -i --cacert ca.pem "$url/healthz") || bad "curl over HTTPS failed"
echo "$head" | grep -q "^HTTP/1.1 200" || bad "GET /healthz over HTTPS: $head"
echo "$head" | grep -qi "^Strict-Transport-Security: max-age=63072000" ||
    bad "no HSTS on an HTTPS answer: $head"
# shellcheck disable=SC2046
code=$(curl -sS -o signed.json -w '%{http_code}' --cacert ca.pem \
    $("$bin" sign --key "$COMPUTEDB_KEY" GET /miners) "$url/miners")
[ "$code" = 200 ] || bad "a signed GET /miners over HTTPS: $code $(cat signed.json)"
grep -q "listening on https://127.0.0.1:$port" "$dir/log" || bad "the start line does not say https"
"$bin" call --cacert ca.pem --url "$url" PUT /miners \
    --data '{"mode": "merge", "miners": [{"uid": 3, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}' >/dev/null ||
    bad "computedb call --cacert over HTTPS"
"$bin" call --url "$url" GET /miners >/dev/null 2>call.err && bad "call trusted an unknown CA"
grep -q -- "--cacert" call.err || bad "call's refusal does not point at --cacert: $(cat call.err)"
curl -sS -o /dev/null "$url/healthz" 2>/dev/null && bad "a certificate of an unknown CA was accepted"

metric() { curl -sS --cacert ca.pem "$url/metrics" | sed -n "s/^computedb_tls_handshake_failures_total{reason=\"$1\"} //p"; }
# TLS 1.1 refused by the server (curl offers it: the metric counts it).
curl -sS -o /dev/null --cacert ca.pem --tls-max 1.1 "$url/healthz" 2>/dev/null &&
    bad "a TLS 1.1 client was served"
[ "$(metric protocol_version)" -ge 1 ] || bad "TLS 1.1 not counted as protocol_version"
# Plain HTTP to the HTTPS port: the connection is closed, unanswered.
reply=$(curl -sS -m 5 -i "http://127.0.0.1:$port/healthz" 2>&1)
echo "$reply" | grep -q "^HTTP/" && bad "plain HTTP to the HTTPS port was answered: $reply"
[ "$(metric not_tls)" = 1 ] || bad "plain HTTP not counted as not_tls: $(metric not_tls)"
grep -q "a TLS handshake failed (plain HTTP" log ||
    bad "the refused handshakes were not logged"
done_n=$(curl -sS --cacert ca.pem "$url/metrics" | sed -n 's/^computedb_tls_handshakes_total //p')
[ "${done_n:-0}" -ge 2 ] || bad "completed handshakes not counted: $done_n"

# -- SIGHUP: new connections get the new certificate; old ones go on -------
cat >keep.py <<'EOF'
import hashlib, http.client, os, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPSConnection("localhost", port,
                                context=ssl.create_default_context(cafile=ca))
def get():
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    der = c.sock.getpeercert(binary_form=True)
    h = hashlib.sha256(der).hexdigest().upper()
    return "%d %s" % (r.status, ":".join(h[i:i + 2] for i in range(0, 64, 2)))
print(get(), flush=True)
open("ready", "w").close()
while not os.path.exists("go"):
    time.sleep(0.05)
sock = c.sock
print(get(), "same-socket" if c.sock is sock else "new-socket", flush=True)
EOF
python3 keep.py "$port" ca.pem >keep.out 2>&1 &
kp=$!
for _ in $(seq 200); do [ -e ready ] && break; sleep 0.05; done
[ -e ready ] || bad "the kept-alive client did not connect: $(cat keep.out)"
served() {
    openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}
[ "$(served)" = "$fp_a" ] || bad "the first certificate is not the one served"
cp b.pem cur.pem
cp b.key cur.key
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "reloaded certificate" log && break; sleep 0.05; done
[ "$(served)" = "$fp_b" ] || bad "a new connection after SIGHUP did not get the new certificate"
touch go
wait $kp || bad "the kept-alive client failed: $(cat keep.out)"
[ "$(sed -n 1p keep.out)" = "200 $fp_a" ] || bad "kept-alive first answer: $(cat keep.out)"
[ "$(sed -n 2p keep.out)" = "200 $fp_a same-socket" ] ||
    bad "the connection from before the reload did not go on: $(cat keep.out)"

# A bad reload keeps the served certificate and says why.
cp junk.pem cur.pem
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "TLS reload failed" log && break; sleep 0.05; done
grep -q "TLS reload failed, still serving the previous certificate: --tls-cert cur.pem: not a PEM" log ||
    bad "a bad reload was not logged: $(tail -3 log)"
[ "$(served)" = "$fp_b" ] || bad "a bad reload changed the served certificate"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert ca.pem "$url/healthz")
[ "$code" = 200 ] || bad "after a bad reload: $code"
stop
[ "$status" = 0 ] || bad "the server exited $status"

# -- plain HTTP has no HSTS -------------------------------------------------
serve_on "$dir/p.db" "$dir/p.key" "$dir/p.log"
curl -sS -i "http://127.0.0.1:$port/healthz" | grep -qi "^Strict-Transport-Security" &&
    bad "HSTS on a plain HTTP answer"
stop
finish
