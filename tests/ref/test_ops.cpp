// Hand-computed cases for the element-wise, matrix, normalization and data-movement kernels.
#include <cmath>

#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;

TEST(RefActivation, ReluClipHardSigmoidHardSwishSigmoid) {
  Tensor x = Tensor::from_vector<float>({5}, {-4, -1, 0, 2, 7});
  expect_floats(run(make_node("Relu", 1), {x})[0], {5}, {0, 0, 0, 2, 7});
  // Clip with both bounds, with the min omitted, and with none.
  expect_floats(run(make_node("Clip", 3), {x, Tensor::scalar(-1.5f), Tensor::scalar(3.0f)})[0], {5},
                {-1.5f, -1, 0, 2, 3});
  ir::Node max_only = make_node("Clip", 3);
  max_only.inputs[1] = "";
  expect_floats(run(max_only, {x, Tensor(), Tensor::scalar(1.0f)})[0], {5}, {-4, -1, 0, 1, 1});
  expect_floats(run(make_node("Clip", 1), {x})[0], {5}, {-4, -1, 0, 2, 7});
  // HardSigmoid defaults alpha 0.2, beta 0.5: clamp(0.2x + 0.5, 0, 1).
  expect_floats(run(make_node("HardSigmoid", 1), {x})[0], {5}, {0, 0.3f, 0.5f, 0.9f, 1});
  ir::Node hs = make_node("HardSigmoid", 1);
  hs.attrs["alpha"] = 0.5f;
  hs.attrs["beta"] = 0.25f;
  expect_floats(run(hs, {x})[0], {5}, {0, 0, 0.25f, 1, 1});
  // HardSwish: x * clamp(x/6 + 0.5, 0, 1): -1 -> -1/3, 2 -> 2*(5/6).
  expect_floats(run(make_node("HardSwish", 1), {x})[0], {5}, {0, -1.0f / 3, 0, 5.0f / 3, 7});
  expect_floats(run(make_node("Sigmoid", 1), {x})[0], {5},
                {1 / (1 + std::exp(4.0f)), 1 / (1 + std::exp(1.0f)), 0.5f,
                 1 / (1 + std::exp(-2.0f)), 1 / (1 + std::exp(-7.0f))});
  Tensor extreme = Tensor::from_vector<float>({2}, {-1000, 1000});
  expect_floats(run(make_node("Sigmoid", 1), {extreme})[0], {2}, {0, 1});
}

TEST(RefBinary, BroadcastsLikeNumpy) {
  // [2,3] + [3] and [2,1] * [1,3] (outer product).
  Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = Tensor::from_vector<float>({3}, {10, 20, 30});
  expect_floats(run(make_node("Add", 2), {a, row})[0], {2, 3}, {11, 22, 33, 14, 25, 36});
  expect_floats(run(make_node("Sub", 2), {row, a})[0], {2, 3}, {9, 18, 27, 6, 15, 24});
  Tensor col = Tensor::from_vector<float>({2, 1}, {1, 2});
  Tensor line = Tensor::from_vector<float>({1, 3}, {3, 4, 5});
  expect_floats(run(make_node("Mul", 2), {col, line})[0], {2, 3}, {3, 4, 5, 6, 8, 10});
  expect_floats(run(make_node("Div", 2), {a, Tensor::scalar(2.0f)})[0], {2, 3},
                {0.5f, 1, 1.5f, 2, 2.5f, 3});
}

TEST(RefBinary, IntegerTypes) {
  Tensor a = Tensor::from_vector<int64_t>({3}, {7, -7, 9});
  Tensor b = Tensor::from_vector<int64_t>({3}, {2, 2, -4});
  expect_values<int64_t>(run(make_node("Div", 2), {a, b})[0], {3}, {3, -3, -2});  // truncation
  expect_values<int64_t>(run(make_node("Mul", 2), {a, b})[0], {3}, {14, -14, -36});
  Tensor c = Tensor::from_vector<int32_t>({2, 1}, {1, 2});
  Tensor d = Tensor::from_vector<int32_t>({2}, {10, 20});
  expect_values<int32_t>(run(make_node("Add", 2), {c, d})[0], {2, 2}, {11, 21, 12, 22});
  expect_values<int32_t>(run(make_node("Sub", 2), {c, d})[0], {2, 2}, {-9, -19, -8, -18});
  EXPECT_THROW(run(make_node("Div", 2), {c, Tensor::from_vector<int32_t>({1}, {0})}), Error);
  EXPECT_THROW(run(make_node("Add", 2), {a, d}), Error);  // dtypes differ
}

