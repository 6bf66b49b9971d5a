#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configuration end to end: what `config print` writes loads back with
# --config and prints the same (defaults, and every setting changed);
# errors are labelled by the subcommand running and name the setting, its
# source (file:line:column for JSON syntax) and what it takes; precedence
# is defaults < file < environment < flags; the admin key's default is
# beside a SQLite --db, whatever the current folder.
set -u
. "$(dirname "$0")/lib.sh"

# Runs with no COMPUTEDB_* of the caller's, only those given as NAME=VALUE.
clean() { env -i PATH="$PATH" "$@"; }
# print OUT [NAME=VALUE...] [flags...]: config print into OUT, stderr kept.
print() { local out=$1; shift; clean "$@" >"$out" 2>"$dir/err"; }
cd "$dir" || exit 1

# -- the round trip: a fixed point ------------------------------------------
print p0.json "$bin" config print || bad "config print failed: $(cat err)"
print p1.json "$bin" config print --config p0.json || bad "the defaults did not load back: $(cat err)"
cmp -s p0.json p1.json || bad "the defaults printed differently: $(diff p0.json p1.json)"
grep -q '"gpu-table": null' p0.json || bad "an unset --gpu-table is not printed as null"
grep -q '"cors-origin": \[\]' p0.json || bad "no origins is not printed as []"
grep -q '"config"' p0.json && bad "config print prints --config"

# Every setting off its default, each kind of value.
cat >full.json <<EOF
{"listen": "[::1]:0", "db": "$dir/x/other.db", "audience": "e2e.test:1",
 "auth-window-ms": 40000, "auth-future-ms": 3000, "replay-capacity": "1000",
 "public-read": true, "admin-key": "$dir/k/admin.key",
 "cors-origin": ["https://a.example", "*"], "threads": 3, "write-threads": 2,
 "readers": 5, "synchronous": "normal", "no-group-commit": true,
 "no-response-cache": true, "busy-timeout-ms": 7000, "wal-max": 2097152,
 "max-body": 2048, "conn-timeout": 31, "conn-memory": 16384, "conn-limit": 99,
 "conn-per-ip": 0, "header-timeout": 11, "body-timeout": 61,
 "log-level": "debug", "log-format": "json", "shutdown-timeout": 0,
 "pog-backend": "cpu", "gpu-table": "$dir/gpus.json", "pog-cpu-max-n": 512,
 "pog-queue": 3, "pog-jobs-max-age": 3600, "pog-jobs-max-bytes": 2097152,
 "pog-jobs-per-principal": 2, "pog-stored-per-principal": 20,
 "min-free-disk": 0, "tls-cert": "$dir/tls/cert.pem",
 "tls-key": "$dir/tls/key.pem", "tls-client-ca": "$dir/tls/ca.pem", "no-ui": true,
 "config": null}
EOF
print f1.json "$bin" config print --config full.json || bad "full.json did not load: $(cat err)"
print f2.json "$bin" config print --config f1.json || bad "the printed full config did not load back: $(cat err)"
cmp -s f1.json f2.json || bad "the full config printed differently: $(diff f1.json f2.json)"
print f3.json COMPUTEDB_CONFIG=f2.json "$bin" config print || bad "COMPUTEDB_CONFIG=f2.json failed: $(cat err)"
cmp -s f1.json f3.json || bad "the full config printed differently through COMPUTEDB_CONFIG"
keys() { sed -n 's/^  "\([a-z-]*\)": .*/\1/p' "$1" | sort; }
flags=$("$bin" serve --help | sed -n 's/^  --\([a-z-]*\) .*/\1/p' | grep -vxE 'help|config' | sort)
[ "$(keys f1.json)" = "$flags" ] || bad "config print's keys are not serve's flags: $(diff <(keys f1.json) <(echo "$flags"))"
for k in $(keys f1.json); do
    [ "$(grep "^  \"$k\": " p0.json)" != "$(grep "^  \"$k\": " f1.json)" ] || bad "full.json's $k was not applied"
