#!/usr/bin/env bash
# Runs `glide bench` (docs/performance.md): per-step latency, pipeline images/s, peak memory and
# TFLOP/s of the full-size GLIDE networks. Arguments go to it, e.g.
#   bench/bench.sh --device cuda --dtype float16 --json
# GLIDE names the glide program (default: the build tree's, from scripts/build.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
glide="${GLIDE:-${GLIDE_BUILD_DIR:-$root/build}/src/cli/glide}"
if [[ ! -x "$glide" ]]; then
  echo "bench.sh: no glide program at $glide; build it (scripts/build.sh) or set GLIDE" >&2
  exit 1
fi
exec "$glide" bench "$@"
