// Each op and fused pattern through Session against ref::run_graph (the oracle), on odd shapes:
// 7x7 and 13x9 spatial sizes, channels that are not multiples of 16, batch 3.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {
constexpr double kTol = 1e-4;

std::string plan_of(const ir::Graph& g, const std::vector<ir::Shape>& shapes) {
  runtime::Session s(g);
  compare_with_ref(g, s, shapes);
  return s.describe_plan();
}
}  // namespace

TEST(RuntimeOps, ConvPlainOddChannels) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {3, 5, 7, 7}), 5, 19, 3, {{"pads", Ints{1, 1, 1, 1}}});
  m.output(y);
  EXPECT_LT(compare_with_ref(m.g, {{3, 5, 7, 7}}), kTol);
}

TEST(RuntimeOps, ConvAsymmetricPadsStridesDilations) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {3, 6, 13, 9}), 6, 10, 3,
                  {{"pads", Ints{0, 1, 2, 0}}, {"strides", Ints{2, 1}}, {"dilations", Ints{2, 2}}});
  m.output(y);
  EXPECT_LT(compare_with_ref(m.g, {{3, 6, 13, 9}}), kTol);
}

TEST(RuntimeOps, ConvAutoPadSameUpperNoBias) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {2, 4, 13, 9}), 4, 7, 3,
                  {{"auto_pad", std::string("SAME_UPPER")}, {"strides", Ints{2, 2}}}, false);
  m.output(y);
  EXPECT_LT(compare_with_ref(m.g, {{2, 4, 13, 9}}), kTol);
}

TEST(RuntimeOps, DepthwiseStride2) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {3, 24, 13, 9}), 24, 24, 3,
                  {{"group", int64_t{24}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  m.output(y);
  EXPECT_LT(compare_with_ref(m.g, {{3, 24, 13, 9}}), kTol);
}

TEST(RuntimeOps, GroupedConv) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {3, 12, 7, 7}), 12, 18, 3, {{"group", int64_t{3}}});
  m.output(y);
  EXPECT_LT(compare_with_ref(m.g, {{3, 12, 7, 7}}), kTol);
}

TEST(RuntimeOps, ConvActivationsFused) {
  for (std::string act : {"Relu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid"}) {
    GraphMaker m;
    auto y = m.conv(m.input("x", {3, 5, 13, 9}), 5, 20, 3, {{"pads", Ints{1, 1, 1, 1}}});
    if (act == "Clip") {
      y = m.node("Clip",
                 {y, m.constant(ir::Tensor::scalar(0.f)), m.constant(ir::Tensor::scalar(6.f))});
    } else if (act == "HardSigmoid") {
      y = m.node(act, {y}, {{"alpha", 0.25f}, {"beta", 0.4f}});
    } else {
      y = m.node(act, {y});
    }
    m.output(y);
    std::string plan = plan_of(m.g, {{3, 5, 13, 9}});
    EXPECT_NE(plan.find("Conv+" + act), std::string::npos) << act << "\n" << plan;
    EXPECT_LT(compare_with_ref(m.g, {{3, 5, 13, 9}}), kTol) << act;
  }
}

TEST(RuntimeOps, StandaloneActivations) {
  for (std::string act : {"Relu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid"}) {
    GraphMaker m;
    auto x = m.input("x", {3, 5, 7, 9});
    std::string y = act == "Clip" ? m.node("Clip", {x, m.constant(ir::Tensor::scalar(-0.3f)),
                                                    m.constant(ir::Tensor::scalar(0.5f))})
                                  : m.node(act, {x});
    m.output(y);
    EXPECT_LT(compare_with_ref(m.g, {{3, 5, 7, 9}}), kTol) << act;
  }
}

