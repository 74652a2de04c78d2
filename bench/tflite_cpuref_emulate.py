#!/usr/bin/python3
# Runs a QDQ file made with the `tflite` scheme (the ResNets' ops: Conv incl. depthwise, Relu,
# Add, MaxPool, GlobalAveragePool, Flatten, Gemm) on the same int8 tensors in three arithmetics,
# to tell what makes Arm NN differ from qcv (README "TFLite export"):
#   exact   ONNX QDQ semantics: int32 accumulation, requantized in float64, round half to even
#           (what qcv's INT8 runtime and ONNX Runtime compute);
#   cpuref  Arm NN 20.08's CpuRef: every int8 value dequantized to float32, products summed in
#           float32 in its loop order (input channel, filter row, filter column; bias last), then
#           round(x / scale) half away from zero (ConvImpl.cpp, TypesUtils.cpp);
#   tflite  TFLite's integer reference kernels: int32 accumulation, a 31-bit fixed-point
#           multiplier (SaturatingRoundingDoublingHighMul + RoundingDivideByPOT), ADD with both
#           inputs shifted left 20 bits and rescaled in fixed point.
# Usage:
#   bench/tflite_cpuref_emulate.py --make-taps MODEL.qdq.onnx TAPS.onnx
#       the same file with every activation DequantizeLinear a graph output, for `qcv run TAPS.onnx
#       -o DIR` (one NAME.npy per int8 tensor: qcv's own values);
#   bench/tflite_cpuref_emulate.py MODEL.qdq.onnx X.npy --output-range LO,HI [--qcv Y.npy]
#       [--armnn Y.npy] [--ort Y.npy] [--taps DIR] [--table] [--name NAME]
#       X.npy: NCHW float32 input; LO,HI: export-tflite's --output-range (the float logits' int8
#       range); --qcv / --armnn / --ort: `qcv run` / `tflite_armnn_check --run` /
#       `bench/ort_run.js` logits of the same X.
#       Prints one Markdown row: logits of Arm NN vs qcv, Arm NN vs the cpuref emulation, qcv vs
#       exact, cpuref vs exact, tflite vs exact (share within one output step, max / mean steps),
#       and the int8 values each arithmetic rounds differently from exact when every op gets
#       exact's int8 inputs ("local": the op's own flips, nothing propagated), over all int8
#       tensors, with the first tensor that has one. --table: per int8 tensor, the share of
#       values differing from exact with errors propagated (as in the real runs) and local.
#       With --ort, one line more: ONNX Runtime against exact, qcv and Arm NN.
import argparse
import sys
import numpy as np
import onnx
from onnx import numpy_helper as nh

f32 = np.float32
MODES = ("exact", "cpuref", "tflite", "cpuref_local", "tflite_local")


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


# --- TFLite's fixed-point requantization (gemmlowp) ---------------------------------------
def quantize_multiplier(m):
    """double multiplier -> (int32 q, shift) with m ~= q * 2^(shift - 31), TFLite's way."""
    if m == 0:
        return 0, 0
    q, shift = np.frexp(m)
    qf = int(round(q * (1 << 31)))  # std::round: half away (q > 0)
    if qf == 1 << 31:
        qf //= 2
        shift += 1
    return qf, int(shift)


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul on int64 arrays holding int32 values."""
    ab = a.astype(np.int64) * np.int64(b)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # C++ integer division truncates toward zero.
    s = ab + nudge
    return np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))


def rdbpot(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def mul_by_quantized_multiplier(x, m):
    q, shift = quantize_multiplier(m)
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot(srdhm(x * (1 << left), q), right)


# --- the graph -----------------------------------------------------------------------------
class Q8:
    """An int8 tensor: values, scale, zero point."""

    def __init__(self, q, scale, zp):
        self.q, self.scale, self.zp = q.astype(np.int64), f32(scale), int(zp)

    def real64(self):
        return (self.q - self.zp) * np.float64(self.scale)

    def real32(self):  # armnn::Dequantize: float(q - offset) * scale
        return (self.q - self.zp).astype(f32) * self.scale


class LocalView(dict):
    """A local mode's values: its own pending op outputs, but every int8 tensor the exact one."""

    def __init__(self, exact):
        super().__init__()
        self.exact = exact

    def __getitem__(self, name):
        own = self.get(name)
        return own if isinstance(own, Pending) else self.exact[name]


class Pending:
    """An op's output before its QuantizeLinear: the arithmetic of each mode waits for the output
    scale. kind 'acc': int accumulators `acc` with real scale per channel `mult` (s_in * s_w);
    'add': two Q8 terms; 'real': a real value (exact float64, or cpuref float32 in `f32v`)."""

    def __init__(self, kind, **kw):
        self.kind, self.relu = kind, False
        self.__dict__.update(kw)


