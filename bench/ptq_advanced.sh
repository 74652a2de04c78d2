#!/bin/bash
# Top-1 on Fashion-MNIST's test split of an FP32 model and of its PTQ variants: per-tensor and
# 4-bit weights, plain and with cross-layer equalization / bias correction (README, "Advanced
# PTQ"). Usage: bench/ptq_advanced.sh FP32.onnx OUTDIR [QCV]
set -u
M=$1 D=$2 Q=${3:-build/src/cli/qcv}
mkdir -p "$D"
top1() { "$Q" eval "$1" --data fashion-mnist --threads 1 --workers 1 --json 2>/dev/null |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["top1"])'; }
echo "fp32 $(top1 "$M")"
variant() {
  local name=$1; shift
  if "$Q" ptq "$M" --calib fashion-mnist --threads 1 "$@" -o "$D/$name.onnx" >"$D/$name.log" 2>&1; then
    echo "$name $(top1 "$D/$name.onnx")  ($*)"
  else
    echo "$name FAILED: $(tail -1 "$D/$name.log")"
  fi
}
variant fp32_cle --cle --exclude '*'
variant fp32_cle_relu --cle --cle-relu6 relu --exclude '*'
variant w8pc
variant w8pt --per-tensor-weights
variant w8pt_bc --per-tensor-weights --bias-correction
variant w8pt_cle --per-tensor-weights --cle
variant w8pt_cle_bc --per-tensor-weights --cle --bias-correction
variant w8pt_cle_relu_bc --per-tensor-weights --cle --cle-relu6 relu --bias-correction
variant w4pc --weight-bits 4
variant w4pc_bc --weight-bits 4 --bias-correction
variant w4pc_cle_bc --weight-bits 4 --cle --bias-correction
variant w4pt --weight-bits 4 --per-tensor-weights
variant w4pt_cle --weight-bits 4 --per-tensor-weights --cle
variant w4pt_cle_bc --weight-bits 4 --per-tensor-weights --cle --bias-correction
