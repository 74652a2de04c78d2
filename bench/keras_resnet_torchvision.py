#!/usr/bin/python3
"""qcv's Keras ResNet v1 layout against torchvision's ResNet code rearranged the Keras way: the
stride of each stage's first bottleneck moved from conv2 (3x3) to conv1 (1x1) and every conv given
a bias, as keras.applications' resnet.py builds ResNet50/101/152 (BN epsilon 1.001e-5).

For each depth: `qcv export --model resnetD_keras` (names are torchvision's), biases and BN
statistics drawn at random here and written back into the ONNX file, the same weights loaded into
the torchvision model (strict: every name and shape must match), then `qcv run` and torchvision's
forward on the same images. Prints one line per depth; exits 1 if an output differs by more than
1e-4 of the largest or the parameter counts differ from keras.applications' trainable counts
(published totals minus the BN moving mean and variance).
Usage: bench/keras_resnet_torchvision.py BUILD_DIR [RESOLUTION]"""
import os, subprocess, sys, tempfile

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision

build = sys.argv[1] if len(sys.argv) > 1 else "build"
res = int(sys.argv[2]) if len(sys.argv) > 2 else 64
qcv = os.path.join(build, "src/cli/qcv")
# keras.applications: total params, and BN channels x 2 non-trainable (counted from the model).
published_total = {50: 25636712, 101: 44707176, 152: 60419944}


def keras_layout(depth, classes):
    m = getattr(torchvision.models, f"resnet{depth}")(num_classes=classes)
    for name, mod in list(m.named_modules()):
        for child_name, child in list(mod.named_children()):
            if isinstance(child, torch.nn.Conv2d):
                conv = torch.nn.Conv2d(child.in_channels, child.out_channels, child.kernel_size,
                                       child.stride, child.padding, bias=True)
                setattr(mod, child_name, conv)
            if isinstance(child, torch.nn.BatchNorm2d):
                child.eps = 1.001e-5
    for layer in (m.layer2, m.layer3, m.layer4):
        first = layer[0]
        first.conv1.stride, first.conv2.stride = (2, 2), (1, 1)
    return m


status = 0
rng = np.random.default_rng(0)
with tempfile.TemporaryDirectory() as tmp:
    x = rng.standard_normal((2, 3, res, res), dtype=np.float32)
    np.save(f"{tmp}/x.npy", x)
    for depth in (50, 101, 152):
        path = f"{tmp}/r{depth}.onnx"
        subprocess.run([qcv, "export", "--model", f"resnet{depth}_keras", "--resolution", str(res),
                        "--classes", "1000", "--seed", "1", "-o", path], check=True,
                       stdout=subprocess.DEVNULL)
        model = onnx.load(path)
        state = {}
        for init in model.graph.initializer:
            a = numpy_helper.to_array(init).copy()
            if init.name.endswith(("bias", "running_mean")):
                a = rng.uniform(-0.2, 0.2, a.shape).astype(np.float32)
            elif init.name.endswith(("running_var")) or (init.name.endswith("weight") and a.ndim == 1):
                a = rng.uniform(0.5, 1.5, a.shape).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(a, init.name))
            state[init.name] = torch.from_numpy(a)
        onnx.save(model, path)
        m = keras_layout(depth, 1000).eval()
        bn_channels = sum(b.num_features for b in m.modules() if isinstance(b, torch.nn.BatchNorm2d))
        trainable = sum(p.numel() for p in m.parameters())
        own = m.state_dict()
        for k in own:
            if k.endswith("num_batches_tracked"):
                state[k] = own[k]
        m.load_state_dict({k: v for k, v in state.items() if k in own}, strict=True)
        unused = sorted(k for k in state if k not in own)
        subprocess.run([qcv, "run", path, "--input", f"{tmp}/x.npy", "-o", f"{tmp}/y.npy",
                        "--threads", "2"], check=True, stdout=subprocess.DEVNULL)
        ours = np.load(f"{tmp}/y.npy")
        with torch.no_grad():
            want = m(torch.from_numpy(x)).numpy()
        rel = float(np.abs(ours - want).max() / np.abs(want).max())
        counts_ok = trainable + 2 * bn_channels == published_total[depth]
        ok = rel <= 1e-4 and counts_ok and not [k for k in unused if k != "dropout.ratio"]
        print(f"resnet{depth}_keras {res}px: max|qcv-torchvision|/max = {rel:.2e}; torchvision "
              f"params {trainable} + 2 x {bn_channels} BN = {trainable + 2 * bn_channels} "
              f"(keras.applications {published_total[depth]}); unused {unused} "
              f"{'OK' if ok else 'FAIL'}")
        status |= 0 if ok else 1
sys.exit(status)
