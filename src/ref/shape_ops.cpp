// Ops that move data without arithmetic: Flatten/Reshape/Squeeze/Unsqueeze (the inferred shape
// is the whole answer), Shape, Gather and Concat. Byte copies, so every dtype works.
#include <algorithm>
#include <cstring>

#include "ref/kernel.h"
#include "ref/kernel_util.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> reshape_like_inferred(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Shape shape = a.out_shape(0);
  if (ir::shape_numel(shape) != x.numel())
    a.error(fmt::format("cannot reshape {} to {}", ir::shape_str(x.shape()), ir::shape_str(shape)));
  return {x.clone().reshaped(shape)};
}

std::vector<ir::Tensor> shape(const KernelArgs& a) {
  const ir::Shape& s = a.in(0).shape();
  const int64_t rank = static_cast<int64_t>(s.size());
  int64_t start = a.node.attr_int("start", 0), end = a.node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) dims.push_back(s[i]);
  return {ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims)};
}

std::vector<ir::Tensor> gather(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& indices = a.in(1);
  if (indices.dtype() != ir::DType::Int64 && indices.dtype() != ir::DType::Int32)
    a.error(fmt::format("indices must be int32 or int64, got {}", ir::dtype_name(indices.dtype())));
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (rank == 0) a.error("cannot gather from a scalar");
  const int64_t axis = normalize_axis(a, a.node.attr_int("axis", 0), rank);
  const int64_t outer = dim_product(x.shape(), 0, axis), axis_dim = x.dim(axis);
  const size_t chunk =
      static_cast<size_t>(dim_product(x.shape(), axis + 1, x.rank())) * ir::dtype_size(x.dtype());
  ir::Tensor y = a.make_output(0);
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  const int64_t count = indices.numel();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < count; ++j) {
      int64_t idx = indices.as_int64(j);
      if (idx < -axis_dim || idx >= axis_dim)
        a.error(fmt::format("index {} out of range [{}, {}) on axis {}", idx, -axis_dim, axis_dim,
                            axis));
      if (idx < 0) idx += axis_dim;
      std::memcpy(dst + (o * count + j) * chunk, src + (o * axis_dim + idx) * chunk, chunk);
    }
  }
  return {y};
}

std::vector<ir::Tensor> concat(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  const int64_t rank = static_cast<int64_t>(y.rank());
  const int64_t axis = normalize_axis(a, a.node.attr_int("axis"), rank);
  const int64_t outer = dim_product(y.shape(), 0, axis);
  const size_t elem = ir::dtype_size(y.dtype());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      const ir::Tensor& x = a.in(i);
      if (x.dtype() != y.dtype()) a.error("inputs have different dtypes");
      const size_t chunk = static_cast<size_t>(dim_product(x.shape(), axis, x.rank())) * elem;
      std::memcpy(dst, static_cast<const uint8_t*>(x.raw()) + o * chunk, chunk);
      dst += chunk;
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
