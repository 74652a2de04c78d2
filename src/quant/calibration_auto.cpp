// --method auto: one more pass over the calibration data measures, per activation tensor, the
// error each method's range gives with the tensor's real quantizer; the smallest wins.
#include <cmath>
#include <cstdio>

#include "quant/calibration_guard.h"
#include "ref/ref.h"

namespace qcv::quant {

double squared_quantization_error(const float* x, size_t n, const QuantParams& p) {
  if (p.scale.size() != 1 || p.zero_point.size() != 1)
    fail("squared_quantization_error: per-tensor parameters expected, got {} scales",
         p.scale.size());
  const int32_t qmin = p.dtype == ir::DType::UInt8 ? 0 : -128;
  const int32_t qmax = p.dtype == ir::DType::UInt8 ? 255 : 127;
  const float s = p.scale[0];
  const int32_t zp = p.zero_point[0];
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    const double dq = double(ref::quantize_value(x[i], s, zp, qmin, qmax) - zp) * double(s);
    sum += (double(x[i]) - dq) * (double(x[i]) - dq);
  }
  return sum;
}

std::map<std::string, MethodChoice> choose_methods(const ir::Graph& graph, const QuantPlan& plan,
                                                   const std::map<std::string, TensorStats>& stats,
                                                   const Backend& backend, CalibrationData& data,
                                                   const CalibrationOptions& options) {
  // Entropy compares up to 256 levels against the bins (config/calibration.cpp): with fewer bins
  // it is no candidate.
  std::vector<CalibrationMethod> candidates = {CalibrationMethod::Max,
                                               CalibrationMethod::Percentile};
  if (options.num_bins > 256) candidates.push_back(CalibrationMethod::Entropy);
  candidates.push_back(CalibrationMethod::Mse);

  struct Trials {
    std::vector<QuantParams> params;
    std::vector<double> sum;
    double count = 0;
  };
  std::map<std::string, Trials> trials;
  std::map<std::string, MethodChoice> choices;
  for (const QuantTarget& t : plan.targets) {
    if (t.role != TensorRole::Activation || choices.count(t.tensor)) continue;
    const TensorStats& s = stats.at(t.tensor);
    MethodChoice& c = choices[t.tensor];
    Trials& tr = trials[t.tensor];
    for (CalibrationMethod m : candidates) {
      CalibrationOptions o = options;
      o.method = m;
      const auto [lo, hi] = calibrated_range(s, o, t.symmetric, t.dtype);
      MethodTrial trial;
      trial.method = m;
      trial.range_min = lo;
      trial.range_max = hi;
      c.trials.push_back(trial);
      tr.params.push_back(params_for_range(lo, hi, t.dtype, t.symmetric));
      tr.sum.push_back(0.0);
    }
  }
  if (options.show_progress) {
    const std::string line = fmt::format(
        "calibration pass 3/3 (auto): error of {} methods' ranges on {} tensors, {} batches",
        candidates.size(), choices.size(), data.num_batches());
    if (options.progress)
      options.progress(line);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
  }
  Observer observe = [&](const std::string& name, const ir::Tensor& value) {
    auto it = trials.find(name);
    if (it == trials.end()) return;
    const float* x = value.data<float>();
    const size_t n = static_cast<size_t>(value.numel());
    for (size_t k = 0; k < it->second.params.size(); ++k)
      it->second.sum[k] += squared_quantization_error(x, n, it->second.params[k]);
    it->second.count += double(n);
  };
  std::vector<std::string> names;
  for (const auto& [name, t] : trials) names.push_back(name);
  Runner run = backend(graph, names, observe);
  std::map<std::string, ir::Tensor> feeds;
  data.rewind();
  while (data.next(feeds)) run(feeds);

  for (auto& [name, c] : choices) {
    const Trials& tr = trials.at(name);
    size_t best = 0;
    for (size_t k = 0; k < c.trials.size(); ++k) {
      c.trials[k].mse = tr.count > 0 ? tr.sum[k] / tr.count : 0.0;
      // Ties (equal ranges, up to rounding) go to the first listed.
      if (c.trials[k].mse < c.trials[best].mse * (1 - 1e-9)) best = k;
    }
    c.method = c.trials[best].method;
  }
  return choices;
}

}  // namespace qcv::quant
