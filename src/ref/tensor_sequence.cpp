// Ops along one axis that depend on order: CumSum, ReverseSequence and Unique.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> cumsum(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  if (a.in(1).numel() != 1) a.error("axis must be a scalar");
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.in(1).as_int64(0);
  if (axis < -rank || axis >= rank) a.error(fmt::format("axis {} out of range", axis));
  if (axis < 0) axis += rank;
  const bool exclusive = a.node.attr_int("exclusive", 0) != 0;
  const bool reverse = a.node.attr_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  const int64_t n = x.dim(axis);
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  ir::Tensor y = a.make_output(0);
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) {
          T acc = T(0);
          for (int64_t s = 0; s < n; ++s) {
            const int64_t i = reverse ? n - 1 - s : s;
            const int64_t at = (o * n + i) * inner + j;
            if (exclusive) {
              dst[at] = acc;
              acc = static_cast<T>(acc + src[at]);
            } else {
              acc = static_cast<T>(acc + src[at]);
              dst[at] = acc;
            }
          }
        }
    } else {
      a.error("bool input is not supported");
    }
  });
  return {y};
}

std::vector<ir::Tensor> reverse_sequence(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& lens = a.in(1);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t time_axis = a.node.attr_int("time_axis", 0);
  if (time_axis < 0) time_axis += rank;
  const int64_t tlen = x.dim(time_axis), batch = x.dim(1 - time_axis);
  if (lens.numel() != batch)
    a.error(fmt::format("sequence_lens has {} entries for batch {}", lens.numel(), batch));
  int64_t inner = 1;
  for (int64_t d = 2; d < rank; ++d) inner *= x.dim(d);
  const size_t bytes = static_cast<size_t>(inner) * ir::dtype_size(x.dtype());
  auto at = [&](int64_t t, int64_t b) { return (time_axis == 0 ? t * batch + b : b * tlen + t); };
  ir::Tensor y = x.clone();
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lens.as_int64(b);
    if (len < 0 || len > tlen) a.error(fmt::format("sequence length {} out of [0, {}]", len, tlen));
    for (int64_t t = 0; t < len; ++t)
      std::memcpy(dst + at(t, b) * bytes, src + at(len - 1 - t, b) * bytes, bytes);
  }
  return {y};
}

// Unique over elements (no axis: the flattened input) or over slices along `axis`, compared
// lexicographically like numpy.unique. Outputs: Y, first-occurrence indices, inverse indices,
// counts; sorted=0 keeps the order of first occurrence. Shapes depend on the values, so the
// tensors are made here rather than from shape inference.
std::vector<ir::Tensor> unique(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const bool by_axis = a.node.has_attr("axis");
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = by_axis ? a.node.attr_int("axis") : 0;
  if (axis < 0) axis += rank;
  int64_t outer = 1, n = x.numel(), inner = 1;
  if (by_axis) {
    n = x.dim(axis);
    for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  }
  // Slice i is the elements (o, i, j) for all o, j in that order.
  auto elem = [&](int64_t i, int64_t o, int64_t j) { return (o * n + i) * inner + j; };
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const bool exact_int = !ir::is_float(x.dtype());  // int64 values beyond 2^53 stay exact
  auto compare = [&](int64_t p, int64_t q) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        const int64_t e = elem(p, o, j), f = elem(q, o, j);
        if (exact_int) {
          if (x.dtype() == ir::DType::UInt64) {
            uint64_t u = x.data<uint64_t>()[e], v = x.data<uint64_t>()[f];
            if (u != v) return u < v ? -1 : 1;
          } else if (int64_t u = x.as_int64(e), v = x.as_int64(f); u != v) {
            return u < v ? -1 : 1;
          }
        } else if (double u = x.as_double(e), v = x.as_double(f); u != v) {
          return u < v ? -1 : 1;
        }
      }
    return 0;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t p, int64_t q) { return compare(p, q) < 0; });
  // Groups of equal slices; the stable sort puts each group's first occurrence first.
  std::vector<int64_t> group_first, group_count, group_of(n);
  for (int64_t r = 0; r < n; ++r) {
    if (r == 0 || compare(order[r - 1], order[r]) != 0) {
      group_first.push_back(order[r]);
      group_count.push_back(0);
    }
    group_of[order[r]] = static_cast<int64_t>(group_first.size()) - 1;
    ++group_count.back();
  }
  const int64_t groups = static_cast<int64_t>(group_first.size());
  std::vector<int64_t> rank_of_group(groups);  // output position of each group
  std::iota(rank_of_group.begin(), rank_of_group.end(), 0);
  if (a.node.attr_int("sorted", 1) == 0) {
    std::vector<int64_t> by_first(groups);
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(),
              [&](int64_t g, int64_t h) { return group_first[g] < group_first[h]; });
    for (int64_t p = 0; p < groups; ++p) rank_of_group[by_first[p]] = p;
  }
  ir::Shape yshape = by_axis ? x.shape() : ir::Shape{groups};
  if (by_axis) yshape[axis] = groups;
  ir::Tensor y(x.dtype(), yshape);
  ir::Tensor first(ir::DType::Int64, {groups}), inverse(ir::DType::Int64, {n}),
      counts(ir::DType::Int64, {groups});
  const size_t bytes = static_cast<size_t>(inner) * ir::dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t p = rank_of_group[g];
    first.data<int64_t>()[p] = group_first[g];
    counts.data<int64_t>()[p] = group_count[g];
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * groups + p) * bytes,
                  src + elem(group_first[g], o, 0) * ir::dtype_size(x.dtype()), bytes);
  }
  for (int64_t i = 0; i < n; ++i) inverse.data<int64_t>()[i] = rank_of_group[group_of[i]];
  return {y, first, inverse, counts};
}

}  // namespace qcv::ref::detail
