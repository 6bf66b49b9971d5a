#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make install` of the build the tests run from (no rebuild), PREFIX=/usr
# into a DESTDIR: the tree (binary, CUDA module where built, unit, sysusers
# entry, GPU drop-in, pm2 file, config, documents); the installed binary
# answers --version, loads the installed config, finds its CUDA module
# (/version) and serves the unit's own command line (paths moved into the
# DESTDIR) until /healthz; a second install keeps an edited config; with
# PREFIX=/usr/local the unit names /usr/local paths. Where systemd-analyze
# is: the unit (alone and with the GPU drop-in) passes `verify` and stays
# hardened (`security` exposure 2.0 or less); where node is: the pm2 file
# runs the unit's command line, folder and stop timeout.
set -u
. "$(dirname "$0")/lib.sh"
src=${COMPUTEDB_SOURCE_DIR:?COMPUTEDB_SOURCE_DIR is not set}
build=$(dirname "$bin")
root=$dir/root
unit=$root/usr/lib/systemd/system/computedb.service
pm2=$root/usr/share/computedb/pm2/ecosystem.config.js
conf=$root/etc/computedb/config.json
[ -f "$build/cmake_install.cmake" ] || { echo "$name: skipped ($build has no install rules)"; exit 77; }
command -v curl >/dev/null || { echo "$name: skipped (no curl)"; exit 77; }

# do_install DESTDIR PREFIX: make install with the tests' build folder (make
# builds nothing: the binary is there), or cmake --install without make.
do_install() {
    if command -v make >/dev/null; then
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
            make -s -C "$src" install BUILD="$build" DESTDIR="$1" PREFIX="$2"
    else
        DESTDIR=$1 cmake --install "$build" --prefix "$2"
    fi >"$dir/install.log" 2>&1 || { cat "$dir/install.log"; bad "install into $1 failed"; finish; }
}

# unit_value KEY: the value of KEY= in the installed unit (the last one).
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }

# -- the tree -----------------------------------------------------------------
do_install "$root" /usr
for f in usr/bin/computedb usr/lib/systemd/system/computedb.service \
    usr/lib/sysusers.d/computedb.conf usr/share/computedb/systemd/gpu.conf \
    usr/share/computedb/pm2/ecosystem.config.js etc/computedb/config.json \
    usr/share/doc/computedb/README.md usr/share/doc/computedb/docs/protocol.md \
    usr/share/doc/computedb/openapi/openapi.json \
    usr/share/computedb/prometheus/computedb.rules.yml \
    usr/share/computedb/grafana/computedb.json; do
    [ -f "$root/$f" ] || bad "not installed: /$f"
done
[ -x "$root/usr/bin/computedb" ] || bad "the installed binary is not executable"
if [ -f "$build/computedb-cuda.so" ]; then want_cuda=true; else want_cuda=false; fi
[ -f "$root/usr/lib/computedb/computedb-cuda.so" ] && have=true || have=false
[ "$have" = "$want_cuda" ] || bad "CUDA module installed: $have, built: $want_cuda"
stray=$(cd "$root" && find . -type f | grep -Ev '^\./(usr/(bin|lib|share)|etc/computedb)/')
[ -z "$stray" ] || bad "installed outside usr/ and etc/computedb: $stray"
grep -q '@[A-Z]*@' "$unit" "$pm2" && bad "placeholders left: $(grep -h '@[A-Z]*@' "$unit" "$pm2")"

# -- the installed binary -----------------------------------------------------
cbin=$root/usr/bin/computedb
[ "$("$cbin" --version)" = "$("$bin" --version)" ] || bad "--version: $("$cbin" --version)"
"$cbin" config print --config "$conf" >/dev/null 2>"$dir/config.err" ||
    bad "the installed config does not load: $(cat "$dir/config.err")"

# The unit's ExecStart, its paths moved under $root and $dir/state, then a
# free port (a later flag wins) and the key in the state folder.
read -r -a exec_start <<<"$(unit_value ExecStart)"
[ "${exec_start[0]}" = /usr/bin/computedb ] && [ "${exec_start[1]}" = serve ] ||
    bad "ExecStart is not /usr/bin/computedb serve: ${exec_start[*]}"