def conv_int(x, w, stride, pads, group):
    """Exact integer conv: x [N, C, H, W] (zero-point-free), w [O, C/g, kh, kw]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (h + pads[0] + pads[2] - kh) // stride[0] + 1
    wo = (wd + pads[1] + pads[3] - kw) // stride[1] + 1
    out = np.zeros((n, o, ho, wo), np.int64)
    og = o // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                patch = xs[:, :, ky:ky + stride[0] * ho:stride[0], kx:kx + stride[1] * wo:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch,
                                                         w[g * og:(g + 1) * og, :, ky, kx])
    return out


def conv_cpuref(x32, w32, b32, stride, pads, group):
    """CpuRef's Convolve: float32 sum over (input channel, ky, kx), padding skipped, bias last."""
    n, c, h, wd = x32.shape
    o, cg, kh, kw = w32.shape
    ho = (h + pads[0] + pads[2] - kh) // stride[0] + 1
    wo = (wd + pads[1] + pads[3] - kw) // stride[1] + 1
    xp = np.pad(x32, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    valid = np.pad(np.ones((h, wd), bool), ((pads[0], pads[2]), (pads[1], pads[3])))
    s = np.zeros((n, o, ho, wo), f32)
    og = o // group
    for ci in range(cg):
        for ky in range(kh):
            for kx in range(kw):
                sl = (slice(ky, ky + stride[0] * ho, stride[0]), slice(kx, kx + stride[1] * wo, stride[1]))
                if group == 1:
                    prod = w32[:, ci, ky, kx][None, :, None, None] * xp[:, ci][:, None][(..., *sl)]
                else:  # output channel oc reads input channel oc // og (og outputs per group)
                    chans = np.arange(o) // og * cg + ci
                    prod = w32[:, ci, ky, kx][None, :, None, None] * xp[:, chans][(..., *sl)]
                prod = np.where(valid[sl][None, None], prod, f32(0))
                s = (s + prod).astype(f32)
    return (s + b32[None, :, None, None]).astype(f32)


def make_taps(model, out):
    m = onnx.load(model)
    g = m.graph
    quantized = {n.output[0] for n in g.node if n.op_type == "QuantizeLinear"}
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in quantized:
            g.output.append(onnx.helper.make_tensor_value_info(n.output[0], onnx.TensorProto.FLOAT, None))
    onnx.save(m, out)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--make-taps":
        return make_taps(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser(description="a tflite-scheme QDQ file in exact, CpuRef and TFLite integer arithmetic")
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--output-range", required=True)
    ap.add_argument("--qcv")
    ap.add_argument("--armnn")
    ap.add_argument("--ort")
    ap.add_argument("--taps")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--name", default="")
    args = ap.parse_args()
    taps = args.taps
    lo, hi = (float(v) for v in args.output_range.split(","))
    g = onnx.load(args.model).graph
    init = {t.name: nh.to_array(t) for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    dq_of = {n.input[0]: n.output[0] for n in g.node if n.op_type == "DequantizeLinear"}
    x = np.load(args.input).astype(f32)

    def weight_q(name):
        dq = producer[name]
        return init[dq.input[0]].astype(np.int64), init[dq.input[1]].astype(f32).reshape(-1)

    st = {m: {} for m in MODES}  # mode -> value name -> Q8 | Pending | np array
    for m in MODES:
        if m.endswith("_local"):
            st[m] = LocalView(st["exact"])
    report = []
    for node in g.node:
        op, ins, out = node.op_type, list(node.input), node.output[0]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if op == "DequantizeLinear":
            if ins[0] in init:
                continue
            for m in MODES:
                st[m][out] = st[m][ins[0]]
            continue
        for m in MODES:
            v, m = st[m], m.replace("_local", "")
            if op == "QuantizeLinear":
                s, zp = f32(init[ins[1]]), int(init[ins[2]])
                v[out] = quantize(m, v.get(ins[0]), x if ins[0] == g.input[0].name else None, s, zp)
            elif op == "Conv":
                xq = v[ins[0]]
                wq, ws = weight_q(ins[1])
                stride = attrs.get("strides", [1, 1])
                pads = attrs.get("pads", [0, 0, 0, 0])
                group = attrs.get("group", 1)
                bq, bs = weight_q(ins[2]) if len(ins) > 2 and ins[2] else (np.zeros(wq.shape[0], np.int64), None)
                mult = np.float64(xq.scale) * ws.astype(np.float64)  # TFLite: double(s_in) * s_w
                if m == "cpuref":
                    w32 = wq.astype(f32) * ws.reshape(-1, 1, 1, 1)
                    b32 = bq.astype(f32) * (bs if bs is not None else f32(0))
                    v[out] = Pending("real", f32v=conv_cpuref(xq.real32(), w32, b32, stride, pads, group))
                else:
                    acc = conv_int(xq.q - xq.zp, wq, stride, pads, group) + bq[None, :, None, None]
                    v[out] = Pending("acc", acc=acc, mult=mult)
            elif op == "Gemm":
                xq = v[ins[0]]
                wq, ws = weight_q(ins[1])
                if not attrs.get("transB", 0):
                    wq = wq.T
                bias = init[ins[2]].astype(np.float64) if ins[2] in init else None
                if bias is None:
                    bq, bs = weight_q(ins[2])
                    bias = bq * bs.astype(np.float64)
                mult = np.float64(xq.scale) * ws.astype(np.float64)
                if m == "cpuref":  # a 1x1 CONV_2D in the .tflite, its bias rounded to int32
                    w32 = wq.astype(f32) * ws.reshape(-1, 1)
                    bq = np.rint(bias / mult.astype(f32)).astype(np.int64)
                    b32 = bq.astype(f32) * (xq.scale * ws)
                    s = np.zeros((xq.q.shape[0], wq.shape[0]), f32)
                    xr = xq.real32()
                    for k in range(wq.shape[1]):
                        s = (s + w32[:, k][None] * xr[:, k][:, None]).astype(f32)
                    v[out] = Pending("real", f32v=(s + b32).astype(f32))
                else:
                    bq = np.rint(bias / mult.astype(f32)).astype(np.int64)
                    acc = (xq.q - xq.zp) @ wq.T
                    if m == "exact":  # qcv keeps the logits float: float bias, no rounding
                        v[out] = acc * mult + bias
                    else:
                        v[out] = Pending("acc", acc=acc + bq, mult=mult)
            elif op == "Relu":
                p = v[ins[0]]
                q = Pending(p.kind, **{k: val for k, val in p.__dict__.items() if k not in ("kind", "relu")})
                q.relu = True
                v[out] = q
            elif op == "Add":
                v[out] = Pending("add", a=v[ins[0]], b=v[ins[1]])
            elif op == "MaxPool":
                xq = v[ins[0]]
                k, s = attrs["kernel_shape"], attrs.get("strides", [1, 1])
                p = attrs.get("pads", [0, 0, 0, 0])
                xp = np.pad(xq.q, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=-10**9)
                ho = (xq.q.shape[2] + p[0] + p[2] - k[0]) // s[0] + 1
                wo = (xq.q.shape[3] + p[1] + p[3] - k[1]) // s[1] + 1
                r = np.full(xq.q.shape[:2] + (ho, wo), -10**9, np.int64)
                for ky in range(k[0]):
                    for kx in range(k[1]):
                        r = np.maximum(r, xp[:, :, ky:ky + s[0] * ho:s[0], kx:kx + s[1] * wo:s[1]])
                v[out] = Pending("pool", src=Q8(r, xq.scale, xq.zp))
            elif op == "GlobalAveragePool":
                xq = v[ins[0]]
                cnt = xq.q.shape[2] * xq.q.shape[3]
                v[out] = Pending("mean", src=xq, acc=(xq.q - xq.zp).sum(axis=(2, 3), keepdims=True), count=cnt)
            elif op in ("Flatten", "Reshape"):
                xq = v[ins[0]]
                v[out] = Q8(xq.q.reshape(xq.q.shape[0], -1), xq.scale, xq.zp)
            else:
                sys.exit(f"op {op} ({node.name}) is not emulated")
        if op == "QuantizeLinear" and out in st["exact"]:
            e = st["exact"][out]
            qs = [dict.get(st[m], out).q for m in ("cpuref", "cpuref_local", "tflite", "tflite_local")]
            if taps:
                t = np.load(f"{taps}/{dq_of[out]}.npy").reshape(e.q.shape)
                qs.append(np.rint(t / np.float64(e.scale)) + e.zp)
            report.append((out, e.q.size, [float(np.mean(q != e.q)) for q in qs],
                           [float(np.abs(q - e.q).max()) for q in qs]))

    # The logits: exact's float ones saturated to the export's int8 range; the others through it.
    scale = (max(hi, 0) - min(lo, 0)) / 255.0
    zp = int(np.clip(np.rint(-128 - min(lo, 0) / scale), -128, 127))
    s32 = f32(scale)
    clip = lambda y: np.clip(y, s32 * (-128 - zp), s32 * (127 - zp))
    name = g.output[0].name
    logits = {"exact": clip(st["exact"][name])}
    for m in ("cpuref", "tflite"):
        logits[m] = (quantize(m, st[m][name], None, s32, zp).q - zp) * s32
    for k in ("qcv", "armnn", "ort"):
        if getattr(args, k):
            logits[k] = clip(np.load(getattr(args, k)).reshape(logits["exact"].shape))

    def steps(a, b):
        if a not in logits or b not in logits:
            return "-"
        d = np.abs(logits[a].astype(np.float64) - logits[b]) / s32
        return f"{100 * np.mean(d <= 1 + 1e-3):.1f}%, {d.max():.2f} / {d.mean():.3f}"

    if args.table:
        print("int8 tensor: values, then the share (and max steps) differing from exact for cpuref, "
              "cpuref local, tflite, tflite local" + (", qcv" if taps else ""))
        for t, size, share, most in report:
            print(f"{t[:40]:40s} {size:7d} " +
                  " ".join(f"{100 * a:7.3f}% ({b:.0f})" for a, b in zip(share, most)))
    total = sum(r[1] for r in report)
    local = []
    for i in (1, 3):  # cpuref local, tflite local
        flips = round(sum(r[2][i] * r[1] for r in report))
        first = next((r[0] for r in report if r[2][i] > 0), "-")
        local.append(f"{flips} ({first.replace('_quantized', '')})" if flips else "0")
    print(f"| {args.name} | {steps('armnn', 'qcv')} | {steps('armnn', 'cpuref')} | {steps('qcv', 'exact')} | "
          f"{steps('cpuref', 'exact')} | {steps('tflite', 'exact')} | {total} | {local[0]} | {local[1]} |")
    if args.ort:  # a second independent engine on the same QDQ file
        print(f"ONNX Runtime: vs exact {steps('ort', 'exact')}, vs qcv {steps('ort', 'qcv')}, "
              f"vs Arm NN {steps('armnn', 'ort')}")


def quantize(mode, p, graph_input, s, zp):
    """QuantizeLinear of a pending value (or of the float graph input) in each arithmetic."""
    lo_q, hi_q = -128, 127
    if graph_input is not None:  # QUANTIZE: float32 input
        v = graph_input / s
        q = np.rint(v) if mode == "exact" else round_half_away(v.astype(f32))
        return Q8(np.clip(q + zp, lo_q, hi_q), s, zp)
    relu = p.relu
    if mode == "tflite":
        if p.kind == "acc":
            r = np.stack([mul_by_quantized_multiplier(p.acc[:, c], float(p.mult[c]) / float(s))
                          for c in range(p.acc.shape[1])], axis=1) + zp
        elif p.kind == "add":  # TFLite's int8 ADD (left shift 20)
            a, b = p.a, p.b
            twice = 2 * max(float(a.scale), float(b.scale))
            sa = mul_by_quantized_multiplier((a.q - a.zp) * (1 << 20), float(a.scale) / twice)
            sb = mul_by_quantized_multiplier((b.q - b.zp) * (1 << 20), float(b.scale) / twice)
            r = mul_by_quantized_multiplier(sa + sb, twice / ((1 << 20) * float(s))) + zp
        elif p.kind == "pool":
            src = p.src
            r = src.q if (src.scale == s and src.zp == zp) else \
                mul_by_quantized_multiplier(src.q - src.zp, float(src.scale) / float(s)) + zp
        elif p.kind == "mean":
            r = mul_by_quantized_multiplier(p.acc, float(p.src.scale) / (float(s) * p.count)) + zp
        else:
            raise ValueError(p.kind)
        if relu:
            r = np.maximum(r, zp)
        return Q8(np.clip(r, lo_q, hi_q), s, zp)
    if mode == "exact":
        if p.kind == "acc":
            real = p.acc * p.mult[None, :, None, None] if p.acc.ndim == 4 else p.acc * p.mult
        elif p.kind == "add":
            real = p.a.real64() + p.b.real64()
        elif p.kind == "pool":
            real = p.src.real64()
        elif p.kind == "mean":
            real = p.acc * np.float64(p.src.scale) / p.count
        if relu:
            real = np.maximum(real, 0)
        return Q8(np.clip(np.rint(real / np.float64(s)) + zp, lo_q, hi_q), s, zp)
    # cpuref: float32 values, float32 division, round half away, then clamp
    if p.kind == "real":
        real = p.f32v
    elif p.kind == "add":
        real = (p.a.real32() + p.b.real32()).astype(f32)
    elif p.kind == "pool":
        real = p.src.real32()
    elif p.kind == "mean":
        real = (p.src.real32().sum(axis=(2, 3), keepdims=True, dtype=f32) / f32(p.count)).astype(f32)
    if relu:
        real = np.maximum(real, f32(0))
    return Q8(np.clip(round_half_away((real / s).astype(f32)) + zp, lo_q, hi_q), s, zp)


if __name__ == "__main__":
    main()
