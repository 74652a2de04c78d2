"""Tar shards read through eval (`shards:DIR`) and written by `qcv shards` (owner: datasets; the
writer's stale-shard and output cases: paths)."""
import os
import struct

from common import Case, files, pax, tar_end, tar_header, tar_member, world

HUGE_SIZE = (1 << 64) - 512  # padded and added to the offset, it wraps back onto the same header


def base256(value):
    return b"\x80" + value.to_bytes(11, "big")


def cases(fx):
    w = world(fx)
    model = {"m.onnx": w["m.onnx"]}
    img = open(w["i.png"], "rb").read()

    def sample(key, label=b"1", image=None):
        return tar_member(f"{key}.png", img if image is None else image) + tar_member(f"{key}.cls", label)

    good = sample("a") + sample("b", b"2")
    out = []

    def shard(name, data, rc=1, names=("shard-000000.tar",), extra=None, then=None, owner="datasets"):
        mapping = {**model, "s/shard-000000.tar": data, **(extra or {})}
        out.append(Case(f"eval-shards/{name}", owner, ["eval", "m.onnx", "--data", "shards:s"],
                        files(mapping, then), rc=rc, names=list(names), timeout=10))

    shard("base256-size-wraps", good + tar_header("c.png", 0, size_field=base256(HUGE_SIZE)) + tar_end())
    shard("base256-size-wraps-dir", good + tar_header("c", 0, type_flag=b"5",
                                                      size_field=base256(HUGE_SIZE)) + tar_end())
    shard("pax-size-wraps", good + pax([(b"size", str(HUGE_SIZE).encode())]) +
          tar_header("c.png", 0) + tar_end())
    shard("pax-size-minus-one", good + pax([(b"size", b"-1")]) + tar_header("c.png", 0) + tar_end())
    shard("pax-size-garbage", good + pax([(b"size", b"12abc")]) + tar_header("c.png", 0) + tar_end())
    shard("pax-record-length-huge", good + tar_member("PaxHeader", b"99999999999999999999 path=x\n",
                                                      type_flag=b"x") + tar_end())
    shard("gnu-longname-1tb", good + tar_header("././@LongLink", 1 << 40, type_flag=b"L") + tar_end())
    shard("label-1e9-no-classes", sample("a", b"1000000000") + tar_end())
    shard("label-2e9-no-classes", sample("a", b"2147483648") + tar_end())
    shard("label-negative", sample("a", b"-3") + tar_end())
    shard("label-text", sample("a", b"cat") + tar_end())
    shard("label-40-bytes", sample("a", b"1" * 40) + tar_end())
    shard("two-images-one-key", sample("a") + tar_member("a.jpg", img) + tar_end())
    shard("label-without-image", tar_member("a.cls", b"1") + tar_end())
    shard("image-without-label", tar_member("a.png", img) + tar_end())
    shard("bad-checksum", good[:148] + b"000000\0 " + good[156:] + tar_end())
    shard("truncated-member", good + tar_header("c.png", 4096) + img[:100])
    shard("no-end-block", good)
    shard("empty-file", b"")
    shard("corrupt-image-member", sample("a", image=b"\x89PNG junk") + tar_end())
    shard("classes-txt-too-short", sample("a", b"5") + tar_end(), extra={"s/classes.txt": b"cat\ndog\n"},
          names=["classes.txt"])
    out.append(Case("eval-shards/no-shards", "datasets", ["eval", "m.onnx", "--data", "shards:s"],
                    files(model, lambda d: os.makedirs(os.path.join(d, "s"))), names=["s"]))
    out.append(Case("eval-shards/shard-is-directory", "datasets",
                    ["eval", "m.onnx", "--data", "shards:s"],
                    files(model, lambda d: os.makedirs(os.path.join(d, "s/shard-000000.tar"))),
                    names=["shard-000000.tar"]))
    # Member names with ../ are keys, never paths: reading must write nothing.
    shard("member-names-escape", tar_member("../../x.png", img) + tar_member("../../x.cls", b"1") +
          tar_end(), rc=0)

    # The writer.
    image_folder = {k: v for k, v in w.items() if k.startswith("in/")}
    out.append(Case("shards-write/root-missing", "datasets", ["shards", "nowhere", "-o", "out/s"],
                    files({}), names=["nowhere"]))
    out.append(Case("shards-write/root-is-file", "datasets", ["shards", "m.onnx", "-o", "out/s"],
                    files(model), names=["m.onnx"]))
    out.append(Case("shards-write/root-empty", "datasets", ["shards", "in", "-o", "out/s"],
                    files({}, lambda d: os.makedirs(os.path.join(d, "in"))), names=["in"]))
    out.append(Case("shards-write/output-is-file", "paths", ["shards", "in", "-o", "out/s"],
                    files({**image_folder, "out/s": b"a file"}), names=["out/s"]))

    def loops(d):
        os.symlink(".", os.path.join(d, "in/cat/loop1"))
        os.symlink(".", os.path.join(d, "in/cat/loop2"))

    # A symlink loop is walked once (with a warning): the shards hold the real images only.
    def real_images_only(folder, _):
        import tarfile
        members = []
        for name in sorted(os.listdir(os.path.join(folder, "out/s"))):
            if name.endswith(".tar"):
                with tarfile.open(os.path.join(folder, "out/s", name)) as t:
                    members += [m.name for m in t.getmembers() if not m.name.endswith(".cls")]
        images = [k for k in image_folder if not k.endswith(".txt")]
        return None if len(members) == len(images) else f"shards hold {members}, expected {images}"

    out.append(Case("shards-write/self-symlink-loops", "datasets", ["shards", "in", "-o", "out/s"],
                    files(image_folder, loops), rc=0, outputs=["out/s", "out/s/*"],
                    check=real_images_only, timeout=10))

    def only_new_shards(folder, _):
        names = sorted(os.listdir(os.path.join(folder, "out/s")))
        return None if "shard-000009.tar" not in names else f"stale shard kept: {names}"

    out.append(Case("shards-write/stale-shards-replaced", "paths", ["shards", "in", "-o", "out/s"],
                    files({**image_folder, "out/s/shard-000009.tar": good + tar_end()}), rc=0,
                    outputs=["out/s/*"], check=only_new_shards))
    return out
