// Internal to qcv_ref: small helpers shared by several kernel files.
#pragma once
#include <vector>

#include "ref/kernel.h"

namespace qcv::ref::detail {

// Calls body(T{}) with T = double for float64 and float otherwise (kernels of float-only ops).
template <typename F>
void visit_floating(ir::DType t, F&& body) {
  if (t == ir::DType::Float64)
    body(double{});
  else
    body(float{});
}

// The product of dims [from, to) of s.
inline int64_t dim_product(const ir::Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t d = from; d < to; ++d) p *= s[d];
  return p;
}

// Row-major multi-index of flat index i in `dims` (index must have dims.size() entries).
inline void unravel(int64_t i, const std::vector<int64_t>& dims, std::vector<int64_t>& index) {
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = i % dims[d];
    i /= dims[d];
  }
}

// An axis in [-rank, rank), made non-negative.
inline int64_t normalize_axis(const KernelArgs& a, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    a.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

}  // namespace qcv::ref::detail
