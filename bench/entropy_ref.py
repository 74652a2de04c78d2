#!/usr/bin/python3
"""Independent check of qcv's entropy (KL) calibrator on real histograms.

    qcv ptq MODEL.onnx --calib DATA --method entropy --histograms H.json -o M.int8.onnx
    /usr/bin/python3 bench/entropy_ref.py H.json [--bins 128]

Recomputes each tensor's threshold with numpy following TensorRT's published algorithm (GTC 2017,
"8-bit Inference with TensorRT") as NVIDIA's pytorch-quantization implements it: bin 0 takes bin 1's
count, candidates i = 128..N bins, P = the first i bins with the outliers added to the last one,
Q = those i bins merged into 128 levels and expanded back over the non-empty bins, the threshold
(the edge of bin i) minimizing KL(P || Q), ties to the largest. Prints per tensor qcv's and the
reference's threshold and exits non-zero when any differs by more than one bin.
"""
import json
import sys

import numpy as np


def kl(p, q):
    p = p / p.sum()
    q = q / q.sum()
    nz = p > 0
    if np.any(q[nz] == 0):
        return np.inf
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def reference_threshold(counts, max_abs, levels=128):
    hist = np.asarray(counts, dtype=np.float64).copy()
    n = len(hist)
    width = max_abs / n
    if n <= levels or hist.sum() == 0:
        return max_abs
    hist[0] = hist[1]
    divergences = []
    for i in range(levels, n + 1):
        p = hist[:i].copy()
        p[-1] += hist[i:].sum()
        # Bin j joins level floor(j * levels / i) (np.digitize over linspace(0, i, levels + 1)).
        level = np.digitize(np.arange(i), np.linspace(0, i, levels + 1)) - 1
        nonzero = hist[:i] != 0
        sums = np.bincount(level[nonzero], weights=hist[:i][nonzero], minlength=levels + 1)
        members = np.bincount(level[nonzero], minlength=levels + 1)
        q = np.where(nonzero, sums[level] / np.maximum(members[level], 1), 0.0)
        if q.sum() == 0:
            divergences.append(np.inf)
            continue
        divergences.append(kl(p, q))
    d = np.array(divergences)
    best = len(d) - 1 - int(np.argmin(d[::-1]))
    return (best + levels) * width


def main():
    args = sys.argv[1:]
    levels = 128
    if '--bins' in args:
        k = args.index('--bins')
        levels = int(args[k + 1])
        del args[k:k + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    stats = json.load(open(args[0]))
    worst = 0.0
    print(f"{'tensor':40s} {'min':>9s} {'max':>9s} {'qcv T':>9s} {'ref T':>9s} {'bins':>5s}")
    for name, s in stats.items():
        if not s['counts'] or s['max_abs'] == 0:
            continue
        width = s['max_abs'] / len(s['counts'])
        ref = reference_threshold(s['counts'], s['max_abs'], levels)
        got = max(abs(s['range_min']), abs(s['range_max']))
        # qcv clips the threshold to the observed range: compare against the same clip.
        ref_clipped = min(ref, max(abs(s['min']), abs(s['max'])))
        off = abs(got - ref_clipped) / width
        worst = max(worst, off)
        print(f"{name[:40]:40s} {s['min']:9.4f} {s['max']:9.4f} {got:9.4f} {ref_clipped:9.4f} "
              f"{off:5.1f}")
    print(f"largest difference: {worst:.2f} bins")
    sys.exit(0 if worst <= 1.0 else 1)


if __name__ == '__main__':
    main()
