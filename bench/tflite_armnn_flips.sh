#!/bin/bash
# Why the deep random-weight ResNets miss the one-step bar against Arm NN (README "TFLite export"):
# per model (full width, RES px, batch 4, as bench/tflite_armnn_zoo.sh builds and exports it),
# the logits of qcv's INT8 runtime, of Arm NN (CpuRef) and of bench/tflite_cpuref_emulate.py's
# three arithmetics on the QDQ file's integers (exact QDQ semantics, CpuRef's float32, TFLite's
# integer kernels), and how many int8 values each arithmetic rounds differently from exact on
# its own. One Markdown row per model; the input is seeded N(0,1) images (numpy seed 1).
# Usage: [RES=32] [MODELS=...] bench/tflite_armnn_flips.sh [BUILD_DIR]
set -euo pipefail
B=${1:-build}
RES=${RES:-32}
Q=$B/src/cli/qcv
T=$B/tests/tflite/tflite_armnn_check
P=/usr/bin/python3
E=$(dirname "$0")/tflite_cpuref_emulate.py
[ -x "$T" ] || { echo "no $T: configure with Arm NN installed (scripts/install-deps.sh)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$P" -c "import numpy as n; n.random.seed(1); n.save('$dir/x.npy', n.random.randn(4, 3, $RES, $RES).astype(n.float32))"
echo "| model | Arm NN vs qcv | Arm NN vs CpuRef emulation | qcv vs exact | CpuRef emulation vs exact | TFLite integer vs exact | int8 values | CpuRef local flips (first) | TFLite integer local flips (first) |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in ${MODELS:-resnet18 resnet50 resnet101 resnet152 resnet50_keras resnet50_v2 resnet101_v2 resnet50_v2_keras resnet101_v2_keras}; do
  "$T" --make-qdq "$m" 1 "$RES" "$dir/m.onnx" >/dev/null
  range=$("$T" --output-range "$dir/m.onnx")
  "$Q" export-tflite "$dir/m.onnx" -o "$dir/m.tflite" --batch 4 --no-pad-ops --output-range="$range" >/dev/null
  "$Q" run "$dir/m.onnx" -i "$dir/x.npy" -o "$dir/qcv.npy" --threads 2 >/dev/null
  "$T" --run "$dir/m.tflite" "$dir/x.npy" "$dir/armnn.npy"
  "$P" "$E" --make-taps "$dir/m.onnx" "$dir/taps.onnx"
  rm -rf "$dir/taps"
  "$Q" run "$dir/taps.onnx" -i "$dir/x.npy" -o "$dir/taps" --threads 2 >/dev/null
  "$P" "$E" "$dir/m.onnx" "$dir/x.npy" --output-range="$range" --qcv "$dir/qcv.npy" \
    --armnn "$dir/armnn.npy" --taps "$dir/taps" --name "$m"
done
