"""What every hostile-input case is made of, and the writers that craft the files.

A case is one qcv invocation in its own folder (cwd). Its `setup(dir)` writes the inputs; the
runner then checks the exit code, that stderr is one `qcv: error:` line naming the culprit, memory,
and that nothing but the expected outputs appeared (no temp files, nothing outside out/).
"""
import gzip
import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Case:
    id: str                      # family/name, unique
    owner: str                   # who fixes it if it fails: tensors, datasets, clierr, paths, runtime
    args: List[str]              # qcv arguments, paths relative to the case folder
    setup: Callable[[str], None] = lambda d: None
    rc: int = 1                  # 2 usage, 1 bad input, 0 valid-but-weird (then `check` decides)
    names: List[str] = field(default_factory=list)  # stderr must contain one of these
    outputs: List[str] = field(default_factory=list)  # globs that may appear when rc == 0
    check: Optional[Callable[[str, str], Optional[str]]] = None  # (dir, stdout) -> error or None
    env: dict = field(default_factory=dict)
    stage: str = "core"          # core: no LibTorch needed; torch: train, qat, workflow
    timeout: float = 0           # 0: the runner's default
    signal_on_temp: int = 0      # send this signal once a temp output appears (cleanup cases)


def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb" if isinstance(data, (bytes, bytearray)) else "w") as f:
        f.write(data)


def link(src, dst):
    """Hard-links a shared fixture into a case folder (copies if linking is not possible)."""
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        with open(src, "rb") as s, open(dst, "wb") as d:
            d.write(s.read())


# ---- .npy ---------------------------------------------------------------------------------------
def npy_bytes(header, payload=b"", version=1):
    """A .npy file with a literal header dict text (padded and ended by a newline)."""
    text = header.encode() if isinstance(header, str) else header
    prefix = 10 if version == 1 else 12
    text += b" " * ((64 - (prefix + len(text) + 1) % 64) % 64) + b"\n"
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + payload


def npy_of(array, version=1):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=(version, 0))
    return buf.getvalue()


