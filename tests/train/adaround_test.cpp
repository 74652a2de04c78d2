// AdaRound's LibTorch solver: a layer small enough to reason about by hand where rounding to
// nearest errs in one direction, and a rounded QDQ graph that ONNX Runtime runs as qcv does.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <set>

#include "onnx/onnx.h"
#include "onnx/ort_peer.h"
#include "quant/fallback.h"
#include "quant/tune.h"
#include "ref/ref.h"
#include "train/adaround_solver.h"

namespace qcv {
namespace {

// y = Conv1x1(x[N,8,1,1], W[1,8,1,1]): W / 0.1 = [7, 2.4, 1.3, 3.45, 0.35, 4.2, 5.35, 6.3] with
// int4 per-tensor weights (scale 0.7 / 7 = 0.1). Every fraction is below one half, so nearest
// rounds all of them down and loses 0.4 + 0.3 + 0.45 + 0.35 + 0.2 + 0.35 + 0.3 = 2.35 steps of
// w . x; the inputs are all near 1 (1 + U(-0.1, 0.1)), so those losses add up: the output is
// about 0.235 low. Rounding two of them up instead leaves |2 - 2.35| = 0.35 steps: 0.035.
// Uniform in [lo, hi].
ir::Tensor uniform(ir::Shape shape, unsigned seed, float lo, float hi) {
  ir::Tensor t = test::random_floats(std::move(shape), seed, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = lo + (hi - lo) * 0.5f * (t.data<float>()[i] + 1.0f);
  return t;
}

const std::vector<float> kSteps = {7, 2.4f, 1.3f, 3.45f, 0.35f, 4.2f, 5.35f, 6.3f};

ir::Graph hand_conv() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 8, 1, 1}));
  g.outputs.push_back(ir::make_value("y"));
  std::vector<float> w;
  for (float s : kSteps) w.push_back(0.1f * s);
  g.initializers["W"] = ir::Tensor::from_vector<float>({1, 8, 1, 1}, w);
  g.nodes.push_back(test::make_node("conv", "Conv", {"x", "W"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

std::vector<std::map<std::string, ir::Tensor>> near_one_inputs() {
  std::vector<std::map<std::string, ir::Tensor>> out;
  for (unsigned b = 0; b < 4; ++b)
    out.push_back({{"x", uniform({16, 8, 1, 1}, 11 + b, 0.9f, 1.1f)}});
  return out;
}

// Mean over the inputs of (x . (0.1 q - w))^2.
double output_error(const std::vector<int>& q,
                    const std::vector<std::map<std::string, ir::Tensor>>& batches) {
  double sum = 0;
  int rows = 0;
  for (const auto& feeds : batches) {
    const ir::Tensor& x = feeds.at("x");
    for (int64_t n = 0; n < x.dim(0); ++n, ++rows) {
      double e = 0;
      for (int k = 0; k < 8; ++k)
        e += x.data<float>()[n * 8 + k] * (0.1 * q[k] - 0.1 * double(kSteps[k]));
      sum += e * e;
    }
  }
  return sum / rows;
}

std::vector<int> int8_weight(const ir::Graph& q, const std::string& node) {
  const ir::Node& n = q.nodes.at(q.find_node(node));
  const ir::Node& dq = q.nodes.at(q.producer(n.inputs[1]));
  const ir::Tensor& t = *q.initializer(dq.inputs[0]);
  std::vector<int> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<int8_t>()[i]);
  return out;
}

quant::PtqOptions adaround_options(int bits, bool per_channel, int iterations) {
  quant::PtqOptions o;
  o.scheme.weight_bits = bits;
  o.scheme.weight_per_channel = per_channel;
  o.calibration.show_progress = false;
  auto a = std::make_shared<quant::AdaRoundOptions>();
  a->iterations = iterations;
  a->solve = train::solve_rounding;
  o.adaround = a;
  return o;
}

TEST(AdaRound, BeatsNearestWhereNearestErrsInOneDirection) {
  const auto batches = near_one_inputs();
  auto data = quant::feeds_data(batches);
  const quant::PtqResult r = quant::quantize_ptq(hand_conv(), quant::reference_backend(), *data,
                                                 adaround_options(4, false, 1000));
  const std::vector<int> nearest = {7, 2, 1, 3, 0, 4, 5, 6};
  const std::vector<int> q = int8_weight(r.graph, "conv");
  ASSERT_EQ(q.size(), 8u);
  int up = 0;
  for (int k = 0; k < 8; ++k) {
    EXPECT_LE(std::abs(q[k] - nearest[k]), 1) << k;
    up += q[k] - nearest[k];
  }
  const double e_nearest = output_error(nearest, batches), e_ada = output_error(q, batches);
  // Nearest: about 0.235^2 = 0.055; two weights up: about 0.035^2 = 0.0012 (plus the inputs'
  // spread around 1 in either case).
  EXPECT_NEAR(e_nearest, 0.235 * 0.235, 0.01);
  EXPECT_LT(e_ada, e_nearest / 10) << "rounded up: " << up;
  EXPECT_EQ(up, 2);
  // The pass's own report measured the same errors on the same rows.
  ASSERT_TRUE(r.adaround);
  ASSERT_EQ(r.adaround->layers.size(), 1u);
  EXPECT_NEAR(r.adaround->layers[0].error_nearest, e_nearest, 1e-6);
  EXPECT_NEAR(r.adaround->layers[0].error_adaround, e_ada, 1e-6);
  EXPECT_EQ(r.adaround->layers[0].changed, 2);
}

// x[N,3,8,8] -> Conv3x3 3->8 pads 1 -> Relu -> depthwise Conv3x3 stride 2 pads 1 -> Relu
//   -> Conv1x1 8->6 -> GlobalAveragePool -> Flatten -> Gemm(transB) 6->4.
ir::Graph small_net() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 3, 8, 8}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W1"] = uniform({8, 3, 3, 3}, 21, -0.5f, 0.5f);
  g.initializers["B1"] = uniform({8}, 22, -0.1f, 0.1f);
  g.initializers["W2"] = uniform({8, 1, 3, 3}, 23, -0.5f, 0.5f);
  g.initializers["W3"] = uniform({6, 8, 1, 1}, 24, -0.5f, 0.5f);
  g.initializers["Wfc"] = uniform({4, 6}, 25, -1, 1);
  g.initializers["Bfc"] = uniform({4}, 26, -0.1f, 0.1f);
  const std::vector<int64_t> pad1 = {1, 1, 1, 1};
  g.nodes.push_back(test::make_node("c1", "Conv", {"x", "W1", "B1"}, {"t1"}, {{"pads", pad1}}));
  g.nodes.push_back(test::make_node("r1", "Relu", {"t1"}, {"a1"}));
  g.nodes.push_back(test::make_node(
      "dw", "Conv", {"a1", "W2"}, {"t2"},
      {{"pads", pad1}, {"strides", std::vector<int64_t>{2, 2}}, {"group", int64_t(8)}}));
  g.nodes.push_back(test::make_node("r2", "Relu", {"t2"}, {"a2"}));
  g.nodes.push_back(test::make_node("pw", "Conv", {"a2", "W3"}, {"t3"}));
  g.nodes.push_back(test::make_node("gap", "GlobalAveragePool", {"t3"}, {"p"}));
  g.nodes.push_back(test::make_node("flat", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(
      test::make_node("fc", "Gemm", {"f", "Wfc", "Bfc"}, {"y"}, {{"transB", int64_t(1)}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

TEST(AdaRound, RoundedW4GraphIsValidQdqAndRunsInOrtAsInQcv) {
  std::vector<std::map<std::string, ir::Tensor>> batches;
  for (unsigned b = 0; b < 3; ++b) batches.push_back({{"x", uniform({8, 3, 8, 8}, 40 + b, -1, 1)}});
  test::TempDir dir;
  for (bool per_channel : {true, false}) {
    auto data = quant::feeds_data(batches);
    const quant::PtqResult r = quant::quantize_ptq(small_net(), quant::reference_backend(), *data,
                                                   adaround_options(4, per_channel, 200));
    quant::PtqOptions plain = adaround_options(4, per_channel, 1);
    plain.adaround.reset();
    auto data2 = quant::feeds_data(batches);
    const quant::PtqResult near =
        quant::quantize_ptq(small_net(), quant::reference_backend(), *data2, plain);
    ASSERT_TRUE(r.adaround);
    EXPECT_EQ(r.adaround->layers.size(), 4u);
    int changed = 0;
    for (const char* node : {"c1", "dw", "pw", "fc"}) {
      const std::vector<int> a = int8_weight(r.graph, node), b = int8_weight(near.graph, node);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_LE(std::abs(a[i] - b[i]), 1) << node << " " << i;
        EXPECT_GE(a[i], -8);
        EXPECT_LE(a[i], 7);
        changed += a[i] != b[i];
      }
    }
    EXPECT_GT(changed, 0);
    quant::validate_qdq(r.graph);
    const std::string path = dir.file(per_channel ? "ada_pc.onnx" : "ada_pt.onnx");
    onnx::save(r.graph, path);
    const ir::Graph loaded = onnx::load(path);
    const ir::Tensor x = uniform({2, 3, 8, 8}, 50, -1, 1);
    const ir::Tensor ours = ref::run_graph(loaded, {{"x", x}}).at(0);
    if (!test::ort_available()) GTEST_SKIP() << "onnxruntime-node is not installed";
    const std::vector<float> ort = test::run_ort(path, x, dir);
    ASSERT_EQ(ort.size(), static_cast<size_t>(ours.numel())) << "ORT did not run " << path;
    float spread = 0;
    for (int64_t i = 0; i < ours.numel(); ++i)
      spread = std::max(spread, std::fabs(ours.data<float>()[i]));
    for (size_t i = 0; i < ort.size(); ++i)
      EXPECT_NEAR(ort[i], ours.data<float>()[i], 0.05f * spread) << "logit " << i;
  }
}


// The file a graph is written as (onnx::save is deterministic: initializers in name order).
std::string saved_bytes(const ir::Graph& g, test::TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  onnx::save(g, path);
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Options whose solver counts its calls (one call: one layer solved).
quant::PtqOptions counting_options(int& calls) {
  quant::PtqOptions o = adaround_options(4, false, 100);
  auto a = std::make_shared<quant::AdaRoundOptions>(*o.adaround);
  a->solve = [&calls](const quant::RoundingProblem& p, const quant::AdaRoundOptions& opt) {
    ++calls;
    return train::solve_rounding(p, opt);
  };
  o.adaround = a;
  return o;
}

std::vector<std::map<std::string, ir::Tensor>> small_net_batches() {
  std::vector<std::map<std::string, ir::Tensor>> batches;
  for (unsigned b = 0; b < 3; ++b) batches.push_back({{"x", uniform({8, 3, 8, 8}, 60 + b, -1, 1)}});
  return batches;
}

// AdaRound learns from FP32 activations (no activation range is involved), so one preparation
// serves every calibration method: each method's QDQ file from the shared preparation is byte
// for byte the file a separate quantize_ptq with that method (and its own AdaRound) writes, and
// the solver ran once per layer for all of them.
TEST(AdaRound, OnePreparationServesEveryMethodAsASeparateRunWould) {
  const auto batches = small_net_batches();
  int shared_calls = 0, separate_calls = 0;
  const quant::PtqOptions shared_options = counting_options(shared_calls);
  auto data = quant::feeds_data(batches);
  const quant::PtqPreparation prepared =
      quant::prepare_ptq(small_net(), quant::reference_backend(), *data, shared_options);
  EXPECT_EQ(shared_calls, 4);  // c1, dw, pw, fc
  test::TempDir dir;
  std::set<std::string> files;
  for (quant::CalibrationMethod m :
       {quant::CalibrationMethod::Max, quant::CalibrationMethod::Percentile,
        quant::CalibrationMethod::Entropy, quant::CalibrationMethod::Mse}) {
    const std::string name = quant::method_name(m);
    quant::CalibrationOptions calibration = shared_options.calibration;
    calibration.method = m;
    const quant::PtqResult shared = quant::quantize_calibrated(
        quant::calibrate_prepared(prepared, quant::reference_backend(), *data, calibration));
    quant::PtqOptions separate = counting_options(separate_calls);
    separate.calibration.method = m;
    auto own_data = quant::feeds_data(batches);
    const quant::PtqResult alone =
        quant::quantize_ptq(small_net(), quant::reference_backend(), *own_data, separate);
    const std::string a = saved_bytes(shared.graph, dir, name + "_shared.onnx");
    EXPECT_EQ(a, saved_bytes(alone.graph, dir, name + "_alone.onnx")) << name;
    files.insert(a);
  }
  EXPECT_EQ(shared_calls, 4);
  EXPECT_EQ(separate_calls, 16);
  // The methods' ranges differ (else the comparison would not show that only the rounding is
  // shared).
  EXPECT_GE(files.size(), 2u);
}

// qcv tune's method trials and its ladder's auto ranges are calibrations of one preparation.
TEST(AdaRound, TuneSolvesOncePerLayerForAllItsMethods) {
  const auto batches = small_net_batches();
  int calls = 0;
  auto data = quant::feeds_data(batches);
  const ir::Tensor x = uniform({4, 3, 8, 8}, 70, -1, 1);
  // Never met: every method is tried, then the sensitivity, the ladder (auto) and fallbacks.
  const quant::Evaluate evaluate = [&](const ir::Graph& g) {
    quant::EvalOutcome e;
    const ir::Tensor y = ref::run_graph(g, {{"x", x}}).at(0);
    e.logits.assign(y.data<float>(), y.data<float>() + y.numel());
    bool quantized = false;
    for (const ir::Node& n : g.nodes) quantized |= n.op == "QuantizeLinear";
    e.top1 = quantized ? 0 : 100;
    return e;
  };
  quant::TuneOptions o;
  o.methods = {quant::CalibrationMethod::Max, quant::CalibrationMethod::Percentile,
               quant::CalibrationMethod::Mse};
  o.max_trials = 3;
  o.progress = [](const std::string&) {};
  const quant::TuneResult r = quant::tune_quantization(
      small_net(), quant::reference_backend(), *data, counting_options(calls), evaluate,
      [](const ir::Graph&) { return 1.0; }, o);
  EXPECT_FALSE(r.met);
  EXPECT_TRUE(r.analyzed);
  EXPECT_GE(r.trials.size(), 3u + 3u);  // the methods, then the ladder's trials
  EXPECT_EQ(calls, 4);  // before: 4 layers x (3 methods + auto)
}

}  // namespace
}  // namespace qcv
