// ConvTranspose (any spatial rank, groups, strides, dilations, pads, output_padding,
// output_shape, auto_pad): each input element scatters its value times the kernel into the
// output. Input position i and kernel position k land on full-output position i*stride +
// k*dilation, which is output position (that - pad_begin) when it falls inside the output.
#include "ir/shape_inference.h"
#include "ref/kernel_util.h"
#include "ref/window.h"

namespace qcv::ref::detail {
namespace {


// target[k * in_size + p]: flat output offset written by kernel position k from input position
// p, or -1 when it is cut off by the padding.
std::vector<int64_t> scatter_table(const KernelArgs& a, const ir::infer::ConvTransposeGeometry& g,
                                   const std::vector<int64_t>& in, int64_t in_size,
                                   int64_t kernel_size) {
  constexpr int64_t kMaxTable = int64_t{1} << 28;
  if (kernel_size > 0 && in_size > kMaxTable / kernel_size)
    a.error(
        fmt::format("window of {} positions over {} inputs is too large for the reference kernel",
                    kernel_size, in_size));
  const size_t spatial = in.size();
  std::vector<int64_t> target(static_cast<size_t>(kernel_size * in_size), -1);
  std::vector<int64_t> k_index(spatial), p_index(spatial);
  for (int64_t k = 0; k < kernel_size; ++k) {
    unravel(k, g.kernel, k_index);
    for (int64_t p = 0; p < in_size; ++p) {
      unravel(p, in, p_index);
      int64_t flat = 0;
      bool inside = true;
      for (size_t d = 0; d < spatial && inside; ++d) {
        int64_t o = p_index[d] * g.strides[d] + k_index[d] * g.dilations[d] - g.pad_begin[d];
        inside = o >= 0 && o < g.out[d];
        flat = flat * g.out[d] + o;
      }
      if (inside) target[k * in_size + p] = flat;
    }
  }
  return target;
}

template <typename T>
void transpose_conv(const KernelArgs& a, const ir::Tensor& x, const ir::Tensor& w, ir::Tensor& y,
                    const ir::infer::ConvTransposeGeometry& g) {
  const ir::Shape& xs = x.shape();
  const int64_t batch = xs[0], channels = xs[1], group = a.node.attr_int("group", 1);
  const int64_t in_per_group = channels / group, out_per_group = w.dim(1);
  const int64_t out_channels = out_per_group * group;
  const std::vector<int64_t> in(xs.begin() + 2, xs.end());
  int64_t in_size = 1, out_size = 1, kernel_size = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    in_size *= in[d];
    out_size *= g.out[d];
    kernel_size *= g.kernel[d];
  }
  const std::vector<int64_t> target = scatter_table(a, g, in, in_size, kernel_size);
  const T* bias = nullptr;
  if (a.has(2)) {
    const ir::Tensor& b = a.in(2);
    if (b.dtype() != x.dtype() || b.numel() != out_channels)
      a.error(fmt::format("bias must be {} [{}], got {} {}", ir::dtype_name(x.dtype()),
                          out_channels, ir::dtype_name(b.dtype()), ir::shape_str(b.shape())));
    bias = b.data<T>();
  }
  const T* xd = x.data<T>();
  const T* wd = w.data<T>();
  T* yd = y.data<T>();
  std::vector<double> acc(static_cast<size_t>(out_size));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t gi = m / out_per_group, mo = m % out_per_group;
      std::fill(acc.begin(), acc.end(), bias ? static_cast<double>(bias[m]) : 0.0);
      for (int64_t ic = 0; ic < in_per_group; ++ic) {
        const int64_t c = gi * in_per_group + ic;
        const T* plane = xd + (n * channels + c) * in_size;
        // W is [C, M/group, k...]: the taps from input channel c to output channel m.
        const T* taps = wd + (c * out_per_group + mo) * kernel_size;
        for (int64_t k = 0; k < kernel_size; ++k) {
          const double tap = taps[k];
          const int64_t* to = target.data() + k * in_size;
          for (int64_t p = 0; p < in_size; ++p)
            if (to[p] >= 0) acc[to[p]] += tap * plane[p];
        }
      }
      T* out = yd + (n * out_channels + m) * out_size;
      for (int64_t p = 0; p < out_size; ++p) out[p] = static_cast<T>(acc[p]);
    }
  }
}

}  // namespace

std::vector<ir::Tensor> conv_transpose(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& w = a.in(1);
  ir::Tensor y = a.make_output(0);
  ir::infer::ConvTransposeGeometry g =
      ir::infer::conv_transpose_geometry(a.node, x.shape(), w.shape());
  if (x.dtype() == ir::DType::Float64)
    transpose_conv<double>(a, x, w, y, g);
  else
    transpose_conv<float>(a, x, w, y, g);
  return {y};
}

}  // namespace qcv::ref::detail
