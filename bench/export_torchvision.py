#!/usr/bin/python3
"""Exports torchvision classifiers (random weights, eval mode) to ONNX, as a user of PyTorch would,
so that qcv can be checked on files written by another tool.
Usage: /usr/bin/python3 bench/export_torchvision.py OUT_DIR [--opset 13] [--models a,b,...]"""
import argparse
import os

import torch
import torchvision

MODELS = ["mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "resnet18", "resnet50"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--resolution", type=int, default=224)
    p.add_argument("--models", default=",".join(MODELS))
    args = p.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    for name in args.models.split(","):
        model = getattr(torchvision.models, name)(num_classes=1000).eval()
        # Random BN statistics, so that BN folding is exercised on non-trivial numbers.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        x = torch.randn(1, 3, args.resolution, args.resolution)
        path = os.path.join(args.out_dir, f"tv_{name}.onnx")
        torch.onnx.export(model, x, path, opset_version=args.opset, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                          do_constant_folding=False,
                          # PRESERVE keeps BatchNormalization nodes (EVAL would fold them itself),
                          # so that qcv's own folding is what gets checked.
                          training=torch.onnx.TrainingMode.PRESERVE)
        print(path)


if __name__ == "__main__":
    main()
