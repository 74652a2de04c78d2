// Indexing ops: GatherElements, GatherND, ScatterElements (and Scatter-9/10), ScatterND,
// Compress and NonZero. Indices may be negative (counted from the end); out of range is an error.
#include <cstring>

#include "ref/kernel.h"
#include "ref/kernel_util.h"
#include "ref/strided_copy.h"

namespace qcv::ref::detail {
namespace {

int64_t checked_index(const KernelArgs& a, int64_t idx, int64_t dim) {
  if (idx < -dim || idx >= dim)
    a.error(fmt::format("index {} out of range [{}, {})", idx, -dim, dim));
  return idx < 0 ? idx + dim : idx;
}

// For every element of `shape` (row-major), the offset in a tensor with `strides` of the same
// coordinate, except along `axis`, where the coordinate is replaced by indices[i].
template <typename F>
void for_each_axis_target(const KernelArgs& a, const ir::Shape& shape, const ir::Tensor& indices,
                          int64_t axis, int64_t axis_dim, const std::vector<int64_t>& strides,
                          F&& f) {
  const size_t rank = shape.size();
  std::vector<int64_t> coord(rank, 0);
  const int64_t count = ir::shape_numel(shape);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d)
      off += (static_cast<int64_t>(d) == axis ? checked_index(a, indices.as_int64(i), axis_dim)
                                              : coord[d]) *
             strides[d];
    f(i, off);
    for (size_t d = rank; d-- > 0;) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}

// The reduction of ScatterElements/ScatterND: dst = dst (op) src, element type T.
template <typename T>
void combine(T* dst, const T* src, int64_t n, const std::string& reduction) {
  for (int64_t i = 0; i < n; ++i) {
    if (reduction == "add") {
      if constexpr (std::is_same_v<T, bool>)
        dst[i] = dst[i] || src[i];
      else
        dst[i] = static_cast<T>(dst[i] + src[i]);
    } else if (reduction == "mul") {
      if constexpr (std::is_same_v<T, bool>)
        dst[i] = dst[i] && src[i];
      else
        dst[i] = static_cast<T>(dst[i] * src[i]);
    } else if (reduction == "max") {
      dst[i] = dst[i] < src[i] ? src[i] : dst[i];
    } else if (reduction == "min") {
      dst[i] = src[i] < dst[i] ? src[i] : dst[i];
    } else {
      dst[i] = src[i];
    }
  }
}

void combine_bytes(const KernelArgs& a, ir::DType t, void* dst, const void* src, int64_t n) {
  const std::string reduction = a.node.attr_string("reduction", "none");
  ir::visit_dtype(t, [&](auto tag) {
    using T = decltype(tag);
    combine(static_cast<T*>(dst), static_cast<const T*>(src), n, reduction);
  });
}

}  // namespace

std::vector<ir::Tensor> gather_elements(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& idx = a.in(1);
  const int64_t axis =
      normalize_axis(a, a.node.attr_int("axis", 0), static_cast<int64_t>(x.rank()));
  for (size_t d = 0; d < x.rank(); ++d)
    if (static_cast<int64_t>(d) != axis && idx.dim(d) > x.dim(d))
      a.error(fmt::format("indices {} exceed data {} off the axis", ir::shape_str(idx.shape()),
                          ir::shape_str(x.shape())));
  ir::Tensor y = a.make_output(0);
  const size_t es = ir::dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for_each_axis_target(
      a, idx.shape(), idx, axis, x.dim(axis), contiguous_strides(x.shape()),
      [&](int64_t i, int64_t off) { std::memcpy(dst + i * es, src + off * es, es); });
  return {y};
}

