// Which nodes hurt when quantized: per quantizable node, the accuracy and the output SQNR against
// the FP32 logits with only that node quantized and with only that node left in FP32, all from one
// calibration (quant/fallback.h); and each quantized tensor's own SQNR. `qcv sensitivity` reports
// it, `qcv tune` falls back nodes in its order.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "quant/fallback.h"

namespace qcv::quant {

// A graph's accuracy on the evaluation data and its logits (all rows, concatenated), so that
// quantized outputs can be compared with FP32's.
struct EvalOutcome {
  double top1 = 0;  // percent
  std::vector<float> logits;
};
using Evaluate = std::function<EvalOutcome(const ir::Graph& graph)>;

// 10 log10(sum ref^2 / sum (ref - x)^2) in dB; +inf when equal, a length mismatch throws.
double sqnr_db(const std::vector<float>& ref, const std::vector<float>& x);

struct NodeSensitivity {
  std::string node, op;
  std::vector<std::string> tensors;  // what the full plan quantizes for it (activations, weights)
  double top1_only_quantized = 0, sqnr_only_quantized = 0;  // the rest in FP32
  double top1_only_fp32 = 0, sqnr_only_fp32 = 0;            // the rest quantized
};

struct TensorSensitivity {
  std::string tensor;
  TensorRole role = TensorRole::Activation;
  std::vector<std::string> consumers;
  double sqnr_db =
      0;  // x against DQ(Q(x)): weights as stored, activations over the calibration data
};

struct SensitivityResult {
  std::string method;  // the calibration's
  double fp32_top1 = 0;
  double quantized_top1 = 0, quantized_sqnr = 0;  // every node quantized
  std::vector<NodeSensitivity> nodes;             // most damaging first (more_damaging)
  std::vector<TensorSensitivity> tensors;         // in plan order
};

// The one ranking: the larger top-1 drop with only the node quantized first; equal drops (top-1
// moves in steps of 100/N): the lower output SQNR with only it quantized; then the larger top-1
// with only the node in FP32.
bool more_damaging(const NodeSensitivity& a, const NodeSensitivity& b);

struct SensitivityOptions {
  bool only_fp32_trials = true;                      // false: only the "only quantized" trials
  std::function<void(const std::string&)> progress;  // one line per node (stderr when unset)
};

// `fp32` is the reference model (logits and top-1); `c` its calibration (for_fallback);
// `backend` and `data` measure the activations' SQNR in one pass over the calibration data.
SensitivityResult analyze_sensitivity(const ir::Graph& fp32, const PtqCalibration& c,
                                      const Evaluate& evaluate, const Backend& backend,
                                      CalibrationData& data,
                                      const SensitivityOptions& options = {});

}  // namespace qcv::quant
