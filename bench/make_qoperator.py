#!/usr/bin/python3
"""Writes int8 models in ONNX's QOperator format, as ONNX Runtime's quantizer (QuantFormat.QOperator)
and the ONNX Model Zoo's *-int8 files lay them out: QuantizeLinear on the float input, QLinearConv
with per-channel int8 weights, int32 biases and uint8 activations (ReLU/ReLU6 folded into the output
range), com.microsoft QLinearAdd residuals, QLinearGlobalAveragePool, a QGemm or QLinearMatMul head,
DequantizeLinear on the output. Weights are random; activation ranges come from a calibration run of
the quantized network in numpy, so that the outputs use their uint8 range.

  make_qoperator.py --out DIR [--models mobilenet,resnet,tiny,ops] [--size 32] [--width 1.0]
                    [--classes 10] [--seed 0] [--leaky]

DIR/mobilenetv2_qop.onnx: stem conv, inverted residual blocks (1x1 expand, depthwise 3x3, 1x1
project, QLinearAdd when shapes allow), a squeeze-excite block (QLinearGlobalAveragePool, QLinearConv,
QLinearSigmoid, QLinearMul), 1x1 conv, QLinearGlobalAveragePool, Flatten, QGemm.
DIR/resnet_qop.onnx: stem conv, MaxPool on uint8, basic blocks with QLinearAdd residuals (ReLU folded
into the Add's range), QLinearGlobalAveragePool, Flatten, QLinearMatMul + QLinearAdd bias.
DIR/qop_tiny.onnx: a few-KB graph with every rewritten op (QLinearConcat, QLinearAveragePool,
QLinearSigmoid, QLinearMul; QLinearLeakyRelu with --leaky) for qcv's unit test.
DIR/op_*.onnx (--models ops): one QOperator op each between QuantizeLinear and DequantizeLinear.
The batch dimension is symbolic ('N').
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS = 'com.microsoft'


def conv2d(x, w, stride, pad, groups):
    """Direct NCHW convolution in float64 (im2col per group)."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        cols = np.empty((n, cg, kh, kw, oh, ow))
        for i in range(kh):
            for j in range(kw):
                cols[:, :, i, j] = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
        wg = w[g * mg:(g + 1) * mg].reshape(mg, -1)
        out[:, g * mg:(g + 1) * mg] = np.einsum('mk,nkhw->nmhw', wg, cols.reshape(n, -1, oh, ow))
    return out


def pool2d(x, k, stride, pad, kind):
    n, c, h, w = x.shape
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1
    win = np.stack([xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                    for i in range(k) for j in range(k)])
    return win.max(0) if kind == 'max' else win.mean(0)


