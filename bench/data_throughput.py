"""Data-loader throughput, the PyTorch side of bench/data_throughput.sh, and the image generator.

  data_throughput.py generate ROOT --images 2000 --classes 10 --size 500x375
  data_throughput.py torch ROOT --workers N [--batch 64] [--epochs 2]

The torch run is torchvision's ImageFolder with RandomResizedCrop(224), RandomHorizontalFlip,
ToTensor, Normalize (ImageNet mean/std), PIL decode: the same work qcv's loader does.
"""
import argparse
import json
import os
import sys
import time


def generate(root, images, classes, width, height, seed=0):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    for i in range(images):
        cls = i % classes
        directory = os.path.join(root, f"class{cls:03d}")
        os.makedirs(directory, exist_ok=True)
        # Smooth colour fields plus texture and noise: JPEG sizes like photos (tens of KiB).
        f = rng.uniform(0.005, 0.05, size=6)
        p = rng.uniform(0, 6.3, size=6)
        r = 128 + 90 * np.sin(xs * f[0] + p[0]) * np.cos(ys * f[1] + p[1])
        g = 128 + 90 * np.sin(xs * f[2] + ys * f[3] + p[2])
        b = 128 + 90 * np.cos(ys * f[4] + p[4]) * np.sin(xs * f[5] + p[5])
        img = np.stack([r, g, b], axis=-1) + rng.normal(0, 12, size=(height, width, 3))
        img = np.clip(img, 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(directory, f"img{i:06d}.jpg"), quality=90)


def torch_throughput(root, workers, batch, epochs, resolution=224):
    import torch
    import torchvision
    from torchvision import transforms

    torch.set_num_threads(1)
    transform = transforms.Compose([
        transforms.RandomResizedCrop(resolution),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    dataset = torchvision.datasets.ImageFolder(root, transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True,
                                         num_workers=workers, persistent_workers=workers > 0,
                                         prefetch_factor=2 if workers > 0 else None)
    best = 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        images = 0
        for x, _y in loader:
            images += x.shape[0]
        best = max(best, images / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["generate", "torch"])
    parser.add_argument("root")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--size", default="500x375")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "generate":
        width, height = (int(v) for v in args.size.split("x"))
        generate(args.root, args.images, args.classes, width, height)
        return
    rate = torch_throughput(args.root, args.workers, args.batch, args.epochs)
    print(json.dumps({"images_per_s": round(rate, 1), "workers": args.workers}))


if __name__ == "__main__":
    sys.exit(main())
