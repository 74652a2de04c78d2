// Cross-layer equalization against hand-computed ranges, with the reference interpreter on the
// unequalized graph as the truth for "the FP32 function is unchanged".
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/quant.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv {
namespace {

using test::node;

const std::map<std::string, ir::Attribute> kConv3x3 = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                                       {"pads", std::vector<int64_t>{1, 1, 1, 1}}};

// Random values in [-0.5, 0.5] per block of `inner` elements, one element of block b set to
// range[b] so that its abs-max is exactly range[b].
void set_block_ranges(ir::Tensor& t, const std::vector<float>& range, int64_t inner,
                      std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = u(rng) * range[(i / inner) % range.size()];
  for (size_t b = 0; b < range.size(); ++b)
    t.data<float>()[b * inner] = b % 2 ? range[b] : -range[b];
}

// Abs-max of output channel c (row c) of a conv weight.
float row_range(const ir::Tensor& w, int64_t c) {
  const int64_t inner = w.numel() / w.dim(0);
  float r = 0;
  for (int64_t j = 0; j < inner; ++j) r = std::max(r, std::fabs(w.data<float>()[c * inner + j]));
  return r;
}

// Abs-max of input channel c of a group-1 conv weight [M, C, k, k].
float column_range(const ir::Tensor& w, int64_t c) {
  const int64_t in = w.dim(1), inner = w.numel() / (w.dim(0) * in);
  float r = 0;
  for (int64_t o = 0; o < w.dim(0); ++o)
    for (int64_t j = 0; j < inner; ++j)
      r = std::max(r, std::fabs(w.data<float>()[(o * in + c) * inner + j]));
  return r;
}

ir::Tensor random_input(ir::Shape shape, float amplitude, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-amplitude, amplitude);
  ir::Tensor x(ir::DType::Float32, shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
  return x;
}

void expect_close(const ir::Tensor& got, const ir::Tensor& want, float tol) {
  ASSERT_EQ(got.shape(), want.shape());
  float scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i)
    scale = std::max(scale, std::fabs(want.data<float>()[i]));
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], tol * scale) << "element " << i;
}

const ir::Tensor& weight_of(const ir::Graph& g, const std::string& node_name) {
  return *g.initializer(g.nodes[g.find_node(node_name)].inputs[1]);
}

