// Conv, BatchNormalization, pooling, Gemm and MatMul with ONNX semantics (asymmetric pads,
// auto_pad, ceil_mode, count_include_pad, Gemm's transposes and scalars).
#include <limits>

#include "train/torch_ops.h"

namespace qcv::train::ops {
namespace {

struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations;
  std::vector<int64_t> pad_begin, pad_end;
  bool symmetric() const { return pad_begin == pad_end; }
};

// Resolves strides, dilations and pads (auto_pad included) for an input with `spatial` dims.
WindowGeometry window_geometry(const OpContext& c, const at::Tensor& x,
                               std::vector<int64_t> kernel) {
  const size_t spatial = kernel.size();
  if (x.dim() != static_cast<int64_t>(spatial) + 2)
    c.error(fmt::format("input rank {} does not match a {}-d kernel", x.dim(), spatial));
  WindowGeometry g;
  g.kernel = std::move(kernel);
  g.strides = c.node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  g.dilations = c.node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads = c.node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (g.strides.size() != spatial || g.dilations.size() != spatial || pads.size() != 2 * spatial)
    c.error("strides/dilations/pads do not match the kernel rank");
  const std::string auto_pad = c.node.attr_string("auto_pad", "NOTSET");
  for (size_t i = 0; i < spatial; ++i) {
    int64_t begin = pads[i], end = pads[i + spatial];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t in = x.size(static_cast<int64_t>(i) + 2);
      const int64_t out = (in + g.strides[i] - 1) / g.strides[i];
      const int64_t effective = g.dilations[i] * (g.kernel[i] - 1) + 1;
      const int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + effective - in);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (auto_pad == "VALID") {
      begin = end = 0;
    } else if (auto_pad != "NOTSET") {
      c.error("unsupported auto_pad '" + auto_pad + "'");
    }
    g.pad_begin.push_back(begin);
    g.pad_end.push_back(end);
  }
  return g;
}

// Pads explicitly (torch pads symmetrically only); constant_pad_nd lists the last dim first.
at::Tensor pad_explicitly(const at::Tensor& x, const WindowGeometry& g, double value) {
  std::vector<int64_t> pad;
  for (size_t i = g.pad_begin.size(); i-- > 0;) {
    pad.push_back(g.pad_begin[i]);
    pad.push_back(g.pad_end[i]);
  }
  return at::constant_pad_nd(x, pad, value);
}

std::vector<int64_t> zeros(size_t n) { return std::vector<int64_t>(n, 0); }

}  // namespace

std::vector<at::Tensor> conv(OpContext& c) {
  at::Tensor x = c.input(0);
  const at::Tensor& w = c.input(1);
  at::Tensor bias = c.has(2) ? c.in[2] : at::Tensor();
  std::vector<int64_t> kernel(w.sizes().begin() + 2, w.sizes().end());
  WindowGeometry g = window_geometry(c, x, kernel);
  std::vector<int64_t> padding = g.pad_begin;
  if (!g.symmetric()) {
    x = pad_explicitly(x, g, 0.0);
    padding = zeros(kernel.size());
  }
  const int64_t group = c.node.attr_int("group", 1);
  switch (kernel.size()) {
    case 1:
      return {at::conv1d(x, w, bias, g.strides, padding, g.dilations, group)};
    case 2:
      return {at::conv2d(x, w, bias, g.strides, padding, g.dilations, group)};
    case 3:
      return {at::conv3d(x, w, bias, g.strides, padding, g.dilations, group)};
    default:
      c.error(fmt::format("{}-d convolution is not supported", kernel.size()));
  }
}

std::vector<at::Tensor> batch_norm(OpContext& c) {
  const double eps = c.node.attr_float("epsilon", 1e-5f);
  // ONNX: running = running * m + batch * (1 - m); torch's momentum is the weight of the batch.
  const double momentum = 1.0 - c.node.attr_float("momentum", 0.9f);
  at::Tensor y = at::batch_norm(c.input(0), c.input(1), c.input(2), c.input(3), c.input(4),
                                c.training, momentum, eps, /*cudnn_enabled=*/true);
  std::vector<at::Tensor> out = {y};
  // Optional outputs (training mode in ONNX 14+): the updated running statistics.
  for (size_t i = 1; i < c.wanted.size(); ++i) out.push_back(c.in[2 + i].detach().clone());
  return out;
}

