#include <gtest/gtest.h>

#include "graph_builder.h"
#include "passes/passes.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::make_node;

namespace {

// x -> Relu -> a -> Identity -> b -> Dropout -> c -> Relu -> y
ir::Graph chain_graph() {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 4})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("r1", "Relu", {"x"}, {"a"}), make_node("id", "Identity", {"a"}, {"b"}),
             make_node("drop", "Dropout", {"b"}, {"c"}), make_node("r2", "Relu", {"c"}, {"y"})};
  return g;
}

}  // namespace

TEST(RemoveIdentity, RewiresReadersToTheInput) {
  ir::Graph g = chain_graph();
  EXPECT_TRUE(passes::remove_identity(g));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].outputs[0], "a");
  EXPECT_EQ(g.nodes[1].inputs[0], "a");
  EXPECT_EQ(g.nodes[1].outputs[0], "y");
  EXPECT_NO_THROW(ir::infer_shapes(g));
}

TEST(RemoveIdentity, KeepsGraphOutputNameByRenamingTheProducer) {
  // x -> Relu -> a -> Identity -> y (graph output); a also read by another Relu -> z.
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3})};
  g.outputs = {ir::make_value("y"), ir::make_value("z")};
  g.nodes = {make_node("r1", "Relu", {"x"}, {"a"}), make_node("id", "Identity", {"a"}, {"y"}),
             make_node("r2", "Relu", {"a"}, {"z"})};
  EXPECT_TRUE(passes::remove_identity(g));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].outputs[0], "y");  // the producer now writes the graph output
  EXPECT_EQ(g.nodes[1].inputs[0], "y");   // and other readers follow the rename
  EXPECT_EQ(g.outputs[0].name, "y");
  EXPECT_NO_THROW(ir::infer_shapes(g));
}

TEST(RemoveIdentity, LeavesIdentityFromGraphInputToGraphOutput) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("id", "Identity", {"x"}, {"y"})};
  EXPECT_FALSE(passes::remove_identity(g));
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(RemoveIdentity, KeepsDropoutWhoseMaskIsRead) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y"), ir::make_value("mask")};
  g.nodes = {make_node("r", "Relu", {"x"}, {"a"}), make_node("d", "Dropout", {"a"}, {"y", "mask"})};
  EXPECT_FALSE(passes::remove_identity(g));
  EXPECT_EQ(count_ops(g, "Dropout"), 1);
}

TEST(RemoveIdentity, RemovesDropoutWithUnreadMaskAndKeepsTrainingModeDropout) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y"), ir::make_value("z")};
  g.initializers["ratio"] = ir::Tensor::scalar(0.5f);
  g.initializers["train"] = ir::Tensor::scalar(true);
  g.nodes = {make_node("r", "Relu", {"x"}, {"a"}),
             make_node("d", "Dropout", {"a", "ratio"}, {"b", "unused_mask"}),
             make_node("r2", "Relu", {"b"}, {"y"}),
             make_node("d_train", "Dropout", {"a", "ratio", "train"}, {"z"})};
  EXPECT_TRUE(passes::remove_identity(g));
  ASSERT_EQ(count_ops(g, "Dropout"), 1);
  EXPECT_EQ(g.nodes[g.find_node("d_train")].inputs[0], "a");
  EXPECT_EQ(g.nodes[g.find_node("r2")].inputs[0], "a");
}

TEST(RemoveIdentity, UnmatchedGraphIsUnchanged) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("r", "Relu", {"x"}, {"y"})};
  EXPECT_FALSE(passes::remove_identity(g));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].inputs[0], "x");
  EXPECT_EQ(g.nodes[0].outputs[0], "y");
}
