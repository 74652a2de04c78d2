// One calibration, many QDQ graphs: `qcv sensitivity` and `qcv tune` try many sets of nodes left
// in FP32 without calibrating again for each. calibrate_ptq runs quantize_ptq's first half
// (prepare_ptq: optimize, CLE, high-bias absorption, placement, AdaRound, bias correction; then
// calibrate_prepared: statistics, ranges) once;
// quantize_calibrated writes the QDQ graph with extra nodes excluded, exactly what `qcv ptq
// --exclude NODE...` would write from the same calibration.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "quant/adaround.h"
#include "quant/calibration_guard.h"
#include "quant/quant.h"

namespace qcv::quant {

// quantize_ptq's first half up to the activation ranges: optimization, CLE, high-bias absorption,
// placement, AdaRound, bias correction. None of them reads an activation range (AdaRound learns
// from FP32 activations, with the weights of the layers before rounded), so the calibration method
// does not change it: one preparation serves every method (`qcv tune`'s method trials, the
// workflow's ptq phases), and AdaRound, minutes per model, runs once.
struct PtqPreparation {
  ir::Graph prepared;  // FP32: optimized, nodes named, equalized, weights rounded, biases corrected
  PtqOptions options;
  QuantPlan plan;  // with options.overrides only
  EqualizeReport equalization;
  HighBiasReport high_bias;
  int biases_corrected = 0;
  // Bias correction: node name -> its bias input before correction ("" for none), so that a node
  // left in FP32 gets its own bias back.
  std::map<std::string, std::string> original_bias;
  std::shared_ptr<const AdaRoundReport> adaround;  // the rounded weights and their FP32 values
};

// A preparation with its activation statistics and ranges (options.calibration's method).
struct PtqCalibration : PtqPreparation {
  std::map<std::string, TensorStats> stats;
  std::map<std::string, QuantParams> activation_params;  // every tensor a plan may quantize
  std::map<std::string, MethodChoice> chosen;            // method auto: per tensor
};

PtqPreparation prepare_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                           const PtqOptions& options);

// The ranges of a preparation by `calibration` (its method; the preparation's options otherwise):
// the same as calibrate_ptq with options.calibration = calibration. With for_fallback, the
// statistics also cover the tensors a plan with any one more node excluded quantizes instead (a
// fused activation left out moves an output-rule Q to the op's own output).
PtqCalibration calibrate_prepared(const PtqPreparation& preparation, const Backend& backend,
                                  CalibrationData& data, const CalibrationOptions& calibration,
                                  bool for_fallback = false);

// prepare_ptq, then calibrate_prepared with options.calibration.
PtqCalibration calibrate_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                             const PtqOptions& options, bool for_fallback = false);

// The QDQ graph with `fp32_nodes` (node names) excluded on top of the options' overrides. Throws
// qcv::Error when the new plan needs a range the calibration did not measure.
PtqResult quantize_calibrated(const PtqCalibration& calibration,
                              const std::vector<std::string>& fp32_nodes = {});

// An activation's range from another calibration of the same prepared graph (another method).
struct ActivationRange {
  CalibrationMethod method = CalibrationMethod::Max;
  QuantParams params;
};
// What `qcv tune` may change per node on top of a calibration, in ladder order: weights per channel
// (where the scheme says per tensor), an activation's range from another method, FP32.
struct NodeChoices {
  std::vector<std::string> fp32;
  std::vector<std::string> per_channel;           // node names (Overrides::per_channel_weights)
  std::map<std::string, ActivationRange> ranges;  // activation tensor -> its range
};
// The QDQ graph with those choices. A node left in FP32 or given per-channel weights keeps its own
// bias when bias correction is on (the correction was for its per-tensor quantized weight).
PtqResult quantize_calibrated(const PtqCalibration& calibration, const NodeChoices& choices);

// The nodes whose exclusion changes the plan (what --exclude can act on), in graph order.
std::vector<std::string> quantizable_nodes(const PtqCalibration& calibration);

}  // namespace qcv::quant
