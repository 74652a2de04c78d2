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
  const int64_t in_per_group = channels / group, out_per_group = out_channels / group;
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
  const float* xd = x.data<float>();
  const float* wd = weight.data<float>();
  float* yd = y.data<float>();
  std::vector<double> acc(static_cast<size_t>(win.out_size));

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t g = m / out_per_group;
      std::fill(acc.begin(), acc.end(), bias ? static_cast<double>(bias[m]) : 0.0);
      for (int64_t ic = 0; ic < in_per_group; ++ic) {
        const float* plane = xd + (n * channels + g * in_per_group + ic) * win.in_size;
        const float* taps = wd + (m * in_per_group + ic) * win.kernel_size;
        for (int64_t k = 0; k < win.kernel_size; ++k) {
          const double tap = taps[k];
          const int64_t* offsets = win.offset.data() + k * win.out_size;
          for (int64_t p = 0; p < win.out_size; ++p)
            if (offsets[p] >= 0) acc[p] += tap * plane[offsets[p]];
        }
      }
      float* out = yd + (n * out_channels + m) * win.out_size;
      for (int64_t p = 0; p < win.out_size; ++p) out[p] = static_cast<float>(acc[p]);
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
