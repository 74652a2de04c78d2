// Sensitivity and tune on a net built so that one node is known to be harmful to quantize: the
// input of Gemm "b" holds a constant 1000 in one channel (cancelled inside b), so any int8 range
// either zeroes the other channels (range up to 1000) or clips the 1000 (shifting b's outputs).
// Independent truth: the construction, not a recorded result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "quant/fallback.h"
#include "quant/sensitivity.h"
#include "quant/tune.h"
#include "quant_test_util.h"
#include "ref/ref.h"

using namespace qcv;
using namespace qcv::quant;

namespace {

constexpr int64_t kBatch = 128;

// x[N,8] -> a Gemm (h[:,7] = 1000) -> b Gemm (cancels the 1000) -> c Gemm -> y[N,4].
ir::Graph outlier_net() {
  std::mt19937 rng(3);
  ir::Graph g;
  g.name = "outlier_net";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 8}));
  g.outputs.push_back(ir::make_value("y"));
  ir::Tensor wa = test::random_tensor({8, 8}, rng), ba(ir::DType::Float32, {8});
  ir::Tensor wb = test::random_tensor({8, 8}, rng), bb(ir::DType::Float32, {8});
  for (int64_t i = 0; i < 8; ++i) {
    wa.data<float>()[7 * 8 + i] = 0;  // h[:,7] is its bias alone
    ba.data<float>()[i] = i == 7 ? 1000.0f : 0.0f;
    wb.data<float>()[i * 8 + 7] = 0.001f * float(i + 1);  // b reads the 1000 ...
    bb.data<float>()[i] = -float(i + 1);                  // ... and cancels it
  }
  g.initializers["Wa"] = wa;
  g.initializers["Ba"] = ba;
  g.initializers["Wb"] = wb;
  g.initializers["Bb"] = bb;
  g.initializers["Wc"] = test::random_tensor({4, 8}, rng);
  g.initializers["Bc"] = test::random_tensor({4}, rng, -0.1f, 0.1f);
  const std::map<std::string, ir::Attribute> t = {{"transB", int64_t(1)}};
  g.nodes.push_back(test::node("a", "Gemm", {"x", "Wa", "Ba"}, {"h"}, t));
  g.nodes.push_back(test::node("b", "Gemm", {"h", "Wb", "Bb"}, {"z"}, t));
  g.nodes.push_back(test::node("c", "Gemm", {"z", "Wc", "Bc"}, {"y"}, t));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

std::vector<std::map<std::string, ir::Tensor>> batches(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::map<std::string, ir::Tensor>> out;
  for (int i = 0; i < count; ++i) {
    ir::Tensor x(ir::DType::Float32, {kBatch, 8});
    for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = normal(rng);
    out.push_back({{"x", x}});
  }
  return out;
}

// Top-1 against the FP32 model's own predictions (so FP32 scores 100%), with the logits.
struct Oracle {
  std::vector<std::map<std::string, ir::Tensor>> eval;
  std::vector<int64_t> labels;
  explicit Oracle(const ir::Graph& fp32,
                  std::vector<std::map<std::string, ir::Tensor>> data = batches(4, 11))
      : eval(std::move(data)) {
    for (const auto& f : eval) {
      const ir::Tensor y = ref::run_graph(fp32, f).at(0);
      for (int64_t i = 0; i < kBatch; ++i) {
        const float* row = y.data<float>() + i * 4;
        labels.push_back(std::max_element(row, row + 4) - row);
      }
    }
  }
  EvalOutcome operator()(const ir::Graph& g) const {
    EvalOutcome o;
    int64_t correct = 0, k = 0;
    for (const auto& f : eval) {
      const ir::Tensor y = ref::run_graph(g, f).at(0);
      for (int64_t i = 0; i < kBatch; ++i, ++k) {
        const float* row = y.data<float>() + i * 4;
        correct += (std::max_element(row, row + 4) - row) == labels[k];
      }
      o.logits.insert(o.logits.end(), y.data<float>(), y.data<float>() + y.numel());
    }
    o.top1 = 100.0 * double(correct) / double(k);
    return o;
  }
};

