// Internal to qcv_ref: the signature every reference kernel shares, and the kernels by family.
#pragma once
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::ref::detail {

// What a kernel sees: the node, its input tensors (nullptr for an omitted optional input) and
// the output types that the op table's shape inference computed from those inputs.
struct KernelArgs {
  const ir::Node& node;
  const std::vector<const ir::Tensor*>& inputs;
  const std::vector<ir::Value>& outputs;

  bool has(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const ir::Tensor& in(size_t i) const;  // throws naming the node if input i is absent
  // Concrete shape of output i (every dimension is known once the inputs are).
  ir::Shape out_shape(size_t i) const;
  // A zero-filled tensor for output i with the inferred dtype and shape.
  ir::Tensor make_output(size_t i) const;
  bool wants_output(size_t i) const { return i < node.outputs.size() && !node.outputs[i].empty(); }
  [[noreturn]] void error(const std::string& what) const;
};

using Kernel = std::vector<ir::Tensor> (*)(const KernelArgs&);

// conv.cpp
std::vector<ir::Tensor> conv(const KernelArgs& a);
// pool.cpp
std::vector<ir::Tensor> average_pool(const KernelArgs& a);
std::vector<ir::Tensor> max_pool(const KernelArgs& a);
std::vector<ir::Tensor> global_average_pool(const KernelArgs& a);
// activation.cpp
std::vector<ir::Tensor> relu(const KernelArgs& a);
std::vector<ir::Tensor> clip(const KernelArgs& a);
std::vector<ir::Tensor> hard_sigmoid(const KernelArgs& a);
std::vector<ir::Tensor> hard_swish(const KernelArgs& a);
std::vector<ir::Tensor> sigmoid(const KernelArgs& a);
// binary.cpp
std::vector<ir::Tensor> add(const KernelArgs& a);
std::vector<ir::Tensor> sub(const KernelArgs& a);
std::vector<ir::Tensor> mul(const KernelArgs& a);
std::vector<ir::Tensor> div(const KernelArgs& a);
// normalization.cpp
std::vector<ir::Tensor> batch_norm(const KernelArgs& a);
std::vector<ir::Tensor> softmax(const KernelArgs& a);
// gemm.cpp
std::vector<ir::Tensor> gemm(const KernelArgs& a);
std::vector<ir::Tensor> matmul(const KernelArgs& a);
// shape_ops.cpp
std::vector<ir::Tensor> reshape_like_inferred(
    const KernelArgs& a);  // Flatten, Reshape, (Un)squeeze
std::vector<ir::Tensor> shape(const KernelArgs& a);
std::vector<ir::Tensor> gather(const KernelArgs& a);
std::vector<ir::Tensor> concat(const KernelArgs& a);
// data_ops.cpp
std::vector<ir::Tensor> identity(const KernelArgs& a);
std::vector<ir::Tensor> dropout(const KernelArgs& a);
std::vector<ir::Tensor> cast(const KernelArgs& a);
std::vector<ir::Tensor> constant(const KernelArgs& a);
// quantize.cpp
std::vector<ir::Tensor> quantize_linear(const KernelArgs& a);
std::vector<ir::Tensor> dequantize_linear(const KernelArgs& a);
// == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
// == end math ==
// == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
// == end tensor ==
// == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
// == end reduce ==
// == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
// window_conv_transpose.cpp
std::vector<ir::Tensor> conv_transpose(const KernelArgs& a);
// window_pool.cpp
std::vector<ir::Tensor> global_max_pool(const KernelArgs& a);
std::vector<ir::Tensor> lp_pool(const KernelArgs& a);
std::vector<ir::Tensor> global_lp_pool(const KernelArgs& a);
std::vector<ir::Tensor> max_unpool(const KernelArgs& a);
// window_resize.cpp
std::vector<ir::Tensor> resize(const KernelArgs& a);
// window_sample.cpp
std::vector<ir::Tensor> grid_sample(const KernelArgs& a);
std::vector<ir::Tensor> roi_align(const KernelArgs& a);
// window_depth.cpp
std::vector<ir::Tensor> depth_to_space(const KernelArgs& a);
std::vector<ir::Tensor> space_to_depth(const KernelArgs& a);
// == end window ==
// == family quant: integer and dynamic quantization ops ==
// == end quant ==

// For each element of `out` (row-major), the flat index of the element of `in` that numpy
// broadcasting maps onto it. `in` must broadcast to `out`.
std::vector<int64_t> broadcast_index_map(const ir::Shape& in, const ir::Shape& out);

}  // namespace qcv::ref::detail
