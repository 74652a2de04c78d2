#include "ref/strided_copy.h"

#include <cstring>

namespace qcv::ref::detail {
namespace {

template <typename W>
void copy_rows(const W* src, int64_t offset, const ir::Shape& dims,
               const std::vector<int64_t>& strides, W* dst) {
  const size_t rank = dims.size();
  const int64_t inner = dims[rank - 1], inner_stride = strides[rank - 1];
  std::vector<int64_t> coord(rank - 1, 0);
  int64_t base = offset;
  for (;;) {
    const W* s = src + base;
    if (inner_stride == 1) {
      std::memcpy(dst, s, static_cast<size_t>(inner) * sizeof(W));
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = s[i * inner_stride];
    }
    dst += inner;
    // Odometer over the outer dims.
    size_t d = rank - 1;
    while (d > 0) {
      --d;
      base += strides[d];
      if (++coord[d] < dims[d]) break;
      base -= strides[d] * dims[d];
      coord[d] = 0;
      if (d == 0) return;
    }
    if (rank == 1) return;
  }
}

}  // namespace

std::vector<int64_t> contiguous_strides(const ir::Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

void strided_copy(const void* src, size_t elem_size, int64_t offset, const ir::Shape& dims,
                  const std::vector<int64_t>& strides, void* dst) {
  for (int64_t d : dims)
    if (d == 0) return;
  // Drop size-1 dims and merge dims that are contiguous with the next one: fewer, longer rows.
  ir::Shape md;
  std::vector<int64_t> ms;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    if (!md.empty() && ms.back() == strides[d] * dims[d]) {
      md.back() *= dims[d];
      ms.back() = strides[d];
    } else {
      md.push_back(dims[d]);
      ms.push_back(strides[d]);
    }
  }
  if (md.empty()) {
    md.push_back(1);
    ms.push_back(1);
  }
  switch (elem_size) {
    case 1:
      return copy_rows(static_cast<const uint8_t*>(src), offset, md, ms,
                       static_cast<uint8_t*>(dst));
    case 2:
      return copy_rows(static_cast<const uint16_t*>(src), offset, md, ms,
                       static_cast<uint16_t*>(dst));
    case 4:
      return copy_rows(static_cast<const uint32_t*>(src), offset, md, ms,
                       static_cast<uint32_t*>(dst));
    case 8:
      return copy_rows(static_cast<const uint64_t*>(src), offset, md, ms,
                       static_cast<uint64_t*>(dst));
    default:
      fail("strided_copy: element size {} is not supported", elem_size);
  }
}

ir::Tensor strided_view(const ir::Tensor& x, int64_t offset, const ir::Shape& dims,
                        const std::vector<int64_t>& strides) {
  ir::Tensor y(x.dtype(), dims);
  strided_copy(x.raw(), ir::dtype_size(x.dtype()), offset, dims, strides, y.raw());
  return y;
}

}  // namespace qcv::ref::detail
