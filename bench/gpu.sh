#!/usr/bin/env bash
# The GPU machine's check: builds glide against that machine's CUDA LibTorch (PyTorch's CMake
# package), checks parity on CUDA (float32 within 1e-4; float16 and bfloat16 within their bounds)
# through the CUDA-graph path that sampling uses, times the full-size networks and the whole
# pipeline with `glide bench`, and the reference's pipeline on the same card when its package was
# carried (bench/reference_gpu.py). It also checks glide's own CUDA kernels (glide-cuda-check)
# and times the defaults against the other attention paths (GLIDE_ATTENTION=fused, token-major)
# and against their switches turned off (GLIDE_COPY_KERNELS=0, GLIDE_FUSED_NORM=0,
# GLIDE_FUSED_RESIDUAL=0, GLIDE_CHANNELS_LAST=0), and lists the kernels a step spends its time
# in (`glide bench --profile`). Results go to $OUT (or gpu-out/): gpu.log, bench.jsonl (one line
# per `glide bench` run: its name, exit status and report), cuda-check.txt,
# reference-float16.json, build.log when the build fails, and a summary table last
# (bench/gpu_summary.py); few files, as the device tool returns at most 8. See
# docs/performance.md.
#
# The GPU machine has no package registry: Debian packages glide builds with (fmt, spdlog, ICU,
# CLI11, Catch2, nlohmann-json, libpng) travel as .gpu-deps/prefix.tar.xz (scripts/gpu_deps.sh
# fills it) and are unpacked into a private prefix; the GPT-2 vocabulary travels in third_party/,
# the golden files in .gpu-deps/goldens, the reference's package in .gpu-deps/glide-text2im.
# Steps run in order of importance, each under a time limit, so a short lease still returns the
# first ones.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}"
deps="$root/.gpu-deps"
prefix=/tmp/glide-gpu-deps
build=/tmp/glide-gpu-build
mkdir -p "$out" "$prefix"
exec > >(tee "$out/gpu.log") 2>&1

step() { echo; echo "=== $* ($(date +%T), ${SECONDS} s in)"; }
# Steps past the first checks run only while the budget (seconds, GLIDE_GPU_BUDGET) leaves room
# for them, so that the summary still prints inside the lease.
budget="${GLIDE_GPU_BUDGET:-480}"
room_for() {  # room_for SECONDS
  (( SECONDS + $1 <= budget )) && return 0
  echo "skipped: needs about $1 s, $(( budget - SECONDS )) s of the budget left"; return 1
}
glide="$build/src/cli/glide"
bench() {  # bench NAME ARGS...: glide bench on CUDA, its report appended to $out/bench.jsonl
  local name="$1"; shift
  timeout 240 "$glide" bench --device cuda --json "$@" >/tmp/glide-bench.json
  local status=$?
  echo "bench $name: exit $status"
  python3 - "$name" "$status" /tmp/glide-bench.json >>"$out/bench.jsonl" <<'PY'
import json, sys
name, status, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    report = json.load(open(path))
except (OSError, ValueError):
    report = None
print(json.dumps({"name": name, "exit": status, "report": report}))
PY
}

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

step "dependencies"
# (Python's tarfile where tar lacks xz.)
tar -xJf "$deps/prefix.tar.xz" -C "$prefix" 2>/dev/null ||
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "$deps/prefix.tar.xz" "$prefix" || exit 1
export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"

step "configure"
export TORCH_CUDA_ARCH_LIST="9.0"
command -v nvcc >/dev/null && export CUDACXX="$(command -v nvcc)"
# The carried zlib1g-dev has a libz.so link to a library it does not carry (gpu_deps.sh drops its
# libz.a, not built for shared objects): link the machine's own libz.so.1 instead.
zlib="$(ldconfig -p | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')"
[[ -n "$zlib" ]] && ln -sf "$zlib" "$prefix/usr/lib/x86_64-linux-gnu/libz.so"
configure() {  # configure KERNELS(ON|OFF)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${zlib:+-DZLIB_LIBRARY="$zlib" -DZLIB_LIBRARY_RELEASE="$zlib"} \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr" -DICU_ROOT="$prefix/usr" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DGLIDE_CUDA_KERNELS="$1" \
    -DGLIDE_BUILD_EXAMPLES=OFF -DGLIDE_BUILD_PYTHON=OFF >/tmp/glide-gpu-configure.log 2>&1
}
build_all() {
  local targets=(glide_parity glide_cli)
  [[ "$1" == ON ]] && targets+=(glide_cuda_check)
  local log=/tmp/glide-gpu-build.log
  cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}" >"$log" 2>&1
  local status=$?
  tail -5 "$log"
  if (( status != 0 )); then
    # The first errors with their context, which a 12,000-character tail of the whole log loses
    # behind the later ones; the full log goes back in $out.
    echo "--- first compiler errors:"
    grep -n -m 8 -B 2 -A 6 -E "error:|error [A-Z]+[0-9]+|FAILED:" "$log" | cut -c1-300 | head -80
    cp "$log" "$out/build.log"
  fi
  (( status == 0 )) && [[ -x "$glide" && -x "$build/tests/glide-parity" ]]
}
# glide's own kernels need nvcc through CMake's CUDA language: should that fail here, build
# without them rather than lose the lease.
kernels=ON
if ! configure ON; then
  tail -30 /tmp/glide-gpu-configure.log
  echo "configure with GLIDE_CUDA_KERNELS=ON failed; again without the kernels"
  kernels=OFF
  rm -rf "$build"
  configure OFF || { tail -30 /tmp/glide-gpu-configure.log; exit 1; }
