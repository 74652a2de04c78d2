#!/bin/sh
# Training throughput of qcv's LibTorch backend vs PyTorch itself, in the same run: MobileNetV2
# 1.0, 32x32, 1 channel, batch 64, SGD, label smoothing; random data (no input pipeline).
# Usage: bench/train_throughput.sh [QCV_BINARY] [THREADS] [STEPS]
# Runs alternate qcv / PyTorch (ROUNDS times) so that load from other processes hits both alike.
set -e
QCV=${1:-build/src/cli/qcv}
THREADS=${2:-1}
STEPS=${3:-20}
ROUNDS=${ROUNDS:-2}
HERE=$(dirname "$0")
for round in $(seq "$ROUNDS"); do
  q=$("$QCV" train --benchmark-steps "$STEPS" --threads "$THREADS" --model mobilenet_v2 --width 1.0 \
        --resolution 32 --channels 1 --batch-size 64 --optimizer sgd --nesterov --label-smoothing 0.1 | tail -1)
  p=$(/usr/bin/python3 "$HERE/torch_train_step.py" --steps "$STEPS" --threads "$THREADS" | tail -1)
  # PyTorch again with the malloc settings qcv's trainer applies to itself (src/train/allocator.cpp):
  # without them glibc hands every step's buffers back to the kernel, in PyTorch as in qcv.
  pt=$(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 \
       /usr/bin/python3 "$HERE/torch_train_step.py" --steps "$STEPS" --threads "$THREADS" | tail -1)
  echo "round $round qcv:     $q"
  echo "round $round pytorch: $p"
  echo "round $round pytorch, tuned malloc: $pt"
  /usr/bin/python3 -c "import json,sys; q,p,t=(json.loads(a)['images_per_s'] for a in sys.argv[1:]); print(f'round $round ratio qcv/pytorch: {q/p:.2f} ({q:.0f} vs {p:.0f} images/s); vs pytorch with tuned malloc: {q/t:.2f} ({t:.0f} images/s)')" "$q" "$p" "$pt"
done
if [ -n "$NCHW" ]; then  # the cost of NCHW in LibTorch's CPU kernels (depthwise convs)
  echo "qcv nchw:     $("$QCV" train --benchmark-steps 3 --threads "$THREADS" --no-channels-last | tail -1)"
  echo "pytorch nchw: $(/usr/bin/python3 "$HERE/torch_train_step.py" --steps 3 --threads "$THREADS" --nchw | tail -1)"
fi
