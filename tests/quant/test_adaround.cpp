// AdaRound's data side with a stand-in solver (the LibTorch one: tests/train/adaround_test.cpp):
// the rows it samples against the reference conv, the rounding written into the QDQ graph, and
// the FP32 weights given back to a node left in FP32.
#include <gtest/gtest.h>

#include <cmath>

#include "quant/adaround.h"
#include "quant/fallback.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv {
namespace {

// x[N,4,7,7] -> a: Conv 3x3 stride 2 pads 1, group 2, 4 -> 6 -> r Relu -> b: depthwise Conv 3x3
// dilation 2 pads (2,1,2,1), group 6 -> gap -> flat -> fc: Gemm (transB = 0) 6 -> 3.
ir::Graph three_layers() {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 4, 7, 7}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["Wa"] = test::random_tensor({6, 2, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["Ba"] = test::random_tensor({6}, rng, -0.2f, 0.2f);
  g.initializers["Wb"] = test::random_tensor({6, 1, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["Wfc"] = test::random_tensor({6, 3}, rng);
  g.nodes.push_back(test::node("a", "Conv", {"x", "Wa", "Ba"}, {"ta"},
                               {{"strides", std::vector<int64_t>{2, 2}},
                                {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                {"group", int64_t(2)}}));
  g.nodes.push_back(test::node("r", "Relu", {"ta"}, {"ra"}));
  g.nodes.push_back(test::node("b", "Conv", {"ra", "Wb"}, {"tb"},
                               {{"dilations", std::vector<int64_t>{2, 2}},
                                {"pads", std::vector<int64_t>{2, 1, 2, 1}},
                                {"group", int64_t(6)}}));
  g.nodes.push_back(test::node("gap", "GlobalAveragePool", {"tb"}, {"p"}));
  g.nodes.push_back(test::node("flat", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(test::node("fc", "Gemm", {"f", "Wfc"}, {"y"}, {{"alpha", 0.5f}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

std::vector<std::map<std::string, ir::Tensor>> batches() {
  std::mt19937 rng(5);
  return {{{"x", test::random_tensor({2, 4, 7, 7}, rng)}},
          {{"x", test::random_tensor({3, 4, 7, 7}, rng)}}};
}

// A solver that rounds every weight up (floor + 1, saturated) and keeps the problems it saw.
struct RoundUp {
  std::map<std::string, quant::RoundingProblem> seen;
  quant::RoundingSolver solver() {
    return [this](const quant::RoundingProblem& p, const quant::AdaRoundOptions&) {
      seen[p.layer] = p;
      ir::Tensor q(ir::DType::Int32, p.weight.shape());
      for (int64_t i = 0; i < q.numel(); ++i)
        q.data<int32_t>()[i] = std::clamp(
            static_cast<int32_t>(std::floor(p.weight.data<float>()[i] / p.scale.data<float>()[i])) +
                1,
            p.qmin, p.qmax);
      return q;
    };
  }
};

quant::PtqOptions options(RoundUp& up, bool per_channel, bool keep_nearest_if_worse = false) {
  quant::PtqOptions o;
  o.scheme.weight_bits = 4;
  o.scheme.weight_per_channel = per_channel;
  o.calibration.show_progress = false;
  auto a = std::make_shared<quant::AdaRoundOptions>();
  a->solve = up.solver();
  a->keep_nearest_if_worse = keep_nearest_if_worse;
  o.adaround = a;
  return o;
}

// The int8 values and the dequantized weight the QDQ graph gives node `name`'s input 1.
std::vector<int> weight_ints(const ir::Graph& q, const std::string& name) {
  const ir::Node& n = q.nodes.at(q.find_node(name));
  const ir::Node& dq = q.nodes.at(q.producer(n.inputs[1]));
  EXPECT_EQ(dq.op, "DequantizeLinear");
  std::vector<int> out;
  const ir::Tensor& t = *q.initializer(dq.inputs[0]);
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<int8_t>()[i]);
  return out;
}

TEST(AdaRound, RowsAreTheConvolutionsPatches) {
  // With room for every output position, the rows' products summed over rows are the sum of
  // the reference conv's outputs (bias removed), per output channel: the im2col of strides,
  // pads, dilations and groups agrees with ONNX's Conv.
  const ir::Graph g = three_layers();
  RoundUp up;
  auto data = quant::feeds_data(batches());
  quant::quantize_ptq(g, quant::reference_backend(), *data, options(up, true));
  ASSERT_EQ(up.seen.size(), 3u);
  std::vector<double> conv_sum(6, 0.0);
  ir::Graph just_a = g;
  just_a.outputs = {ir::make_value("ta")};
  int64_t positions = 0;
  for (const auto& feeds : batches()) {
    const ir::Tensor y = ref::run_graph(just_a, feeds).at(0);  // [n, 6, 4, 4]
    const int64_t hw = y.dim(2) * y.dim(3);
    positions += y.dim(0) * hw;
    for (int64_t i = 0; i < y.numel(); ++i)
      conv_sum[(i / hw) % 6] +=
          y.data<float>()[i] - g.initializer("Ba")->data<float>()[(i / hw) % 6];
  }
  const quant::RoundingProblem& a = up.seen.at("a");
  ASSERT_EQ(a.weight.shape(), (ir::Shape{2, 3, 18}));
  ASSERT_EQ(a.fp32_inputs.shape(), (ir::Shape{2, positions, 18}));
  for (int64_t m = 0; m < 6; ++m) {
    const int64_t grp = m / 3, row = m % 3;
    double sum = 0;
    for (int64_t r = 0; r < positions; ++r)
      for (int64_t k = 0; k < 18; ++k)
        sum += a.fp32_inputs.data<float>()[(grp * positions + r) * 18 + k] *
               a.weight.data<float>()[(grp * 3 + row) * 18 + k];
    EXPECT_NEAR(sum, conv_sum[m], 1e-3) << "channel " << m;
  }
  // The first layer's rows are the same in both models; the second's come from a graph whose
  // first weight is rounded, so they differ.
  EXPECT_EQ(a.fp32_inputs.to_float_vector(), a.quantized_inputs.to_float_vector());
  const quant::RoundingProblem& b = up.seen.at("b");
  EXPECT_EQ(b.weight.shape(), (ir::Shape{6, 1, 9}));
  EXPECT_NE(b.fp32_inputs.to_float_vector(), b.quantized_inputs.to_float_vector());
  // Gemm (transB = 0): the weight transposed to [out, in], the rows scaled by alpha.
  const quant::RoundingProblem& fc = up.seen.at("fc");
  ASSERT_EQ(fc.weight.shape(), (ir::Shape{1, 3, 6}));
  EXPECT_EQ(fc.weight.data<float>()[1 * 6 + 4], g.initializer("Wfc")->data<float>()[4 * 3 + 1]);
  EXPECT_EQ(fc.fp32_inputs.dim(1), 5);  // one row per image
}

TEST(AdaRound, TheSolversIntegersAreWrittenWithTheNearestScales) {
  for (bool per_channel : {true, false}) {
    const ir::Graph g = three_layers();
    RoundUp up;
    auto data = quant::feeds_data(batches());
    const quant::PtqResult r =
        quant::quantize_ptq(g, quant::reference_backend(), *data, options(up, per_channel));
    ASSERT_TRUE(r.adaround);
    EXPECT_EQ(r.adaround->layers.size(), 3u);
    // Plain PTQ on the same data: the same scales, integers one step below or equal.
    quant::PtqOptions plain = options(up, per_channel);
    plain.adaround.reset();
    auto data2 = quant::feeds_data(batches());
    const quant::PtqResult near = quant::quantize_ptq(g, quant::reference_backend(), *data2, plain);
    for (const auto& [layer, weight] :
         std::map<std::string, std::string>{{"a", "Wa"}, {"b", "Wb"}, {"fc", "Wfc"}}) {
      const std::vector<int> ada = weight_ints(r.graph, layer);
      const std::vector<int> nearest = weight_ints(near.graph, layer);
      ASSERT_EQ(ada.size(), nearest.size());
      const ir::Tensor& w = *g.initializer(weight);
      const quant::QuantTarget* t = near.plan.find(weight);
      ASSERT_TRUE(t);
      const quant::QuantParams p = quant::weight_params(w, t->axis, 4);
      EXPECT_EQ(r.adaround->params.at(weight).scale, p.scale);
      int64_t inner = 1;
      for (size_t d = p.axis + 1; p.axis >= 0 && d < w.rank(); ++d) inner *= w.dim(d);
      int changed = 0;
      for (size_t i = 0; i < ada.size(); ++i) {
        // Rounded up: floor(w / s) + 1 within [-8, 7], whatever the problem's layout.
        const int64_t c = p.axis < 0 ? 0 : (int64_t(i) / inner) % w.dim(p.axis);
        const float steps = w.data<float>()[i] / p.scale[c];
        EXPECT_EQ(ada[i], std::clamp(static_cast<int>(std::floor(steps)) + 1, -8, 7))
            << layer << " " << i;
        EXPECT_LE(std::abs(ada[i] - nearest[i]), 1);
        changed += ada[i] != nearest[i];
      }
      EXPECT_GT(changed, 0) << layer;
    }
  }
}

TEST(AdaRound, ALayerRoundedWorseThanNearestKeepsNearest) {
  // Every weight rounded up moves about half of them a full step off: worse than nearest for
  // the convs here (not for fc, whose rows come from the rounded convs). The guard keeps
  // nearest exactly where the rounding measured worse, and says so.
  const ir::Graph g = three_layers();
  RoundUp up;
  auto data = quant::feeds_data(batches());
  const quant::PtqResult r =
      quant::quantize_ptq(g, quant::reference_backend(), *data, options(up, true, true));
  RoundUp up2;
  auto data2 = quant::feeds_data(batches());
  quant::PtqOptions plain = options(up2, true);
  plain.adaround.reset();
  const quant::PtqResult near = quant::quantize_ptq(g, quant::reference_backend(), *data2, plain);
  ASSERT_TRUE(r.adaround);
  int kept = 0;
  for (const quant::AdaRoundLayer& l : r.adaround->layers) {
    EXPECT_EQ(l.kept_nearest, l.error_adaround > l.error_nearest) << l.node;
    kept += l.kept_nearest;
    if (l.kept_nearest) {
      EXPECT_EQ(l.changed, 0) << l.node;
      EXPECT_EQ(weight_ints(r.graph, l.node), weight_ints(near.graph, l.node));
    } else {
      EXPECT_GT(l.changed, 0) << l.node;
      EXPECT_NE(weight_ints(r.graph, l.node), weight_ints(near.graph, l.node));
    }
  }
  EXPECT_GE(kept, 1);
}

TEST(AdaRound, ANodeLeftInFp32GetsItsOwnWeightBack) {
  const ir::Graph g = three_layers();
  RoundUp up;
  auto data = quant::feeds_data(batches());
  const quant::PtqCalibration c =
      quant::calibrate_ptq(g, quant::reference_backend(), *data, options(up, true), true);
  const quant::PtqResult r = quant::quantize_calibrated(c, {"b"});
  const ir::Node& b = r.graph.nodes.at(r.graph.find_node("b"));
  ASSERT_TRUE(r.graph.initializer(b.inputs[1])) << "b's weight is not an initializer";
  EXPECT_EQ(r.graph.initializer(b.inputs[1])->to_float_vector(),
            g.initializer("Wb")->to_float_vector());
  EXPECT_EQ(weight_ints(r.graph, "a").size(), 108u);  // a is still quantized
}

// tune's per-channel rung on a per-tensor scheme: the rounding was learned for the tensor's one
// scale, so the node's weight is rounded to nearest per channel from its FP32 values (before, it
// kept the per-tensor integers and scale: the rung changed nothing).
TEST(AdaRound, ANodeGivenPerChannelWeightsIsRoundedToNearestPerChannel) {
  const ir::Graph g = three_layers();
  RoundUp up;
  auto data = quant::feeds_data(batches());
  const quant::PtqCalibration c =
      quant::calibrate_ptq(g, quant::reference_backend(), *data, options(up, false), true);
  quant::NodeChoices choices;
  choices.per_channel = {"b"};
  const quant::PtqResult r = quant::quantize_calibrated(c, choices);
  const ir::Node& b = r.graph.nodes.at(r.graph.find_node("b"));
  const ir::Node& dq = r.graph.nodes.at(r.graph.producer(b.inputs[1]));
  const ir::Tensor& scale = *r.graph.initializer(dq.inputs[1]);
  ASSERT_EQ(scale.numel(), 6);  // one per output channel of Wb [6, 1, 3, 3]
  const ir::Tensor& w = *g.initializer("Wb");
  const std::vector<int> ints = weight_ints(r.graph, "b");
  ASSERT_EQ(ints.size(), 54u);
  for (int64_t ch = 0; ch < 6; ++ch) {
    float absmax = 0;
    for (int64_t k = 0; k < 9; ++k) absmax = std::max(absmax, std::fabs(w.data<float>()[ch * 9 + k]));
    EXPECT_FLOAT_EQ(scale.data<float>()[ch], absmax / 7) << ch;
    for (int64_t k = 0; k < 9; ++k)  // nearest (half to even), in [-7, 7] by construction
      EXPECT_EQ(ints[ch * 9 + k], static_cast<int>(std::nearbyint(w.data<float>()[ch * 9 + k] /
                                                                   scale.data<float>()[ch])))
          << ch << " " << k;
  }
  // a keeps the learned (here: all rounded up) integers with its one scale.
  const ir::Node& a = r.graph.nodes.at(r.graph.find_node("a"));
  EXPECT_EQ(r.graph.initializer(r.graph.nodes.at(r.graph.producer(a.inputs[1])).inputs[1])->numel(),
            1);
  EXPECT_EQ(weight_ints(r.graph, "a"), weight_ints(quant::quantize_calibrated(c).graph, "a"));
}

TEST(AdaRound, BadSetupsAreErrors) {
  const ir::Graph g = three_layers();
  RoundUp up;
  auto data = quant::feeds_data(batches());
  quant::PtqOptions o = options(up, true);
  o.bias_correction = true;
  EXPECT_THROW(quant::quantize_ptq(g, quant::reference_backend(), *data, o), Error);
  o.bias_correction = false;
  auto none = std::make_shared<quant::AdaRoundOptions>();
  o.adaround = none;
  try {
    quant::quantize_ptq(g, quant::reference_backend(), *data, o);
    FAIL() << "no solver accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("solver"), std::string::npos) << e.what();
  }
  // A solver that moves a weight two steps is caught.
  auto wild = std::make_shared<quant::AdaRoundOptions>();
  wild->solve = [](const quant::RoundingProblem& p, const quant::AdaRoundOptions&) {
    ir::Tensor q(ir::DType::Int32, p.weight.shape());
    for (int64_t i = 0; i < q.numel(); ++i)
      q.data<int32_t>()[i] = static_cast<int32_t>(
          std::nearbyint(p.weight.data<float>()[i] / p.scale.data<float>()[i]));
    q.data<int32_t>()[0] += q.data<int32_t>()[0] > 0 ? -2 : 2;
    return q;
  };
  o.adaround = wild;
  try {
    quant::quantize_ptq(g, quant::reference_backend(), *data, o);
    FAIL() << "a two-step rounding accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight 0 of 'a'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qcv