done
grep -q '"listen": "\[::1\]:0"' f1.json || bad "an IPv6 --listen did not print in brackets"
grep -q '"replay-capacity": 1000' f1.json || bad "a number given as a string did not print as a number"

# -- errors: labelled, located, saying what to do ---------------------------
# fails LABEL WANT [NAME=VALUE...] ARGS...: exits 2, every line labelled
# `computedb LABEL:`, and WANT (a fixed string) among them.
fails() {
    local label=$1 want=$2 code
    shift 2
    clean "$@" >/dev/null 2>"$dir/err"
    code=$?
    [ $code = 2 ] || bad "$* exited $code, not 2"
    grep -vq "^computedb $label: " err && bad "$* printed a line not labelled computedb $label: $(cat err)"
    grep -qF -- "$want" err || bad "$*: no \"$want\" in: $(cat err)"
}
printf '{\n  "threads": 4,\n  "log-level": }\n' >syntax.json
fails config "syntax.json:3:16: unexpected token" "$bin" config print --config syntax.json
fails serve "syntax.json:3:16: unexpected token" "$bin" serve --config syntax.json
printf '{"threads": 4,\n "threads": 5}\n' >dup.json
fails config "dup.json:2:10: duplicate object key" "$bin" config print --config dup.json
printf '{"threads": true}' >type.json
fails config 'type.json, key "threads": true is the wrong type; give a JSON number or string (a whole number from 1 to 256), or null for the default' \
    "$bin" config print --config type.json
printf '{"gpu-table": ["a"]}' >type2.json
fails serve 'type2.json, key "gpu-table": an array is the wrong type; give a JSON string' "$bin" serve --config type2.json
fails config "--tls-cert and --tls-key go together" "$bin" config print --tls-cert c.pem
fails config "--tls-client-ca needs HTTPS" "$bin" config print --tls-client-ca ca.pem
printf '{"max-body": 5}' >range.json
fails config "range.json, key \"max-body\": bad value '5'; expected a whole number from 1024 to 1073741824" \
    "$bin" config print --config range.json
printf '{"thread": 4, "threads": 4}' >unknown.json
fails config 'unknown.json: unknown setting "thread"; the keys are the flags of `computedb serve --help`' \
    "$bin" config print --config unknown.json
printf '{"config": "other.json"}' >nested.json
fails config 'nested.json, key "config": a config file cannot name another' "$bin" config print --config nested.json
printf '[1]' >list.json
fails config 'list.json: an array, not an object keyed by flag name' "$bin" config print --config list.json
fails config "unable to open missing.json" "$bin" config print --config missing.json
fails config "environment variable COMPUTEDB_THREADS: bad value '0'; expected a whole number from 1 to 256" \
    COMPUTEDB_THREADS=0 "$bin" config print
fails serve "environment variable COMPUTEDB_THREADS: bad value '0'" COMPUTEDB_THREADS=0 "$bin" serve
fails config "flag --log-level: bad value 'loud'; expected error, warn, info or debug" \
    "$bin" config print --log-level loud
fails serve "flag --listen: bad value 'nowhere'; expected HOST:PORT" "$bin" serve --listen nowhere
fails config "unknown flag '--nope'" "$bin" config print --nope
fails config "flag --db needs a value" "$bin" config print --db

