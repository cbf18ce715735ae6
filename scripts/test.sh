#!/usr/bin/env bash
# Sets up, builds and runs every test: the format check, the C++ suites (CTest), the parity runner.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLIDE_BUILD_DIR:-$root/build}"
bash "$root/scripts/setup.sh"
bash "$root/scripts/check_format.sh"
GLIDE_BUILD_DIR="$build" bash "$root/scripts/build.sh" -DGLIDE_BUILD_TESTS=ON
cd "$build"
ctest --output-on-failure --timeout 1800 -j1 "$@"
