// Internal to qcv_ref: loops shared by the elementwise math kernels (math_*.cpp, binary.cpp).
#pragma once
#include <type_traits>
#include <vector>

#include "ref/kernel.h"

namespace qcv::ref::detail {

// Flat indices of `in` for each element of `out`, or an empty vector when `in` already has the
// output's shape (the identity map, the common case, costs nothing).
inline std::vector<int64_t> index_map(const ir::Tensor& in, const ir::Shape& out) {
  if (in.shape() == out) return {};
  return broadcast_index_map(in.shape(), out);
}

inline int64_t at(const std::vector<int64_t>& map, int64_t i) { return map.empty() ? i : map[i]; }

// z[i] = f(x[i]) over one tensor; Z is the output element type.
template <typename Z, typename X, typename F>
ir::Tensor map_unary(const ir::Tensor& x, F f) {
  ir::Tensor z(ir::dtype_of<Z>(), x.shape());
  const X* xd = x.data<X>();
  Z* zd = z.data<Z>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) zd[i] = f(xd[i]);
  return z;
}

// map_unary over input 0 of a float32 (computed in float) or float64 op; f may capture float
// attributes as double.
template <typename F>
std::vector<ir::Tensor> map_floating(const KernelArgs& a, F f) {
  const ir::Tensor& x = a.in(0);
  if (x.dtype() == ir::DType::Float32) return {map_unary<float, float>(x, f)};
  if (x.dtype() == ir::DType::Float64) return {map_unary<double, double>(x, f)};
  a.error(fmt::format("input must be float32 or float64, got {}", ir::dtype_name(x.dtype())));
}

// z[i] = f(x[bx(i)], y[by(i)]) with numpy broadcasting to `out`.
template <typename Z, typename X, typename Y, typename F>
ir::Tensor map_binary(const ir::Tensor& x, const ir::Tensor& y, const ir::Shape& out, F f) {
  ir::Tensor z(ir::dtype_of<Z>(), out);
  const X* xd = x.data<X>();
  const Y* yd = y.data<Y>();
  Z* zd = z.data<Z>();
  const int64_t n = z.numel();
  if (x.shape() == out && y.shape() == out) {
    for (int64_t i = 0; i < n; ++i) zd[i] = f(xd[i], yd[i]);
  } else if (x.shape() == out && y.numel() == 1) {
    const Y s = yd[0];
    for (int64_t i = 0; i < n; ++i) zd[i] = f(xd[i], s);
  } else {
    std::vector<int64_t> xi = index_map(x, out), yi = index_map(y, out);
    for (int64_t i = 0; i < n; ++i) zd[i] = f(xd[at(xi, i)], yd[at(yi, i)]);
  }
  return z;
}

// The floating type to compute a T in: T itself for floats, double for integers.
template <typename T>
using compute_t = std::conditional_t<std::is_floating_point_v<T>, T, double>;

}  // namespace qcv::ref::detail
