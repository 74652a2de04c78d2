#!/bin/bash
# The gallery of third-party-style ONNX files, and qcv against ONNX Runtime on each
# (bench/gallery_vs_ort.js prints the Markdown table).
#   bench/gallery.sh [OUT_DIR] [-- gallery_vs_ort.js options]
# Makes in OUT_DIR (default runs/gallery) at 224x224: the tf2onnx-style Keras MobileNetV2, the
# paddle2onnx-style MobileNetV3 (both hard-swish forms), a torch.ao-export-style QDQ MobileNetV2
# and its FP32 model (onnx.helper, make_torch_style.py), torchvision's torch.ao quantized
# MobileNetV2/V3/ResNet-18 and their FP32 exports (needs Debian's python3-torch and
# python3-torchvision; skipped with a note without them), and the QOperator files of
# bench/make_qoperator.py where it exists. Needs build/src/cli/qcv and build/bench/qcv_bench
# (cmake -DQCV_BUILD_BENCH=ON) and onnxruntime-node in bench/node_modules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/gallery}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
py=/usr/bin/python3
mkdir -p "$out"
$py "$here/gallery/make_keras_style.py" --out "$out"
$py "$here/gallery/make_paddle_style.py" --out "$out"
$py "$here/gallery/make_paddle_style.py" --hswish clip --out "$out"
$py "$here/gallery/make_torch_style.py" --out "$out"
if $py -c "import torch, torchvision" 2>/dev/null; then
  $py "$here/gallery/make_torch_ao.py" --out "$out"
else
  echo "gallery: python3-torch/python3-torchvision not installed: no torch.ao files" >&2
fi
if [ -f "$here/make_qoperator.py" ]; then
  $py "$here/make_qoperator.py" --out "$out" --size 224 --classes 1000 || echo "gallery: make_qoperator.py failed" >&2
fi
NODE_PATH="$here/node_modules" node "$here/gallery_vs_ort.js" --json "$out/gallery.json" "$@" "$out"/*.onnx
