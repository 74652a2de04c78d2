// ConvInteger and MatMulInteger: integer-exact int32 results of (x - x_zero_point) and
// (w - w_zero_point), accumulated in int64 and wrapped to int32 as the accumulator would.
#include "ref/window.h"

namespace qcv::ref::detail {
namespace {

// The values of an 8-bit tensor as int32.
std::vector<int32_t> widened(const ir::Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<int32_t>(t.as_int64(i));
  return v;
}

// Zero point input i as one value per tensor or a vector, with the quantized input's type.
std::vector<int32_t> zero_points(const KernelArgs& a, size_t i, size_t of) {
  if (!a.has(i)) return {0};
  const ir::Tensor& zp = a.in(i);
  if (zp.dtype() != a.in(of).dtype()) a.error(fmt::format("zero point {} has the wrong type", i));
  if (zp.numel() == 0) a.error(fmt::format("zero point {} is empty", i));
  return widened(zp);
}

// Each element of `t` minus its zero point; `zp_shape` broadcasts to t's shape.
std::vector<int32_t> centered(const KernelArgs& a, const ir::Tensor& t,
                              const std::vector<int32_t>& zp, const ir::Shape& zp_shape) {
  std::vector<int32_t> v = widened(t);
  if (zp.size() == 1) {
    for (int32_t& e : v) e -= zp[0];
    return v;
  }
  std::vector<int64_t> map;
  try {
    map = broadcast_index_map(zp_shape, t.shape());
  } catch (const Error&) {
    a.error(fmt::format("zero point shape {} does not fit input shape {}", ir::shape_str(zp_shape),
                        ir::shape_str(t.shape())));
  }
  for (size_t e = 0; e < v.size(); ++e) v[e] -= zp[map[e]];
  return v;
}

}  // namespace

std::vector<ir::Tensor> conv_integer(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& w = a.in(1);
  ir::Tensor y = a.make_output(0);
  const ir::Shape& xs = x.shape();
  const ir::Shape& ws = w.shape();
  const int64_t batch = xs[0], channels = xs[1], out_channels = ws[0];
  const int64_t group = a.node.attr_int("group", 1);

  std::vector<int32_t> x_zp = zero_points(a, 2, 0), w_zp = zero_points(a, 3, 1);
  if (x_zp.size() != 1) a.error("x_zero_point must be a scalar (per tensor)");
  // w's zero point: one, or one per output channel.
  if (w_zp.size() != 1 && static_cast<int64_t>(w_zp.size()) != out_channels)
    a.error(fmt::format("w_zero_point has {} values, expected 1 or {}", w_zp.size(), out_channels));
  ir::Shape w_zp_shape(ws.size(), 1);
  w_zp_shape[0] = static_cast<int64_t>(w_zp.size());
  const std::vector<int32_t> xv = centered(a, x, x_zp, {}), wv = centered(a, w, w_zp, w_zp_shape);

  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  Window win = make_window(a, xs, y.shape(), kernel);
  // Padding reads the zero point: (zp - zp) contributes nothing.
  conv_planes<int32_t, int64_t>(win, batch, channels, out_channels, group, xv.data(), wv.data(),
                                y.data<int32_t>(), [](int64_t) { return int64_t{0}; });
  return {y};
}

std::vector<ir::Tensor> matmul_integer(const KernelArgs& a) {
  const ir::Tensor& A = a.in(0);
  const ir::Tensor& B = a.in(1);
  ir::Shape sa = A.shape(), sb = B.shape();
  const bool vec_a = sa.size() == 1, vec_b = sb.size() == 1;
  if (vec_a) sa.insert(sa.begin(), 1);
  if (vec_b) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();

  // Zero points: a scalar, a's per row ([M] or [..., M, 1]), b's per column ([N] or [..., 1, N]).
  std::vector<int32_t> a_zp = zero_points(a, 2, 0), b_zp = zero_points(a, 3, 1);
  ir::Shape a_zp_shape = a.has(2) ? a.in(2).shape() : ir::Shape{};
  ir::Shape b_zp_shape = a.has(3) ? a.in(3).shape() : ir::Shape{};
  if (a_zp.size() > 1 && a_zp_shape.size() == 1 && !vec_a) a_zp_shape = {a_zp_shape[0], 1};
  const std::vector<int32_t> av = centered(a, A, a_zp, a_zp_shape);
  const std::vector<int32_t> bv = centered(a, B, b_zp, b_zp_shape);

  ir::Tensor y = a.make_output(0);
  // Batch dims of the output (everything before the matrix dims), broadcast from a's and b's.
  const ir::Shape& ys = y.shape();
  const size_t out_batch_rank = ys.size() - (vec_a ? 0 : 1) - (vec_b ? 0 : 1);
  ir::Shape batch(ys.begin(), ys.begin() + out_batch_rank);
  int64_t batches = 1;
  for (int64_t d : batch) batches *= d;
  const auto a_map = broadcast_index_map(ir::Shape(sa.begin(), sa.end() - 2), batch);
  const auto b_map = broadcast_index_map(ir::Shape(sb.begin(), sb.end() - 2), batch);
  int32_t* yd = y.data<int32_t>();
  for (int64_t bi = 0; bi < batches; ++bi) {
    const int32_t* ap = av.data() + a_map[bi] * M * K;
    const int32_t* bp = bv.data() + b_map[bi] * K * N;
    int32_t* yp = yd + bi * M * N;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        int64_t acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += static_cast<int64_t>(ap[m * K + k]) * bp[k * N + n];
        yp[m * N + n] = static_cast<int32_t>(acc);
      }
  }
  return {y};
}

}  // namespace qcv::ref::detail
