#!/usr/bin/env bash
# Sets up, builds and runs glide's main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLIDE_BUILD_DIR:-$root/build}"
bash "$root/scripts/setup.sh"
GLIDE_BUILD_DIR="$build" bash "$root/scripts/build.sh" -DGLIDE_BUILD_TESTS=OFF
glide="$build/src/cli/glide"
prompt="${1:-a green triangle on a yellow background}"
out="${GLIDE_OUTPUT:-$root/out/glide-example.png}"
mkdir -p "$(dirname "$out")"
# The shipped shapes models (docs/shapes-model.md); --overwrite so the demo can be rerun.
echo "\$ glide generate --prompt \"$prompt\" -o $out"
"$glide" generate --prompt "$prompt" --seed 0 -o "$out" --overwrite
echo "wrote $out"
