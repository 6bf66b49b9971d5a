#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Everything that needs an H100 or H200, in one go (issue 20, docs/pog.md
# 5.2): build with the CUDA backend, the GPU tests (n = 20704 included),
# compute-sanitizer memcheck and racecheck on the short tests, the
# benchmark against a cuBLAS peak measured in the same run, full rounds at
# n = 16384, 20704 and 32768 with stage timings, and the same rounds as
# jobs through POST /pog/jobs. Results go under $OUT (default ./gpu-out),
# the figures in $OUT/figures.txt; each step has its own time limit and the
# run goes on after a failure. About 6-9 minutes on an H100 or H200 with 16
# cores (the build 1-2, the GPU test 2-3, benchmarks and rounds 2,
# compute-sanitizer last).
# Usage, from the repository root: OUT=/some/dir bash tests/gpu/run_device.sh
# A dry run of the plumbing on a machine without a GPU: BACKEND=cpu
# ROUNDS="256 512" PEAKS="128 256" BENCH_FLAGS="--n-fp16 256 --n-fp32 256".
set -u
root=$(pwd)
out=${OUT:-$root/gpu-out}
build=${GPU_BUILD:-/tmp/computedb-gpu-build}
arch=${GPU_ARCH:-90-real}
backend=${BACKEND:-cuda}
rounds=${ROUNDS:-16384 20704 32768}
peaks=${PEAKS:-8192 16384}
mkdir -p "$out"
all=0
step() { # name, seconds, command...: runs it, logs to $out/name.log
    local name=$1 secs=$2; shift 2
    local t0=$(date +%s)
    timeout "$secs" "$@" >"$out/$name.log" 2>&1
    local rc=$?
    echo "$name: exit $rc in $(( $(date +%s) - t0 )) s" | tee -a "$out/summary.txt"
    [ $rc -eq 0 ] || all=1
    return $rc
}

# -- the device --------------------------------------------------------------
{
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,clocks.max.sm \
        --format=csv 2>&1
    nvcc --version 2>&1 | tail -2
} >"$out/device.txt"
cat "$out/device.txt"

# -- build (SASS for Hopper only: the quickest build for H100/H200) ---------
step configure 300 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCOMPUTEDB_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" || exit 1
step build 600 cmake --build "$build" -j"$(nproc)" --target computedb computedb_cuda \
    test_gpu_cuda test_unit_pog_gpu_rules || exit 1
bin=$build/computedb
export COMPUTEDB_CUDA_MODULE=$build/computedb-cuda.so COMPUTEDB_POG_BACKEND=$backend

# -- tests: the pure rules, then the device (n = 20704 by default) -----------
step unit_rules 60 "$build/test_unit_pog_gpu_rules"
step test_cuda 900 "$build/test_gpu_cuda"

# -- benchmark: the protocol sizes against the best rate of the same GEMM ----
# The peak is the best of three runs at n = 8192 and 16384, measured here
# by the same cuBLAS calls; the target is >= 85% of it.
for n in $peaks; do
    for r in 1 2 3; do
        step "peak_${n}_$r" 120 "$bin" pog benchmark --n-fp16 "$n" --n-fp32 "$n" --json
    done
done
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
step bench_protocol 300 "$bin" pog benchmark --json ${BENCH_FLAGS:-}

# -- full rounds with stage timings, here and through POST /pog/jobs ----------
for n in $rounds; do
    step "round_$n" 300 "$bin" pog selftest --n "$n" --json
done
# tests/e2e/lib.sh starts the server (port 0, an admin key for `call`)
# and stops it when this script exits.
COMPUTEDB_BIN=$bin . "$root/tests/e2e/lib.sh"
start --pog-backend "$backend"
for n in $rounds; do
    t0=$(date +%s.%N)
    id=$("$bin" call POST /pog/jobs --data \
        "{\"kind\": \"compute\", \"n\": $n, \"seed_a\": \"42\", \"seed_b\": \"7\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    for _ in $(seq 1200); do
        "$bin" call GET "/pog/jobs/$id" >"$out/job_$n.json" 2>/dev/null
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["state"] in ("queued","running"))' \
            "$out/job_$n.json" && break
        sleep 0.05
    done
    echo "job n=$n: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' \
        "$out/job_$n.json"), wall $(echo "$(date +%s.%N) - $t0" | bc) s" | tee -a "$out/summary.txt"
done
cp "$dir/log" "$out/serve.log"
stop

# -- compute-sanitizer on the short tests (last: the slowest, the least figures)
san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
for tool in memcheck racecheck; do
    COMPUTEDB_GPU_SHORT=1 step "sanitizer_$tool" 600 "$san" --tool "$tool" \
        --error-exitcode 1 "$build/test_gpu_cuda"
done

# -- one table of figures -------------------------------------------------------
python3 - "$out" $rounds <<'PY' | tee "$out/figures.txt"
import glob, json, os, sys
out = sys.argv[1]
rounds = [int(n) for n in sys.argv[2:]]
def load(name):
    try:
        text = open(os.path.join(out, name + ".log")).read()
        return json.loads(text[text.index("{"):text.rindex("}") + 1])
    except (OSError, ValueError):
        return None
peak = {"tflops_fp16": 0.0, "tflops_fp32": 0.0}
for f in glob.glob(os.path.join(out, "peak_*.log")):
    r = load(os.path.basename(f)[:-4])
    for k in peak:
        if r and r.get(k):
            peak[k] = max(peak[k], r[k])
b = load("bench_protocol")
if b:
    print("benchmark:", b.get("line"), "identified:", (b.get("identified") or {}).get("name"))
    for k in peak:
        pct = 100 * b[k] / peak[k] if peak[k] else float("nan")
        print(f"{k}: {b[k]:.4g} at the protocol size, peak {peak[k]:.4g} ({pct:.0f}%, target >= 85%)")
for n in rounds:
    r = load(f"round_{n}")
    t = r and r.get("compute", {}).get("timings")
    print(f"round n={n}:", json.dumps(t) if t else "no result")
    try:
        j = json.load(open(os.path.join(out, f"job_{n}.json")))
        print(f"job n={n}:", j.get("state"), json.dumps((j.get("result") or {}).get("timings")))
    except (OSError, ValueError):
        print(f"job n={n}: no result")
PY
[ "$fail" -eq 0 ] || all=1
echo "overall: exit $all" | tee -a "$out/summary.txt"
exit $all
