// Activations beyond the MobileNet set: Softplus, Softsign, Elu, Selu, LeakyRelu,
// ThresholdedRelu, Celu on float32/float64; Shrink and PRelu on any number type.
#include <cmath>

#include "ref/math_util.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> softplus_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) {
    // log(1 + e^v) without overflow for large v.
    return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
  });
}

std::vector<ir::Tensor> softsign_kernel(const KernelArgs& a) {
  return map_floating(a, [](auto v) { return v / (decltype(v)(1) + std::fabs(v)); });
}

std::vector<ir::Tensor> elu_kernel(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 1.0f);
  return map_floating(a, [alpha](auto v) {
    using T = decltype(v);
    return v < 0 ? static_cast<T>(alpha) * std::expm1(v) : v;
  });
}

std::vector<ir::Tensor> selu_kernel(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 1.67326319217681884765625f);
  const double gamma = a.node.attr_float("gamma", 1.05070102214813232421875f);
  return map_floating(a, [alpha, gamma](auto v) {
    using T = decltype(v);
    return static_cast<T>(gamma) * (v > 0 ? v : static_cast<T>(alpha) * std::expm1(v));
  });
}

std::vector<ir::Tensor> leaky_relu_kernel(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 0.01f);
  return map_floating(a, [alpha](auto v) {
    using T = decltype(v);
    return v < 0 ? static_cast<T>(alpha) * v : v;
  });
}

std::vector<ir::Tensor> thresholded_relu_kernel(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 1.0f);
  return map_floating(a, [alpha](auto v) {
    using T = decltype(v);
    return v > static_cast<T>(alpha) ? v : T(0);
  });
}

std::vector<ir::Tensor> celu_kernel(const KernelArgs& a) {
  const double alpha = a.node.attr_float("alpha", 1.0f);
  if (alpha == 0) a.error("alpha must not be 0");
  return map_floating(a, [alpha](auto v) {
    using T = decltype(v);
    const T al = static_cast<T>(alpha);
    return v > 0 ? v : al * std::expm1(v / al);
  });
}

std::vector<ir::Tensor> shrink_kernel(const KernelArgs& a) {
  const double lambd = a.node.attr_float("lambd", 0.5f), bias = a.node.attr_float("bias", 0.0f);
  const ir::Tensor& x = a.in(0);
  return ir::visit_dtype(x.dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      a.error("unsupported dtype bool");
    } else {
      return {map_unary<T, T>(x, [&](T v) {
        const double d = static_cast<double>(v);
        if (d < -lambd) return static_cast<T>(d + bias);
        if (d > lambd) return static_cast<T>(d - bias);
        return T(0);
      })};
    }
  });
}

std::vector<ir::Tensor> prelu_kernel(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& slope = a.in(1);
  if (x.dtype() != slope.dtype()) a.error("input and slope have different dtypes");
  ir::Shape out = a.out_shape(0);
  return ir::visit_dtype(x.dtype(), [&](auto tag) -> std::vector<ir::Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      a.error("unsupported dtype bool");
    } else {
      return {map_binary<T, T, T>(x, slope, out, [](T v, T s) {
        if constexpr (std::is_unsigned_v<T>)
          return v;
        else
          return v < 0 ? static_cast<T>(s * v) : v;
      })};
    }
  });
}

}  // namespace qcv::ref::detail
