#include <gtest/gtest.h>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::i64;
using qcv::test::make_node;

TEST(EliminateDeadCode, RemovesUnreadBranchAndItsInitializers) {
  // x -> Relu -> y is the model; x -> Mul(k) -> Sigmoid -> t -> Relu -> u is read by nobody.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y")};
  g.initializers["k"] = ir::Tensor::from_vector<float>({2}, {1, 2});
  g.nodes = {make_node("relu", "Relu", {"x"}, {"y"}), make_node("mul", "Mul", {"x", "k"}, {"m"}),
             make_node("sig", "Sigmoid", {"m"}, {"t"}), make_node("relu2", "Relu", {"t"}, {"u"})};
  EXPECT_TRUE(passes::eliminate_dead_code(g));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "relu");
  EXPECT_TRUE(g.initializers.empty());
  EXPECT_FALSE(passes::eliminate_dead_code(g));  // nothing more to do
}

TEST(EliminateDeadCode, KeepsNodesWithOneReadOutput) {
  // MaxPool's unread indices output does not make it dead.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 1, 2, 2})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("pool", "MaxPool", {"x"}, {"y", "indices"},
                       {{"kernel_shape", std::vector<int64_t>{2, 2}}})};
  EXPECT_FALSE(passes::eliminate_dead_code(g));
  EXPECT_EQ(g.nodes.size(), 1u);
}

// A classifier head as exporters write it, with a dynamic batch:
// Conv -> Identity -> BN -> Relu -> GlobalAveragePool -> Reshape(Shape chain) -> Gemm -> BN
// -> Dropout -> y. After optimize(): Conv, Relu, GlobalAveragePool, Flatten, Gemm, same numbers.
TEST(Optimize, ClassifierHeadFoldsToFixedPointWithSameOutputs) {
  std::mt19937 rng(5);
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 3, 6, 6})};
  g.outputs = {ir::make_value("y")};
  auto& init = g.initializers;
  init["w"] = test::random_tensor({4, 3, 3, 3}, rng);
  init["b"] = test::random_tensor({4}, rng);
  for (const char* p : {"bn1", "bn2"}) {
    int64_t c = std::string(p) == "bn1" ? 4 : 5;
    init[std::string(p) + "_s"] = test::random_tensor({c}, rng, 0.5f, 2.0f);
    init[std::string(p) + "_b"] = test::random_tensor({c}, rng);
    init[std::string(p) + "_m"] = test::random_tensor({c}, rng);
    init[std::string(p) + "_v"] = test::random_tensor({c}, rng, 0.1f, 2.0f);
  }
  init["fc_w"] = test::random_tensor({5, 4}, rng);
  init["fc_b"] = test::random_tensor({5}, rng);
  init["zero"] = i64({0}, /*scalar=*/true);
  init["minus_one"] = i64({-1});
  g.nodes = {
      make_node("conv", "Conv", {"x", "w", "b"}, {"c"},
                {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
      make_node("id", "Identity", {"c"}, {"c_id"}),
      make_node("bn1", "BatchNormalization", {"c_id", "bn1_s", "bn1_b", "bn1_m", "bn1_v"}, {"n"}),
      make_node("relu", "Relu", {"n"}, {"r"}),
      make_node("gap", "GlobalAveragePool", {"r"}, {"p"}),
      make_node("shape", "Shape", {"p"}, {"s"}),
      make_node("gather", "Gather", {"s", "zero"}, {"batch"}),
      make_node("axes", "Constant", {}, {"axes"}, {{"value", i64({0})}}),
      make_node("unsqueeze", "Unsqueeze", {"batch", "axes"}, {"batch1"}),
      make_node("concat", "Concat", {"batch1", "minus_one"}, {"target"}, {{"axis", int64_t{0}}}),
      make_node("reshape", "Reshape", {"p", "target"}, {"flat"}),
      make_node("fc", "Gemm", {"flat", "fc_w", "fc_b"}, {"logits"}, {{"transB", int64_t{1}}}),
      make_node("bn2", "BatchNormalization", {"logits", "bn2_s", "bn2_b", "bn2_m", "bn2_v"}, {"z"}),
      make_node("drop", "Dropout", {"z"}, {"y"}),
  };
  std::vector<ir::Tensor> inputs = {test::random_tensor({1, 3, 6, 6}, rng),
                                    test::random_tensor({3, 3, 6, 6}, rng)};
  std::vector<ir::Tensor> before;
  for (const ir::Tensor& x : inputs) before.push_back(ref::run_graph(g, {{"x", x}}).at(0));

  passes::optimize(g);
  std::vector<std::string> ops;
  for (const ir::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops,
            (std::vector<std::string>{"Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"}));
  EXPECT_EQ(g.outputs[0].name, "y");
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{-1, 5}));  // shapes are left inferred
  EXPECT_EQ(g.initializers.size(), 4u);               // folded conv and fc weights and biases
  for (size_t i = 0; i < inputs.size(); ++i) {
    ir::Tensor after = ref::run_graph(g, {{"x", inputs[i]}}).at(0);
    EXPECT_LT(test::max_relative_error(after, before[i]), 1e-5) << "batch " << inputs[i].dim(0);
  }
}

TEST(Optimize, InvalidGraphThrowsQcvError) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("add", "Add", {"x", "missing"}, {"y"})};
  EXPECT_THROW(passes::optimize(g), qcv::Error);
}
