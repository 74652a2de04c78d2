#!/usr/bin/python3
"""A Keras MobileNetV2 as tf2onnx writes it (opset 13), built with onnx.helper and random weights.

What makes it tf2onnx-like (and what qcv's importer must handle):
- an NHWC input [N,H,W,3] followed by Transpose(perm 0,3,1,2);
- Keras ZeroPadding2D before each stride-2 conv as an explicit Pad node (pads an initializer
  input), the Conv itself with pads 0 (Keras 'valid'); 'same' convs carry explicit pads;
- BatchNormalization left unfused after every Conv (no conv bias);
- ReLU6 as Clip with min/max initializers;
- the pooled features flattened by a Reshape whose target is Shape -> Slice -> Concat;
- GlobalAveragePooling2D as ReduceMean over H,W with keepdims 0 (or GlobalAveragePool, --pool gap);
- a Dense head as MatMul + Add and a Softmax;
- tf2onnx's names ("StatefulPartitionedCall/model/block_1_expand/Conv2D", ...).

Usage: make_keras_style.py [--width 1.0] [--resolution 224] [--classes 1000] [--out DIR] [--small]
--small: width 0.25, 32x32, 10 classes, the first 3 stages with at most 2 blocks each and 32 last
channels (a file of a few tens of KB for CTest, still with every kind of node).
"""
import argparse
import os

import numpy as np
from onnx import TensorProto, helper

from gallery_util import Builder, make_divisible, save
from numpy_eval import random_images

P = "StatefulPartitionedCall/model"
# (expansion, output channels, repeats, first stride): Keras' MobileNetV2 table.
BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
          (6, 160, 3, 2), (6, 320, 1, 1)]


