#!/bin/sh
# Data-parallel training throughput: `qcv train` with 1 and with 2 processes (--nproc, Gloo over
# localhost), 1 thread per process, MobileNetV2 at 32x32 on Fashion-MNIST (real data, loader
# included), the same global batch. images/s are the training images per second of the epoch as
# rank 0 measures them (all ranks' images counted). Runs alternate 1 and 2 processes (ROUNDS times)
# so that load from other processes hits both alike.
# Usage: bench/train_distributed.sh [QCV_BINARY] [STEPS] [GLOBAL_BATCH]
#   env: WIDTH (1.0), ROUNDS (2), WORKERS (1 decode thread per process)
set -e
QCV=${1:-build/src/cli/qcv}
STEPS=${2:-200}
BATCH=${3:-64}
WIDTH=${WIDTH:-1.0}
ROUNDS=${ROUNDS:-2}
WORKERS=${WORKERS:-1}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
run() {  # $1: processes, $2: run name; prints images/s
  dir="$OUT/$2"
  OMP_NUM_THREADS=1 "$QCV" train --nproc "$1" --threads 1 --workers "$WORKERS" --model mobilenet_v2 \
    --width "$WIDTH" --resolution 32 --channels 1 --batch-size "$BATCH" --epochs 1 \
    --limit-train $((STEPS * BATCH)) --limit-test 256 --lr 0.05 -o "$dir" >"$dir.log" 2>&1 ||
    { cat "$dir.log" >&2; exit 1; }
  /usr/bin/python3 -c "import json,sys; print('%.1f' % json.loads(open(sys.argv[1]).readline())['images_per_s'])" \
    "$dir/metrics.jsonl"
}
echo "MobileNetV2 $WIDTH, 32x32x1 Fashion-MNIST, global batch $BATCH, $STEPS steps, 1 thread/process, $(nproc) cores"
echo "| round | processes | per-rank batch | images/s | vs 1 process |"
echo "|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  one=$(run 1 "r${round}p1")
  two=$(run 2 "r${round}p2")
  echo "| $round | 1 | $BATCH | $one | 1.00 |"
  echo "| $round | 2 | $((BATCH / 2)) | $two | $(/usr/bin/python3 -c "print('%.2f' % ($two / $one))") |"
done
