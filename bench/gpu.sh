#!/usr/bin/env bash
# The GPU machine's check: builds glide against that machine's CUDA LibTorch (PyTorch's CMake
# package), checks parity on CUDA (float32 within 1e-4; float16 and bfloat16 within their bounds)
# through the CUDA-graph path that sampling uses, times the full-size networks and the whole
# pipeline with `glide bench`, and the reference's pipeline on the same card when its package was
# carried (bench/reference_gpu.py). Results go to $OUT (or gpu-out/): gpu.log, bench-*.json,
# reference-float16.json. See docs/performance.md.
#
# The GPU machine has no package registry: Debian packages glide builds with (fmt, spdlog, ICU,
# CLI11, Catch2, nlohmann-json, libpng) travel as .deb files in .gpu-deps/ (scripts/gpu_deps.sh
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

step() { echo; echo "=== $* ($(date +%T))"; }
glide="$build/src/cli/glide"
bench() {  # bench NAME ARGS...: glide bench on CUDA, JSON to $out/bench-NAME.json
  local name="$1"; shift
  timeout 240 "$glide" bench --device cuda --json "$@" >"$out/bench-$name.json"
  echo "exit $?"; cat "$out/bench-$name.json"
}

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

step "dependencies"
for f in "$deps"/*.deb; do dpkg -x "$f" "$prefix"; done
export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"

step "configure"
export TORCH_CUDA_ARCH_LIST="9.0"
command -v nvcc >/dev/null && export CUDACXX="$(command -v nvcc)"
# The carried zlib1g-dev holds libz.a (not built for shared objects) and a libz.so link to a
# library it does not carry: link the machine's own libz.so.1 instead.
zlib="$(ldconfig -p | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')"
rm -f "$prefix"/usr/lib/x86_64-linux-gnu/libz.a
[[ -n "$zlib" ]] && ln -sf "$zlib" "$prefix/usr/lib/x86_64-linux-gnu/libz.so"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${zlib:+-DZLIB_LIBRARY="$zlib" -DZLIB_LIBRARY_RELEASE="$zlib"} \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr" -DICU_ROOT="$prefix/usr" \
  -DGLIDE_BUILD_EXAMPLES=OFF -DGLIDE_BUILD_PYTHON=OFF >/tmp/glide-gpu-configure.log 2>&1 || { tail -30 /tmp/glide-gpu-configure.log; exit 1; }

step "build"
cmake --build "$build" --parallel "$(nproc)" --target glide_parity glide_cli 2>&1 | tail -5
[[ -x "$glide" && -x "$build/tests/glide-parity" ]] || exit 1
# --build-only: stop here; to run the programs afterwards, set LD_LIBRARY_PATH as above.
[[ "${1:-}" == "--build-only" ]] && exit 0

goldens="$deps/goldens"
for dtype in float16 float32; do
  step "parity on cuda, $dtype"
  timeout 120 "$build/tests/glide-parity" "$goldens" --device cuda --dtype "$dtype"
done

step "glide bench, float16 (CUDA graphs)"
bench float16 --dtype float16 --batch 1,4,16 --repeats 3

step "where a graph's memory goes: allocator figures around each capture, pipeline at batch 1"
GLIDE_CUDA_GRAPHS_DEBUG=1 timeout 120 "$glide" bench --device cuda --dtype float16 --batch 1 \
  --repeats 1 --only pipeline

step "glide bench, float16 pipeline with DPM-Solver++ (25 base + 10 upsampler steps)"
bench float16-dpm --dtype float16 --batch 1,16 --repeats 3 --only pipeline \
  --base-sampler dpm++2m --base-steps 25 --upsampler-sampler dpm++2m --upsampler-steps 10

if [[ -d "$deps/glide-text2im/glide_text2im" ]]; then
  step "reference pipeline, float16, same card"
  timeout 240 python3 "$root/bench/reference_gpu.py" --reference "$deps/glide-text2im" \
    --batch 1,4,16 --json "$out/reference-float16.json"
fi

step "glide bench, float16 base step with fused attention (GLIDE_FUSED_ATTENTION=1)"
GLIDE_FUSED_ATTENTION=1 bench float16-fused-attention --dtype float16 --batch 1,16 --repeats 3 \
  --only base

step "glide bench, float16 steps without CUDA graphs (GLIDE_CUDA_GRAPHS=0)"
GLIDE_CUDA_GRAPHS=0 bench float16-no-graphs --dtype float16 --batch 1,16 --repeats 3 --only base
GLIDE_CUDA_GRAPHS=0 bench float16-no-graphs-up --dtype float16 --batch 1,16 --repeats 3 \
  --only upsampler

step "parity on cuda, bfloat16"
timeout 120 "$build/tests/glide-parity" "$goldens" --device cuda --dtype bfloat16
step "glide bench, bfloat16"
bench bfloat16 --dtype bfloat16 --batch 1,16 --repeats 3
step "done"
