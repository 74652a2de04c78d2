#!/usr/bin/python3
"""PyTorch's torch.ao eager-mode QAT beside qcv's, on the same setup as a qcv workflow config:
torchvision's quantizable MobileNetV2 (1 input channel, 10 classes, same width), Fashion-MNIST read
from /usr/share/datasets/fashion-mnist/*.gz, the same image counts, epochs and recipes (FP32: SGD
nesterov + cosine + label smoothing; QAT: SGD lr 0.001, piecewise multipliers). Prints a JSON line
per phase and a Markdown table; with --qcv-results RUN_DIR/results.json, qcv's rows beside it.

  /usr/bin/python3 bench/torch_ao_qat.py --width 0.35 --resolution 48 --limit-train 0 \
      --qat-limit-train 0 --fp32-epochs 3 --qat-epochs 2 --piecewise 1.0:0.5,0.1:1 --threads 2 \
      --qcv-results runs/workflow_default/results.json
matches configs/workflow_default.yaml. Images are resized as qcv does for Fashion-MNIST (bilinear,
28x28 -> resolution, then pad 4 + random crop + flip for training). Two FP32 trainings differ by a
few tenths of a point on their own; to compare the QATs alone, start torch.ao's from qcv's baseline:
  ... --fp32-onnx runs/workflow_default/baseline_fp32.onnx
"""
import argparse, gzip, json, math, os, time

# Debian's torch 1.13 bundles a oneDNN whose int8 kernels segfault on AMX CPUs (Sapphire Rapids:
# seen when the converted MobileNetV2 runs under the onednn engine); capping the ISA before torch
# loads avoids them and changes nothing on CPUs without AMX.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_VNNI")

import numpy as np
import torch
import torch.ao.quantization as tq
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
p.add_argument("--width", type=float, default=0.35)
p.add_argument("--resolution", type=int, default=28, help="input size (bilinear resize from 28)")
p.add_argument("--limit-train", type=int, default=20000)
p.add_argument("--qat-limit-train", type=int, default=0, help="QAT images (0: as --limit-train)")
p.add_argument("--fp32-epochs", type=int, default=3)
p.add_argument("--qat-epochs", type=int, default=2)
p.add_argument("--piecewise", default="1.0:1,0.1:2", help="QAT lr multiplier:epoch pairs")
p.add_argument("--qat-label-smoothing", type=float, default=0.1,
               help="QAT loss label smoothing (0.1: the workflow configs; 0: qcv qat's default)")
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=0, help="seeds torch (data order) and numpy (crops, flips)")
p.add_argument("--qcv-results", default="")
p.add_argument("--fp32-onnx", default="",
               help="start QAT from this qcv FP32 MobileNetV2 (e.g. RUN_DIR/baseline_fp32.onnx) "
                    "instead of training one: both QATs then start from the same weights")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
