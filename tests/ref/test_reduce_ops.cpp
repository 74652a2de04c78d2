// Hand-computed cases for the reduce family on forms the ONNX node tests do not cover: integer
// reductions, ties, implicit and broadcast Einsum, LpNormalization, GlobalLpPool, singular Det.
#include <cmath>

#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;
using Ints = std::vector<int64_t>;

TEST(RefReduce, IntegerSumMeanProdMaxKeepdimsAndNoop) {
  Tensor x = Tensor::from_vector<int64_t>({2, 3}, {1, -2, 7, 4, 5, -6});
  ir::Node sum = make_node("ReduceSum", 2);
  expect_values<int64_t>(run(sum, {x, Tensor::from_vector<int64_t>({1}, {1})})[0], {2, 1}, {6, 3});
  // Empty axes reduce everything, unless noop_with_empty_axes.
  expect_values<int64_t>(run(sum, {x, Tensor(ir::DType::Int64, {0})})[0], {1, 1}, {9});
  sum.attrs["noop_with_empty_axes"] = int64_t{1};
  expect_values<int64_t>(run(sum, {x, Tensor(ir::DType::Int64, {0})})[0], {2, 3},
                         {1, -2, 7, 4, 5, -6});
  ir::Node mean = make_node("ReduceMean", 1);
  mean.attrs["axes"] = Ints{0};
  mean.attrs["keepdims"] = int64_t{0};
  expect_values<int64_t>(run(mean, {x})[0], {3}, {2, 1, 0});  // (1+4)/2 truncates to 2
  ir::Node prod = make_node("ReduceProd", 1);
  prod.attrs["axes"] = Ints{-1};
  expect_values<int64_t>(run(prod, {x})[0], {2, 1}, {-14, -120});
  ir::Node max = make_node("ReduceMax", 1);
  max.attrs["keepdims"] = int64_t{0};
  expect_values<int64_t>(run(max, {x})[0], {}, {7});
}

TEST(RefReduce, NormsAndLogSumExpOfLargeValues) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {3, -4, 1000, 1000});
  ir::Node l1 = make_node("ReduceL1", 1), l2 = make_node("ReduceL2", 1),
           lse = make_node("ReduceLogSumExp", 1);
  for (ir::Node* n : {&l1, &l2, &lse}) n->attrs["axes"] = Ints{1};
  expect_floats(run(l1, {x})[0], {2, 1}, {7, 2000});
  expect_floats(run(l2, {x})[0], {2, 1}, {5, 1000 * std::sqrt(2.0f)}, 1e-2f);
  // log(e^1000 + e^1000) = 1000 + log 2 without overflowing.
  expect_floats(run(lse, {x})[0], {2, 1},
                {-4 + std::log(std::exp(7.0f) + 1), 1000 + std::log(2.0f)}, 1e-3f);
}

TEST(RefArgTopK, TiesPickTheLowerIndexUnlessSelectLast) {
  Tensor x = Tensor::from_vector<float>({1, 5}, {2, 7, 1, 7, 1});
  ir::Node am = make_node("ArgMax", 1);
  am.attrs["axis"] = int64_t{1};
  expect_values<int64_t>(run(am, {x})[0], {1, 1}, {1});
  am.attrs["select_last_index"] = int64_t{1};
  expect_values<int64_t>(run(am, {x})[0], {1, 1}, {3});
  ir::Node argmin = make_node("ArgMin", 1);
  argmin.attrs["axis"] = int64_t{-1};
  argmin.attrs["keepdims"] = int64_t{0};
  expect_values<int64_t>(run(argmin, {x})[0], {1}, {2});

  ir::Node topk = make_node("TopK", 2, 2);
  auto out = run(topk, {x, Tensor::from_vector<int64_t>({1}, {3})});
  expect_floats(out[0], {1, 3}, {7, 7, 2});
  expect_values<int64_t>(out[1], {1, 3}, {1, 3, 0});
  topk.attrs["largest"] = int64_t{0};
  out = run(topk, {x, Tensor::from_vector<int64_t>({1}, {2})});
  expect_floats(out[0], {1, 2}, {1, 1});
  expect_values<int64_t>(out[1], {1, 2}, {2, 4});
}

