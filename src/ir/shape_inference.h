// Per-op shape inference functions, referenced by the op table in ops.cpp.
#pragma once
#include "ir/ops.h"

namespace qcv::ir::infer {

void same_as_input(InferContext& c);
void float_unary(InferContext& c);
void dropout(InferContext& c);
void elementwise_binary(InferContext& c);
void clip(InferContext& c);
void conv(InferContext& c);
void pool(InferContext& c);
void global_pool(InferContext& c);
void batch_norm(InferContext& c);
void gemm(InferContext& c);
void matmul(InferContext& c);
void flatten(InferContext& c);
void reshape(InferContext& c);
void squeeze(InferContext& c);
void unsqueeze(InferContext& c);
void shape_op(InferContext& c);
void gather(InferContext& c);
void concat(InferContext& c);
void softmax(InferContext& c);
void quantize_linear(InferContext& c);
void dequantize_linear(InferContext& c);
void cast(InferContext& c);
void constant(InferContext& c);
Shape broadcast_shapes(const InferContext& c, const Shape& a, const Shape& b);
// == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
// infer_math.cpp
void floating_unary(InferContext& c);   // float32/float64 in, same out
void numeric_unary(InferContext& c);    // any number type in, same out
void bool_unary(InferContext& c);       // Not
void float_predicate(InferContext& c);  // IsNaN, IsInf: float in, bool out
void numeric_clip(InferContext& c);     // Clip on any number type, bounds of the input's type
void prelu(InferContext& c);
void comparison(InferContext& c);       // Equal, Less, ...: broadcast, bool out
void logic_binary(InferContext& c);     // And, Or, Xor
void pow(InferContext& c);              // base and exponent types may differ; out = base type
void bit_shift(InferContext& c);
void numeric_binary(InferContext& c);   // Mod
void variadic(InferContext& c);         // Min, Max, Sum, Mean
void where(InferContext& c);
// == end math ==
// == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
void pad(InferContext& c);
void transpose(InferContext& c);
void slice(InferContext& c);
void cast_like(InferContext& c);
void constant_of_shape(InferContext& c);
void size(InferContext& c);
void expand(InferContext& c);
void tile(InferContext& c);
void split(InferContext& c);
void range(InferContext& c);
void one_hot(InferContext& c);
void gather_elements(InferContext& c);
void gather_nd(InferContext& c);
void scatter(InferContext& c);  // ScatterElements, Scatter (opset 9-10) and ScatterND
void trilu(InferContext& c);
void cumsum(InferContext& c);
void eye_like(InferContext& c);
void non_zero(InferContext& c);
void compress(InferContext& c);
void reverse_sequence(InferContext& c);
void unique(InferContext& c);
// == end tensor ==
// == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
void reduce(InferContext& c);
void arg_reduce(InferContext& c);
void top_k(InferContext& c);
void softmax_like(InferContext& c);
void float_same_shape(InferContext& c);
void instance_norm(InferContext& c);
void layer_norm(InferContext& c);
void loss(InferContext& c);
void einsum(InferContext& c);
void det(InferContext& c);
// == end reduce ==
// == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
void conv_transpose(InferContext& c);
void lp_pool(InferContext& c);
void max_unpool(InferContext& c);
void resize(InferContext& c);
void grid_sample(InferContext& c);
void roi_align(InferContext& c);
void depth_space(InferContext& c);
// ConvTranspose's geometry per spatial dim: the unpadded ("full") output size, the padding cut
// from its start (may be negative), and the output size (-1 where unknown).
struct ConvTransposeGeometry {
  std::vector<int64_t> kernel, strides, dilations, full, pad_begin, out;
};
ConvTransposeGeometry conv_transpose_geometry(const Node& n, const Shape& x, const Shape& w);
// == end window ==
// == family quant: integer and dynamic quantization ops ==
// infer_quant.cpp
void conv_integer(InferContext& c);
void matmul_integer(InferContext& c);
void dynamic_quantize_linear(InferContext& c);
// == end quant ==

}  // namespace qcv::ir::infer
