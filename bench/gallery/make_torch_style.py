#!/usr/bin/python3
"""A torchvision-style MobileNetV2 quantized by eager-mode torch.ao and exported by
torch.onnx.export (PyTorch 1.13, opset 13), written with onnx.helper where PyTorch is not installed
(bench/gallery/make_torch_ao.py makes the real thing where it is).

The graph has the form PyTorch writes for a converted model (fuse_model folds BN into the convs):
- QuantStub: QuantizeLinear with scale and zero point from Constant -> Cast(FLOAT / UINT8);
- each quantized Conv/ConvReLU/Linear: DequantizeLinear of its input, of int8 per-channel weights
  (axis 0) and of an int32 bias computed at run time as Cast(Div(bias, Mul(w_scale, x_scale)), INT32)
  with its zero point ConstantOfShape(Shape(bias_scale)); the float op (and Relu); QuantizeLinear
  with the op's output scale/zero point as Constant -> Cast chains;
- quantized add (FloatFunctional): DQ, DQ, Add, Q; adaptive_avg_pool2d and flatten: DQ, op, Q with
  the input's scale and zero point; DeQuantStub: a final DequantizeLinear;
- fbgemm's qconfig: uint8 activations over 0..127 (reduce_range), min/max observers on random
  images; symmetric int8 per-channel weights;
- PyTorch's names ("Conv_12", "onnx::DequantizeLinear_87", "features.1.conv.0.0.weight").

Usage: make_torch_style.py [--width 1.0] [--resolution 224] [--classes 1000] [--out DIR] [--small]
Writes mobilenet_v2_TAG.torch_style.onnx and its float model mobilenet_v2_TAG.torch_style_fp32.onnx.
"""
import argparse
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import numpy_eval
from gallery_util import make_divisible, save
from numpy_eval import random_images

# (expansion, output channels, repeats, first stride): torchvision's MobileNetV2 table.
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
          (6, 160, 3, 2), (6, 320, 1, 1)]
QMAX = 127  # fbgemm's reduce_range


