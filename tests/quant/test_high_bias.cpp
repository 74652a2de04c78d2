// High-bias absorption against hand-computed shifts: the truth is the construction (a channel's
// pre-activation bounded below by a known c) and the reference interpreter on the graph before
// absorption (FP32 outputs unchanged where the pre-activation stays >= c).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/quant.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv {
namespace {

using test::node;

// Images [n, 1, 4, 4] holding one value each: 1, 2, ..., 10 in turn.
std::vector<std::map<std::string, ir::Tensor>> constant_images(int batches) {
  std::vector<std::map<std::string, ir::Tensor>> out;
  for (int b = 0; b < batches; ++b) {
    ir::Tensor x(ir::DType::Float32, {10, 1, 4, 4});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = float(1 + i / 16);
    out.push_back({{"x", x}});
  }
  return out;
}

// x -> c1 Conv1x1 [3, 1] -> Relu -> c2 Conv3x3 [2, 3] (pads `pad`) -> y. Pre-activations for an
// image of value v in [1, 10]: v + 2 (>= 3), 1 - v (<= 0), 5 (constant): c = {3, 0, 5}.
ir::Graph conv_relu_conv(int64_t pad = 0) {
  std::mt19937 rng(7);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 1, 4, 4}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W1"] = ir::Tensor::from_vector<float>({3, 1, 1, 1}, {1, -1, 0});
  g.initializers["B1"] = ir::Tensor::from_vector<float>({3}, {2, 1, 5});
  g.initializers["W2"] = test::random_tensor({2, 3, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["B2"] = ir::Tensor::from_vector<float>({2}, {0.1f, -0.2f});
  g.nodes.push_back(node("c1", "Conv", {"x", "W1", "B1"}, {"t1"}));
  g.nodes.push_back(node("r1", "Relu", {"t1"}, {"a1"}));
  g.nodes.push_back(node("c2", "Conv", {"a1", "W2", "B2"}, {"y"},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}},
                          {"pads", std::vector<int64_t>{pad, pad, pad, pad}}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

const ir::Tensor& input_of(const ir::Graph& g, const std::string& node_name, size_t k) {
  return *g.initializer(g.nodes[g.find_node(node_name)].inputs.at(k));
}

std::vector<float> values(const ir::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

float max_abs_diff(const ir::Tensor& a, const ir::Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  float d = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    d = std::max(d, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
  return d;
}

// Min and max over every batch of a value's elements (channel `c` only when c >= 0).
std::pair<float, float> observed_range(const ir::Graph& g, const std::string& value,
                                       const std::vector<std::map<std::string, ir::Tensor>>& feeds,
                                       int64_t c = -1) {
  ir::Graph probe = g;
  probe.outputs.push_back(ir::make_value(value));
  float lo = INFINITY, hi = -INFINITY;
  for (const auto& f : feeds) {
    const ir::Tensor t = ref::run_graph(probe, f).back();
    const int64_t channels = t.dim(1), inner = t.numel() / (t.dim(0) * channels);
    for (int64_t i = 0; i < t.numel(); ++i)
      if (c < 0 || (i / inner) % channels == c) {
        lo = std::min(lo, t.data<float>()[i]);
        hi = std::max(hi, t.data<float>()[i]);
      }
  }
  return {lo, hi};
}

float observed_max(const ir::Graph& g, const std::string& value,
                   const std::vector<std::map<std::string, ir::Tensor>>& feeds, int64_t c = -1) {
  return observed_range(g, value, feeds, c).second;
}

quant::CalibrationOptions quiet() {
  quant::CalibrationOptions o;
  o.show_progress = false;
  return o;
}

TEST(HighBiasAbsorption, MovesTheHandComputedShiftAndKeepsOutputs) {
  const ir::Graph original = conv_relu_conv();
  const auto feeds = constant_images(2);
  auto data = quant::feeds_data(feeds);
  ir::Graph g = original;
  const quant::HighBiasReport r =
      quant::absorb_high_biases(g, quant::reference_backend(), *data, {}, quiet());
  EXPECT_EQ(r.pairs, 1);
  EXPECT_EQ(r.channels, 2);
  ASSERT_EQ(r.absorbed.size(), 1u);
  EXPECT_EQ(r.absorbed[0].c, (std::vector<float>{3, 0, 5}));
  EXPECT_EQ(values(input_of(g, "c1", 2)), (std::vector<float>{-1, 1, 0}));
  // b2[o] += sum over the 9 taps of W2[o, 0] * 3 + W2[o, 2] * 5.
  const ir::Tensor& w2 = *original.initializer("W2");
  const std::vector<float> b2 = values(input_of(g, "c2", 2));
  for (int64_t o = 0; o < 2; ++o) {
    double want = o == 0 ? 0.1 : -0.2;
    for (int64_t j = 0; j < 9; ++j)
      want +=
          3.0 * w2.data<float>()[(o * 3 + 0) * 9 + j] + 5.0 * w2.data<float>()[(o * 3 + 2) * 9 + j];
    EXPECT_NEAR(b2[o], want, 1e-5) << o;
  }
  EXPECT_EQ(values(*original.initializer("B1")), (std::vector<float>{2, 1, 5}));
  // The activation c2 reads loses exactly c: its max 12 (channel 0, v = 10) becomes 9, the
  // constant channel 2 becomes 0.
  EXPECT_FLOAT_EQ(observed_max(original, "a1", feeds), 12.0f);
  EXPECT_FLOAT_EQ(observed_max(g, "a1", feeds), 9.0f);
  EXPECT_FLOAT_EQ(observed_max(g, "a1", feeds, 2), 0.0f);
  // FP32 outputs unchanged on any input whose pre-activations stay >= c: pixels in [1, 10].
  std::mt19937 rng(3);
  const ir::Tensor x = test::random_tensor({4, 1, 4, 4}, rng, 1.0f, 10.0f);
  EXPECT_LT(max_abs_diff(ref::run_graph(g, {{"x", x}})[0], ref::run_graph(original, {{"x", x}})[0]),
            1e-5f);
  for (const auto& f : feeds)
    EXPECT_LT(max_abs_diff(ref::run_graph(g, f)[0], ref::run_graph(original, f)[0]), 1e-5f);
  // ... and not where one falls below: a pixel 0 gives channel 0 the pre-activation 2 < 3.
  const ir::Tensor zero = test::random_tensor({1, 1, 4, 4}, rng, 0.0f, 0.0f);
  EXPECT_GT(
      max_abs_diff(ref::run_graph(g, {{"x", zero}})[0], ref::run_graph(original, {{"x", zero}})[0]),
      1e-3f);
}

TEST(HighBiasAbsorption, PaddedSecondConvIsSkippedOrExactOnlyInside) {
  const ir::Graph original = conv_relu_conv(1);
  const auto feeds = constant_images(1);
  auto data = quant::feeds_data(feeds);
  ir::Graph skipped = original;
  const quant::HighBiasReport s =
      quant::absorb_high_biases(skipped, quant::reference_backend(), *data, {}, quiet());
  EXPECT_EQ(s.pairs, 0);
  ASSERT_EQ(s.skipped.size(), 1u);
  EXPECT_NE(s.skipped[0].find("pads"), std::string::npos) << s.skipped[0];
  EXPECT_EQ(values(input_of(skipped, "c2", 2)), (std::vector<float>{0.1f, -0.2f}));

  ir::Graph g = original;
  quant::HighBiasOptions o;
  o.padded_second_conv = true;
  EXPECT_EQ(quant::absorb_high_biases(g, quant::reference_backend(), *data, o, quiet()).pairs, 1);
  // Output [n, 2, 4, 4]: the 2x2 interior reads no padding and is unchanged; a border position
  // misses c times its padded taps' weights.
  const ir::Tensor got = ref::run_graph(g, feeds[0])[0],
                   want = ref::run_graph(original, feeds[0])[0];
  float inside = 0, border = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const int64_t h = (i / 4) % 4, w = i % 4;
    float& worst = h > 0 && h < 3 && w > 0 && w < 3 ? inside : border;
    worst = std::max(worst, std::fabs(got.data<float>()[i] - want.data<float>()[i]));
  }
  EXPECT_LT(inside, 1e-5f);
  EXPECT_GT(border, 1e-3f);
}

// x [n, 2, 5, 5] in [1, 4] -> c1 Conv1x1 [3, 2] (positive weights, bias 1: pre-activations in
// [~2, ~13]) -> Clip(0, 6) -> dw Conv3x3 depthwise [3, 1] -> y.
ir::Graph conv_relu6_depthwise() {
  std::mt19937 rng(11);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 2, 5, 5}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W1"] = test::random_tensor({3, 2, 1, 1}, rng, 0.5f, 1.5f);
  g.initializers["B1"] = ir::Tensor::from_vector<float>({3}, {1, 1, 1});
  g.initializers["Wd"] = test::random_tensor({3, 1, 3, 3}, rng, -1.0f, 1.0f);
  g.initializers["lo"] = ir::Tensor::scalar<float>(0.0f);
  g.initializers["hi"] = ir::Tensor::scalar<float>(6.0f);
  g.nodes.push_back(node("c1", "Conv", {"x", "W1", "B1"}, {"t1"}));
  g.nodes.push_back(node("clip", "Clip", {"t1", "lo", "hi"}, {"a1"}));
  g.nodes.push_back(node("dw", "Conv", {"a1", "Wd"}, {"y"},
                         {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"group", int64_t(3)}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

std::vector<std::map<std::string, ir::Tensor>> uniform_batches(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::map<std::string, ir::Tensor>> out;
  for (int i = 0; i < count; ++i)
    out.push_back({{"x", test::random_tensor({4, 2, 5, 5}, rng, 1, 4)}});
  return out;
}

TEST(HighBiasAbsorption, Relu6NeedsCleClipAndThenStaysExact) {
  const ir::Graph original = conv_relu6_depthwise();
  const auto feeds = uniform_batches(2, 5);
  auto data = quant::feeds_data(feeds);
  ASSERT_GT(observed_max(original, "t1", feeds), 6.0f) << "the test needs a saturated ReLU6";
  // A plain ReLU6 is skipped and named.
  ir::Graph plain = original;
  const quant::HighBiasReport p =
      quant::absorb_high_biases(plain, quant::reference_backend(), *data, {}, quiet());
  EXPECT_EQ(p.pairs, 0);
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_NE(p.skipped[0].find("'clip'"), std::string::npos) << p.skipped[0];

  // After CLE's exact policy (Relu -> Min(per-channel bound)): absorbed, bound lowered by c.
  ir::Graph g = original;
  quant::equalize_cross_layer(g);
  const ir::Graph equalized = g;
  const int m = g.find_node("clip_per_channel_max");
  ASSERT_GE(m, 0);
  const std::vector<float> bound = values(*g.initializer(g.nodes[m].inputs[1]));
  quant::HighBiasOptions o;
  o.quantile = 0;  // c = the observed min: exact on the calibration inputs themselves
  const quant::HighBiasReport r =
      quant::absorb_high_biases(g, quant::reference_backend(), *data, o, quiet());
  ASSERT_EQ(r.pairs, 1);
  const std::vector<float>& c = r.absorbed[0].c;
  const std::vector<float> lowered =
      values(*g.initializer(g.nodes[g.find_node("clip_per_channel_max")].inputs[1]));
  for (size_t i = 0; i < 3; ++i) {
    // c is channel i's min pre-activation after CLE (> 0: positive weights, inputs >= 1, bias 1).
    const float min_pre = observed_range(equalized, "t1", feeds, int64_t(i)).first;
    EXPECT_GT(min_pre, 0.0f) << i;
    EXPECT_FLOAT_EQ(c[i], min_pre) << i;
    EXPECT_NEAR(lowered[i], bound[i] - c[i], 1e-5f) << i;
  }
  for (const auto& f : feeds)
    EXPECT_LT(max_abs_diff(ref::run_graph(g, f)[0], ref::run_graph(original, f)[0]), 1e-4f);
}

TEST(HighBiasAbsorption, ThePtqPipelineShrinksTheCalibratedRange) {
  const ir::Graph g = conv_relu_conv();
  auto data = quant::feeds_data(constant_images(2));
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const quant::PtqResult plain = quant::quantize_ptq(g, quant::reference_backend(), *data, o);
  o.absorb_high_bias = true;
  const quant::PtqResult absorbed = quant::quantize_ptq(g, quant::reference_backend(), *data, o);
  EXPECT_EQ(absorbed.high_bias.pairs, 1);
  EXPECT_FLOAT_EQ(plain.stats.at("a1").max, 12.0f);
  EXPECT_FLOAT_EQ(absorbed.stats.at("a1").max, 9.0f);
}

}  // namespace
}  // namespace qcv
