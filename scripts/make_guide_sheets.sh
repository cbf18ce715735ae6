#!/usr/bin/env bash
# Regenerates the contact sheets of docs/hyperparameters.md with `glide sweep` on the shipped shapes
# models (docs/shapes-model.md), and the model card's sample sheet. Each guide sheet varies one or
# two hyperparameters at fixed seeds. Needs a built glide (scripts/build.sh); writes
# docs/images/sweep-*.png and shapes-samples.png with their CSVs, replacing them.
# About 6 minutes on one core ($GLIDE_THREADS, default 1: the cells are small).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
glide="${GLIDE:-$root/build/src/cli/glide}"
out="$root/docs/images"
mkdir -p "$out"

sheet() {
  local file="$1"
  shift
  echo "== $file"
  "$glide" sweep --overwrite --threads "${GLIDE_THREADS:-1}" -o "$out/$file" "$@"
}
sweep() {
  local name="$1"
  shift
  sheet "sweep-$name.png" "$@"
}

# The model card's samples: six prompts at the reference's default sampling, three seeds.
sheet shapes-samples.png --vary "prompt=a red circle on a blue background;\
a green triangle on a yellow background;a white square on a black background;\
a yellow circle on a purple background;a blue square on a orange background;\
a orange triangle on a green background" --vary seed=0,1,2

# Classifier-free guidance: 0 is the unconditional model, 1 the conditional one alone.
sweep guidance -p "a red circle on a blue background" \
  --vary guidance_scale=0,1,3,5,8 --vary seed=0,1

# Samplers and step counts at the reference's scale 3.
sweep samplers -p "a yellow triangle on a purple background" --no-upsample \
  --vary 'base.sampler=ddpm;ddim;dpm++2m;dpm++2m_sde;euler_a' --vary 'base.steps=10;25;100' --vary seed=3

# Thresholding at growing guidance scales.
sweep thresholding -p "a green square on a white background" --no-upsample \
  --vary base.thresholding=clip,dynamic,none --vary guidance_scale=3,8,15 --vary seed=4

# Noise temperature of each stage (x_T ~ N(0, T^2 I)); GLIDE's upsampler default is 0.997.
sweep temperature -p "a blue square on a yellow background" \
  --vary base.temperature=0.6,0.8,1.0 --vary upsampler.temperature=0.5,0.8,0.997 --vary seed=5
