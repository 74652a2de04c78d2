// Ops that make tensors from a few numbers: ConstantOfShape, Size, Range, EyeLike, OneHot, Trilu.
#include <cstring>
#include <type_traits>

#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> constant_of_shape(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  if (!a.node.has_attr("value")) return {y};  // float32 zeros
  const ir::Tensor& v = a.node.attr_tensor("value");
  const size_t es = ir::dtype_size(v.dtype());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + i * es, v.raw(), es);
  return {y};
}

std::vector<ir::Tensor> size(const KernelArgs& a) {
  return {ir::Tensor::scalar<int64_t>(a.in(0).numel())};
}

// np.arange: element i is start + i * delta in the input's type.
std::vector<ir::Tensor> range(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  ir::visit_dtype(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T start = a.in(0).data<T>()[0], delta = a.in(2).data<T>()[0];
      T* out = y.data<T>();
      for (int64_t i = 0; i < y.numel(); ++i) {
        if constexpr (std::is_integral_v<T>)  // wrapping unsigned arithmetic: no signed overflow
          out[i] = static_cast<T>(static_cast<uint64_t>(start) +
                                  static_cast<uint64_t>(i) * static_cast<uint64_t>(delta));
        else
          out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
    }
  });
  return {y};
}

std::vector<ir::Tensor> eye_like(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  const int64_t rows = y.dim(0), cols = y.dim(1), k = a.node.attr_int("k", 0);
  for (int64_t i = 0; i < rows; ++i)
    if (i + k >= 0 && i + k < cols) y.set_int64(i * cols + i + k, 1);
  return {y};
}

// Output [..indices dims before axis.., depth, ..after..]: values[1] at the index, values[0]
// elsewhere. Indices of any numeric type are truncated; negative ones count from depth.
std::vector<ir::Tensor> one_hot(const KernelArgs& a) {
  const ir::Tensor& idx = a.in(0);
  const ir::Tensor& values = a.in(2);
  ir::Tensor y = a.make_output(0);
  const int64_t rank = static_cast<int64_t>(y.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const int64_t depth = y.dim(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= y.dim(d);
  const size_t es = ir::dtype_size(y.dtype());
  const auto* off = static_cast<const uint8_t*>(values.raw());
  const uint8_t* on = off + es;
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + i * es, off, es);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      auto k = static_cast<int64_t>(idx.as_double(o * inner + j));
      if (k < 0) k += depth;
      if (k < 0 || k >= depth) continue;  // out of range: all off
      std::memcpy(dst + ((o * depth + k) * inner + j) * es, on, es);
    }
  return {y};
}

// Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of each matrix, zeroes the rest.
std::vector<ir::Tensor> trilu(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t k = a.has(1) ? a.in(1).as_int64(0) : 0;
  const bool upper = a.node.attr_int("upper", 1) != 0;
  ir::Tensor y = x.clone();
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  const size_t es = ir::dtype_size(x.dtype());
  auto* p = static_cast<uint8_t*>(y.raw());
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (upper ? j - i < k : j - i > k) std::memset(p + ((m * rows + i) * cols + j) * es, 0, es);
  return {y};
}

}  // namespace qcv::ref::detail
