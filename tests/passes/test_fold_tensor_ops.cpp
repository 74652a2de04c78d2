// Constant folding through the tensor-family ops: the Shape -> Gather -> Concat ->
// ConstantOfShape -> Cast and Shape -> Slice -> Expand/Tile chains exporters write fold into
// initializers with the values worked by hand.
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::i64;
using qcv::test::make_node;

TEST(FoldTensorOps, ConstantOfShapeCastChainFolds) {
  // x [2, 3, 5]: zeros = ConstantOfShape(Concat(Gather(Shape(x), 2), [4])) of int32 7 -> [5, 4],
  // Cast to float, y = x + Expand(Slice(zeros, [0], [1]) ...) is enough to keep it read.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3, 5})};
  g.outputs = {ir::make_value("y")};
  g.initializers["two"] = i64({2});
  g.initializers["four"] = i64({4});
  g.initializers["s0"] = i64({0});
  g.initializers["e1"] = i64({1});
  g.initializers["shape5"] = i64({2, 3, 5});
  g.nodes = {
      make_node("shape", "Shape", {"x"}, {"s"}),
      make_node("gather", "Gather", {"s", "two"}, {"n"}, {{"axis", int64_t{0}}}),
      make_node("concat", "Concat", {"n", "four"}, {"target"}, {{"axis", int64_t{0}}}),
      make_node("cos", "ConstantOfShape", {"target"}, {"c"},
                {{"value", ir::Tensor::from_vector<int32_t>({1}, {7})}}),
      make_node("cast", "Cast", {"c"}, {"cf"}, {{"to", int64_t{1}}}),
      make_node("slice", "Slice", {"cf", "s0", "e1"}, {"row"}),    // [1, 4]
      make_node("t", "Transpose", {"row"}, {"col"}),               // [4, 1]
      make_node("slice2", "Slice", {"col", "s0", "e1"}, {"one"}),  // [1, 1]
      make_node("expand", "Expand", {"one", "shape5"}, {"big"}),   // [2, 3, 5] of 7
      make_node("add", "Add", {"x", "big"}, {"y"}),
  };
  ir::infer_shapes(g);
  EXPECT_TRUE(passes::fold_constants(g));
  passes::eliminate_dead_code(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, "Add");
  const ir::Tensor* big = g.initializer(g.nodes[0].inputs[1]);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->shape(), (ir::Shape{2, 3, 5}));
  EXPECT_EQ(big->dtype(), ir::DType::Float32);
  for (float v : big->to_float_vector()) EXPECT_EQ(v, 7.0f);
}

TEST(FoldTensorOps, RangeTileSplitFold) {
  // Range(0, 6, 2) = [0, 2, 4]; Tile x2 = [0,2,4,0,2,4]; Split [1, 5] -> second = [2,4,0,2,4].
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Int64, {5})};
  g.outputs = {ir::make_value("y")};
  g.initializers["a"] = ir::Tensor::scalar<int64_t>(0);
  g.initializers["b"] = ir::Tensor::scalar<int64_t>(6);
  g.initializers["d"] = ir::Tensor::scalar<int64_t>(2);
  g.initializers["reps"] = i64({2});
  g.initializers["split"] = i64({1, 5});
  ir::Node split =
      make_node("split", "Split", {"t", "split"}, {"p0", "p1"}, {{"axis", int64_t{0}}});
  g.nodes = {
      make_node("range", "Range", {"a", "b", "d"}, {"r"}),
      make_node("tile", "Tile", {"r", "reps"}, {"t"}),
      split,
      make_node("add", "Add", {"x", "p1"}, {"y"}),
  };
  ir::infer_shapes(g);
  EXPECT_EQ(g.value_type("p1")->shape, (ir::Shape{5}));
  EXPECT_TRUE(passes::fold_constants(g));
  passes::eliminate_dead_code(g);
  ASSERT_EQ(count_ops(g, "Add"), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.initializer("p1")->to_int64_vector(), (std::vector<int64_t>{2, 4, 0, 2, 4}));
}