void quiet(const std::string&) {}

}  // namespace

TEST(Sqnr, HandComputed) {
  // signal 1 + 4 = 5, noise 0.25 + 0 = 0.25: 10 log10(20) dB.
  EXPECT_NEAR(sqnr_db({1, 2}, {1.5f, 2}), 10 * std::log10(20.0), 1e-9);
  EXPECT_TRUE(std::isinf(sqnr_db({1, 2}, {1, 2})));
  EXPECT_THROW(sqnr_db({1}, {1, 2}), Error);
}

TEST(Fallback, ExcludingANodeMatchesPtqWithExclude) {
  const ir::Graph g = outlier_net();
  auto data = feeds_data(batches(2, 5));
  PtqOptions o;
  const PtqCalibration c = calibrate_ptq(g, reference_backend(), *data, o, true);
  EXPECT_EQ(quantizable_nodes(c), (std::vector<std::string>{"a", "b", "c"}));
  PtqOptions excluded = o;
  excluded.overrides.exclude = {"b"};
  const PtqResult direct = quantize_ptq(g, reference_backend(), *data, excluded);
  const PtqResult reused = quantize_calibrated(c, {"b"});
  ASSERT_EQ(direct.report.entries.size(), reused.report.entries.size());
  for (size_t i = 0; i < direct.report.entries.size(); ++i) {
    EXPECT_EQ(direct.report.entries[i].tensor, reused.report.entries[i].tensor);
    EXPECT_EQ(direct.report.entries[i].params.scale, reused.report.entries[i].params.scale);
  }
  EXPECT_EQ(reused.plan.find("h"), nullptr);  // b's input stays FP32
}

TEST(Sensitivity, RanksTheOutlierNodeFirst) {
  const ir::Graph g = outlier_net();
  auto data = feeds_data(batches(2, 5));
  const PtqCalibration c = calibrate_ptq(g, reference_backend(), *data, PtqOptions{}, true);
  const Oracle oracle(g);
  SensitivityOptions so;
  so.progress = quiet;
  const SensitivityResult r =
      analyze_sensitivity(g, c, std::cref(oracle), reference_backend(), *data, so);
  EXPECT_EQ(r.fp32_top1, 100.0);
  ASSERT_EQ(r.nodes.size(), 3u);
  EXPECT_EQ(r.nodes[0].node, "b");
  EXPECT_LT(r.nodes[0].top1_only_quantized, 80.0);  // quantizing h alone ruins the net
  EXPECT_GT(r.nodes[0].top1_only_fp32, 95.0);       // and keeping it alone in FP32 saves it
  for (size_t k = 1; k < 3; ++k) EXPECT_GT(r.nodes[k].top1_only_quantized, 95.0);
  // The logits with only b quantized are far noisier than with only a or c.
  for (size_t k = 1; k < 3; ++k)
    EXPECT_LT(r.nodes[0].sqnr_only_quantized + 10, r.nodes[k].sqnr_only_quantized);
  // h's own SQNR stays high (the 1000s are exact and dominate its energy): why the ranking is by
  // accuracy and output SQNR, not by each tensor's own error.
  std::vector<std::string> tensors;
  for (const TensorSensitivity& t : r.tensors) tensors.push_back(t.tensor);
  EXPECT_EQ(tensors, (std::vector<std::string>{"x", "Wa", "h", "Wb", "z", "Wc"}));
}

