#!/usr/bin/python3
"""Writes the crafted seeds of fuzz/corpus (the rest are copies of small ONNX test models):
models whose constants exercise folding and shape chains, and .npy/.pb tensors of each dtype."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))


def model(name, nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    onnx.save(m, os.path.join(here, "fuzz_onnx", name + ".onnx"))


def i64(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
# Constant chains that fold: ConstantOfShape -> Expand -> Tile -> Add.
model("fold_chain", [
    helper.make_node("ConstantOfShape", ["cs"], ["c"], value=numpy_helper.from_array(np.array([0.5], np.float32))),
    helper.make_node("Expand", ["c", "es"], ["e"]),
    helper.make_node("Tile", ["e", "reps"], ["t"]),
    helper.make_node("Add", ["x", "t"], ["y"]),
], [x], [y], [i64("cs", [1, 3, 1, 1]), i64("es", [1, 3, 4, 1]), i64("reps", [1, 1, 1, 4])])
# The exporters' dynamic-batch flatten: Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
model("shape_chain", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    helper.make_node("Unsqueeze", ["n", "ax"], ["nu"]),
    helper.make_node("Concat", ["nu", "minus1"], ["shape"], axis=0),
    helper.make_node("Reshape", ["x", "shape"], ["y"]),
], [x], [y], [i64("zero", 0), i64("ax", [0]), i64("minus1", [-1])])
# Conv + BatchNormalization + Relu with weights, and a Range feeding a Reshape.
w = np.arange(3 * 3 * 3 * 3, dtype=np.float32).reshape(3, 3, 3, 3) / 50
ones = np.ones(3, np.float32)
model("conv_bn_range", [
    helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["bn"]),
    helper.make_node("Relu", ["bn"], ["r"]),
    helper.make_node("Range", ["start", "limit", "delta"], ["rng"]),
    helper.make_node("Reshape", ["r", "rng"], ["y"]),
], [x], [y], [numpy_helper.from_array(w, "w"), numpy_helper.from_array(ones, "g"),
             numpy_helper.from_array(ones * 0, "b"), numpy_helper.from_array(ones * 0.1, "m"),
             numpy_helper.from_array(ones, "v"), i64("start", 1), i64("limit", 3), i64("delta", 1)])

npy = os.path.join(here, "fuzz_tensor")
np.save(os.path.join(npy, "f32_2x3.npy"), np.arange(6, dtype=np.float32).reshape(2, 3))
np.save(os.path.join(npy, "i64_scalar.npy"), np.array(7, dtype=np.int64))
np.save(os.path.join(npy, "bool_4.npy"), np.array([True, False, True, True]))
np.save(os.path.join(npy, "u8_empty.npy"), np.zeros((0, 3), np.uint8))
np.save(os.path.join(npy, "f64_1x1x2x2.npy"), np.ones((1, 1, 2, 2), np.float64))
np.lib.format.write_array(open(os.path.join(npy, "i16_v2.npy"), "wb"), np.arange(5, dtype=np.int16), version=(2, 0))
for name, arr in [("f32_2x2.pb", np.array([[1, -2], [3.5, 4]], np.float32)),
                  ("i64_3.pb", np.array([1, 2, 3], np.int64)), ("u8_2.pb", np.array([0, 255], np.uint8))]:
    open(os.path.join(npy, name), "wb").write(numpy_helper.from_array(arr, "t").SerializeToString())
# The typed-field form (float_data rather than raw_data) and a bool.
t = helper.make_tensor("typed", TensorProto.FLOAT, [2], [0.25, -1.0])
open(os.path.join(npy, "typed_float.pb"), "wb").write(t.SerializeToString())
t = helper.make_tensor("flags", TensorProto.BOOL, [3], [1, 0, 1])
open(os.path.join(npy, "typed_bool.pb"), "wb").write(t.SerializeToString())
# Hostile headers from issue 15: a 94-byte file claiming (2^20,1,32,32), a non-integer dimension.
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1, 32, 32), }"
data = b"\x93NUMPY\x01\x00" + bytes([len(hdr), 0]) + hdr.encode()
open(os.path.join(npy, "claims_4gib.npy"), "wb").write(data + b"\0" * (94 - len(data)))
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32.9, 32), }"
hdr += " " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + "\n"
open(os.path.join(npy, "fractional_dim.npy"), "wb").write(
    b"\x93NUMPY\x01\x00" + bytes([len(hdr), 0]) + hdr.encode() + b"\0" * 4096)
