"""Hostile .npy and TensorProto .pb inputs to `qcv run` (owner: tensors). The model is y = 2x + 1,
so a valid-but-unusual file must give numpy's answer."""
import os

import numpy as np
from onnx import TensorProto, numpy_helper

from common import Case, affine_model, files, fixture, npy_bytes, npy_of, pb_field, tensor_proto

X = np.arange(64, dtype=np.float32).reshape(1, 1, 8, 8) / 7
HDR = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"


def expect_affine(folder, _):
    y = np.load(os.path.join(folder, "out/y.npy"))
    return None if y.shape == X.shape and np.allclose(y, 2 * X + 1) else f"wrong output {y.shape}"


def cases(fx):
    model = fixture(fx, "affine.onnx", affine_model)
    payload = X.tobytes()
    npy = {
        "bad-magic": b"\x93NUMPZ\x01\x00" + npy_bytes(HDR % "(1, 1, 8, 8)", payload)[8:],
        "empty": b"",
        "magic-only": b"\x93NUMPY",
        "header-len-past-end": b"\x93NUMPY\x01\x00\xff\xff{'descr'",
        "v2-header-len-4gb": b"\x93NUMPY\x02\x00\xff\xff\xff\xff{'descr': '<f4'",
        "version-9": b"\x93NUMPY\x09\x00" + npy_bytes(HDR % "(1, 1, 8, 8)", payload)[8:],
        "no-descr": npy_bytes("{'fortran_order': False, 'shape': (1, 1, 8, 8), }", payload),
        "no-shape": npy_bytes("{'descr': '<f4', 'fortran_order': False, }", payload),
        "fortran-order": npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 8, 8), }",
                                   payload),
        "descr-complex": npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1, 8, 8), }",
                                   payload * 2),
        "descr-big-endian": npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }",
                                      X.astype(">f4").tobytes()),
        "descr-object": npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (1, 1, 8, 8), }",
                                  payload * 2),
        "shape-claims-4gb": npy_bytes(HDR % "(1048576, 1, 32, 32)"),
        "shape-wraps-int64": npy_bytes(HDR % "(4294967296, 4294967296, 1, 1)", payload),
        "shape-wraps-to-64": npy_bytes(HDR % "(4611686018427387904, 1, 8, 8)", payload),
        "shape-negative": npy_bytes(HDR % "(-1, 1, 8, 8)", payload),
        "shape-fraction": npy_bytes(HDR % "(1, 1, 8.9, 8)", payload),
        "shape-text": npy_bytes(HDR % "(1, 1, eight, 8)", payload),
        "shape-unclosed": npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8",
                                    payload),
        "shape-99-dims": npy_bytes(HDR % ("(" + "1, " * 99 + ")"), payload[:4]),
        "shape-int-overflow": npy_bytes(HDR % "(1, 1, 99999999999999999999999, 8)", payload),
        "payload-truncated": npy_bytes(HDR % "(1, 1, 8, 8)", payload[:100]),
        "payload-none": npy_bytes(HDR % "(1, 1, 8, 8)"),
        "shape-mismatch": npy_bytes(HDR % "(1, 1, 9, 7)", payload[:252]),
        "rank-mismatch": npy_bytes(HDR % "(64,)", payload),
        "dtype-int64": npy_of(np.zeros((1, 1, 8, 8), np.int64)),
    }
    out = []
    for name, data in npy.items():
        out.append(Case(f"npy/{name}", "tensors", ["run", "m.onnx", "-i", "in/x.npy", "-o", "out/y.npy"],
                        files({"m.onnx": model, "in/x.npy": data}), names=["x.npy"]))
    # Valid files written by other tools in other ways: the answer must be numpy's.
    weird = {
        "keys-reordered": npy_bytes("{'shape': (1, 1, 8, 8), 'fortran_order': False, 'descr': '<f4'}",
                                    payload),
        "no-spaces": npy_bytes("{'descr':'<f4','fortran_order':False,'shape':(1,1,8,8)}", payload),
        "version-2": npy_of(X, version=2),
        "version-3": npy_of(X, version=3),
        "trailing-comma-shape": npy_bytes(HDR % "(1, 1, 8, 8,)", payload),
    }
    for name, data in weird.items():
        out.append(Case(f"npy/valid-{name}", "tensors", ["run", "m.onnx", "-i", "in/x.npy", "-o",
                                                          "out/y.npy"],
                        files({"m.onnx": model, "in/x.npy": data}), rc=0, outputs=["out/y.npy"],
                        check=expect_affine))

    dims = [1, 1, 8, 8]
    pb = {
        "empty": b"",
        "random": bytes((i * 97 + 13) % 256 for i in range(300)),
        "truncated": tensor_proto("x", dims, raw=payload)[:-50],
        "claims-4gb": tensor_proto("x", [1 << 20, 1, 32, 32], raw=b""),
        "claims-4gb-float-data": tensor_proto("x", [1 << 20, 1, 32, 32], raw=None,
                                              extra=pb_field(4, bytes(8))),
        "dims-wrap-int64": tensor_proto("x", [1 << 32, 1 << 32, 1, 1], raw=payload),
        "dims-negative": tensor_proto("x", [-1, 1, 8, 8], raw=payload),
        "raw-short": tensor_proto("x", dims, raw=payload[:10]),
        "raw-long": tensor_proto("x", dims, raw=payload * 2),
        "dtype-99": tensor_proto("x", dims, data_type=99, raw=payload),
        "dtype-undefined": tensor_proto("x", dims, data_type=0, raw=payload),
        "external-escape": (lambda t: t.SerializeToString())(_external()),
        "shape-mismatch": tensor_proto("x", [1, 1, 4, 16], raw=payload),
    }
    for name, data in pb.items():
        out.append(Case(f"pb/{name}", "tensors", ["run", "m.onnx", "-i", "in/x.pb", "-o", "out/y.npy"],
                        files({"m.onnx": model, "in/x.pb": data, "secret.bin": payload}),
                        names=["x.pb"]))
    out.append(Case("pb/valid", "tensors", ["run", "m.onnx", "-i", "in/x.pb", "-o", "out/y.npy"],
                    files({"m.onnx": model,
                           "in/x.pb": numpy_helper.from_array(X, "x").SerializeToString()}),
                    rc=0, outputs=["out/y.npy"], check=expect_affine))
    out.append(Case("pb/valid-float-data", "tensors", ["run", "m.onnx", "-i", "in/x.pb", "-o",
                                                        "out/y.npy"],
                    files({"m.onnx": model, "in/x.pb": _float_data()}), rc=0,
                    outputs=["out/y.npy"], check=expect_affine))

    # How the inputs are named on the command line.
    good = npy_of(X)
    base = {"m.onnx": model, "in/x.npy": good}
    for name, args, names, rc in [
            ("unknown-input-name", ["-i", "nope=in/x.npy"], ["nope"], 1),
            ("empty-file-name", ["-i", "x="], ["x=", "--input"], 1),
            ("input-twice", ["-i", "x=in/x.npy", "-i", "x=in/x.npy"], ["x"], 2),
            ("missing-input-file", ["-i", "in/none.npy"], ["none.npy"], 1),
            ("directory-as-input", ["-i", "in"], ["in"], 1),
            ("unknown-extension", ["-i", "m.onnx"], ["m.onnx"], 1),
            ("no-input", [], ["x", "--input"], 2)]:
        out.append(Case(f"run-inputs/{name}", "tensors",
                        ["run", "m.onnx"] + args + ["-o", "out/y.npy"], files(base), rc=rc,
                        names=names))
    return out


def _external():
    t = TensorProto(name="x", dims=[1, 1, 8, 8], data_type=TensorProto.FLOAT,
                    data_location=TensorProto.EXTERNAL)
    entry = t.external_data.add()
    entry.key, entry.value = "location", "../secret.bin"
    return t


def _float_data():
    t = TensorProto(name="x", dims=[1, 1, 8, 8], data_type=TensorProto.FLOAT)
    t.float_data.extend(X.ravel().tolist())
    return t.SerializeToString()
