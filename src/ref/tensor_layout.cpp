// Transpose, Expand and Tile: each is a strided view of the input
// (strided_copy.h) with the dims and strides below. Shapes come from shape inference.
#include "ref/kernel.h"
#include "ref/strided_copy.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> transpose(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  perm = a.node.attr_ints("perm", perm);
  const std::vector<int64_t> in = contiguous_strides(x.shape());
  std::vector<int64_t> strides(rank);
  for (int64_t i = 0; i < rank; ++i) strides[i] = in[perm[i]];
  return {strided_view(x, 0, a.out_shape(0), strides)};
}

std::vector<ir::Tensor> expand(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Shape out = a.out_shape(0);
  const std::vector<int64_t> in = contiguous_strides(x.shape());
  std::vector<int64_t> strides(out.size(), 0);
  const size_t lead = out.size() - x.rank();
  for (size_t d = 0; d < x.rank(); ++d)
    if (x.dim(d) != 1) strides[lead + d] = in[d];  // a size-1 dim repeats: stride 0
  return {strided_view(x, 0, out, strides)};
}

// Tile-6+: `repeats` per dim. Tile-1: a scalar `tiles` along one scalar `axis` (inputs 1, 2).
std::vector<ir::Tensor> tile(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const std::vector<int64_t> in = contiguous_strides(x.shape());
  // Output dim d is (repeat r, source j) in row-major order: dims [r0, n0, r1, n1, ...] with
  // stride 0 for the repeats.
  const ir::Shape out = a.out_shape(0);
  ir::Shape dims;
  std::vector<int64_t> strides;
  for (size_t d = 0; d < x.rank(); ++d) {
    dims.push_back(x.dim(d) == 0 ? 0 : out[d] / x.dim(d));
    strides.push_back(0);
    dims.push_back(x.dim(d));
    strides.push_back(in[d]);
  }
  ir::Tensor y = a.make_output(0);
  strided_copy(x.raw(), ir::dtype_size(x.dtype()), 0, dims, strides, y.raw());
  return {y};
}

}  // namespace qcv::ref::detail
