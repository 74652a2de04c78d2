// Reduce* (ReduceSum's axes from its input, the others' from the attribute) and ArgMax/ArgMin.
// Floating sums accumulate in double, integer ones in 64 bits (ReduceMean of integers truncates).
#include <cmath>
#include <limits>
#include <type_traits>

#include "ref/kernel.h"
#include "ref/reduce_index.h"

namespace qcv::ref::detail {
namespace {

enum class Reduction { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

Reduction reduction_of(const KernelArgs& a) {
  const std::string& op = a.node.op;
  if (op == "ReduceSum") return Reduction::Sum;
  if (op == "ReduceMean") return Reduction::Mean;
  if (op == "ReduceMax") return Reduction::Max;
  if (op == "ReduceMin") return Reduction::Min;
  if (op == "ReduceProd") return Reduction::Prod;
  if (op == "ReduceL1") return Reduction::L1;
  if (op == "ReduceL2") return Reduction::L2;
  if (op == "ReduceLogSum") return Reduction::LogSum;
  if (op == "ReduceLogSumExp") return Reduction::LogSumExp;
  if (op == "ReduceSumSquare") return Reduction::SumSquare;
  a.error("not a reduction");
}

template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double,
                               std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <typename T>
void reduce_typed(const ir::Tensor& x, ir::Tensor& y, const std::vector<int64_t>& out_stride,
                  Reduction r) {
  using A = Acc<T>;
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  const int64_t outs = y.numel();
  const int64_t count = outs == 0 ? 0 : x.numel() / outs;
  std::vector<A> acc(outs, r == Reduction::Prod ? A(1) : A(0));
  if (r == Reduction::Max || r == Reduction::Min || r == Reduction::LogSumExp) {
    constexpr bool fp = std::is_floating_point_v<T>;
    const A low = fp ? -std::numeric_limits<A>::infinity() : A(std::numeric_limits<T>::lowest());
    const A high = fp ? std::numeric_limits<A>::infinity() : A(std::numeric_limits<T>::max());
    std::fill(acc.begin(), acc.end(), r == Reduction::Min ? high : low);
  }
  auto add = [&](auto&& op) {
    for_each_mapped(x.shape(), out_stride, [&](int64_t i, int64_t o) { op(acc[o], A(xd[i])); });
  };
  switch (r) {
    case Reduction::Sum:
    case Reduction::Mean:
    case Reduction::LogSum:
      add([](A& s, A v) { s += v; });
      break;
    case Reduction::SumSquare:
    case Reduction::L2:
      add([](A& s, A v) { s += v * v; });
      break;
    case Reduction::L1:
      add([](A& s, A v) { s += v < A(0) ? A(0) - v : v; });
      break;
    case Reduction::Prod:
      add([](A& s, A v) { s *= v; });
      break;
    case Reduction::Max:
      add([](A& s, A v) { s = v > s || v != v ? v : s; });
      break;
    case Reduction::Min:
      add([](A& s, A v) { s = v < s || v != v ? v : s; });
      break;
    case Reduction::LogSumExp: {
      add([](A& s, A v) { s = v > s ? v : s; });  // the max, subtracted for stability
      std::vector<double> shift(acc.begin(), acc.end()), sum(outs, 0.0);
      for (double& s : shift)
        if (!std::isfinite(s)) s = 0;
      for_each_mapped(x.shape(), out_stride, [&](int64_t i, int64_t o) {
        sum[o] += std::exp(static_cast<double>(xd[i]) - shift[o]);
      });
      for (int64_t o = 0; o < outs; ++o) yd[o] = static_cast<T>(shift[o] + std::log(sum[o]));
      return;
    }
  }
  for (int64_t o = 0; o < outs; ++o) {
    const A s = acc[o];
    switch (r) {
      case Reduction::Mean:
        yd[o] = static_cast<T>(count ? s / static_cast<A>(count) : s);
        break;
      case Reduction::L2:
        yd[o] = static_cast<T>(std::sqrt(static_cast<double>(s)));
        break;
      case Reduction::LogSum:
        yd[o] = static_cast<T>(std::log(static_cast<double>(s)));
        break;
      default:
        yd[o] = static_cast<T>(s);
    }
  }
}

}  // namespace

std::vector<ir::Tensor> reduce(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  std::vector<int64_t> axes;
  if (a.node.has_attr("axes"))
    axes = a.node.attr_ints("axes");
  else if (a.has(1))
    axes = a.in(1).to_int64_vector();
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (axes.empty() && a.node.attr_int("noop_with_empty_axes", 0) != 0) return {x.clone()};
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t ax : axes) reduced[ax < 0 ? ax + rank : ax] = true;  // checked by inference
  // keepdims does not change the order of the output elements.
  const std::vector<int64_t> out_stride = kept_strides(x.shape(), reduced);
  const Reduction r = reduction_of(a);
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      a.error("bool input is not supported");
    else
      reduce_typed<T>(x, y, out_stride, r);
  });
  return {y};
}

std::vector<ir::Tensor> arg_reduce(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (rank == 0) axis = 0;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const int64_t n = rank == 0 ? 1 : x.dim(axis);
  if (n == 0 && y.numel() > 0) a.error("cannot take ArgMax/ArgMin over an empty axis");
  const bool is_max = a.node.op == "ArgMax";
  const bool last = a.node.attr_int("select_last_index", 0) != 0;
  int64_t* yd = y.data<int64_t>();
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = xd + o * n * inner + i;
        int64_t best = 0;
        for (int64_t j = 1; j < n; ++j) {
          const T v = p[j * inner], b = p[best * inner];
          const bool better = is_max ? (v > b || (last && v == b)) : (v < b || (last && v == b));
          if (better) best = j;
        }
        yd[o * inner + i] = best;
      }
    }
  });
  return {y};
}

}  // namespace qcv::ref::detail
