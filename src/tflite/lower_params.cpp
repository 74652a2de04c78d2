#include "tflite/lower_params.h"

#include <algorithm>
#include <cmath>

namespace qcv::tflite {

namespace {

const ir::Tensor& initializer_of(const ir::Graph& g, const ir::Node& node, size_t input) {
  const std::string& name = node.input(input);
  const ir::Tensor* t = g.initializer(name);
  if (!t) fail("node '{}' ({}): input {} '{}' is not a constant", node.name, node.op, input, name);
  return *t;
}

}  // namespace

Quantization activation_quant(const ir::Graph& g, const ir::Node& qdq) {
  const ir::Tensor& scale = initializer_of(g, qdq, 1);
  if (scale.numel() != 1)
    fail(
        "node '{}' ({}): per-channel activation quantization ({} scales); TFLite activations "
        "are per tensor",
        qdq.name, qdq.op, scale.numel());
  if (qdq.input(2).empty())
    fail(
        "node '{}' ({}): no zero point, so uint8; TFLite's integer models use int8 activations "
        "(make the QDQ file with `qcv ptq --scheme tflite`)",
        qdq.name, qdq.op);
  const ir::Tensor& zp = initializer_of(g, qdq, 2);
  if (zp.dtype() != ir::DType::Int8)
    fail(
        "node '{}' ({}): activations quantized as {}; TFLite's integer models use int8 "
        "(make the QDQ file with `qcv ptq --scheme tflite`)",
        qdq.name, qdq.op, ir::dtype_name(zp.dtype()));
  Quantization q;
  q.scale = {static_cast<float>(scale.as_double(0))};
  if (!(q.scale[0] > 0) || !std::isfinite(q.scale[0]))
    fail("node '{}' ({}): scale {} is not finite and positive", qdq.name, qdq.op, q.scale[0]);
  q.zero_point = {zp.as_int64(0)};
  return q;
}

QuantConstant quant_constant(const ir::Graph& g, const ir::Node& node, size_t input,
                             ir::DType dtype) {
  const std::string& name = node.input(input);
  const int p = g.producer(name);
  if (p < 0 || g.nodes[p].op != "DequantizeLinear" || !g.is_initializer(g.nodes[p].input(0)))
    fail(
        "node '{}' ({}): input {} '{}' is not a quantized constant (DequantizeLinear of an "
        "initializer); TFLite integer models need {} {}",
        node.name, node.op, input, name, ir::dtype_name(dtype),
        dtype == ir::DType::Int32 ? "biases" : "weights");
  const ir::Node& dq = g.nodes[p];
  QuantConstant c;
  c.values = initializer_of(g, dq, 0);
  if (c.values.dtype() != dtype)
    fail("node '{}' ({}): '{}' is {}, expected {}", node.name, node.op, dq.input(0),
         ir::dtype_name(c.values.dtype()), ir::dtype_name(dtype));
  c.scale = initializer_of(g, dq, 1).to_float_vector();
  for (float v : c.scale)
    if (!(v > 0) || !std::isfinite(v))
      fail("node '{}' ({}): scale {} is not finite and positive", dq.name, dq.op, v);
  if (!dq.input(2).empty()) {
    const ir::Tensor& zp = initializer_of(g, dq, 2);
    for (int64_t i = 0; i < zp.numel(); ++i)
      if (zp.as_int64(i) != 0)
        fail("node '{}' ({}): '{}' has a nonzero zero point; TFLite needs symmetric {}", node.name,
             node.op, dq.input(0), dtype == ir::DType::Int32 ? "biases" : "weights");
  }
  c.axis = dq.attr_int("axis", 1);
  if (c.axis < 0) c.axis += static_cast<int64_t>(c.values.rank());
  if (c.scale.size() > 1 && (c.axis < 0 || c.axis >= static_cast<int64_t>(c.values.rank()) ||
                             c.values.dim(c.axis) != static_cast<int64_t>(c.scale.size())))
    fail("node '{}' ({}): {} scales for '{}' of shape {} on axis {}", dq.name, dq.op,
         c.scale.size(), dq.input(0), ir::shape_str(c.values.shape()), c.axis);
  return c;
}

ir::Shape known_shape(const ir::Graph& g, const std::string& value) {
  auto v = g.value_type(value);
  if (!v || !v->has_shape) fail("value '{}': shape unknown", value);
  for (int64_t d : v->shape)
    if (d < 0) fail("value '{}': shape {} is not fully known", value, ir::shape_str(v->shape));
  return v->shape;
}

std::vector<int32_t> tflite_shape(const ir::Shape& s, const std::string& value) {
  std::vector<int32_t> out;
  for (int64_t d : s) {
    if (d < 0 || d > INT32_MAX) fail("value '{}': dimension {} cannot be written", value, d);
    out.push_back(static_cast<int32_t>(d));
  }
  if (out.size() == 4) out = {out[0], out[2], out[3], out[1]};
  return out;
}

PadPlan plan_padding(const ir::Node& node, int64_t in_h, int64_t in_w, int64_t k_h, int64_t k_w) {
  const auto strides = node.attr_ints("strides", {1, 1});
  const auto dilations = node.attr_ints("dilations", {1, 1});
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  for (const auto* v : {&strides, &dilations})
    if (v->size() != 2 || (*v)[0] < 1 || (*v)[1] < 1 || (*v)[0] > INT32_MAX || (*v)[1] > INT32_MAX)
      fail("node '{}' ({}): strides and dilations must be 2 values >= 1", node.name, node.op);
  // TensorFlow's SAME: output ceil(in / stride), the total padding split with the extra one last.
  auto same = [](int64_t in, int64_t k, int64_t s, int64_t d) {
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
    return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
  };
  const auto sh = same(in_h, k_h, strides[0], dilations[0]);
  const auto sw = same(in_w, k_w, strides[1], dilations[1]);
  PadPlan plan;
  if (auto_pad == "SAME_UPPER") {
    plan.padding = Padding::Same;
    return plan;
  }
  if (auto_pad == "VALID") return plan;
  if (auto_pad != "NOTSET")
    fail("node '{}' ({}): auto_pad {} has no TFLite counterpart", node.name, node.op, auto_pad);
  const auto pads = node.attr_ints("pads", {0, 0, 0, 0});
  if (pads.size() != 4)
    fail("node '{}' ({}): {} pads, expected 4", node.name, node.op, pads.size());
  if (pads == std::vector<int64_t>{0, 0, 0, 0}) return plan;
  if (pads[0] == sh.first && pads[2] == sh.second && pads[1] == sw.first && pads[3] == sw.second) {
    plan.padding = Padding::Same;
    return plan;
  }
  plan.explicit_pad = true;
  plan.top = pads[0];
  plan.left = pads[1];
  plan.bottom = pads[2];
  plan.right = pads[3];
  return plan;
}

// Parameters for a Gemm's float output (no QuantizeLinear to take them from): the exact range
// its outputs can reach from the int8 input range, so that nothing saturates; the step is
// wider than a calibrated one would be. weights: [units, depth] int8.
Quantization bounded_output(const Quantization& in, const std::vector<int8_t>& weights,
                            const std::vector<float>& w_scale, const std::vector<double>& bias,
                            int64_t depth) {
  const double x_lo = in.scale[0] * (-128.0 - in.zero_point[0]);
  const double x_hi = in.scale[0] * (127.0 - in.zero_point[0]);
  double lo = 0, hi = 0;  // the range holds 0, as QuantizeLinear's do
  for (size_t u = 0; u < bias.size(); ++u) {
    const double s = w_scale[w_scale.size() == 1 ? 0 : u];
    double a = bias[u], b = bias[u];
    for (int64_t k = 0; k < depth; ++k) {
      const double w = s * weights[u * depth + k];
      a += std::min(w * x_lo, w * x_hi);
      b += std::max(w * x_lo, w * x_hi);
    }
    lo = std::min(lo, a);
    hi = std::max(hi, b);
  }
  return range_quant(lo, hi);
}

// Asymmetric int8 parameters of [lo, hi] widened to hold 0 (as QuantizeLinear ranges are).
Quantization range_quant(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  Quantization q;
  const double scale = hi > lo ? (hi - lo) / 255.0 : 1.0;
  q.scale = {static_cast<float>(scale)};
  q.zero_point = {
      static_cast<int64_t>(std::clamp(std::nearbyint(-128.0 - lo / scale), -128.0, 127.0))};
  return q;
}

std::string tensor_bytes(const ir::Tensor& t) {
  return std::string(static_cast<const char*>(t.raw()), t.nbytes());
}

}  // namespace qcv::tflite
