// QuantizeLinear / DequantizeLinear with ONNX semantics (round half to even, saturate; the
// integer range from the zero point's dtype, uint8 when absent) and their fused fake-quant form.
#include <algorithm>
#include <cmath>

#include "train/torch_ops.h"

namespace qcv::train {
namespace {

struct QuantParams {
  at::Tensor scale;       // float, 0-d or 1-d (per channel along axis)
  at::Tensor zero_point;  // same shape as scale, int64 values
  at::ScalarType qtype = at::kByte;
  int64_t qmin = 0, qmax = 255;
  int64_t axis = 1;
  bool per_channel = false;
};

QuantParams quant_params(const OpContext& c, int64_t rank) {
  QuantParams q;
  q.scale = c.input(1).to(at::kFloat);
  if (c.has(2)) {
    q.qtype = c.in[2].scalar_type();
    q.zero_point = c.in[2].to(at::kLong);
  } else {
    q.zero_point = at::zeros_like(q.scale, q.scale.options().dtype(at::kLong));
  }
  switch (q.qtype) {
    case at::kByte:
      q.qmin = 0, q.qmax = 255;
      break;
    case at::kChar:
      q.qmin = -128, q.qmax = 127;
      break;
    case at::kInt:
      q.qmin = INT32_MIN, q.qmax = INT32_MAX;
      break;
    default:
      c.error("zero point must be uint8, int8 or int32");
  }
  q.per_channel = q.scale.dim() == 1 && q.scale.numel() > 1;
  if (q.scale.dim() > 1) c.error("scale must be a scalar or a 1-d tensor");
  if (q.per_channel) q.axis = normalize_axis(c, c.node.attr_int("axis", 1), rank);
  return q;
}

// Scale/zero point shaped to broadcast against a rank-`rank` tensor along q.axis.
at::Tensor along_axis(const at::Tensor& t, const QuantParams& q, int64_t rank) {
  if (!q.per_channel) return t.reshape({});
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(q.axis)] = t.numel();
  return t.reshape(shape);
}

// LSQ (Esser et al. 2019): the scale's gradient is sum(round(x/s) - x/s) inside the range and
// qmin or qmax outside (per element, summed per channel), times g = 1/sqrt(N * qmax) with N the
// elements sharing a scale (torch.ao's convention: the batch included for activations). The
// forward is exactly the fixed-scale fake quantization.
at::Tensor learned_scale_fake_quantize(const at::Tensor& x, const QuantParams& q) {
  const double n = double(x.numel()) / double(std::max<int64_t>(q.scale.numel(), 1));
  const double grad_factor = 1.0 / std::sqrt(n * double(q.qmax));
  // A scale pushed to or below zero by a step would make the forward undefined.
  at::Tensor scale = at::clamp_min(q.scale, 1e-8);
  at::Tensor zp = q.zero_point.to(at::kFloat);
  if (q.per_channel)
    return at::_fake_quantize_learnable_per_channel_affine(x, scale.reshape({-1}), zp.reshape({-1}),
                                                           q.axis, q.qmin, q.qmax, grad_factor);
  return at::_fake_quantize_learnable_per_tensor_affine(x, scale.reshape({1}), zp.reshape({1}),
                                                        q.qmin, q.qmax, grad_factor);
}

}  // namespace

std::vector<at::Tensor> fake_quantize(OpContext& c) {
  const at::Tensor& x = c.input(0);
  QuantParams q = quant_params(c, x.dim());
  if (q.qtype == at::kInt) c.error("int32 fake quantization is not supported");
  if (q.scale.requires_grad()) return {learned_scale_fake_quantize(x, q)};
  if (q.per_channel)
    return {at::fake_quantize_per_channel_affine(x, q.scale, q.zero_point.to(at::kInt), q.axis,
                                                 q.qmin, q.qmax)};
  return {at::fake_quantize_per_tensor_affine(x, q.scale.item<double>(),
                                              q.zero_point.item<int64_t>(), q.qmin, q.qmax)};
}

namespace ops {

std::vector<at::Tensor> quantize_linear(OpContext& c) {
  const at::Tensor& x = c.input(0);
  QuantParams q = quant_params(c, x.dim());
  at::Tensor scale = along_axis(q.scale, q, x.dim());
  at::Tensor zp = along_axis(q.zero_point, q, x.dim()).to(at::kDouble);
  // torch's round is half to even, as ONNX requires.
  at::Tensor y = at::round(x.detach().to(at::kDouble) / scale.to(at::kDouble)) + zp;
  return {y.clamp(static_cast<double>(q.qmin), static_cast<double>(q.qmax)).to(q.qtype)};
}

std::vector<at::Tensor> dequantize_linear(OpContext& c) {
  const at::Tensor& x = c.input(0);
  QuantParams q = quant_params(c, x.dim());
  at::Tensor scale = along_axis(q.scale, q, x.dim());
  at::Tensor zp = along_axis(q.zero_point, q, x.dim());
  return {((x.to(at::kLong) - zp).to(at::kFloat) * scale)};
}

}  // namespace ops
}  // namespace qcv::train
