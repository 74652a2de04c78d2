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
  float dropout = 0.2f;               // recorded as a Dropout node before the classifier
  uint64_t seed = 0;
};

std::vector<std::string> model_names();
// Throws qcv::Error for an unknown name or an invalid parameter.
ir::Graph build(const ModelSpec& spec);

struct Cost {
  int64_t macs = 0;    // multiply-adds of Conv/Gemm/MatMul at batch 1
  int64_t params = 0;  // elements of float initializers (weights, biases, BN params)
};
// Works on any graph (built or imported, FP32 or QDQ); needs a known spatial input size.
Cost count_cost(const ir::Graph& g);

}  // namespace qcv::models
