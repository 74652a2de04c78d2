// Calibrators against hand-computed thresholds and an independent entropy reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "quant/quant.h"
#include "quant_test_util.h"

namespace qcv::quant {
namespace {

Histogram make_hist(std::vector<double> counts, double max_abs) {
  Histogram h;
  h.counts = std::move(counts);
  h.max_abs = max_abs;
  return h;
}

TEST(Histogram, BinsAbsoluteValues) {
  Histogram h = make_hist(std::vector<double>(4, 0.0), 4.0);  // bins of width 1
  const std::vector<float> x = {0.0f, -0.5f, 1.0f, -1.5f, 3.99f, 4.0f, -4.0f, 9.0f};
  h.add(x.data(), x.size());
  // |x|: 0, .5 -> bin 0; 1, 1.5 -> bin 1; 3.99, 4, 4, 9 (clamped) -> bin 3.
  EXPECT_EQ(h.counts, (std::vector<double>{2, 2, 0, 4}));
  EXPECT_DOUBLE_EQ(h.total(), 8);
}

TEST(Percentile, HandComputedThresholds) {
  // 10 bins of width 1, 10 values each: the p-th percentile ends in bin ceil(p/10) - 1.
  Histogram h = make_hist(std::vector<double>(10, 10.0), 10.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 50), 5.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 95), 10.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(h, 100), 10.0);
  // 999 values in bin 0, 1 outlier in the last bin: 99.8% ends at bin 0, 99.99% at the last.
  Histogram o = make_hist({999, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 10.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(o, 99.8), 1.0);
  EXPECT_DOUBLE_EQ(percentile_threshold(o, 99.99), 10.0);
  EXPECT_THROW(percentile_threshold(o, 0), Error);
  EXPECT_THROW(percentile_threshold(o, 101), Error);
}

// TensorRT's algorithm written as plainly as possible (pytorch-quantization's formulation with
// linspace/digitize), independent of the implementation under test.
double reference_entropy(std::vector<double> hist, double max_abs, int nbins = 128) {
  const int n = static_cast<int>(hist.size());
  hist[0] = hist[1];  // Relu zeros are not allowed to dominate
  double total = 0;
  for (double c : hist) total += c;
  double best = std::numeric_limits<double>::infinity();
  int best_i = n;
  for (int i = nbins; i <= n; ++i) {
    std::vector<double> space(nbins + 1);
    for (int k = 0; k <= nbins; ++k) space[k] = static_cast<double>(i) / nbins * k;
    std::vector<int> digit(i);
    for (int j = 0; j < i; ++j) {
      int k = 0;
      while (k + 1 <= nbins && space[k + 1] <= j) ++k;  // digitize(j, space) - 1
      digit[j] = hist[j] == 0 ? -1 : k;
    }
    std::vector<double> merged(nbins, 0.0), members(nbins, 0.0);
    for (int j = 0; j < i; ++j)
      if (digit[j] >= 0) merged[digit[j]] += hist[j], members[digit[j]] += 1;
    std::vector<double> q(i, 0.0), p(hist.begin(), hist.begin() + i);
    double qsum = 0;
    for (int j = 0; j < i; ++j)
      if (digit[j] >= 0) q[j] = merged[digit[j]] / members[digit[j]], qsum += q[j];
    for (int j = i; j < n; ++j) p[i - 1] += hist[j];
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      const double pj = p[j] / total, qj = qsum > 0 ? q[j] / qsum : 0;
      if (pj == 0) continue;
      kl = qj == 0 ? std::numeric_limits<double>::infinity() : kl + pj * std::log(pj / qj);
      if (std::isinf(kl)) break;
    }
    if (kl <= best) best = kl, best_i = i;
  }
  return best_i * max_abs / n;
}

TEST(Entropy, MatchesReferenceOnGaussianWithOutliers) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(20000);
  for (auto& v : x) v = normal(rng);
  x[0] = 12.0f, x[1] = -9.0f, x[2] = 7.5f;  // outliers stretch the range
  Histogram h = make_hist(std::vector<double>(512, 0.0), 12.0);
  h.add(x.data(), x.size());
  const double got = entropy_threshold(h, 128);
  const double want = reference_entropy(h.counts, 12.0);
  EXPECT_DOUBLE_EQ(got, want);
  // The outliers are clipped: the threshold lies well inside the range.
  EXPECT_LT(got, 6.0);
  EXPECT_GT(got, 2.0);
}

