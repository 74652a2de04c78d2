// Conv (any spatial rank, groups, strides, dilations, pads, auto_pad): a direct convolution that
// accumulates each output plane in double, one (input channel, kernel position) at a time.
#include "ref/window.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> conv(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& weight = a.in(1);
  ir::Tensor y = a.make_output(0);
  const ir::Shape& xs = x.shape();
  const ir::Shape& ws = weight.shape();
  const int64_t batch = xs[0], channels = xs[1], out_channels = ws[0];
  const int64_t group = a.node.attr_int("group", 1);
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  Window win = make_window(a, xs, y.shape(), kernel);

  const float* bias = nullptr;
  if (a.has(2)) {
    const ir::Tensor& b = a.in(2);
    if (b.dtype() != ir::DType::Float32 || b.numel() != out_channels)
      a.error(fmt::format("bias must be float32 [{}], got {} {}", out_channels,
                          ir::dtype_name(b.dtype()), ir::shape_str(b.shape())));
    bias = b.data<float>();
  }
  conv_planes<float, double>(win, batch, channels, out_channels, group, x.data<float>(),
                             weight.data<float>(), y.data<float>(),
                             [&](int64_t m) { return bias ? static_cast<double>(bias[m]) : 0.0; });
  return {y};
}

}  // namespace qcv::ref::detail
