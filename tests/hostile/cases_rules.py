"""Regression cases for the crash and wrong-answer classes of issue 15: info's input shapes, the
one top-1 rule (percent; first maximum wins, NaN rows are wrong) in eval (owner: clierr)."""
import json

import numpy as np

from common import Case, constant_model, files, idx, world


def top1(stdout):
    return json.loads(stdout)["top1"]


def cases(fx):
    w = world(fx)
    out = []
    # info used to print every input shape as [] (a range-for over a destroyed temporary).
    out.append(Case("rules/info-prints-input-shape", "clierr", ["info", "m.onnx"], files(w), rc=0,
                    check=lambda d, o: None if "N" in o and "1x8x8" in o.replace(" ", "") else
                    f"input shape missing: {o[:200]!r}"))
    out.append(Case("rules/info-json-input-shape", "clierr", ["info", "--json", "m.onnx"], files(w),
                    rc=0, check=lambda d, o: None if json.loads(o)["inputs"][0]["shape"][1:] == [1, 8, 8]
                    else "wrong input shape in JSON"))
    # Ties: every logit equal, so the first class (0) is the prediction; 4 of the 20 labels are 0.
    labels = [0, 1, 2, 3] * 5
    data = {"d/t10k-images-idx3-ubyte": idx([20, 8, 8]),
            "d/t10k-labels-idx1-ubyte": idx([20], bytes(labels))}
    for key, value, expect in [("ties-first-max-wins", 0.0, 25.0), ("nan-rows-are-wrong", np.nan, 0.0)]:
        out.append(Case(f"rules/eval-{key}", "clierr",
                        ["eval", "c.onnx", "--data", "fashion-mnist:d", "--json"],
                        files({"c.onnx": constant_model(value), **data}), rc=0,
                        check=lambda d, o, e=expect: None if abs(top1(o) - e) < 1e-6
                        else f"top-1 {top1(o)}, expected {e}"))
    return out
