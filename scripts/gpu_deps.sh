#!/usr/bin/env bash
# Fills .gpu-deps/ (ignored by git) with what bench/gpu.sh needs on the GPU machine, which reaches
# no package registry: the files of Debian's packages of glide's build dependencies, copies of the
# golden files its parity check reads, and, when GLIDE_REFERENCE names a checkout of
# openai/glide-text2im, that checkout's glide_text2im package for timing the reference beside
# glide (never committed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.gpu-deps"
mkdir -p "$deps/goldens"
grep -qx '/.gpu-deps/' "$root/.git/info/exclude" 2>/dev/null || echo '/.gpu-deps/' >>"$root/.git/info/exclude"
# The packages' files in one archive (prefix.tar.xz), without ICU's static libraries and docs:
# half the size of the .deb files, which keeps the carried tree under the device tool's 64 MiB.
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
(cd "$staging" && apt-get download libfmt-dev libfmt9 libspdlog-dev libspdlog1.10 \
  nlohmann-json3-dev libicu-dev libicu72 libcli11-dev catch2 libpng-dev libpng16-16 zlib1g-dev \
  2>/dev/null)
mkdir -p "$staging/prefix"
for f in "$staging"/*.deb; do dpkg -x "$f" "$staging/prefix"; done
# ICU's static libraries are most of the size; Catch2's must stay (its CMake package names it).
find "$staging/prefix" \( -name 'libicu*.a' -o -name 'libz.a' \) -delete
rm -rf "$staging/prefix/usr/share/doc" "$staging/prefix/usr/share/man"
rm -f "$deps"/*.deb
tar -cJf "$deps/prefix.tar.xz" -C "$staging/prefix" .
goldens="${GLIDE_GOLDENS:-$root/../shared/goldens}"
# Two cases keep the carried tree under the device tool's 64 MiB.
rm -f "$deps"/goldens/*
for case in text2im superres; do
  cp "$goldens/model_$case.pt" "$goldens/forward_$case.pt" "$deps/goldens/"
done
cp "$goldens/models.json" "$deps/goldens/"
if [[ -n "${GLIDE_REFERENCE:-}" ]]; then
  rm -rf "$deps/glide-text2im"
  mkdir -p "$deps/glide-text2im"
  cp -r "$GLIDE_REFERENCE/glide_text2im" "$deps/glide-text2im/"
fi
du -sh "$deps"
