// Internal: the geometry of a sliding window (Conv, AveragePool, MaxPool) as a lookup table, so
// the kernels are plain loops over (kernel position, output position) pairs.
#pragma once
#include <algorithm>
#include <vector>

#include "ref/kernel.h"

namespace qcv::ref::detail {

struct Window {
  int64_t in_size = 1;      // product of the input's spatial dims
  int64_t out_size = 1;     // product of the output's spatial dims
  int64_t kernel_size = 1;  // number of kernel positions
  // offset[k * out_size + p]: flat spatial offset of the input element that kernel position k
  // reads for output position p, or -1 where it falls in the padding.
  std::vector<int64_t> offset;
  // For output position p: kernel positions inside the padded input (count_include_pad divisor).
  std::vector<int64_t> padded_count;
};

// x_shape and out_shape are full NC... shapes; kernel holds the spatial kernel dims. Reads the
// node's strides, dilations, pads and auto_pad attributes.
Window make_window(const KernelArgs& a, const ir::Shape& x_shape, const ir::Shape& out_shape,
                   const std::vector<int64_t>& kernel);

// The grouped direct convolution over `win` (Conv, ConvInteger): each output plane (n, m) starts
// at init(m) and accumulates, in Acc, w[m, ic, k] * x[n, g * in_per_group + ic, offset] over the
// group's input channels ic and kernel positions k; padded positions contribute nothing.
template <typename In, typename Acc, typename Out, typename Init>
void conv_planes(const Window& win, int64_t batch, int64_t channels, int64_t out_channels,
                 int64_t group, const In* xd, const In* wd, Out* yd, Init init) {
  const int64_t in_per_group = channels / group, out_per_group = out_channels / group;
  std::vector<Acc> acc(static_cast<size_t>(win.out_size));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t g = m / out_per_group;
      std::fill(acc.begin(), acc.end(), init(m));
      for (int64_t ic = 0; ic < in_per_group; ++ic) {
        const In* plane = xd + (n * channels + g * in_per_group + ic) * win.in_size;
        const In* taps = wd + (m * in_per_group + ic) * win.kernel_size;
        for (int64_t k = 0; k < win.kernel_size; ++k) {
          const Acc tap = taps[k];
          const int64_t* offsets = win.offset.data() + k * win.out_size;
          for (int64_t p = 0; p < win.out_size; ++p)
            if (offsets[p] >= 0) acc[p] += tap * plane[offsets[p]];
        }
      }
      Out* out = yd + (n * out_channels + m) * win.out_size;
      for (int64_t p = 0; p < win.out_size; ++p) out[p] = static_cast<Out>(acc[p]);
    }
  }
}

}  // namespace qcv::ref::detail
