// Zoo models quantized by qcv::quant (max calibration on 4 random images, the runtime as the
// calibration backend), for INT8 tests on real architectures.
#pragma once
#include <memory>
#include <string>

#include "int8_test_util.h"
#include "models/models.h"
#include "quant/quant.h"
#include "runtime/calibration_backend.h"

namespace qcv::testing {

struct ModelCase {
  std::string model, scheme;
};

// MobileNets at width 0.5, 37 classes, square inputs of `resolution`.
inline ir::Graph quantized_zoo_model(const ModelCase& c, int resolution) {
  models::ModelSpec spec;
  spec.name = c.model;
  spec.resolution = resolution;
  spec.classes = 37;
  spec.width = c.model.rfind("mobilenet", 0) == 0 ? 0.5f : 1.f;
  ir::Graph g = models::build(spec);
  std::vector<std::map<std::string, ir::Tensor>> batches;
  for (uint32_t k = 0; k < 4; ++k)
    batches.push_back({{g.inputs[0].name, random_tensor({1, 3, resolution, resolution}, 100 + k)}});
  auto data = quant::feeds_data(batches);
  quant::Backend backend = runtime::calibration_backend(2);
  quant::PtqOptions options;
  options.scheme = quant::scheme_by_name(c.scheme);
  options.calibration.show_progress = false;
  return quant::quantize_ptq(g, backend, *data, options).graph;
}

}  // namespace qcv::testing
