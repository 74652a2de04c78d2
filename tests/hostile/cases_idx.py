"""IDX (MNIST layout), gzip bombs and CIFAR binaries through eval and ptq (owner: datasets).
Bombs are a few MB, made at test time from one compressed member repeated."""
import gzip
import os

from common import (Case, cifar_records, files, fixture, gzip_zero_members, gzip_zeros_member,
                    idx, world)

IMG = "d/t10k-images-idx3-ubyte"
LAB = "d/t10k-labels-idx1-ubyte"


def cases(fx):
    w = world(fx)
    model = {"m.onnx": w["m.onnx"]}
    good_images, good_labels = idx([20, 8, 8]), idx([20], bytes(i % 10 for i in range(20)))
    out = []

    def eval_case(name, images=None, labels=None, gz=False, names=None, env=None, rc=1,
                  data=None, cmd="eval"):
        images = good_images if images is None else images
        labels = good_labels if labels is None else labels
        mapping = dict(model)
        if gz:
            already = isinstance(images, str) or images[:2] == b"\x1f\x8b"
            mapping[IMG + ".gz"] = images if already else gzip.compress(images)
            mapping[LAB + ".gz"] = gzip.compress(labels)
        else:
            mapping[IMG], mapping[LAB] = images, labels
        args = (["eval", "m.onnx", "--data", data or "fashion-mnist:d"] if cmd == "eval" else
                ["ptq", "m.onnx", "--calib", data or "fashion-mnist:d", "--split", "test",
                 "-o", "out/q.onnx"])
        out.append(Case(f"{cmd}-idx/{name}", "datasets", args, files(mapping), rc=rc,
                        names=names or ["idx3-ubyte", "idx1-ubyte"], env=env or {}))

    eval_case("images-empty", images=b"")
    eval_case("images-bad-magic", images=b"\x01\x02" + good_images[2:])
    eval_case("images-type-float", images=idx([20, 8, 8], bytes(20 * 64 * 4), type_byte=0x0D))
    eval_case("images-rank-2", images=idx([20, 64]))
    eval_case("images-header-truncated", images=good_images[:9])
    eval_case("images-data-truncated", images=good_images[:-1])
    eval_case("images-extra-data", images=good_images + b"\0")
    eval_case("images-claim-4g-images", images=idx([0xFFFFFFFF, 8, 8], bytes(64)))
    eval_case("images-dims-wrap-32bit", images=idx([65536, 65536, 1], bytes(64)))
    eval_case("images-zero-rows", images=idx([20, 0, 8], b""))
    eval_case("images-huge-side", images=idx([1, 70000, 1], bytes(70000)))
    eval_case("labels-count-mismatch", labels=idx([19], bytes(19)))
    eval_case("labels-out-of-range", labels=idx([20], bytes([200] * 20)))
    eval_case("labels-rank-3", labels=idx([20, 1, 1], bytes(20)))
    eval_case("images-missing", images=b"")  # replaced below by a folder without the file
    out.pop()
    out.append(Case("eval-idx/images-missing", "datasets",
                    ["eval", "m.onnx", "--data", "fashion-mnist:d"],
                    files({**model, LAB: good_labels}), names=["idx3-ubyte"]))
    out.append(Case("eval-idx/images-is-directory", "datasets",
                    ["eval", "m.onnx", "--data", "fashion-mnist:d"],
                    files({**model, LAB: good_labels},
                          lambda d: os.makedirs(os.path.join(d, IMG))), names=["idx3-ubyte"]))
    out.append(Case("eval-idx/dataset-dir-missing", "datasets",
                    ["eval", "m.onnx", "--data", "fashion-mnist:nowhere"], files(model),
                    names=["nowhere"]))
    out.append(Case("eval-idx/unknown-split", "datasets",
                    ["eval", "m.onnx", "--data", "fashion-mnist:d", "--split", "holdout"],
                    files({**model, IMG: good_images, LAB: good_labels}), names=["holdout"]))
    out.append(Case("eval-idx/unknown-dataset", "datasets",
                    ["eval", "m.onnx", "--data", "imagenet-please"], files(model),
                    names=["imagenet-please"]))

    # gzip: corrupt, truncated, and bombs.
    gz = gzip.compress(good_images)
    eval_case("gzip-truncated", images=gz[:-20], gz=True)
    eval_case("gzip-bad-crc", images=gz[:-8] + bytes(4) + gz[-4:], gz=True)
    eval_case("gzip-corrupt-deflate", images=gz[:12] + b"\xff" * 20 + gz[32:], gz=True)
    eval_case("gzip-trailing-junk", images=gz + b"junk", gz=True, rc=(0, 1))  # gzip(1) warns only
    eval_case("gzip-header-only", images=gz[:10], gz=True)
    # A real header for 20 images, then 3 GiB of zeros: the reader must stop at what the header
    # needs (or at the ceiling), not inflate it all.
    bomb = fixture(fx, "bomb3g.gz", lambda: gzip_zero_members(good_images, 3 << 30))
    eval_case("gzip-bomb-3gib-after-header", images=bomb, gz=True)
    # A header claiming 3 GiB of images that are all present once inflated (bounded by the
    # decompressed-size ceiling, set low here).
    claim = idx([3 << 24, 8, 8], b"")
    eval_case("gzip-ceiling", images=gzip_zero_members(claim, 64 << 20), gz=True,
              env={"QCV_MAX_DECOMPRESSED_BYTES": str(16 << 20)})
    # One member of 2.2 GiB zeros (a hand-made deflate stream) behind the valid header member.
    single = fixture(fx, "bomb-single.gz", lambda: gzip.compress(good_images) +
                     gzip_zeros_member((2200 << 20) // 2064))
    eval_case("gzip-bomb-single-member-2gib", images=single, gz=True)

    # ptq reads the same files through the calibration path.
    for name, images in [("images-claim-4g-images", idx([0xFFFFFFFF, 8, 8], bytes(64))),
                         ("images-data-truncated", good_images[:-1]),
                         ("images-bad-magic", b"\x01\x02" + good_images[2:])]:
        eval_case(name, images=images, cmd="ptq")
    eval_case("gzip-bomb-3gib-after-header", images=bomb, gz=True, cmd="ptq")

    # CIFAR-10 binary: 1 label byte + 3072 pixel bytes per record.
    def cifar(name, data, names=("test_batch.bin",), then=None):
        out.append(Case(f"eval-cifar/{name}", "datasets",
                        ["eval", "m3.onnx", "--data", "cifar10:c"],
                        files({"m3.onnx": _rgb_model(fx), "c/test_batch.bin": data}
                              if data is not None else {"m3.onnx": _rgb_model(fx)}, then),
                        names=list(names)))

    good = cifar_records([i % 10 for i in range(4)])
    cifar("empty", b"")
    cifar("partial-record", good[:-1])
    cifar("record-and-a-byte", good + b"\0")
    cifar("label-255", cifar_records([255, 1, 2]))
    cifar("label-10", cifar_records([10]))
    cifar("missing", None)
    cifar("directory", None, then=lambda d: os.makedirs(os.path.join(d, "c/test_batch.bin")))
    return out


def _rgb_model(fx):
    from common import fixture, tiny_classifier
    return fixture(fx, "tiny_rgb32.onnx", lambda: tiny_classifier(channels=3, res=32))
