#!/usr/bin/python3
"""PyTorch's own training-step throughput, the peer of `qcv train --benchmark-steps`: torchvision's
MobileNetV2 (1 input channel, 10 classes) on random data, SGD (momentum 0.9, nesterov, weight decay
4e-5), cross-entropy with label smoothing 0.1, batch 64, 32x32, channels-last. Prints JSON."""
import argparse, json, time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--resolution", type=int, default=32)
p.add_argument("--width", type=float, default=1.0)
p.add_argument("--nchw", action="store_true", help="contiguous NCHW instead of channels-last")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
m = torchvision.models.mobilenet_v2(num_classes=10, width_mult=a.width)
first = m.features[0][0]
m.features[0][0] = torch.nn.Conv2d(1, first.out_channels, 3, 2, 1, bias=False)
fmt = torch.contiguous_format if a.nchw else torch.channels_last
m = m.to(memory_format=fmt).train()
decay = [q for q in m.parameters() if q.dim() >= 2]
plain = [q for q in m.parameters() if q.dim() < 2]
opt = torch.optim.SGD([{"params": decay, "weight_decay": 4e-5}, {"params": plain}], lr=0.05,
                      momentum=0.9, nesterov=True)
x = torch.randn(a.batch_size, 1, a.resolution, a.resolution).to(memory_format=fmt)
y = torch.randint(0, 10, (a.batch_size,))


def step():
    loss = torch.nn.functional.cross_entropy(m(x), y, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(3):
    step()
t = time.time()
for _ in range(a.steps):
    step()
rate = a.steps * a.batch_size / (time.time() - t)
print(json.dumps({"images_per_s": round(rate, 1), "peer": "pytorch " + torch.__version__,
                  "layout": "nchw" if a.nchw else "channels_last", "threads": a.threads}))
