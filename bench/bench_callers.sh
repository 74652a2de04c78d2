#!/bin/sh
# Total throughput of one Session shared by 1, 2 and 4 calling threads (a server's use), each
# run with --threads OpenMP threads, batch 1. One JSON line per caller count.
# Usage: bench/bench_callers.sh MODEL.onnx [THREADS_PER_CALL] [ITERS] [QCV_BENCH]
set -eu
model=$1
threads=${2:-1}
iters=${3:-50}
qcv_bench=${4:-build/bench/qcv_bench}
for callers in 1 2 4; do
  "$qcv_bench" callers "$model" --callers "$callers" --threads "$threads" --iters "$iters"
done
