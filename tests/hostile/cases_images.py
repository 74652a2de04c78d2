"""PNG/JPEG decoding through classify, and ImageFolder trees through eval (owner: datasets)."""
import os
import struct
import zlib

import numpy as np

from common import JPEG_8x8, Case, files, png, png_chunk, world

PIX = (np.arange(64).reshape(8, 8) * 4).astype(np.uint8)


def gray_rows(pixels, bit_depth=8):
    if bit_depth == 16:
        return b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels.astype(np.uint16) * 257)
    return b"".join(b"\0" + row.tobytes() for row in pixels)


def adam7(pixels):
    """Interlaced scanlines of a grayscale image (the seven Adam7 passes, filter 0)."""
    out = b""
    for xs, ys, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                           (1, 0, 2, 2), (0, 1, 1, 2)]:
        sub = pixels[ys::dy, xs::dx]
        if sub.size:
            out += b"".join(b"\0" + row.tobytes() for row in sub)
    return out


def patch_sof(height, width, components=None):
    j = bytearray(JPEG_8x8)
    at = j.index(b"\xff\xc0")
    j[at + 5:at + 9] = struct.pack(">HH", height, width)
    if components is not None:
        j[at + 9] = components
    return bytes(j)


def same_as_reference(folder, stdout):
    parts = stdout.strip().split("\n")
    half = len(parts) // 2
    if len(parts) < 4 or len(parts) % 2:
        return f"unexpected classify output: {stdout[:200]!r}"
    return None if parts[1:half] == parts[half + 1:] else "differs from the plain PNG's answer"


