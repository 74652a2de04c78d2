// The model zoo: architectures as data tables built into IR graphs with initialized weights, and
// a MACs/params counter for any graph.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::models {

struct ModelSpec {
  std::string name = "mobilenet_v2";  // see model_names()
  float width = 1.0f;                 // width multiplier (MobileNets)
  int resolution = 224;
  int classes = 1000;
  int in_channels = 3;
  float dropout = 0.2f;  // recorded as a Dropout node before the classifier (if > 0)
  uint64_t seed = 0;
  // false: weights are left zero (fast; enough for counting MACs/params or for loading weights).
  bool init_weights = true;
};

std::vector<std::string> model_names();
// Throws qcv::Error for an unknown name or an invalid parameter.
// The graph has one input "input" [N, in_channels, resolution, resolution] (N symbolic) and one
// output "logits" [N, classes]. Weights follow PyTorch's naming ("features.3.conv.weight",
// "features.3.bn.running_mean") and initialization (He normal fan_out for convs, N(0, 0.01) for
// classifiers, zero biases, BN gamma=1 beta=0 mean=0 var=1), drawn from std::mt19937_64(seed).
ir::Graph build(const ModelSpec& spec);

struct Cost {
  int64_t macs = 0;    // multiply-adds of Conv/Gemm/MatMul at batch 1
  int64_t params = 0;  // elements of weights, biases and BN gamma/beta (see cost.cpp)
};
// Works on any graph (built or imported, FP32 or QDQ); needs a known spatial input size.
Cost count_cost(const ir::Graph& g);

}  // namespace qcv::models
