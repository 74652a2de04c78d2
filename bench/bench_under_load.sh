#!/bin/bash
# qcv and ONNX Runtime latency (batch 1, median) on the same .onnx files while another process
# keeps one core busy (a spin loop pinned by taskset), in interleaved rounds; prints a Markdown
# table with qcv/ORT per file. The models are built on first use: `qcv export` from the zoo and
# `qcv ptq --scheme onnxruntime` on random PNGs for the INT8 files.
#
# Usage: bench/bench_under_load.sh [--full] [--threads 2] [--iters 60] [--rounds 3]
#          [--hog-core 1 | --no-hog] [--fixed] [--qcv build/src/cli/qcv] [--work DIR]
#   default set: mobilenet_v2 and mobilenet_v3_small, FP32 and INT8 (a few minutes);
#   --full adds mobilenet_v3_large, resnet18 and resnet50;
#   --fixed adds a column for qcv with a fixed team (OMP_DYNAMIC=false: no thread adaptation).
# On a machine other processes load already, compare the ratios, not the times; the script
# prints `uptime` before and after.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
QCV=$HERE/../build/src/cli/qcv WORK=/tmp/qcv_under_load
THREADS=2 ITERS=60 ROUNDS=3 HOG_CORE=1 FULL=0 FIXED=0
while [ $# -gt 0 ]; do
  case $1 in
    --full) FULL=1 ;;
    --fixed) FIXED=1 ;;
    --no-hog) HOG_CORE= ;;
    --threads) THREADS=$2; shift ;;
    --iters) ITERS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --hog-core) HOG_CORE=$2; shift ;;
    --qcv) QCV=$2; shift ;;
    --work) WORK=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_under_load: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$QCV" ] || { echo "bench_under_load: no qcv at $QCV (build it or pass --qcv)" >&2; exit 2; }
export NODE_PATH=${NODE_PATH:-$HERE/node_modules}
MODELS="mobilenet_v2 mobilenet_v3_small"
[ "$FULL" = 1 ] && MODELS="mobilenet_v2 mobilenet_v3_large mobilenet_v3_small resnet18 resnet50"
mkdir -p "$WORK"

# Random 224x224 RGB PNGs for calibration (numbers only need to exercise the ranges).
if [ ! -d "$WORK/png" ]; then
  python3 - "$WORK/png" <<'EOF'
import os, random, struct, sys, zlib
d = sys.argv[1]; os.makedirs(d + ".tmp/noise", exist_ok=True); rng = random.Random(7)
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
for i in range(16):
    rows = b"".join(b"\0" + bytes(rng.randrange(256) for _ in range(224 * 3)) for _ in range(224))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 224, 224, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    open(f"{d}.tmp/noise/{i:02d}.png", "wb").write(png)  # ImageFolder: root/<class>/<image>
os.rename(d + ".tmp", d)
EOF
fi
FILES=()
for m in $MODELS; do
  f=$WORK/$m.onnx q=$WORK/$m.int8.onnx
  if [ ! -f "$f" ]; then
    echo "exporting $m" >&2
    "$QCV" export --model "$m" --width 1.0 --resolution 224 --classes 1000 --seed 0 -o "$f" >/dev/null
  fi
  if [ ! -f "$q" ]; then
    echo "quantizing $m (onnxruntime scheme)" >&2
    "$QCV" ptq "$f" --calib "$WORK/png" --images 16 --batch 8 --resolution 224 --channels 3 \
      --scheme onnxruntime --method max -o "$q" >/dev/null
  fi
  FILES+=("$f" "$q")
done

HOG=
stop_hog() { [ -n "$HOG" ] && kill "$HOG" 2>/dev/null; HOG=; }
trap stop_hog EXIT
if [ -n "$HOG_CORE" ]; then
  taskset -c "$HOG_CORE" sh -c 'while :; do :; done' &
  HOG=$!
fi
echo "load before: $(uptime)"
R=$WORK/rows.$$
: >"$R"
field() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p" | head -1; }
for ((r = 1; r <= ROUNDS; r++)); do
  for f in "${FILES[@]}"; do
    qj=$("$QCV" bench "$f" --threads "$THREADS" --iters "$ITERS" --warmup 20 --json | tr -d '\n')
    oj=$(node "$HERE/bench_vs_ort.js" --ort-worker "$f" "$ITERS" "$THREADS")
    fx=-
    if [ "$FIXED" = 1 ]; then
      fx=$(OMP_DYNAMIC=false "$QCV" bench "$f" --threads "$THREADS" --iters "$ITERS" --warmup 20 --json |
           tr -d '\n' | field median_ms)
    fi
    echo "$(basename "$f") $(echo "$qj" | field median_ms) $(echo "$oj" | field median_ms) $fx" \
         "$(echo "$qj" | field threads_in_use)" >>"$R"
  done
done
stop_hog
echo "load after:  $(uptime)"
echo
echo "| file | qcv ms | ORT ms | qcv/ORT | qcv fixed team ms | qcv threads used |"
echo "|---|---|---|---|---|---|"
for f in "${FILES[@]}"; do
  b=$(basename "$f")
  # Median over rounds of each column (rounds are interleaved, so both saw the same load).
  awk -v b="$b" '$1 == b' "$R" | awk '
    function med(col,   n, i, j, t, v) {
      n = 0; for (i = 1; i <= NR; ++i) if (rows[i, col] != "-") v[++n] = rows[i, col] + 0
      if (n == 0) return "-"
      for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return v[int((n + 1) / 2)]
    }
    { for (c = 1; c <= NF; ++c) rows[NR, c] = $c }
    END {
      q = med(2); o = med(3); fx = med(4); th = med(5)
      printf "| %s | %.2f | %.2f | %.2f | %s | %s |\n", $1, q, o, q / o, fx == "-" ? "-" : sprintf("%.2f", fx), th
    }'
done
rm -f "$R"
echo
echo "threads $THREADS, $ITERS iterations x $ROUNDS rounds, busy core: ${HOG_CORE:-none}"
