#!/usr/bin/python3
"""qcv vs ONNX Runtime (and, for Resize, ONNX's own reference interpolation from its backend test
cases) on single-node models of the window family: Resize in every mode/coordinate/rounding
combination, Resize-10 and Upsample-9, ConvTranspose, pooling variants, DepthToSpace,
GridSample and RoiAlign. Prints each case that differs from ONNX Runtime, with its difference
from ONNX's reference where that is defined, and a summary.

  NODE_PATH=bench/node_modules parity_window.py [--qcv build/src/cli/qcv] [--keep DIR]

ONNX Runtime computes Resize coordinates in float32 and ONNX's reference in float64, so samples
that land on a rounding tie may differ between the two; align_corners with a non-integral
scale * size also differs (ONNX's reference divides by scale * size - 1, ONNX Runtime by the
integer output size - 1). qcv follows ONNX's reference.
"""
import argparse
import itertools
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))


def make_cases(out):
    rng = np.random.default_rng(0)
    cases = []

    def model(name, op, xshape, inits, attrs, opset=13, extra_inputs=()):
        node = h.make_node(op, ['x'] + list(extra_inputs), ['y'], **attrs)
        g = h.make_graph([node], name, [h.make_tensor_value_info('x', TensorProto.FLOAT, xshape)],
                         [h.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                         initializer=[nh.from_array(v, k) for k, v in inits])
        m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
        m.ir_version = 8 if opset >= 13 else 6
        onnx.save(m, os.path.join(out, name + '.onnx'))
        np.save(os.path.join(out, name + '.in.npy'), rng.standard_normal(xshape).astype(np.float32))
        cases.append(name)

    args = [('scales', np.array([1, 1, 1.7, 0.6], np.float32)),
            ('scales', np.array([1, 1, 2, 3], np.float32)),
            ('sizes', np.array([1, 3, 4, 13], np.int64)),
            ('sizes', np.array([1, 3, 1, 5], np.int64))]
    k = 0
    for mode, coord, nearest, (kind, value) in itertools.product(
            ['nearest', 'linear', 'cubic'],
            ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'],
            ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'], args):
        if mode != 'nearest' and nearest != 'round_prefer_floor':
            continue
        k += 1
        attrs = dict(mode=mode, coordinate_transformation_mode=coord, nearest_mode=nearest)
        if mode == 'cubic' and k % 2:
            attrs.update(cubic_coeff_a=-0.5, exclude_outside=1)
        inputs = ['', 'a'] if kind == 'scales' else ['', '', 'a']
        model(f'resize_{k}_{mode}_{coord}_{nearest}_{kind}', 'Resize', [1, 3, 7, 9], [('a', value)],
              attrs, extra_inputs=inputs)
    for mode in ['nearest', 'linear', 'cubic']:
        roi = np.array([0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2], np.float32)
        model(f'resize_crop_{mode}', 'Resize', [1, 3, 7, 9],
              [('roi', roi), ('a', np.array([1, 3, 5, 6], np.int64))],
              dict(mode=mode, coordinate_transformation_mode='tf_crop_and_resize',
                   extrapolation_value=-3.0), extra_inputs=['roi', '', 'a'])
    for mode, s in itertools.product(['nearest', 'linear'], [[1, 1, 1.5, 2.5], [1, 1, 2, 2]]):
        model(f'resize10_{mode}_{s[2]}', 'Resize', [1, 3, 7, 9], [('s', np.array(s, np.float32))],
              dict(mode=mode), opset=10, extra_inputs=['s'])
        model(f'upsample9_{mode}_{s[2]}', 'Upsample', [1, 3, 7, 9], [('s', np.array(s, np.float32))],
              dict(mode=mode), opset=9, extra_inputs=['s'])
    for k, (xs, ws, attrs) in enumerate([
            ([1, 4, 5, 6], [4, 3, 3, 3], dict(strides=[2, 3], output_shape=[12, 17])),
            ([1, 4, 5, 6], [4, 3, 3, 3], dict(strides=[2, 3], output_shape=[9, 14])),
            ([2, 4, 5, 6], [4, 2, 3, 2], dict(strides=[2, 2], auto_pad='SAME_LOWER', group=2)),
            ([2, 4, 5, 6], [4, 2, 3, 2], dict(strides=[2, 2], auto_pad='SAME_UPPER', dilations=[2, 1])),
            ([1, 6, 5, 6], [6, 1, 4, 4], dict(strides=[2, 2], pads=[1, 1, 1, 1], group=3,
                                              output_padding=[1, 0])),
            ([1, 2, 5], [2, 3, 4], dict(strides=[3], pads=[2, 0], output_padding=[2])),
            ([1, 2, 3, 4, 5], [2, 3, 2, 3, 2], dict(strides=[2, 1, 2], pads=[0, 1, 0, 1, 0, 1]))]):
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal([ws[1] * attrs.get('group', 1)]).astype(np.float32)
        model(f'convtranspose_{k}', 'ConvTranspose', xs, [('w', w), ('b', b)], attrs,
              extra_inputs=['w', 'b'])
    for k, (op, xs, attrs) in enumerate([
            ('AveragePool', [1, 2, 8, 7], dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 0],
                                                ceil_mode=1, count_include_pad=1)),
            ('AveragePool', [1, 2, 8, 7], dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 0],
                                                ceil_mode=1)),
            ('AveragePool', [1, 2, 8, 7], dict(kernel_shape=[3, 2], strides=[2, 3],
                                                auto_pad='SAME_LOWER', count_include_pad=1)),
            ('MaxPool', [1, 2, 9, 8], dict(kernel_shape=[2, 3], strides=[2, 2], dilations=[2, 2],
                                            ceil_mode=1)),
            ('MaxPool', [1, 2, 9, 8, 5], dict(kernel_shape=[2, 3, 2], strides=[2, 2, 1],
                                               pads=[1, 0, 1, 0, 1, 0])),
            ('LpPool', [1, 2, 9, 8], dict(kernel_shape=[2, 3], strides=[2, 2], p=3, pads=[1, 1, 0, 0])),
            ('GlobalLpPool', [1, 2, 9, 8], dict(p=1)),
            ('GlobalMaxPool', [1, 2, 9, 8, 3], {}),
            ('DepthToSpace', [1, 8, 3, 2], dict(blocksize=2, mode='CRD')),
            ('DepthToSpace', [1, 8, 3, 2], dict(blocksize=2)),
            ('SpaceToDepth', [1, 2, 4, 6], dict(blocksize=2))]):
        model(f'pool_{k}_{op}', op, xs, [], attrs, opset=11 if op == 'LpPool' else 13)
    for k, (mode, pad, corners) in enumerate(itertools.product(
            ['bilinear', 'nearest', 'bicubic'], ['zeros', 'border', 'reflection'], [0, 1])):
        grid = (rng.standard_normal([1, 5, 6, 2]) * 0.9).astype(np.float32)
        model(f'gridsample_{k}_{mode}_{pad}_{corners}', 'GridSample', [1, 2, 4, 5], [('g', grid)],
              dict(mode=mode, padding_mode=pad, align_corners=corners), opset=16, extra_inputs=['g'])
    rois = np.array([[0.5, 1, 6.3, 7], [2, 0.2, 9.5, 4.4], [-1, -1, 3, 2]], np.float32)
    batch = np.array([0, 1, 1], np.int64)
    for k, (mode, coord, ratio) in enumerate(itertools.product(
            ['avg', 'max'], ['half_pixel', 'output_half_pixel'], [0, 2])):
        model(f'roialign_{k}_{mode}_{coord}_{ratio}', 'RoiAlign', [2, 3, 10, 8],
              [('r', rois), ('bi', batch)],
              dict(mode=mode, coordinate_transformation_mode=coord, sampling_ratio=ratio,
                   output_height=3, output_width=4, spatial_scale=0.9),
              opset=16, extra_inputs=['r', 'bi'])
    return cases


