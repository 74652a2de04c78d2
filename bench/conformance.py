#!/usr/bin/env python3
"""ONNX node conformance through the `qcv run` command, with a per-op table.

Runs every test of Debian's libonnx-testdata (model.onnx + test_data_set_*/input_N.pb) through
`qcv run`, compares each output with output_N.pb as ONNX's backend test runner does
(numpy assert_allclose, rtol=1e-3, atol=1e-7; exact for integers and bool) and prints one row per
op: tests, passed, failed, refused (qcv exited non-zero). A test counts for every op its model
uses. Usage: bench/conformance.py [--qcv build/src/cli/qcv] [--filter SUBSTRING] [--failures]
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

NODE_DIR = "/usr/share/libonnx-testdata/data/node"


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def numbered(folder, prefix):
    files, i = [], 0
    while os.path.exists(os.path.join(folder, f"{prefix}_{i}.pb")):
        files.append(os.path.join(folder, f"{prefix}_{i}.pb"))
        i += 1
    return files


def run_case(qcv, case_dir, model):
    """Returns (verdict, detail): verdict in pass / fail / refused."""
    inputs = [i.name for i in model.graph.input
              if i.name not in {t.name for t in model.graph.initializer}]
    outputs = [o.name for o in model.graph.output]
    sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
    if not sets:
        return "fail", "no data set"
    for s in sets:
        folder = os.path.join(case_dir, s)
        in_files = numbered(folder, "input")
        with tempfile.TemporaryDirectory() as out:
            cmd = [qcv, "run", os.path.join(case_dir, "model.onnx"), "--threads", "1", "-o", out]
            for name, path in zip(inputs, in_files):
                cmd += ["-i", f"{name}={path}"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                return "refused", (r.stderr.strip().splitlines() or ["?"])[-1]
            try:
                expected = [load_pb(p) for p in numbered(folder, "output")]
            except Exception as e:  # a sequence or optional output: not a TensorProto
                return "fail", f"expected output is not a tensor ({e})"
            for name, want in zip(outputs, expected):
                path = os.path.join(out, name + ".npy")
                if not os.path.exists(path):
                    return "fail", f"no output {name}"
                got = np.load(path)
                if got.shape != want.shape:
                    return "fail", f"{name}: shape {got.shape} != {want.shape}"
                if want.dtype.kind in "fc":
                    if got.dtype != want.dtype:
                        return "fail", f"{name}: dtype {got.dtype} != {want.dtype}"
                    if not np.allclose(got, want, rtol=1e-3, atol=1e-7, equal_nan=True):
                        return "fail", f"{name}: max |diff| {np.nanmax(np.abs(got - want))}"
                elif not np.array_equal(got.astype(want.dtype), want) or got.dtype != want.dtype:
                    return "fail", f"{name}: values or dtype {got.dtype} differ"
    return "pass", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qcv", default="build/src/cli/qcv")
    ap.add_argument("--filter", default="")
    ap.add_argument("--failures", action="store_true", help="list each failing test")
    args = ap.parse_args()
    cases = sorted(c for c in os.listdir(NODE_DIR) if args.filter in c)
    per_op = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    details = []
    for n, case in enumerate(cases):
        case_dir = os.path.join(NODE_DIR, case)
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        verdict, detail = run_case(args.qcv, case_dir, model)
        totals[verdict] += 1
        for op in sorted({node.op_type for node in model.graph.node}):
            per_op[op][verdict] += 1
        if verdict != "pass":
            details.append(f"{case}: {verdict}: {detail}")
        if sys.stderr.isatty():
            print(f"\r{n + 1}/{len(cases)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    print("| op | tests | passed | failed | refused |\n|---|---:|---:|---:|---:|")
    for op in sorted(per_op):
        c = per_op[op]
        print(f"| {op} | {sum(c.values())} | {c['pass']} | {c['fail']} | {c['refused']} |")
    full = sum(1 for c in per_op.values() if c["pass"] == sum(c.values()))
    print(f"\n{totals['pass']} of {len(cases)} node tests pass "
          f"({100.0 * totals['pass'] / max(len(cases), 1):.1f}%), {totals['fail']} wrong, "
          f"{totals['refused']} refused; {full} of {len(per_op)} ops pass all their tests")
    if args.failures:
        print("\n" + "\n".join(details))


if __name__ == "__main__":
    main()
