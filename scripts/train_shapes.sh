#!/usr/bin/env bash
# Trains the shipped "shapes" model pair from scratch (docs/shapes-model.md): a 32×32 base model,
# then its ×4 upsampler, on the synthetic shapes dataset, with fixed seeds. Checkpoints go to
# $GLIDE_TRAIN_DIR (default build/train) and are resumed when the script is run again; the models
# are exported to models/ (existing files are kept unless --overwrite is given).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
glide="${GLIDE_BIN:-$root/build/src/cli/glide}"
out="${GLIDE_TRAIN_DIR:-$root/build/train}"
models="$root/models"
mkdir -p "$out"
overwrite=()
[[ "${1:-}" == "--overwrite" ]] && overwrite=(--overwrite)

echo "== base model (32x32) =="
"$glide" train --model-config "$models/recipes/shapes-base.json" \
  --checkpoint "$out/shapes-base.ckpt.safetensors" \
  --dataset shapes --dataset-seed 0 --seed 1 \
  --steps 3000 --batch-size 32 --lr 1e-3 --warmup-steps 100 --lr-schedule cosine --x0-weight-cap 20 \
  --ema-decay 0.995 --grad-clip 1 --caption-dropout 0.2 --checkpoint-every 100 \
  --export "$models/shapes-base.safetensors" --export-dtype float16 \
  --loss-curve "$out/shapes-base-loss.png" "${overwrite[@]}"

echo "== upsampler (32x32 -> 128x128) =="
"$glide" train --model-config "$models/recipes/shapes-upsampler.json" \
  --checkpoint "$out/shapes-upsampler.ckpt.safetensors" \
  --dataset shapes --dataset-seed 1 --seed 2 \
  --steps 2200 --batch-size 16 --crop-size 64 --upsample-factor 4 --precision bfloat16 \
  --lr 5e-4 --warmup-steps 100 --lr-schedule cosine \
  --ema-decay 0.995 --grad-clip 1 --caption-dropout 0.2 --checkpoint-every 100 \
  --export "$models/shapes-upsampler.safetensors" --export-dtype float16 \
  --loss-curve "$out/shapes-upsampler-loss.png" "${overwrite[@]}"