// x[2,3,6,6] -> c1 Conv3x3 [4,3] -> Relu -> c2 Conv1x1 [2,4] -> y, with per-channel ranges
// r1 = {4, 1, 0.25, 2} (rows of W1) and r2 = {1, 4, 1, 0.5} (columns of W2).
ir::Graph conv_relu_conv() {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2, 3, 6, 6}));
  g.outputs.push_back(ir::make_value("y"));
  ir::Tensor w1(ir::DType::Float32, {4, 3, 3, 3}), w2(ir::DType::Float32, {2, 4, 1, 1});
  set_block_ranges(w1, {4, 1, 0.25f, 2}, 27, rng);
  set_block_ranges(w2, {1, 4, 1, 0.5f}, 1, rng);  // blocks of 1 cycle over the 4 input channels
  g.initializers["W1"] = w1;
  g.initializers["B1"] = ir::Tensor::from_vector<float>({4}, {0.5f, -0.25f, 0.125f, 1.0f});
  g.initializers["W2"] = w2;
  g.initializers["B2"] = ir::Tensor::from_vector<float>({2}, {0.1f, -0.1f});
  g.nodes.push_back(node("c1", "Conv", {"x", "W1", "B1"}, {"t1"}, kConv3x3));
  g.nodes.push_back(node("r1", "Relu", {"t1"}, {"a1"}));
  g.nodes.push_back(node("c2", "Conv", {"a1", "W2", "B2"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

TEST(CrossLayerEqualization, ConvReluConvKeepsOutputsAndEqualizesRanges) {
  const ir::Graph original = conv_relu_conv();
  // The hand-made ranges are what the test assumes.
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_FLOAT_EQ(row_range(weight_of(original, "c1"), c),
                    (std::vector<float>{4, 1, 0.25f, 2})[c]);
    EXPECT_FLOAT_EQ(column_range(weight_of(original, "c2"), c),
                    (std::vector<float>{1, 4, 1, 0.5f})[c]);
  }
  ir::Graph g = original;
  const quant::EqualizeReport r = quant::equalize_cross_layer(g);
  EXPECT_EQ(r.pairs, 1);
  EXPECT_TRUE(r.skipped.empty());
  // s = sqrt(r1 / r2) = {2, 0.5, 0.5, 2}; both ranges become sqrt(r1 * r2) = {2, 2, 0.5, 1}.
  const std::vector<float> s = {2, 0.5f, 0.5f, 2}, equal = {2, 2, 0.5f, 1};
  const ir::Tensor &w1 = weight_of(g, "c1"), &w2 = weight_of(g, "c2");
  const ir::Tensor& w1_before = weight_of(original, "c1");
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(row_range(w1, c), equal[c], 1e-6f) << c;
    EXPECT_NEAR(column_range(w2, c), equal[c], 1e-6f) << c;
    EXPECT_NEAR(w1.data<float>()[c * 27 + 5], w1_before.data<float>()[c * 27 + 5] / s[c], 1e-6f);
  }
  const ir::Tensor& b1 = *g.initializer(g.nodes[g.find_node("c1")].inputs[2]);
  EXPECT_NEAR(b1.data<float>()[0], 0.25f, 1e-7f);  // 0.5 / 2
  EXPECT_NEAR(b1.data<float>()[1], -0.5f, 1e-7f);  // -0.25 / 0.5
  // The originals are untouched (an initializer may be shared): new ones were written.
  EXPECT_FLOAT_EQ(row_range(*original.initializer("W1"), 0), 4.0f);
  const ir::Tensor x = random_input({2, 3, 6, 6}, 2.0f, 11);
  expect_close(ref::run_graph(g, {{"x", x}})[0], ref::run_graph(original, {{"x", x}})[0], 1e-5f);
}

// x[1,3,5,5] -> c1 Conv1x1 [4,3] -> Relu -> dw Conv3x3 depthwise [4,1] -> Clip(0, 6)
//   -> c3 Conv1x1 [2,4] -> y. Inputs large enough that the Clip saturates.
ir::Graph depthwise_chain(float clip_min = 0.0f) {
  std::mt19937 rng(5);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {1, 3, 5, 5}));
  g.outputs.push_back(ir::make_value("y"));
  ir::Tensor w1(ir::DType::Float32, {4, 3, 1, 1}), wd(ir::DType::Float32, {4, 1, 3, 3}),
      w3(ir::DType::Float32, {2, 4, 1, 1});
  set_block_ranges(w1, {3, 0.5f, 1, 2}, 3, rng);
  set_block_ranges(wd, {0.5f, 4, 2, 1}, 9, rng);
  set_block_ranges(w3, {2, 1, 0.25f, 4}, 1, rng);
  g.initializers["W1"] = w1;
  g.initializers["Wd"] = wd;
  g.initializers["Bd"] = ir::Tensor::from_vector<float>({4}, {1, 2, -1, 0.5f});
  g.initializers["W3"] = w3;
  g.initializers["lo"] = ir::Tensor::scalar<float>(clip_min);
  g.initializers["hi"] = ir::Tensor::scalar<float>(6.0f);
  auto dw = kConv3x3;
  dw["group"] = int64_t(4);
  g.nodes.push_back(node("c1", "Conv", {"x", "W1"}, {"t1"}));
  g.nodes.push_back(node("r1", "Relu", {"t1"}, {"a1"}));
  g.nodes.push_back(node("dw", "Conv", {"a1", "Wd", "Bd"}, {"t2"}, dw));
  g.nodes.push_back(node("clip", "Clip", {"t2", "lo", "hi"}, {"a2"}));
  g.nodes.push_back(node("c3", "Conv", {"a2", "W3"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

TEST(CrossLayerEqualization, DepthwisePairEqualizesRowsOfBoth) {
  // Only the first pair (c1 -> Relu -> dw): the Clip pair skipped, so the ranges are one step.
  const ir::Graph original = depthwise_chain();
  ir::Graph g = original;
  quant::EqualizeOptions o;
  o.relu6 = quant::Relu6Policy::Skip;
  const quant::EqualizeReport r = quant::equalize_cross_layer(g, o);
  EXPECT_EQ(r.pairs, 1);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("'clip'"), std::string::npos) << r.skipped[0];
  // r1 = {3, 0.5, 1, 2}, r2 (rows of the depthwise weight) = {0.5, 4, 2, 1}:
  // sqrt(r1 * r2) = {1.2247, 1.4142, 1.4142, 1.4142}.
  const std::vector<float> equal = {std::sqrt(1.5f), std::sqrt(2.0f), std::sqrt(2.0f),
                                    std::sqrt(2.0f)};
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(row_range(weight_of(g, "c1"), c), equal[c], 1e-6f) << c;
    EXPECT_NEAR(row_range(weight_of(g, "dw"), c), equal[c], 1e-6f) << c;
  }
  EXPECT_EQ(g.nodes[g.find_node("c3")].inputs[1], "W3");  // the skipped pair's weight untouched
  const ir::Tensor x = random_input({1, 3, 5, 5}, 3.0f, 12);
  expect_close(ref::run_graph(g, {{"x", x}})[0], ref::run_graph(original, {{"x", x}})[0], 1e-5f);
}

// Values of t2 (the Clip's input) above 6: the case where the ReLU6 caveat matters.
int64_t count_above(const ir::Graph& g, const ir::Tensor& x, const std::string& value, float v) {
  ir::Graph probe = g;
  probe.outputs.push_back(ir::make_value(value));
  const ir::Tensor t = ref::run_graph(probe, {{"x", x}}).back();
  int64_t n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += t.data<float>()[i] > v;
  return n;
}

TEST(CrossLayerEqualization, Relu6BecomesAPerChannelClipAndKeepsOutputs) {
  const ir::Graph original = depthwise_chain();
  const ir::Tensor x = random_input({1, 3, 5, 5}, 3.0f, 12);
  ASSERT_GT(count_above(original, x, "t2", 6.0f), 0) << "the test needs a saturated ReLU6";
  ir::Graph g = original;
  const quant::EqualizeReport r = quant::equalize_cross_layer(g);
  EXPECT_EQ(r.pairs, 2);
  EXPECT_EQ(r.clips_made_per_channel, 1);
  EXPECT_GT(r.rounds, 1);  // dw belongs to both pairs: one pass does not settle them
  // Clip -> Relu -> Min(bound [4, 1, 1]) with bound_i = 6 / s_i, s_i the dw -> c3 scales.
  const int m = g.find_node("clip_per_channel_max");
  ASSERT_GE(m, 0);
  EXPECT_EQ(g.nodes[g.find_node("clip")].op, "Relu");
  const ir::Tensor& bound = *g.initializer(g.nodes[m].inputs[1]);
  EXPECT_EQ(bound.shape(), (ir::Shape{4, 1, 1}));
  // Equalized: after convergence each pair's ranges agree channel by channel.
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(row_range(weight_of(g, "c1"), c) / row_range(weight_of(g, "dw"), c), 1.0f, 2e-3f);
    EXPECT_NEAR(row_range(weight_of(g, "dw"), c) / column_range(weight_of(g, "c3"), c), 1.0f,
                2e-3f);
    // The bound is 6 / S_c, S_c dw's total output scaling by the dw -> c3 pair: dw's row got
    // S_a (from c1, whose row got 1 / S_a) and 1 / S_c, so S_c = r_dw * S_a / r_dw'.
    const float s_a = row_range(weight_of(original, "c1"), c) / row_range(weight_of(g, "c1"), c);
    const float s_c =
        row_range(weight_of(original, "dw"), c) * s_a / row_range(weight_of(g, "dw"), c);
    EXPECT_NEAR(bound.data<float>()[c], 6.0f / s_c, 1e-4f * 6.0f / s_c) << c;
  }
  expect_close(ref::run_graph(g, {{"x", x}})[0], ref::run_graph(original, {{"x", x}})[0], 1e-5f);
}

