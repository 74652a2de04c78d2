#!/bin/bash
# CPU milliseconds per batch-1 inference, qcv and ONNX Runtime, on the same files (median of 3
# runs each): for a loaded machine, where wall-clock rows measure the other processes. qcv's is
# the CPU time of `qcv_bench time` with ITERS iterations minus that with 10 (load and compile cancel).
# Usage: ITERS=300 bench/cpu_time_vs_ort.sh build/bench/qcv_bench THREADS MODEL.onnx...
Q=$1; T=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
export NODE_PATH=${NODE_PATH:-$HERE/node_modules}
N=${ITERS:-200}
cpu_s() { { /usr/bin/time -f "%U %S" "$Q" time "$1" --threads "$T" --iters "$2" --warmup 5 >/dev/null; } 2>&1 | tail -1 | awk '{print $1 + $2}'; }
median3() { sort -n | sed -n 2p; }
echo "| model | qcv CPU ms | ORT CPU ms | qcv/ORT | threads |"
echo "|---|---|---|---|---|"
for m in "$@"; do
  q=$(for r in 1 2 3; do a=$(cpu_s "$m" 10); b=$(cpu_s "$m" "$N"); echo "$a $b" | awk -v n="$N" '{printf "%.3f\n", ($2 - $1) * 1000 / (n - 10)}'; done | median3)
  o=$(for r in 1 2 3; do node "$HERE/ort_cpu_time.js" "$m" "$N" "$T" | sed 's/.*cpu_ms":\([0-9.]*\).*/\1/'; done | median3)
  echo "| $(basename "$m") | $q | $(printf %.3f "$o") | $(echo "$q $o" | awk '{printf "%.2f", $1 / $2}') | $T |"
done
