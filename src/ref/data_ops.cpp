// Identity, Dropout (inference), Cast and Constant.
#include <cmath>
#include <limits>
#include <type_traits>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

// Float to integer conversion without UB: NaN becomes 0 and out-of-range values saturate
// (ONNX leaves both undefined).
template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (std::isnan(v)) return To(0);
    const double d = std::trunc(static_cast<double>(v));
    if (d <= static_cast<double>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (d >= static_cast<double>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

template <typename To, typename From>
void cast_elements(const ir::Tensor& x, ir::Tensor& y) {
  const From* src = static_cast<const From*>(x.raw());
  To* dst = static_cast<To*>(y.raw());
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = convert<To>(src[i]);
}

}  // namespace

std::vector<ir::Tensor> identity(const KernelArgs& a) { return {a.in(0).clone()}; }

std::vector<ir::Tensor> dropout(const KernelArgs& a) {
  // Inference: the input passes through and the mask keeps everything. Training mode is only
  // deterministic with ratio 0, so anything else is refused.
  bool training = a.has(2) && a.in(2).numel() == 1 && a.in(2).as_double(0) != 0;
  double ratio = a.has(1) && a.in(1).numel() == 1 ? a.in(1).as_double(0) : 0.5;
  if (training && ratio != 0)
    a.error("training mode with a nonzero ratio is random; not supported");
  std::vector<ir::Tensor> outs = {a.in(0).clone()};
  if (a.wants_output(1)) {
    ir::Tensor mask(ir::DType::Bool, a.in(0).shape());
    std::fill_n(static_cast<uint8_t*>(mask.raw()), mask.numel(), uint8_t{1});
    outs.push_back(mask);
  }
  return outs;
}

// Cast and CastLike: every pair of dtypes (the output dtype is the inferred one).
std::vector<ir::Tensor> cast(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  ir::visit_dtype(y.dtype(), [&](auto to_tag) {
    ir::visit_dtype(x.dtype(), [&](auto from_tag) {
      cast_elements<decltype(to_tag), decltype(from_tag)>(x, y);
    });
  });
  return {y};
}

std::vector<ir::Tensor> constant(const KernelArgs& a) {
  if (!a.node.has_attr("value")) a.error("only the 'value' form of Constant is supported");
  return {a.node.attr_tensor("value").clone()};
}

}  // namespace qcv::ref::detail