TEST(CrossLayerEqualization, Relu6PolicyReluIsTheGraphWithRelu) {
  const ir::Graph original = depthwise_chain();
  const ir::Tensor x = random_input({1, 3, 5, 5}, 3.0f, 12);
  ir::Graph g = original;
  quant::EqualizeOptions o;
  o.relu6 = quant::Relu6Policy::Relu;
  const quant::EqualizeReport r = quant::equalize_cross_layer(g, o);
  EXPECT_EQ(r.clips_replaced, 1);
  EXPECT_LT(g.find_node("clip_per_channel_max"), 0);
  // Truth: the unequalized graph with its Clip replaced by Relu by hand.
  ir::Graph relu = original;
  ir::Node& clip = relu.nodes[relu.find_node("clip")];
  clip.op = "Relu";
  clip.inputs = {"t2"};
  const ir::Tensor got = ref::run_graph(g, {{"x", x}})[0];
  expect_close(got, ref::run_graph(relu, {{"x", x}})[0], 1e-5f);
  // ... which differs from the ReLU6 model (the caveat is real on this input).
  const ir::Tensor want = ref::run_graph(original, {{"x", x}})[0];
  float diff = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    diff = std::max(diff, std::fabs(got.data<float>()[i] - want.data<float>()[i]));
  EXPECT_GT(diff, 0.1f);
}

TEST(CrossLayerEqualization, ClipWithANonZeroLowerBoundIsSkipped) {
  const ir::Graph original = depthwise_chain(-1.0f);
  ir::Graph g = original;
  const quant::EqualizeReport r = quant::equalize_cross_layer(g);
  EXPECT_EQ(r.pairs, 1);  // c1 -> dw only
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].find("not Clip(0, M)"), std::string::npos) << r.skipped[0];
  EXPECT_EQ(g.nodes[g.find_node("clip")].op, "Clip");
  for (int64_t c = 0; c < 4; ++c)
    EXPECT_FLOAT_EQ(column_range(weight_of(g, "c3"), c),
                    column_range(*original.initializer("W3"), c));
}

TEST(CrossLayerEqualization, PolicyNames) {
  EXPECT_EQ(quant::relu6_policy_by_name("clip"), quant::Relu6Policy::PerChannelClip);
  EXPECT_EQ(quant::relu6_policy_by_name("relu"), quant::Relu6Policy::Relu);
  EXPECT_EQ(quant::relu6_policy_by_name("skip"), quant::Relu6Policy::Skip);
  EXPECT_THROW(quant::relu6_policy_by_name("clamp"), Error);
}

}  // namespace
}  // namespace qcv