TEST(Entropy, MatchesReferenceOnHalfNormalAndSparseHistograms) {
  std::mt19937 rng(5);
  std::exponential_distribution<float> expo(1.5f);
  std::vector<float> x(5000);
  for (auto& v : x) v = expo(rng);
  Histogram h = make_hist(std::vector<double>(384, 0.0), 8.0);
  h.add(x.data(), x.size());
  EXPECT_DOUBLE_EQ(entropy_threshold(h, 128), reference_entropy(h.counts, 8.0));
  // Sparse: few non-empty bins (holes make Q zero where P is not for some candidates).
  Histogram s = make_hist(std::vector<double>(300, 0.0), 3.0);
  s.counts[0] = 50, s.counts[10] = 30, s.counts[140] = 5, s.counts[299] = 1;
  EXPECT_DOUBLE_EQ(entropy_threshold(s, 128), reference_entropy(s.counts, 3.0));
  // Fewer bins than levels: nothing to clip.
  Histogram few = make_hist({1, 2, 3}, 3.0);
  EXPECT_DOUBLE_EQ(entropy_threshold(few, 128), 3.0);
  // A Relu output: half the values exactly 0 must not pull the threshold down.
  std::vector<float> relu(x.begin(), x.end());
  relu.resize(10000, 0.0f);
  Histogram r = make_hist(std::vector<double>(384, 0.0), 8.0);
  r.add(relu.data(), relu.size());
  EXPECT_DOUBLE_EQ(entropy_threshold(r, 128), entropy_threshold(h, 128));
}

TEST(Entropy, HandComputedKlOnFourBins) {
  // Counts {10, 4, 4, 2} over [0, 4), two levels. Bin 0 takes bin 1's count: c = {4, 4, 4, 2},
  // 14 in all. Candidates (P: outliers folded into the last bin; Q: groups j * 2 / i spread over
  // their non-empty bins):
  //   i=2: P = {4, 10}/14,   Q = {4, 4}/8:        KL = 0.0949
  //   i=3: P = {4, 4, 6}/14, Q = {4, 4, 4}/12:    KL = 0.0196   <- minimum
  //   i=4: P = {4, 4, 4, 2}/14, Q = {4, 4, 3, 3}/14: KL = 0.0243
  const Histogram h = make_hist({10, 4, 4, 2}, 4.0);
  EXPECT_DOUBLE_EQ(entropy_threshold(h, 2), 3.0);
  EXPECT_DOUBLE_EQ(reference_entropy(h.counts, 4.0, 2), 3.0);
}

TEST(Entropy, OneSidedAsymmetricRangesUseAllLevels) {
  // A Relu output quantized to uint8 [0, T] has 256 levels, symmetric int8 only 128: the entropy
  // threshold is searched with as many levels as the range really has (pytorch-quantization's
  // `unsigned`). With 256 bins and 256 levels there is nothing to clip.
  std::mt19937 rng(7);
  std::exponential_distribution<float> expo(3.0f);
  TensorStats s;
  s.seen = true;
  s.min = 0.0f;
  s.max = 8.0f;
  s.hist = make_hist(std::vector<double>(256, 0.0), 8.0);
  std::vector<float> x(20000);
  for (auto& v : x) v = std::min(expo(rng), 7.99f);
  x[0] = 7.99f, x[1] = 6.5f;  // outliers the symmetric search clips
  s.hist.add(x.data(), x.size());
  CalibrationOptions o;
  o.method = CalibrationMethod::Entropy;
  EXPECT_FLOAT_EQ(calibrated_range(s, o, false, ir::DType::UInt8).second, 8.0f);
  const float symmetric = calibrated_range(s, o, true, ir::DType::Int8).second;
  EXPECT_FLOAT_EQ(symmetric, static_cast<float>(entropy_threshold(s.hist, 128)));
  EXPECT_LT(symmetric, 8.0f);
}

