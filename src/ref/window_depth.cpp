// DepthToSpace (DCR and CRD modes) and SpaceToDepth: pure rearrangements of NCHW elements by a
// block size b, any element type.
#include <cstring>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

// Moves every element of y from the x element that `source(n, c, h, w)` (y's coordinates)
// names, as raw bytes.
template <typename Source>
void gather_nchw(const ir::Tensor& x, ir::Tensor& y, Source source) {
  const size_t bytes = ir::dtype_size(x.dtype());
  const auto* xd = static_cast<const unsigned char*>(x.raw());
  auto* yd = static_cast<unsigned char*>(y.raw());
  const int64_t n_ = y.dim(0), c_ = y.dim(1), h_ = y.dim(2), w_ = y.dim(3);
  int64_t o = 0;
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t c = 0; c < c_; ++c)
      for (int64_t h = 0; h < h_; ++h)
        for (int64_t w = 0; w < w_; ++w, ++o)
          std::memcpy(yd + o * bytes, xd + source(n, c, h, w) * bytes, bytes);
}

}  // namespace

std::vector<ir::Tensor> depth_to_space(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t b = a.node.attr_int("blocksize");
  const bool crd = a.node.attr_string("mode", "DCR") == "CRD";
  const int64_t xc = x.dim(1), xh = x.dim(2), xw = x.dim(3), yc = y.dim(1);
  gather_nchw(x, y, [&](int64_t n, int64_t c, int64_t h, int64_t w) {
    const int64_t i = h % b, j = w % b;
    // DCR: the block offset is the outer part of the channel; CRD: the inner part.
    const int64_t xch = crd ? (c * b + i) * b + j : (i * b + j) * yc + c;
    return ((n * xc + xch) * xh + h / b) * xw + w / b;
  });
  return {y};
}

std::vector<ir::Tensor> space_to_depth(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t b = a.node.attr_int("blocksize");
  const int64_t xc = x.dim(1), xh = x.dim(2), xw = x.dim(3);
  gather_nchw(x, y, [&](int64_t n, int64_t c, int64_t h, int64_t w) {
    const int64_t block = c / xc, xch = c % xc;  // y channel = (i * b + j) * C + c
    const int64_t i = block / b, j = block % b;
    return ((n * xc + xch) * xh + h * b + i) * xw + w * b + j;
  });
  return {y};
}

}  // namespace qcv::ref::detail