TEST(RefEinsum, ImplicitOutputEllipsisBroadcastAndDiagonal) {
  Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  ir::Node mm = make_node("Einsum", 2);
  mm.attrs["equation"] = std::string("ij,jk");  // implicit output "ik"
  expect_floats(run(mm, {a, b})[0], {2, 2}, {4, 5, 10, 11});
  ir::Node outer = make_node("Einsum", 2);
  outer.attrs["equation"] = std::string("ba,c");  // implicit output sorted: "abc"
  Tensor v = Tensor::from_vector<float>({2}, {1, 10});
  expect_floats(run(outer, {a, v})[0], {3, 2, 2}, {1, 10, 4, 40, 2, 20, 5, 50, 3, 30, 6, 60});
  // "...j,j->..." with a [1, 3] operand broadcast against nothing: a row-wise dot product.
  ir::Node ell = make_node("Einsum", 2);
  ell.attrs["equation"] = std::string("...j,j->...");
  expect_floats(run(ell, {a, Tensor::from_vector<float>({3}, {1, 1, 2})})[0], {2}, {9, 21});
  // Broadcast ellipsis dims: [2,1,2] and [3,2] -> [2,3].
  ir::Node bc = make_node("Einsum", 2);
  bc.attrs["equation"] = std::string("...k,...k->...");
  Tensor p = Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor q = Tensor::from_vector<float>({3, 2}, {1, 0, 0, 1, 1, 1});
  expect_floats(run(bc, {p, q})[0], {2, 3}, {1, 2, 3, 3, 4, 7});
  ir::Node trace = make_node("Einsum", 1);
  trace.attrs["equation"] = std::string("ii");  // implicit: the trace (i appears twice)
  expect_floats(run(trace, {Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4})})[0], {}, {5});
  ir::Node bad = make_node("Einsum", 1);
  bad.attrs["equation"] = std::string("ijk->i");
  EXPECT_THROW(run(bad, {a}), Error);
}

TEST(RefNormalize, LpNormalizationAndGlobalLpPool) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {3, 4, 0, 0});
  ir::Node lp = make_node("LpNormalization", 1);
  expect_floats(run(lp, {x})[0], {1, 2, 2}, {0.6f, 0.8f, 0, 0});  // a zero norm gives 0
  lp.attrs["p"] = int64_t{1};
  lp.attrs["axis"] = int64_t{1};
  expect_floats(run(lp, {x})[0], {1, 2, 2}, {1, 1, 0, 0});
  ir::Node pool = make_node("GlobalLpPool", 1);
  expect_floats(run(pool, {x})[0], {1, 2, 1}, {5, 0});
  ir::Node gmax = make_node("GlobalMaxPool", 1);
  expect_floats(run(gmax, {Tensor::from_vector<float>({1, 1, 3}, {-5, -2, -9})})[0], {1, 1, 1},
                {-2});
}

TEST(RefDet, BatchOfMatricesIncludingSingularAndPivoted) {
  // det [[0,1],[1,0]] = -1 needs a row swap; [[1,2],[2,4]] is singular; a 3x3 with det 3.
  Tensor x = Tensor::from_vector<double>({2, 2, 2}, {0, 1, 1, 0, 1, 2, 2, 4});
  Tensor d = run(make_node("Det", 1), {x})[0];
  ASSERT_EQ(d.shape(), (ir::Shape{2}));
  EXPECT_DOUBLE_EQ(d.as_double(0), -1);
  EXPECT_DOUBLE_EQ(d.as_double(1), 0);
  Tensor m = Tensor::from_vector<float>({3, 3}, {2, 0, 1, 1, 1, 0, 0, 1, 1});
  expect_floats(run(make_node("Det", 1), {m})[0], {}, {3});
}

TEST(RefLosses, NllMeanWithWeightsAndIgnoredTargets) {
  // input [N=2, C=3] log-probabilities; target {2, -1 (ignored)}; weights {1, 2, 4}.
  Tensor in = Tensor::from_vector<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
  Tensor t = Tensor::from_vector<int64_t>({2}, {2, -1});
  Tensor w = Tensor::from_vector<float>({3}, {1, 2, 4});
  ir::Node nll = make_node("NegativeLogLikelihoodLoss", 3);
  nll.attrs["ignore_index"] = int64_t{-1};
  expect_floats(run(nll, {in, t, w})[0], {}, {3});  // 4 * 3 / 4
  nll.attrs["reduction"] = std::string("none");
  expect_floats(run(nll, {in, t, w})[0], {2}, {12, 0});
  Tensor out_of_range = Tensor::from_vector<int64_t>({2}, {2, 3});
  EXPECT_THROW(run(nll, {in, out_of_range, w}), Error);
}

TEST(RefBatchNorm, TrainingModeUsesBatchStatistics) {
  // One channel, values {1, 3}: batch mean 2, biased variance 1.
  Tensor x = Tensor::from_vector<float>({2, 1}, {1, 3});
  Tensor one = Tensor::from_vector<float>({1}, {1}), zero = Tensor::from_vector<float>({1}, {0});
  ir::Node bn = make_node("BatchNormalization", 5, 3);
  bn.attrs["training_mode"] = int64_t{1};
  bn.attrs["epsilon"] = 0.0f;
  bn.attrs["momentum"] = 0.5f;
  auto out = run(bn, {x, one, zero, zero, one});
  expect_floats(out[0], {2, 1}, {-1, 1});
  expect_floats(out[1], {1}, {1});  // 0 * 0.5 + 2 * 0.5
  expect_floats(out[2], {1}, {1});  // 1 * 0.5 + 1 * 0.5
}

}  // namespace
}  // namespace qcv::ref::test
