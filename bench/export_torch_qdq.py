#!/usr/bin/python3
"""QDQ files written by PyTorch (torch.ao FX post-training quantization, then torch.onnx.export at
opset 13, which writes quantized ops as DequantizeLinear -> op -> QuantizeLinear), and qcv against
ONNX Runtime on them.

Models: a small CNN (conv/BN/ReLU, depthwise, residual Add, max pool, linear) and torchvision
MobileNetV2 and ResNet-18, random weights and BN statistics, calibrated with min/max observers on
random images: uint8 asymmetric activations, int8 symmetric per-channel weights.

Usage: /usr/bin/python3 bench/export_torch_qdq.py OUT_DIR [--resolution 224] [--models a,b]
           [--compare --qcv build/bench/qcv_bench [--images 16]] [--files A.onnx,B.onnx]
--files compares existing QDQ files (e.g. qcv's own, from bench/qcv_qdq) instead of exporting.
--compare runs every file in ONNX Runtime (bench/ort_run.js) and qcv (qcv_bench run) on the same
seeded random images and prints, per model, the share of outputs within 1 and 2 quantization
steps of ORT's (the step: the scale of the output's DequantizeLinear) and the top-1 agreement.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision
from torch.ao.quantization import QConfig, QConfigMapping
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

HERE = os.path.dirname(os.path.abspath(__file__))


class SmallCnn(torch.nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        bn = torch.nn.BatchNorm2d
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, 2, 1), bn(16), torch.nn.ReLU())
        self.dw = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, 1, 1, groups=16), bn(16),
                                      torch.nn.ReLU6())
        self.pw = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 1), bn(16))
        self.pool = torch.nn.MaxPool2d(2)
        self.head = torch.nn.Sequential(torch.nn.Conv2d(16, 32, 3, 1, 1), bn(32), torch.nn.ReLU())
        self.fc = torch.nn.Linear(32, classes)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.pw(self.dw(x)))  # residual Add
        x = self.head(self.pool(x))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def build(name):
    if name == "small_cnn":
        return SmallCnn()
    return getattr(torchvision.models, name)(num_classes=1000)


def fold_constants(model):
    """Folds the Constant/ConstantOfShape/Cast chains torch writes for zero points into
    initializers (qcv's importer takes initializers; the numbers do not change)."""
    g = model.graph
    const = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    kept = []
    for n in g.node:
        ins = [i for i in n.input if i]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        value = None
        if n.op_type == "Constant" and "value" in attrs:
            value = numpy_helper.to_array(attrs["value"])
        elif n.op_type == "ConstantOfShape" and all(i in const for i in ins):
            fill = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(1, np.float32)
            value = np.full(tuple(const[ins[0]].astype(np.int64)), fill.reshape(-1)[0], fill.dtype)
        elif n.op_type == "Cast" and all(i in const for i in ins):
            to = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[attrs["to"]]
            value = const[ins[0]].astype(to)
        if value is None:
            kept.append(n)
            continue
        const[n.output[0]] = value
        g.initializer.append(numpy_helper.from_array(np.asarray(value), n.output[0]))
    del g.node[:]
    g.node.extend(kept)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    inits = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)
    return model


def output_step(model):
    """Scale of the DequantizeLinear writing the graph output (1.0 when the output is float)."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    out = model.graph.output[0].name
    for n in model.graph.node:
        if out in n.output and n.op_type == "DequantizeLinear" and n.input[1] in inits:
            return float(inits[n.input[1]].reshape(-1)[0])
    return None


def export(name, out_dir, resolution):
    torch.manual_seed(0)
    model = build(name).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    torch.backends.quantized.engine = "qnnpack"
    qconfig = QConfig(
        activation=MinMaxObserver.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_affine),
        weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8,
                                                  qscheme=torch.per_channel_symmetric))
    x = torch.randn(1, 3, resolution, resolution)
    prepared = prepare_fx(model, QConfigMapping().set_global(qconfig), (x,))
    with torch.no_grad():
        for _ in range(8):
            prepared(torch.randn(1, 3, resolution, resolution))
    quantized = convert_fx(prepared)
    path = os.path.join(out_dir, f"{name}_{resolution}.torch_qdq.onnx")
    torch.onnx.export(quantized, x, path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    model = fold_constants(onnx.load(path))
    onnx.save(model, path)
    return path, output_step(model)


def save_npy(path, a):
    np.save(path, np.ascontiguousarray(a, dtype=np.float32))


def compare(path, step, args):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((args.images, 3, args.resolution, args.resolution)).astype(np.float32)
    base = path[:-len(".onnx")]
    save_npy(base + ".in.npy", x)
    env = dict(os.environ, NODE_PATH=os.path.join(HERE, "node_modules"))
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), path, base + ".in.npy",
                    base + ".ort.npy", "2"], check=True, env=env)
    subprocess.run([args.qcv, "run", path, base + ".in.npy", base + ".qcv.npy", "2"], check=True)
    o, q = np.load(base + ".ort.npy"), np.load(base + ".qcv.npy")
    # A float output (no DequantizeLinear behind it): 1% of ORT's output range stands for a step.
    s = step or 0.01 * float(o.max() - o.min())
    d = np.abs(q - o) / s
    row = {"model": os.path.basename(path), "elements": int(o.size), "step": s,
           "within_1_step": float((d <= 1.0001).mean()), "within_2_steps": float((d <= 2.0001).mean()),
           "max_steps": float(d.max()),
           "top1_agreement": float((q.argmax(1) == o.argmax(1)).mean())}
    print(json.dumps(row))
    return row


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--models", default="small_cnn,mobilenet_v2,resnet18")
    p.add_argument("--compare", action="store_true")
    p.add_argument("--qcv", default=os.path.join(HERE, "..", "build", "bench", "qcv_bench"))
    p.add_argument("--images", type=int, default=16)
    p.add_argument("--files", default="")
    args = p.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rows = []
    for path in filter(None, args.files.split(",")):
        rows.append(compare(path, output_step(onnx.load(path)), args))
    for name in ([] if args.files else args.models.split(",")):
        path, step = export(name, args.out_dir, args.resolution)
        print(f"{path}: output step {step}", file=sys.stderr)
        if args.compare:
            rows.append(compare(path, step, args))
    if rows:
        print("\n| model | outputs | within 1 step | within 2 steps | max steps | top-1 agreement |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['model']} | {r['elements']} | {100 * r['within_1_step']:.2f}% | "
                  f"{100 * r['within_2_steps']:.2f}% | {r['max_steps']:.2f} | "
                  f"{100 * r['top1_agreement']:.1f}% |")


if __name__ == "__main__":
    main()
