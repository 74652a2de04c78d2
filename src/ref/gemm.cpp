// Gemm (alpha, beta, transA, transB, broadcast C) and MatMul (numpy batched broadcasting).
#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

void expect_float(const KernelArgs& a, size_t i) {
  if (a.in(i).dtype() != ir::DType::Float32)
    a.error(fmt::format("input {} must be float32, got {}", i, ir::dtype_name(a.in(i).dtype())));
}

}  // namespace

std::vector<ir::Tensor> gemm(const KernelArgs& a) {
  expect_float(a, 0);
  expect_float(a, 1);
  const ir::Tensor& A = a.in(0);
  const ir::Tensor& B = a.in(1);
  const bool trans_a = a.node.attr_int("transA", 0) != 0,
             trans_b = a.node.attr_int("transB", 0) != 0;
  const double alpha = a.node.attr_float("alpha", 1.0f), beta = a.node.attr_float("beta", 1.0f);
  const int64_t M = trans_a ? A.dim(1) : A.dim(0), K = trans_a ? A.dim(0) : A.dim(1);
  const int64_t N = trans_b ? B.dim(0) : B.dim(1);
  ir::Tensor y(ir::DType::Float32, {M, N});
  const float* ad = A.data<float>();
  const float* bd = B.data<float>();
  float* yd = y.data<float>();
  std::vector<int64_t> c_index;
  const float* cd = nullptr;
  if (a.has(2)) {
    expect_float(a, 2);
    cd = a.in(2).data<float>();
    c_index = broadcast_index_map(a.in(2).shape(), {M, N});
  }
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const float av = trans_a ? ad[k * M + m] : ad[m * K + k];
        const float bv = trans_b ? bd[n * K + k] : bd[k * N + n];
        acc += static_cast<double>(av) * bv;
      }
      double v = alpha * acc;
      if (cd) v += beta * cd[c_index[m * N + n]];
      yd[m * N + n] = static_cast<float>(v);
    }
  }
  return {y};
}

std::vector<ir::Tensor> matmul(const KernelArgs& a) {
  expect_float(a, 0);
  expect_float(a, 1);
  const ir::Tensor& A = a.in(0);
  const ir::Tensor& B = a.in(1);
  // numpy: a 1-D left operand is a row vector, a 1-D right operand a column vector.
  ir::Shape sa = A.shape(), sb = B.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  ir::Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  ir::Shape batch = batch_a.size() >= batch_b.size() ? batch_a : batch_b;
  size_t rank = batch.size();
  for (size_t i = 0; i < rank; ++i) {  // broadcast the two batch shapes
    int64_t da = i + batch_a.size() >= rank ? batch_a[i + batch_a.size() - rank] : 1;
    int64_t db = i + batch_b.size() >= rank ? batch_b[i + batch_b.size() - rank] : 1;
    batch[i] = da == 1 ? db : da;
  }
  std::vector<int64_t> ia = broadcast_index_map(batch_a, batch);
  std::vector<int64_t> ib = broadcast_index_map(batch_b, batch);
  ir::Tensor y(ir::DType::Float32, a.out_shape(0));
  if (y.numel() != ir::shape_numel(batch) * M * N) a.error("output size does not match inputs");
  const float* ad = A.data<float>();
  const float* bd = B.data<float>();
  float* yd = y.data<float>();
  for (size_t b = 0; b < ia.size(); ++b) {
    const float* am = ad + ia[b] * M * K;
    const float* bm = bd + ib[b] * K * N;
    float* ym = yd + static_cast<int64_t>(b) * M * N;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(am[m * K + k]) * bm[k * N + n];
        ym[m * N + n] = static_cast<float>(acc);
      }
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
