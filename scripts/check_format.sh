#!/usr/bin/env bash
# Fails when a tracked C/C++ file differs from what clang-format (.clang-format) would write.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' '*.cu' '*.cuh' | grep -v '^third_party/')
if ((${#files[@]} == 0)); then exit 0; fi
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/glide-format.log; then
  echo "format: ${#files[@]} files formatted as .clang-format asks"
else
  grep -E '^[^ ].*(warning|error):' /tmp/glide-format.log | cut -d: -f1 | sort -u | sed 's/^/format: needs clang-format: /' >&2
  echo "format: run: clang-format -i \$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' '*.cu' '*.cuh')" >&2
  exit 1
fi