args=()
for a in "${exec_start[@]:2}"; do
    case $a in
    /var/lib/computedb/*) args+=("$dir/state/${a#/var/lib/computedb/}") ;;
    /*) args+=("$root$a") ;;
    *) args+=("$a") ;;
    esac
done
mkdir -m 0700 "$dir/state"
unset COMPUTEDB_CUDA_MODULE COMPUTEDB_CONFIG COMPUTEDB_DB
bin=$cbin
cd "$dir/state" || exit 1
serve_on "$dir/state/database.db" "$dir/state/admin.key" "$dir/log" "${args[@]}"
cd - >/dev/null || exit 1
[ "$(curl -s -o /dev/null -w '%{http_code}' "$COMPUTEDB_URL/healthz")" = 200 ] || bad "/healthz is not 200"
curl -s "$COMPUTEDB_URL/version" | grep -q "\"cuda\": *$want_cuda" ||
    bad "/version does not say cuda $want_cuda (module beside ../lib/computedb)"
[ -f "$dir/state/database.db" ] || bad "the database is not where the unit's --db puts it"
stop
[ "$status" = 0 ] || bad "the installed binary exited $status on SIGTERM"

# -- reinstall, another prefix ------------------------------------------------
printf '{"listen": "127.0.0.1:9999"}\n' >"$conf"
do_install "$root" /usr
grep -q 9999 "$conf" || bad "a second install overwrote the edited config"
do_install "$dir/local" /usr/local
grep -qx 'ExecStart=/usr/local/bin/computedb serve --config /usr/local/etc/computedb/config.json .*' \
    "$dir/local/usr/local/lib/systemd/system/computedb.service" ||
    bad "PREFIX=/usr/local: $(grep ExecStart= "$dir/local/usr/local/lib/systemd/system/computedb.service")"
[ -f "$dir/local/usr/local/etc/computedb/config.json" ] || bad "PREFIX=/usr/local: no config in /usr/local/etc"

# -- the unit agrees with itself and its user ---------------------------------
[ "$(unit_value WorkingDirectory)" = "/var/lib/$(unit_value StateDirectory)" ] ||
    bad "WorkingDirectory is not the StateDirectory"
printf '%s\n' "${exec_start[@]}" | grep -qx "/var/lib/$(unit_value StateDirectory)/database.db" ||
    bad "--db is not in the StateDirectory: ${exec_start[*]}"
grep -q "^u $(unit_value User) " "$root/usr/lib/sysusers.d/computedb.conf" ||
    bad "sysusers.d does not create User=$(unit_value User)"

# -- systemd-analyze ----------------------------------------------------------
# verify: its ExecStart must exist, so the copy checked names the binary in
# $root; any message fails. The drop-in is checked appended to the unit.
if command -v systemd-analyze >/dev/null; then
    mkdir "$dir/units"
    sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" >"$dir/units/computedb.service"
    cat "$dir/units/computedb.service" "$root/usr/share/computedb/systemd/gpu.conf" \
        >"$dir/units/computedb-gpu.service"
    for u in computedb computedb-gpu; do
        out=$(cd "$dir/units" && systemd-analyze verify "./$u.service" 2>&1) && [ -z "$out" ] ||
            bad "systemd-analyze verify $u.service: $out"
        out=$(cd "$dir/units" && systemd-analyze security --offline=yes --threshold=20 \
            "./$u.service" 2>&1) && continue
        if grep -qi 'unrecognized option' <<<"$out"; then
            echo "$name: systemd-analyze security has no --offline; exposure not checked"
        else
            bad "$u.service exposure over 2.0: $(tail -n 1 <<<"$out")"
        fi
    done
else
    echo "$name: no systemd-analyze; the unit was not verified"
fi
if command -v systemd-sysusers >/dev/null; then
    out=$(systemd-sysusers --dry-run --root="$dir/sysroot" \
        "$root/usr/lib/sysusers.d/computedb.conf" 2>&1) || bad "systemd-sysusers: $out"
    grep -q "Creating user '$(unit_value User)'" <<<"$out" || bad "systemd-sysusers creates no user: $out"
fi

# -- pm2 ------------------------------------------------------------------------
# The pm2 file must run what the unit runs: script + args = ExecStart,
# cwd = WorkingDirectory, kill_timeout = TimeoutStopSec, no interpreter.
if command -v node >/dev/null; then
    got=$(node -e '
        const a = require(process.argv[1]).apps;
        if (a.length !== 1) throw new Error(a.length + " apps");
        const p = a[0];
        console.log([p.name, p.interpreter, p.cwd, p.kill_timeout, p.script, ...p.args].join("\n"));
    ' "$pm2" 2>&1) || bad "node cannot load the pm2 file: $got"
    stop_ms=$(($(unit_value TimeoutStopSec) * 1000))
    want=$(printf '%s\n' computedb none "$(unit_value WorkingDirectory)" "$stop_ms" "${exec_start[@]}")
    [ "$got" = "$want" ] || bad "the pm2 file differs from the unit: got ${got//$'\n'/ }, want ${want//$'\n'/ }"
else
    echo "$name: no node; the pm2 file was not parsed"
fi

finish
