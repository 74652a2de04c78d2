// LRN, InstanceNormalization, LayerNormalization, LpNormalization, MeanVarianceNormalization.
// Statistics are computed in double.
#include <algorithm>
#include <cmath>

#include "ref/kernel.h"
#include "ref/kernel_util.h"
#include "ref/reduce_index.h"

namespace qcv::ref::detail {

// y = x / (bias + alpha / size * sum of x^2 over the `size` neighbouring channels)^beta.
std::vector<ir::Tensor> lrn(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t size = a.node.attr_int("size");
  if (size <= 0) a.error("size must be positive");
  const double alpha = a.node.attr_float("alpha", 1e-4f), beta = a.node.attr_float("beta", 0.75f),
               bias = a.node.attr_float("bias", 1.0f);
  const int64_t batch = x.dim(0), channels = x.dim(1), inner = dim_product(x.shape(), 2, x.rank());
  const int64_t below = (size - 1) / 2, above = size - 1 - below;
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < inner; ++i) {
          double sum = 0;
          for (int64_t k = std::max<int64_t>(0, c - below); k <= std::min(channels - 1, c + above);
               ++k) {
            const double v = xd[(n * channels + k) * inner + i];
            sum += v * v;
          }
          const int64_t at = (n * channels + c) * inner + i;
          yd[at] = static_cast<T>(xd[at] / std::pow(bias + alpha / size * sum, beta));
        }
  });
  return {y};
}

std::vector<ir::Tensor> instance_norm(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const double eps = a.node.attr_float("epsilon", 1e-5f);
  const int64_t batch = x.dim(0), channels = x.dim(1), inner = dim_product(x.shape(), 2, x.rank());
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    const T* scale = a.in(1).data<T>();
    const T* bias = a.in(2).data<T>();
    T* yd = y.data<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t base = (n * channels + c) * inner;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < inner; ++i) mean += xd[base + i];
        mean /= static_cast<double>(inner);
        for (int64_t i = 0; i < inner; ++i) var += (xd[base + i] - mean) * (xd[base + i] - mean);
        var /= static_cast<double>(inner);
        const double k = scale[c] / std::sqrt(var + eps);
        for (int64_t i = 0; i < inner; ++i)
          yd[base + i] = static_cast<T>((xd[base + i] - mean) * k + bias[c]);
      }
  });
  return {y};
}

// Normalizes over the dimensions [axis, rank); Scale and B broadcast to them. Optional outputs:
// the mean and 1 / sqrt(var + epsilon) of each normalized group.
std::vector<ir::Tensor> layer_norm(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const ir::Shape normalized(x.shape().begin() + axis, x.shape().end());
  const int64_t outer = dim_product(x.shape(), 0, axis), inner = ir::shape_numel(normalized);
  for (size_t i = 1; i < 3; ++i) {
    if (!a.has(i)) continue;
    const ir::Shape& s = a.in(i).shape();
    bool fits = s.size() <= normalized.size();
    for (size_t d = 0; fits && d < s.size(); ++d) {
      const int64_t want = normalized[normalized.size() - s.size() + d];
      fits = s[d] == want || s[d] == 1;
    }
    if (!fits)
      a.error(fmt::format("input {} of shape {} does not broadcast to {}", i, ir::shape_str(s),
                          ir::shape_str(normalized)));
  }
  const std::vector<int64_t> scale_at = broadcast_index_map(a.in(1).shape(), normalized);
  const std::vector<int64_t> bias_at =
      a.has(2) ? broadcast_index_map(a.in(2).shape(), normalized) : std::vector<int64_t>{};
  const double eps = a.node.attr_float("epsilon", 1e-5f);
  ir::Tensor y = a.make_output(0), mean_out, inv_out;
  if (a.wants_output(1)) mean_out = a.make_output(1);
  if (a.wants_output(2)) inv_out = a.make_output(2);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    const T* scale = a.in(1).data<T>();
    const T* bias = a.has(2) ? a.in(2).data<T>() : nullptr;
    T* yd = y.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      const T* p = xd + o * inner;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i) mean += p[i];
      mean /= static_cast<double>(inner);
      for (int64_t i = 0; i < inner; ++i) var += (p[i] - mean) * (p[i] - mean);
      var /= static_cast<double>(inner);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i) {
        double v = (p[i] - mean) * inv * scale[scale_at[i]];
        if (bias) v += bias[bias_at[i]];
        yd[o * inner + i] = static_cast<T>(v);
      }
      if (!mean_out.empty()) mean_out.set_double(o, mean);
      if (!inv_out.empty()) inv_out.set_double(o, inv);
    }
  });
  std::vector<ir::Tensor> out{y, mean_out, inv_out};
  out.resize(std::min(out.size(), a.node.outputs.size()));
  return out;
}

// y = x / ||x||_p along one axis (p = 1 or 2); a zero norm gives 0 rather than NaN.
std::vector<ir::Tensor> lp_norm(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t p = a.node.attr_int("p", 2);
  if (p != 1 && p != 2) a.error(fmt::format("p = {} (only 1 and 2 are defined)", p));
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const int64_t outer = dim_product(x.shape(), 0, axis), n = x.dim(axis),
                inner = dim_product(x.shape(), axis + 1, rank);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        double norm = 0;
        for (int64_t j = 0; j < n; ++j) {
          const double v = xd[base + j * inner];
          norm += p == 1 ? std::abs(v) : v * v;
        }
        if (p == 2) norm = std::sqrt(norm);
        for (int64_t j = 0; j < n; ++j)
          yd[base + j * inner] = static_cast<T>(norm == 0 ? 0.0 : xd[base + j * inner] / norm);
      }
  });
  return {y};
}

// y = (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes` (default N, H, W).
std::vector<ir::Tensor> mean_variance_norm(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<bool> reduced(rank, false);
  for (int64_t ax : a.node.attr_ints("axes", {0, 2, 3}))
    reduced[normalize_axis(a, ax, rank)] = true;
  const std::vector<int64_t> stride = kept_strides(x.shape(), reduced);
  int64_t groups = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d]) groups *= x.dim(d);
  const double count = groups ? static_cast<double>(x.numel()) / groups : 1.0;
  std::vector<double> mean(groups, 0.0), square(groups, 0.0);
  visit_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    for_each_mapped(x.shape(), stride, [&](int64_t i, int64_t o) {
      mean[o] += xd[i];
      square[o] += static_cast<double>(xd[i]) * xd[i];
    });
    for (int64_t o = 0; o < groups; ++o) {
      mean[o] /= count;
      square[o] = std::sqrt(std::max(0.0, square[o] / count - mean[o] * mean[o])) + 1e-9;
    }
    for_each_mapped(x.shape(), stride, [&](int64_t i, int64_t o) {
      yd[i] = static_cast<T>((xd[i] - mean[o]) / square[o]);
    });
  });
  return {y};
}

}  // namespace qcv::ref::detail
