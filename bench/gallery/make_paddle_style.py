#!/usr/bin/python3
"""A PaddleClas MobileNetV3-Large as paddle2onnx writes it at opset 9, built with onnx.helper and
random weights.

What makes it paddle2onnx-like (and what qcv's importer must handle):
- opset 9 op versions: BatchNormalization-9, Clip with min/max attributes, Slice and Unsqueeze with
  attributes, Softmax-1 (2-D coercion);
- hard-swish as Mul(x, HardSigmoid(x)) (alpha 1/6, beta 0.5) or, with --hswish clip, as
  x * Clip(x + 3, 0, 6) / 6;
- squeeze-excite as GlobalAveragePool -> Conv -> Relu -> Conv -> HardSigmoid(slope 0.2) -> Mul;
- Conv with a bias input and BatchNormalization after the convs of each block;
- a Flatten -> MatMul -> Add head, then a Reshape whose target is computed at run time from
  Shape -> Slice -> Cast and an Unsqueeze'd constant, Concat'ed;
- Paddle's tensor names ("conv2d_3.tmp_0", "batch_norm_3.tmp_2", "hardswish_2.tmp_0", ...).

Usage: make_paddle_style.py [--scale 1.0] [--resolution 224] [--classes 1000] [--out DIR] [--small]
--small: scale 0.25, 32x32, 10 classes, 5 blocks (one of each kind), 64 last and 32 head channels.
"""
import argparse
import os

import numpy as np
from onnx import TensorProto, helper

from gallery_util import Builder, make_divisible, save
from numpy_eval import random_images