// Expected squared error of symmetric fake quantization over the bin centers, by hand formula.
double hand_mse(const Histogram& h, double threshold, int levels) {
  const double w = h.bin_width(), s = threshold / levels;
  double err = 0;
  for (size_t j = 0; j < h.counts.size(); ++j) {
    const double x = (j + 0.5) * w;
    const double q = std::min<double>(levels, std::nearbyint(x / s));
    err += h.counts[j] * (x - q * s) * (x - q * s);
  }
  return err;
}

TEST(Mse, PicksTheMinimumOfTheExpectedError) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(4000);
  for (auto& v : x) v = normal(rng);
  x[0] = 10.0f;
  Histogram h = make_hist(std::vector<double>(256, 0.0), 10.0);
  h.add(x.data(), x.size());
  const double t = mse_threshold(h, 127);
  double best = std::numeric_limits<double>::infinity(), best_t = 0;
  for (int i = 1; i <= 256; ++i) {
    const double e = hand_mse(h, i * h.bin_width(), 127);
    if (e < best * (1 - 1e-9)) best = e, best_t = i * h.bin_width();
  }
  EXPECT_NEAR(t, best_t, 1e-5);
  EXPECT_LT(t, 10.0);  // the single outlier is clipped
}

TEST(Mse, PointMassIsRepresentedExactly) {
  // All values at the center of bin 7 (width 1, center 7.5) and 2 levels: thresholds 7.5 * 2 / k
  // that are bin edges with zero error: 15 (k = 1, step 7.5). The first minimum is taken.
  Histogram h = make_hist(std::vector<double>(16, 0.0), 16.0);
  h.counts[7] = 100;
  const double t = mse_threshold(h, 2);
  EXPECT_NEAR(hand_mse(h, t, 2), 0.0, 1e-9);
  EXPECT_DOUBLE_EQ(t, 15.0);
}

TEST(CollectStats, MinMaxStreamsOverBatches) {
  ir::Graph g = test::residual_block();
  std::vector<std::map<std::string, ir::Tensor>> batches;
  batches.push_back(
      {{"x", ir::Tensor::from_vector<float>({1, 4, 8, 8}, std::vector<float>(256, 0.5f))}});
  auto second = ir::Tensor::from_vector<float>({1, 4, 8, 8}, std::vector<float>(256, 0.25f));
  second.data<float>()[3] = -3.0f;
  second.data<float>()[200] = 1.75f;
  batches.push_back({{"x", second}});
  auto data = feeds_data(batches);
  CalibrationOptions o;
  o.method = CalibrationMethod::Percentile;
  o.num_bins = 64;
  std::vector<std::string> lines;
  o.progress = [&](const std::string& l) { lines.push_back(l); };
  auto stats = collect_stats(g, {"x", "a1"}, reference_backend(), *data, o);
  EXPECT_FLOAT_EQ(stats["x"].min, -3.0f);
  EXPECT_FLOAT_EQ(stats["x"].max, 1.75f);
  EXPECT_GE(stats["a1"].min, 0.0f);  // after Relu
  EXPECT_DOUBLE_EQ(stats["x"].hist.max_abs, 3.0);
  EXPECT_DOUBLE_EQ(stats["x"].hist.total(), 512.0);  // second pass saw every value once
  // Two passes of two batches, the last line of each pass says 2/2.
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("pass 2/2: batch 2/2"), std::string::npos) << lines.back();
  // Max method: the observed range; others clip it to the threshold.
  CalibrationOptions m;
  EXPECT_EQ(calibrated_range(stats["x"], m, true, ir::DType::Int8), std::make_pair(-3.0f, 1.75f));
  // |x| = 0.25 (254 values) falls in bin 5 of width 3/64, 0.5 (256 values) in bin 10: the median
  // ends in bin 10, so the threshold is its upper edge 11 * 3/64.
  o.percentile = 50;
  auto r = calibrated_range(stats["x"], o, true, ir::DType::Int8);
  EXPECT_FLOAT_EQ(r.second, 11 * 3.0f / 64);
  EXPECT_FLOAT_EQ(r.first, -11 * 3.0f / 64);
}

}  // namespace
}  // namespace qcv::quant
