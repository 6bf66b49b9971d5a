#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The CLI's TLS: `computedb tls selfsigned` writes a key (0600, never over
# an existing file) and a certificate that openssl reads as asked (ECDSA
# P-256, the names as subjectAltName, serverAuth, the validity, the printed
# fingerprint and pin); `computedb call --cacert/--insecure` makes signed
# requests over a real TLS handshake, through a small TLS-terminating proxy
# (python3's ssl) in front of a plain `computedb serve`, and explains each
# refusal (untrusted, wrong CA, wrong name, not HTTPS) with exit 1.
set -u
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "$name: skipped (no openssl)"; exit 77; }
python3 -c 'import ssl' 2>/dev/null || { echo "$name: skipped (no python3 ssl)"; exit 77; }
unset COMPUTEDB_CACERT
HK=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY

# expect CODE WHAT TEXT command...: the exit code, and TEXT (when not
# empty) in what the command printed.
expect() {
    local want=$1 what=$2 text=$3 got
    shift 3
    "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    [ "$got" = "$want" ] || { bad "$what: exit $got, want $want"; cat "$dir/err"; }
    [ -z "$text" ] || grep -qF -- "$text" "$dir/out" "$dir/err" ||
        { bad "$what: no '$text' in:"; cat "$dir/out" "$dir/err"; }
}

# ---- tls selfsigned ------------------------------------------------------
expect 0 "tls --help" "selfsigned --out DIR" "$bin" tls --help
expect 2 "tls without a subcommand" "usage" "$bin" tls
expect 2 "selfsigned without --out" "usage" "$bin" tls selfsigned
expect 2 "--days 0" "--days must be" "$bin" tls selfsigned --out "$dir/x" --days 0
expect 2 "--days 826" "--days must be" "$bin" tls selfsigned --out "$dir/x" --days 826
expect 2 "a bad --host" "neither a DNS name" "$bin" tls selfsigned --out "$dir/x" --host 'a b'
[ -e "$dir/x" ] && bad "a usage error created files"

(umask 000 && "$bin" tls selfsigned --out "$dir/tls" >"$dir/made") || bad "selfsigned failed"
cert=$dir/tls/cert.pem key=$dir/tls/key.pem
[ "$(stat -c %a "$key")" = 600 ] || bad "key.pem is mode $(stat -c %a "$key") under umask 000"
text=$(openssl x509 -in "$cert" -noout -text) || bad "openssl cannot read cert.pem"
want="DNS:localhost|IP Address:127.0.0.1|IP Address:0:0:0:0:0:0:0:1|TLS Web Server Authentication"
want="$want|id-ecPublicKey|prime256v1|CA:FALSE|Digital Signature|Version: 3|ecdsa-with-SHA256"
h=$(hostname)
case $h in localhost | *[!A-Za-z0-9.-]*) ;; *) want="$want|DNS:$h" ;; esac
IFS='|' read -ra wants <<<"$want"
for w in "${wants[@]}"; do
    grep -qF -- "$w" <<<"$text" || bad "the certificate lacks '$w'"
done
# Valid now, for 365 days and not 366.
openssl x509 -in "$cert" -noout -checkend $((364 * 86400)) >/dev/null ||
    bad "the certificate ends before 364 days"
openssl x509 -in "$cert" -noout -checkend $((366 * 86400)) >/dev/null &&
    bad "the certificate lasts past 366 days"
start_s=$(date -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%s)
[ "$start_s" -le "$(date +%s)" ] || bad "the certificate is not valid yet"
openssl verify -x509_strict -purpose sslserver -CAfile "$cert" "$cert" >/dev/null ||
    bad "openssl does not verify the certificate as a TLS server's"
[ "$(openssl pkey -in "$key" -pubout)" = "$(openssl x509 -in "$cert" -noout -pubkey)" ] ||
    bad "key.pem is not the certificate's key"
fp=$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | cut -d= -f2)
grep -qx "  $fp" "$dir/made" || { bad "printed fingerprint is not openssl's $fp"; cat "$dir/made"; }
pin=sha256//$(openssl x509 -in "$cert" -noout -pubkey | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)
grep -qx "  $pin" "$dir/made" || { bad "printed pin is not $pin"; cat "$dir/made"; }
grep -qF -- "--tls-cert $cert --tls-key $key" "$dir/made" || bad "no serve command printed"
grep -qF -- "--cacert $cert" "$dir/made" || bad "no call command printed"

# Never over an existing file, and nothing left half-made.
sum=$(cat "$cert" "$key" | sha256sum)
expect 1 "selfsigned over existing files" "never replaced" "$bin" tls selfsigned --out "$dir/tls"
[ "$(cat "$cert" "$key" | sha256sum)" = "$sum" ] || bad "existing files were changed"
mkdir "$dir/half" && echo keep >"$dir/half/cert.pem"
expect 1 "selfsigned over an existing cert.pem" "never replaced" "$bin" tls selfsigned --out "$dir/half"
[ -e "$dir/half/key.pem" ] && bad "a refused run left key.pem behind"
[ "$(cat "$dir/half/cert.pem")" = keep ] || bad "an existing cert.pem was changed"

# Other names and a shorter life: exactly the names given.
expect 0 "selfsigned --host --days" "" "$bin" tls selfsigned --out "$dir/other" \
    --host other.example --host=10.1.2.3 --days 30
