// Helpers for INT8 runtime tests: QDQ graphs built by hand (Q/DQ pairs with chosen parameters,
// int8 weights behind a DequantizeLinear), and the comparison of an INT8 Session with the same
// graph run by the reference kernels in FP32 (fake quantization: the oracle).
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ref/ref.h"
#include "runtime_test_util.h"

namespace qcv::testing {

inline std::string add_qparams(GraphMaker& m, float scale, int32_t zp, ir::DType dtype) {
  std::string s = m.constant(ir::Tensor::scalar<float>(scale));
  std::string z = dtype == ir::DType::UInt8
                      ? m.constant(ir::Tensor::scalar<uint8_t>(static_cast<uint8_t>(zp)))
                      : m.constant(ir::Tensor::scalar<int8_t>(static_cast<int8_t>(zp)));
  return s + "|" + z;
}

// QuantizeLinear of x (output int8/uint8).
inline std::string quantize(GraphMaker& m, const std::string& x, float scale, int32_t zp,
                            ir::DType dtype) {
  std::string p = add_qparams(m, scale, zp, dtype);
  size_t bar = p.find('|');
  return m.node("QuantizeLinear", {x, p.substr(0, bar), p.substr(bar + 1)});
}
inline std::string dequantize(GraphMaker& m, const std::string& q, float scale, int32_t zp,
                              ir::DType dtype) {
  std::string p = add_qparams(m, scale, zp, dtype);
  size_t bar = p.find('|');
  return m.node("DequantizeLinear", {q, p.substr(0, bar), p.substr(bar + 1)});
}
inline std::string qdq(GraphMaker& m, const std::string& x, float scale, int32_t zp,
                       ir::DType dtype) {
  return dequantize(m, quantize(m, x, scale, zp, dtype), scale, zp, dtype);
}

// Parameters covering [lo, hi]: symmetric int8 (zero point 0) or asymmetric uint8.
struct Range {
  float scale;
  int32_t zp;
};
inline Range range_params(float lo, float hi, ir::DType dtype) {
  lo = std::min(lo, 0.f);
  hi = std::max(hi, 0.f);
  if (dtype == ir::DType::Int8) return {std::max(std::max(-lo, hi), 1e-6f) / 127.f, 0};
  float scale = std::max(hi - lo, 1e-6f) / 255.f;
  return {scale, static_cast<int32_t>(std::clamp(std::nearbyint(-lo / scale), 0.f, 255.f))};
}

// A float weight quantized symmetric int8 (per output channel or per tensor), stored as an int8
// initializer read through a DequantizeLinear.
inline std::string int8_weight(GraphMaker& m, const ir::Tensor& w, bool per_channel) {
  int64_t oc = w.dim(0), inner = w.numel() / oc;
  std::vector<float> scales(per_channel ? oc : 1, 0.f);
  const float* p = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    float& s = scales[per_channel ? i / inner : 0];
    s = std::max(s, std::fabs(p[i]) / 127.f);
  }
  ir::Tensor q(ir::DType::Int8, w.shape());
  for (int64_t i = 0; i < w.numel(); ++i)
    q.data<int8_t>()[i] = static_cast<int8_t>(
        ref::quantize_value(p[i], scales[per_channel ? i / inner : 0], 0, -127, 127));
  std::string qn = m.constant(q);
  ir::Tensor st = per_channel ? ir::Tensor::from_vector<float>({oc}, scales)
                              : ir::Tensor::scalar<float>(scales[0]);
  ir::Tensor zt = per_channel ? ir::Tensor(ir::DType::Int8, {oc}) : ir::Tensor::scalar<int8_t>(0);
  return m.node("DequantizeLinear", {qn, m.constant(st), m.constant(zt)}, {{"axis", int64_t{0}}});
}

// The same weight kept in float behind a QuantizeLinear -> DequantizeLinear pair (a QAT file).
inline std::string qdq_weight(GraphMaker& m, const ir::Tensor& w, bool per_channel) {
  GraphMaker probe;
  int8_weight(probe, w, per_channel);  // the scales int8_weight would choose
  const ir::Node& dq = probe.g.nodes.back();
  std::string s = m.constant(*probe.g.initializer(dq.inputs[1]));
  std::string z = m.constant(*probe.g.initializer(dq.inputs[2]));
  std::string q = m.node("QuantizeLinear", {m.constant(w), s, z}, {{"axis", int64_t{0}}});
  return m.node("DequantizeLinear", {q, s, z}, {{"axis", int64_t{0}}});
}

// The largest difference, in integer steps, between two uint8/int8 tensors.
inline int64_t max_step_diff(const ir::Tensor& a, const ir::Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.dtype(), b.dtype());
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return 1 << 30;
  int64_t worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, std::abs(a.as_int64(i) - b.as_int64(i)));
  return worst;
}

}  // namespace qcv::testing