# -- precedence: defaults < file < environment < flags ----------------------
printf '{"threads": 3, "log-level": "warn", "db": "file.db"}\n' >prec.json
printf '{"threads": 9}\n' >other.json
# value KEY [NAME=VALUE...] ARGS...: KEY's line in config print's output.
value() { local k=$1; shift; clean "$@" 2>&1 | sed -n "s/^  \"$k\": \\(.*\\),\$/\\1/p"; }
check() { [ "$2" = "$3" ] || bad "$1: got $2, want $3"; }
check "default threads" "$(value threads "$bin" config print)" "$(sed -n 's/^  "threads": \(.*\),$/\1/p' p0.json)"
check "file threads" "$(value threads "$bin" config print --config prec.json)" 3
check "env over file" "$(value threads COMPUTEDB_THREADS=5 "$bin" config print --config prec.json)" 5
check "flag over env" "$(value threads COMPUTEDB_THREADS=5 "$bin" config print --config prec.json --threads 7)" 7
check "default log-level" "$(value log-level "$bin" config print)" '"info"'
check "file log-level" "$(value log-level COMPUTEDB_CONFIG=prec.json "$bin" config print)" '"warn"'
check "env log-level" "$(value log-level COMPUTEDB_CONFIG=prec.json COMPUTEDB_LOG_LEVEL=error "$bin" config print)" '"error"'
check "flag log-level" "$(value log-level COMPUTEDB_CONFIG=prec.json COMPUTEDB_LOG_LEVEL=error "$bin" config print --log-level debug)" '"debug"'
check "default db" "$(value db "$bin" config print)" '"data/database.db"'
check "file db" "$(value db "$bin" config print --config prec.json)" '"file.db"'
check "env db" "$(value db COMPUTEDB_DB=/e/env.db "$bin" config print --config prec.json)" '"/e/env.db"'
check "flag db" "$(value db COMPUTEDB_DB=/e/env.db "$bin" config print --config prec.json --db /f/flag.db)" '"/f/flag.db"'
check "--config over COMPUTEDB_CONFIG" "$(value threads COMPUTEDB_CONFIG=prec.json "$bin" config print --config other.json)" 9

# -- the admin key's default: beside the database ---------------------------
check "key beside a path" "$(value admin-key "$bin" config print --db /srv/v/database.db)" '"/srv/v/admin.key"'
check "key beside a relative path" "$(value admin-key "$bin" config print --db v/database.db)" '"v/admin.key"'
check "key beside a bare file" "$(value admin-key "$bin" config print --db database.db)" '"admin.key"'
check "key beside the default db" "$(value admin-key "$bin" config print)" '"data/admin.key"'
check "key for a URL" "$(value admin-key "$bin" config print --db postgres://u:pw@h/d)" '"data/admin.key"'
check "key beside COMPUTEDB_DB" "$(value admin-key COMPUTEDB_DB=/e/env.db "$bin" config print)" '"/e/admin.key"'
check "file key over the default" "$(value admin-key "$bin" config print --config full.json --db /srv/v/d.db)" "\"$dir/k/admin.key\""
check "env key" "$(value admin-key COMPUTEDB_ADMIN_KEY=/k/e.key "$bin" config print --db /srv/v/d.db)" '"/k/e.key"'
check "flag key" "$(value admin-key COMPUTEDB_ADMIN_KEY=/k/e.key "$bin" config print --admin-key /k/f.key)" '"/k/f.key"'

# serve --db elsewhere, run from another folder: the key lands beside the
# database, and the first-run hint names it.
mkdir -p away db
(cd away && exec env -i PATH="$PATH" "$bin" serve --listen 127.0.0.1:0 --db "$dir/db/database.db") >serve.log 2>&1 &
pid=$!
for _ in $(seq 200); do
    grep -q 'listening on' serve.log && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
grep -q 'listening on' serve.log || { cat serve.log; bad "serve did not start"; }
[ -f db/admin.key ] || bad "no admin key beside the database: $(ls -R away db)"
[ "$(stat -c %a db/admin.key 2>/dev/null)" = 600 ] || bad "the admin key beside the database is not 0600"
[ -z "$(ls -A away)" ] || bad "serve wrote into the current folder: $(ls -R away)"
grep -qF "$dir/db/admin.key" serve.log || bad "the first-run hint does not name $dir/db/admin.key: $(cat serve.log)"
stop
[ "$status" = 0 ] || bad "serve exited $status on SIGTERM"

finish
