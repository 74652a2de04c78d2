// DynamicQuantizeLinear: uint8 quantization with a scale and zero point computed from the
// input's range (widened to include 0), in float32 as ONNX defines it.
#include <algorithm>
#include <cmath>

#include "ref/kernel.h"
#include "ref/ref.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> dynamic_quantize_linear(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() != ir::DType::Float32)
    a.error(fmt::format("input must be float32, got {}", ir::dtype_name(x.dtype())));
  const float* xd = x.data<float>();
  float lo = 0.f, hi = 0.f;  // the range always contains 0, so 0 is exact
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(xd[i])) a.error("input contains NaN");
    lo = std::min(lo, xd[i]);
    hi = std::max(hi, xd[i]);
  }
  constexpr int32_t qmin = 0, qmax = 255;
  const float scale = (hi - lo) / static_cast<float>(qmax - qmin);
  ir::Tensor y(ir::DType::UInt8, x.shape());
  int32_t zero_point = 0;
  if (scale > 0.f && std::isfinite(scale)) {
    // Clipped to the uint8 range, then rounded half to even.
    const float initial = static_cast<float>(qmin) - lo / scale;
    zero_point = static_cast<int32_t>(
        std::nearbyint(std::clamp(initial, static_cast<float>(qmin), static_cast<float>(qmax))));
    uint8_t* yd = y.data<uint8_t>();
    for (int64_t i = 0; i < x.numel(); ++i)
      yd[i] = static_cast<uint8_t>(quantize_value(xd[i], scale, zero_point, qmin, qmax));
  } else if (!std::isfinite(scale)) {
    a.error("input range is not finite");
  }  // an all-zero input: scale 0, zero point 0, y all 0
  ir::Tensor s = ir::Tensor::scalar(scale);
  ir::Tensor zp(ir::DType::UInt8, {});
  zp.data<uint8_t>()[0] = static_cast<uint8_t>(zero_point);
  return {y, s, zp};
}

}  // namespace qcv::ref::detail
