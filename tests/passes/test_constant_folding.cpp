#include <gtest/gtest.h>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::i64;
using qcv::test::make_node;

namespace {

// x -> Shape -> Gather(0) -> Unsqueeze(0) -> Concat(tail) -> Reshape(x, ...) -> y: what exporters
// write for x.view(x.size(0), ...). `tail` is the constant rest of the target shape.
ir::Graph reshape_chain_graph(ir::Shape x_shape, std::vector<int64_t> tail) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, std::move(x_shape))};
  g.outputs = {ir::make_value("y")};
  g.initializers["zero"] = i64({0}, /*scalar=*/true);
  g.initializers["axes"] = i64({0});
  g.nodes = {
      make_node("shape", "Shape", {"x"}, {"s"}),
      make_node("gather", "Gather", {"s", "zero"}, {"n"}, {{"axis", int64_t{0}}}),
      make_node("unsqueeze", "Unsqueeze", {"n", "axes"}, {"n1"}),
      make_node("tail", "Constant", {}, {"t"}, {{"value", i64(tail)}}),
      make_node("concat", "Concat", {"n1", "t"}, {"target"}, {{"axis", int64_t{0}}}),
      make_node("reshape", "Reshape", {"x", "target"}, {"y"}),
  };
  return g;
}

ir::Tensor iota(ir::Shape shape) {
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

}  // namespace

TEST(FoldConstants, ConstantNodesAndConstantSubgraphsBecomeInitializers) {
  // c = Constant [1, 2, 3]; d = c + [10, 20, 30]; e = Relu(d - 25) = [0, 0, 8]; y = x * e.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {3})};
  g.outputs = {ir::make_value("y")};
  g.initializers["k"] = ir::Tensor::from_vector<float>({3}, {10, 20, 30});
  g.initializers["q"] = ir::Tensor::scalar(25.0f);
  g.nodes = {make_node("c", "Constant", {}, {"c"},
                       {{"value", ir::Tensor::from_vector<float>({3}, {1, 2, 3})}}),
             make_node("add", "Add", {"c", "k"}, {"d"}),
             make_node("sub", "Sub", {"d", "q"}, {"dq"}), make_node("relu", "Relu", {"dq"}, {"e"}),
             make_node("mul", "Mul", {"x", "e"}, {"y"})};
  EXPECT_TRUE(passes::fold_constants(g));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, "Mul");
  ASSERT_TRUE(g.is_initializer("e"));
  EXPECT_EQ(g.initializer("e")->to_float_vector(), (std::vector<float>{0, 0, 8}));
}

TEST(FoldConstants, StaticBatchReshapeChainDisappears) {
  ir::Graph g = reshape_chain_graph({2, 3, 2, 2}, {-1});
  EXPECT_TRUE(passes::fold_constants(g));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, "Reshape");
  const ir::Tensor* target = g.initializer(g.nodes[0].inputs[1]);
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->to_int64_vector(), (std::vector<int64_t>{2, -1}));
  ir::infer_shapes(g);
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{2, 12}));
  ir::Tensor x = iota({2, 3, 2, 2});
  ir::Tensor y = ref::run_graph(g, {{"x", x}}).at(0);
  EXPECT_EQ(y.shape(), (ir::Shape{2, 12}));
  EXPECT_EQ(y.to_float_vector(), x.to_float_vector());
}

