"""A tiny numpy evaluator for the ops the gallery generators write. The generators run it while
they build a graph, on a batch of random images, to set each BatchNormalization's running
statistics from the activations it will see (a data-dependent initialization) and to center and
scale the classifier head: a deep net with random weights and random BN statistics otherwise maps
every input to nearly the same features, and top-1 agreement on it would test nothing."""
import numpy as np
from onnx import helper, mapping


def conv(x, w, b, group, strides, pads, dilations):
    n, c, h, wd = x.shape
    cout, cpg, kh, kw = w.shape
    if dilations != [1, 1]:
        raise ValueError("dilated Conv not needed by the gallery")
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    sh, sw = strides
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    taps = [x[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]
    if group == 1:
        cols = np.stack(taps, axis=2)  # n, c, k*k, oh, ow
        y = np.einsum("nckhw,ock->nohw", cols, w.reshape(cout, c, kh * kw), optimize=True)
    elif group == c and cpg == 1 and cout == c:
        wk = w.reshape(c, kh * kw)
        y = sum(t * wk[None, :, k, None, None] for k, t in enumerate(taps))
    else:
        raise ValueError("grouped Conv other than depthwise not needed by the gallery")
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def run(node, ins):
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    op = node.op_type
    if op == "Transpose":
        return np.transpose(ins[0], a["perm"])
    if op == "Pad":
        p = ins[1].reshape(2, -1)
        return np.pad(ins[0], list(zip(p[0], p[1])))
    if op == "Conv":
        return conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a.get("group", 1),
                    a["strides"], a["pads"], a.get("dilations", [1, 1]))
    if op == "BatchNormalization":
        x, g, b, m, v = ins
        s = (g / np.sqrt(v + a.get("epsilon", 1e-5))).reshape(1, -1, 1, 1)
        return (x - m.reshape(1, -1, 1, 1)) * s + b.reshape(1, -1, 1, 1)
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 else a.get("min", -np.inf)
        hi = ins[2] if len(ins) > 2 else a.get("max", np.inf)
        return np.clip(ins[0], lo, hi)
    if op == "Relu":
        return np.maximum(ins[0], 0)
    if op == "HardSigmoid":
        return np.clip(a.get("alpha", 0.2) * ins[0] + a.get("beta", 0.5), 0, 1)
    if op in ("Add", "Mul", "Div", "MatMul"):
        f = {"Add": np.add, "Mul": np.multiply, "Div": np.divide, "MatMul": np.matmul}[op]
        return f(ins[0], ins[1])
    if op == "GlobalAveragePool":
        return ins[0].mean(axis=(2, 3), keepdims=True)
    if op == "ReduceMean":
        return ins[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
    if op == "Flatten":
        ax = a.get("axis", 1)
        return ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
    if op == "Shape":
        return np.array(ins[0].shape, np.int64)
    if op == "Slice":
        if len(ins) > 1:
            starts, ends, axes = ins[1], ins[2], ins[3] if len(ins) > 3 else range(len(ins[1]))
        else:
            starts, ends, axes = a["starts"], a["ends"], a.get("axes", range(len(a["starts"])))
        idx = [slice(None)] * ins[0].ndim
        for s, e, ax in zip(starts, ends, axes):
            idx[ax] = slice(int(s), int(e))
        return ins[0][tuple(idx)]
    if op == "Cast":
        return ins[0].astype(mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
    if op == "Unsqueeze":
        axes = a["axes"] if "axes" in a else list(ins[1])
        return np.expand_dims(ins[0], tuple(axes))
    if op == "Concat":
        return np.concatenate(ins, axis=a["axis"])
    if op == "Reshape":
        return ins[0].reshape([int(d) for d in ins[1]])
    if op == "Softmax":
        e = np.exp(ins[0] - ins[0].max(axis=a.get("axis", -1), keepdims=True))
        return e / e.sum(axis=a.get("axis", -1), keepdims=True)
    raise ValueError(f"numpy_eval: {op} not implemented")


def random_images(n, resolution, seed, nhwc=False):
    """Random 'images': per image and channel a brightness ~ N(0,1) and a contrast ~ U(0.2,1.5)
    times a smooth pattern (an 8x8 grid of N(0,1), nearest-upsampled) plus N(0,0.5) pixel noise
    (bench/gallery_vs_ort.js draws the same way). Images then differ in their large-scale content,
    not only in noise that global pooling averages away, so that top-1 varies between them and is
    not a near tie that one rounding step flips."""
    rng = np.random.default_rng(seed)
    idx = np.arange(resolution) * 8 // resolution
    x = np.empty((n, 3, resolution, resolution), np.float32)
    for i in range(n):
        for c in range(3):
            contrast, bright = rng.uniform(0.2, 1.5), rng.normal()
            grid = rng.normal(size=(8, 8))[idx][:, idx]
            x[i, c] = bright + contrast * (grid + 0.5 * rng.normal(size=(resolution, resolution)))
    return x.transpose(0, 2, 3, 1).copy() if nhwc else x
