#!/bin/bash
# Zoo models trained briefly on Fashion-MNIST (32 px, one channel: STEPS steps of 64 images, SGD at
# LR, default 0.02, cosine, the gradient norm clipped at 5: deep v1 ResNets diverge at 0.05), then
# checked through Arm NN as bench/tflite_armnn_fashion.sh does: PTQ with the tflite scheme and
# METHOD (default percentile: max calibration of a briefly trained ResNet v2's never-normalized
# residual stream loses most of its accuracy), export-tflite, LIMIT test images through Arm NN's
# CpuRef and through qcv's INT8 runtime. One Markdown row per model. Random-weight deep ResNets
# amplify single rounding flips (README, "TFLite export"); trained ones are what the Fashion-MNIST
# bar is about.
# MODELS: a space-separated subset of `qcv models` (default: the ResNets). WORK keeps the runs.
# Usage: [MODELS=...] [STEPS=300] [LIMIT=200] [METHOD=percentile] [LR=0.02] [THREADS=1] [WORK=DIR]
#        bench/tflite_armnn_trained.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
Q=$B/src/cli/qcv
STEPS=${STEPS:-300}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
json() { sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p"; }
top1() { grep -F "$1 on fashion-mnist" | sed -n 's/.*top-1 \([0-9.]*\)%.*/\1/p' | head -1; }
echo "| model | trained top-1 (1,000 test images) | images | FP32 | qcv INT8 | qcv INT8, .tflite output grid | Arm NN | same top-1 (grid) | logits within 1 step | max / mean steps |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for m in ${MODELS:-$("$Q" models | awk 'NR > 1 && $1 ~ /^resnet/ {print $1}' | sort -u)}; do
  run=$work/$m
  if [ ! -f "$run/final.onnx" ]; then
    "$Q" train --model "$m" --resolution 32 --channels 1 --epochs 1 --limit-train $((STEPS * 64)) \
      --limit-test 1000 --lr "${LR:-0.02}" --clip-grad-norm 5 --threads "${THREADS:-1}" --workers 1 -o "$run" >"$work/$m.train.log" 2>&1 ||
      { echo "| $m | training failed: $(tail -1 "$work/$m.train.log") |||||||||"; continue; }
  fi
  trained=$(sed -n 's/.*test top-1 \([0-9.]*\)%.*/\1/p' "$work/$m.train.log" | tail -1)
  out=$(LIMIT=${LIMIT:-200} METHOD=${METHOD:-percentile} bash "$(dirname "$0")/tflite_armnn_fashion.sh" "$run/final.onnx" "$B" 2>&1) ||
    { echo "| $m | $trained | check failed: $(echo "$out" | tail -1) ||||||||"; continue; }
  echo "$out" >"$work/$m.armnn.log"
  r=$(echo "$out" | grep '^{')
  printf "| %s | %s%% | %s | %s%% | %s%% | %s%% | %s%% | %s%% | %s%% | %s / %s |\n" "$m" "$trained" \
    "$(echo "$r" | json images)" "$(echo "$out" | top1 "$run/final.onnx")" \
    "$(echo "$r" | json qcv_top1)" "$(echo "$r" | json qcv_int8_top1)" "$(echo "$r" | json armnn_top1)" \
    "$(echo "$r" | json int8_top1_agreement)" "$(echo "$r" | json within_one_step)" \
    "$(echo "$r" | json max_steps)" "$(echo "$r" | json mean_steps)"
done
