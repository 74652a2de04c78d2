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
// == end window ==
// == family quant: integer and dynamic quantization ops ==
// infer_quant.cpp
void conv_integer(InferContext& c);
void matmul_integer(InferContext& c);
void dynamic_quantize_linear(InferContext& c);
// == end quant ==

}  // namespace qcv::ir::infer
