#!/usr/bin/python3
"""torchvision's quantizable MobileNetV2, MobileNetV3-Large and ResNet-18 as a PyTorch user exports
them: random weights, eager-mode torch.ao post-training quantization (fuse_model, a backend qconfig,
prepare, calibration on random images, convert), then torch.onnx.export at opset 13. PyTorch writes
each quantized op as DequantizeLinear -> op -> QuantizeLinear with its zero points computed by
Constant/ConstantOfShape -> Cast chains and int32 biases as Div -> Cast; nothing is folded here, so
qcv's importer sees the file as PyTorch wrote it. The FP32 model (before quantization) is exported
too.

Usage: make_torch_ao.py [--models mobilenet_v2,mobilenet_v3_large,resnet18] [--resolution 224]
           [--out DIR] [--small] [--calib 16]
--small: width 0.25 MobileNets (ResNet-18 unchanged but 10 classes), 32x32, 10 classes.
Writes NAME_RES.fp32.onnx and NAME_RES.torch_ao.onnx (NAME_small.* with --small).
"""
import argparse
import os
import sys

import torch
import torchvision.models.quantization as tvq
from torch.ao import quantization as tq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from numpy_eval import random_images  # noqa: E402

ENGINES = ["fbgemm", "qnnpack", "onednn"]


def build(name, small, classes, images):
    kw = {"weights": None, "quantize": False, "num_classes": classes}
    if small and name.startswith("mobilenet"):
        # torchvision's MobileNets take width_mult through their builders' kwargs.
        kw["width_mult"] = 0.25
    torch.manual_seed(0)
    model = getattr(tvq, name)(**kw)
    g = torch.Generator().manual_seed(0)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            # Random affine parameters so that BN folding matters, and running statistics
            # measured on the images (a deep random net with random statistics maps every input
            # to nearly the same output, and top-1 comparisons on it would test nothing).
            m.weight.uniform_(0.5, 1.5, generator=g)
            m.bias.uniform_(-0.2, 0.2, generator=g)
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches
        model.train()
        for i in range(0, len(images), 4):
            model(images[i:i + 4])
    return model.eval()


def quantize(model, engine, images):
    torch.backends.quantized.engine = engine
    model.fuse_model()
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i in range(0, len(images), 4):
            model(images[i:i + 4])
    tq.convert(model, inplace=True)
    return model


def export(model, x, path):
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=["input"],
                      output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    os.replace(tmp, path)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="mobilenet_v2,mobilenet_v3_large,resnet18")
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--calib", type=int, default=16, help="random calibration images")
    p.add_argument("--out", default=".")
    p.add_argument("--small", action="store_true")
    args = p.parse_args()
    if args.small:
        args.resolution, args.classes = 32, 10
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    images = torch.from_numpy(random_images(args.calib, args.resolution, 0))
    x = images[:1]
    for name in args.models.split(","):
        tag = "small" if args.small else str(args.resolution)
        export(build(name, args.small, args.classes, images), x,
               os.path.join(args.out, f"{name}_{tag}.fp32.onnx"))
        errors = []
        for engine in ENGINES:  # fbgemm first; another backend where its export fails
            if engine not in torch.backends.quantized.supported_engines:
                continue
            try:
                q = quantize(build(name, args.small, args.classes, images), engine, images)
                export(q, x, os.path.join(args.out, f"{name}_{tag}.torch_ao.onnx"))
                print(f"{name}: quantized with qconfig '{engine}'")
                break
            except Exception as e:  # noqa: BLE001 - report each backend's failure, try the next
                errors.append(f"{engine}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
        else:
            print(f"{name}: no backend exported: {'; '.join(errors)}", file=sys.stderr)


if __name__ == "__main__":
    main()
