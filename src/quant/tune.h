// Accuracy-driven quantization (`qcv tune`): the calibration method with the best top-1, then
// nodes left in FP32 one by one in the sensitivity order until the top-1 drop against FP32 is
// within the limit, then each fallback that turns out unnecessary put back. Every trial is
// evaluated and timed; all of them come from one calibration per method.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "quant/sensitivity.h"

namespace qcv::quant {

struct TuneOptions {
  double max_drop = 0.5;  // top-1 points (or percent of the FP32 top-1 with relative)
  bool relative = false;
  int max_trials = 50;   // fallback trials (the method trials and the analysis not counted)
  double timeout_s = 0;  // no new trial after this many seconds; 0: none
  std::vector<CalibrationMethod> methods = {CalibrationMethod::Max, CalibrationMethod::Percentile,
                                            CalibrationMethod::Entropy, CalibrationMethod::Mse};
  std::function<void(const std::string&)> progress;  // stderr when unset
};

struct TuneTrial {
  std::string stage;  // "method", "fallback" (one more node in FP32) or "restore" (one put back)
  std::string method;
  std::vector<std::string> fp32_nodes;
  double top1 = 0, drop = 0, latency_ms = 0;  // drop in the criterion's unit
  bool meets = false;
};

struct TuneResult {
  double fp32_top1 = 0, fp32_latency_ms = 0;
  std::vector<TuneTrial> trials;
  int best = -1;      // index into trials of the graph written
  bool met = false;   // trials[best] meets the criterion
  std::string ended;  // why the search stopped
  bool analyzed = false;
  SensitivityResult sensitivity;  // of the chosen method's calibration, when analyzed
  ir::Graph best_graph;
};

// The drop of `top1` against `fp32_top1`: points, or percent of fp32_top1 with relative.
double accuracy_drop(double fp32_top1, double top1, bool relative);

using Latency = std::function<double(const ir::Graph& graph)>;
TuneResult tune_quantization(const ir::Graph& fp32, const Backend& backend, CalibrationData& data,
                             const PtqOptions& base, const Evaluate& evaluate,
                             const Latency& latency, const TuneOptions& options);

}  // namespace qcv::quant
