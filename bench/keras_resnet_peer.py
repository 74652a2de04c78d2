#!/usr/bin/python3
"""qcv's Keras ResNet layouts against PyTorch peers of keras.applications' resnet.py:
- v1 (resnetD_keras): torchvision's ResNet code rearranged the Keras way: the stride of each
  stage's first bottleneck moved from conv2 (3x3) to conv1 (1x1), every conv given a bias, BN
  epsilon 1.001e-5.
- V2 (resnetD_v2_keras): block2/stack2 transcribed into torch.nn below (torchvision has no
  pre-activation ResNet), with the stem max pool either as Keras pads it (ZeroPadding2D, zeros)
  or as ONNX MaxPool does (-inf): qcv builds the latter; the first shows how far that is.

For each model: `qcv export` (names are torchvision's), biases and BN statistics drawn at random
here and written back into the ONNX file, the same weights loaded into the peer (strict: every
name and shape must match), then `qcv run` and the peer's forward on the same images. Prints one
line per model; exits 1 if an output differs by more than 1e-4 of the largest or the peer's
parameters plus 2 per BN channel differ from keras.applications' published totals.
Usage: bench/keras_resnet_peer.py BUILD_DIR [RESOLUTION]"""
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


class Block2(torch.nn.Module):
    """keras.applications resnet.py block2: preact BN-ReLU; 0_conv shortcut from the preact (first
    block), else MaxPool2D(1, stride) of the input; 1x1 (no bias), 3x3 stride (no bias), 1x1."""

    def __init__(self, cin, filters, stride, conv_shortcut):
        super().__init__()
        out = 4 * filters
        bn = lambda c: torch.nn.BatchNorm2d(c, eps=1.001e-5)
        self.bn0, self.bn1, self.bn2 = bn(cin), bn(filters), bn(filters)
        self.conv1 = torch.nn.Conv2d(cin, filters, 1, bias=False)
        self.conv2 = torch.nn.Conv2d(filters, filters, 3, stride, padding=1, bias=False)
        self.conv3 = torch.nn.Conv2d(filters, out, 1, bias=True)
        self.downsample = torch.nn.Sequential(torch.nn.Conv2d(cin, out, 1)) if conv_shortcut else None
        self.stride = stride

    def forward(self, x):
        pre = torch.relu(self.bn0(x))
        if self.downsample is not None:
            shortcut = self.downsample(pre)
        else:
            shortcut = torch.nn.functional.max_pool2d(x, 1, self.stride) if self.stride > 1 else x
        y = torch.relu(self.bn1(self.conv1(pre)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return self.conv3(y) + shortcut


class KerasV2(torch.nn.Module):
    def __init__(self, blocks, classes, zero_pad_pool):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 64, 7, 2, padding=3, bias=True)
        self.zero_pad_pool = zero_pad_pool
        cin = 64
        for stage, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
            units = []
            for i in range(n):  # stack2: the stride on the last block, except in the last stack
                stride = 2 if i == n - 1 and stage < 3 else 1
                units.append(Block2(cin, filters, stride, i == 0))
                cin = 4 * filters
            setattr(self, f"layer{stage + 1}", torch.nn.Sequential(*units))
        self.post_bn = torch.nn.BatchNorm2d(cin, eps=1.001e-5)
        self.fc = torch.nn.Linear(cin, classes)

    def forward(self, x):
        x = self.conv1(x)
        if self.zero_pad_pool:  # ZeroPadding2D(1) + MaxPooling2D(3, 2)
            x = torch.nn.functional.max_pool2d(torch.nn.functional.pad(x, (1, 1, 1, 1)), 3, 2)
        else:
            x = torch.nn.functional.max_pool2d(x, 3, 2, padding=1)
        for stage in range(1, 5):
            x = getattr(self, f"layer{stage}")(x)
        x = torch.relu(self.post_bn(x))
        return self.fc(x.mean((2, 3)))


published_total.update({"50_v2": 25613800, "101_v2": 44675560, "152_v2": 60380648})
blocks = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def peers(depth):
    """(label, model, checked) for resnetD_keras and resnetD_v2_keras."""
    yield f"resnet{depth}_keras", depth, keras_layout(depth, 1000), True
    yield f"resnet{depth}_v2_keras", f"{depth}_v2", KerasV2(blocks[depth], 1000, False), True
    yield f"resnet{depth}_v2_keras (Keras' zero-padded stem pool)", f"{depth}_v2", \
        KerasV2(blocks[depth], 1000, True), False


status = 0
rng = np.random.default_rng(0)
with tempfile.TemporaryDirectory() as tmp:
    x = rng.standard_normal((2, 3, res, res), dtype=np.float32)
    np.save(f"{tmp}/x.npy", x)
    for depth in (50, 101, 152):
        for label, key, m, checked in peers(depth):
            name = label.split()[0]
            path = f"{tmp}/{name}.onnx"
            if not os.path.exists(path):
                subprocess.run([qcv, "export", "--model", name, "--resolution", str(res),
                                "--classes", "1000", "--seed", "1", "-o", path], check=True,
                               stdout=subprocess.DEVNULL)
                model = onnx.load(path)
                state = {}
                for init in model.graph.initializer:
                    a = numpy_helper.to_array(init).copy()
                    if init.name.endswith(("bias", "running_mean")):
                        a = rng.uniform(-0.2, 0.2, a.shape).astype(np.float32)
                    elif init.name.endswith("running_var") or (init.name.endswith("weight") and
                                                                a.ndim == 1):
                        a = rng.uniform(0.5, 1.5, a.shape).astype(np.float32)
                    init.CopyFrom(numpy_helper.from_array(a, init.name))
                    state[init.name] = torch.from_numpy(a)
                onnx.save(model, path)
                subprocess.run([qcv, "run", path, "--input", f"{tmp}/x.npy", "-o",
                                f"{tmp}/{name}.npy", "--threads", "2"], check=True,
                               stdout=subprocess.DEVNULL)
            m = m.eval()
            bn_channels = sum(b.num_features for b in m.modules()
                              if isinstance(b, torch.nn.BatchNorm2d))
            trainable = sum(p.numel() for p in m.parameters())
            own = m.state_dict()
            for k in own:
                if k.endswith("num_batches_tracked"):
                    state[k] = own[k]
            m.load_state_dict({k: v for k, v in state.items() if k in own}, strict=True)
            unused = sorted(k for k in state if k not in own)
            ours = np.load(f"{tmp}/{name}.npy")
            with torch.no_grad():
                want = m(torch.from_numpy(x)).numpy()
            rel = float(np.abs(ours - want).max() / np.abs(want).max())
            total = trainable + 2 * bn_channels
            ok = rel <= 1e-4 and total == published_total[key] and unused == ["dropout.ratio"]
            verdict = ("OK" if ok else "FAIL") if checked else "(not checked)"
            print(f"{label} {res}px: max|qcv-peer|/max = {rel:.2e}; peer params {trainable} + 2 x "
                  f"{bn_channels} BN = {total} (keras.applications {published_total[key]}) "
                  f"{verdict}")
            if checked:
                status |= 0 if ok else 1
sys.exit(status)
