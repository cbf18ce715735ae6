#!/usr/bin/env bash
# Regenerates the contact sheets of docs/hyperparameters.md with `glide sweep` on the shipped shapes
# models (docs/shapes-model.md). Each sheet varies one or two hyperparameters at fixed seeds.
# Needs a built glide (scripts/build.sh); writes docs/images/sweep-*.png and .csv, replacing them.
# About 4 minutes on one core ($GLIDE_THREADS, default 1: the cells are small).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
glide="${GLIDE:-$root/build/src/cli/glide}"
out="$root/docs/images"
mkdir -p "$out"

sweep() {
  local name="$1"
  shift
  echo "== $name"
  "$glide" sweep --overwrite --threads "${GLIDE_THREADS:-1}" -o "$out/sweep-$name.png" "$@"
}

# Classifier-free guidance: 0 is the unconditional model, 1 the conditional one alone.
sweep guidance -p "a red circle on a blue background" \
  --vary guidance_scale=0,1,3,5,8 --vary seed=0,1

# Samplers and step counts at the reference's scale 3.
sweep samplers -p "a yellow triangle on a purple background" --no-upsample \
  --vary 'base.sampler=ddpm;ddim;dpm++2m;euler_a' --vary 'base.steps=10;25;100' --vary seed=3

# Thresholding at growing guidance scales.
sweep thresholding -p "a green square on a white background" --no-upsample \
  --vary base.thresholding=clip,dynamic,none --vary guidance_scale=3,8,15 --vary seed=4

# Noise temperature of each stage (x_T ~ N(0, T^2 I)); GLIDE's upsampler default is 0.997.
sweep temperature -p "a blue square on a yellow background" \
  --vary base.temperature=0.6,0.8,1.0 --vary upsampler.temperature=0.5,0.8,0.997 --vary seed=5
