// GlobalMaxPool and GlobalLpPool: one value per (batch, channel) over all spatial positions.
#include <cmath>
#include <limits>

#include "ref/kernel.h"
#include "ref/kernel_util.h"

namespace qcv::ref::detail {
namespace {

template <typename T, typename F>
void per_channel(const KernelArgs& a, F&& reduce) {
  const ir::Tensor& x = a.in(0);
  const int64_t groups = x.dim(0) * x.dim(1);
  const int64_t inner = groups ? x.numel() / groups : 0;
  for (int64_t g = 0; g < groups; ++g) reduce(g, x.data<T>() + g * inner, inner);
}

}  // namespace

std::vector<ir::Tensor> global_max_pool(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  auto body = [&](auto tag) {
    using T = decltype(tag);
    per_channel<T>(a, [&](int64_t g, const T* p, int64_t n) {
      T best = -std::numeric_limits<T>::infinity();
      for (int64_t i = 0; i < n; ++i) best = p[i] > best || p[i] != p[i] ? p[i] : best;
      y.data<T>()[g] = best;
    });
  };
  visit_floating(a.in(0).dtype(), body);
  return {y};
}

// y = (sum over the window of |x|^p)^(1/p).
std::vector<ir::Tensor> global_lp_pool(const KernelArgs& a) {
  ir::Tensor y = a.make_output(0);
  const double p = a.node.attr_float("p", 2.0f);  // an int since opset 2
  if (p <= 0) a.error("p must be positive");
  auto body = [&](auto tag) {
    using T = decltype(tag);
    per_channel<T>(a, [&](int64_t g, const T* v, int64_t n) {
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) sum += std::pow(std::abs(static_cast<double>(v[i])), p);
      y.data<T>()[g] = static_cast<T>(std::pow(sum, 1.0 / p));
    });
  };
  visit_floating(a.in(0).dtype(), body);
  return {y};
}

}  // namespace qcv::ref::detail
