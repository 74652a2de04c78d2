// Constants (weights, biases) quantized and dequantized exactly as QuantizeLinear and
// DequantizeLinear would, per tensor or per channel.
#include <climits>

#include "quant/quant.h"
#include "ref/ref.h"

namespace qcv::quant {

namespace {

// Index of the channel of flat element i (0 when per tensor).
struct ChannelOf {
  ChannelOf(const ir::Tensor& x, const QuantParams& p) : channels(p.scale.size()) {
    for (size_t d = p.axis + 1; p.axis >= 0 && d < x.rank(); ++d) inner *= x.dim(d);
    per_channel = p.axis >= 0;
  }
  int64_t operator()(int64_t i) const { return per_channel ? (i / inner) % channels : 0; }
  int64_t inner = 1, channels = 1;
  bool per_channel = false;
};

}  // namespace

ir::Tensor quantize_constant(const ir::Tensor& x, const QuantParams& p) {
  if (x.dtype() != ir::DType::Float32)
    fail("quantizing a constant: it is {}, expected float32", ir::dtype_name(x.dtype()));
  ir::Tensor q(p.dtype, x.shape());
  const float* xd = x.data<float>();
  const ChannelOf channel(x, p);
  // Fewer bits than the container: the saturation bounds of that width (int4: [-8, 7]).
  const int32_t qmin = -(1 << (p.bits - 1)), qmax = (1 << (p.bits - 1)) - 1;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = channel(i);
    if (p.dtype == ir::DType::Int8) {
      q.data<int8_t>()[i] =
          static_cast<int8_t>(ref::quantize_value(xd[i], p.scale[c], p.zero_point[c], qmin, qmax));
    } else if (p.dtype == ir::DType::Int32) {
      q.data<int32_t>()[i] =
          ref::quantize_value(xd[i], p.scale[c], p.zero_point[c], INT32_MIN, INT32_MAX);
    } else {
      fail("quantizing a constant: dtype {} is not int8 or int32", ir::dtype_name(p.dtype));
    }
  }
  return q;
}

ir::Tensor dequantize_constant(const ir::Tensor& q, const QuantParams& p) {
  ir::Tensor x(ir::DType::Float32, q.shape());
  const ChannelOf channel(q, p);
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int64_t c = channel(i);
    const double v = q.dtype() == ir::DType::Int8 ? q.data<int8_t>()[i] : q.as_double(i);
    x.data<float>()[i] = static_cast<float>((v - p.zero_point[c]) * p.scale[c]);
  }
  return x;
}

}  // namespace qcv::quant
