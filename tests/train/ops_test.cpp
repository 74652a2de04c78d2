// Single ops with tricky ONNX semantics, the torch backend against the reference kernels.
#include <gtest/gtest.h>

#include <random>

#include "ref/ref.h"
#include "train/tensor_convert.h"
#include "train/torch_graph.h"

using namespace qcv;

namespace {

ir::Tensor random_tensor(ir::Shape shape, uint64_t seed) {
  ir::Tensor t(ir::DType::Float32, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

struct OneOp {
  ir::Graph g;
  OneOp(const std::string& op, ir::Shape x_shape, std::map<std::string, ir::Attribute> attrs = {},
        std::vector<std::pair<std::string, ir::Tensor>> consts = {}) {
    g.inputs = {ir::make_value("x", ir::DType::Float32, x_shape)};
    g.outputs = {ir::make_value("y")};
    ir::Node n;
    n.name = "node";
    n.op = op;
    n.inputs = {"x"};
    for (auto& [name, t] : consts) {
      if (!name.empty()) g.initializers[name] = t;
      n.inputs.push_back(name);
    }
    n.outputs = {"y"};
    n.attrs = std::move(attrs);
    g.nodes = {n};
  }
};

void expect_same_as_reference(const OneOp& c, const ir::Shape& x_shape, bool train = false) {
  ir::Tensor x = random_tensor(x_shape, 11);
  ir::Tensor want = ref::run_graph(c.g, {{"x", x}}).at(0);
  train::TorchGraph m(c.g);
  m.train(train);
  at::NoGradGuard no_grad;
  ir::Tensor got = train::to_ir(m.forward(train::to_torch(x)));
  ASSERT_EQ(got.shape(), want.shape());
  std::vector<float> a = got.to_float_vector(), b = want.to_float_vector();
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::abs(b[i]))) << i;
}

ir::Tensor scalar(float v) { return ir::Tensor::scalar<float>(v); }

}  // namespace

TEST(TorchOps, HardSigmoidUsesOnnxDefaults) {
  // ONNX alpha 0.2 (not torch's 1/6): at x = 2, 0.2 * 2 + 0.5 = 0.9.
  expect_same_as_reference(OneOp("HardSigmoid", {2, 3, 4, 4}), {2, 3, 4, 4});
  expect_same_as_reference(OneOp("HardSigmoid", {2, 8}, {{"alpha", 0.5f}, {"beta", 0.1f}}), {2, 8});
  expect_same_as_reference(OneOp("HardSwish", {2, 3, 4, 4}), {2, 3, 4, 4});
}

TEST(TorchOps, ClipWithBoundInputs) {
  expect_same_as_reference(OneOp("Clip", {2, 5}, {}, {{"lo", scalar(-1)}, {"hi", scalar(0.5f)}}),
                           {2, 5});
  expect_same_as_reference(OneOp("Clip", {2, 5}, {}, {{"", {}}, {"hi", scalar(0.5f)}}), {2, 5});
}

TEST(TorchOps, ConvWithAsymmetricPadsAndGroups) {
  ir::Tensor w = random_tensor({4, 2, 3, 2}, 5);
  expect_same_as_reference(OneOp("Conv", {1, 4, 7, 6},
                                 {{"pads", std::vector<int64_t>{0, 1, 2, 1}},
                                  {"strides", std::vector<int64_t>{2, 1}},
                                  {"group", int64_t(2)}},
                                 {{"w", w}}),
                           {1, 4, 7, 6});
  expect_same_as_reference(OneOp("Conv", {1, 4, 7, 6},
                                 {{"auto_pad", std::string("SAME_UPPER")},
                                  {"group", int64_t(2)},
                                  {"strides", std::vector<int64_t>{2, 2}}},
                                 {{"w", w}}),
                           {1, 4, 7, 6});
}

