#include <gtest/gtest.h>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::make_node;

namespace {

ir::Tensor f32(ir::Shape shape, std::vector<float> values) {
  return ir::Tensor::from_vector<float>(std::move(shape), values);
}

void add_bn_params(ir::Graph& g, const std::string& prefix, int64_t channels, std::mt19937& rng) {
  g.initializers[prefix + "_scale"] = test::random_tensor({channels}, rng, 0.5f, 2.0f);
  g.initializers[prefix + "_b"] = test::random_tensor({channels}, rng);
  g.initializers[prefix + "_mean"] = test::random_tensor({channels}, rng);
  g.initializers[prefix + "_var"] = test::random_tensor({channels}, rng, 0.1f, 3.0f);
}

ir::Node bn_node(const std::string& prefix, const std::string& x, const std::string& y) {
  return make_node(prefix, "BatchNormalization",
                   {x, prefix + "_scale", prefix + "_b", prefix + "_mean", prefix + "_var"}, {y});
}

// Runs the graph before and after fold_batch_norm on the same input; returns the relative error.
double fold_and_compare(ir::Graph& g, const ir::Tensor& x) {
  ir::Tensor before = ref::run_graph(g, {{"x", x}}).at(0);
  EXPECT_TRUE(passes::fold_batch_norm(g));
  EXPECT_NO_THROW(ir::infer_shapes(g));
  ir::Tensor after = ref::run_graph(g, {{"x", x}}).at(0);
  return test::max_relative_error(after, before);
}

}  // namespace

// 1x1 conv, 2 -> 2 channels, W = [[1, 2], [3, 4]], b = [1, -1]; BN with epsilon 1:
// scale [2, 0.5], B [0.5, 1], mean [1, 2], var [3, 0].
// factor = scale / sqrt(var + 1) = [2/2, 0.5/1] = [1, 0.5]
// W' = W * factor (per output row) = [[1, 2], [1.5, 2]]
// b' = (b - mean) * factor + B = [0 * 1 + 0.5, -3 * 0.5 + 1] = [0.5, -0.5]
// Check with x = [1, 1]: conv = [4, 6], BN = [(4-1)*1+0.5, (6-2)*0.5+1] = [3.5, 3] = W'x + b'.
TEST(FoldBatchNorm, ConvHandComputed) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2, 1, 1})};
  g.outputs = {ir::make_value("y")};
  g.initializers["w"] = f32({2, 2, 1, 1}, {1, 2, 3, 4});
  g.initializers["b"] = f32({2}, {1, -1});
  g.initializers["bn_scale"] = f32({2}, {2, 0.5f});
  g.initializers["bn_b"] = f32({2}, {0.5f, 1});
  g.initializers["bn_mean"] = f32({2}, {1, 2});
  g.initializers["bn_var"] = f32({2}, {3, 0});
  g.nodes = {make_node("conv", "Conv", {"x", "w", "b"}, {"c"}), bn_node("bn", "c", "y")};
  g.nodes[1].attrs["epsilon"] = 1.0f;

  ASSERT_TRUE(passes::fold_batch_norm(g));
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& conv = g.nodes[0];
  EXPECT_EQ(conv.outputs[0], "y");  // the graph output name survives
  EXPECT_EQ(g.initializer(conv.inputs[1])->to_float_vector(), (std::vector<float>{1, 2, 1.5f, 2}));
  EXPECT_EQ(g.initializer(conv.inputs[2])->to_float_vector(), (std::vector<float>{0.5f, -0.5f}));
  // The original weights were not modified in place.
  EXPECT_EQ(g.initializer("w")->to_float_vector(), (std::vector<float>{1, 2, 3, 4}));
  auto y = ref::run_graph(g, {{"x", f32({1, 2, 1, 1}, {1, 1})}}).at(0);
  EXPECT_EQ(y.to_float_vector(), (std::vector<float>{3.5f, 3.0f}));
}

TEST(FoldBatchNorm, ConvBnReluMatchesNumerically) {
  std::mt19937 rng(1);
  for (int64_t group : {1, 4}) {  // a full conv and a depthwise one (as in MobileNet)
    ir::Graph g;
    g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 4, 7, 7})};
    g.outputs = {ir::make_value("y")};
    int64_t out_channels = group == 1 ? 6 : 4;
    g.initializers["w"] = test::random_tensor({out_channels, 4 / group, 3, 3}, rng);
    add_bn_params(g, "bn", out_channels, rng);
    g.nodes = {make_node("conv", "Conv", {"x", "w"}, {"c"},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}},
                          {"strides", std::vector<int64_t>{2, 2}},
                          {"group", group}}),
               bn_node("bn", "c", "n"), make_node("relu", "Relu", {"n"}, {"y"})};
    EXPECT_LT(fold_and_compare(g, test::random_tensor({3, 4, 7, 7}, rng)), 1e-5);
    EXPECT_EQ(count_ops(g, "BatchNormalization"), 0);
    EXPECT_EQ(count_ops(g, "Conv"), 1);
    EXPECT_EQ(count_ops(g, "Relu"), 1);
    EXPECT_EQ(g.nodes[g.find_node("relu")].inputs[0], g.nodes[g.find_node("conv")].outputs[0]);
  }
}