TEST(RuntimeOps, ResidualAddFusedAsSum) {
  GraphMaker m;
  auto x = m.conv(m.input("x", {3, 8, 13, 9}), 8, 20, 3, {{"pads", Ints{1, 1, 1, 1}}});
  x = m.node("Relu", {x});
  auto h = m.node("Relu", {m.conv(x, 20, 20, 3, {{"pads", Ints{1, 1, 1, 1}}})});
  auto h2 = m.conv(h, 20, 20, 1);
  auto y = m.node("Relu", {m.node("Add", {h2, x})});
  m.output(y);
  std::string plan = plan_of(m.g, {{3, 8, 13, 9}});
  EXPECT_NE(plan.find("Conv+Add+Relu"), std::string::npos) << plan;
  EXPECT_NE(plan.find("in place of"), std::string::npos) << plan;
  EXPECT_LT(compare_with_ref(m.g, {{3, 8, 13, 9}}), kTol);
}

TEST(RuntimeOps, ResidualAddWithProjectionShortcut) {
  // Downsampling block: the shortcut conv comes after the main path, so the sum is fused there.
  GraphMaker m;
  auto x = m.input("x", {2, 10, 13, 9});
  auto a =
      m.node("Relu", {m.conv(x, 10, 12, 3, {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}})});
  auto b = m.conv(a, 12, 24, 1);
  auto s = m.conv(x, 10, 24, 1, {{"strides", Ints{2, 2}}});
  m.output(m.node("Relu", {m.node("Add", {b, s})}));
  std::string plan = plan_of(m.g, {{2, 10, 13, 9}});
  EXPECT_NE(plan.find("Conv+Add+Relu"), std::string::npos) << plan;
  EXPECT_LT(compare_with_ref(m.g, {{2, 10, 13, 9}}), kTol);
}

TEST(RuntimeOps, SqueezeExcite) {
  GraphMaker m;
  auto x = m.input("x", {3, 40, 7, 7});
  auto h = m.node("HardSwish",
                  {m.conv(x, 40, 40, 3, {{"group", int64_t{40}}, {"pads", Ints{1, 1, 1, 1}}})});
  auto p = m.node("GlobalAveragePool", {h});
  auto r = m.node("Relu", {m.conv(p, 40, 12, 1)});
  auto se = m.node("HardSigmoid", {m.conv(r, 12, 40, 1)}, {{"alpha", 1.f / 6}, {"beta", 0.5f}});
  m.output(m.node("Mul", {h, se}));
  std::string plan = plan_of(m.g, {{3, 40, 7, 7}});
  // Only the graph input may be reordered (at the edge); the SE branch keeps the block's layout.
  EXPECT_EQ(plan.find("reorder", plan.find('\n')), std::string::npos) << plan;
  EXPECT_LT(compare_with_ref(m.g, {{3, 40, 7, 7}}), kTol);
}

TEST(RuntimeOps, ClassifierTail) {
  GraphMaker m;
  auto h = m.node("Relu", {m.conv(m.input("x", {3, 6, 7, 7}), 6, 36, 3)});
  auto f = m.node("Flatten", {m.node("GlobalAveragePool", {h})}, {{"axis", int64_t{1}}});
  auto logits =
      m.node("Gemm", {f, m.constant({11, 36}), m.constant({11})}, {{"transB", int64_t{1}}});
  m.output(m.node("Softmax", {logits}, {{"axis", int64_t{1}}}));
  std::string plan = plan_of(m.g, {{3, 6, 7, 7}});
  EXPECT_EQ(plan.find("Flatten"), std::string::npos) << plan;
  EXPECT_LT(compare_with_ref(m.g, {{3, 6, 7, 7}}), kTol);
}

TEST(RuntimeOps, GemmForms) {
  // No transB, alpha and beta; and transA (a reference step).
  for (int trans_a = 0; trans_a < 2; ++trans_a) {
    GraphMaker m;
    auto x = m.input("x", trans_a ? ir::Shape{9, 3} : ir::Shape{3, 9});
    auto y = m.node("Gemm", {x, m.constant({9, 5}), m.constant({1, 5})},
                    {{"alpha", 0.5f}, {"beta", 2.f}, {"transA", int64_t{trans_a}}});
    m.output(m.node("Relu", {y}));
    EXPECT_LT(compare_with_ref(m.g, {trans_a ? ir::Shape{9, 3} : ir::Shape{3, 9}}), kTol);
  }
}

