// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization", ICML
// 2020): each quantized Conv/Gemm weight is rounded up or down, not to nearest, so that the
// layer's output on calibration data changes least. The pass (adaround.cpp) collects each layer's
// problem from the graph and writes the rounding back; the optimization itself is a
// RoundingSolver handed in by a caller that has one (LibTorch: train/adaround_solver.h), so that
// this library stays torch-free.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "quant/quant.h"

namespace qcv::quant {

// One layer as a grouped matrix product y[g, p, m] = sum_k x[g, p, k] w[g, m, k] (a Conv's rows
// are im2col patches at sampled output positions; a Gemm's are its input rows).
struct RoundingProblem {
  std::string layer;                // node name, for messages
  ir::Tensor weight;                // float [groups, M/groups, K/groups]
  ir::Tensor scale;                 // float, weight's shape: each weight's quantization step
  int32_t qmin = -128, qmax = 127;  // integer range (int4: [-8, 7])
  ir::Tensor fp32_inputs;           // float [groups, rows, K/groups]: the FP32 model's layer input
  ir::Tensor quantized_inputs;      // same rows from the model with earlier layers' weights rounded
};

struct AdaRoundOptions;
// Returns the integer weights (int32 tensor of weight's shape), each floor(w / s) or one above.
using RoundingSolver =
    std::function<ir::Tensor(const RoundingProblem& problem, const AdaRoundOptions& options)>;

struct AdaRoundOptions {
  int iterations = 1000;   // Adam steps per layer
  int batch_rows = 1024;   // rows of the problem per step
  int sample_rows = 8192;  // rows sampled per layer (reservoir over all images and positions)
  double learning_rate = 1e-3;
  double lambda = 0.01;                  // weight of the rounding regularizer
  double beta_start = 20, beta_end = 2;  // regularizer exponent, annealed linearly ...
  double warmup = 0.2;  // ... after this share of the steps without the regularizer
  uint64_t seed = 0;
  // A layer whose learned rounding has a larger output error on its rows than rounding to
  // nearest keeps nearest.
  bool keep_nearest_if_worse = true;
  RoundingSolver solve;  // required
};

// One layer's outcome; the errors are the mean over rows of the squared output error summed over
// output channels, on the sampled rows (target: the FP32 layer on FP32 inputs).
struct AdaRoundLayer {
  std::string node, weight;
  int64_t rows = 0, weights = 0, changed = 0;  // changed: weights not rounded to nearest
  double error_nearest = 0, error_adaround = 0;
  bool kept_nearest = false;  // the learned rounding did worse on the rows: nearest kept
};

struct AdaRoundReport {
  std::vector<AdaRoundLayer> layers;
  std::vector<std::string> skipped;  // "node: why"
  double seconds = 0;
  // Rounded weight tensor -> the parameters its integers are for (insert_qdq must use them) and
  // its FP32 values before rounding (a node later left in FP32 gets them back).
  std::map<std::string, QuantParams> params;
  std::map<std::string, ir::Tensor> original;
};

// For each Conv (2-D, any groups) or Gemm (transA = 0) whose weight the plan quantizes, in graph
// order: samples rows of its input from the FP32 model and from the graph as rounded so far,
// solves for the rounding and replaces the weight initializer with its dequantized integers
// (the scale is the one weight_params computes, unchanged).
AdaRoundReport adaround_weights(ir::Graph& graph, const QuantPlan& plan, const Backend& backend,
                                CalibrationData& data, const AdaRoundOptions& options,
                                const CalibrationOptions& progress);

// Before QDQ insertion of a graph made from the rounded one: each rounded weight the plan still
// quantizes with the same axis and bits gets the parameters its integers are for; one left in
// FP32 or quantized otherwise (per channel now) gets its FP32 values back.
void apply_rounding(ir::Graph& graph, const QuantPlan& plan, const AdaRoundReport& rounding,
                    std::map<std::string, QuantParams>& params);

}  // namespace qcv::quant
