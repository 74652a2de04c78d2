#!/usr/bin/env bash
# Checks that `qcv optimize` on torchvision's ONNX exports changes no output by more than 1e-4
# (relative to the output's largest magnitude), running both files in ONNX Runtime.
# Needs python3-torchvision (exports) and bench/node_modules (ONNX Runtime).
# Usage: bench/check_optimize_torchvision.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
qcv=${1:-build}/src/cli/qcv
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 bench/export_torchvision.py "$out" >/dev/null
status=0
for f in "$out"/tv_*.onnx; do
  opt=${f%.onnx}.opt.onnx
  "$qcv" optimize "$f" -o "$opt"
  NODE_PATH=bench/node_modules node bench/ort_compare.js "$f" "$opt" 2 1e-4 || status=1
done
exit $status
