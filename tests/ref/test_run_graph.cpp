// run_graph: a small hand-checked network, and the feed checks (each error names the input).
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;

// x [N,1,2,2] -> Conv 1x1 (weight 2, bias -3) -> Relu -> GlobalAveragePool -> Flatten -> Gemm
// (weight [[1, -1]]^T as B [1,2], bias [0.5, 0]) -> y [N,2].
ir::Graph tiny_net() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 1, 2, 2}));
  g.initializers["w"] = Tensor::from_vector<float>({1, 1, 1, 1}, {2});
  g.initializers["b"] = Tensor::from_vector<float>({1}, {-3});
  g.initializers["fc_w"] = Tensor::from_vector<float>({1, 2}, {1, -1});
  g.initializers["fc_b"] = Tensor::from_vector<float>({2}, {0.5f, 0});
  auto node = [&](std::string op, std::vector<std::string> in, std::string out) {
    ir::Node n;
    n.name = op + "_" + out;
    n.op = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    g.nodes.push_back(n);
  };
  node("Conv", {"x", "w", "b"}, "c");
  node("Relu", {"c"}, "r");
  node("GlobalAveragePool", {"r"}, "p");
  node("Flatten", {"p"}, "f");
  node("Gemm", {"f", "fc_w", "fc_b"}, "y");
  g.outputs.push_back(ir::make_value("y"));
  return g;
}

TEST(RefRunGraph, TinyNetworkByHand) {
  // Sample 0: x = [1,2,3,4] -> 2x-3 = [-1,1,3,5] -> relu [0,1,3,5] -> mean 2.25 -> [2.75,-2.25]
  // Sample 1: x = 0 -> all -3 -> relu 0 -> [0.5, 0].
  Tensor x = Tensor::from_vector<float>({2, 1, 2, 2}, {1, 2, 3, 4, 0, 0, 0, 0});
  auto out = run_graph(tiny_net(), {{"x", x}});
  ASSERT_EQ(out.size(), 1u);
  expect_floats(out[0], {2, 2}, {2.75f, -2.25f, 0.5f, 0});
}

void expect_error_mentions(const ir::Graph& g, const std::map<std::string, Tensor>& feeds,
                           const std::string& needle) {
  try {
    run_graph(g, feeds);
    FAIL() << "expected qcv::Error mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(RefRunGraph, FeedChecksNameTheInput) {
  ir::Graph g = tiny_net();
  Tensor good(ir::DType::Float32, {1, 1, 2, 2});
  expect_error_mentions(g, {}, "'x'");                                               // missing
  expect_error_mentions(g, {{"x", good}, {"extra", good}}, "'extra'");               // unknown
  expect_error_mentions(g, {{"x", Tensor(ir::DType::Int32, {1, 1, 2, 2})}}, "int");  // dtype
  expect_error_mentions(g, {{"x", Tensor(ir::DType::Float32, {1, 2, 2})}}, "rank");  // rank
  expect_error_mentions(g, {{"x", Tensor(ir::DType::Float32, {1, 1, 3, 2})}}, "dimension 2");
  // The unknown batch dimension accepts any size.
  EXPECT_NO_THROW(run_graph(g, {{"x", Tensor(ir::DType::Float32, {3, 1, 2, 2})}}));
}

TEST(RefRunGraph, OutputsDoNotAliasInputsOrInitializers) {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2}));
  g.outputs.push_back(ir::make_value("x"));
  Tensor x = Tensor::from_vector<float>({2}, {1, 2});
  auto out = run_graph(g, {{"x", x}});
  out[0].data<float>()[0] = 42;
  EXPECT_EQ(x.data<float>()[0], 1.0f);
}

TEST(RefRunGraph, MissingProducerIsReported) {
  ir::Graph g = tiny_net();
  g.nodes.erase(g.nodes.begin());  // nothing produces "c" any more
  expect_error_mentions(g, {{"x", Tensor(ir::DType::Float32, {1, 1, 2, 2})}}, "'c'");
}

}  // namespace
}  // namespace qcv::ref::test
