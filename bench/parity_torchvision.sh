#!/usr/bin/env bash
# qcv's runtime vs ONNX Runtime on torchvision's exports (random weights, BN kept): the same file,
# the same input, max |qcv - ort| / max |ort| <= 1e-4 on the logits.
# Needs python3-torchvision and bench/node_modules. Usage: bench/parity_torchvision.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
qcv=${1:-build}/src/cli/qcv
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 bench/export_torchvision.py "$out" >/dev/null
/usr/bin/python3 -c "import numpy as n; n.save('$out/x.npy', n.random.default_rng(0).standard_normal((2,3,224,224), dtype=n.float32))"
status=0
for f in "$out"/tv_*.onnx; do
  "$qcv" run "$f" --input "$out/x.npy" -o "$out/qcv.npy" --threads 2 >/dev/null
  NODE_PATH=bench/node_modules node bench/ort_run.js "$f" "$out/x.npy" "$out/ort.npy" 2 >/dev/null
  /usr/bin/python3 - "$f" "$out/qcv.npy" "$out/ort.npy" <<'PY' || status=1
import sys, numpy as n
q, o = n.load(sys.argv[2]), n.load(sys.argv[3])
rel = float(abs(q - o).max() / abs(o).max())
same_top1 = bool((q.argmax(1) == o.argmax(1)).all())
ok = q.shape == o.shape and rel <= 1e-4
print(f"{sys.argv[1].split('/')[-1]}: {q.shape}, max|qcv-ort|/max|ort| = {rel:.2e}, top-1 equal: {same_top1} {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
done
exit $status
