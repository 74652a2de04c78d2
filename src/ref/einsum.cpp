// Einsum as one loop over the whole label space: each output element is the sum, over the labels
// not in the output, of the product of the operands' elements. Repeated labels within an operand
// read its diagonal; size-1 dimensions broadcast (stride 0).
#include <type_traits>

#include "ir/einsum_equation.h"
#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> einsum(const KernelArgs& a) {
  const size_t count = a.inputs.size();
  std::vector<size_t> ranks;
  for (size_t k = 0; k < count; ++k) ranks.push_back(a.in(k).rank());
  const ir::EinsumEquation eq = ir::parse_einsum(a.node.attr_string("equation", ""), ranks,
                                                 fmt::format("node '{}' (Einsum)", a.node.name));
  const int labels = eq.num_labels;
  std::vector<int64_t> size(labels, 1);
  for (size_t k = 0; k < count; ++k)
    for (size_t d = 0; d < ranks[k]; ++d)
      size[eq.operands[k][d]] = std::max(size[eq.operands[k][d]], a.in(k).dim(d));
  // Per operand, its stride along each label (summed where a label repeats: the diagonal).
  std::vector<std::vector<int64_t>> stride(count, std::vector<int64_t>(labels, 0));
  for (size_t k = 0; k < count; ++k) {
    int64_t s = 1;
    for (size_t d = ranks[k]; d-- > 0;) {
      if (a.in(k).dim(d) != 1) stride[k][eq.operands[k][d]] += s;
      s *= a.in(k).dim(d);
    }
  }
  // Loop order: output labels (outer, row-major), then the summed labels.
  std::vector<int> order(eq.output.begin(), eq.output.end());
  std::vector<bool> in_output(labels, false);
  for (int l : eq.output) in_output[l] = true;
  std::vector<bool> used(labels, false);
  for (const auto& op : eq.operands)
    for (int l : op) used[l] = true;
  for (int l = 0; l < labels; ++l)
    if (used[l] && !in_output[l]) order.push_back(l);
  const size_t out_rank = eq.output.size();
  int64_t summed = 1;
  for (size_t j = out_rank; j < order.size(); ++j) summed *= size[order[j]];

  ir::Tensor y = a.make_output(0);
  const int64_t outs = y.numel();
  ir::visit_dtype(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      a.error("bool operands are not supported");
    } else {
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
      std::vector<const T*> src;
      for (size_t k = 0; k < count; ++k) src.push_back(a.in(k).data<T>());
      T* yd = y.data<T>();
      std::vector<int64_t> pos(order.size(), 0), offset(count, 0);
      for (int64_t o = 0; o < outs; ++o) {
        Acc acc = Acc(0);
        for (int64_t s = 0; s < summed; ++s) {
          Acc prod = Acc(1);
          for (size_t k = 0; k < count; ++k) prod = prod * Acc(src[k][offset[k]]);
          acc = acc + prod;
          // Advance the odometer over all labels (the summed ones turn fastest).
          for (size_t j = order.size(); j-- > 0;) {
            const int l = order[j];
            for (size_t k = 0; k < count; ++k) offset[k] += stride[k][l];
            if (++pos[j] < size[l]) break;
            for (size_t k = 0; k < count; ++k) offset[k] -= stride[k][l] * size[l];
            pos[j] = 0;
          }
        }
        yd[o] = static_cast<T>(acc);
      }
    }
  });
  return {y};
}

}  // namespace qcv::ref::detail
