// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (which is NLL of LogSoftmax over axis 1).
// loss[n, d...] = -weight[t] * input[n, t, d...] with t = target[n, d...], 0 where t equals
// ignore_index; "mean" divides the sum by the sum of the weights used (a count without weights).
#include <cmath>
#include <limits>

#include "ref/kernel.h"
#include "ref/kernel_util.h"

namespace qcv::ref::detail {
namespace {

template <typename T>
ir::Tensor nll(const KernelArgs& a, const T* logp, const ir::Shape& xshape) {
  const ir::Tensor& target = a.in(1);
  const int64_t batch = xshape[0], classes = xshape[1];
  const int64_t inner = batch * classes != 0 ? ir::shape_numel(xshape) / (batch * classes) : 0;
  const T* weight = a.has(2) ? a.in(2).data<T>() : nullptr;
  if (weight && a.in(2).numel() != classes)
    a.error(fmt::format("weights have {} values for {} classes", a.in(2).numel(), classes));
  const bool has_ignore = a.node.has_attr("ignore_index");
  const int64_t ignore = a.node.attr_int("ignore_index", 0);
  const std::string reduction = a.node.attr_string("reduction", "mean");
  std::vector<double> loss(batch * inner, 0.0);
  double weight_sum = 0, total = 0;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = target.as_int64(n * inner + i);
      if (has_ignore && t == ignore) continue;
      if (t < 0 || t >= classes)
        a.error(fmt::format("target {} is outside [0, {}) and is not ignore_index", t, classes));
      const double w = weight ? static_cast<double>(weight[t]) : 1.0;
      const double l = -w * logp[(n * classes + t) * inner + i];
      loss[n * inner + i] = l;
      total += l;
      weight_sum += w;
    }
  ir::Tensor out = a.make_output(0);
  T* od = out.data<T>();
  if (reduction == "none") {
    for (size_t k = 0; k < loss.size(); ++k) od[k] = static_cast<T>(loss[k]);
  } else if (reduction == "sum") {
    od[0] = static_cast<T>(total);
  } else {
    od[0] = static_cast<T>(weight_sum == 0 ? std::numeric_limits<double>::quiet_NaN()
                                           : total / weight_sum);
  }
  return out;
}

}  // namespace

std::vector<ir::Tensor> nll_loss(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  std::vector<ir::Tensor> out;
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    out.push_back(nll<T>(a, x.data<T>(), x.shape()));
  });
  return out;
}

std::vector<ir::Tensor> softmax_cross_entropy(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor log_prob(x.dtype(), x.shape());
  const int64_t batch = x.dim(0), classes = x.dim(1);
  const int64_t inner = batch * classes != 0 ? x.numel() / (batch * classes) : 0;
  std::vector<ir::Tensor> out;
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* lp = log_prob.data<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = n * classes * inner + i;
        double largest = -std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < classes; ++c)
          largest = std::max(largest, static_cast<double>(xd[base + c * inner]));
        double sum = 0;
        for (int64_t c = 0; c < classes; ++c) sum += std::exp(xd[base + c * inner] - largest);
        const double shift = largest + std::log(sum);
        for (int64_t c = 0; c < classes; ++c)
          lp[base + c * inner] = static_cast<T>(xd[base + c * inner] - shift);
      }
    out.push_back(nll<T>(a, lp, x.shape()));
  });
  if (a.wants_output(1)) out.push_back(log_prob);
  return out;
}

}  // namespace qcv::ref::detail