def onnx_reference_resize(path, x):
    """ONNX's backend-test interpolation for a Resize-13 case, or None where it has none."""
    from onnx.backend.test.case.node.resize import (interpolate_nd, linear_coeffs, cubic_coeffs,
                                                    nearest_coeffs)
    m = onnx.load(path)
    n = m.graph.node[0]
    if n.op_type != 'Resize' or m.opset_import[0].version < 11:
        return None
    at = {a.name: h.get_attribute_value(a) for a in n.attribute}
    at = {k: v.decode() if isinstance(v, bytes) else v for k, v in at.items()}
    coord = at.get('coordinate_transformation_mode', 'half_pixel')
    if coord in ('tf_half_pixel_for_nn', 'tf_crop_and_resize'):
        return None
    mode = at.get('mode', 'nearest')
    kw = dict(coordinate_transformation_mode=coord)
    if mode == 'nearest':
        coeffs = lambda r: nearest_coeffs(r, mode=at.get('nearest_mode', 'round_prefer_floor'))
    elif mode == 'linear':
        coeffs = linear_coeffs
    else:
        a = at.get('cubic_coeff_a', -0.75)
        coeffs = lambda r: cubic_coeffs(r, A=a)
        kw['exclude_outside'] = bool(at.get('exclude_outside', 0))
    arg = nh.to_array(next(t for t in m.graph.initializer if t.name == 'a'))
    if arg.dtype == np.int64:
        return interpolate_nd(x, coeffs, output_size=arg, **kw)
    return interpolate_nd(x, coeffs, scale_factors=arg, **kw)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--qcv', default=os.path.join(HERE, '..', 'build', 'src', 'cli', 'qcv'))
    p.add_argument('--keep', help='write the models and outputs here instead of a temporary dir')
    a = p.parse_args()
    out = a.keep or tempfile.mkdtemp(prefix='parity_window_')
    os.makedirs(out, exist_ok=True)
    cases = make_cases(out)
    same = differ = ort_refused = 0
    for c in cases:
        base = os.path.join(out, c)
        x = np.load(base + '.in.npy')
        ort = subprocess.run(['node', os.path.join(HERE, 'ort_run.js'), base + '.onnx',
                              base + '.in.npy', base + '.ort.npy', '1'], capture_output=True)
        subprocess.run([a.qcv, 'run', base + '.onnx', '-i', base + '.in.npy', '-o',
                        base + '.qcv.npy', '--threads', '1'], check=True, capture_output=True)
        got = np.load(base + '.qcv.npy')
        if ort.returncode != 0:
            ort_refused += 1
            print(f'{c}: ONNX Runtime refuses it')
            continue
        want = np.load(base + '.ort.npy')
        if want.shape == got.shape and np.allclose(got, want, rtol=1e-3, atol=1e-5):
            same += 1
            continue
        differ += 1
        line = f'{c}: differs from ONNX Runtime'
        line += f' (max {np.abs(got - want).max():.3g})' if want.shape == got.shape else \
            f' (shape {got.shape} vs {want.shape})'
        ref = onnx_reference_resize(base + '.onnx', x)
        if ref is not None:
            line += f'; from ONNX reference: max {np.abs(got - ref).max():.3g}'
        print(line)
    print(f'{len(cases)} cases: {same} as ONNX Runtime, {differ} differ, {ort_refused} refused by it')


if __name__ == '__main__':
    main()
