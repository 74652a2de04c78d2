#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_idx, fuzz_tar and the PNG seeds of fuzz_image (the JPEG seeds
come from make_jpeg_seeds.cpp): small valid files of each form the readers accept, so the fuzzer
starts from inputs that reach deep into the code. Usage: fuzz/make_corpus.py [fuzz/corpus]"""
import gzip, io, os, struct, sys, tarfile, zlib

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


# ---- IDX: 00 00 08 rank, big-endian dims, bytes
def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data

labels = idx([3], bytes([0, 1, 2]))
images = idx([3, 2, 2], bytes(range(12)))
put("fuzz_idx", "labels.idx1", labels)
put("fuzz_idx", "images.idx3", images)
put("fuzz_idx", "labels.idx1.gz", gzip.compress(labels, mtime=0))
put("fuzz_idx", "images.idx3.gz", gzip.compress(images, mtime=0))
put("fuzz_idx", "two_members.gz", gzip.compress(images[:9], mtime=0) + gzip.compress(images[9:], mtime=0))


# ---- PNG: signature, IHDR, optional PLTE/tRNS, IDAT, IEND
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def png(width, height, color_type, bit_depth, rows, plte=None, trns=None, interlace=0):
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    body = chunk(b"IHDR", ihdr)
    if plte: body += chunk(b"PLTE", plte)
    if trns: body += chunk(b"tRNS", trns)
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

put("fuzz_image", "gray8.png", png(4, 3, 0, 8, [bytes([10, 20, 30, 40])] * 3))
put("fuzz_image", "gray1.png", png(8, 2, 0, 1, [b"\xa5", b"\x5a"]))
put("fuzz_image", "rgb8.png", png(2, 2, 2, 8, [bytes(range(6)), bytes(range(6, 12))]))
put("fuzz_image", "rgba16.png", png(1, 2, 6, 16, [bytes(range(8)), bytes(range(8, 16))]))
put("fuzz_image", "gray_alpha.png", png(2, 1, 4, 8, [bytes([1, 2, 3, 4])]))
put("fuzz_image", "palette.png",
    png(3, 1, 3, 8, [bytes([0, 1, 2])], plte=bytes(range(9)), trns=b"\x80"))
put("fuzz_image", "interlaced.png", png(3, 3, 0, 8, [b"\x00\x10\x20"] * 3, interlace=1))
put("fuzz_image", "text.png",
    png(1, 1, 0, 8, [b"\x07"])[:-12] + chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"v" * 100))
    + chunk(b"IEND", b""))


# ---- tar shards: ustar, GNU long names, pax; samples <key>.jpg + <key>.cls
def shard(fmt, samples, extra=()):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, data in list(samples) + list(extra):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()

fake_jpeg = b"\xff\xd8\xff\xe0" + bytes(12)
basic = [("000000_a.jpg", fake_jpeg), ("000000_a.cls", b"0"),
         ("000001_b.png", b"\x89PNG\r\n\x1a\n"), ("000001_b.cls", b"2\n")]
put("fuzz_tar", "ustar.tar", shard(tarfile.USTAR_FORMAT, basic))
put("fuzz_tar", "gnu_long.tar",
    shard(tarfile.GNU_FORMAT, [("d/" + "x" * 120 + ".jpg", fake_jpeg), ("d/" + "x" * 120 + ".cls", b"1")]))
put("fuzz_tar", "pax.tar",
    shard(tarfile.PAX_FORMAT, [("p/é" + "y" * 110 + ".jpg", fake_jpeg), ("p/é" + "y" * 110 + ".cls", b"3")]))
put("fuzz_tar", "prefix.tar",
    shard(tarfile.USTAR_FORMAT, [("dir" * 40 + "/k.jpg", fake_jpeg), ("dir" * 40 + "/k.cls", b"0")]))
with_dir = io.BytesIO()
with tarfile.open(fileobj=with_dir, mode="w", format=tarfile.GNU_FORMAT) as tar:
    d = tarfile.TarInfo("sub"); d.type = tarfile.DIRTYPE; d.mtime = 0; tar.addfile(d)
    l = tarfile.TarInfo("sub/link.jpg"); l.type = tarfile.SYMTYPE; l.linkname = "x"; tar.addfile(l)
    for name, data in basic:
        info = tarfile.TarInfo("sub/" + name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
put("fuzz_tar", "dir_and_link.tar", with_dir.getvalue())
put("fuzz_tar", "empty.tar", bytes(1024))
