// Unary elementwise math: Neg Abs Sign Erf (any number type), the float functions (Sqrt, Exp,
// Log, trigonometric and hyperbolic, Floor/Ceil/Round), IsNaN/IsInf, and Not.
#include <cmath>

#include "ref/math_util.h"

namespace qcv::ref::detail {
namespace {

[[noreturn]] void bad_dtype(const KernelArgs& a) {
  a.error(fmt::format("unsupported dtype {}", ir::dtype_name(a.in(0).dtype())));
}

// f(v) on any number type (not bool), output of the input's type.
template <typename F>
std::vector<ir::Tensor> numeric(const KernelArgs& a, F f) {
  const ir::Tensor& x = a.in(0);
  return ir::visit_dtype(x.dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      bad_dtype(a);
    } else {
      return {map_unary<T, T>(x, [&](T v) { return static_cast<T>(f(v)); })};
    }
  });
}

// Integer negation that wraps (INT_MIN stays INT_MIN) instead of overflowing.
template <typename T>
T wrapping_neg(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(U(0) - static_cast<U>(v)));
}

}  // namespace

std::vector<ir::Tensor> neg_kernel(const KernelArgs& a) {
  return numeric(a, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>)
      return -v;
    else
      return wrapping_neg(v);
  });
}

std::vector<ir::Tensor> abs_kernel(const KernelArgs& a) {
  return numeric(a, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>)
      return std::fabs(v);
    else if constexpr (std::is_unsigned_v<T>)
      return v;
    else
      return v < 0 ? wrapping_neg(v) : v;
  });
}

std::vector<ir::Tensor> sign_kernel(const KernelArgs& a) {
  return numeric(a, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(v)) return v;
    return static_cast<T>((T(0) < v) - (v < T(0)));
  });
}

std::vector<ir::Tensor> erf_kernel(const KernelArgs& a) {
  return numeric(a, [](auto v) { return std::erf(static_cast<compute_t<decltype(v)>>(v)); });
}

std::vector<ir::Tensor> sqrt_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::sqrt(v); });
}
std::vector<ir::Tensor> exp_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::exp(v); });
}
std::vector<ir::Tensor> log_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::log(v); });
}
std::vector<ir::Tensor> reciprocal_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return decltype(v)(1) / v; });
}
std::vector<ir::Tensor> floor_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::floor(v); });
}
std::vector<ir::Tensor> ceil_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::ceil(v); });
}
std::vector<ir::Tensor> round_kernel(const KernelArgs& a) {
  // ONNX rounds halves to even: nearbyint in the default rounding mode.
  return map_floating(a, [](auto v) { return std::nearbyint(v); });
}
std::vector<ir::Tensor> tanh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::tanh(v); });
}
std::vector<ir::Tensor> sin_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::sin(v); });
}
std::vector<ir::Tensor> cos_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::cos(v); });
}
std::vector<ir::Tensor> tan_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::tan(v); });
}
std::vector<ir::Tensor> asin_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::asin(v); });
}
std::vector<ir::Tensor> acos_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::acos(v); });
}
std::vector<ir::Tensor> atan_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::atan(v); });
}
std::vector<ir::Tensor> sinh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::sinh(v); });
}
std::vector<ir::Tensor> cosh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::cosh(v); });
}
std::vector<ir::Tensor> asinh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::asinh(v); });
}
std::vector<ir::Tensor> acosh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::acosh(v); });
}
std::vector<ir::Tensor> atanh_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return std::atanh(v); });
}

std::vector<ir::Tensor> is_nan_kernel(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() == ir::DType::Float32)
    return {map_unary<bool, float>(x, [](float v) { return std::isnan(v); })};
  if (x.dtype() == ir::DType::Float64)
    return {map_unary<bool, double>(x, [](double v) { return std::isnan(v); })};
  bad_dtype(a);
}

std::vector<ir::Tensor> is_inf_kernel(const KernelArgs& a) {
  const bool pos = a.node.attr_int("detect_positive", 1) != 0;
  const bool neg = a.node.attr_int("detect_negative", 1) != 0;
  auto f = [pos, neg](auto v) { return std::isinf(v) && (v > 0 ? pos : neg); };
  const ir::Tensor& x = a.in(0);
  if (x.dtype() == ir::DType::Float32) return {map_unary<bool, float>(x, f)};
  if (x.dtype() == ir::DType::Float64) return {map_unary<bool, double>(x, f)};
  bad_dtype(a);
}

std::vector<ir::Tensor> logical_not_kernel(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() != ir::DType::Bool) bad_dtype(a);
  return {map_unary<bool, bool>(x, [](bool v) { return !v; })};
}

}  // namespace qcv::ref::detail
