"""Corrupt, truncated and huge-claiming ONNX files through info, optimize, run and bench
(owner: tensors, except the 10,000-node plan: runtime, issue 16)."""
import os
import random

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from common import (Case, files, fixture, model_bytes, npy_of, pb_field, replace_initializer,
                    tensor_proto, tiny_classifier, vi, world)

HUGE = 1 << 20


def external(name, dims, location, offset=None, length=None):
    t = TensorProto(name=name, dims=dims, data_type=TensorProto.FLOAT,
                    data_location=TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t.SerializeToString()


def chain(n, op="Relu"):
    nodes = [helper.make_node(op, [f"t{i}"], [f"t{i + 1}"]) for i in range(n)]
    return model_bytes(nodes, [vi("t0", [1, 1, 8, 8])], [vi(f"t{n}", [1, 1, 8, 8])])


def constant_op(op_nodes, inits, out_shape):
    """A model whose output comes from ops on constants only (constant folding's work)."""
    x = helper.make_node("Identity", ["x"], ["unused"])
    return model_bytes([x] + op_nodes, [vi("x", [1, 1, 8, 8])], [vi("y", out_shape)], inits)


def nested_if(depth):
    """An If whose then-branch holds an If ... `depth` levels deep."""
    out = vi("y", [1])
    leaf = helper.make_graph([helper.make_node("Constant", [], ["y"], value=numpy_helper.from_array(
        np.array([1.0], np.float32)))], "leaf", [], [out])
    inner = leaf
    for level in range(depth):  # only then-branches nest: the file stays linear in depth
        node = helper.make_node("If", ["c"], ["y"], then_branch=inner, else_branch=leaf)
        inner = helper.make_graph([node], f"g{level}", [], [out])
    graph = helper.make_graph(list(inner.node), "top", [vi("c", [], TensorProto.BOOL)], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def cases(fx):
    w = world(fx)
    good = open(w["m.onnx"], "rb").read()
    rng = random.Random(15)
    G = lambda proto: replace_initializer(good, "G", proto)  # noqa: E731
    bad = {
        "empty": b"",
        "text": b"this is not an ONNX model\n",
        "random": bytes(rng.getrandbits(8) for _ in range(4096)),
        "truncated-half": good[: len(good) // 2],
        "truncated-10": good[:10],
        "truncated-last-byte": good[:-1],
        "init-claims-4gb": G(tensor_proto("G", [HUGE, 1, 32, 32], raw=b"")),
        "init-claims-4gb-no-data": G(tensor_proto("G", [HUGE, 1, 32, 32], raw=None)),
        "init-dims-wrap-int64": G(tensor_proto("G", [1 << 32, 1 << 32, 4], raw=bytes(16))),
        "init-dims-wrap-to-40": G(tensor_proto("G", [1 << 62, 4, 10], raw=bytes(160))),
        "init-dim-negative": G(tensor_proto("G", [-4, -10], raw=bytes(160))),
        "init-raw-short": G(tensor_proto("G", [4, 10], raw=bytes(12))),
        "init-raw-long": G(tensor_proto("G", [4, 10], raw=bytes(400))),
        "init-float-data-short": G(tensor_proto("G", [4, 10], raw=None,
                                                extra=pb_field(4, bytes(12)))),
        "init-dtype-99": G(tensor_proto("G", [4, 10], data_type=99, raw=bytes(160))),
        "init-dtype-string": G(tensor_proto("G", [4, 10], data_type=TensorProto.STRING, raw=None)),
        "external-escapes-folder": G(external("G", [4, 10], "../secret.bin")),
        "external-absolute": G(external("G", [4, 10], "/etc/hostname")),
        "external-missing": G(external("G", [4, 10], "nowhere.bin")),
        "external-offset-past-end": G(external("G", [4, 10], "w.bin", offset=1 << 40, length=160)),
        "external-length-huge": G(external("G", [4, 10], "w.bin", offset=0, length=1 << 62)),
        "external-claims-4gb": G(external("G", [HUGE, 1, 32, 32], "w.bin")),
        "external-is-directory": G(external("G", [4, 10], "sub")),
    }
    m = {k: v for k, v in w.items() if k in ("x.npy",)}
    extra = {"secret.bin": bytes(160), "in/w.bin": bytes(160)}

    def mk_dir(folder):
        os.makedirs(os.path.join(folder, "in", "sub"), exist_ok=True)

    out = []
    commands = {
        "info": (["info", "in/m.onnx"], None),
        "optimize": (["optimize", "in/m.onnx", "-o", "out/o.onnx"], None),
        "run": (["run", "in/m.onnx", "-i", "x.npy", "-o", "out/y.npy"], None),
        "export-tflite": (["export-tflite", "in/m.onnx", "-o", "out/o.tflite"], None),
    }
    for name, data in bad.items():
        for cmd, (args, _) in commands.items():
            out.append(Case(f"onnx/{name}/{cmd}", "tensors", args,
                            files({**m, **extra, "in/m.onnx": data}, mk_dir), names=["m.onnx"]))
    for name in ("init-claims-4gb", "init-dims-wrap-int64", "random", "truncated-half"):
        out.append(Case(f"onnx/{name}/bench", "tensors",
                        ["bench", "in/m.onnx", "--iters", "1", "--warmup", "0"],
                        files({"in/m.onnx": bad[name]}), names=["m.onnx"]))

    # Directories and missing files given as the model.
    for cmd, args in commands.items():
        out.append(Case(f"onnx/directory-as-model/{cmd}", "tensors", args[0],
                        files(m, lambda d: os.makedirs(os.path.join(d, "in", "m.onnx"))),
                        names=["m.onnx"]))
        out.append(Case(f"onnx/missing-model/{cmd}", "tensors", args[0], files(m), names=["m.onnx"]))

    # Graph structure.
    relu = helper.make_node("Relu", ["x"], ["y"])
    io = ([vi("x", [1, 1, 8, 8])], [vi("y", [1, 1, 8, 8])])
    structural = {
        "duplicate-graph-inputs": model_bytes([relu], [vi("x", [1, 1, 8, 8])] * 2, io[1]),
        "undefined-node-input": model_bytes([helper.make_node("Add", ["x", "ghost"], ["y"])], *io),
        "cycle": model_bytes([helper.make_node("Add", ["x", "b"], ["a"]),
                              helper.make_node("Relu", ["a"], ["b"]),
                              helper.make_node("Relu", ["a"], ["y"])], *io),
        "two-producers": model_bytes([relu, helper.make_node("Sigmoid", ["x"], ["y"])], *io),
        "unknown-op": model_bytes([helper.make_node("FrobnicateFast", ["x"], ["y"])], *io),
        "opset-99": model_bytes([relu], *io, opset=99),
        "conv-stride-0": model_bytes([helper.make_node("Conv", ["x", "W"], ["y"], strides=[0, 0])],
                                     *io, [numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "W")]),
        "conv-group-0": model_bytes([helper.make_node("Conv", ["x", "W"], ["y"], group=0)], *io,
                                    [numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "W")]),
        "conv-weight-rank-1": model_bytes([helper.make_node("Conv", ["x", "W"], ["y"])], *io,
                                          [numpy_helper.from_array(np.ones(3, np.float32), "W")]),
        "maxpool-kernel-huge": model_bytes([helper.make_node("MaxPool", ["x"], ["y"],
                                                             kernel_shape=[1 << 40, 1 << 40])], *io),
        "pads-huge": model_bytes([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1],
                                                   pads=[1 << 40] * 4)], *io),
        "nested-if-200": nested_if(200),
    }
    for name, data in structural.items():
        for cmd, (args, _) in commands.items():
            out.append(Case(f"onnx/{name}/{cmd}", "tensors", args,
                            files({**m, "in/m.onnx": data}), names=["m.onnx"]))

    # Constant subgraphs that would fold into gigabytes: their output exceeds the tensor ceiling
    # (QCV_MAX_TENSOR_BYTES, 4 GiB), so every command refuses the file at load, before folding or
    # allocating anything, naming the file.
    shape16g = numpy_helper.from_array(np.array([65536, 65536], np.int64), "s")
    folds = {
        "fold-constantofshape-16gb": constant_op(
            [helper.make_node("ConstantOfShape", ["s"], ["y"])], [shape16g], [65536, 65536]),
        "fold-expand-16gb": constant_op(
            [helper.make_node("Expand", ["one", "s"], ["y"])],
            [numpy_helper.from_array(np.ones((1, 1), np.float32), "one"), shape16g], [65536, 65536]),
        "fold-tile-16gb": constant_op(
            [helper.make_node("Tile", ["one", "s"], ["y"])],
            [numpy_helper.from_array(np.ones((1, 1), np.float32), "one"), shape16g], [65536, 65536]),
        "fold-range-1e12": constant_op(
            [helper.make_node("Range", ["a", "b", "d"], ["y"])],
            [numpy_helper.from_array(np.array(0, np.float32), "a"),
             numpy_helper.from_array(np.array(1e12, np.float32), "b"),
             numpy_helper.from_array(np.array(1, np.float32), "d")], [-1]),
    }
    # A shape whose element count overflows int64 is not a model: refused everywhere.
    wraps = constant_op([helper.make_node("ConstantOfShape", ["s"], ["y"])],
                        [numpy_helper.from_array(np.array([1 << 32, 1 << 32, 4], np.int64), "s")],
                        [-1, -1, -1])
    for cmd, (args, _) in commands.items():
        out.append(Case(f"onnx/fold-shape-wraps-int64/{cmd}", "tensors", args,
                        files({**m, "in/m.onnx": wraps}), names=["m.onnx"]))
    for name, data in folds.items():
        out.append(Case(f"onnx/{name}/info", "tensors", ["info", "in/m.onnx"],
                        files({"in/m.onnx": data}), names=["m.onnx"]))
        out.append(Case(f"onnx/{name}/optimize", "tensors", ["optimize", "in/m.onnx", "-o",
                                                               "out/o.onnx"],
                        files({"in/m.onnx": data}), names=["m.onnx"]))
        out.append(Case(f"onnx/{name}/run", "tensors", ["run", "in/m.onnx", "-i", "x.npy", "-o",
                                                          "out/y.npy"],
                        files({**m, "in/m.onnx": data}), names=["m.onnx", "y"]))

    # Ceilings set by the environment.
    big = model_bytes([helper.make_node("Add", ["x", "c"], ["y"])], *io,
                      [numpy_helper.from_array(np.ones((16, 1, 8, 8), np.float32), "c")])
    out.append(Case("onnx/ceiling-tensor-bytes/info", "tensors", ["info", "in/m.onnx"],
                    files({"in/m.onnx": big}), env={"QCV_MAX_TENSOR_BYTES": "1000"},
                    names=["m.onnx"]))
    out.append(Case("onnx/ceiling-graph-nodes/info", "tensors", ["info", "in/m.onnx"],
                    files({"in/m.onnx": chain(200)}), env={"QCV_MAX_GRAPH_NODES": "100"},
                    names=["m.onnx"]))
    out.append(Case("onnx/ceiling-graph-nodes/run", "tensors",
                    ["run", "in/m.onnx", "-i", "x.npy", "-o", "out/y.npy"],
                    files({**m, "in/m.onnx": chain(200)}), env={"QCV_MAX_GRAPH_NODES": "100"},
                    names=["m.onnx"]))
    # 10,000 nodes: valid, must load and run in seconds (planning was cubic in nodes).
    x = np.load(w["x.npy"])
    expect = np.maximum(x, 0)
    out.append(Case("onnx/nodes-10000/info", "tensors", ["info", "in/m.onnx"],
                    files({"in/m.onnx": fixture(fx, "chain10k.onnx", lambda: chain(10000))}), rc=0))
    out.append(Case("onnx/nodes-10000/run", "runtime", ["run", "in/m.onnx", "-i", "x.npy", "-o",
                                                          "out/y.npy"],
                    files({**m, "in/m.onnx": fixture(fx, "chain10k.onnx", lambda: chain(10000))}),
                    rc=0, outputs=["out/y.npy"], timeout=10,
                    check=lambda d, _: None if np.array_equal(np.load(os.path.join(d, "out/y.npy")),
                                                              expect) else "wrong output"))
    # Valid but unusual graphs (no compute nodes): numpy's answer, or one clean refusal.
    ident = model_bytes([], [vi("x", [1, 1, 8, 8])], [vi("x", [1, 1, 8, 8])])
    out.append(Case("onnx/output-is-input/run", "tensors",
                    ["run", "in/m.onnx", "-i", "x.npy", "-o", "out/y.npy"],
                    files({**m, "in/m.onnx": ident}), rc=(0, 1), outputs=["out/y.npy"], names=["m.onnx"],
                    check=lambda d, _: None if np.array_equal(np.load(os.path.join(d, "out/y.npy")),
                                                              x) else "output differs from input"))
    const = np.arange(6, dtype=np.float32).reshape(2, 3)
    only_init = model_bytes([helper.make_node("Identity", ["c"], ["y"])], [vi("x", [1, 1, 8, 8])],
                            [vi("y", [2, 3])], [numpy_helper.from_array(const, "c")])
    out.append(Case("onnx/output-from-initializer/run", "tensors",
                    ["run", "in/m.onnx", "-i", "x.npy", "-o", "out/y.npy"],
                    files({**m, "in/m.onnx": only_init}), rc=(0, 1), outputs=["out/y.npy"],
                    names=["m.onnx"],
                    check=lambda d, _: None if np.array_equal(np.load(os.path.join(d, "out/y.npy")),
                                                              const) else "wrong constant output"))
    return out
