// A 10,000-node graph compiles and runs (planning was cubic in the number of nodes: minutes at
// this size, so a regression times out in CTest), and its numbers match a hand-computed result.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {
// `cycles` times: Add(+2) -> Relu -> Add(-2) -> Mul(-1), then Mul(3). For x in [-1, 1] the Relu
// sees x + 2 >= 1 and passes it, so each cycle maps x to -x: the result is 3 * (-1)^cycles * x.
// Every step is an in-place candidate, which made one alias chain as long as the graph.
ir::Graph chain(int cycles) {
  GraphMaker m;
  std::string h = m.input("x", {1, 4, 5, 3});
  const std::string two = m.constant(ir::Tensor::scalar<float>(2.f));
  const std::string minus_two = m.constant(ir::Tensor::scalar<float>(-2.f));
  const std::string minus_one = m.constant(ir::Tensor::scalar<float>(-1.f));
  for (int c = 0; c < cycles; ++c) {
    h = m.node("Add", {h, two});
    h = m.node("Relu", {h});
    h = m.node("Add", {h, minus_two});
    h = m.node("Mul", {h, minus_one});
  }
  m.output(m.node("Mul", {h, m.constant(ir::Tensor::scalar<float>(3.f))}));
  return m.g;
}
}  // namespace

TEST(RuntimeBigGraph, TenThousandNodeChainRunsWithHandComputedResult) {
  for (int cycles : {2500, 2499}) {  // 10,001 and 9,997 nodes: +3x and -3x
    ir::Graph g = chain(cycles);
    ASSERT_GE(g.nodes.size(), 9997u);
    runtime::Session s(g, {1, true});
    ir::Tensor x = random_tensor({1, 4, 5, 3}, 7);
    ir::Tensor y = s.run({{"x", x}}).at(0);
    ASSERT_EQ(y.shape(), x.shape());
    const float sign = cycles % 2 == 0 ? 1.f : -1.f;
    for (int64_t i = 0; i < x.numel(); ++i)
      // x + 2 - 2 rounds x to a multiple of 2^-22 once; nothing else is inexact.
      ASSERT_NEAR(y.data<float>()[i], 3.f * sign * x.data<float>()[i], 1e-6f) << "element " << i;
  }
}

TEST(RuntimeBigGraph, WideGraphOfThousandsOfBranches) {
  // 3,000 branches x + k (k = 0..2999) joined by a chain of Max: the result is x + 2999.
  GraphMaker m;
  std::string x = m.input("x", {1, 2, 3, 3});
  std::string acc;
  for (int k = 0; k < 3000; ++k) {
    // Named directly: GraphMaker::constant's fresh-name search scans the whole graph.
    const std::string c = "k" + std::to_string(k);
    m.g.initializers[c] = ir::Tensor::scalar<float>(static_cast<float>(k));
    std::string b = m.node("Add", {x, c});
    acc = acc.empty() ? b : m.node("Max", {acc, b});
  }
  m.output(acc);
  runtime::Session s(m.g, {1, true});
  ir::Tensor in = random_tensor({1, 2, 3, 3}, 3);
  ir::Tensor y = s.run({{"x", in}}).at(0);
  for (int64_t i = 0; i < in.numel(); ++i)
    ASSERT_NEAR(y.data<float>()[i], in.data<float>()[i] + 2999.f, 1e-3f) << "element " << i;
}