TEST(RefGemm, TransBAlphaBetaAndBroadcastC) {
  // A [[1,2,3],[4,5,6]], B^T with B = [[1,0,1],[0,1,0]] -> A B^T = [[4,2],[10,5]];
  // alpha 2 -> [[8,4],[20,10]]; + 0.5 * C with C = [1,2] broadcast over rows.
  ir::Node n = make_node("Gemm", 3);
  n.attrs["transB"] = int64_t{1};
  n.attrs["alpha"] = 2.0f;
  n.attrs["beta"] = 0.5f;
  Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<float>({2, 3}, {1, 0, 1, 0, 1, 0});
  Tensor c = Tensor::from_vector<float>({2}, {1, 2});
  expect_floats(run(n, {a, b, c})[0], {2, 2}, {8.5f, 5, 20.5f, 11});
}

TEST(RefGemm, TransAWithoutC) {
  // A^T with A = [[1,2],[3,4],[5,6]] (3x2) -> [[1,3,5],[2,4,6]]; times B = [1,1,1]^T (3x1).
  ir::Node n = make_node("Gemm", 2);
  n.attrs["transA"] = int64_t{1};
  Tensor a = Tensor::from_vector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<float>({3, 1}, {1, 1, 1});
  expect_floats(run(n, {a, b})[0], {2, 1}, {9, 12});
}

TEST(RefMatMul, BatchedBroadcastAndVectors) {
  // [2,1,2] x [2,2] broadcasts the right operand over the batch.
  Tensor a = Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({2, 2}, {1, 10, 100, 1000});
  expect_floats(run(make_node("MatMul", 2), {a, b})[0], {2, 1, 2}, {201, 2010, 403, 4030});
  // 1-D x 2-D: the vector is a row and its dimension drops out.
  Tensor v = Tensor::from_vector<float>({2}, {1, 1});
  expect_floats(run(make_node("MatMul", 2), {v, b})[0], {2}, {101, 1010});
  // 2-D x 1-D: a column.
  expect_floats(run(make_node("MatMul", 2), {b, v})[0], {2}, {11, 1100});
}

TEST(RefBatchNorm, InferenceFormula) {
  // y = scale * (x - mean) / sqrt(var + eps) + bias, channel 0: (x-1)/2*3+1, channel 1: x-0+(-1)
  ir::Node n = make_node("BatchNormalization", 5);
  n.attrs["epsilon"] = 0.0f;
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 3, 5, 7});
  Tensor scale = Tensor::from_vector<float>({2}, {3, 1});
  Tensor bias = Tensor::from_vector<float>({2}, {1, -1});
  Tensor mean = Tensor::from_vector<float>({2}, {1, 0});
  Tensor var = Tensor::from_vector<float>({2}, {4, 1});
  expect_floats(run(n, {x, scale, bias, mean, var})[0], {1, 2, 2}, {1, 4, 4, 6});
}

TEST(RefSoftmax, AlongOneAxis) {
  // Opset 13: each column of a [2,2] sums to one with axis 0; a row of equal logits is uniform.
  ir::Node n = make_node("Softmax", 1);
  n.attrs["axis"] = int64_t{0};
  Tensor x = Tensor::from_vector<float>({2, 2}, {0, 1000, std::log(3.0f), 1000});
  expect_floats(run(n, {x})[0], {2, 2}, {0.25f, 0.5f, 0.75f, 0.5f});
  Tensor row = Tensor::from_vector<float>({1, 4}, {2, 2, 2, 2});
  expect_floats(run(make_node("Softmax", 1), {row})[0], {1, 4}, {0.25f, 0.25f, 0.25f, 0.25f});
}