class TorchStyle:
    def __init__(self, seed, images):
        self.rng = np.random.default_rng(seed)
        self.q, self.f = [], []  # quantized and float graphs' nodes
        self.qi, self.fi = [], []  # their initializers
        self.n = 0

    def uid(self):
        self.n += 1
        return self.n

    def qnode(self, op, inputs, **attrs):
        out = f"onnx::{op}_{self.uid()}" if op != "QuantizeLinear" else f"input.{self.uid()}"
        self.q.append(helper.make_node(op, inputs, [out], name=f"{op}_{self.n}", **attrs))
        return out

    def const(self, value, cast_to):
        """Constant -> Cast: how PyTorch 1.13 writes a quantized op's scale and zero point."""
        c = self.qnode("Constant", [], value=numpy_helper.from_array(value, ""))
        return self.qnode("Cast", [c], to=cast_to)

    def observe(self, y):
        """A min/max observer's uint8 affine parameters over 0..QMAX."""
        lo, hi = min(0.0, float(y.min())), max(0.0, float(y.max()))
        scale = max((hi - lo) / QMAX, 1e-8)
        zp = int(np.clip(round(-lo / scale), 0, QMAX))
        return scale, zp

    def quantize(self, y):
        scale, zp = self.observe(y)
        s = self.const(np.array(scale, np.float64), TensorProto.FLOAT)
        z = self.const(np.array(zp, np.int64), TensorProto.UINT8)
        return s, z

    def layer(self, x, xf, xq, w, b, relu, prefix, op="Conv", **attrs):
        """One quantized Conv/Linear. x: float activations (numpy); xf/xq: the float graph's and
        the quantized graph's tensors, xq = (q, scale, zero point)."""
        # Float graph.
        fw = f"{prefix}.weight"
        self.fi += [numpy_helper.from_array(w, fw), numpy_helper.from_array(b, f"{prefix}.bias")]
        yf = f"{prefix}.out"
        self.f.append(helper.make_node(op, [xf, fw, f"{prefix}.bias"], [yf], name=prefix, **attrs))
        if op == "Conv":
            y = numpy_eval.conv(x, w, b, attrs["group"], attrs["strides"], attrs["pads"], [1, 1])
        else:
            y = x @ w.T + b
        if relu:
            y = np.maximum(y, 0)
            self.f.append(helper.make_node("Relu", [yf], [yf + ".relu"], name=prefix + ".relu"))
            yf += ".relu"
        # Quantized graph.
        q, s, z = xq
        xd = self.qnode("DequantizeLinear", [q, s, z])
        amax = np.abs(w.reshape(w.shape[0], -1)).max(1)
        ws = (np.maximum(amax, 1e-8) / 127.5).astype(np.float32)
        wq = np.clip(np.round(w / ws.reshape(-1, *[1] * (w.ndim - 1))), -128, 127).astype(np.int8)
        names = [f"{prefix}.weight", f"onnx::DequantizeLinear_{self.uid()}",
                 f"onnx::DequantizeLinear_{self.uid()}", f"{prefix}.bias"]
        self.qi += [numpy_helper.from_array(wq, names[0]), numpy_helper.from_array(ws, names[1]),
                    numpy_helper.from_array(np.zeros(len(ws), np.int8), names[2]),
                    numpy_helper.from_array(b, names[3])]
        wd = self.qnode("DequantizeLinear", names[:3], axis=0)
        bs = self.qnode("Mul", [names[1], s])
        bz = self.qnode("ConstantOfShape", [self.qnode("Shape", [bs])],
                        value=numpy_helper.from_array(np.array([0], np.int32), ""))
        bq = self.qnode("Cast", [self.qnode("Div", [names[3], bs])], to=TensorProto.INT32)
        bd = self.qnode("DequantizeLinear", [bq, bs, bz], axis=0)
        yq = self.qnode(op, [xd, wd, bd], **attrs)
        if relu:
            yq = self.qnode("Relu", [yq])
        os_, oz = self.quantize(y)
        return y, yf, (self.qnode("QuantizeLinear", [yq, os_, oz]), os_, oz)

    def conv(self, x, xf, xq, cin, cout, k, stride, group, relu, prefix):
        """A conv with BN folded in (fuse_model): the fold makes its outputs about standard per
        channel on the images, as a trained net's BN would."""
        w = self.rng.normal(0, np.sqrt(2.0 / (cin // group * k * k)), (cout, cin // group, k, k))
        w = w.astype(np.float32)
        p = (k - 1) // 2
        y = numpy_eval.conv(x, w, None, group, [stride, stride], [p] * 4, [1, 1])
        mean, sd = y.mean((0, 2, 3)), y.std((0, 2, 3)) + 1e-3
        gamma = self.rng.uniform(0.1, 0.3, cout) if not relu else self.rng.uniform(0.5, 1.5, cout)
        beta = self.rng.uniform(-0.2, 0.2, cout)
        w = (w * (gamma / sd).reshape(-1, 1, 1, 1)).astype(np.float32)
        b = (beta - mean * gamma / sd).astype(np.float32)
        return self.layer(x, xf, xq, w, b, relu, prefix, group=group, kernel_shape=[k, k],
                          strides=[stride, stride], pads=[p] * 4, dilations=[1, 1])

    def same_qparams(self, op, x, xf, xq, fn, prefix, **attrs):
        """A quantized op that keeps its input's scale and zero point (pooling, flatten)."""
        q, s, z = xq
        out = self.qnode(op, [self.qnode("DequantizeLinear", [q, s, z])], **attrs)
        self.f.append(helper.make_node(op, [xf], [prefix], name=prefix, **attrs))
        return fn(x), prefix, (self.qnode("QuantizeLinear", [out, s, z]), s, z)

    def add(self, a, b, prefix):
        (x1, f1, q1), (x2, f2, q2) = a, b
        y = x1 + x2
        self.f.append(helper.make_node("Add", [f1, f2], [prefix], name=prefix))
        d1 = self.qnode("DequantizeLinear", list(q1))
        d2 = self.qnode("DequantizeLinear", list(q2))
        s, z = self.quantize(y)
        return y, prefix, (self.qnode("QuantizeLinear", [self.qnode("Add", [d1, d2]), s, z]), s, z)


def build(args):
    res = args.resolution
    x = random_images(args.calib_images, res, args.seed)
    t = TorchStyle(args.seed, x)
    s, z = t.quantize(x)
    cur = (x, "input", (t.qnode("QuantizeLinear", ["input", s, z]), s, z))
    c = make_divisible(32 * args.width)
    cur = t.conv(*cur, 3, c, 3, 2, 1, True, "features.0.0")
    idx = 1
    for e, out, n, stride in BLOCKS[:args.stages]:
        for i in range(min(n, args.max_repeats)):
            st = stride if i == 0 else 1
            cout, hidden = make_divisible(out * args.width), c * e
            p = f"features.{idx}.conv"
            y, j = cur, 0
            if e != 1:
                y = t.conv(*y, c, hidden, 1, 1, 1, True, f"{p}.{j}.0")
                j += 1
            y = t.conv(*y, hidden, hidden, 3, st, hidden, True, f"{p}.{j}.0")
            y = t.conv(*y, hidden, cout, 1, 1, 1, False, f"{p}.{j + 1}")
            if st == 1 and c == cout:
                y = t.add(cur, y, f"features.{idx}.skip_add")
            cur, c = y, cout
            idx += 1
    last = args.last_channels or (make_divisible(1280 * args.width) if args.width > 1.0 else 1280)
    cur = t.conv(*cur, c, last, 1, 1, 1, True, f"features.{idx}.0")
    cur = t.same_qparams("GlobalAveragePool", *cur, lambda v: v.mean((2, 3), keepdims=True), "pool")
    cur = t.same_qparams("Flatten", *cur, lambda v: v.reshape(v.shape[0], -1), "flatten", axis=1)
    f = cur[0]
    # Centered, one scale for all features (not whitened: dividing each feature by its own
    # spread would amplify the quantization noise of the nearly constant ones).
    mu, rms = f.mean(0), np.sqrt((f.std(0) ** 2).mean()) + 1e-12
    r = t.rng.normal(0, 3.0 / np.sqrt(last), (last, args.classes)) / rms
    w = r.T.astype(np.float32)
    b = (-mu @ r).astype(np.float32)
    _, yf, yq = t.layer(*cur, w, b, False, "classifier.1", op="Gemm", transB=1)
    t.q.append(helper.make_node("DequantizeLinear", list(yq), ["output"], name=f"DequantizeLinear_{t.uid()}"))
    t.f.append(helper.make_node("Identity", [yf], ["output"], name="output"))
    inp = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, res, res])]
    outp = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", args.classes])]
    models = []
    for nodes, inits in ((t.q, t.qi), (t.f, t.fi)):
        g = helper.make_graph(nodes, "torch_jit", inp, outp, inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="pytorch", producer_version="1.13.1")
        m.ir_version = 7
        models.append(m)
    return models


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--last-channels", type=int, default=0)
    p.add_argument("--max-repeats", type=int, default=99)
    p.add_argument("--stages", type=int, default=len(BLOCKS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calib-images", type=int, default=8, help="images the observers see")
    p.add_argument("--out", default=".")
    p.add_argument("--small", action="store_true")
    args = p.parse_args()
    if args.small:
        args.width, args.resolution, args.classes = 0.25, 32, 10
        args.max_repeats, args.stages, args.last_channels = 2, 3, 32
    os.makedirs(args.out, exist_ok=True)
    tag = "small" if args.small else f"{args.width:g}_{args.resolution}"
    q, f = build(args)
    for model, kind in ((q, "torch_style"), (f, "torch_style_fp32")):
        path = os.path.join(args.out, f"mobilenet_v2_{tag}.{kind}.onnx")
        print(f"{path}: {save(model, path)} bytes")


if __name__ == "__main__":
    main()
