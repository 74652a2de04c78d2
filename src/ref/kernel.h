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
// math_unary.cpp (the names end in _kernel: plain ones would shadow <cmath>'s in this namespace)
std::vector<ir::Tensor> neg_kernel(const KernelArgs& a);
std::vector<ir::Tensor> abs_kernel(const KernelArgs& a);
std::vector<ir::Tensor> sign_kernel(const KernelArgs& a);
std::vector<ir::Tensor> erf_kernel(const KernelArgs& a);
std::vector<ir::Tensor> sqrt_kernel(const KernelArgs& a);
std::vector<ir::Tensor> exp_kernel(const KernelArgs& a);
std::vector<ir::Tensor> log_kernel(const KernelArgs& a);
std::vector<ir::Tensor> reciprocal_kernel(const KernelArgs& a);
std::vector<ir::Tensor> floor_kernel(const KernelArgs& a);
std::vector<ir::Tensor> ceil_kernel(const KernelArgs& a);
std::vector<ir::Tensor> round_kernel(const KernelArgs& a);
std::vector<ir::Tensor> tanh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> sin_kernel(const KernelArgs& a);
std::vector<ir::Tensor> cos_kernel(const KernelArgs& a);
std::vector<ir::Tensor> tan_kernel(const KernelArgs& a);
std::vector<ir::Tensor> asin_kernel(const KernelArgs& a);
std::vector<ir::Tensor> acos_kernel(const KernelArgs& a);
std::vector<ir::Tensor> atan_kernel(const KernelArgs& a);
std::vector<ir::Tensor> sinh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> cosh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> asinh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> acosh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> atanh_kernel(const KernelArgs& a);
std::vector<ir::Tensor> is_nan_kernel(const KernelArgs& a);
std::vector<ir::Tensor> is_inf_kernel(const KernelArgs& a);
std::vector<ir::Tensor> logical_not_kernel(const KernelArgs& a);
// math_activation.cpp
std::vector<ir::Tensor> softplus_kernel(const KernelArgs& a);
std::vector<ir::Tensor> softsign_kernel(const KernelArgs& a);
std::vector<ir::Tensor> elu_kernel(const KernelArgs& a);
std::vector<ir::Tensor> selu_kernel(const KernelArgs& a);
std::vector<ir::Tensor> leaky_relu_kernel(const KernelArgs& a);
std::vector<ir::Tensor> thresholded_relu_kernel(const KernelArgs& a);
std::vector<ir::Tensor> celu_kernel(const KernelArgs& a);
std::vector<ir::Tensor> shrink_kernel(const KernelArgs& a);
std::vector<ir::Tensor> prelu_kernel(const KernelArgs& a);
// math_binary.cpp
std::vector<ir::Tensor> pow_kernel(const KernelArgs& a);
std::vector<ir::Tensor> mod_kernel(const KernelArgs& a);
std::vector<ir::Tensor> bit_shift_kernel(const KernelArgs& a);
std::vector<ir::Tensor> equal_kernel(const KernelArgs& a);
std::vector<ir::Tensor> less_kernel(const KernelArgs& a);
std::vector<ir::Tensor> greater_kernel(const KernelArgs& a);
std::vector<ir::Tensor> less_or_equal_kernel(const KernelArgs& a);
std::vector<ir::Tensor> greater_or_equal_kernel(const KernelArgs& a);
std::vector<ir::Tensor> and_kernel(const KernelArgs& a);
std::vector<ir::Tensor> or_kernel(const KernelArgs& a);
std::vector<ir::Tensor> xor_kernel(const KernelArgs& a);
// math_variadic.cpp
std::vector<ir::Tensor> min_kernel(const KernelArgs& a);
std::vector<ir::Tensor> max_kernel(const KernelArgs& a);
std::vector<ir::Tensor> sum_kernel(const KernelArgs& a);
std::vector<ir::Tensor> mean_kernel(const KernelArgs& a);
std::vector<ir::Tensor> where_kernel(const KernelArgs& a);
// == end math ==
// == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
// tensor_pad_slice.cpp
std::vector<ir::Tensor> pad(const KernelArgs& a);
std::vector<ir::Tensor> slice(const KernelArgs& a);
std::vector<ir::Tensor> split(const KernelArgs& a);
// tensor_layout.cpp
std::vector<ir::Tensor> transpose(const KernelArgs& a);
std::vector<ir::Tensor> expand(const KernelArgs& a);
std::vector<ir::Tensor> tile(const KernelArgs& a);
// tensor_gather_scatter.cpp
std::vector<ir::Tensor> gather_elements(const KernelArgs& a);
std::vector<ir::Tensor> scatter_elements(const KernelArgs& a);  // and Scatter-9/10
std::vector<ir::Tensor> gather_nd(const KernelArgs& a);
std::vector<ir::Tensor> scatter_nd(const KernelArgs& a);
std::vector<ir::Tensor> compress(const KernelArgs& a);
std::vector<ir::Tensor> non_zero(const KernelArgs& a);
// tensor_generators.cpp
std::vector<ir::Tensor> constant_of_shape(const KernelArgs& a);
std::vector<ir::Tensor> size(const KernelArgs& a);
std::vector<ir::Tensor> range(const KernelArgs& a);
std::vector<ir::Tensor> eye_like(const KernelArgs& a);
std::vector<ir::Tensor> one_hot(const KernelArgs& a);
std::vector<ir::Tensor> trilu(const KernelArgs& a);
// tensor_sequence.cpp
std::vector<ir::Tensor> cumsum(const KernelArgs& a);
std::vector<ir::Tensor> reverse_sequence(const KernelArgs& a);
std::vector<ir::Tensor> unique(const KernelArgs& a);
// == end tensor ==
// == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
// reduce.cpp, topk.cpp, softmax_family.cpp
std::vector<ir::Tensor> reduce(const KernelArgs& a);  // every Reduce*
std::vector<ir::Tensor> arg_reduce(const KernelArgs& a);  // ArgMax, ArgMin
std::vector<ir::Tensor> top_k(const KernelArgs& a);
std::vector<ir::Tensor> hardmax(const KernelArgs& a);
std::vector<ir::Tensor> log_softmax(const KernelArgs& a);
// normalize.cpp, global_pool.cpp
std::vector<ir::Tensor> lrn(const KernelArgs& a);
std::vector<ir::Tensor> instance_norm(const KernelArgs& a);
std::vector<ir::Tensor> layer_norm(const KernelArgs& a);
std::vector<ir::Tensor> lp_norm(const KernelArgs& a);
std::vector<ir::Tensor> mean_variance_norm(const KernelArgs& a);
std::vector<ir::Tensor> global_max_pool(const KernelArgs& a);
std::vector<ir::Tensor> global_lp_pool(const KernelArgs& a);
// losses.cpp, einsum.cpp, det.cpp
std::vector<ir::Tensor> nll_loss(const KernelArgs& a);
std::vector<ir::Tensor> softmax_cross_entropy(const KernelArgs& a);
std::vector<ir::Tensor> einsum(const KernelArgs& a);
std::vector<ir::Tensor> det(const KernelArgs& a);
// == end reduce ==
// == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
// window_conv_transpose.cpp
std::vector<ir::Tensor> conv_transpose(const KernelArgs& a);
// window_pool.cpp
std::vector<ir::Tensor> lp_pool(const KernelArgs& a);
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
// quant_integer.cpp
std::vector<ir::Tensor> conv_integer(const KernelArgs& a);
std::vector<ir::Tensor> matmul_integer(const KernelArgs& a);
// quant_dynamic.cpp
std::vector<ir::Tensor> dynamic_quantize_linear(const KernelArgs& a);
// == end quant ==

// For each element of `out` (row-major), the flat index of the element of `in` that numpy
// broadcasting maps onto it. `in` must broadcast to `out`.
std::vector<int64_t> broadcast_index_map(const ir::Shape& in, const ir::Shape& out);

}  // namespace qcv::ref::detail