fi

step "build (CUDA kernels $kernels)"
if ! build_all "$kernels"; then
  [[ "$kernels" == ON ]] || exit 1
  echo "build with the kernels failed; again without them"
  kernels=OFF
  rm -rf "$build"
  configure OFF && build_all OFF || exit 1
fi
# --build-only: stop here; to run the programs afterwards, set LD_LIBRARY_PATH as above.
[[ "${1:-}" == "--build-only" ]] && exit 0

goldens="$deps/goldens"
if [[ "$kernels" == ON ]]; then
  step "glide's CUDA kernels against float64 (glide-cuda-check)"
  timeout 120 "$build/tests/glide-cuda-check" | tee "$out/cuda-check.txt"
  echo "exit ${PIPESTATUS[0]}"
fi

for dtype in float16 float32; do
  step "parity on cuda, $dtype"
  timeout 120 "$build/tests/glide-parity" "$goldens" --device cuda --dtype "$dtype"
done

step "glide bench, float16 (CUDA graphs)"
room_for 120 && bench float16 --dtype float16 --batch 1,4,16 --repeats 3

if [[ -d "$deps/glide-text2im/glide_text2im" ]]; then
  step "reference pipeline, float16, same card"
  room_for 120 && timeout 240 python3 "$root/bench/reference_gpu.py" \
    --reference "$deps/glide-text2im" --batch 1,4,16 --json "$out/reference-float16.json"
fi

# The timed runs above reuse the graphs the warm-up captured, as repeated calls on one sampler
# do; --rebind pays the warm-up and capture in every run, as a one-shot `glide generate` does.
step "glide bench, float16 pipeline at batch 1, networks bound afresh in every run (--rebind)"
room_for 40 && bench float16-rebind --dtype float16 --batch 1 --repeats 3 --only pipeline --rebind

# Every wait of the host for the device leaves the GPU idle while the host issues the next
# work; sampling should make none per step (src/core/host_to_device.hpp). Counted by call site.
step "synchronizations in one float16 pipeline call at batch 1 (--count-syncs)"
room_for 30 && bench float16-syncs --dtype float16 --batch 1 --repeats 1 --only pipeline \
  --count-syncs

step "glide bench, float16 pipeline with DPM-Solver++ (25 base + 10 upsampler steps)"
room_for 60 && bench float16-dpm --dtype float16 --batch 1,16 --repeats 3 --only pipeline \
  --base-sampler dpm++2m_sde --base-steps 25 --upsampler-sampler dpm++2m --upsampler-steps 10

# The defaults against the switches turned off, one network evaluation of each model at batch 1
# and 16 (CUDA graphs on), on the same card, each after a parity check with the switches so set.
# The new attention paths first, then the kernel profile, then the switches measured before.
ab_switches() {  # ab_switches NAME:VARS...
  local switch name vars dtype
  for switch in "$@"; do
    name="${switch%%:*}" vars="${switch#*:}"
    room_for 45 || return
    for dtype in float32 float16; do
      step "parity on cuda, $dtype, $vars"
      env $vars timeout 120 "$build/tests/glide-parity" "$goldens" --device cuda --dtype "$dtype"
    done
    step "per-step A/B, float16: $vars"
    (export $vars; bench "steps-$name" --dtype float16 --batch 1,16 --repeats 5 --only base,upsampler)
  done
}
step "per-step A/B, float16: defaults"
room_for 30 && bench steps-defaults --dtype float16 --batch 1,16 --repeats 5 --only base,upsampler
ab_switches "fused-attention:GLIDE_ATTENTION=fused" "token-major:GLIDE_ATTENTION=token-major"

# Where a step's GPU time goes: 3 evaluations under LibTorch's profiler (Kineto), the kernels
# that took longest (gpu_summary.py prints them). A run of its own, so that a profiler failure
# costs no timing.
step "kernel profile, float16: defaults"
room_for 40 && bench profile-defaults --dtype float16 --batch 1,16 --repeats 1 \
  --only base,upsampler --profile=20

if [[ "$kernels" == ON ]]; then
  ab_switches "no-copy-kernels:GLIDE_COPY_KERNELS=0" \
    "no-fused-residual:GLIDE_FUSED_RESIDUAL=0" "nchw:GLIDE_CHANNELS_LAST=0" \
    "unfused:GLIDE_FUSED_NORM=0 GLIDE_FUSED_RESIDUAL=0 GLIDE_CHANNELS_LAST=0"
else
  ab_switches "channels-last:GLIDE_CHANNELS_LAST=1"
fi

# Graphs sharing one memory pool (the default) against a pool per graph: the batch-1 peak.
step "glide bench, float16 pipeline at batch 1, a memory pool per graph (GLIDE_SHARED_GRAPH_POOL=0)"
room_for 30 && (export GLIDE_SHARED_GRAPH_POOL=0; bench float16-private-pools --dtype float16 \
  --batch 1 --repeats 1 --only pipeline)

step "where a graph's memory goes: allocator figures around each capture, pipeline at batch 1"
room_for 40 && GLIDE_CUDA_GRAPHS_DEBUG=1 timeout 120 "$glide" bench --device cuda \
  --dtype float16 --batch 1 --repeats 1 --only pipeline

step "parity on cuda, bfloat16"
room_for 30 && timeout 120 "$build/tests/glide-parity" "$goldens" --device cuda --dtype bfloat16
step "glide bench, bfloat16"
room_for 60 && bench bfloat16 --dtype bfloat16 --batch 1,16 --repeats 3

step "summary"
python3 "$root/bench/gpu_summary.py" "$out"
step "done"