TEST(FoldConstants, DynamicBatchReshapeChainBecomesFlatten) {
  for (std::vector<int64_t> tail : {std::vector<int64_t>{-1}, std::vector<int64_t>{12}}) {
    ir::Graph g = reshape_chain_graph({-1, 3, 2, 2}, tail);
    passes::optimize(g);
    ASSERT_EQ(g.nodes.size(), 1u) << test::describe(g);
    EXPECT_EQ(g.nodes[0].op, "Flatten");
    EXPECT_EQ(g.nodes[0].attr_int("axis"), 1);
    EXPECT_EQ(g.outputs[0].name, "y");
    EXPECT_EQ(g.outputs[0].shape, (ir::Shape{-1, 12}));
    EXPECT_TRUE(g.initializers.empty());  // the chain's constants are gone too
    for (int64_t batch : {1, 3}) {
      ir::Tensor x = iota({batch, 3, 2, 2});
      ir::Tensor y = ref::run_graph(g, {{"x", x}}).at(0);
      EXPECT_EQ(y.shape(), (ir::Shape{batch, 12}));
      EXPECT_EQ(y.to_float_vector(), x.to_float_vector());
    }
  }
}

TEST(FoldConstants, DynamicBatchSliceOfShapeChainBecomesFlatten) {
  // tf2onnx's form: Shape(x) -> Slice(starts 0, ends 1, axes 0) -> Concat([-1]) -> Reshape.
  ir::Graph g = reshape_chain_graph({-1, 3, 2, 2}, {-1});
  g.initializers["starts"] = i64({0});
  g.initializers["ends"] = i64({1});
  g.nodes[1] = make_node("slice", "Slice", {"s", "starts", "ends", "axes"}, {"n1"});
  g.nodes.erase(g.nodes.begin() + 2);  // the Unsqueeze: Slice already gives a 1-D tensor
  passes::optimize(g);
  ASSERT_EQ(g.nodes.size(), 1u) << test::describe(g);
  EXPECT_EQ(g.nodes[0].op, "Flatten");
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{-1, 12}));
  for (int64_t batch : {1, 3}) {
    ir::Tensor x = iota({batch, 3, 2, 2});
    ir::Tensor y = ref::run_graph(g, {{"x", x}}).at(0);
    EXPECT_EQ(y.shape(), (ir::Shape{batch, 12}));
    EXPECT_EQ(y.to_float_vector(), x.to_float_vector());
  }
}

TEST(FoldConstants, DynamicBatchSliceBeyondTheBatchIsLeftDynamic) {
  // Slice(Shape(x), 0, 2) of x [N, 3, ...] is [N, 3]: then Concat([-1]) -> [N, 3, -1] keeps a
  // Reshape with the constant target [0, 3, -1]; a Slice with step 2 is not read at all.
  ir::Graph g = reshape_chain_graph({-1, 3, 2, 2}, {-1});
  g.initializers["starts"] = i64({0});
  g.initializers["ends"] = i64({2});
  g.nodes[1] = make_node("slice", "Slice", {"s", "starts", "ends"}, {"n1"});
  g.nodes.erase(g.nodes.begin() + 2);
  ir::Graph stepped = g;
  passes::optimize(g);
  ASSERT_EQ(g.nodes.size(), 1u) << test::describe(g);
  EXPECT_EQ(g.initializer(g.nodes[0].inputs[1])->to_int64_vector(), (std::vector<int64_t>{0, 3, -1}));
  stepped.initializers["axes"] = i64({0});
  stepped.initializers["steps"] = i64({2});
  stepped.nodes[1].inputs = {"s", "starts", "ends", "axes", "steps"};
  passes::optimize(stepped);
  EXPECT_EQ(count_ops(stepped, "Slice"), 1) << test::describe(stepped);
}

TEST(FoldConstants, DynamicBatchReshapeToHigherRankKeepsReshape) {
  // x.view(x.size(0), 3, -1): the target becomes the constant [0, 3, -1] (0 copies the batch).
  ir::Graph g = reshape_chain_graph({-1, 3, 2, 2}, {3, -1});
  passes::optimize(g);
  ASSERT_EQ(g.nodes.size(), 1u) << test::describe(g);
  EXPECT_EQ(g.nodes[0].op, "Reshape");
  EXPECT_EQ(g.initializer(g.nodes[0].inputs[1])->to_int64_vector(),
            (std::vector<int64_t>{0, 3, -1}));
  for (int64_t batch : {1, 3}) {
    ir::Tensor x = iota({batch, 3, 2, 2});
    ir::Tensor y = ref::run_graph(g, {{"x", x}}).at(0);
    EXPECT_EQ(y.shape(), (ir::Shape{batch, 3, 4}));
    EXPECT_EQ(y.to_float_vector(), x.to_float_vector());
  }
}