TEST(TorchOps, PoolingCeilModeAndPadding) {
  expect_same_as_reference(OneOp("MaxPool", {1, 2, 7, 7},
                                 {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                  {"strides", std::vector<int64_t>{2, 2}},
                                  {"ceil_mode", int64_t(1)}}),
                           {1, 2, 7, 7});
  expect_same_as_reference(OneOp("MaxPool", {1, 2, 6, 6},
                                 {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                  {"pads", std::vector<int64_t>{0, 0, 1, 1}},
                                  {"strides", std::vector<int64_t>{2, 2}}}),
                           {1, 2, 6, 6});
  for (int64_t include_pad : {0, 1}) {
    expect_same_as_reference(OneOp("AveragePool", {1, 2, 6, 6},
                                   {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                    {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                    {"strides", std::vector<int64_t>{2, 2}},
                                    {"ceil_mode", int64_t(1)},
                                    {"count_include_pad", include_pad}}),
                             {1, 2, 6, 6});
    expect_same_as_reference(OneOp("AveragePool", {1, 2, 6, 6},
                                   {{"kernel_shape", std::vector<int64_t>{2, 3}},
                                    {"pads", std::vector<int64_t>{0, 2, 1, 0}},
                                    {"count_include_pad", include_pad}}),
                             {1, 2, 6, 6});
  }
}

TEST(TorchOps, GemmTransposesAndScalars) {
  expect_same_as_reference(
      OneOp("Gemm", {3, 4}, {{"transA", int64_t(1)}, {"alpha", 0.5f}, {"beta", 2.0f}},
            {{"b", random_tensor({3, 5}, 2)}, {"c", random_tensor({4, 5}, 3)}}),
      {3, 4});
  expect_same_as_reference(OneOp("Gemm", {3, 4}, {{"transB", int64_t(1)}},
                                 {{"b", random_tensor({5, 4}, 2)}, {"c", random_tensor({5}, 3)}}),
                           {3, 4});
}

TEST(TorchOps, FakeQuantizationPairMatchesQuantizeDequantize) {
  // Q -> DQ with int8 per-tensor and uint8 parameters: the backend runs the pair as one fake
  // quantization; values must equal the reference's integer round trip.
  for (bool is_int8 : {true, false}) {
    ir::Graph g;
    g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3, 4, 4})};
    g.outputs = {ir::make_value("y")};
    g.initializers["s"] = scalar(0.05f);
    g.initializers["z"] =
        is_int8 ? ir::Tensor::scalar<int8_t>(3) : ir::Tensor::scalar<uint8_t>(128);
    ir::Node q{"q", "QuantizeLinear", {"x", "s", "z"}, {"xq"}, {}};
    ir::Node dq{"dq", "DequantizeLinear", {"xq", "s", "z"}, {"y"}, {}};
    g.nodes = {q, dq};
    OneOp c("Identity", {1});
    c.g = g;
    expect_same_as_reference(c, {2, 3, 4, 4});
  }
}

TEST(TorchOps, BatchNormTrainModeUpdatesRunningStatsWithOnnxMomentum) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {4, 2, 3, 3})};
  g.outputs = {ir::make_value("y")};
  g.initializers["scale"] = ir::Tensor::from_vector<float>({2}, {1, 1});
  g.initializers["bias"] = ir::Tensor::from_vector<float>({2}, {0, 0});
  g.initializers["mean"] = ir::Tensor::from_vector<float>({2}, {1, 1});
  g.initializers["var"] = ir::Tensor::from_vector<float>({2}, {1, 1});
  ir::Node bn{"bn", "BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, {}};
  bn.attrs["momentum"] = 0.75f;
  g.nodes = {bn};
  train::TorchGraph m(g);
  m.train();
  at::Tensor x = at::randn({4, 2, 3, 3});
  at::Tensor y = m.forward(x);
  // Train mode normalizes with batch statistics: per-channel mean 0, variance 1.
  EXPECT_NEAR(y.mean({0, 2, 3})[0].item<double>(), 0, 1e-5);
  EXPECT_NEAR(y.var({0, 2, 3}, false)[1].item<double>(), 1, 1e-3);
  // ONNX momentum 0.75: running = 0.75 * 1 + 0.25 * batch mean.
  const double batch_mean = x.mean({0, 2, 3})[0].item<double>();
  m.write_back(g);
  EXPECT_NEAR(g.initializers.at("mean").data<float>()[0], 0.75 + 0.25 * batch_mean, 1e-5);
}