std::vector<at::Tensor> average_pool(OpContext& c) {
  at::Tensor x = c.input(0);
  WindowGeometry g = window_geometry(c, x, c.node.attr_ints("kernel_shape"));
  for (int64_t d : g.dilations)
    if (d != 1) c.error("dilated AveragePool is not supported");
  const bool ceil_mode = c.node.attr_int("ceil_mode", 0) != 0;
  bool include_pad = c.node.attr_int("count_include_pad", 0) != 0;
  std::vector<int64_t> padding = g.pad_begin;
  bool fits = g.symmetric();
  for (size_t i = 0; i < g.kernel.size(); ++i) fits = fits && 2 * g.pad_begin[i] <= g.kernel[i];
  at::Tensor divisor;  // set when windows must be divided by their count of real elements
  if (!fits) {
    if (!include_pad) {
      divisor = pad_explicitly(at::ones_like(x), g, 0.0);
      include_pad = true;
    }
    x = pad_explicitly(x, g, 0.0);
    padding = zeros(g.kernel.size());
  }
  auto pool = [&](const at::Tensor& t) -> at::Tensor {
    switch (g.kernel.size()) {
      case 1:
        return at::avg_pool1d(t, g.kernel, g.strides, padding, ceil_mode, include_pad);
      case 2:
        return at::avg_pool2d(t, g.kernel, g.strides, padding, ceil_mode, include_pad);
      case 3:
        return at::avg_pool3d(t, g.kernel, g.strides, padding, ceil_mode, include_pad);
      default:
        c.error(fmt::format("{}-d AveragePool is not supported", g.kernel.size()));
    }
  };
  at::Tensor y = pool(x);
  if (divisor.defined()) y = y / pool(divisor).clamp_min(std::numeric_limits<float>::min());
  return {y};
}

std::vector<at::Tensor> max_pool(OpContext& c) {
  if (c.wanted.size() > 1 && c.wanted[1]) c.error("the Indices output is not supported");
  at::Tensor x = c.input(0);
  WindowGeometry g = window_geometry(c, x, c.node.attr_ints("kernel_shape"));
  const bool ceil_mode = c.node.attr_int("ceil_mode", 0) != 0;
  std::vector<int64_t> padding = g.pad_begin;
  bool fits = g.symmetric();
  for (size_t i = 0; i < g.kernel.size(); ++i) fits = fits && 2 * g.pad_begin[i] <= g.kernel[i];
  if (!fits) {
    x = pad_explicitly(x, g, -std::numeric_limits<double>::infinity());
    padding = zeros(g.kernel.size());
  }
  switch (g.kernel.size()) {
    case 1:
      return {at::max_pool1d(x, g.kernel, g.strides, padding, g.dilations, ceil_mode)};
    case 2:
      return {at::max_pool2d(x, g.kernel, g.strides, padding, g.dilations, ceil_mode)};
    case 3:
      return {at::max_pool3d(x, g.kernel, g.strides, padding, g.dilations, ceil_mode)};
    default:
      c.error(fmt::format("{}-d MaxPool is not supported", g.kernel.size()));
  }
}

std::vector<at::Tensor> global_average_pool(OpContext& c) {
  const at::Tensor& x = c.input(0);
  if (x.dim() < 3) c.error("input must have rank >= 3");
  if (x.dim() == 4) return {at::adaptive_avg_pool2d(x, {1, 1})};
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return {x.mean(dims, /*keepdim=*/true)};
}

std::vector<at::Tensor> gemm(OpContext& c) {
  const bool trans_a = c.node.attr_int("transA", 0) != 0;
  const bool trans_b = c.node.attr_int("transB", 0) != 0;
  const double alpha = c.node.attr_float("alpha", 1.0f), beta = c.node.attr_float("beta", 1.0f);
  const at::Tensor& a = c.input(0);
  const at::Tensor& b = c.input(1);
  if (a.dim() != 2 || b.dim() != 2) c.error("A and B must be 2-d");
  at::Tensor bias = c.has(2) ? c.in[2] : at::Tensor();
  // The common classifier form is one fused linear.
  if (!trans_a && trans_b && alpha == 1.0 && beta == 1.0 && (!bias.defined() || bias.dim() <= 1))
    return {at::linear(a, b, bias)};
  at::Tensor y = at::matmul(trans_a ? a.t() : a, trans_b ? b.t() : b);
  if (alpha != 1.0) y = y * alpha;
  if (bias.defined()) y = beta == 1.0 ? y + bias : y + bias * beta;
  return {y};
}

std::vector<at::Tensor> matmul(OpContext& c) { return {at::matmul(c.input(0), c.input(1))}; }

}  // namespace qcv::train::ops