TEST(Tune, FallsBackExactlyTheHarmfulNode) {
  const ir::Graph g = outlier_net();
  auto data = feeds_data(batches(2, 5));
  const Oracle oracle(g);
  TuneOptions o;
  o.max_drop = 3;
  o.fallback = FallbackMode::Fp32;
  o.progress = quiet;
  const TuneResult r = tune_quantization(
      g, reference_backend(), *data, PtqOptions{}, std::cref(oracle),
      [](const ir::Graph&) { return 1.0; }, o);
  ASSERT_TRUE(r.met) << r.ended;
  ASSERT_GE(r.best, 0);
  EXPECT_EQ(r.trials[r.best].fp32_nodes, std::vector<std::string>{"b"});
  EXPECT_EQ(r.trials.size(), o.methods.size() + 1);  // the methods, then one fallback
  // The written graph quantizes x and z, not h.
  int q = 0;
  for (const ir::Node& n : r.best_graph.nodes) {
    if (n.op != "QuantizeLinear") continue;
    ++q;
    EXPECT_NE(n.inputs[0], "h");
  }
  EXPECT_EQ(q, 2);
}

TEST(Tune, UnreachableCriterionSaysSoAndKeepsTheBest) {
  const ir::Graph g = outlier_net();
  auto data = feeds_data(batches(2, 5));
  const Oracle oracle(g);
  TuneOptions o;
  o.max_drop = -1;  // nothing quantized can gain accuracy over FP32's own labels
  o.max_trials = 2;
  o.methods = {CalibrationMethod::Max};
  o.fallback = FallbackMode::Fp32;
  o.progress = quiet;
  const TuneResult r = tune_quantization(
      g, reference_backend(), *data, PtqOptions{}, std::cref(oracle),
      [](const ir::Graph&) { return 1.0; }, o);
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.trials.size(), 3u);  // one method, two fallbacks
  EXPECT_NE(r.ended.find("--max-trials 2"), std::string::npos) << r.ended;
  EXPECT_GE(r.best, 0);
}

namespace {

// x[N,8] (feature 0 ~0.001, the others ~1) -> a Gemm [8 -> 8] -> c Gemm [8 -> 4] -> y: a's row 0
// is 1000 x feature 0 (an output ~1, which c ignores), rows 1..7 weights ~1 on the other
// features. One per-tensor int8 scale for Wa (1000/127) rounds every weight of rows 1..7 to 0, so
// a per-tensor plan destroys the net; per-channel scales keep each row. The activations x and h
// hold values ~1 in every channel that matters: their per-tensor ranges do no harm.
std::vector<std::map<std::string, ir::Tensor>> tiny_first_feature(
    std::vector<std::map<std::string, ir::Tensor>> feeds) {
  for (auto& f : feeds) {
    ir::Tensor& x = f.at("x");
    for (int64_t n = 0; n < x.dim(0); ++n) x.data<float>()[n * 8] *= 0.001f;
  }
  return feeds;
}

ir::Graph tiny_rows_net() {
  std::mt19937 rng(5);
  ir::Graph g;
  g.name = "tiny_rows_net";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 8}));
  g.outputs.push_back(ir::make_value("y"));
  ir::Tensor wa = test::random_tensor({8, 8}, rng, -1.0f, 1.0f);
  for (int64_t i = 0; i < 8; ++i) {
    wa.data<float>()[i] = i == 0 ? 1000.0f : 0.0f;      // row 0: 1000 x feature 0
    wa.data<float>()[i * 8] = i == 0 ? 1000.0f : 0.0f;  // rows 1..7 ignore feature 0
  }
  ir::Tensor wc = test::random_tensor({4, 8}, rng, -1.0f, 1.0f);
  for (int64_t k = 0; k < 4; ++k) wc.data<float>()[k * 8] = 0.0f;  // c ignores h[:, 0]
  g.initializers["Wa"] = wa;
  g.initializers["Ba"] = ir::Tensor(ir::DType::Float32, {8});
  std::fill_n(g.initializers["Ba"].data<float>(), 8, 0.0f);
  g.initializers["Wc"] = wc;
  g.initializers["Bc"] = test::random_tensor({4}, rng, -0.1f, 0.1f);
  const std::map<std::string, ir::Attribute> t = {{"transB", int64_t(1)}};
  g.nodes.push_back(test::node("a", "Gemm", {"x", "Wa", "Ba"}, {"h"}, t));
  g.nodes.push_back(test::node("c", "Gemm", {"h", "Wc", "Bc"}, {"y"}, t));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

