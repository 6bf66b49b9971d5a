#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Docker images build from exactly what they copy. For docker/Dockerfile
# and docker/Dockerfile.cuda: the build stage's COPY lines (not --from) are
# replayed into a fresh temporary folder, as `docker build` would lay out
# its WORKDIR, and the stage's own cmake configure line (its -D options,
# with the local generator and a local build folder) builds the computedb
# target there, which must then answer --version. So a source folder the
# build needs and the image does not copy fails here, without an engine.
#   - CUDA: COMPUTEDB_CUDA stays as the Dockerfile says only when nvcc is
#     at /usr/local/cuda/bin/nvcc or on PATH (then for one architecture,
#     90-real, to keep it quick); otherwise it is built with
#     COMPUTEDB_CUDA=OFF. Where CUDA is built, the binary must link no
#     cuBLAS, and its module must load when (and only when) asked for.
#   - A Release build with COMPUTEDB_HARDEN on (the default) must be
#     hardened: PIE, BIND_NOW, full RELRO, fortified calls, stack protector
#     (readelf).
#   - Only when `docker info` answers (a container engine runs) is each
#     image also built for real, and run with -e COMPUTEDB_DB to see that
#     it serves that database; COMPUTEDB_DOCKER_BUILD=0 skips that.
# Exit 0 pass, 1 fail, 77 skip (no cmake).
set -u
src=${COMPUTEDB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 1
command -v cmake >/dev/null 2>&1 || { echo "docker_build: cmake missing; skipped"; exit 77; }

jobs=2
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
nvcc=""
if [ -x /usr/local/cuda/bin/nvcc ]; then
    nvcc=/usr/local/cuda/bin/nvcc
elif command -v nvcc >/dev/null 2>&1; then
    nvcc=$(command -v nvcc)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/docker_build-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
fail=0
bad() { echo "docker_build: $*"; fail=1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_all=$(now)

# stage_lines FILE: the instructions of the build stage (the one named
# "build", else the first), one per line: continuations joined, comment
# lines dropped (also inside continuations, as Docker does).
stage_lines() {
    awk '
        /^[[:space:]]*#/ { next }
        {
            buf = cont ? buf " " $0 : $0
            if (sub(/\\[[:space:]]*$/, "", buf)) { cont = 1; next }
            cont = 0; print buf; buf = ""
        }' "$1" |
    awk -v named="$(grep -Eiq '^[[:space:]]*FROM[[:space:]].*[[:space:]]AS[[:space:]]+build[[:space:]]*$' "$1" && echo 1)" '
        toupper($1) == "FROM" {
            n++
            b = named ? (tolower($NF) == "build" && tolower($(NF - 1)) == "as") : (n == 1)
            next
        }
        b && NF'
}

# The root-level .dockerignore patterns: a COPY source they match would
# not reach the image.
ignored() {
    local s=$1 p
    [ -f .dockerignore ] || return 1
    while IFS= read -r p; do
        p=${p%%#*}; p=${p#/}; p=${p%/}
        p=$(printf '%s' "$p" | tr -d '[:space:]')
        case $p in ''|'!'*) continue ;; esac
        # shellcheck disable=SC2053
        [[ $s == $p || $s == $p/* ]] && return 0
    done <.dockerignore
    return 1
}

# replay_copies FILE ROOT: the build stage's COPY/ADD lines (not --from)
# into ROOT, which stands for the last WORKDIR before each.
replay_copies() {
    local f=$1 root=$2 kw rest workdir=/ t args n dest target s m matched
    local -a toks
    while read -r kw rest; do
        case ${kw^^} in
        WORKDIR) workdir=$rest; continue ;;
        COPY|ADD) ;;
        *) continue ;;
        esac
        case $rest in '['*) bad "$f: JSON-form COPY is not understood: $kw $rest"; continue ;; esac
        read -ra toks <<<"$rest"
        args=()
        for t in "${toks[@]}"; do
            case $t in
            --from=*) continue 2 ;;
            --*) ;;
            *) args+=("$t") ;;
            esac
        done
        n=${#args[@]}
        [ "$n" -ge 2 ] || { bad "$f: COPY needs a source and a destination: $rest"; continue; }
        dest=${args[n-1]}
        case $dest in
        /*) [ "$workdir" = "${dest%/}" ] || [ "${dest#"$workdir"/}" != "$dest" ] ||
                { bad "$f: COPY to $dest, outside the WORKDIR $workdir, is not understood"; continue; }
            dest=${dest#"$workdir"}; dest=${dest#/} ;;
        esac
        case $dest in .|./) dest="" ;; esac
        target=$root/$dest
        if [ "$n" -gt 2 ] && [ -n "$dest" ] && [ "${dest%/}" = "$dest" ]; then
            bad "$f: COPY of several sources needs a destination folder ending in /: $rest"
            continue
        fi
        for s in "${args[@]:0:n-1}"; do
            case $s in /*|..|../*|*/../*) bad "$f: COPY source $s is outside the context"; continue ;; esac
            s=${s#./}
            [ "${s%/}" = "$s" ] || s=${s%/}
            if ignored "$s"; then bad "$f: COPY $s, which .dockerignore leaves out of the context"; continue; fi
            matched=0
            for m in $s; do   # Docker expands wildcards in sources
                [ -e "$m" ] || continue
                matched=1
                if [ -d "$m" ]; then
                    mkdir -p "$target" && cp -a "$m/." "$target/"
                elif [ -z "$dest" ] || [ "${dest%/}" != "$dest" ] || [ -d "$target" ]; then
                    mkdir -p "$target" && cp -a "$m" "$target/"
                else
                    mkdir -p "$(dirname "$target")" && cp -a "$m" "$target"
                fi || bad "$f: copying $m failed"
            done
            [ $matched -eq 1 ] || bad "$f copies $s, which does not exist (docker build would fail)"
        done
    done < <(stage_lines "$f")
}

# hardened BIN: the checks the release hardening (COMPUTEDB_HARDEN) promises.
hardened() {
    local b=$1 f=$2 dyn syms
    if ! command -v readelf >/dev/null 2>&1; then
        echo "docker_build: $f: readelf missing; hardening not checked"
        return
    fi
    readelf -hW "$b" | grep -Eq 'Type:[[:space:]]+DYN' || bad "$f: computedb is not PIE (ELF type is not DYN)"
    dyn=$(readelf -dW "$b")
    grep -Eq '\(FLAGS_1\).*[[:space:]]PIE' <<<"$dyn" || bad "$f: computedb has no FLAGS_1 PIE"
    grep -q 'BIND_NOW' <<<"$dyn" || bad "$f: computedb is not linked with -z now (no BIND_NOW)"
    readelf -lW "$b" | grep -q 'GNU_RELRO' || bad "$f: computedb has no GNU_RELRO segment"
    syms=$(readelf --dyn-syms -W "$b")
    grep -Eq '[[:space:]]__[A-Za-z0-9_]+_chk(@|[[:space:]]|$)' <<<"$syms" ||
        bad "$f: computedb calls no fortified __*_chk function (_FORTIFY_SOURCE)"
    grep -Eq '[[:space:]]__stack_chk_fail(@|[[:space:]]|$)' <<<"$syms" ||
        bad "$f: computedb has no __stack_chk_fail (stack protector)"
}

# cuda_module BUILD_DIR FILE: the CUDA backend is the loadable module: the
# binary maps no cuBLAS and a command that needs no GPU never loads it.
# Found beside the binary, the module is loaded only where the NVIDIA
# driver is; named in COMPUTEDB_CUDA_MODULE, it is loaded anyway, and
# `computedb pog info` then runs on the GPU or falls back to the CPU with
# one line saying why.
cuda_module() {
    local b=$1 f=$2 out
    [ -f "$b/computedb-cuda.so" ] || { bad "$f: no computedb-cuda.so beside computedb"; return; }
    ldd "$b/computedb" | grep -q 'libcublas' && bad "$f: computedb links cuBLAS: $(ldd "$b/computedb" | grep cublas)"
    ldd "$b/computedb-cuda.so" | grep -q 'libcublas' || bad "$f: computedb-cuda.so does not link cuBLAS"
    out=$(LD_DEBUG=libs "$b/computedb" version 2>&1)
    grep -q 'libcublas' <<<"$out" && bad "$f: computedb version loads cuBLAS"
    out=$(LD_DEBUG=libs "$b/computedb" pog info 2>&1)
    if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
        grep -q 'libcublas' <<<"$out" || bad "$f: with a driver, pog info did not load the CUDA module"
    else
        grep -q 'libcublas' <<<"$out" && bad "$f: without a driver, pog info loaded the CUDA module"
        grep -q 'pog: using the CPU backend: no NVIDIA driver' <<<"$out" ||
            bad "$f: without a driver, pog info did not say so: $(grep 'pog:' <<<"$out")"
    fi
    out=$(COMPUTEDB_CUDA_MODULE=$b/computedb-cuda.so LD_DEBUG=libs "$b/computedb" pog info 2>&1)
    grep -q 'libcublas' <<<"$out" || bad "$f: COMPUTEDB_CUDA_MODULE named the module and it was not loaded"
    grep -Eq 'pog: (cuda backend|using the CPU backend: CUDA)' <<<"$out" ||
        bad "$f: the loaded module neither ran on CUDA nor said why not: $(grep 'pog:' <<<"$out")"
    echo "docker_build: $f: CUDA module ok: $(grep -Eo 'pog: (cuda backend|using the CPU backend: CUDA)[^:]*' <<<"$out" | head -n 1)"
}

for f in docker/Dockerfile docker/Dockerfile.cuda; do
    [ -f "$f" ] || { bad "$f missing"; continue; }
    name=$(basename "$f")
    work=$tmp/$name
    mkdir -p "$work/src"
    t0=$(now)
    before=$fail
    replay_copies "$f" "$work/src"
    t_copy=$(since "$t0")
    [ "$fail" -eq "$before" ] || { echo "docker_build: $f: COPY set broken; not built"; continue; }

    # The stage's configure command: the `cmake ... -S` part of its RUN.
    line=$(stage_lines "$f" | awk 'toupper($1) == "RUN" && /cmake[[:space:]].*-S/' | head -n 1)
    [ -n "$line" ] || { bad "$f: no RUN with a cmake -S configure line in the build stage"; continue; }
    conf=$(sed 's/&&/\n/g; s/;/\n/g' <<<"${line#RUN }" | grep -E '(^|[[:space:]])cmake[[:space:]].*-S' | head -n 1)
    read -ra toks <<<"$conf"
    defs=()
    build_type=""
    harden=ON
    cuda_note=""
    cuda_built=0
    i=0
    while [ $i -lt ${#toks[@]} ]; do
        t=${toks[i]}
        if [ "$t" = "-D" ]; then i=$((i + 1)); t=-D${toks[i]:-}; fi
        i=$((i + 1))
        case $t in -D*) ;; *) continue ;; esac
        def=${t#-D}
        case ${def%%=*} in
        CMAKE_BUILD_TYPE|CMAKE_BUILD_TYPE:*) build_type=${def#*=} ;;
        COMPUTEDB_HARDEN|COMPUTEDB_HARDEN:*) harden=${def#*=} ;;
        COMPUTEDB_CUDA|COMPUTEDB_CUDA:*)
            if [ "${def#*=}" != OFF ] && [ -z "$nvcc" ]; then
                def=COMPUTEDB_CUDA=OFF
                cuda_note=" (no nvcc: COMPUTEDB_CUDA=OFF instead of ${t#-DCOMPUTEDB_CUDA=})"
            elif [ "${def#*=}" != OFF ]; then
                defs+=("-DCMAKE_CUDA_COMPILER=$nvcc" -DCMAKE_CUDA_ARCHITECTURES=90-real)
                cuda_note=" (nvcc $nvcc, CUDA for 90-real only)"
                cuda_built=1
            fi ;;
        esac
        defs+=("-D$def")
    done
    echo "docker_build: $f: cmake ${defs[*]}$cuda_note"

    t0=$(now)
    if ! cmake -S "$work/src" -B "$work/build" "${generator[@]}" "${defs[@]}" >"$work/configure.log" 2>&1; then
        tail -n 30 "$work/configure.log"
        bad "$f: cmake configure failed on the image's COPY set"
        continue
    fi
    t_conf=$(since "$t0")
    t0=$(now)
    if ! cmake --build "$work/build" -j "$jobs" --target computedb >"$work/build.log" 2>&1; then
        tail -n 40 "$work/build.log"
        bad "$f: building computedb failed on the image's COPY set"
        continue
    fi
    t_build=$(since "$t0")
    if ! version=$("$work/build/computedb" --version 2>&1) || [ -z "$version" ]; then
        bad "$f: computedb --version failed: $version"
        continue
    fi
    echo "docker_build: $f: computedb --version: $(head -n 1 <<<"$version")"
    if [ "$build_type" = Release ] && [[ ! ${harden^^} =~ ^(OFF|0|FALSE|NO|N)$ ]]; then
        hardened "$work/build/computedb" "$f"
    fi
    [ "$cuda_built" = 1 ] && cuda_module "$work/build" "$f"
    echo "docker_build: $f: copy ${t_copy}s, configure ${t_conf}s, build ${t_build}s"
    rm -rf "$work"
done

# run_image TAG FILE: the built image, run with -e COMPUTEDB_DB naming
# another database, serves that one and makes the admin key beside it (the
# entrypoint passes no flag that would beat the environment).
run_image() {
    local tag=$1 f=$2 id log=""
    id=$(docker run -d -e COMPUTEDB_DB=/data/env/database.db "$tag" 2>"$tmp/run.err") ||
        { bad "$f: docker run failed: $(cat "$tmp/run.err")"; return; }
    for _ in $(seq 150); do
        log=$(docker logs "$id" 2>&1)
        grep -q 'listening on' <<<"$log" && break
        sleep 0.2
    done
    docker rm -f -v "$id" >/dev/null 2>&1
    grep -qF 'db /data/env/database.db' <<<"$log" ||
        bad "$f: docker run -e COMPUTEDB_DB was not served: $(tail -n 5 <<<"$log")"
    grep -qF '/data/env/admin.key' <<<"$log" ||
        bad "$f: the admin key is not beside COMPUTEDB_DB: $(tail -n 5 <<<"$log")"
}

# The real thing, where a container engine runs.
if [ "${COMPUTEDB_DOCKER_BUILD:-1}" = 0 ]; then
    echo "docker_build: COMPUTEDB_DOCKER_BUILD=0; the real docker build was skipped"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    for f in docker/Dockerfile docker/Dockerfile.cuda; do
        [ -f "$f" ] || continue
        tag=computedb-docker-build-test:$(basename "$f" | tr 'A-Z.' 'a-z-')
        t0=$(now)
        if docker build -f "$f" -t "$tag" . >"$tmp/docker.log" 2>&1; then
            echo "docker_build: $f: docker build ok in $(since "$t0")s"
            run_image "$tag" "$f"
            docker image rm "$tag" >/dev/null 2>&1 || true
        else
            tail -n 40 "$tmp/docker.log"
            bad "$f: docker build failed"
        fi
    done
else
    echo "docker_build: no container engine answers \`docker info\`; the real docker build was skipped"
fi

echo "docker_build: total $(since "$t_all")s"
[ $fail -eq 0 ] && echo "docker_build: ok"
exit $fail