std::vector<ir::Tensor> scatter_elements(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& idx = a.in(1);
  const ir::Tensor& upd = a.in(2);
  if (idx.shape() != upd.shape()) a.error("indices and updates differ in shape");
  const int64_t axis =
      normalize_axis(a, a.node.attr_int("axis", 0), static_cast<int64_t>(x.rank()));
  if (idx.rank() != x.rank()) a.error("indices and data ranks differ");
  for (size_t d = 0; d < x.rank(); ++d)
    if (static_cast<int64_t>(d) != axis && idx.dim(d) > x.dim(d))
      a.error("indices exceed data off the axis");
  ir::Tensor y = x.clone();
  const size_t es = ir::dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(upd.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for_each_axis_target(a, idx.shape(), idx, axis, x.dim(axis), contiguous_strides(x.shape()),
                       [&](int64_t i, int64_t off) {
                         combine_bytes(a, x.dtype(), dst + off * es, src + i * es, 1);
                       });
  return {y};
}

std::vector<ir::Tensor> gather_nd(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& idx = a.in(1);
  const int64_t b = a.node.attr_int("batch_dims", 0);
  const int64_t k = idx.dim(idx.rank() - 1);
  int64_t batch = 1, chunk = 1;
  for (int64_t d = 0; d < b; ++d) {
    if (idx.dim(d) != x.dim(d)) a.error("batch dims of data and indices differ");
    batch *= x.dim(d);
  }
  for (size_t d = b + k; d < x.rank(); ++d) chunk *= x.dim(d);
  const std::vector<int64_t> strides = contiguous_strides(x.shape());
  const int64_t batch_stride = b > 0 ? strides[b - 1] : x.numel();
  int64_t tuples = 1;  // index tuples per batch: indices dims between the batch dims and the last
  for (size_t d = b; d + 1 < idx.rank(); ++d) tuples *= idx.dim(d);
  ir::Tensor y = a.make_output(0);
  const size_t es = ir::dtype_size(x.dtype()), bytes = static_cast<size_t>(chunk) * es;
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t at = (bi * tuples + t) * k;
      int64_t off = bi * batch_stride;
      for (int64_t j = 0; j < k; ++j)
        off += checked_index(a, idx.as_int64(at + j), x.dim(b + j)) * strides[b + j];
      std::memcpy(dst, src + off * es, bytes);
      dst += bytes;
    }
  }
  return {y};
}

std::vector<ir::Tensor> scatter_nd(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& idx = a.in(1);
  const ir::Tensor& upd = a.in(2);
  if (idx.rank() == 0) a.error("indices must have rank >= 1");
  const int64_t k = idx.dim(idx.rank() - 1);
  if (k > static_cast<int64_t>(x.rank())) a.error("index tuples longer than the data rank");
  int64_t chunk = 1;
  for (size_t d = k; d < x.rank(); ++d) chunk *= x.dim(d);
  int64_t tuples = 1;
  for (size_t d = 0; d + 1 < idx.rank(); ++d) tuples *= idx.dim(d);
  if (upd.numel() != tuples * chunk) a.error("updates do not match indices and data");
  const std::vector<int64_t> strides = contiguous_strides(x.shape());
  ir::Tensor y = x.clone();
  const size_t es = ir::dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(upd.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j)
      off += checked_index(a, idx.as_int64(t * k + j), x.dim(j)) * strides[j];
    combine_bytes(a, x.dtype(), dst + off * es, src + t * chunk * es, chunk);
  }
  return {y};
}

std::vector<ir::Tensor> compress(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& cond = a.in(1);
  const bool flat = !a.node.has_attr("axis");
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = flat ? 0 : normalize_axis(a, a.node.attr_int("axis"), rank);
  int64_t outer = 1, dim = flat ? x.numel() : x.dim(axis), inner = 1;
  if (!flat) {
    for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  }
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < cond.numel() && i < dim; ++i)
    if (cond.as_int64(i) != 0) kept.push_back(i);
  ir::Tensor y = a.make_output(0);
  const size_t es = ir::dtype_size(x.dtype()), bytes = static_cast<size_t>(inner) * es;
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : kept) {
      std::memcpy(dst, src + (o * dim + i) * bytes, bytes);
      dst += bytes;
    }
  return {y};
}

std::vector<ir::Tensor> non_zero(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const size_t rank = std::max<size_t>(x.rank(), 1);
  const ir::Shape shape = x.rank() == 0 ? ir::Shape{1} : x.shape();
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x.as_double(i) != 0) hits.push_back(i);
  const int64_t n = static_cast<int64_t>(hits.size());
  ir::Tensor y(ir::DType::Int64, {static_cast<int64_t>(rank), n});
  int64_t* out = y.data<int64_t>();
  for (int64_t h = 0; h < n; ++h) {
    int64_t rest = hits[h];
    for (size_t d = rank; d-- > 0;) {
      out[d * n + h] = rest % shape[d];
      rest /= shape[d];
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