PtqOptions per_tensor_weights() {
  PtqOptions p;
  p.scheme.weight_per_channel = false;
  return p;
}

}  // namespace

TEST(Tune, LadderMeetsWithPerChannelWeightsWhereFallbackNeedsFp32) {
  const ir::Graph g = tiny_rows_net();
  auto data = feeds_data(tiny_first_feature(batches(2, 5)));
  const Oracle oracle(g, tiny_first_feature(batches(4, 11)));
  // The premise: per-tensor weights ruin the net, per-channel weights do not.
  PtqOptions pc;
  pc.calibration.show_progress = false;
  PtqOptions pt = per_tensor_weights();
  pt.calibration.show_progress = false;
  EXPECT_LT(oracle(quantize_ptq(g, reference_backend(), *data, pt).graph).top1, 80.0);
  EXPECT_GT(oracle(quantize_ptq(g, reference_backend(), *data, pc).graph).top1, 97.0);

  TuneOptions o;
  o.max_drop = 3;
  o.methods = {CalibrationMethod::Max};
  o.progress = quiet;
  const auto no_latency = [](const ir::Graph&) { return 1.0; };
  const TuneResult ladder =
      tune_quantization(g, reference_backend(), *data, pt, std::cref(oracle), no_latency, o);
  ASSERT_TRUE(ladder.met) << ladder.ended;
  const TuneTrial& best = ladder.trials[ladder.best];
  EXPECT_TRUE(best.fp32_nodes.empty());
  EXPECT_EQ(best.per_channel_nodes, std::vector<std::string>{"a"});
  EXPECT_EQ(best.stage, "per-channel");
  // The written model: Wa dequantized per channel (axis 0, 8 scales), Wc still per tensor.
  int per_axis = 0, weights = 0;
  for (const ir::Node& n : ladder.best_graph.nodes) {
    if (n.op != "DequantizeLinear") continue;
    const ir::Tensor& scale = *ladder.best_graph.initializer(n.inputs[1]);
    if (n.outputs[0].find("Wa") != std::string::npos) {
      ++weights;
      per_axis += scale.numel() == 8;
    }
    if (n.outputs[0].find("Wc") != std::string::npos) {
      ++weights;
      EXPECT_EQ(scale.numel(), 1);
    }
  }
  EXPECT_EQ(weights, 2);
  EXPECT_EQ(per_axis, 1);
  // The report per node says what each got.
  std::map<std::string, std::string> got;
  for (const NodeOutcome& n : ladder.nodes) got[n.node] = n.got;
  EXPECT_EQ(got["a"], "int8 per-channel weights, inputs max");
  EXPECT_EQ(got["c"], "int8 per-tensor weights, inputs max");

  // FP32 fallback alone needs a in FP32 for the same criterion.
  o.fallback = FallbackMode::Fp32;
  const TuneResult fp32 =
      tune_quantization(g, reference_backend(), *data, pt, std::cref(oracle), no_latency, o);
  ASSERT_TRUE(fp32.met) << fp32.ended;
  EXPECT_EQ(fp32.trials[fp32.best].fp32_nodes, std::vector<std::string>{"a"});
}

TEST(Tune, FallbackModeNames) {
  EXPECT_EQ(fallback_mode_by_name("fp32"), FallbackMode::Fp32);
  EXPECT_EQ(fallback_mode_by_name("ladder"), FallbackMode::Ladder);
  EXPECT_THROW(fallback_mode_by_name("int8"), Error);
}
