// Variadic Min, Max, Sum, Mean (1..N inputs, numpy broadcasting) and Where.
#include <cmath>
#include <cstring>

#include "ref/math_util.h"

namespace qcv::ref::detail {
namespace {

enum class Fold { Min, Max, Sum, Mean };

template <typename T>
T combine(Fold op, T acc, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    // numpy's minimum/maximum propagate NaN.
    if (op == Fold::Min) return std::isnan(v) || v < acc ? v : acc;
    if (op == Fold::Max) return std::isnan(v) || v > acc ? v : acc;
    return acc + v;
  } else {
    if (op == Fold::Min) return v < acc ? v : acc;
    if (op == Fold::Max) return v > acc ? v : acc;
    using U = std::make_unsigned_t<std::common_type_t<T, unsigned>>;
    return static_cast<T>(static_cast<U>(static_cast<U>(acc) + static_cast<U>(v)));  // wraps
  }
}

std::vector<ir::Tensor> fold(const KernelArgs& a, Fold op) {
  const ir::Shape out = a.out_shape(0);
  const size_t n = a.inputs.size();
  for (size_t k = 1; k < n; ++k)
    if (a.in(k).dtype() != a.in(0).dtype()) a.error("inputs have different dtypes");
  return ir::visit_dtype(a.in(0).dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      a.error("unsupported dtype bool");
    } else {
      ir::Tensor z(a.in(0).dtype(), out);
      T* zd = z.data<T>();
      const int64_t total = z.numel();
      for (size_t k = 0; k < n; ++k) {
        const ir::Tensor& x = a.in(k);
        const T* xd = x.data<T>();
        std::vector<int64_t> xi = index_map(x, out);
        if (k == 0) {
          for (int64_t i = 0; i < total; ++i) zd[i] = xd[at(xi, i)];
        } else {
          for (int64_t i = 0; i < total; ++i) zd[i] = combine<T>(op, zd[i], xd[at(xi, i)]);
        }
      }
      if (op == Fold::Mean) {
        if constexpr (std::is_floating_point_v<T>) {
          for (int64_t i = 0; i < total; ++i) zd[i] /= static_cast<T>(n);
        } else {
          a.error("Mean takes float32 or float64");
        }
      }
      return {z};
    }
  });
}

}  // namespace

std::vector<ir::Tensor> min_kernel(const KernelArgs& a) { return fold(a, Fold::Min); }
std::vector<ir::Tensor> max_kernel(const KernelArgs& a) { return fold(a, Fold::Max); }
std::vector<ir::Tensor> sum_kernel(const KernelArgs& a) { return fold(a, Fold::Sum); }
std::vector<ir::Tensor> mean_kernel(const KernelArgs& a) { return fold(a, Fold::Mean); }

std::vector<ir::Tensor> where_kernel(const KernelArgs& a) {
  const ir::Tensor& c = a.in(0);
  const ir::Tensor& x = a.in(1);
  const ir::Tensor& y = a.in(2);
  if (c.dtype() != ir::DType::Bool) a.error("condition must be bool");
  if (x.dtype() != y.dtype()) a.error("X and Y have different dtypes");
  const ir::Shape out = a.out_shape(0);
  ir::Tensor z(x.dtype(), out);
  const size_t elem = ir::dtype_size(x.dtype());
  std::vector<int64_t> ci = index_map(c, out), xi = index_map(x, out), yi = index_map(y, out);
  const bool* cd = c.data<bool>();
  const auto* xd = static_cast<const char*>(x.raw());
  const auto* yd = static_cast<const char*>(y.raw());
  auto* zd = static_cast<char*>(z.raw());
  // Any element type: copy bytes.
  for (int64_t i = 0; i < z.numel(); ++i) {
    const char* src = cd[at(ci, i)] ? xd + at(xi, i) * elem : yd + at(yi, i) * elem;
    std::memcpy(zd + i * elem, src, elem);
  }
  return {z};
}

}  // namespace qcv::ref::detail