# (kernel, expansion channels, output channels, squeeze-excite, activation, stride): PaddleClas'
# MobileNetV3-Large table.
LARGE = [(3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2),
         (3, 72, 24, False, "relu", 1), (5, 72, 40, True, "relu", 2),
         (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
         (3, 240, 80, False, "hardswish", 2), (3, 200, 80, False, "hardswish", 1),
         (3, 184, 80, False, "hardswish", 1), (3, 184, 80, False, "hardswish", 1),
         (3, 480, 112, True, "hardswish", 1), (3, 672, 112, True, "hardswish", 1),
         (5, 672, 160, True, "hardswish", 2), (5, 960, 160, True, "hardswish", 1),
         (5, 960, 160, True, "hardswish", 1)]
# One block of each kind: plain relu, strided, SE + relu + residual, hardswish, SE + hardswish.
SMALL = [LARGE[0], LARGE[1], (5, 72, 24, True, "relu", 1), LARGE[6], (3, 160, 80, True, "hardswish", 1)]


class PaddleStyle(Builder):
    def __init__(self, seed, hswish, images):
        super().__init__(seed, "x", images)
        self.count = {}
        self.hswish = hswish

    def tmp(self, kind, suffix="tmp_0"):
        """Paddle's variable names: a per-kind counter ("conv2d_7.tmp_0")."""
        i = self.count.get(kind, 0)
        self.count[kind] = i + 1
        return f"{kind}_{i}", f"{kind}_{i}.{suffix}"

    def conv(self, x, cin, cout, k, stride, group=1, bias=False):
        layer, out = self.tmp("conv2d")
        w = self.conv_weight(f"{layer}.w_0", cout, cin // group, k)
        ins = [x, w]
        if bias:
            ins.append(self.init(f"{layer}.b_0", self.rng.uniform(-0.1, 0.1, cout).astype(np.float32)))
        p = (k - 1) // 2
        return self.node("Conv", ins, out, layer, group=group, kernel_shape=[k, k],
                         strides=[stride, stride], pads=[p, p, p, p], dilations=[1, 1])

    def bn(self, x, c, gamma=(0.5, 1.5)):
        layer, out = self.tmp("batch_norm", "tmp_2")
        params = self.bn_params(x, layer, c, names=("w_0", "b_0", "w_1", "w_2"), gamma=gamma)
        return self.node("BatchNormalization", [x] + params, out, layer, epsilon=1e-5, momentum=0.9)

    def act(self, x, kind):
        if kind == "relu":
            layer, out = self.tmp("relu")
            return self.node("Relu", [x], out, layer)
        layer, out = self.tmp("hardswish")
        if self.hswish == "hardsigmoid":
            gate = self.node("HardSigmoid", [x], f"{layer}.hardsigmoid", f"{layer}.hs",
                             alpha=1.0 / 6, beta=0.5)
            return self.node("Mul", [x, gate], out, layer)
        three = self.init(f"{layer}.three", np.array(3, np.float32))
        six = self.init(f"{layer}.six", np.array(6, np.float32))
        s = self.node("Add", [x, three], f"{layer}.add", f"{layer}.add")
        s = self.node("Clip", [s], f"{layer}.clip", f"{layer}.clip", min=0.0, max=6.0)
        s = self.node("Mul", [x, s], f"{layer}.mul", f"{layer}.mul")
        return self.node("Div", [s, six], out, layer)

    def squeeze_excite(self, x, c):
        mid = make_divisible(c // 4)
        layer, pooled = self.tmp("pool2d")
        s = self.node("GlobalAveragePool", [x], pooled, layer)
        s = self.act(self.conv(s, c, mid, 1, 1, bias=True), "relu")
        s = self.conv(s, mid, c, 1, 1, bias=True)
        layer, out = self.tmp("hardsigmoid")
        s = self.node("HardSigmoid", [s], out, layer, alpha=0.2, beta=0.5)
        layer, out = self.tmp("elementwise_mul")
        return self.node("Mul", [x, s], out, layer)


def build(args):
    b = PaddleStyle(args.seed, args.hswish,
                    random_images(args.calib_images, args.resolution, args.seed))
    scale = args.scale
    c = make_divisible(16 * scale)
    x = b.act(b.bn(b.conv("x", 3, c, 3, 2), c), "hardswish")
    for k, exp, out, se, act, stride in (SMALL if args.small else LARGE):
        e, cout = make_divisible(exp * scale), make_divisible(out * scale)
        y = x
        if e != c:
            y = b.act(b.bn(b.conv(y, c, e, 1, 1), e), act)
        y = b.act(b.bn(b.conv(y, e, e, k, stride, group=e), e), act)
        if se:
            y = b.squeeze_excite(y, e)
        y = b.bn(b.conv(y, e, cout, 1, 1), cout, gamma=(0.1, 0.3))
        if stride == 1 and c == cout:
            layer, o = b.tmp("elementwise_add")
            y = b.node("Add", [x, y], o, layer)
        x, c = y, cout
    last = args.last_channels or make_divisible(960 * scale)
    x = b.act(b.bn(b.conv(x, c, last, 1, 1), last), "hardswish")
    layer, pooled = b.tmp("pool2d")
    x = b.node("GlobalAveragePool", [x], pooled, layer)
    head = args.head_channels
    x = b.act(b.conv(x, last, head, 1, 1, bias=True), "hardswish")
    layer, out = b.tmp("flatten")
    x = b.node("Flatten", [x], out, layer, axis=1)
    w, bias = b.dense(x, "fc_0.w_0", "fc_0.b_0", head, args.classes)
    layer, out = b.tmp("linear", "tmp_0")
    x = b.node("MatMul", [x, w], out, layer)
    layer, out = b.tmp("linear", "tmp_1")
    x = b.node("Add", [x, bias], out, layer)
    # Reshape to [batch, classes] with paddle2onnx's run-time shape arithmetic.
    shape = b.node("Shape", [x], "shape_0.tmp_0", "shape_0")
    batch = b.node("Slice", [shape], "slice_0.tmp_0", "slice_0", axes=[0], starts=[0], ends=[1])
    batch = b.node("Cast", [batch], "cast_0.tmp_0", "cast_0", to=TensorProto.INT64)
    classes = b.init("fill_constant_1.tmp_0", np.array(args.classes, np.int64))
    classes = b.node("Unsqueeze", [classes], "unsqueeze2_0.tmp_0", "unsqueeze2_0", axes=[0])
    target = b.node("Concat", [batch, classes], "concat_0.tmp_0", "concat_0", axis=0)
    x = b.node("Reshape", [x, target], "reshape2_0.tmp_0", "reshape2_0")
    b.node("Softmax", [x], "softmax_0.tmp_0", "softmax_0", axis=1)
    res = args.resolution
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3, res, res])]
    outputs = [helper.make_tensor_value_info("softmax_0.tmp_0", TensorProto.FLOAT, [-1, args.classes])]
    return b.model("paddle-onnx", inputs, outputs, 9, "PaddlePaddle", "2.4.1")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--head-channels", type=int, default=1280)
    p.add_argument("--last-channels", type=int, default=0)
    p.add_argument("--hswish", choices=["hardsigmoid", "clip"], default="hardsigmoid")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calib-images", type=int, default=8, help="images that fit BN and the head")
    p.add_argument("--out", default=".")
    p.add_argument("--small", action="store_true")
    args = p.parse_args()
    if args.small:
        args.scale, args.resolution, args.classes = 0.25, 32, 10
        args.last_channels, args.head_channels = 64, 32
    os.makedirs(args.out, exist_ok=True)
    tag = "small" if args.small else f"{args.scale:g}_{args.resolution}"
    suffix = "" if args.hswish == "hardsigmoid" else "_cliphs"
    path = os.path.join(args.out, f"paddle_mobilenet_v3_large_{tag}{suffix}.onnx")
    size = save(build(args), path)
    print(f"{path}: {size} bytes")


if __name__ == "__main__":
    main()
