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

// A ReLU6 output as MobileNetV2's first block shows on Fashion-MNIST: zeros, a flat spread of
// values up to 4.4 (6 once), and a tall spike (the constant image background) at 0.44.
// Entropy's KL threshold lands just past the spike (0.44, checked with bench/entropy_ref.py's
// numpy reference), clipping the spread: 30% of the values.
TensorStats background_spike() {
  std::vector<double> counts(2048, 0.0);
  for (int j = 1; j < 1500; ++j) counts[j] = 100.0;
  counts[0] = 100000.0;
  counts[150] = 200000.0;
  counts[2047] = 1.0;
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

TEST(CalibrationGuard, WarnsWhenEntropyStopsAtASpike) {
  const TensorStats s = background_spike();
  CalibrationOptions entropy;
  entropy.method = CalibrationMethod::Entropy;
  const auto [lo, hi] = calibrated_range(s, entropy, true, ir::DType::Int8);
  ASSERT_LT(hi, 0.5f) << "the case needs entropy to stop at the spike";
  const std::vector<Clipping> found =
      find_clipping(result_with("act_7", s, lo, hi, "entropy"), ClipLimits{});
  ASSERT_EQ(found.size(), 1u);
  // Hand count: T = 0.4424 is bin 151's lower edge; bins 151..1499 (1349 of 100) and the value
  // at 6 are clipped, of 1498 * 100 + 200000 + 100000 + 1 = 449,801 (tolerance: one bin).
  EXPECT_NEAR(found[0].values_percent, 100.0 * (1349 * 100.0 + 1) / 449801.0, 0.03);
  const std::string w = found[0].warning();
  for (const char* part : {"'act_7'", "entropy", "% of the calibration values", "--method auto",
                           "--exclude conv_7"})
    EXPECT_NE(w.find(part), std::string::npos) << part << " missing from: " << w;
}

TEST(CalibrationGuard, SilentWhereNothingIsClipped) {
  const TensorStats s = background_spike();
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

// Runs ptq --method auto on the values and returns the range it chose for x, checking that its
// method is the one with the lowest independently computed error.
std::pair<float, float> auto_choice(const std::vector<float>& values) {
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
  if (!entry) return {0.f, 0.f};
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
  return {entry->params.range_min, entry->params.range_max};
}

TEST(CalibrationAuto, PicksTheMethodWithTheLowestError) {
  // A bulk on [0, 1] and one far outlier at 100: clipping it to c costs (100 - c)^2 / 2001 >= 4.5
  // for any c < 5, far more than the bulk's rounding at the full range (step 100/127: < 0.06).
  std::vector<float> outlier;
  for (int i = 0; i < 2000; ++i) outlier.push_back((i + 0.5f) / 2000.f);
  outlier.push_back(100.f);
  EXPECT_GT(auto_choice(outlier).second, 90.f);
  // The bulk, finer, and one modest outlier at 2: the full range's rounding costs about
  // (2/127)^2/12 = 2.1e-5 per value, a range ending near 1 about a quarter of that plus
  // (2-1)^2/100001 = 1e-5: the range is cut below the outlier.
  std::vector<float> near;
  for (int i = 0; i < 100000; ++i) near.push_back((i + 0.5f) / 100000.f);
  near.push_back(2.f);
  EXPECT_LT(auto_choice(near).second, 1.5f);
}

}  // namespace
}  // namespace qcv::quant
