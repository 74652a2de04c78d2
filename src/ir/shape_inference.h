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
// == end math ==
// == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
// == end tensor ==
// == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
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
// == end quant ==

}  // namespace qcv::ir::infer
