// Calibration guards: the share of the observed values and of the observed range that a
// calibrated range clips, and the warning ptq prints when it is too much.
#include "quant/calibration_guard.h"

#include <algorithm>
#include <cmath>

namespace qcv::quant {

std::string Clipping::warning() const {
  std::string values = values_percent > 0 || range_percent == 0
                           ? fmt::format("{:.2f}% of the calibration values and ", values_percent)
                           : std::string();
  std::string exclude;
  for (const std::string& c : consumers) exclude += " --exclude " + c;
  return fmt::format(
      "the {} range of '{}' [{:.4g}, {:.4g}] clips {}{:.1f}% of its observed range [{:.4g}, "
      "{:.4g}]: try --method auto (or mse, percentile, max){}",
      method, tensor, range_min, range_max, values, range_percent, observed_min, observed_max,
      exclude.empty() ? "" : ", or keep its readers in FP32 with" + exclude);
}

Clipping measure_clipping(const TensorStats& stats, float lo, float hi) {
  Clipping c;
  c.range_min = lo;
  c.range_max = hi;
  c.observed_min = stats.min;
  c.observed_max = stats.max;
  if (!stats.seen) return c;
  const double max_abs = std::max(std::fabs(double(stats.min)), std::fabs(double(stats.max)));
  const double reach = std::max(std::fabs(double(lo)), std::fabs(double(hi)));
  if (max_abs <= 0 || reach >= max_abs) return c;
  c.range_percent = 100.0 * (max_abs - reach) / max_abs;
  const Histogram& h = stats.hist;
  const double total = h.total(), w = h.bin_width();
  if (total <= 0 || w <= 0) return c;
  double clipped = 0;
  for (size_t j = 0; j < h.counts.size(); ++j) {
    const double lower = double(j) * w, upper = lower + w;
    if (lower >= reach)
      clipped += h.counts[j];
    else if (upper > reach)
      clipped += h.counts[j] * (upper - reach) / w;  // the straddling bin, in proportion
  }
  c.values_percent = 100.0 * clipped / total;
  return c;
}

std::vector<Clipping> find_clipping(const PtqResult& result, const ClipLimits& limits) {
  std::vector<Clipping> found;
  for (const ReportEntry& e : result.report.entries) {
    if (e.role != TensorRole::Activation) continue;
    auto it = result.stats.find(e.tensor);
    if (it == result.stats.end()) continue;
    Clipping c = measure_clipping(it->second, e.params.range_min, e.params.range_max);
    c.tensor = e.tensor;
    c.method = e.method.empty() ? result.report.method : e.method;
    c.consumers = e.consumers;
    if (c.exceeds(limits)) found.push_back(std::move(c));
  }
  return found;
}

std::vector<std::string> calibration_notes(const PtqResult& result, const ClipLimits& limits) {
  std::vector<std::string> lines;
  for (const Clipping& c : find_clipping(result, limits)) lines.push_back("warning: " + c.warning());
  if (result.report.method != "auto") return lines;
  std::map<std::string, int> count;
  for (const ReportEntry& e : result.report.entries)
    if (e.role == TensorRole::Activation) ++count[e.method];
  std::string summary;
  for (const auto& [method, n] : count)
    summary += fmt::format("{}{} for {} tensor{}", summary.empty() ? "" : ", ", method, n,
                           n == 1 ? "" : "s");
  lines.push_back("auto calibration (lowest MSE of the fake-quantized tensor on the calibration "
                  "data): " + summary);
  return lines;
}

}  // namespace qcv::quant
