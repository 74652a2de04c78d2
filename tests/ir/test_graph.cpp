#include <gtest/gtest.h>

#include "ir/ir.h"

using namespace qcv::ir;

namespace {
Value input(const std::string& name, Shape shape) {
  Value v;
  v.name = name;
  v.dtype = DType::Float32;
  v.shape = std::move(shape);
  v.has_shape = true;
  return v;
}
Node node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = std::move(name);
  n.op = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}
}  // namespace

TEST(Graph, SortOrdersNodesTopologically) {
  Graph g;
  g.inputs = {input("x", {1, 4})};
  g.outputs = {make_value("z")};
  g.nodes = {node("second", "Relu", {"y"}, {"z"}), node("first", "Relu", {"x"}, {"y"})};
  g.sort();
  EXPECT_EQ(g.nodes[0].name, "first");
  EXPECT_EQ(g.nodes[1].name, "second");
}

TEST(Graph, CycleIsReportedWithNodeName) {
  Graph g;
  g.inputs = {input("x", {1})};
  g.nodes = {node("a", "Add", {"x", "b_out"}, {"a_out"}), node("b", "Relu", {"a_out"}, {"b_out"})};
  try {
    g.sort();
    FAIL() << "expected a cycle error";
  } catch (const qcv::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cycle"), std::string::npos) << e.what();
  }
}

TEST(Graph, DanglingInputIsReported) {
  Graph g;
  g.inputs = {input("x", {1})};
  g.nodes = {node("r", "Relu", {"nowhere"}, {"y"})};
  EXPECT_THROW(g.sort(), qcv::Error);
}

TEST(Validate, UnknownOpAndWrongArity) {
  Graph g;
  g.inputs = {input("x", {1})};
  g.outputs = {make_value("y")};
  g.nodes = {node("n", "FancyOp", {"x"}, {"y"})};
  EXPECT_THROW(validate(g), qcv::Error);
  g.nodes = {node("n", "Add", {"x"}, {"y"})};
  EXPECT_THROW(validate(g), qcv::Error);
}

TEST(Graph, UniqueNameAvoidsCollisions) {
  Graph g;
  g.inputs = {input("x", {1})};
  g.initializers["x_1"] = Tensor::scalar(1.0f);
  EXPECT_EQ(g.unique_name("y"), "y");
  EXPECT_EQ(g.unique_name("x"), "x_2");
}

TEST(Graph, NameGeneratorReservesWhatItIssues) {
  Graph g;
  g.inputs = {input("x", {1})};
  g.initializers["x_2"] = Tensor::scalar(1.0f);
  g.nodes = {node("relu", "Relu", {"x"}, {"y"})};
  NameGenerator names(g);
  // Names already in the graph (input, initializer, node, node output) are skipped; each name
  // issued is taken, so a prefix asked for again gets the next free suffix.
  EXPECT_EQ(names("x"), "x_1");
  EXPECT_EQ(names("x"), "x_3");
  EXPECT_EQ(names("relu"), "relu_1");
  EXPECT_EQ(names("y"), "y_1");
  EXPECT_EQ(names("z"), "z");
  names.reserve("w");
  EXPECT_EQ(names("w"), "w_1");
  EXPECT_EQ(names("z"), "z_1");
}

TEST(Tensor, FromVectorAndReshape) {
  Tensor t = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  Tensor r = t.reshaped({3, 2});
  EXPECT_EQ(r.data<float>()[5], 6.0f);
  EXPECT_THROW(t.reshaped({4}), qcv::Error);
  EXPECT_THROW(t.data<int8_t>(), qcv::Error);
}
