#!/usr/bin/env bash
# Configures and builds glide into build/ (or $GLIDE_BUILD_DIR) with $GLIDE_BUILD_JOBS jobs (default:
# all cores). Extra arguments go to cmake.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLIDE_BUILD_DIR:-$root/build}"
# Paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the compiler cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPython_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
cmake --build "$build" --parallel "${GLIDE_BUILD_JOBS:-$(nproc)}"