TEST(RuntimeOps, MatMulBroadcast) {
  GraphMaker m;
  auto x = m.input("x", {3, 4, 5});
  auto y = m.input("y", {5, 6});
  m.output(m.node("MatMul", {x, y}));
  m.output(m.node("MatMul", {x, m.constant({5, 2})}));
  EXPECT_LT(compare_with_ref(m.g, {{3, 4, 5}, {5, 6}}), kTol);
}

TEST(RuntimeOps, Pools) {
  GraphMaker m;
  auto x = m.conv(m.input("x", {3, 5, 13, 9}), 5, 17, 1);
  m.output(
      m.node("MaxPool", {x},
             {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}));
  m.output(
      m.node("AveragePool", {x},
             {{"kernel_shape", Ints{3, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}}));
  m.output(m.node("AveragePool", {x},
                  {{"kernel_shape", Ints{3, 3}},
                   {"pads", Ints{1, 0, 1, 2}},
                   {"count_include_pad", int64_t{1}}}));
  m.output(m.node("GlobalAveragePool", {x}));
  EXPECT_LT(compare_with_ref(m.g, {{3, 5, 13, 9}}), kTol);
}

TEST(RuntimeOps, BinaryBroadcast) {
  GraphMaker m;
  auto x = m.conv(m.input("x", {3, 5, 7, 9}), 5, 18, 1);
  auto z = m.input("z", {3, 18, 7, 9});
  m.output(m.node("Add", {x, m.constant({1, 18, 1, 1})}));
  m.output(m.node("Mul", {m.constant(ir::Tensor::scalar(1.5f)), x}));
  m.output(m.node("Sub", {m.constant({18, 1, 1}), x}));  // broadcast first operand: reference
  m.output(m.node("Div", {x, m.node("Add", {z, m.constant(ir::Tensor::scalar(3.f))})}));
  m.output(m.node("Sub", {x, z}));
  EXPECT_LT(compare_with_ref(m.g, {{3, 5, 7, 9}, {3, 18, 7, 9}}), kTol);
}

TEST(RuntimeOps, ConcatOfBlockedTensors) {
  GraphMaker m;
  auto x = m.input("x", {3, 6, 7, 7});
  auto a = m.conv(x, 6, 5, 1);
  auto b = m.conv(x, 6, 7, 3, {{"pads", Ints{1, 1, 1, 1}}});
  m.output(m.node("Relu", {m.node("Concat", {a, b, x}, {{"axis", int64_t{1}}})}));
  EXPECT_LT(compare_with_ref(m.g, {{3, 6, 7, 7}}), kTol);
}

TEST(RuntimeOps, ViewsOfBlockedTensors) {
  GraphMaker m;
  auto x = m.conv(m.input("x", {3, 6, 7, 7}), 6, 8, 3);  // [3, 8, 5, 5]
  auto r = m.node("Reshape", {x, m.constant(ir::Tensor::from_vector<int64_t>({2}, {3, -1}))});
  auto u = m.node("Unsqueeze", {r, m.constant(ir::Tensor::from_vector<int64_t>({1}, {1}))});
  auto s = m.node("Squeeze", {u, m.constant(ir::Tensor::from_vector<int64_t>({1}, {1}))});
  m.output(m.node("Gemm", {s, m.constant({200, 4}), m.constant({4})}));
  m.output(m.node("Flatten", {x}, {{"axis", int64_t{2}}}));
  EXPECT_LT(compare_with_ref(m.g, {{3, 6, 7, 7}}), kTol);
}

TEST(RuntimeOps, ReferenceFallbackInsideTheGraph) {
  // Clip with a runtime bound has no oneDNN form: it runs as a reference step between primitives.
  GraphMaker m;
  auto x = m.conv(m.input("x", {3, 6, 7, 7}), 6, 17, 3);
  auto lo = m.node(
      "Relu",
      {m.node("Sub", {m.constant(ir::Tensor::scalar(0.f)), m.node("Relu", {m.input("lo", {1})})})});
  auto c = m.node("Clip", {x, m.node("Sub", {m.constant(ir::Tensor::scalar(0.f)), lo})});
  m.output(m.conv(c, 17, 9, 1));
  EXPECT_LT(compare_with_ref(m.g, {{3, 6, 7, 7}, {1}}), kTol);
}
