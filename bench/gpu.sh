#!/usr/bin/env bash
# The GPU machine's check: builds glide against that machine's CUDA LibTorch (PyTorch's CMake
# package), checks parity on CUDA (float32 within 1e-4; float16 and bfloat16 within their bounds)
# and times the full-size networks with `glide bench` (bench/bench.sh). Results go to $OUT (or
# gpu-out/): gpu.log, and bench-<dtype>.json per dtype. See docs/performance.md.
#
# The GPU machine has no package registry: Debian packages glide builds with (fmt, spdlog, ICU,
# CLI11, Catch2, nlohmann-json, libpng) travel as .deb files in .gpu-deps/ (scripts/gpu_deps.sh
# fills it) and are unpacked into a private prefix; the GPT-2 vocabulary travels in third_party/,
# the golden files used in .gpu-deps/goldens.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/gpu-out}"
deps="$root/.gpu-deps"
prefix=/tmp/glide-gpu-deps
build=/tmp/glide-gpu-build
mkdir -p "$out" "$prefix"
exec > >(tee "$out/gpu.log") 2>&1

step() { echo; echo "=== $* ($(date +%T))"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
ldd --version | head -1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

step "dependencies"
for f in "$deps"/*.deb; do dpkg -x "$f" "$prefix"; done
export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"

step "configure"
export TORCH_CUDA_ARCH_LIST="9.0"
command -v nvcc >/dev/null && export CUDACXX="$(command -v nvcc)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr" -DICU_ROOT="$prefix/usr" \
  -DGLIDE_BUILD_EXAMPLES=OFF || exit 1

step "build"
cmake --build "$build" --parallel "$(nproc)" --target glide_parity glide_cli || exit 1

goldens="$deps/goldens"
for dtype in float32 float16 bfloat16; do
  step "parity on cuda, $dtype"
  "$build/tests/glide-parity" "$goldens" --device cuda --dtype "$dtype"
done

step "glide bench: full-size random weights, per step and whole pipeline"
for dtype in float16 bfloat16; do
  GLIDE="$build/src/cli/glide" "$root/bench/bench.sh" --device cuda --dtype "$dtype" \
    --batch 1,4,16 --repeats 5 --json | tee "$out/bench-$dtype.json"
done
step "done"
