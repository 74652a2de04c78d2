// Element-wise activations on float32: Relu, Clip, HardSigmoid, HardSwish, Sigmoid.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

template <typename F>
std::vector<ir::Tensor> map_float(const KernelArgs& a, F f) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() != ir::DType::Float32)
    a.error(fmt::format("input must be float32, got {}", ir::dtype_name(x.dtype())));
  ir::Tensor y(ir::DType::Float32, x.shape());
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) yd[i] = f(xd[i]);
  return {y};
}

float scalar_bound(const KernelArgs& a, size_t i, float fallback) {
  if (!a.has(i)) return fallback;
  const ir::Tensor& t = a.in(i);
  if (t.numel() != 1) a.error(fmt::format("bound input {} must hold one value", i));
  return static_cast<float>(t.as_double(0));
}

}  // namespace

std::vector<ir::Tensor> relu(const KernelArgs& a) {
  return map_float(a, [](float v) { return v > 0.0f ? v : 0.0f; });
}

std::vector<ir::Tensor> clip(const KernelArgs& a) {
  const float lo = scalar_bound(a, 1, -std::numeric_limits<float>::infinity());
  const float hi = scalar_bound(a, 2, std::numeric_limits<float>::infinity());
  // ONNX applies max(lo) then min(hi): with lo > hi every element becomes hi.
  return map_float(a, [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
}

std::vector<ir::Tensor> hard_sigmoid(const KernelArgs& a) {
  const float alpha = a.node.attr_float("alpha", 0.2f), beta = a.node.attr_float("beta", 0.5f);
  return map_float(
      a, [alpha, beta](float v) { return std::min(1.0f, std::max(0.0f, alpha * v + beta)); });
}

std::vector<ir::Tensor> hard_swish(const KernelArgs& a) {
  // ONNX: x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
  return map_float(a, [](float v) { return v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f)); });
}

std::vector<ir::Tensor> sigmoid(const KernelArgs& a) {
  return map_float(a, [](float v) {
    // Two forms so that exp never overflows.
    double d = v;
    return static_cast<float>(d >= 0 ? 1.0 / (1.0 + std::exp(-d))
                                     : std::exp(d) / (1.0 + std::exp(d)));
  });
}

}  // namespace qcv::ref::detail
