// Hardmax and LogSoftmax (opset-13 semantics: along one axis; older forms are rewritten at import).
#include <cmath>
#include <limits>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

// Calls f(pointer to the first element, stride, n) for every 1-D slice along the node's axis.
template <typename T, typename F>
void for_each_slice(const KernelArgs& a, const ir::Tensor& x, ir::Tensor& y, F&& f) {
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (rank == 0) {
    f(x.data<T>(), y.data<T>(), 1, 1);
    return;
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const int64_t n = x.dim(axis);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      f(x.data<T>() + o * n * inner + i, y.data<T>() + o * n * inner + i, inner, n);
}

template <typename T>
void log_softmax_typed(const KernelArgs& a, const ir::Tensor& x, ir::Tensor& y) {
  for_each_slice<T>(a, x, y, [](const T* p, T* q, int64_t s, int64_t n) {
    double largest = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) largest = std::max(largest, static_cast<double>(p[j * s]));
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(p[j * s] - largest);
    const double shift = largest + std::log(sum);
    for (int64_t j = 0; j < n; ++j) q[j * s] = static_cast<T>(p[j * s] - shift);
  });
}

template <typename T>
void hardmax_typed(const KernelArgs& a, const ir::Tensor& x, ir::Tensor& y) {
  for_each_slice<T>(a, x, y, [](const T* p, T* q, int64_t s, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; ++j)
      if (p[j * s] > p[best * s]) best = j;
    for (int64_t j = 0; j < n; ++j) q[j * s] = j == best ? T(1) : T(0);
  });
}

}  // namespace

std::vector<ir::Tensor> log_softmax(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  if (x.dtype() == ir::DType::Float64)
    log_softmax_typed<double>(a, x, y);
  else
    log_softmax_typed<float>(a, x, y);
  return {y};
}

std::vector<ir::Tensor> hardmax(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  if (x.dtype() == ir::DType::Float64)
    hardmax_typed<double>(a, x, y);
  else
    hardmax_typed<float>(a, x, y);
  return {y};
}

}  // namespace qcv::ref::detail
