#!/usr/bin/python3
# The ResNet v2 check of README "TFLite export": a QDQ file whose standalone BatchNormalizations
# get their shift snapped to the int32 bias grid of the exported 1x1 DEPTHWISE_CONV_2D, so that
# qcv (float BN) and the .tflite compute the same function. Usage: bench/tflite_bn_grid.py IN.qdq.onnx OUT.qdq.onnx
import sys, onnx, numpy as np
from onnx import numpy_helper as nh
m = onnx.load(sys.argv[1]); g = m.graph
init = {i.name: i for i in g.initializer}
prod = {o: n for n in g.node for o in n.output}
get = lambda k: nh.to_array(init[k]).astype(np.float64)
for n in g.node:
    if n.op_type != 'BatchNormalization': continue
    eps = next((a.f for a in n.attribute if a.name == 'epsilon'), 1e-5)
    dq = prod[n.input[0]]
    s_in = float(get(dq.input[1]))
    gam, bet, mean, var = (get(k) for k in n.input[1:5])
    f = gam / np.sqrt(var + eps)
    shift = bet - mean * f
    grid = s_in * (np.abs(f).astype(np.float32) / 127).astype(np.float64)
    snapped = np.round(shift / grid) * grid
    init[n.input[2]].CopyFrom(nh.from_array(snapped.astype(np.float32), n.input[2]))
    init[n.input[3]].CopyFrom(nh.from_array(np.zeros_like(mean, dtype=np.float32), n.input[3]))
onnx.save(m, sys.argv[2])
