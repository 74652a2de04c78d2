// Element-wise activations: Relu and Clip on any number type; HardSigmoid, HardSwish, Sigmoid on
// float32/float64.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ref/math_util.h"

namespace qcv::ref::detail {
namespace {

// Calls f(T{}) for the input's number type; bool is refused.
template <typename F>
std::vector<ir::Tensor> with_number_type(const KernelArgs& a, F f) {
  return ir::visit_dtype(a.in(0).dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      a.error("unsupported dtype bool");
    else
      return f(tag);
  });
}

template <typename T>
T scalar_bound(const KernelArgs& a, size_t i, T fallback) {
  if (!a.has(i)) return fallback;
  const ir::Tensor& t = a.in(i);
  if (t.numel() != 1) a.error(fmt::format("bound input {} must hold one value", i));
  // Clip's legacy attributes become float32 bounds whatever the input's type.
  if (t.dtype() == ir::dtype_of<T>()) return t.data<T>()[0];
  if constexpr (std::is_floating_point_v<T>)
    return static_cast<T>(t.as_double(0));
  else
    return static_cast<T>(t.as_int64(0));
}

}  // namespace

std::vector<ir::Tensor> relu(const KernelArgs& a) {
  return with_number_type(a, [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    return {map_unary<T, T>(a.in(0), [](T v) { return v > T(0) ? v : T(0); })};
  });
}

std::vector<ir::Tensor> clip(const KernelArgs& a) {
  return with_number_type(a, [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    using L = std::numeric_limits<T>;
    const T lo = scalar_bound<T>(a, 1, L::has_infinity ? -L::infinity() : L::lowest());
    const T hi = scalar_bound<T>(a, 2, L::has_infinity ? L::infinity() : L::max());
    // ONNX applies max(lo) then min(hi): with lo > hi every element becomes hi.
    return {map_unary<T, T>(a.in(0), [lo, hi](T v) { return std::min(std::max(v, lo), hi); })};
  });
}

std::vector<ir::Tensor> hard_sigmoid(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 0.2f), beta = a.node.attr_float("beta", 0.5f);
  return map_floating(a, [alpha, beta](auto v) {
    using T = decltype(v);
    return std::min(T(1), std::max(T(0), static_cast<T>(alpha) * v + static_cast<T>(beta)));
  });
}

std::vector<ir::Tensor> hard_swish(const KernelArgs& a) {
  // ONNX: x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
  return map_floating(a, [](auto v) {
    using T = decltype(v);
    return v * std::min(T(1), std::max(T(0), v / T(6) + T(0.5)));
  });
}

std::vector<ir::Tensor> sigmoid(const KernelArgs& a) {
  return map_floating(a, [](auto v) {
    // Two forms so that exp never overflows; float32 is computed in double.
    using T = decltype(v);
    double d = v;
    return static_cast<T>(d >= 0 ? 1.0 / (1.0 + std::exp(-d)) : std::exp(d) / (1.0 + std::exp(d)));
  });
}

}  // namespace qcv::ref::detail