TEST(RefShapeOps, FlattenReshapeSqueezeUnsqueezeShape) {
  Tensor x = Tensor::from_vector<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  ir::Node flat = make_node("Flatten", 1);
  flat.attrs["axis"] = int64_t{2};
  expect_floats(run(flat, {x})[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  // Reshape with 0 (copy) and -1 (infer).
  Tensor target = Tensor::from_vector<int64_t>({3}, {0, -1, 1});
  expect_floats(run(make_node("Reshape", 2), {x, target})[0], {2, 3, 1}, {1, 2, 3, 4, 5, 6});
  Tensor axes = Tensor::from_vector<int64_t>({1}, {-2});
  expect_floats(run(make_node("Squeeze", 2), {x, axes})[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  expect_floats(run(make_node("Squeeze", 1), {x})[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor uaxes = Tensor::from_vector<int64_t>({2}, {0, 4});
  expect_floats(run(make_node("Unsqueeze", 2), {x, uaxes})[0], {1, 2, 1, 3, 1}, {1, 2, 3, 4, 5, 6});
  expect_values<int64_t>(run(make_node("Shape", 1), {x})[0], {3}, {2, 1, 3});
  ir::Node part = make_node("Shape", 1);
  part.attrs["start"] = int64_t{-2};
  part.attrs["end"] = int64_t{10};
  expect_values<int64_t>(run(part, {x})[0], {2}, {1, 3});
}

TEST(RefGather, AxisOneWithNegativeIndices) {
  Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ir::Node n = make_node("Gather", 2);
  n.attrs["axis"] = int64_t{1};
  Tensor idx = Tensor::from_vector<int64_t>({2, 2}, {-1, 0, 1, 1});
  expect_floats(run(n, {x, idx})[0], {2, 2, 2}, {3, 1, 2, 2, 6, 4, 5, 5});
  // Scalar index on axis 0 drops the axis; int32 indices work too.
  expect_values<int64_t>(run(make_node("Gather", 2), {Tensor::from_vector<int64_t>({3}, {7, 8, 9}),
                                                      Tensor::scalar<int32_t>(-3)})[0],
                         {}, {7});
  EXPECT_THROW(run(n, {x, Tensor::from_vector<int64_t>({1}, {3})}), Error);
}

TEST(RefConcat, AlongMiddleAxis) {
  ir::Node n = make_node("Concat", 2);
  n.attrs["axis"] = int64_t{-1};
  Tensor a = Tensor::from_vector<int64_t>({2, 1}, {1, 2});
  Tensor b = Tensor::from_vector<int64_t>({2, 2}, {3, 4, 5, 6});
  expect_values<int64_t>(run(n, {a, b})[0], {2, 3}, {1, 3, 4, 2, 5, 6});
}

TEST(RefDataOps, CastDropoutIdentityConstant) {
  ir::Node to_int = make_node("Cast", 1);
  to_int.attrs["to"] = int64_t{6};  // INT32
  Tensor x = Tensor::from_vector<float>({4}, {1.9f, -1.9f, 0, 3});
  expect_values<int32_t>(run(to_int, {x})[0], {4}, {1, -1, 0, 3});
  ir::Node to_bool = make_node("Cast", 1);
  to_bool.attrs["to"] = int64_t{9};
  expect_values<bool>(run(to_bool, {x})[0], {4}, {true, true, false, true});
  ir::Node to_float = make_node("Cast", 1);
  to_float.attrs["to"] = int64_t{1};
  expect_floats(run(to_float, {Tensor::from_vector<uint8_t>({2}, {0, 255})})[0], {2}, {0, 255});

  auto outs = run(make_node("Dropout", 1, 2), {x});
  expect_floats(outs[0], {4}, {1.9f, -1.9f, 0, 3});
  expect_values<bool>(outs[1], {4}, {true, true, true, true});
  expect_floats(run(make_node("Identity", 1), {x})[0], {4}, {1.9f, -1.9f, 0, 3});

  ir::Node c = make_node("Constant", 0);
  c.attrs["value"] = Tensor::from_vector<float>({2}, {5, 6});
  expect_floats(run(c, {})[0], {2}, {5, 6});
}

TEST(RefDispatch, EveryOpInTheTableHasAKernel) {
  for (const ir::OpSchema& s : ir::all_ops()) EXPECT_TRUE(has_kernel(s.name)) << s.name;
  EXPECT_FALSE(has_kernel("NotAnOp"));
}

TEST(RefDispatch, ErrorsNameTheNode) {
  ir::Node n = make_node("Frobnicate", 1);
  EXPECT_THROW(run(n, {Tensor::scalar(1.0f)}), Error);
  ir::Node conv = make_node("Conv", 2);
  try {
    run(conv, {Tensor(ir::DType::Float32, {1, 3, 4, 4}), Tensor(ir::DType::Float32, {2, 2, 3, 3})});
    FAIL() << "expected a channel mismatch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Conv_under_test"), std::string::npos) << e.what();
  }
  // A required input given as nullptr.
  EXPECT_THROW(run_node(make_node("Relu", 1), {nullptr}), Error);
}

}  // namespace
}  // namespace qcv::ref::test
