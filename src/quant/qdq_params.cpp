// Scales and zero points from ranges and weights.
#include <algorithm>
#include <cmath>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

void qrange(ir::DType t, int32_t& qmin, int32_t& qmax) {
  if (t == ir::DType::Int8) {
    qmin = -128, qmax = 127;
  } else if (t == ir::DType::UInt8) {
    qmin = 0, qmax = 255;
  } else {
    fail("activation quantization: dtype {} is not int8 or uint8", ir::dtype_name(t));
  }
}

}  // namespace

QuantParams params_for_range(float min, float max, ir::DType dtype, bool symmetric) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max)
    fail("quantization range [{}, {}] is not a finite interval", min, max);
  int32_t qmin, qmax;
  qrange(dtype, qmin, qmax);
  QuantParams p;
  p.dtype = dtype;
  p.range_min = min;
  p.range_max = max;
  if (symmetric) {
    // int8: [-amax, amax] on [-127, 127], zero point 0; uint8: zero point 128.
    const float amax = std::max(std::fabs(min), std::fabs(max));
    const float scale = dtype == ir::DType::Int8 ? amax / 127.0f : 2.0f * amax / 255.0f;
    p.scale = {scale > 0 ? scale : 1.0f};
    p.zero_point = {dtype == ir::DType::Int8 ? 0 : 128};
    return p;
  }
  const float lo = std::min(min, 0.0f), hi = std::max(max, 0.0f);
  const float scale = (hi - lo) / static_cast<float>(qmax - qmin);
  p.scale = {scale > 0 ? scale : 1.0f};
  const float zp = std::nearbyint(static_cast<float>(qmin) - lo / p.scale[0]);
  p.zero_point = {
      static_cast<int32_t>(std::clamp(zp, static_cast<float>(qmin), static_cast<float>(qmax)))};
  return p;
}

QuantParams weight_params(const ir::Tensor& weight, int64_t axis, int bits) {
  if (bits < 2 || bits > 8) fail("weight quantization: {} bits, expected 2..8", bits);
  if (weight.dtype() != ir::DType::Float32)
    fail("weight quantization: weight is {}, expected float32", ir::dtype_name(weight.dtype()));
  if (axis >= static_cast<int64_t>(weight.rank()))
    fail("weight quantization: axis {} out of range for shape {}", axis,
         ir::shape_str(weight.shape()));
  const int64_t channels = axis >= 0 ? weight.dim(axis) : 1;
  int64_t inner = 1;
  for (size_t d = axis + 1; axis >= 0 && d < weight.rank(); ++d) inner *= weight.dim(d);
  std::vector<float> amax(channels, 0.0f);
  const float* w = weight.data<float>();
  for (int64_t i = 0; i < weight.numel(); ++i) {
    const int64_t c = axis >= 0 ? (i / inner) % channels : 0;
    if (!std::isfinite(w[i])) fail("weight quantization: weight has a non-finite value at {}", i);
    amax[c] = std::max(amax[c], std::fabs(w[i]));
  }
  QuantParams p;
  p.dtype = ir::DType::Int8;
  p.axis = axis;
  p.bits = bits;
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  for (float a : amax) {
    p.scale.push_back(a > 0 ? a / qmax : 1.0f);
    p.zero_point.push_back(0);
  }
  return p;
}

}  // namespace qcv::quant