TEST(FoldConstants, DynamicShapeOfAnotherValueIsLeftAlone) {
  // The batch comes from z, not from the reshaped x: nothing proves they agree.
  ir::Graph g = reshape_chain_graph({-1, 3, 2, 2}, {-1});
  g.inputs.push_back(ir::make_value("z", ir::DType::Float32, {-1, 5}));
  g.nodes[0].inputs[0] = "z";
  g.initializers["t"] = i64({-1});  // the tail as an initializer: nothing else to fold
  g.nodes.erase(g.nodes.begin() + 3);
  std::string before = test::describe(g);
  EXPECT_FALSE(passes::fold_constants(g));
  EXPECT_EQ(test::describe(g), before);
}

TEST(FoldConstants, PartlyKnownShapeSliceFolds) {
  // Shape(x, start=1) of x [N, 3, 4, 5] is the constant [3, 4, 5] even with a dynamic batch.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 3, 4, 5})};
  g.outputs = {ir::make_value("s")};
  g.nodes = {make_node("shape", "Shape", {"x"}, {"s"}, {{"start", int64_t{1}}})};
  EXPECT_TRUE(passes::fold_constants(g));
  EXPECT_TRUE(g.nodes.empty());
  EXPECT_EQ(g.initializer("s")->to_int64_vector(), (std::vector<int64_t>{3, 4, 5}));
}

TEST(FoldConstants, QuantizeAndDequantizeAreNeverFolded) {
  // Weight QDQ pair feeding a Conv, and a DequantizeLinear of an int8 initializer feeding a Gemm.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2, 3, 3}),
              ir::make_value("v", ir::DType::Float32, {1, 2})};
  g.outputs = {ir::make_value("y"), ir::make_value("z")};
  g.initializers["w"] = ir::Tensor::from_vector<float>({2, 2, 1, 1}, {0.1f, -0.2f, 0.3f, 0.4f});
  g.initializers["scale"] = ir::Tensor::scalar(0.01f);
  g.initializers["zero"] = ir::Tensor::scalar(int8_t{0});
  g.initializers["gq"] = ir::Tensor::from_vector<int8_t>({2, 2}, {1, 2, 3, 4});
  g.nodes = {make_node("q", "QuantizeLinear", {"w", "scale", "zero"}, {"wq"}),
             make_node("dq", "DequantizeLinear", {"wq", "scale", "zero"}, {"wdq"}),
             make_node("conv", "Conv", {"x", "wdq"}, {"y"}),
             make_node("gdq", "DequantizeLinear", {"gq", "scale", "zero"}, {"gw"}),
             make_node("gemm", "Gemm", {"v", "gw"}, {"z"})};
  std::string before = test::describe(g);
  EXPECT_FALSE(passes::fold_constants(g));
  EXPECT_EQ(test::describe(g), before);
}

TEST(FoldConstants, UnmatchedGraphIsUnchanged) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 4})};
  g.outputs = {ir::make_value("y")};
  g.initializers["w"] = ir::Tensor::from_vector<float>({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  g.nodes = {make_node("gemm", "Gemm", {"x", "w"}, {"h"}), make_node("relu", "Relu", {"h"}, {"y"})};
  std::string before = test::describe(g);
  EXPECT_FALSE(passes::fold_constants(g));
  EXPECT_FALSE(passes::remove_identity(g));
  EXPECT_FALSE(passes::fold_batch_norm(g));
  EXPECT_FALSE(passes::eliminate_dead_code(g));
  EXPECT_EQ(test::describe(g), before);
  EXPECT_TRUE(g.value_info.empty());  // no inference results were left behind either
}
