#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The CUDA backend is a loadable module (docs/architecture.md): the binary
# links no CUDA library, and a missing, broken or foreign module makes
# `--backend auto` fall back to the CPU with one log line that says why,
# and `--backend cuda` fail with the same reason. (The real module, where
# nvcc builds it, is checked by tests/lint/docker_build.sh.)
. "$(dirname "$0")/lib.sh"

ldd "$bin" | grep -Eq 'libcublas|libcudart' && bad "computedb links CUDA: $(ldd "$bin" | grep -E 'cublas|cudart')"

# expect_fallback MODULE WORDS: auto runs on the CPU saying WORDS once;
# cuda refuses, saying WORDS.
expect_fallback() {
    local mod=$1 words=$2 out lines
    out=$(COMPUTEDB_CUDA_MODULE=$mod "$bin" pog info --backend auto 2>&1) ||
        bad "pog info --backend auto failed with module $mod: $out"
    grep -q '^backend: cpu' <<<"$out" || bad "auto did not run on the CPU with module $mod: $out"
    lines=$(grep -c 'pog: using the CPU backend' <<<"$out")
    [ "$lines" = 1 ] || bad "auto said $lines times why it uses the CPU (want 1): $out"
    grep 'pog: using the CPU backend' <<<"$out" | grep -q -- "$words" ||
        bad "the fallback line does not say '$words': $(grep 'CPU backend' <<<"$out")"
    out=$(COMPUTEDB_CUDA_MODULE=$mod "$bin" pog info --backend cuda 2>&1) &&
        bad "pog info --backend cuda succeeded with module $mod: $out"
    grep -q -- "$words" <<<"$out" || bad "--backend cuda does not say '$words': $out"
}

expect_fallback "$dir/absent/computedb-cuda.so" "not found"

printf 'not an ELF file\n' >"$dir/garbage.so"
expect_fallback "$dir/garbage.so" "does not load"

# Found beside the binary (not named), a module is loaded only where the
# NVIDIA driver is: on a host without one, not even a broken one is opened.
mkdir -p "$dir/beside"
cp "$bin" "$dir/beside/computedb"
cp "$dir/garbage.so" "$dir/beside/computedb-cuda.so"
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
    want="does not load"
else
    want="no NVIDIA driver"
fi
out=$(env -u COMPUTEDB_CUDA_MODULE "$dir/beside/computedb" pog info --backend auto 2>&1) ||
    bad "pog info beside a module failed: $out"
grep 'pog: using the CPU backend' <<<"$out" | grep -q -- "$want" ||
    bad "beside the binary: the fallback line does not say '$want': $out"

# A shared object from "another build": the entry points, a wrong ABI.
if command -v cc >/dev/null 2>&1; then
    cat >"$dir/foreign.c" <<'C'
unsigned computedb_cuda_abi(void);
const void *computedb_cuda_backend(void);
unsigned computedb_cuda_abi(void) { return 999u; }
const void *computedb_cuda_backend(void) { return 0; }
C
    if cc -shared -fPIC -o "$dir/foreign.so" "$dir/foreign.c" 2>"$dir/cc.log"; then
        expect_fallback "$dir/foreign.so" "from another build"
    else
        bad "cannot build the foreign module: $(cat "$dir/cc.log")"
    fi
fi

finish