np.random.seed(a.seed)
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST statistics (as qcv's Preprocess::for_dataset)


def idx(name):
    with gzip.open(os.path.join(a.data, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def to_tensor(images):
    x = (torch.from_numpy(images.astype(np.float32)) / 255).unsqueeze(1)
    if a.resolution != x.shape[-1]:  # half-pixel bilinear, as qcv's resize_bilinear
        x = torch.nn.functional.interpolate(x, size=(a.resolution, a.resolution), mode="bilinear",
                                            align_corners=False, antialias=a.resolution < x.shape[-1])
    return (x - MEAN) / STD


xtr, ytr = to_tensor(idx("train-images-idx3-ubyte.gz")), torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xte, yte = to_tensor(idx("t10k-images-idx3-ubyte.gz")), torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
if a.limit_train > 0:
    xtr, ytr = xtr[:a.limit_train], ytr[:a.limit_train]
xtr_all, ytr_all = xtr, ytr


def augment(x):  # pad 4 + random crop + horizontal flip, as qcv's small-image augmentation
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4), value=-MEAN / STD)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = np.random.randint(0, 9, 2)
        img = padded[i, :, dy:dy + h, dx:dx + w]
        out[i] = img.flip(-1) if np.random.rand() < 0.5 else img
    return out


def train(model, epochs, lr_at, label_smoothing, weight_decay, nesterov, limit=0):
    xtr, ytr = (xtr_all[:limit], ytr_all[:limit]) if limit > 0 else (xtr_all, ytr_all)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    plain = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": weight_decay}, {"params": plain}],
                          lr=lr_at(0), momentum=0.9, nesterov=nesterov)
    steps = len(xtr) // a.batch_size
    seen, start = 0, time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for s in range(steps):
            for g in opt.param_groups:
                g["lr"] = lr_at(epoch + s / steps)
            b = perm[s * a.batch_size:(s + 1) * a.batch_size]
            loss = torch.nn.functional.cross_entropy(model(augment(xtr[b])), ytr[b],
                                                     label_smoothing=label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(b)
    return seen / (time.time() - start)


def top1(model):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(xte), 500):
            correct += (model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item()
    return 100.0 * correct / len(xte)


def latency_ms(model):
    x = xte[:1]
    with torch.no_grad():
        for _ in range(10):
            model(x)
        t = []
        for _ in range(100):
            t0 = time.perf_counter()
            model(x)
            t.append((time.perf_counter() - t0) * 1000)
    return float(np.median(t))


model = torchvision.models.quantization.mobilenet_v2(weights=None, quantize=False, num_classes=10,
                                                     width_mult=a.width)
first = model.features[0][0]
model.features[0][0] = torch.nn.Conv2d(1, first.out_channels, 3, 2, 1, bias=False)
base_lr = 0.1
warmup = 0.3  # epochs, as the qcv configs


def fp32_lr(e):
    if e < warmup:
        return base_lr * e / warmup
    return 0.5 * base_lr * (1 + math.cos(math.pi * (e - warmup) / (a.fp32_epochs - warmup)))


def load_qcv_onnx(model, path):
    """Copies a qcv MobileNetV2's weights (Conv, BatchNormalization, the 1x1-conv classifier) into
    torchvision's module, both in graph order; shapes must match one to one."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    tensors = []
    for n in g.node:
        if n.op_type in ("Conv", "BatchNormalization"):
            tensors += [init[i] for i in n.input[1:] if i in init]
    targets = [(k, v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    if len(tensors) != len(targets):
        raise SystemExit(f"{path}: {len(tensors)} tensors, torchvision's model has {len(targets)}")
    state = {}
    for (k, v), t in zip(targets, tensors):
        t = torch.from_numpy(t.copy())
        if t.numel() != v.numel() or (t.dim() == v.dim() and t.shape != v.shape):
            raise SystemExit(f"{path}: shape {tuple(t.shape)} does not fit {k} {tuple(v.shape)}")
        state[k] = t.reshape(v.shape)
    model.load_state_dict(state, strict=False)
    # The classifier's dropout as qcv trained it (no Dropout node: none).
    ratio = [init.get(n.input[1]) for n in g.node if n.op_type == "Dropout" and len(n.input) > 1]
    model.classifier[0].p = float(ratio[0]) if ratio and ratio[0] is not None else 0.0


def use_relu6(model):
    """torchvision's quantizable MobileNetV2 has ReLU where MobileNetV2 (and qcv) has ReLU6, so that
    eager mode can fuse Conv-BN-ReLU. With qcv's weights that is another function (the 1-epoch
    32x32 smoke model: 66.24% in qcv, 11.31% with ReLU), so put ReLU6 back; fuse_relu6_model then
    fuses Conv-BN only and the ReLU6 stays a module of its own (torch.ao quantizes it as ReLU6)."""
    for mod in model.modules():
        if isinstance(mod, torchvision.ops.Conv2dNormActivation) and isinstance(mod[2], torch.nn.ReLU):
            mod[2] = torch.nn.ReLU6()


def fuse_relu6_model(model):
    for name, mod in model.named_modules():
        if isinstance(mod, torchvision.ops.Conv2dNormActivation):
            tq.fuse_modules_qat(mod, [["0", "1"]], inplace=True)
        elif isinstance(mod, torchvision.models.quantization.mobilenetv2.QuantizableInvertedResidual):
            last = len(mod.conv) - 2  # the projection conv and its BN
            tq.fuse_modules_qat(mod.conv, [[str(last), str(last + 1)]], inplace=True)


if a.fp32_onnx:
    load_qcv_onnx(model, a.fp32_onnx)
    use_relu6(model)
    fp32_rate = float("nan")
else:
    fp32_rate = train(model, a.fp32_epochs, fp32_lr, 0.1, 4e-5, True)
fp32_top1 = top1(model)
rows = [{"mode": "Baseline (FP32)" + (" from " + os.path.basename(a.fp32_onnx) if a.fp32_onnx else ""),
         "top1": fp32_top1, "train_images_per_s": fp32_rate, "latency_ms_bs1": latency_ms(model)}]
print(json.dumps(rows[-1]), flush=True)

pairs = [(float(m), float(e)) for m, e in (t.split(":") for t in a.piecewise.split(","))]


def qat_lr(e):  # as qcv's piecewise: linear ramp to the first multiplier, then steps at each epoch
    if e < pairs[0][1]:
        return 0.001 * pairs[0][0] * e / pairs[0][1]
    m = pairs[0][0]
    for mult, epoch in pairs:
        if e >= epoch:
            m = mult
    return 0.001 * m


engines = torch.backends.quantized.supported_engines
engine = next(e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines)
torch.backends.quantized.engine = engine
if a.fp32_onnx:
    fuse_relu6_model(model)
else:
    model.fuse_model(is_qat=True)
model.qconfig = tq.get_default_qat_qconfig(engine)
tq.prepare_qat(model.train(), inplace=True)
qat_rate = train(model, a.qat_epochs, qat_lr, a.qat_label_smoothing, 0.0, False, a.qat_limit_train)
qat_fake_top1 = top1(model)
int8 = tq.convert(model.eval())
rows.append({"mode": f"QAT (torch.ao eager, {engine})", "top1_fake_quant": qat_fake_top1,
             "top1": top1(int8), "train_images_per_s": qat_rate, "latency_ms_bs1": latency_ms(int8)})
print(json.dumps(rows[-1]), flush=True)

print("\n| Framework | Mode | Train-backend top-1 (%) | Deployed top-1 (%) | Latency ms (bs=1) | Train img/s |")
print("|---|---|---:|---:|---:|---:|")
for r in rows:
    print(f"| PyTorch {torch.__version__} | {r['mode']} | {r.get('top1_fake_quant', r['top1']):.2f} | "
          f"{r['top1']:.2f} | {r['latency_ms_bs1']:.3f} | {r['train_images_per_s']:.0f} |")


def qcv_images_per_s(run):  # mean over the epochs in RUN_DIR/<run>/metrics.jsonl
    path = os.path.join(os.path.dirname(a.qcv_results), run, "metrics.jsonl")
    if not os.path.exists(path):
        return float("nan")
    rates = [json.loads(line)["images_per_s"] for line in open(path) if line.strip()]
    return sum(rates) / len(rates)


if a.qcv_results:
    res = json.load(open(a.qcv_results))
    for r in res["rows"]:
        if r["mode"].startswith("PTQ"):
            continue
        rate = qcv_images_per_s("qat.run" if r["mode"].startswith("QAT") else "fp32.run")
        print(f"| qcv | {r['mode']} | {r['train_backend_top1']:.2f} | {r['deployed_top1']:.2f} | "
              f"{r['deployed_latency_ms_bs1']:.3f} | {rate:.0f} |")
