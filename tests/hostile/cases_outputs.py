"""Output names taken from files must not become paths outside the output folder; outputs are
written atomically and leave no temp file, also when interrupted (owner: paths)."""
import os
import signal

import numpy as np
from onnx import helper

from common import Case, affine_model, files, model_bytes, vi, world


def two_outputs(name):
    nodes = [helper.make_node("Relu", ["x"], ["ok"]), helper.make_node("Neg", ["x"], [name])]
    return model_bytes(nodes, [vi("x", [1, 1, 8, 8])], [vi("ok", [1, 1, 8, 8]), vi(name, [1, 1, 8, 8])])


def inside(folder, _):
    """rc 0: every new file is a direct child of out/d (the runner already refused others)."""
    d = os.path.join(folder, "out/d")
    names = os.listdir(d)
    if len(names) != 2:
        return f"expected 2 outputs in out/d, found {sorted(names)}"
    for root, dirs, _files in os.walk(d):
        if dirs:
            return f"output made folders inside out/d: {dirs}"
    return None


def cases(fx):
    w = world(fx)
    x = {"x.npy": w["x.npy"]}
    out = []
    # (out/d/../../x is still inside the case folder, where the runner sees every write.)
    names = {"dotdot": "../x", "dotdot-deep": "../../x", "slash": "a/b", "dot": ".",
             "dotdot-only": "..", "empty": "", "nul": "a\0b", "newline": "a\nb", "long": "n" * 300,
             "absolute": "@ABS@/escaped", "backslash": "..\\x"}
    for key, name in names.items():
        def setup(folder, name=name):
            real = name.replace("@ABS@", folder)
            files({**x, "m.onnx": two_outputs(real)})(folder)
            os.makedirs(os.path.join(folder, "out/d"))
        out.append(Case(f"output-names/{key}", "paths", ["run", "m.onnx", "-i", "x.npy", "-o", "out/d"],
                        setup, rc=(0, 1), outputs=["out/d/*"], check=inside,
                        names=["m.onnx", "output", name.replace("@ABS@", "")]))
    # Two names that one sanitizer could map to the same file must not overwrite each other.
    out.append(Case("output-names/collide", "paths", ["run", "m.onnx", "-i", "x.npy", "-o", "out/d"],
                    files({**x, "m.onnx": model_bytes(
                        [helper.make_node("Relu", ["x"], ["a/b"]), helper.make_node("Neg", ["x"], ["a_b"])],
                        [vi("x", [1, 1, 8, 8])], [vi("a/b", [1, 1, 8, 8]), vi("a_b", [1, 1, 8, 8])])},
                          lambda d: os.makedirs(os.path.join(d, "out/d"))),
                    rc=(0, 1), outputs=["out/d/*"], check=inside, names=["m.onnx", "a/b", "a_b"]))

    # Output paths the user gives that cannot be written.
    m = {"m.onnx": w["m.onnx"]}
    for key, args, names in [
            ("optimize-into-directory", ["optimize", "m.onnx", "-o", "out"], ["out"]),
            ("optimize-missing-parent", ["optimize", "m.onnx", "-o", "out/no/such/o.onnx"], ["o.onnx", "out/no"]),
            ("export-into-directory", ["export", "--model", "resnet18", "--resolution", "32", "-o", "out"], ["out"]),
            ("ptq-report-missing-parent", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                            "--report", "out/no/r.json"], ["r.json", "out/no"])]:
        out.append(Case(f"output-paths/{key}", "paths", args, files(w), names=names))
    # Writing over the input is valid: the result must be a working model.
    out.append(Case("output-paths/optimize-in-place", "paths", ["optimize", "m.onnx", "-o", "m.onnx"],
                    files(m), rc=0, outputs=["m.onnx"],
                    check=lambda d, _: None if os.path.getsize(os.path.join(d, "m.onnx")) > 100 else "empty"))
    # A stale temp file of the same output (left by a killed run: its PID is gone) is removed by
    # the next run. qcv's temporaries are named .NAME.qcv-tmp.PID.N.
    for stale in (".o.onnx.qcv-tmp.99999.0", ".o.onnx.qcv-tmp.3999999.1"):
        out.append(Case(f"temp-files/stale-{stale}", "paths", ["optimize", "m.onnx", "-o", "out/o.onnx"],
                        files({**m, f"out/{stale}": b"half a model"}), rc=0, outputs=["out/o.onnx"],
                        check=lambda d, _, s=stale: f"stale {s} kept" if os.path.exists(
                            os.path.join(d, "out", s)) else None))
    # Interrupted while writing: the temp file must go (exit code: the signal's, or 1).
    for sig in (signal.SIGINT, signal.SIGTERM):
        out.append(Case(f"temp-files/{signal.Signals(sig).name.lower()}-during-export", "paths",
                        ["export", "--model", "resnet50", "--resolution", "32", "-o", "out/big.onnx"],
                        files({}), rc=(1, 130, 143, -2, -15), signal_on_temp=sig, names=["big.onnx", "signal",
                                                                                       "interrupt"],
                        timeout=60))
    return out
