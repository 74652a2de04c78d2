// Walking a tensor while mapping each element onto its reduced (kept-dimensions) position: the
// index arithmetic shared by the Reduce* kernels and MeanVarianceNormalization.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace qcv::ref::detail {

// Output strides of the kept dimensions (0 where reduced), row-major over the kept ones.
inline std::vector<int64_t> kept_strides(const ir::Shape& shape, const std::vector<bool>& reduced) {
  std::vector<int64_t> out_stride(shape.size(), 0);
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (reduced[d]) continue;
    out_stride[d] = stride;
    stride *= shape[d];
  }
  return out_stride;
}

// Calls f(input_index, output_index) for every element of `shape` in row-major order, where
// out_stride[d] is the output stride of dimension d.
template <typename F>
void for_each_mapped(const ir::Shape& shape, const std::vector<int64_t>& out_stride, F&& f) {
  const int64_t total = ir::shape_numel(shape);
  if (total == 0) return;
  const size_t rank = shape.size();
  std::vector<int64_t> pos(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < total; ++i) {
    f(i, o);
    for (size_t d = rank; d-- > 0;) {
      o += out_stride[d];
      if (++pos[d] < shape[d]) break;
      o -= out_stride[d] * shape[d];
      pos[d] = 0;
    }
  }
}

}  // namespace qcv::ref::detail
