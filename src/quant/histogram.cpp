// Histogram of |x| and the thresholds the histogram calibrators choose from it.
#include <cmath>
#include <limits>

#include "quant/quant.h"
#include "ref/ref.h"

namespace qcv::quant {

double Histogram::total() const {
  double t = 0;
  for (double c : counts) t += c;
  return t;
}

void Histogram::add(const float* x, size_t n) {
  if (counts.empty()) fail("Histogram::add: histogram has no bins");
  const size_t bins = counts.size();
  const double scale = max_abs > 0 ? bins / max_abs : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double a = std::fabs(static_cast<double>(x[i]));
    if (std::isnan(a)) continue;
    // Values beyond max_abs (a nondeterministic backend) land in the last bin.
    const double b = a * scale;
    const size_t bin = b >= bins ? bins - 1 : static_cast<size_t>(b);
    counts[bin] += 1;
  }
}

double percentile_threshold(const Histogram& h, double percentile) {
  if (percentile <= 0 || percentile > 100)
    fail("percentile calibration: percentile must be in (0, 100], got {}", percentile);
  const double total = h.total();
  if (total == 0) return 0;
  const double target = percentile / 100.0 * total;
  double cum = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cum += h.counts[i];
    if (cum >= target) return (i + 1) * h.bin_width();
  }
  return h.max_abs;
}

double entropy_threshold(const Histogram& h, int quantized_bins) {
  const int bins = static_cast<int>(h.counts.size());
  if (quantized_bins < 1) fail("entropy calibration: quantized_bins must be positive");
  if (bins <= quantized_bins || h.total() == 0) return h.max_abs;
  // Bin 0 takes bin 1's count (as NVIDIA's pytorch-quantization does): the exact zeros after a
  // Relu would otherwise dominate P and pull the threshold far down.
  std::vector<double> c = h.counts;
  c[0] = c[1];
  // Suffix sums: the outliers beyond each candidate threshold.
  std::vector<double> beyond(bins + 1, 0.0);
  for (int j = bins - 1; j >= 0; --j) beyond[j] = beyond[j + 1] + c[j];
  const double total = beyond[0];

  double best_kl = std::numeric_limits<double>::infinity();
  int best = bins;
  std::vector<double> group_sum(quantized_bins), group_nonzero(quantized_bins);
  for (int i = quantized_bins; i <= bins; ++i) {
    // Q: bins [0, i) merged into quantized_bins groups (bin j in group j * levels / i), each
    // group's count spread evenly over its non-empty bins.
    std::fill(group_sum.begin(), group_sum.end(), 0.0);
    std::fill(group_nonzero.begin(), group_nonzero.end(), 0.0);
    double q_total = 0;
    for (int j = 0; j < i; ++j) {
      const int g = static_cast<int>(static_cast<int64_t>(j) * quantized_bins / i);
      group_sum[g] += c[j];
      if (c[j] != 0) group_nonzero[g] += 1;
      q_total += c[j];
    }
    if (q_total == 0) continue;
    // P: bins [0, i) with the outliers added to the last one.
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      const double p = (c[j] + (j == i - 1 ? beyond[i] : 0.0)) / total;
      if (p == 0) continue;
      const int g = static_cast<int>(static_cast<int64_t>(j) * quantized_bins / i);
      const double q = c[j] != 0 ? group_sum[g] / group_nonzero[g] / q_total : 0.0;
      if (q == 0) {
        kl = std::numeric_limits<double>::infinity();
        break;
      }
      kl += p * std::log(p / q);
    }
    if (kl <= best_kl) {  // ties: the larger threshold
      best_kl = kl;
      best = i;
    }
  }
  return best * h.bin_width();
}

double mse_threshold(const Histogram& h, int levels) {
  const int bins = static_cast<int>(h.counts.size());
  const double w = h.bin_width();
  if (bins == 0 || w == 0 || levels < 1) return h.max_abs;
  std::vector<int> used;
  for (int j = 0; j < bins; ++j)
    if (h.counts[j] != 0) used.push_back(j);
  double best_err = std::numeric_limits<double>::infinity();
  double best = h.max_abs;
  for (int i = 1; i <= bins; ++i) {
    const float threshold = static_cast<float>(i * w);
    const float scale = threshold / levels;
    double err = 0;
    for (int j : used) {
      const float x = static_cast<float>((j + 0.5) * w);
      const float dq = ref::quantize_value(x, scale, 0, 0, levels) * scale;
      err += h.counts[j] * (static_cast<double>(x) - dq) * (static_cast<double>(x) - dq);
      if (err >= best_err) break;
    }
    if (err < best_err) {
      best_err = err;
      best = threshold;
    }
  }
  return best;
}

}  // namespace qcv::quant
