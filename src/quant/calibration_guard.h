// Calibration guards: how much of what calibration observed a calibrated range clips (ptq warns
// above set limits), and `--method auto`, which picks per tensor the method whose range gives the
// lowest quantization error on the calibration data.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "quant/quant.h"

namespace qcv::quant {

// A range is reported when it clips more than either share (percent).
struct ClipLimits {
  double values_percent = 1.0;  // of the observed values (|x| beyond the range's reach)
  double range_percent = 90.0;  // of the observed |x| range [0, max|x|]
};

struct Clipping {
  std::string tensor;
  std::string method;
  std::vector<std::string> consumers;  // nodes reading the tensor (for --exclude)
  float range_min = 0, range_max = 0;  // calibrated
  float observed_min = 0, observed_max = 0;
  double values_percent = 0, range_percent = 0;
  bool exceeds(const ClipLimits& limits) const {
    return values_percent > limits.values_percent || range_percent > limits.range_percent;
  }
  std::string warning() const;  // one line naming the tensor, method, shares and what to do
};

// How much of a tensor's observations the range [lo, hi] clips. Every method clips |x| at one
// threshold T on both sides (calibrated_range), so the clipped values are those with |x| >
// max(|lo|, |hi|); they are counted from the |x| histogram (a bin straddling the threshold in
// proportion). Without a histogram (method max) only the range share is known.
Clipping measure_clipping(const TensorStats& stats, float lo, float hi);

// The activation entries of a PTQ result whose ranges clip more than the limits allow.
std::vector<Clipping> find_clipping(const PtqResult& result, const ClipLimits& limits);

// What a command prints after calibration: "warning: ..." for each range find_clipping reports,
// and with method auto one line counting the tensors each method got.
std::vector<std::string> calibration_notes(const PtqResult& result, const ClipLimits& limits);

// ---------------------------------------------------------------------------------------------
// --method auto

// Sum of (x - DQ(Q(x)))^2 over x, with the quantizer ONNX's QuantizeLinear applies (p per tensor).
double squared_quantization_error(const float* x, size_t n, const QuantParams& p);

struct MethodTrial {
  CalibrationMethod method = CalibrationMethod::Max;
  float range_min = 0, range_max = 0;
  double mse = 0;  // mean squared error of the fake-quantized tensor over the calibration data
};
struct MethodChoice {
  CalibrationMethod method = CalibrationMethod::Max;
  std::vector<MethodTrial> trials;  // max, percentile, entropy, mse (entropy only with > 256 bins)
};

// For every activation target of `plan`, the calibration method (of max, percentile, entropy,
// mse; options.percentile and options.num_bins as given) whose range gives the lowest MSE between
// the tensor and its fake-quantized version over the calibration data, measured in one more pass
// over `data` with the target's real quantizer (dtype, symmetric or not). Ties go to the method
// listed first. `stats` are collect_stats' (histograms included).
std::map<std::string, MethodChoice> choose_methods(const ir::Graph& graph, const QuantPlan& plan,
                                                   const std::map<std::string, TensorStats>& stats,
                                                   const Backend& backend, CalibrationData& data,
                                                   const CalibrationOptions& options);

}  // namespace qcv::quant
