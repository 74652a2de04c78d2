#!/usr/bin/python3
"""qcv vs ONNX Runtime on QOperator files (e.g. from make_qoperator.py), on the same random inputs:
the largest output difference in quantization steps of the output DequantizeLinear, the share of
outputs that differ, and top-1 agreement.

  NODE_PATH=bench/node_modules parity_qoperator.py MODEL.onnx... [--qcv build/src/cli/qcv]
                                                   [--samples 256] [--seed 0]
"""
import argparse
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def output_step(model):
    """The scale of the DequantizeLinear that produces the graph's first output."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = model.graph.output[0].name
    for n in model.graph.node:
        if n.op_type == 'DequantizeLinear' and n.output[0] == out:
            return float(inits[n.input[1]])
    raise SystemExit(f'{out} is not produced by a DequantizeLinear')


def input_shape(model, samples):
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return [samples] + [d.dim_value for d in dims[1:]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('models', nargs='+')
    ap.add_argument('--qcv', default=os.path.join(HERE, '..', 'build', 'src', 'cli', 'qcv'))
    ap.add_argument('--samples', type=int, default=256)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--sigma', type=float, default=1.0, help='standard deviation of the inputs')
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.models:
            model = onnx.load(path)
            step = output_step(model)
            x = np.random.default_rng(args.seed).normal(0, args.sigma,
                                                        input_shape(model, args.samples))
            xp, yo, yq = (os.path.join(tmp, f) for f in ('x.npy', 'ort.npy', 'qcv.npy'))
            np.save(xp, x.astype(np.float32))
            subprocess.run(['node', os.path.join(HERE, 'ort_run.js'), path, xp, yo, '1'], check=True)
            subprocess.run([args.qcv, 'run', path, '-i', xp, '-o', yq, '--threads', '1'], check=True,
                           stdout=subprocess.DEVNULL)
            a, b = np.load(yo), np.load(yq)
            b = b.reshape(a.shape)
            steps = np.rint(np.abs(a.astype(np.float64) - b) / step)
            top1 = (f', top-1 agreement {np.mean(a.argmax(1) == b.argmax(1)) * 100:.2f}%'
                    if a.ndim == 2 and a.shape[1] > 1 else '')
            print(f'{os.path.basename(path)}: {args.samples} inputs, output step {step:.5g}: '
                  f'max diff {int(steps.max())} steps, {np.mean(steps > 0) * 100:.2f}% of '
                  f'{a.size} outputs differ{top1}')


if __name__ == '__main__':
    main()