TEST(FoldBatchNorm, GemmBnMatchesNumerically) {
  std::mt19937 rng(2);
  for (int64_t trans_b : {0, 1}) {
    for (bool with_c : {false, true}) {
      ir::Graph g;
      g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 5})};
      g.outputs = {ir::make_value("y")};
      g.initializers["w"] = test::random_tensor(trans_b ? ir::Shape{3, 5} : ir::Shape{5, 3}, rng);
      std::vector<std::string> inputs = {"x", "w"};
      if (with_c) {
        g.initializers["c"] = test::random_tensor({3}, rng);
        inputs.push_back("c");
      }
      add_bn_params(g, "bn", 3, rng);
      g.nodes = {make_node("gemm", "Gemm", inputs, {"h"},
                           {{"transB", trans_b}, {"alpha", 0.5f}, {"beta", 2.0f}}),
                 bn_node("bn", "h", "n"), make_node("relu", "Relu", {"n"}, {"y"})};
      EXPECT_LT(fold_and_compare(g, test::random_tensor({4, 5}, rng)), 1e-5)
          << "transB " << trans_b << " with C " << with_c;
      EXPECT_EQ(count_ops(g, "BatchNormalization"), 0);
      EXPECT_EQ(count_ops(g, "Gemm"), 1);
    }
  }
}

TEST(FoldBatchNorm, SharedWeightsAreCopiedNotModified) {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2, 3, 3})};
  g.outputs = {ir::make_value("y"), ir::make_value("z")};
  g.initializers["w"] = test::random_tensor({2, 2, 1, 1}, rng);
  add_bn_params(g, "bn", 2, rng);
  g.nodes = {make_node("conv1", "Conv", {"x", "w"}, {"c1"}), bn_node("bn", "c1", "y"),
             make_node("conv2", "Conv", {"x", "w"}, {"z"})};
  ir::Tensor x = test::random_tensor({1, 2, 3, 3}, rng);
  auto before = ref::run_graph(g, {{"x", x}});
  std::vector<float> w_before = g.initializer("w")->to_float_vector();
  ASSERT_TRUE(passes::fold_batch_norm(g));
  EXPECT_EQ(g.initializer("w")->to_float_vector(), w_before);
  EXPECT_EQ(g.nodes[g.find_node("conv2")].inputs[1], "w");
  EXPECT_NE(g.nodes[g.find_node("conv1")].inputs[1], "w");
  auto after = ref::run_graph(g, {{"x", x}});
  EXPECT_LT(test::max_relative_error(after[0], before[0]), 1e-5);
  EXPECT_EQ(after[1].to_float_vector(), before[1].to_float_vector());
}

TEST(FoldBatchNorm, LeavesUnfoldablePatterns) {
  std::mt19937 rng(4);
  // (a) the conv output has a second reader; (b) the conv output is a graph output; (c) the
  // weight comes from a DequantizeLinear (a QDQ graph).
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2, 3, 3})};
  g.outputs = {ir::make_value("y1"), ir::make_value("r1"), ir::make_value("c2"),
               ir::make_value("y2"), ir::make_value("y3")};
  g.initializers["w"] = test::random_tensor({2, 2, 1, 1}, rng);
  g.initializers["wq"] = ir::Tensor::from_vector<int8_t>({2, 2, 1, 1}, {1, -2, 3, 4});
  g.initializers["wscale"] = ir::Tensor::scalar(0.1f);
  g.initializers["wzero"] = ir::Tensor::scalar(int8_t{0});
  for (const char* p : {"bn1", "bn2", "bn3"}) add_bn_params(g, p, 2, rng);
  g.nodes = {make_node("conv1", "Conv", {"x", "w"}, {"c1"}),
             bn_node("bn1", "c1", "y1"),
             make_node("relu1", "Relu", {"c1"}, {"r1"}),
             make_node("conv2", "Conv", {"x", "w"}, {"c2"}),
             bn_node("bn2", "c2", "y2"),
             make_node("dq", "DequantizeLinear", {"wq", "wscale", "wzero"}, {"wdq"}),
             make_node("conv3", "Conv", {"x", "wdq"}, {"c3"}),
             bn_node("bn3", "c3", "y3")};
  std::string before = test::describe(g);
  EXPECT_FALSE(passes::fold_batch_norm(g));
  EXPECT_EQ(test::describe(g), before);
}

TEST(FoldBatchNorm, LeavesGemmWithPerRowBiasAndTrainingModeBn) {
  std::mt19937 rng(6);
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3})};
  g.outputs = {ir::make_value("y1"), ir::make_value("y2")};
  g.initializers["w"] = test::random_tensor({3, 3}, rng);
  g.initializers["c"] = test::random_tensor({2, 3}, rng);  // a full [M, N] C is not a bias
  add_bn_params(g, "bn1", 3, rng);
  add_bn_params(g, "bn2", 3, rng);
  g.nodes = {make_node("gemm1", "Gemm", {"x", "w", "c"}, {"h1"}), bn_node("bn1", "h1", "y1"),
             make_node("gemm2", "Gemm", {"x", "w"}, {"h2"}), bn_node("bn2", "h2", "y2")};
  g.nodes[3].attrs["training_mode"] = int64_t{1};
  std::string before = test::describe(g);
  EXPECT_FALSE(passes::fold_batch_norm(g));
  EXPECT_EQ(test::describe(g), before);
}