class Q:
    """A quantized tensor of the graph: its name, parameters and simulated (dequantized) value."""

    def __init__(self, name, scale, zp, value):
        self.name, self.scale, self.zp, self.value = name, scale, zp, value


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def fresh(self, prefix):
        self.count += 1
        return f'{prefix}_{self.count}'

    def const(self, prefix, array):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def qparams(self, y, lo=None, hi=None):
        """uint8 scale/zero point covering y's range (widened to 0), as a calibrator would."""
        lo = min(float(y.min()), 0.0) if lo is None else lo
        hi = max(float(y.max()), 0.0) if hi is None else hi
        if hi - lo < 1e-6:
            hi = lo + 1e-3
        scale = np.float32((hi - lo) / 255.0)
        zp = int(np.clip(np.round(-lo / scale), 0, 255))
        return scale, zp

    def requantize(self, y, scale, zp):
        q = np.clip(np.round(y / scale) + zp, 0, 255)
        return (q - zp) * scale

    def output_of(self, prefix, y, act=None):
        lo = 0.0 if act in ('relu', 'relu6') else None
        hi = min(max(float(y.max()), 1e-3), 6.0) if act == 'relu6' else None
        scale, zp = self.qparams(y, lo, hi)
        return (self.fresh(prefix), self.const(prefix + '_scale', scale),
                self.const(prefix + '_zp', np.uint8(zp)), scale, zp)

    def quantize_input(self, name, x):
        out, s, z, scale, zp = self.output_of('input_q', x)
        self.nodes.append(helper.make_node('QuantizeLinear', [name, s, z], [out], name='input_quantize'))
        t = Q(out, scale, zp, self.requantize(x, scale, zp))
        t.scale_name, t.zp_name = s, z
        return t

    def _io(self, t):
        return [t.name, t.scale_name, t.zp_name]

    def _result(self, out, s, z, scale, zp, y):
        t = Q(out, scale, zp, self.requantize(y, scale, zp))
        t.scale_name, t.zp_name = s, z
        return t

    def conv(self, t, m, k, stride=1, groups=1, act=None):
        c = t.value.shape[1]
        fan_in = c // groups * k * k
        w = self.rng.normal(0, np.sqrt(2.0 / fan_in), (m, c // groups, k, k))
        b = self.rng.normal(0, 0.1, m)
        w_scale = (np.abs(w).reshape(m, -1).max(1) / 127.0).astype(np.float32)
        wq = np.clip(np.round(w / w_scale[:, None, None, None]), -127, 127).astype(np.int8)
        b_scale = (np.float32(t.scale) * w_scale).astype(np.float32)
        bq = np.round(b / b_scale).astype(np.int32)
        y = conv2d(t.value, wq * w_scale.astype(np.float64)[:, None, None, None], stride, k // 2,
                   groups) + (bq * b_scale)[None, :, None, None]
        if act == 'relu':
            y = np.maximum(y, 0)
        elif act == 'relu6':
            y = np.clip(y, 0, 6)
        out, s, z, scale, zp = self.output_of('conv', y, act)
        name = self.fresh('QLinearConv')
        self.nodes.append(helper.make_node(
            'QLinearConv',
            self._io(t) + [self.const('w', wq), self.const('w_scale', w_scale),
                           self.const('w_zp', np.zeros(m, np.int8)), s, z, self.const('b', bq)],
            [out], name=name, kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride],
            group=groups, dilations=[1, 1]))
        return self._result(out, s, z, scale, zp, y)

    def binary(self, op, a, b, act=None):
        y = a.value + b.value if op == 'QLinearAdd' else a.value * b.value
        if act == 'relu':
            y = np.maximum(y, 0)
        out, s, z, scale, zp = self.output_of(op[7:].lower(), y, act)
        self.nodes.append(helper.make_node(op, self._io(a) + self._io(b) + [s, z], [out],
                                           name=self.fresh(op), domain=MS))
        return self._result(out, s, z, scale, zp, y)

    def unary(self, op, t, **attrs):
        v = t.value
        if op == 'QLinearGlobalAveragePool':
            y = v.mean(axis=(2, 3), keepdims=True)
        elif op == 'QLinearAveragePool':
            y = pool2d(v, attrs['kernel_shape'][0], attrs['strides'][0], attrs['pads'][0], 'avg')
        elif op == 'QLinearSigmoid':
            y = 1 / (1 + np.exp(-v))
        elif op == 'QLinearLeakyRelu':
            y = np.where(v >= 0, v, attrs['alpha'] * v)
        out, s, z, scale, zp = self.output_of(op[7:].lower(), y)
        self.nodes.append(helper.make_node(op, self._io(t) + [s, z], [out], name=self.fresh(op),
                                           domain=MS, **attrs))
        return self._result(out, s, z, scale, zp, y)

    def concat(self, ts, axis=1):
        y = np.concatenate([t.value for t in ts], axis)
        out, s, z, scale, zp = self.output_of('concat', y)
        inputs = [s, z]
        for t in ts:
            inputs += self._io(t)
        self.nodes.append(helper.make_node('QLinearConcat', inputs, [out],
                                           name=self.fresh('QLinearConcat'), domain=MS, axis=axis))
        return self._result(out, s, z, scale, zp, y)

    def maxpool(self, t):
        out = self.fresh('maxpool')
        self.nodes.append(helper.make_node('MaxPool', [t.name], [out], name=self.fresh('MaxPool'),
                                           kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
        r = Q(out, t.scale, t.zp, pool2d(t.value, 3, 2, 1, 'max'))
        r.scale_name, r.zp_name = t.scale_name, t.zp_name
        return r

    def flatten(self, t):
        out = self.fresh('flatten')
        self.nodes.append(helper.make_node('Flatten', [t.name], [out], name=self.fresh('Flatten'),
                                           axis=1))
        r = Q(out, t.scale, t.zp, t.value.reshape(t.value.shape[0], -1))
        r.scale_name, r.zp_name = t.scale_name, t.zp_name
        return r

    def _fc_weights(self, k, n):
        w = self.rng.normal(0, np.sqrt(1.0 / k), (n, k))
        w_scale = (np.abs(w).max(1) / 127.0).astype(np.float32)
        wq = np.clip(np.round(w / w_scale[:, None]), -127, 127).astype(np.int8)
        return wq, w_scale

    def qgemm(self, t, n):
        """QGemm with B [n, k] (transB=1), per-output-channel int8 scales and an int32 C."""
        k = t.value.shape[1]
        wq, w_scale = self._fc_weights(k, n)
        b = self.rng.normal(0, 0.1, n)
        c_scale = (np.float32(t.scale) * w_scale).astype(np.float32)
        cq = np.round(b / c_scale).astype(np.int32)
        y = t.value @ (wq * w_scale[:, None].astype(np.float64)).T + cq * c_scale
        out, s, z, scale, zp = self.output_of('gemm', y)
        self.nodes.append(helper.make_node(
            'QGemm', self._io(t) + [self.const('fc_w', wq), self.const('fc_w_scale', w_scale),
                                    self.const('fc_w_zp', np.zeros(n, np.int8)),
                                    self.const('fc_c', cq), s, z],
            [out], name=self.fresh('QGemm'), domain=MS, transB=1, alpha=1.0))
        return self._result(out, s, z, scale, zp, y)

    def qmatmul_add(self, t, n):
        """QLinearMatMul with B [k, n] (per-tensor int8), then QLinearAdd of a quantized bias."""
        k = t.value.shape[1]
        w = self.rng.normal(0, np.sqrt(1.0 / k), (k, n))
        w_scale = np.float32(np.abs(w).max() / 127.0)
        wq = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        y = t.value @ (wq * np.float64(w_scale))
        out, s, z, scale, zp = self.output_of('matmul', y)
        self.nodes.append(helper.make_node(
            'QLinearMatMul', self._io(t) + [self.const('fc_w', wq), self.const('fc_w_scale', w_scale),
                                            self.const('fc_w_zp', np.int8(0)), s, z],
            [out], name=self.fresh('QLinearMatMul')))
        mm = self._result(out, s, z, scale, zp, y)
        b = self.rng.normal(0, 0.1, (1, n))
        b_scale, b_zp = self.qparams(b)
        bias = Q(self.const('fc_b', np.clip(np.round(b / b_scale) + b_zp, 0, 255).astype(np.uint8)),
                 b_scale, b_zp, self.requantize(b, b_scale, b_zp))
        bias.scale_name, bias.zp_name = self.const('fc_b_scale', b_scale), self.const('fc_b_zp',
                                                                                       np.uint8(b_zp))
        return self.binary('QLinearAdd', mm, bias)

    def finish(self, t, name, input_shape, classes):
        self.nodes.append(helper.make_node('DequantizeLinear', [t.name, t.scale_name, t.zp_name],
                                           ['logits'], name='output_dequantize'))
        x = helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N'] + list(input_shape[1:]))
        y = helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', classes])
        graph = helper.make_graph(self.nodes, name, [x], [y], self.inits)
        model = helper.make_model(graph, producer_name='qcv make_qoperator.py',
                                  opset_imports=[helper.make_opsetid('', 13),
                                                 helper.make_opsetid(MS, 1)])
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model


def channels(c, width):
    return max(4, int(round(c * width / 4)) * 4)


def mobilenet(args, calib):
    b = Builder(args.seed)
    t = b.quantize_input('input', calib)
    t = b.conv(t, channels(16, args.width), 3, 2, act='relu6')
    # (expansion, output channels, repeats, first stride), MobileNetV2's table shortened.
    for e, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 2), (6, 64, 2, 2)]:
        for i in range(n):
            cin, cout = t.value.shape[1], channels(c, args.width)
            h = t
            if e != 1:
                h = b.conv(h, cin * e, 1, act='relu6')
            h = b.conv(h, h.value.shape[1], 3, s if i == 0 else 1, groups=h.value.shape[1],
                       act='relu6')
            h = b.conv(h, cout, 1)
            t = b.binary('QLinearAdd', h, t) if (i > 0 and cin == cout) else h
    # Squeeze-excite (MobileNetV3 style): x * sigmoid(conv(relu(conv(gap(x))))).
    c = t.value.shape[1]
    se = b.unary('QLinearGlobalAveragePool', t, channels_last=0)
    se = b.conv(se, max(4, c // 4), 1, act='relu')
    se = b.conv(se, c, 1)
    se = b.unary('QLinearSigmoid', se)
    t = b.binary('QLinearMul', t, se)
    t = b.conv(t, channels(128, args.width), 1, act='relu6')
    t = b.unary('QLinearGlobalAveragePool', t, channels_last=0)
    t = b.qgemm(b.flatten(t), args.classes)
    return b.finish(t, 'mobilenetv2_qop', calib.shape, args.classes)


def resnet(args, calib):
    b = Builder(args.seed + 1)
    t = b.quantize_input('input', calib)
    t = b.conv(t, channels(16, args.width), 3, 1, act='relu')
    t = b.maxpool(t)
    for stage, c in enumerate([16, 32, 64]):
        for i in range(2):
            stride = 2 if (stage > 0 and i == 0) else 1
            cout = channels(c, args.width)
            h = b.conv(t, cout, 3, stride, act='relu')
            h = b.conv(h, cout, 3)
            short = t if (stride == 1 and t.value.shape[1] == cout) else b.conv(t, cout, 1, stride)
            t = b.binary('QLinearAdd', h, short, act='relu')  # ReLU folded into the Add's range
    t = b.unary('QLinearGlobalAveragePool', t, channels_last=0)
    t = b.qmatmul_add(b.flatten(t), args.classes)
    return b.finish(t, 'resnet_qop', calib.shape, args.classes)


def tiny(args, calib):
    b = Builder(args.seed + 2)
    t = b.quantize_input('input', calib)
    t = b.conv(t, 8, 3, 1, act='relu')
    h = b.conv(t, 8, 3, 1, groups=8, act='relu6')
    h = b.conv(h, 8, 1)
    t = b.binary('QLinearAdd', h, t)
    p = b.unary('QLinearAveragePool', t, kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    s = b.binary('QLinearMul', p, b.unary('QLinearSigmoid', p))
    branches = [p, s]
    if args.leaky:
        branches.append(b.unary('QLinearLeakyRelu', p, alpha=0.1))
    t = b.concat(branches)
    t = b.unary('QLinearGlobalAveragePool', t, channels_last=0)
    t = b.qgemm(b.flatten(t), args.classes)
    return b.finish(t, 'qop_tiny', calib.shape, args.classes)


def single_ops(seed):
    """One QOperator op each, between QuantizeLinear and DequantizeLinear: name -> model."""
    rng = np.random.default_rng(seed)
    u8 = lambda shape: rng.integers(0, 256, shape).astype(np.uint8)  # noqa: E731
    s8 = lambda shape: rng.integers(-127, 128, shape).astype(np.int8)  # noqa: E731
    # name: (input shape, op, inputs after the quantized x and its parameters, y scale, y zp, attrs)
    table = {
        'conv': ([4, 8, 8], 'QLinearConv', [('w', s8((8, 4, 3, 3))),
                                            ('ws', (rng.random(8) * 0.01 + 0.001).astype(np.float32)),
                                            ('wz', np.zeros(8, np.int8))], 0.1, 128,
                 dict(pads=[1, 1, 1, 1]), [('b', rng.integers(-1000, 1000, 8).astype(np.int32))]),
        'add': ([4, 8, 8], 'QLinearAdd', [('b', u8((1, 4, 8, 8))), ('bs', np.float32(0.02)),
                                          ('bz', np.uint8(30))], 0.03, 100, {}, []),
        'mul': ([4, 8, 8], 'QLinearMul', [('b', u8((1, 4, 1, 1))), ('bs', np.float32(0.02)),
                                          ('bz', np.uint8(30))], 0.1, 10, {}, []),
        'globalaveragepool': ([4, 8, 8], 'QLinearGlobalAveragePool', [], 0.01, 120,
                              dict(channels_last=0), []),
        'averagepool': ([4, 8, 8], 'QLinearAveragePool', [], 0.02, 120,
                        dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), []),
        'sigmoid': ([4, 8, 8], 'QLinearSigmoid', [], 1 / 256, 0, {}, []),
        'leakyrelu': ([4, 8, 8], 'QLinearLeakyRelu', [], 0.04, 100, dict(alpha=0.1), []),
        'matmul': ([3, 8], 'QLinearMatMul', [('b', s8((8, 5))),
                                             ('bs', (rng.random(5) * 0.01).astype(np.float32)),
                                             ('bz', np.zeros(5, np.int8))], 0.2, 128, {}, []),
        'qgemm': ([8], 'QGemm', [('b', s8((5, 8))), ('bs', (rng.random(5) * 0.01).astype(np.float32)),
                                 ('bz', np.zeros(5, np.int8)),
                                 ('c', rng.integers(-500, 500, 5).astype(np.int32))], 0.2, 128,
                  dict(transB=1, alpha=0.7), []),
    }
    models = {}
    for name, (shape, op, extra, y_scale, y_zp, attrs, tail) in table.items():
        inits = [numpy_helper.from_array(np.float32(0.05), 'xs'),
                 numpy_helper.from_array(np.uint8(120), 'xz'),
                 numpy_helper.from_array(np.float32(y_scale), 'ys'),
                 numpy_helper.from_array(np.uint8(y_zp), 'yz')]
        inits += [numpy_helper.from_array(a, n) for n, a in extra + tail]
        names = [n for n, _ in extra]
        if op == 'QGemm':
            inputs = ['xq', 'xs', 'xz'] + names + ['ys', 'yz']
        else:
            inputs = ['xq', 'xs', 'xz'] + names + ['ys', 'yz'] + [n for n, _ in tail]
        nodes = [helper.make_node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']),
                 helper.make_node(op, inputs, ['yq'], domain='' if op in (
                     'QLinearConv', 'QLinearMatMul') else MS, **attrs),
                 helper.make_node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'])]
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N'] + shape)
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
        model = helper.make_model(helper.make_graph(nodes, 'op_' + name, [x], [y], inits),
                                  opset_imports=[helper.make_opsetid('', 13),
                                                 helper.make_opsetid(MS, 1)])
        model.ir_version = 7
        models[name] = model
    return models


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--models', default='mobilenet,resnet', help='mobilenet,resnet,tiny,ops')
    ap.add_argument('--size', type=int, default=32, help='input height and width')
    ap.add_argument('--width', type=float, default=1.0, help='channel multiplier')
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--calib', type=int, default=8, help='calibration batch size')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--leaky', action='store_true', help='tiny: add a QLinearLeakyRelu branch')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed + 100)
    for name in args.models.split(','):
        if name == 'ops':
            for op, model in single_ops(args.seed).items():
                path = os.path.join(args.out, f'op_{op}.onnx')
                onnx.save(model, path)
                print(f'wrote {path}')
            continue
        size = 8 if name == 'tiny' else args.size
        calib = rng.normal(0, 1, (args.calib, 3, size, size))
        model = {'mobilenet': mobilenet, 'resnet': resnet, 'tiny': tiny}[name](args, calib)
        path = os.path.join(args.out, {'mobilenet': 'mobilenetv2_qop.onnx',
                                       'resnet': 'resnet_qop.onnx', 'tiny': 'qop_tiny.onnx'}[name])
        onnx.save(model, path)
        print(f'wrote {path} ({os.path.getsize(path)} bytes, {len(model.graph.node)} nodes)')


if __name__ == '__main__':
    main()
