// Accuracy-driven quantization (`qcv tune`): the calibration method with the best top-1, then
// nodes changed one by one in the sensitivity order until the top-1 drop against FP32 is within
// the limit, then each FP32 fallback that turns out unnecessary put back. A node's change is FP32,
// or with the ladder first the cheaper rungs: per-channel weights (where the scheme says per
// tensor), then also the lowest-error method's range for the activations it reads (--method
// auto's choice); the node keeps the rung with the best top-1 (ties: the cheaper). Every trial is
// evaluated and timed; all of them come from one calibration per method (and, for the ladder, one
// `auto` calibration for the ranges).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "quant/sensitivity.h"

namespace qcv::quant {

enum class FallbackMode { Fp32, Ladder };
FallbackMode fallback_mode_by_name(const std::string& name);  // fp32 | ladder

struct TuneOptions {
  double max_drop = 0.5;  // top-1 points (or percent of the FP32 top-1 with relative)
  bool relative = false;
  int max_trials = 50;   // ladder, fallback and put-back trials (not the method trials)
  double timeout_s = 0;  // no new trial after this many seconds; 0: none
  FallbackMode fallback = FallbackMode::Ladder;
  std::vector<CalibrationMethod> methods = {CalibrationMethod::Max, CalibrationMethod::Percentile,
                                            CalibrationMethod::Entropy, CalibrationMethod::Mse};
  std::function<void(const std::string&)> progress;  // stderr when unset
};

struct TuneTrial {
  // "method"; "per-channel", "range" (ladder rungs of one node), "fallback" (one more node in
  // FP32); "restore" (an FP32 node put back, with the ladder to its cheaper rung)
  std::string stage;
  std::string method;
  std::string change;  // what this trial changed ("" for a method trial)
  std::vector<std::string> fp32_nodes;
  std::vector<std::string> per_channel_nodes;             // ladder: weights made per channel
  std::map<std::string, std::string> activation_methods;  // ladder: tensor -> its range's method
  double top1 = 0, drop = 0, latency_ms = 0;              // drop in the criterion's unit
  bool meets = false;
};

// What one node got in the written model.
struct NodeOutcome {
  std::string node, op;
  std::string got;       // "FP32", or e.g. "int8 per-tensor weights, max" / "int4 per-channel, mse"
  bool changed = false;  // by the search (FP32, per-channel or another method)
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
  std::vector<NodeOutcome> nodes;  // the written model's quantized and FP32 nodes, graph order
};

// The drop of `top1` against `fp32_top1`: points, or percent of fp32_top1 with relative.
double accuracy_drop(double fp32_top1, double top1, bool relative);

using Latency = std::function<double(const ir::Graph& graph)>;
// Every method's calibration (and the ladder's auto ranges) is of one preparation of `fp32`
// (fallback.h's prepare_ptq with `base`, or `prepared`, made from fp32 and data): its passes,
// AdaRound among them, run once however many methods are tried.
TuneResult tune_quantization(const ir::Graph& fp32, const Backend& backend, CalibrationData& data,
                             const PtqOptions& base, const Evaluate& evaluate,
                             const Latency& latency, const TuneOptions& options);
TuneResult tune_quantization(const ir::Graph& fp32, const PtqPreparation& prepared,
                             const Backend& backend, CalibrationData& data,
                             const Evaluate& evaluate, const Latency& latency,
                             const TuneOptions& options);

}  // namespace qcv::quant