def cases(fx):
    w = world(fx)
    model = {"m.onnx": w["m.onnx"]}
    plain = png(8, 8, rows=gray_rows(PIX))
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = lambda wd, ht, depth=8, color=0: png_chunk(b"IHDR", struct.pack(">IIBBBBB", wd, ht, depth, color, 0, 0, 0))  # noqa
    idat = png_chunk(b"IDAT", zlib.compress(gray_rows(PIX)))
    iend = png_chunk(b"IEND", b"")
    bad = {
        "png-empty.png": b"",
        "png-signature-only.png": sig,
        "png-truncated-ihdr.png": plain[:20],
        "png-truncated-idat.png": plain[:60],
        "png-bad-ihdr-crc.png": plain[:29] + b"\0\0\0\0" + plain[33:],
        "png-zero-size.png": sig + ihdr(0, 0) + idat + iend,
        "png-claims-2g-by-2g.png": sig + ihdr(0x7FFFFFFF, 0x7FFFFFFF) + idat + iend,
        "png-claims-100k-by-100k.png": sig + ihdr(100000, 100000) + idat + iend,
        "png-bit-depth-7.png": sig + ihdr(8, 8, 7) + idat + iend,
        "png-color-type-5.png": sig + ihdr(8, 8, 8, 5) + idat + iend,
        "png-palette-without-plte.png": sig + ihdr(8, 8, 8, 3) + idat + iend,
        "png-rows-short.png": sig + ihdr(8, 8) + png_chunk(b"IDAT", zlib.compress(gray_rows(PIX)[:30])) + iend,
        "png-filter-9.png": sig + ihdr(8, 8) + png_chunk(b"IDAT", zlib.compress(b"\x09" + gray_rows(PIX)[1:])) + iend,
        "png-idat-not-zlib.png": sig + ihdr(8, 8) + png_chunk(b"IDAT", b"not zlib data at all") + iend,
        "png-no-idat.png": sig + ihdr(8, 8) + iend,
        "png-chunk-length-4g.png": sig + ihdr(8, 8) + b"\xff\xff\xff\xf0IDAT" + b"\0" * 16,
        "jpeg-empty.jpg": b"",
        "jpeg-soi-only.jpg": b"\xff\xd8",
        "jpeg-truncated.jpg": JPEG_8x8[: len(JPEG_8x8) // 2],
        "jpeg-claims-65535-square.jpg": patch_sof(65535, 65535),
        "jpeg-zero-size.jpg": patch_sof(0, 0),
        "jpeg-16-components.jpg": patch_sof(8, 8, 16),
        "jpeg-random-after-soi.jpg": b"\xff\xd8" + bytes((i * 31) % 256 for i in range(500)),
        "text.jpg": b"just some text\n",
    }
    out = []
    for name, data in bad.items():
        out.append(Case(f"classify/{name.rsplit('.', 1)[0]}", "datasets",
                        ["classify", "m.onnx", f"in/{name}"],
                        files({**model, f"in/{name}": data}), names=[name]))
    # 64 MB of pixel data for an 8x8 image: decoded in bounded memory, the excess ignored or refused.
    bomb = sig + ihdr(8, 8) + png_chunk(b"IDAT", zlib.compress(bytes(64 << 20), 9)) + iend
    out.append(Case("classify/png-idat-bomb", "datasets", ["classify", "m.onnx", "in/b.png"],
                    files({**model, "in/b.png": bomb}), rc=(0, 1), names=["b.png"]))
    out.append(Case("classify/missing-image", "datasets", ["classify", "m.onnx", "in/none.png"],
                    files(model), names=["none.png"]))
    out.append(Case("classify/directory-as-image", "datasets", ["classify", "m.onnx", "in/d.png"],
                    files(model, lambda d: os.makedirs(os.path.join(d, "in/d.png"))),
                    names=["d.png"]))
    # Valid files in other encodings: the answer must equal the plain 8-bit PNG's.
    weird = {
        "png-interlaced.png": png(8, 8, rows=adam7(PIX), interlace=1),
        "png-16-bit.png": png(8, 8, bit_depth=16, rows=gray_rows(PIX, 16)),
        "png-palette.png": png(8, 8, color_type=3, rows=gray_rows(PIX)),
        "png-two-idat.png": (lambda z: sig + ihdr(8, 8) + png_chunk(b"IDAT", z[:10]) +
                             png_chunk(b"IDAT", z[10:]) + iend)(zlib.compress(gray_rows(PIX))),
        "png-named-jpg.jpg": plain,
    }
    for name, data in weird.items():
        out.append(Case(f"classify/valid-{name.rsplit('.', 1)[0]}", "datasets",
                        ["classify", "m.onnx", "in/plain.png", f"in/{name}"],
                        files({**model, "in/plain.png": plain, f"in/{name}": data}), rc=0,
                        check=same_as_reference))

    # ImageFolder trees.
    img = w["i.png"]

    def folder(name, mapping, then=None, rc=1, names=("f",), timeout=10, check=None):
        out.append(Case(f"eval-folder/{name}", "datasets", ["eval", "m.onnx", "--data", "f"],
                        files({**model, **mapping}, then), rc=rc, names=list(names),
                        timeout=timeout, check=check))

    def loops(d):
        os.symlink(".", os.path.join(d, "f/cat/loop1"))
        os.symlink(".", os.path.join(d, "f/cat/loop2"))

    # Symlinks are followed (as torchvision does) but a loop is walked once, with a warning: the
    # answer is the two real images, one per class.
    def two_images(folder, stdout):
        return None if "count 2 " in stdout else f"expected 'count 2' in: {stdout.strip()}"

    folder("self-symlink-loops", {"f/cat/a.png": img, "f/dog/b.png": img}, loops, rc=0,
           check=two_images)
    folder("symlink-to-parent", {"f/cat/a.png": img, "f/dog/b.png": img},
           lambda d: os.symlink("..", os.path.join(d, "f/cat/up")), rc=0, check=two_images)
    folder("empty-root", {}, lambda d: os.makedirs(os.path.join(d, "f")))
    folder("classes-without-images", {}, lambda d: [os.makedirs(os.path.join(d, "f", c))
                                                    for c in ("cat", "dog")])
    folder("only-corrupt-images", {"f/cat/a.png": b"junk", "f/dog/b.png": b""})
    folder("root-is-a-file", {"f": b"not a folder"})
    folder("root-missing", {})
    return out