class KerasStyle(Builder):
    def __init__(self, seed, input_name, images):
        super().__init__(seed, input_name, images)
        self.const_id = 0

    def const(self, array):
        """A tf2onnx-style anonymous constant ("const_fold_opt__12", "Relu6__5:0")."""
        self.const_id += 1
        return self.init(f"const_fold_opt__{self.const_id}", array)

    def zero_pad(self, x, layer, size):
        # Keras' correct_pad for a 3x3 stride-2 conv: ((0,1),(0,1)) on even sizes, ((1,1),(1,1)) on odd.
        lo = 0 if size % 2 == 0 else 1
        pads = self.init(f"{P}/{layer}/Pad/paddings:0", np.array([0, 0, lo, lo, 0, 0, 1, 1], np.int64))
        return self.node("Pad", [x, pads], f"{P}/{layer}/Pad:0", f"{P}/{layer}/Pad", mode="constant")

    def conv_bn(self, x, conv, bn, cin, cout, k, stride, group=1, same=True, gamma=(0.5, 1.5)):
        w = self.conv_weight(f"{P}/{conv}/Conv2D/ReadVariableOp:0", cout, cin // group, k)
        op = "depthwise" if group > 1 else "Conv2D"
        p = (k - 1) // 2 if same and stride == 1 else 0
        y = self.node("Conv", [x, w], f"{P}/{conv}/{op}:0", f"{P}/{conv}/{op}", group=group,
                      kernel_shape=[k, k], strides=[stride, stride], pads=[p, p, p, p],
                      dilations=[1, 1])
        params = self.bn_params(y, f"{P}/{bn}/FusedBatchNormV3", cout,
                                names=("ReadVariableOp:0", "ReadVariableOp_1:0",
                                       "FusedBatchNormV3/ReadVariableOp:0",
                                       "FusedBatchNormV3/ReadVariableOp_1:0"), gamma=gamma)
        return self.node("BatchNormalization", [y] + params, f"{P}/{bn}/FusedBatchNormV3:0",
                         f"{P}/{bn}/FusedBatchNormV3", epsilon=0.001, momentum=0.99)

    def relu6(self, x, layer):
        self.const_id += 1
        lo = self.init(f"zero__{self.const_id}", np.array(0, np.float32))
        hi = self.init(f"Relu6__{self.const_id}:0", np.array(6, np.float32))
        return self.node("Clip", [x, lo, hi], f"{P}/{layer}/Relu6:0", f"{P}/{layer}/Relu6")


def build(args):
    res, alpha = args.resolution, args.width
    b = KerasStyle(args.seed, "input_1", random_images(args.calib_images, res, args.seed, nhwc=True))
    x = b.node("Transpose", ["input_1"], f"{P}/Conv1/Conv2D__6:0", f"{P}/Conv1/Conv2D__6",
               perm=[0, 3, 1, 2])
    c = make_divisible(32 * alpha)
    x = b.zero_pad(x, "Conv1_pad", res)
    x = b.relu6(b.conv_bn(x, "Conv1", "bn_Conv1", 3, c, 3, 2, same=False), "Conv1_relu")
    size = (res - 1) // 2 + 1
    block = 0
    for t, out, n, s in BLOCKS[:args.stages]:
        n = min(n, args.max_repeats)
        for i in range(n):
            stride = s if i == 0 else 1
            cout = make_divisible(out * alpha)
            name = "expanded_conv" if block == 0 else f"block_{block}"
            y = x
            e = c * t
            if t != 1:
                y = b.relu6(b.conv_bn(y, f"{name}_expand", f"{name}_expand_BN", c, e, 1, 1),
                            f"{name}_expand_relu")
            if stride == 2:
                y = b.zero_pad(y, f"{name}_pad", size)
                size = (size - 1) // 2 + 1
            dw = f"{name}_depthwise" if block else "expanded_conv_depthwise"
            y = b.relu6(b.conv_bn(y, dw, f"{dw}_BN", e, e, 3, stride, group=e, same=stride == 1),
                        f"{dw}_relu")
            y = b.conv_bn(y, f"{name}_project", f"{name}_project_BN", e, cout, 1, 1, gamma=(0.1, 0.3))
            if stride == 1 and c == cout:
                y = b.node("Add", [x, y], f"{P}/{name}_add/add:0", f"{P}/{name}_add/add")
            x, c = y, cout
            block += 1
    last = args.last_channels or (make_divisible(1280 * alpha) if alpha > 1.0 else 1280)
    x = b.relu6(b.conv_bn(x, "Conv_1", "Conv_1_bn", c, last, 1, 1), "out_relu")
    gap = f"{P}/global_average_pooling2d/Mean"
    if args.pool == "gap":
        x = b.node("GlobalAveragePool", [x], gap + ":0", gap)
    else:
        x = b.node("ReduceMean", [x], gap + ":0", gap, axes=[2, 3], keepdims=0)
    # Flatten as tf2onnx writes a dynamic Reshape: [Shape(x)[0:1], -1].
    shape = b.node("Shape", [x], f"{P}/flatten/Shape:0", f"{P}/flatten/Shape")
    n = b.node("Slice", [shape, b.const(np.array([0], np.int64)), b.const(np.array([1], np.int64)),
                         b.const(np.array([0], np.int64))],
               f"{P}/flatten/strided_slice:0", f"{P}/flatten/strided_slice")
    target = b.node("Concat", [n, b.const(np.array([-1], np.int64))], f"{P}/flatten/Reshape/shape_Concat__30:0",
                    f"{P}/flatten/Reshape/shape_Concat__30", axis=0)
    x = b.node("Reshape", [x, target], f"{P}/flatten/Reshape:0", f"{P}/flatten/Reshape")
    w, bias = b.dense(x, f"{P}/predictions/MatMul/ReadVariableOp:0",
                      f"{P}/predictions/BiasAdd/ReadVariableOp:0", last, args.classes)
    x = b.node("MatMul", [x, w], f"{P}/predictions/MatMul:0", f"{P}/predictions/MatMul")
    x = b.node("Add", [x, bias], f"{P}/predictions/BiasAdd:0", f"{P}/predictions/BiasAdd")
    b.node("Softmax", [x], "predictions", f"{P}/predictions/Softmax", axis=-1)
    inputs = [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__615", res, res, 3])]
    outputs = [helper.make_tensor_value_info("predictions", TensorProto.FLOAT, ["unk__616", args.classes])]
    return b.model("tf2onnx", inputs, outputs, 13, "tf2onnx", "1.9.3 1190aa")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--last-channels", type=int, default=0)
    p.add_argument("--max-repeats", type=int, default=99)
    p.add_argument("--stages", type=int, default=len(BLOCKS), help="use the first N stages")
    p.add_argument("--pool", choices=["reducemean", "gap"], default="reducemean")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calib-images", type=int, default=8, help="images that fit BN and the head")
    p.add_argument("--out", default=".")
    p.add_argument("--small", action="store_true")
    args = p.parse_args()
    if args.small:
        args.width, args.resolution, args.classes = 0.25, 32, 10
        args.max_repeats, args.stages, args.last_channels = 2, 3, 32
    os.makedirs(args.out, exist_ok=True)
    tag = "small" if args.small else f"{args.width:g}_{args.resolution}"
    path = os.path.join(args.out, f"keras_mobilenet_v2_{tag}.onnx")
    size = save(build(args), path)
    print(f"{path}: {size} bytes")


if __name__ == "__main__":
    main()
