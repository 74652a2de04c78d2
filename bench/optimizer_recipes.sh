#!/bin/sh
# The trainer's optimizers on one small recipe, in the same run: MobileNetV2 x0.35, Fashion-MNIST
# (32x32, 1 channel), the first N training images, E epochs, cosine schedule; SGD (the default),
# RMSProp (the MobileNet seed's optimizer, spelled with the seed's flags) and AdamW. Prints each
# run's test top-1 and the trainer's images/s.
# Usage: bench/optimizer_recipes.sh [QCV_BINARY] [TRAIN_IMAGES] [EPOCHS] [THREADS]
set -e
QCV=${1:-build/src/cli/qcv}
N=${2:-6000}
EPOCHS=${3:-2}
THREADS=${4:-2}
OUT=${OUT:-$(mktemp -d)}
common="--model mobilenet_v2 --width 0.35 --resolution 32 --channels 1 --dataset fashion-mnist \
  --limit-train $N --limit-test 2000 --epochs $EPOCHS --batch-size 64 --threads $THREADS --seed 1"
run() {
  name=$1
  shift
  line=$("$QCV" train $common -o "$OUT/$name" "$@" 2>/dev/null | grep '^done:')
  echo "$name: $line ($*)"
}
run sgd --optimizer sgd --lr 0.1 --momentum 0.9 --weight-decay 4e-5
# The seed's spellings: RMSprop decay 0.9, momentum 0.9, epsilon 1e-3 (TF's for MobileNets
# scaled to this batch), truncated-normal init and TF's BN epsilon.
run rmsprop --optimizer_name rmsprop --lr 0.002 --op_momentum 0.9 --op_decay_rate 0.9 \
  --optimizer-epsilon 1e-3 --std_weight_decay 4e-5 --truncated_normal_stddev 0.09 --bn-epsilon 1e-3
run adamw --optimizer adamw --lr 0.002 --momentum 0.9 --weight-decay 0.01
echo "runs in $OUT"