# ---- ONNX ---------------------------------------------------------------------------------------
def model_bytes(nodes, inputs, outputs, inits=(), opset=13, ir=8, metadata=None, check=False):
    graph = helper.make_graph(list(nodes), "hostile", list(inputs), list(outputs), list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    if check:
        onnx.checker.check_model(model)
    return model.SerializeToString()


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def tiny_classifier(classes=10, channels=1, res=8, seed=0, metadata=None):
    """Conv 3x3 -> Relu -> GlobalAveragePool -> Flatten -> MatMul: a classifier in 5 nodes."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((4, channels, 3, 3)).astype(np.float32)
    g = rng.standard_normal((4, classes)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "G"], ["y"])]
    return model_bytes(nodes, [vi("x", ["N", channels, res, res])], [vi("y", ["N", classes])],
                       [numpy_helper.from_array(w, "W"), numpy_helper.from_array(g, "G")],
                       metadata=metadata, check=True)


def affine_model(shape=(1, 1, 8, 8), out_name="y"):
    """y = 2x + 1: a model whose answer numpy knows (valid-but-weird inputs must give it)."""
    nodes = [helper.make_node("Mul", ["x", "two"], ["t"]),
             helper.make_node("Add", ["t", "one"], [out_name])]
    inits = [numpy_helper.from_array(np.array(2, np.float32), "two"),
             numpy_helper.from_array(np.array(1, np.float32), "one")]
    return model_bytes(nodes, [vi("x", list(shape))], [vi(out_name, list(shape))], inits,
                       check=True)


def constant_model(value, classes=4, res=8, channels=1):
    """A classifier whose logits are one constant row (ties everywhere, or NaN)."""
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], axes=[1, 2, 3], keepdims=0),
             helper.make_node("Mul", ["m", "zero"], ["z"]),
             helper.make_node("Unsqueeze", ["z", "ax"], ["u"]),
             helper.make_node("Add", ["u", "row"], ["y"])]
    inits = [numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array([1], np.int64), "ax"),
             numpy_helper.from_array(np.full((1, classes), value, np.float32), "row")]
    return model_bytes(nodes, [vi("x", ["N", channels, res, res])], [vi("y", ["N", classes])], inits)


# ---- protobuf wire format (for files the onnx package refuses to build) -------------------------
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_field(number, value):
    """One protobuf field: int -> varint, bytes/str -> length-delimited."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def tensor_proto(name, dims, data_type=TensorProto.FLOAT, raw=b"", extra=b""):
    """A TensorProto with arbitrary (even negative or huge) dims."""
    out = b"".join(pb_field(1, d) for d in dims) + pb_field(2, data_type)
    if name:
        out += pb_field(8, name)
    if raw is not None:
        out += pb_field(9, raw)
    return out + extra


def replace_initializer(model, name, proto):
    """`model` (bytes) with initializer `name` replaced by raw TensorProto bytes: a second
    ModelProto.graph (7) field holding one GraphProto.initializer (5) merges into the first."""
    m = onnx.load_from_string(model)
    keep = [t for t in m.graph.initializer if t.name != name]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    return m.SerializeToString() + pb_field(7, pb_field(5, proto))


# ---- images -------------------------------------------------------------------------------------
def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png(width, height, color_type=0, bit_depth=8, rows=None, interlace=0, idat=None):
    """A PNG; `rows` is the raw filtered scanline data (default: filter 0 + a gradient)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    if rows is None:
        stride = (width * channels * bit_depth + 7) // 8
        rows = b"".join(b"\0" + bytes((x + y) % 256 for x in range(stride))
                        for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if color_type == 3:
        out += png_chunk(b"PLTE", bytes(v for i in range(256) for v in (i, i, i)))  # gray
    out += png_chunk(b"IDAT", zlib.compress(rows) if idat is None else idat)
    return out + png_chunk(b"IEND", b"")


# An 8x8 grayscale baseline JPEG (made once with an encoder and kept as bytes: 344 bytes).
JPEG_8x8 = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404"
    "050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ff"
    "c0000b080008000801011100ffc4001f0000010501010101010100000000000000000102030405060708090a0b"
    "ffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a108"
    "2342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a53545556"
    "5758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9"
    "aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7"
    "f8f9faffda0008010100003f008bc35ff04dbfb9ff0012bffc875fffd9")


# ---- IDX, CIFAR, tar ----------------------------------------------------------------------------
def idx(dims, data=None, type_byte=8):
    header = bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    if data is None:
        n = int(np.prod(dims)) if dims else 0
        data = bytes(i % 251 for i in range(n))
    return header + data


def mnist_dir(dir, images=None, labels=None, split="t10k", count=20, res=8, compress=False):
    """A fashion-mnist:<dir> dataset; `images`/`labels` replace the valid files' bytes."""
    if images is None:
        images = idx([count, res, res])
    if labels is None:
        labels = idx([count], bytes(i % 10 for i in range(count)))
    for stem, data in ((f"{split}-images-idx3-ubyte", images), (f"{split}-labels-idx1-ubyte", labels)):
        if compress:
            write(os.path.join(dir, stem + ".gz"), gzip.compress(data))
        else:
            write(os.path.join(dir, stem), data)


def deflate_zeros(units):
    """A raw deflate stream of 259 + 2064 * units zero bytes, made in microseconds: one
    fixed-Huffman block of a literal 0 and (length 258, distance 1) copies. Header, literal and one
    copy fill 3 bytes; eight copies fill 13, so the middle is one 13-byte pattern repeated."""
    def pack(bits):
        return bytes(sum(bits[8 * i + j] << j for j in range(8)) for i in range(len(bits) // 8))

    def code(value, count):  # Huffman codes are stored most significant bit first
        return [(value >> i) & 1 for i in range(count - 1, -1, -1)]

    copy = code(0xC5, 8) + code(0, 5)  # length code 285 (258 bytes), distance code 0 (1 byte)
    prefix = pack([1, 1, 0] + code(0x30, 8) + copy)  # BFINAL, BTYPE 01, literal 0, one copy
    unit = pack(copy * 8)
    return prefix + unit * units + b"\0"  # end of block: code 256 is 7 zero bits


def gzip_zeros_member(units):
    """A gzip member of 259 + 2064 * units zeros. The trailer's CRC is left 0: a reader must stop
    (header says how much it needs, or a ceiling) long before it would check it."""
    size = 259 + 2064 * units
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflate_zeros(units) +
            struct.pack("<II", 0, size & 0xFFFFFFFF))


def gzip_zero_members(header, zeros, member_bytes=1 << 20):
    """`header` then `zeros` zero bytes as concatenated gzip members (one compressed member
    repeated: gigabytes from a few megabytes, made in milliseconds)."""
    out = bytearray(gzip.compress(header, 1))
    full, rest = divmod(zeros, member_bytes)
    if full:
        out += gzip.compress(bytes(member_bytes), 9) * full
    if rest:
        out += gzip.compress(bytes(rest), 9)
    return bytes(out)


def cifar_records(labels, res=32):
    return b"".join(bytes([label]) + bytes((i * 7 + label) % 256 for i in range(3 * res * res))
                    for label in labels)


def tar_header(name, size, type_flag=b"0", size_field=None, prefix=b""):
    """One ustar header block; `size_field` (12 bytes) overrides the octal size (base-256...)."""
    h = bytearray(512)
    n = name.encode() if isinstance(name, str) else name
    h[0:len(n[:100])] = n[:100]
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    field = size_field if size_field is not None else b"%011o\0" % size
    h[124:136] = field[:12].ljust(12, b"\0")  # an oversized octal is cut, as a corrupt header is
    h[136:148] = b"00000000000\0"
    h[156:157] = type_flag
    h[257:265] = b"ustar\x0000"
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def tar_member(name, data, **kw):
    pad = (512 - len(data) % 512) % 512
    return tar_header(name, len(data), **kw) + data + b"\0" * pad


def tar_end():
    return b"\0" * 1024


def pax(records):
    """A pax extended header ('x') member with the given key=value records."""
    body = b""
    for key, value in records:
        rec = b" %s=%s\n" % (key, value)
        length = len(rec) + 1
        while len(str(length)) + len(rec) != length:
            length += 1
        body += str(length).encode() + rec
    return tar_member("PaxHeader", body, type_flag=b"x")


def one_line(text):
    return text.replace("\n", "\\n")[:300]


def fixture(fixtures, name, make):
    """A shared input file, made once per run (cases hard-link it into their folders)."""
    path = os.path.join(fixtures, name)
    if not os.path.exists(path):
        write(path, make())
    return path


def files(mapping, then=None):
    """setup(dir) writing each relative path -> bytes (or hard-linking a fixture's absolute path),
    then calling then(dir) for what bytes cannot say (symlinks, folders)."""
    def setup(folder):
        for rel, data in mapping.items():
            if isinstance(data, str) and os.path.isabs(data):
                link(data, os.path.join(folder, rel))
            else:
                write(os.path.join(folder, rel), data)
        if then:
            then(folder)
    return setup


def world(fx):
    """Valid inputs for every command, so that a case differs from a passing run in one thing:
    m.onnx (1x1x8x8 -> 10 classes), x.npy, fashion-mnist:d (20 test + 20 train 8x8 images),
    i.png, and an ImageFolder `in/` (2 classes x 2 PNGs)."""
    model = fixture(fx, "tiny.onnx", tiny_classifier)
    x = fixture(fx, "x.npy", lambda: npy_of(
        np.random.default_rng(1).standard_normal((1, 1, 8, 8)).astype(np.float32)))
    images = fixture(fx, "t10k-images", lambda: idx([20, 8, 8]))
    labels = fixture(fx, "t10k-labels", lambda: idx([20], bytes(i % 10 for i in range(20))))
    image = fixture(fx, "i.png", lambda: png(8, 8))
    return {"m.onnx": model, "x.npy": x, "i.png": image,
            "d/t10k-images-idx3-ubyte": images, "d/t10k-labels-idx1-ubyte": labels,
            "d/train-images-idx3-ubyte": images, "d/train-labels-idx1-ubyte": labels,
            "in/cat/a.png": image, "in/cat/b.png": image, "in/dog/c.png": image,
            "in/dog/d.png": image}
