// QuantizeLinear and DequantizeLinear, per tensor or per axis, and quantize_value: the one
// definition of ONNX's rounding (half to even) and saturation that the rest of qcv shares.
#include <algorithm>
#include <cfenv>
#include <cmath>

#include "ref/kernel.h"
#include "ref/ref.h"

namespace qcv::ref {

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  // ONNX divides by the scale (no reciprocal) in float32, then rounds half to even: nearbyint
  // under the default rounding mode, which qcv never changes.
  const float q = std::nearbyint(x / scale);
  if (std::isnan(q)) return std::clamp(zero_point, qmin, qmax);  // unspecified by ONNX
  const double v = static_cast<double>(q) + zero_point;
  if (v <= qmin) return qmin;
  if (v >= qmax) return qmax;
  return static_cast<int32_t>(v);
}

namespace detail {
namespace {

// Scale and zero point for each element: per tensor, or per slice along `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int64_t inner = 1;  // elements per step along the axis
  int64_t axis_dim = 1;

  size_t at(int64_t i) const {
    return scale.size() == 1 ? 0 : static_cast<size_t>((i / inner) % axis_dim);
  }
};

QuantParams quant_params(const KernelArgs& a, const ir::Tensor& x) {
  QuantParams p;
  const ir::Tensor& scale = a.in(1);
  if (scale.dtype() != ir::DType::Float32) a.error("scale must be float32");
  p.scale = scale.to_float_vector();
  if (p.scale.empty()) a.error("scale is empty");
  if (a.has(2)) {
    const ir::Tensor& zp = a.in(2);
    if (zp.numel() != scale.numel())
      a.error(fmt::format("zero point has {} values, scale {}", zp.numel(), scale.numel()));
    for (int64_t i = 0; i < zp.numel(); ++i)
      p.zero_point.push_back(static_cast<int32_t>(zp.as_int64(i)));
  } else {
    p.zero_point.assign(p.scale.size(), 0);
  }
  if (p.scale.size() == 1) return p;
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    a.error(fmt::format("axis {} out of range for shape {}", a.node.attr_int("axis", 1),
                        ir::shape_str(x.shape())));
  if (x.dim(axis) != static_cast<int64_t>(p.scale.size()))
    a.error(fmt::format("per-axis scale has {} values but axis {} of {} has {}", p.scale.size(),
                        axis, ir::shape_str(x.shape()), x.dim(axis)));
  p.axis_dim = x.dim(axis);
  for (int64_t d = axis + 1; d < rank; ++d) p.inner *= x.dim(d);
  return p;
}

template <typename Q>
void quantize_all(const ir::Tensor& x, const QuantParams& p, ir::Tensor& y) {
  const float* xd = x.data<float>();
  Q* yd = y.data<Q>();
  constexpr int32_t qmin = std::numeric_limits<Q>::min(), qmax = std::numeric_limits<Q>::max();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = p.at(i);
    yd[i] = static_cast<Q>(quantize_value(xd[i], p.scale[c], p.zero_point[c], qmin, qmax));
  }
}

}  // namespace

std::vector<ir::Tensor> quantize_linear(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() != ir::DType::Float32)
    a.error(fmt::format("input must be float32, got {}", ir::dtype_name(x.dtype())));
  QuantParams p = quant_params(a, x);
  ir::Tensor y = a.make_output(0);
  if (y.dtype() == ir::DType::UInt8)
    quantize_all<uint8_t>(x, p, y);
  else if (y.dtype() == ir::DType::Int8)
    quantize_all<int8_t>(x, p, y);
  else
    a.error(fmt::format("unsupported output dtype {}", ir::dtype_name(y.dtype())));
  return {y};
}

std::vector<ir::Tensor> dequantize_linear(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::DType t = x.dtype();
  if (t != ir::DType::UInt8 && t != ir::DType::Int8 && t != ir::DType::Int32)
    a.error(fmt::format("input must be uint8, int8 or int32, got {}", ir::dtype_name(t)));
  QuantParams p = quant_params(a, x);
  ir::Tensor y(ir::DType::Float32, x.shape());
  float* yd = y.data<float>();
  // float32 arithmetic as in ONNX's reference: (x - zero_point) * scale.
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = p.at(i);
    yd[i] = (static_cast<float>(x.as_int64(i)) - static_cast<float>(p.zero_point[c])) * p.scale[c];
  }
  return {y};
}

}  // namespace detail
}  // namespace qcv::ref
