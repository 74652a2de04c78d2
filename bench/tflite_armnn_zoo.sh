#!/bin/bash
# Every zoo model through `qcv export-tflite` and Arm NN (TFLite parser, CpuRef backend), against
# qcv's INT8 runtime on the QDQ file: one Markdown row per model. Each model is built with
# trained-like BN parameters, PTQ'd with the tflite scheme on 8 seeded N(0,1) images
# (tflite_armnn_check --make-qdq, as the CTest), exported for batch BATCH and run on seeded N(0,1)
# images. Float logits (the ResNets) get --output-range from 8 other seeded images through qcv's
# INT8 runtime (tflite_armnn_check --output-range). Models the exporter refuses get its error. FLAGS (default --no-pad-ops:
# Arm NN 20.08's int8 PAD fills with 0, not the zero point) go to export-tflite.
# MODELS: a space-separated subset of `qcv models` (default: all).
# Usage: [RES=32] [BATCH=4] [FLAGS=...] [MODELS=...] bench/tflite_armnn_zoo.sh [BUILD_DIR]
B=${1:-build}
RES=${RES:-32}
BATCH=${BATCH:-4}
FLAGS=${FLAGS---no-pad-ops}
Q=$B/src/cli/qcv
T=$B/tests/tflite/tflite_armnn_check
[ -x "$T" ] || { echo "no $T: configure with Arm NN installed (scripts/install-deps.sh)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
json() { sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p"; }
echo "| model | width | res | .tflite MB | TFLite ops | outputs within 1 step | max / mean steps | output step | top-1 agreement |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in ${MODELS:-$("$Q" models | awk 'NR > 1 {print $1}' | sort -u)}; do
  w=1; case $m in mobilenet*) w=0.5 ;; esac
  "$T" --make-qdq "$m" "$w" "$RES" "$dir/$m.qdq.onnx" >/dev/null || { echo "| $m | $w | $RES | PTQ failed |"; continue; }
  range=$("$T" --output-range "$dir/$m.qdq.onnx")
  if ! out=$("$Q" export-tflite "$dir/$m.qdq.onnx" -o "$dir/$m.tflite" --batch "$BATCH" $FLAGS --output-range="$range" 2>&1); then
    echo "| $m | $w | $RES | not exported: ${out#qcv: error: } |||||"
    continue
  fi
  mb=$(echo "$out" | sed -n 's/.*: \([0-9.]*\) MB.*/\1/p')
  ops=$(echo "$out" | sed -n 's/.*MB (\(.*\))/\1/p')
  r=$("$T" "$dir/$m.qdq.onnx" "$dir/$m.tflite" "$range")
  if echo "$r" | grep -q error; then
    echo "| $m | $w | $RES | $mb | $ops | Arm NN: $r ||||"
    continue
  fi
  printf "| %s | %s | %s | %s | %s | %.1f%% | %s / %s | %s | %.0f%% |\n" "$m" "$w" "$RES" "$mb" "$ops" \
    "$(echo "$r" | json within_one_step | awk '{print $1 * 100}')" "$(echo "$r" | json max_steps)" \
    "$(echo "$r" | json mean_steps)" "$(echo "$r" | json step)" \
    "$(echo "$r" | json top1_agreement | awk '{print $1 * 100}')"
done
