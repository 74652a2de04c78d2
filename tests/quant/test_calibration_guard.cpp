// Calibration guards (clipping warnings) and --method auto, against hand-computed shares and an
// independent quantizer written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quant/calibration_guard.h"
#include "quant_test_util.h"

namespace qcv::quant {
namespace {

TensorStats stats_of(std::vector<double> counts, float min, float max) {
  TensorStats s;
  s.seen = true;
  s.min = min;
  s.max = max;
  s.hist.counts = std::move(counts);
  s.hist.max_abs = std::max(std::fabs(min), std::fabs(max));
  return s;
}

TEST(CalibrationGuard, MeasuresClippedSharesByHand) {
  // Bins of width 1 over [0, 4]; the range [0, 2.5] clips half of bin 2 and all of bin 3:
  // (5 + 70) / 100 values, and (4 - 2.5) / 4 of the range.
  const TensorStats s = stats_of({10, 10, 10, 70}, 0.f, 4.f);
  const Clipping c = measure_clipping(s, 0.f, 2.5f);
  EXPECT_DOUBLE_EQ(c.values_percent, 75.0);
  EXPECT_DOUBLE_EQ(c.range_percent, 37.5);
  // A symmetric range reaching max|x| clips nothing, whichever side holds the extreme.
  const TensorStats neg = stats_of({10, 10, 10, 70}, -4.f, 1.f);
  EXPECT_EQ(measure_clipping(neg, -4.f, 1.f).values_percent, 0.0);
  EXPECT_EQ(measure_clipping(neg, -4.f, 1.f).range_percent, 0.0);
}

// A ReLU6 output: a bulk decaying over [0, 1] and a spike of saturated values at 6 (a fifth of
// them), as Fashion-MNIST's MobileNetV2 shows.
TensorStats relu6_spike() {
  std::vector<double> counts(2048, 0.0);
  for (int j = 0; j < 340; ++j) counts[j] = 1000.0 * std::exp(-j / 60.0);
  double bulk = 0;
  for (double c : counts) bulk += c;
  counts.back() = bulk / 4;  // 20% of all values
  return stats_of(counts, 0.f, 6.f);
}

PtqResult result_with(const std::string& tensor, const TensorStats& s, float lo, float hi,
                      const std::string& method) {
  PtqResult r;
  r.stats[tensor] = s;
  r.report.method = method;
  ReportEntry e;
  e.tensor = tensor;
  e.role = TensorRole::Activation;
  e.consumers = {"conv_7"};
  e.params = params_for_range(lo, hi, ir::DType::Int8, true);
  e.method = method;
  r.report.entries.push_back(e);
  return r;
}

TEST(CalibrationGuard, WarnsWhenEntropyClipsAReluSixSpike) {
  const TensorStats s = relu6_spike();
  CalibrationOptions entropy;
  entropy.method = CalibrationMethod::Entropy;
  const auto [lo, hi] = calibrated_range(s, entropy, true, ir::DType::Int8);
  ASSERT_LT(hi, 3.f) << "the case needs entropy to cut the spike off";
  const std::vector<Clipping> found =
      find_clipping(result_with("act_7", s, lo, hi, "entropy"), ClipLimits{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_GE(found[0].values_percent, 20.0);  // at least the spike
  const std::string w = found[0].warning();
  for (const char* part : {"'act_7'", "entropy", "% of the calibration values", "--method auto",
                           "--exclude conv_7"})
    EXPECT_NE(w.find(part), std::string::npos) << part << " missing from: " << w;
}

TEST(CalibrationGuard, SilentWhereNothingIsClipped) {
  const TensorStats s = relu6_spike();
  CalibrationOptions max;
  const auto [lo, hi] = calibrated_range(s, max, true, ir::DType::Int8);
  EXPECT_TRUE(find_clipping(result_with("act_7", s, lo, hi, "max"), ClipLimits{}).empty());
  // Percentile 99.99 on a smooth tail clips 0.01% of the values: within the default limits.
  std::vector<double> smooth(2048);
  for (int j = 0; j < 2048; ++j) smooth[j] = 1000.0 * std::exp(-j / 200.0);
  const TensorStats t = stats_of(smooth, 0.f, 6.f);
  CalibrationOptions p;
  p.method = CalibrationMethod::Percentile;
  const auto [plo, phi] = calibrated_range(t, p, true, ir::DType::Int8);
  EXPECT_LT(phi, 6.f);
  EXPECT_TRUE(find_clipping(result_with("act_8", t, plo, phi, "percentile"), ClipLimits{}).empty());
  // ... and a tighter limit reports it.
  EXPECT_EQ(find_clipping(result_with("act_8", t, plo, phi, "percentile"), {0.001, 90}).size(), 1u);
}

// ---- --method auto ----

// x[1,1,1,N] -> Conv 1x1 (weight 1) -> y: the only activation target is x itself.
ir::Graph one_conv(int64_t n) {
  ir::Graph g;
  g.name = "one_conv";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {1, 1, 1, n}));
  g.outputs.push_back(ir::make_value("y"));
  ir::Tensor w(ir::DType::Float32, {1, 1, 1, 1});
  w.data<float>()[0] = 1.f;
  g.initializers["W"] = w;
  g.nodes.push_back(test::node("conv", "Conv", {"x", "W"}, {"y"},
                               {{"kernel_shape", std::vector<int64_t>{1, 1}}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

// Symmetric int8 fake quantization written out (round half to even, saturate), independent of
// qcv's quantizer.
double independent_error(const std::vector<float>& x, float lo, float hi) {
  const double amax = std::max(std::fabs(lo), std::fabs(hi));
  const double scale = amax > 0 ? float(amax / 127.0) : 1.0;
  double sum = 0;
  for (float v : x) {
    double q = std::nearbyint(double(v) / scale);  // default rounding mode: half to even
    q = std::min(127.0, std::max(-128.0, q));
    sum += (v - q * scale) * (v - q * scale);
  }
  return sum / double(x.size());
}

// Runs ptq --method auto on the values and returns the method it chose for x, checking that it
// is the one with the lowest independently computed error.
std::string auto_choice(const std::vector<float>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  ir::Tensor x(ir::DType::Float32, {1, 1, 1, n});
  std::copy(values.begin(), values.end(), x.data<float>());
  auto data = feeds_data({{{"x", x}}});
  PtqOptions o;
  o.optimize = false;
  o.calibration.method = CalibrationMethod::Auto;
  o.calibration.show_progress = false;
  const PtqResult r = quantize_ptq(one_conv(n), reference_backend(), *data, o);
  const ReportEntry* entry = nullptr;
  for (const ReportEntry& e : r.report.entries)
    if (e.tensor == "x") entry = &e;
  EXPECT_NE(entry, nullptr);
  if (!entry) return "";
  std::string best;
  double best_err = std::numeric_limits<double>::infinity();
  for (const char* m : {"max", "percentile", "entropy", "mse"}) {
    CalibrationOptions c = o.calibration;
    c.method = method_by_name(m);
    const auto [lo, hi] = calibrated_range(r.stats.at("x"), c, true, ir::DType::Int8);
    const double err = independent_error(values, lo, hi);
    EXPECT_NEAR(entry->method_mse.at(m), err, 1e-9 + 1e-6 * err) << m;
    if (err < best_err * (1 - 1e-9)) best_err = err, best = m;  // ties: the first listed
  }
  EXPECT_EQ(entry->method, best);
  return entry->method;
}

TEST(CalibrationAuto, PicksTheMethodWithTheLowestError) {
  // A bulk on [0, 1] and one far outlier: clipping the outlier costs more than the rounding of
  // the bulk gains, so the full range (max) is best.
  std::vector<float> outlier;
  for (int i = 0; i < 2000; ++i) outlier.push_back((i + 0.5f) / 2000.f);
  outlier.push_back(100.f);
  const std::string a = auto_choice(outlier);
  // The same bulk, finer, and one modest outlier at 2: clipping near 1 halves the bulk's step
  // for a small error on one value, so a clipping method wins.
  std::vector<float> near;
  for (int i = 0; i < 100000; ++i) near.push_back((i + 0.5f) / 100000.f);
  near.push_back(2.f);
  const std::string b = auto_choice(near);
  EXPECT_EQ(a, "max");
  EXPECT_NE(b, "max");
}

}  // namespace
}  // namespace qcv::quant
