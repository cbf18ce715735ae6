#!/usr/bin/env bash
# Sets up, builds and runs glide's main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLIDE_BUILD_DIR:-$root/build}"
bash "$root/scripts/setup.sh"
GLIDE_BUILD_DIR="$build" bash "$root/scripts/build.sh" -DGLIDE_BUILD_TESTS=OFF
glide="$build/src/cli/glide"
prompt="${1:-a green triangle on a yellow background}"
echo "\$ glide tokenize \"$prompt\""
"$glide" tokenize "$prompt"
