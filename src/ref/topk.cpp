// TopK: the k largest (or smallest) along an axis, sorted, ties broken by the lower index.
#include <algorithm>
#include <type_traits>

#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> top_k(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor values = a.make_output(0), indices = a.make_output(1);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  const int64_t k = values.dim(axis), n = x.dim(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const bool largest = a.node.attr_int("largest", 1) != 0;
  // sorted=0 leaves the order unspecified: sorted output is one valid answer.
  int64_t* id = indices.data<int64_t>();
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* vd = values.data<T>();
    std::vector<int64_t> order(n);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = xd + o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) order[j] = j;
        auto before = [&](int64_t l, int64_t r) {
          const T vl = p[l * inner], vr = p[r * inner];
          if (vl != vr) return largest ? vr < vl : vl < vr;
          return l < r;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * k + j) * inner + i;
          vd[at] = p[order[j] * inner];
          id[at] = order[j];
        }
      }
    }
  });
  return {values, indices};
}

}  // namespace qcv::ref::detail
