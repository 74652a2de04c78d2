#!/bin/bash
# Fashion-MNIST test top-1 of a trained model through Arm NN (the exported .tflite on CpuRef) and
# through qcv's INT8 runtime (the QDQ file it comes from), on the same preprocessed images (`qcv
# eval --dump`), with their per-image top-1 agreement and the logits' difference in output steps;
# the FP32 model's top-1 on the same images first. PTQ: tflite scheme, METHOD (max) on IMAGES
# (512) calibration images; the logits, float in the QDQ file, get export-tflite's --output-range
# from qcv's INT8 logits on the first 512 training images. --no-pad-ops: Arm NN 20.08's int8 PAD
# fills with 0, not the zero point.
# LIMIT: only the first N test images (0: all 10,000; CpuRef is a slow reference backend).
# Usage: [IMAGES=512] [METHOD=max] [BATCH=16] [LIMIT=0] bench/tflite_armnn_fashion.sh FP32.onnx [BUILD_DIR]
set -euo pipefail
M=${1:?usage: bench/tflite_armnn_fashion.sh FP32.onnx [BUILD_DIR]}
B=${2:-build}
Q=$B/src/cli/qcv
T=$B/tests/tflite/tflite_armnn_check
[ -x "$T" ] || { echo "no $T: configure with Arm NN installed (scripts/install-deps.sh)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$Q" ptq "$M" --calib fashion-mnist --images "${IMAGES:-512}" --method "${METHOD:-max}" \
  --scheme tflite -o "$dir/q.onnx" >/dev/null
"$Q" eval "$dir/q.onnx" --data fashion-mnist --split train --limit 512 --dump "$dir/cal" >/dev/null
range=$(/usr/bin/python3 -c "import numpy as n; l = n.load('$dir/cal/logits.npy'); print(f'{l.min()},{l.max()}')")
"$Q" export-tflite "$dir/q.onnx" -o "$dir/q.tflite" --batch "${BATCH:-16}" --no-pad-ops \
  --output-range="$range"
"$Q" eval "$M" --data fashion-mnist --limit "${LIMIT:-0}"
"$Q" eval "$dir/q.onnx" --data fashion-mnist --limit "${LIMIT:-0}" --dump "$dir/test"
"$T" --eval "$dir/q.tflite" "$dir/test" "$dir/q.onnx" "$range"
