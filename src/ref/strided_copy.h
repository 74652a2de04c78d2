// A strided view of a tensor copied out in row-major order: the one loop behind Transpose,
// Slice, Expand and Tile (each is a choice of dims and strides).
// Element-size generic, so every dtype works.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace qcv::ref::detail {

// Row-major strides (in elements) of a contiguous tensor of this shape.
std::vector<int64_t> contiguous_strides(const ir::Shape& shape);

// dst[row-major index of c] = src[offset + sum(c[d] * strides[d])] for every coordinate c of
// dims. A stride may be 0 (broadcast) or negative (reversed). elem_size in bytes.
void strided_copy(const void* src, size_t elem_size, int64_t offset, const ir::Shape& dims,
                  const std::vector<int64_t>& strides, void* dst);

// Convenience: a new tensor of x's dtype and shape `dims` filled from the view of x.
ir::Tensor strided_view(const ir::Tensor& x, int64_t offset, const ir::Shape& dims,
                        const std::vector<int64_t>& strides);

}  // namespace qcv::ref::detail
