#!/bin/sh
# SPDX-License-Identifier: MIT
# The dashboard (/ui/). With curl: the page at /ui/, / and /ui, each file's
# type, the strict Content-Security-Policy (and no inline script or style
# for it to forbid), ETag and 304, gzip, 404 for no such file, and
# --no-ui. Then ui.mjs drives Debian's chromium with puppeteer-core (see
# there) against this server with seeded data, an HTTPS server whose
# certificate openssl makes here for computedb.test (trusted by its SPKI
# hash, not by ignoring errors; it also runs --public-read), and the plain
# server as plain.test (HSTS from the HTTPS answers would upgrade
# computedb.test).
# Screenshots go to $COMPUTEDB_ARTIFACTS, else artifacts/ui in the build
# folder. Skips (77) without chromium, node, openssl or the pinned npm
# packages (scripts/tools.sh).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium || command -v chromium-browser) ||
    { echo "$name: skipped (no chromium: apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "$name: skipped (no node)"; exit 77; }
command -v openssl >/dev/null || { echo "$name: skipped (no openssl)"; exit 77; }
for m in puppeteer-core axe-core @polkadot/util-crypto; do
    [ -d "${COMPUTEDB_TOOLS_DIR:-/nonexistent}/node_modules/$m" ] ||
        { echo "$name: skipped (the npm test tools are not installed: scripts/tools.sh)"; exit 77; }
done
artifacts=${COMPUTEDB_ARTIFACTS:-$(dirname "$COMPUTEDB_TOOLS_DIR")/artifacts/ui}

# hdrs PATH [curl flags]: the status line and headers of GET PATH.
hdrs() { _p=$1; shift; curl -sS -D - -o "$dir/body" "$@" "$COMPUTEDB_URL$_p" | tr -d '\r'; }
has() { echo "$1" | grep -qi "$2" || bad "$3: no '$2' in: $1"; }

# -- --no-ui -----------------------------------------------------------------
start --no-ui
for p in / /ui /ui/ /ui/app.js; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL$p")
    [ "$code" = 404 ] || bad "GET $p with --no-ui: $code"
done
stop
rm -rf "$dir/data"

# -- the files, over HTTP ------------------------------------------------------
start
h=$(hdrs /ui/)
has "$h" "^HTTP/1.1 200" "GET /ui/"
has "$h" "^Content-Type: text/html; charset=utf-8" "GET /ui/"
has "$h" "^Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';" "GET /ui/"
has "$h" "frame-ancestors 'none'" "GET /ui/"
has "$h" "^X-Content-Type-Options: nosniff" "GET /ui/"
grep -qi "<script>\|<script [^>]*>[^<]\|<style\| style=\| on[a-z]*=" "$dir/body" &&
    bad "index.html has inline script or style, which the policy forbids"
tag=$(echo "$h" | sed -n 's/^ETag: //p')
[ -n "$tag" ] || bad "GET /ui/ has no ETag"
has "$(hdrs /ui/ -H "If-None-Match: $tag")" "^HTTP/1.1 304" "GET /ui/ with its ETag"
for p in / /ui; do # the same page
    has "$(hdrs $p)" "^ETag: $tag" "GET $p"
done
for f in app.js:text/javascript views.js:text/javascript computedb_sign.mjs:text/javascript \
    style.css:text/css chart.js:text/javascript; do
    has "$(hdrs "/ui/${f%%:*}")" "^Content-Type: ${f#*:}" "GET /ui/${f%%:*}"
done
has "$(hdrs /ui/views.js -H 'Accept-Encoding: gzip')" "^Content-Encoding: gzip" "GET /ui/views.js, gzip"
has "$(hdrs /ui/nothing.js)" "^HTTP/1.1 404" "GET /ui/nothing.js"
has "$(hdrs /ui/app.js -X POST)" "^HTTP/1.1 405" "POST /ui/app.js"
curl -sS -o "$dir/sign.mjs" "$COMPUTEDB_URL/ui/computedb_sign.mjs"
cmp -s "$dir/sign.mjs" "$COMPUTEDB_SOURCE_DIR/docs/clients/computedb_sign.mjs" ||
    bad "/ui/computedb_sign.mjs is not docs/clients/computedb_sign.mjs"

# -- principals: a reader and a writer key ------------------------------------
reader=$("$bin" keygen --out "$dir/reader.key") || bad "keygen reader"
writer=$("$bin" keygen --out "$dir/writer.key") || bad "keygen writer"
"$bin" call PUT "/admin/principals/$reader" --data '{"role": "reader"}' >/dev/null || bad "adding the reader"
"$bin" call PUT "/admin/principals/$writer" --data '{"role": "writer"}' >/dev/null || bad "adding the writer"
main_pid=$pid main_port=$port main_url=$COMPUTEDB_URL
trap 'kill $main_pid 2>/dev/null; cleanup' EXIT

# -- HTTPS for computedb.test --------------------------------------------------
cd "$dir" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.pem \
    -days 2 -subj /CN=computedb.test -addext "subjectAltName=DNS:computedb.test,DNS:localhost" 2>/dev/null ||
    { bad "openssl cannot make a certificate"; finish; }
spki=$(openssl x509 -in tls.pem -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)
serve_on "$dir/tls.db" "$dir/tls-admin.key" "$dir/tls.log" --tls-cert tls.pem --tls-key tls.key --public-read
tls_url=https://computedb.test:$port
"$bin" call --key tls-admin.key --cacert tls.pem --url "https://localhost:$port" \
    PUT "/admin/principals/$reader" --data '{"role": "reader"}' >/dev/null || bad "adding the reader over HTTPS"
"$bin" call --key tls-admin.key --cacert tls.pem --url "https://localhost:$port" \
    POST /blacklist --data '{"hotkeys": ["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"]}' >/dev/null ||
    bad "a blacklist entry over HTTPS"

# -- the browser --------------------------------------------------------------
URL=$main_url TLS_URL=$tls_url PLAIN_NAMED_URL=http://plain.test:$main_port SPKI=$spki \
    CHROMIUM=$chromium ARTIFACTS=$artifacts ADMIN_KEY=$dir/data/admin.key READER_KEY=$dir/reader.key \
    WRITER_KEY=$dir/writer.key SR_SEED=9 node "$here/ui.mjs" || bad "the browser checks (above)"
finish