san=$(openssl x509 -in "$dir/other/cert.pem" -noout -ext subjectAltName | sed -n 's/^ *//;2p')
[ "$san" = "DNS:other.example, IP Address:10.1.2.3" ] || bad "subjectAltName is '$san'"
openssl x509 -in "$dir/other/cert.pem" -noout -checkend $((29 * 86400)) >/dev/null ||
    bad "--days 30 ends before 29 days"
openssl x509 -in "$dir/other/cert.pem" -noout -checkend $((31 * 86400)) >/dev/null &&
    bad "--days 30 lasts past 31 days"

# ---- call over TLS -------------------------------------------------------
# proxy CERT KEY: a TLS server on 127.0.0.1 that forwards each connection
# to the plain computedb server; prints its port.
cat >"$dir/proxy.py" <<'EOF'
import select, socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
backend = int(sys.argv[3])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
print(ls.getsockname()[1], flush=True)

def serve(raw):
    up = None
    try:
        raw.settimeout(10)
        tls = ctx.wrap_socket(raw, server_side=True)
        tls.settimeout(None)
        up = socket.create_connection(("127.0.0.1", backend))
        while True:
            ready = [tls] if tls.pending() else select.select([tls, up], [], [], 30)[0]
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (up if s is tls else tls).sendall(data)
    except OSError:
        pass
    finally:
        raw.close()
        if up:
            up.close()

while True:
    conn, _ = ls.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF
# proxy VAR CERT KEY: starts a proxy with CERT and KEY; sets VAR to its
# port (not run in $(...), so that proxies keeps its pid for the trap).
proxies=
proxy() {
    python3 "$dir/proxy.py" "$2" "$3" "$port" >"$dir/$1.port" &
    proxies="$proxies $!"
    for _ in $(seq 100); do
        [ -s "$dir/$1.port" ] && break
        sleep 0.05
    done
    read -r "$1" <"$dir/$1.port" || { bad "the TLS proxy did not start"; exit 1; }
}
start
trap 'kill $proxies 2>/dev/null; cleanup' EXIT
proxy p1 "$cert" "$key"
proxy p2 "$dir/other/cert.pem" "$dir/other/key.pem"
tls1=https://127.0.0.1:$p1

expect 0 "signed GET over TLS with --cacert" "{" "$bin" call --url "$tls1" --cacert "$cert" GET /miners
expect 0 "signed PUT over TLS with --cacert" "" "$bin" call --url "$tls1" --cacert "$cert" \
    PUT /miners --data "{\"mode\": \"merge\", \"miners\": [{\"uid\": 3, \"hotkey\": \"$HK\"}]}"
expect 0 "the PUT is read back over TLS" "$HK" "$bin" call --url "$tls1" --cacert "$cert" GET /miners
expect 0 "by the name localhost" "" "$bin" call --url "https://localhost:$p1" --cacert "$cert" \
    GET /miners
expect 0 "COMPUTEDB_CACERT" "" env COMPUTEDB_CACERT="$cert" "$bin" call --url "$tls1" GET /miners
curl -sf -o /dev/null --cacert "$cert" --pinnedpubkey "$pin" "$tls1/healthz" ||
    bad "curl refuses the printed --pinnedpubkey"
curl -sf -o /dev/null --cacert "$cert" --pinnedpubkey \
    "sha256//$(printf '%043d=' 0)" "$tls1/healthz" && bad "curl accepts any pin"

expect 1 "no --cacert" "not trusted: use --cacert FILE" "$bin" call --url "$tls1" GET /miners
grep -qF 'HTTP' "$dir/out" && bad "an untrusted server's answer was printed"
expect 1 "the wrong CA" "did not sign it" "$bin" call --url "$tls1" \
    --cacert "$dir/other/cert.pem" GET /miners
expect 1 "the wrong CA from COMPUTEDB_CACERT" "did not sign it" \
    env COMPUTEDB_CACERT="$dir/other/cert.pem" "$bin" call --url "$tls1" GET /miners
expect 1 "a name the certificate lacks" "does not name the host" "$bin" call \
    --url "https://127.0.0.1:$p2" --cacert "$dir/other/cert.pem" GET /miners
expect 1 "an unreadable --cacert" "cannot use $dir/none.pem" "$bin" call --url "$tls1" \
    --cacert "$dir/none.pem" GET /miners
expect 1 "https:// to a plain server" "TLS handshake failed" "$bin" call \
    --url "https://127.0.0.1:$port" --cacert "$cert" GET /miners
expect 1 "http:// to the TLS port" "use an https:// --url" "$bin" call \
    --url "http://127.0.0.1:$p1" GET /miners

expect 0 "--insecure" "warning: --insecure" "$bin" call --url "$tls1" --insecure GET /miners
expect 0 "--insecure over a wrong COMPUTEDB_CACERT" "warning: --insecure" \
    env COMPUTEDB_CACERT="$dir/other/cert.pem" "$bin" call --url "https://127.0.0.1:$p2" \
    --insecure GET /miners
expect 2 "--cacert with --insecure" "not both" "$bin" call --url "$tls1" --insecure \
    --cacert "$cert" GET /miners
expect 0 "call --help" "--cacert" "$bin" call --help
grep -qF -- "--insecure" "$dir/out" || bad "call --help lacks --insecure"
finish
